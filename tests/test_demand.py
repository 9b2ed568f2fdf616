import numpy as np
import pandas as pd
import pytest

from forecasting.columns import PROCEDURE_TYPES
from forecasting.config import DemandConfig
from forecasting.demand import (
    ClinicHistory,
    clinic_demand,
    committed_demand,
    forecast_driven_demand,
    implied_sessions,
    non_surgical_forecast,
    sample_counts,
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


def test_implied_sessions():
    implied = implied_sessions(np.array([10.0, 10.0, 10.0, 10.0]), np.array([1.0, 1.0]))
    np.testing.assert_allclose(implied, [10, 20, 20, 20])


def test_non_surgical_forecast_reverts_to_the_level():
    # AR(1) around 10 with coefficient 0.6: after a +10 shock the forecast decays to 10
    rng = np.random.default_rng(0)
    r = np.zeros(400)
    for t in range(1, 400):
        r[t] = 0.6 * r[t - 1] + rng.normal(0, 1)
    r = 10 + r
    r[-1] = 20.0
    out = non_surgical_forecast(r, 12, lags=1, window=400)
    assert out[0] == pytest.approx(10 + 0.6 * (20 - r.mean()), abs=0.6)
    assert out[-1] == pytest.approx(r.mean(), abs=0.3)
    assert np.all(np.diff(out) < 0)
    # short, lag-free or negative remainders: the (clipped) mean
    np.testing.assert_allclose(non_surgical_forecast(np.array([1.0, 3.0]), 3, lags=4,
                                                     window=52), [2.0, 2.0, 2.0])  # fmt: skip
    np.testing.assert_allclose(non_surgical_forecast(r, 2, lags=0, window=4), [r[-4:].mean()] * 2)
    assert non_surgical_forecast(np.full(50, -3.0), 2, lags=2, window=52).tolist() == [0, 0]
    assert non_surgical_forecast(np.zeros(0), 2, lags=2, window=52).tolist() == [0, 0]


def test_non_surgical_forecast_equals_statsmodels_autoreg_bit_for_bit():
    # The AR arithmetic is done without AutoReg's objects; results must be AutoReg's exactly.
    from statsmodels.tsa.ar_model import AutoReg

    rng = np.random.default_rng(7)
    stationary = 0
    for case in range(120):
        lags = int(rng.integers(1, 6))
        n = int(rng.integers(2 * lags + 8, 130))
        if case % 3 == 0:  # a random walk: often non-stationary, then the mean
            values = np.cumsum(rng.normal(size=n)) + 20
        else:
            values = rng.poisson(rng.uniform(1, 40), n) - rng.uniform(0, 10)
        fit = AutoReg(values, lags=lags, trend="c").fit()
        flat = np.full(12, max(values.mean(), 0.0))
        if np.any(np.abs(fit.roots) <= 1.0):
            expected = flat
        else:
            stationary += 1
            expected = np.clip(fit.predict(start=n, end=n + 11), 0.0, None)
        out = non_surgical_forecast(values, 12, lags=lags, window=n)
        assert np.array_equal(out, expected), (case, out, expected)
    assert stationary > 60


@pytest.mark.parametrize(("dispersion", "excess"), [(1.0, 0.0), (2.5, 0.0), (1.5, 0.02)])
def test_sample_counts_mean_and_variance(dispersion, excess):
    mean = np.full(200_000, 40.0)
    counts = sample_counts(mean, dispersion, np.random.default_rng(3), excess)
    assert counts.mean() == pytest.approx(40.0, rel=0.01)
    assert counts.var() == pytest.approx(dispersion * 40 + excess * 1600, rel=0.03)
    assert (counts == np.round(counts)).all() and (counts >= 0).all()
    assert sample_counts(np.zeros(3), 3.0, np.random.default_rng(0), 0.1).tolist() == [0, 0, 0]


def test_session_paths_mean_matches_expectation():
    weights = {"liposuction": np.array([1.0, 2.0])}
    paths = np.full((4000, 3), 10.0)
    committed, sessions = session_paths(
        {"liposuction": np.array([10.0])},
        {"liposuction": paths},
        weights,
        non_surgical=3.0,
        rng=np.random.default_rng(0),
        dispersion=2.0,
    )
    np.testing.assert_allclose(committed, [20.0, 0.0, 0.0])
    # week 0: committed 20 + 10*1 + base 3; later weeks: 10*1 + 10*2 + 3
    np.testing.assert_allclose(sessions.mean(axis=0), [33.0, 33.0, 33.0], rtol=0.02)
    assert sessions.var(axis=0) == pytest.approx(np.full(3, 66.0), rel=0.1)
    assert sessions.shape == (4000, 3) and (sessions >= 0).all()


def _history(procedures: np.ndarray | None, sessions: np.ndarray | None) -> ClinicHistory:
    n = len(procedures if procedures is not None else sessions)
    matrix = np.zeros((n, len(PROCEDURE_TYPES)))
    if procedures is not None:
        matrix[:, 0] = procedures
    return ClinicHistory(
        weeks=pd.date_range("2025-01-06", periods=n, freq="W-MON"),
        procedures=matrix,
        sessions=np.zeros(n) if sessions is None else sessions,
        first_procedure=None if procedures is None else 0,
        first_session=None if sessions is None else 0,
    )


WEIGHTS = {p: np.array([0.0, 1.0]) for p in PROCEDURE_TYPES}
CONFIG = DemandConfig(non_surgical_ar_lags=0)


def test_clinic_demand_splits_committed_forecast_and_non_surgical():
    # 10 liposuctions every week; each yields one session the week after; 5 other sessions.
    history = _history(np.full(60, 10.0), np.full(60, 15.0))
    paths = {"liposuction": np.full((2000, 2), 4.0)}
    out = clinic_demand(
        history, paths, WEIGHTS, n_paths=2000, horizon=2, dispersion=1.0,
        config=CONFIG, rng=np.random.default_rng(0),
    )  # fmt: skip
    np.testing.assert_allclose(out.committed, [10.0, 0.0])  # last week's 10 procedures
    np.testing.assert_allclose(out.non_surgical, [5.0, 5.0])
    # week 0: 10 committed + 5; week 1: 4 forecast procedures x 1 + 5
    np.testing.assert_allclose(out.paths.mean(axis=0), [15.0, 9.0], rtol=0.03)
    assert out.note is None


def test_clinic_demand_without_sessions_or_procedures_says_why():
    no_sessions = clinic_demand(
        _history(np.full(60, 10.0), None), {"liposuction": np.full((50, 3), 10.0)}, WEIGHTS,
        n_paths=50, horizon=3, dispersion=1.0, config=CONFIG, rng=np.random.default_rng(0),
    )  # fmt: skip
    assert (no_sessions.non_surgical == 0).all() and "no session history" in no_sessions.note
    no_procedures = clinic_demand(
        _history(None, np.full(60, 7.0)), {}, WEIGHTS,
        n_paths=50, horizon=3, dispersion=1.0, config=CONFIG, rng=np.random.default_rng(0),
    )  # fmt: skip
    np.testing.assert_allclose(no_procedures.non_surgical, 7.0)
    assert "no procedure history" in no_procedures.note
    assert no_procedures.paths.shape == (50, 3)
    short = clinic_demand(
        _history(np.full(10, 1.0), np.full(10, 1.0)), {"liposuction": np.ones((50, 3))}, WEIGHTS,
        n_paths=50, horizon=3, dispersion=1.0, config=CONFIG, rng=np.random.default_rng(0),
    )  # fmt: skip
    assert "only 10 weeks of history" in short.note
