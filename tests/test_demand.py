import numpy as np
import pytest

from forecasting.config import Pathway
from forecasting.demand import (
    committed_demand,
    forecast_driven_demand,
    implied_sessions,
    non_surgical_level,
    session_paths,
)


def test_committed_demand_hand_checked():
    # 10 procedures two weeks ago, 20 last week; pathway [1, 2, 3, 4] sessions per procedure.
    w = np.array([1.0, 2.0, 3.0, 4.0])
    out = committed_demand(np.array([10.0, 20.0]), w, horizon=4)
    # week 0: 10*w[2] + 20*w[1] = 30 + 40; week 1: 10*w[3] + 20*w[2] = 40 + 60; week 2: 20*w[3]
    np.testing.assert_allclose(out, [70.0, 100.0, 80.0, 0.0])


def test_forecast_driven_is_a_causal_convolution():
    paths = np.array([[10.0, 0.0, 5.0], [0.0, 0.0, 0.0]])
    out = forecast_driven_demand(paths, np.array([1.0, 0.5]))
    np.testing.assert_allclose(out, [[10.0, 5.0, 5.0], [0.0, 0.0, 0.0]])
    assert paths[0, 0] == 10.0  # argument untouched


def test_committed_plus_forecast_equals_full_convolution():
    rng = np.random.default_rng(1)
    history = rng.integers(0, 30, 40).astype(float)
    future = rng.integers(0, 30, (1, 6)).astype(float)
    w = np.array([0.5, 1.25, 1.0, 0.75, 0.5, 0.25])
    full = np.convolve(np.concatenate([history, future[0]]), w)[40:46]
    split = committed_demand(history, w, 6) + forecast_driven_demand(future, w)[0]
    np.testing.assert_allclose(split, full)


def test_implied_and_non_surgical_level():
    history = np.array([10.0, 10.0, 10.0, 10.0])
    implied = implied_sessions(history, np.array([1.0, 1.0]))
    np.testing.assert_allclose(implied, [10, 20, 20, 20])
    assert non_surgical_level(np.array([14, 25, 25, 25.0]), implied) == pytest.approx(5.0)
    assert non_surgical_level(np.array([5.0, 5, 5, 5]), implied) == 0.0


def test_session_paths_mean_matches_expectation():
    pathways = {"liposuction": Pathway(uptake=0.5, sessions_by_week=[2.0, 4.0])}
    paths = np.full((4000, 3), 10.0)
    committed, sessions = session_paths(
        {"liposuction": np.array([10.0])},
        {"liposuction": paths},
        pathways,
        base_level=3.0,
        rng=np.random.default_rng(0),
    )
    np.testing.assert_allclose(committed, [20.0, 0.0, 0.0])
    # week 0: committed 20 + 10*1 + base 3; later weeks: 10*1 + 10*2 + 3
    np.testing.assert_allclose(sessions.mean(axis=0), [33.0, 33.0, 33.0], rtol=0.02)
    assert sessions.shape == (4000, 3) and (sessions >= 0).all()
