import numpy as np
import pandas as pd
import pytest

from forecasting.columns import PROCEDURE_TYPES
from forecasting.config import DemandConfig, Pathway, default_pathways
from forecasting.demand import (
    ClinicHistory,
    clinic_histories,
    lagged,
    learn_pathways,
    padded_weights,
)

LIPO = PROCEDURE_TYPES.index("liposuction")
BBL = PROCEDURE_TYPES.index("bbl")
# True pathways differ from the configured defaults in uptake and in shape.
TRUE_LIPO = np.array([0.2, 1.8, 1.5, 1.1, 0.6, 0.4, 0.2, 0.1])
TRUE_BBL = np.array([0.5, 1.0, 1.0, 0.5, 0.2])


def test_lagged_design_hand_checked():
    procedures = np.zeros((4, len(PROCEDURE_TYPES)))
    procedures[:, LIPO] = [1, 2, 3, 4]
    design = lagged(procedures, 3)
    lipo = design[:, LIPO * 3 : LIPO * 3 + 3]
    np.testing.assert_array_equal(lipo, [[1, 0, 0], [2, 1, 0], [3, 2, 1], [4, 3, 2]])
    assert design.shape == (4, 3 * len(PROCEDURE_TYPES))
    short = lagged(procedures[:2], 3)  # fewer weeks than lags
    np.testing.assert_array_equal(short[:, LIPO * 3 : LIPO * 3 + 3], [[1, 0, 0], [2, 1, 0]])


def test_clinic_histories_align_and_zero_fill():
    procedures = pd.DataFrame(
        {
            "clinic_id": ["a", "a", "a"],
            "procedure": ["liposuction", "bbl", "liposuction"],
            "week": pd.to_datetime(["2025-01-13", "2025-01-13", "2025-01-27"]),
            "completed": [3, 1, 5],
            "scheduled": [0, 0, 0],
        }
    )
    sessions = pd.DataFrame(
        {"clinic_id": ["a", "b"], "week": pd.to_datetime(["2025-01-06", "2025-01-20"]),
         "sessions": [7, 2]}
    )  # fmt: skip
    out = clinic_histories(procedures, sessions, pd.Timestamp("2025-02-03"))
    a = out["a"]
    assert list(a.weeks.strftime("%m-%d")) == ["01-06", "01-13", "01-20", "01-27"]
    np.testing.assert_array_equal(a.procedures[:, LIPO], [0, 3, 0, 5])
    np.testing.assert_array_equal(a.procedures[:, BBL], [0, 1, 0, 0])
    np.testing.assert_array_equal(a.sessions, [7, 0, 0, 0])
    assert (a.first_procedure, a.first_session) == (1, 0)
    assert out["b"].first_procedure is None and list(out["b"].sessions) == [2, 0]


def _synthetic(scales=(1.0, 1.0, 1.0), weeks=260, seed=0) -> dict[str, ClinicHistory]:
    """Clinics with seasonal liposuction and BBL volumes; sessions from the true pathways."""
    rng = np.random.default_rng(seed)
    t = np.arange(weeks)
    out = {}
    for i, scale in enumerate(scales):
        procedures = np.zeros((weeks, len(PROCEDURE_TYPES)))
        level = 20 + 8 * i
        procedures[:, LIPO] = rng.poisson(level * (1 + 0.3 * np.sin(2 * np.pi * t / 52)))
        procedures[:, BBL] = rng.poisson(0.5 * level * (1 + 0.3 * np.cos(2 * np.pi * t / 52)))
        mean = (
            scale
            * (
                np.convolve(procedures[:, LIPO], TRUE_LIPO)[:weeks]
                + np.convolve(procedures[:, BBL], TRUE_BBL)[:weeks]
            )
            + 6.0
        )
        sessions = rng.poisson(rng.gamma(mean / 0.6, 0.6)).astype(float)  # dispersion 1.6
        out[f"c{i}"] = ClinicHistory(
            weeks=pd.date_range("2020-01-06", periods=weeks, freq="W-MON"),
            procedures=procedures,
            sessions=sessions,
            first_procedure=0,
            first_session=0,
        )
    return out


def test_recovers_a_planted_pathway():
    pathways = default_pathways()
    learned = learn_pathways(_synthetic(), pathways, DemandConfig(max_lag_weeks=10))
    assert learned.source == "learned" and learned.weeks_used == 3 * (260 - 9)
    lipo, bbl = learned.weights[LIPO], learned.weights[BBL]
    assert lipo.sum() == pytest.approx(TRUE_LIPO.sum(), rel=0.05)
    assert bbl.sum() == pytest.approx(TRUE_BBL.sum(), rel=0.2)  # half the volume, collinear
    np.testing.assert_allclose(lipo[:8], TRUE_LIPO, atol=0.25)
    prior = padded_weights(pathways, 10)[LIPO]
    assert np.abs(lipo[:8] - TRUE_LIPO).sum() < 0.4 * np.abs(prior[:8] - TRUE_LIPO).sum()
    # no abdominoplasty data: its pathway stays the configured one
    abdo = PROCEDURE_TYPES.index("abdominoplasty")
    np.testing.assert_allclose(learned.weights[abdo], learned.configured[abdo], atol=1e-6)
    assert learned.dispersion == pytest.approx(1.6, abs=0.25)
    assert all(s == pytest.approx(1.0, abs=0.08) for s in learned.clinic_scale.values())
    table = learned.table(pathways)
    row = table.set_index("procedure").loc["liposuction"]
    assert row.learned_sessions == pytest.approx(TRUE_LIPO.sum(), rel=0.05)
    assert row.configured_sessions == pytest.approx(sum(pathways["liposuction"].weights))
    assert "learned from 753 clinic-weeks" in learned.summary(pathways)


def test_clinic_scale_moves_only_where_data_supports_it():
    histories = _synthetic(scales=(1.0, 1.0, 1.4))
    learned = learn_pathways(histories, default_pathways(), DemandConfig(max_lag_weeks=10))
    assert learned.clinic_scale["c2"] > 1.15
    pooled_only = learn_pathways(
        histories, default_pathways(), DemandConfig(max_lag_weeks=10, clinic_scale_sd=0)
    )
    assert set(pooled_only.clinic_scale.values()) == {1.0}


def test_short_history_falls_back_to_configured_pathways():
    pathways = {**default_pathways(), "bbl": Pathway(uptake=0.5, sessions_by_week=[2.0, 2.0])}
    short = {k: _cut(h, 20) for k, h in _synthetic().items()}
    learned = learn_pathways(short, pathways, DemandConfig())
    assert learned.source == "configured"
    assert "min_history_weeks" in learned.reason
    np.testing.assert_allclose(learned.weights[BBL][:3], [1.0, 1.0, 0.0])
    assert learned.dispersion > 1.0  # still measured around the configured pathway
    off = learn_pathways(_synthetic(), pathways, DemandConfig(learn_pathways=False))
    assert off.source == "configured" and "learn_pathways" in off.reason


def _cut(h: ClinicHistory, n: int) -> ClinicHistory:
    return ClinicHistory(h.weeks[:n], h.procedures[:n], h.sessions[:n], 0, 0)


def test_square_nnls_form_solves_the_pooled_regression():
    # _fit solves min ||A x - b|| (x >= 0) through R'R = A'A, R'd = A'b: the same minimiser as
    # NNLS on the tall whitened design with one intercept column per clinic.
    from scipy.optimize import nnls

    from forecasting.demand.pathways import _fit, _Pooled, _usable_rows

    config = DemandConfig(max_lag_weeks=10)
    prior = padded_weights(default_pathways(), 10).ravel()
    blocks = []
    for clinic, history in _synthetic(scales=(1.0, 1.3, 0.8)).items():
        rows = _usable_rows(history, 10)
        blocks.append((clinic, lagged(history.procedures, 10)[rows], history.sessions[rows]))
    pooled = _Pooled.stack(blocks)
    mean = np.maximum(pooled.y, 1.0)
    coef, fitted = _fit(pooled, prior, 1.7, mean, config)
    scale = 1.0 / np.sqrt(1.7 * mean)
    intercepts = np.zeros((len(pooled.y), len(blocks)))
    intercepts[np.arange(len(pooled.y)), pooled.clinic] = 1.0
    tall = np.vstack(
        [
            np.hstack([pooled.design, intercepts]) * scale[:, None],
            np.hstack([np.eye(len(prior)), np.zeros((len(prior), len(blocks)))]) / 0.5,
        ]
    )
    want = nnls(tall, np.concatenate([pooled.y * scale, prior / 0.5]))[0]
    np.testing.assert_allclose(coef, want, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(fitted, np.hstack([pooled.design, intercepts]) @ want, rtol=1e-9)
    assert (coef[: len(prior)] == 0).any()  # some constraints are active


def test_clinic_histories_group_rows_once_with_the_same_result():
    procedures = pd.DataFrame(
        {
            "clinic_id": ["b", "a", "a", "b", "a", "c"],
            "procedure": ["bbl", "liposuction", "unknown", "bbl", "liposuction", "other"],
            "week": pd.to_datetime(
                ["2025-01-06", "2025-01-13", "2025-01-13", "2025-01-06", "2025-01-27", "2025-02-03"]
            ),
            "completed": [1, 3, 9, 2, 5, 4],
            "scheduled": 0,
        }
    )
    sessions = pd.DataFrame(
        {"clinic_id": ["a", "b", "b"], "week": pd.to_datetime(["2024-12-30", "2025-01-20",
         "2025-01-20"]), "sessions": [7, 2, 3]}
    )  # fmt: skip
    out = clinic_histories(procedures, sessions, pd.Timestamp("2025-02-03"))
    assert list(out) == ["a", "b"]  # clinic c only has rows from the cut-off week on
    a, b = out["a"], out["b"]
    assert list(a.weeks.strftime("%m-%d")) == ["12-30", "01-06", "01-13", "01-20", "01-27"]
    assert a.weeks.freqstr == "W-MON"
    np.testing.assert_array_equal(a.procedures[:, LIPO], [0, 0, 3, 0, 5])
    assert a.procedures.sum() == 8  # the unknown procedure type is left out
    assert (a.first_procedure, a.first_session) == (2, 0)
    np.testing.assert_array_equal(b.procedures[:, BBL], [3, 0, 0, 0])  # two rows, one week
    np.testing.assert_array_equal(b.sessions, [0, 0, 5, 0])
    assert (
        clinic_histories(procedures.iloc[:0], sessions.iloc[:0], pd.Timestamp("2025-02-03")) == {}
    )
