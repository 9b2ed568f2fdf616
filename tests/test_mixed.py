"""Tests of the mixed procedure model, the network ramp-up curve and auto without a backtest."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from forecasting.config import ModelConfig
from forecasting.models import forecast_series, make_model, model_settings, run_prior
from forecasting.models.mixed import MixedModel
from forecasting.models.network import flat_prior, network_prior
from forecasting.models.selection import choose_model


def _shape(ds: pd.DatetimeIndex) -> np.ndarray:
    week = ds.isocalendar().week.to_numpy(dtype=float)
    return 1.0 + 0.3 * np.sin(2 * np.pi * week / 52.0)


def _mixed(**mixed) -> MixedModel:
    config = ModelConfig(name="mixed", mixed={"mature_model": "ets", **mixed})
    model = make_model("mixed", **model_settings("mixed", config, None))
    assert isinstance(model, MixedModel)
    return model


def _frame(ds: pd.DatetimeIndex, y: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"ds": ds, "y": np.asarray(y, dtype=float)})


def test_young_clinic_of_20_weeks_follows_the_network_shape_not_its_own_slope() -> None:
    """Hand-checked: 20 weeks of ramp-up, the network's seasonal shape from 3 mature clinics.

    The default configuration (``mixed``) forecasts it with the pooled branch even though it
    has less than ``min_history_weeks`` (52) of history: its median is the mean of its last 8
    deseasonalised weeks times the network index, not its own slope carried on.
    """
    ds_m = pd.date_range("2020-01-06", periods=208, freq="W-MON")
    mature = {("m", f"c{i}"): _frame(ds_m, 20.0 * _shape(ds_m)) for i in range(3)}
    config = ModelConfig(name="mixed", pooled={"ramp_weeks": 0})  # no ramp curve: shape only
    prior = run_prior(config, mature)
    assert prior is not None
    ds = pd.date_range("2023-08-14", periods=20, freq="W-MON")
    own = np.linspace(2.0, 12.0, 20)  # its own slope: +0.53 a week
    young = _frame(ds, own * prior.index_for(ds))
    out = forecast_series(
        young, config, horizon=13, n_paths=4000, rng=np.random.default_rng(0),
        holiday_country=None, prior=prior,
    )  # fmt: skip
    assert out.model == "mixed(pooled)" and out.fallback_reason is None
    future = pd.date_range(ds[-1] + pd.Timedelta(weeks=1), periods=13, freq="W-MON")
    level = own[-8:].mean()  # 10.16: the last 8 weeks' deseasonalised mean
    assert level == pytest.approx(2 + 10 * 15.5 / 19)
    expected = level * prior.index_for(future)
    median = np.median(out.paths, axis=0)
    assert np.allclose(median, expected, rtol=0.04)
    slope = (own[-1] + (own[1] - own[0]) * np.arange(1, 14)) * prior.index_for(future)
    assert median[-1] < 0.7 * slope[-1]


def test_mature_series_gets_the_mature_model_itself() -> None:
    rng = np.random.default_rng(4)
    ds = pd.date_range("2020-01-06", periods=160, freq="W-MON")
    history = _frame(ds, rng.poisson(10.0, 160))
    model = _mixed().fit(history)
    assert model.branch_ == "mature" and model.label == "mixed(ets)"
    own = make_model("ets", **model_settings("ets", ModelConfig(), None)).fit(history)
    a = model.sample(8, 50, np.random.default_rng(1))
    b = own.sample(8, 50, np.random.default_rng(1))
    assert np.array_equal(a, b)


def test_a_level_shift_sends_a_mature_series_to_the_pooled_model() -> None:
    ds = pd.date_range("2020-01-06", periods=160, freq="W-MON")
    y = np.full(160, 10.0)
    y[-8:] = 16.0  # +60% for 8 weeks: 128 against 80 expected, 5.4 standard errors
    model = _mixed().fit(_frame(ds, y))
    assert model.branch_ == "shifted" and model.label == "mixed(pooled)"
    assert model.sample(4, 200, np.random.default_rng(2)).mean() == pytest.approx(16.0, rel=0.03)
    y[-8:] = 11.0  # +10%: noise, not a shift
    assert _mixed().fit(_frame(ds, y)).branch_ == "mature"
    y[-8:] = 16.0
    assert _mixed(shift_change=0.7).fit(_frame(ds, y)).branch_ == "mature"


def test_age_decides_young() -> None:
    ds = pd.date_range("2020-01-06", periods=120, freq="W-MON")
    y = np.full(120, 5.0)
    y[:30] = 0.0  # first procedure 90 weeks before the end
    assert _mixed(young_weeks=104).fit(_frame(ds, y)).branch_ == "young"
    assert _mixed(young_weeks=80).fit(_frame(ds, y)).branch_ == "mature"


def test_mixed_settings_reject_mixed_as_its_mature_model() -> None:
    with pytest.raises(ValidationError):
        ModelConfig(mixed={"mature_model": "mixed"})
    with pytest.raises(ValidationError):
        ModelConfig(mixed={"young_weeks": -1})


def test_mixed_does_not_mutate_and_is_deterministic() -> None:
    ds = pd.date_range("2022-01-03", periods=40, freq="W-MON")
    history = _frame(ds, np.random.default_rng(3).poisson(4.0, 40))
    before = history.copy()
    a = _mixed().fit(history).sample(12, 30, np.random.default_rng(9))
    b = _mixed().fit(history).sample(12, 30, np.random.default_rng(9))
    assert np.array_equal(a, b) and (a >= 0).all()
    pd.testing.assert_frame_equal(history, before)


def test_ramp_comes_from_clinics_that_opened_in_the_data_only() -> None:
    ds = pd.date_range("2020-01-06", periods=160, freq="W-MON")
    old = np.full(160, 20.0)
    sparse = np.zeros(160)
    sparse[5::4] = 1.0  # an old clinic's rare procedure: its first weeks happen to be zero
    ramp = np.minimum(np.arange(1, 101) / 20.0, 1.0)  # full size after 20 weeks
    new = np.concatenate([np.zeros(60), 10.0 * ramp])
    histories = {
        ("old", "liposuction"): _frame(ds, old),
        ("old", "other"): _frame(ds, sparse),
        ("new", "liposuction"): _frame(ds[60:], new[60:]),  # a clinic's series start when it opens
    }
    prior = network_prior(histories, min_weeks=10**6, ramp_weeks=52, ramp_level_weeks=26)
    curve = np.asarray(prior.ramp)
    # hand-checked: 4-week mean of the new clinic's ramp at each age over its mature level 10
    assert curve[0] == pytest.approx(0.05)
    assert curve[9] == pytest.approx(np.arange(7, 11).mean() / 20)
    assert curve[30] == pytest.approx(1.0)
    # without the new clinic no series shows an opening: the old sparse one does not count
    del histories[("new", "liposuction")]
    assert network_prior(histories, min_weeks=10**6, ramp_weeks=52).ramp == ()


def test_ramp_growth_is_relative_to_the_level_window_and_floored() -> None:
    prior = flat_prior()
    assert np.array_equal(prior.ramp_growth(3, 5), np.ones(5))
    curve = tuple(np.minimum(np.arange(1, 21) / 10.0, 1.0))
    from dataclasses import replace

    ramped = replace(prior, ramp=curve, ramp_floor=0.25)
    growth = ramped.ramp_growth(5, 3, window=4)  # level = mean of ages 2..5 = 0.45
    assert growth == pytest.approx(np.array([0.7, 0.8, 0.9]) / 0.45)
    assert ramped.ramp_growth(0, 3)[2] == pytest.approx(0.4 / 0.25)  # from the floor, not 0.1


def test_auto_without_a_backtest_falls_back_with_one_warning_line(caplog, tmp_path) -> None:
    config = ModelConfig(name="auto", backtest_dir=str(tmp_path / "none"))
    with caplog.at_level(logging.WARNING, logger="forecasting.models.selection"):
        first = choose_model("a|bbl", config, None, weeks=200)
        again = choose_model("b|bbl", config, None, weeks=200)
    assert first.members == again.members == ("sarimax",)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "\n" not in lines[0]
    assert "needs a backtest in" in lines[0] and "run `lymphcast backtest`" in lines[0]
    assert str(tmp_path / "none") in lines[0]
