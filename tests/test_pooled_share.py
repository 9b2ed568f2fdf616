"""Tests of the pooled level borrowed from the clinic (its share of it), clinic age, ramp weight."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from forecasting.config import ModelConfig
from forecasting.models import make_model, model_settings
from forecasting.models.mixed import MixedModel
from forecasting.models.network import flat_prior, network_prior
from forecasting.models.pooled import PooledModel
from forecasting.series import procedure_histories


def _frame(ds: pd.DatetimeIndex, y: np.ndarray, total: np.ndarray | None = None) -> pd.DataFrame:
    out = pd.DataFrame({"ds": ds, "y": np.asarray(y, dtype=float)})
    return out if total is None else out.assign(clinic_y=np.asarray(total, dtype=float))


def test_procedure_histories_carry_the_clinic_total_of_every_type() -> None:
    weeks = pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-08"])
    rows = pd.DataFrame(
        {
            "clinic_id": ["a", "a", "a"],
            "procedure": ["liposuction", "liposuction", "bbl"],
            "week": weeks,
            "completed": [3, 1, 2],
            "scheduled": [0, 0, 0],
        }
    )
    out = procedure_histories(rows, pd.Timestamp("2024-01-15"))
    assert out[("a", "bbl")]["clinic_y"].tolist() == [3.0, 3.0]
    assert out[("a", "liposuction")]["y"].tolist() == [3.0, 1.0]


def test_a_sparse_type_takes_its_clinics_level_times_its_share() -> None:
    """Hand-checked: the clinic did 10 a week for a year, 20 a week in the last 8 weeks; the
    type was 1 in 10 of the clinic over the last 52 weeks, but by chance 0 in the last 8."""
    ds = pd.date_range("2023-01-02", periods=60, freq="W-MON")
    total = np.r_[np.full(52, 10.0), np.full(8, 20.0)]
    y = np.zeros(60)
    y[:52:2] = 2.0  # 52 procedures in the 52 weeks before the last 8...
    y[52:] = 0.0  # ...none in the last 8
    share = y[-52:].sum() / total[-52:].sum()  # 44 / 600 (weeks 8..59)
    own = PooledModel(flat_prior(), level_weeks=8).fit(_frame(ds, y, total))
    pooled = PooledModel(flat_prior(), level_weeks=8, share_weeks=52).fit(_frame(ds, y, total))
    assert own._level == 0.0
    assert pooled._level == pytest.approx(20.0 * share)
    paths = pooled.sample(6, 4000, np.random.default_rng(0))
    assert paths.mean() == pytest.approx(20.0 * share, rel=0.08)
    # without the clinic column the share has nothing to borrow from: the series' own level
    assert PooledModel(flat_prior(), 8, share_weeks=52).fit(_frame(ds, y))._level == 0.0


def test_a_rare_type_of_an_old_clinic_is_not_young() -> None:
    ds = pd.date_range("2020-01-06", periods=160, freq="W-MON")
    rare = np.zeros(160)
    rare[120::6] = 1.0  # its first case 40 weeks before the end (young_weeks 52)
    config = ModelConfig(name="mixed")
    model = make_model("mixed", **model_settings("mixed", config, None))
    assert isinstance(model, MixedModel)
    assert model.branch(_frame(ds, rare)) == "young"  # its own first week says so
    assert model.branch(_frame(ds, rare, np.full(160, 12.0))) == "mature"  # its clinic is old
    pooled = PooledModel(flat_prior()).fit(_frame(ds, rare, np.full(160, 12.0)))
    assert pooled._age == 159


def test_a_ramp_learned_from_few_clinics_is_shrunk_towards_no_growth() -> None:
    ds = pd.date_range("2020-01-06", periods=160, freq="W-MON")
    ramp = np.minimum(np.arange(1, 101) / 20.0, 1.0)
    new = np.concatenate([np.zeros(60), 10.0 * ramp])
    histories = {
        ("old", "liposuction"): _frame(ds, np.full(160, 20.0)),
        ("new", "liposuction"): _frame(ds[60:], new[60:]),
    }
    full = network_prior(histories, min_weeks=10**6, ramp_weeks=52, ramp_level_weeks=26)
    shrunk = network_prior(
        histories, min_weeks=10**6, ramp_weeks=52, ramp_level_weeks=26, ramp_prior_clinics=2.0
    )
    assert full.ramp == shrunk.ramp and full.ramp_weight == 1.0
    assert shrunk.ramp_weight == pytest.approx(1 / 3)  # one clinic, shrunk as if 2 showed none
    g_full = full.ramp_growth(5, 4, window=4)
    assert shrunk.ramp_growth(5, 4, window=4) == pytest.approx(1 + (g_full - 1) / 3)
    assert replace(shrunk, ramp_weight=0.0).ramp_growth(5, 4).tolist() == [1.0] * 4
