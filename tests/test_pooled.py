"""Tests of the pooled procedure model and its network prior."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.backtest.runner import _run_model
from forecasting.backtest.windows import BacktestSpec
from forecasting.config import ModelConfig
from forecasting.models import ModelChoice, build_model, forecast_series, run_prior
from forecasting.models.network import NetworkPrior, flat_prior, network_prior
from forecasting.models.pooled import PooledModel


def _shape(ds: pd.DatetimeIndex) -> np.ndarray:
    week = ds.isocalendar().week.to_numpy(dtype=float)
    return 1.0 + 0.3 * np.sin(2 * np.pi * week / 52.0)


def _series(level: float, start: str, weeks: int) -> pd.DataFrame:
    ds = pd.date_range(start, periods=weeks, freq="W-MON")
    return pd.DataFrame({"ds": ds, "y": level * _shape(ds)})


def test_network_index_recovers_the_shared_shape() -> None:
    histories = {f"c{i}": _series(10.0 * (i + 1), "2020-01-06", 208) for i in range(4)}
    prior = network_prior(histories)
    ds = pd.date_range("2024-01-01", periods=52, freq="W-MON")
    expected = _shape(ds) / _shape(ds).mean()
    assert np.allclose(prior.index_for(ds), expected, atol=0.02)


def test_young_clinic_follows_network_shape_not_its_own_slope() -> None:
    mature = {f"c{i}": _series(20.0, "2020-01-06", 208) for i in range(3)}
    prior = network_prior(mature)
    ds = pd.date_range("2023-08-14", periods=20, freq="W-MON")
    ramp = np.linspace(2.0, 12.0, 20)  # its own slope: +0.53 a week
    young = pd.DataFrame({"ds": ds, "y": ramp * prior.index_for(ds)})
    paths = (
        PooledModel(prior=prior, level_weeks=8)
        .fit(young)
        .sample(13, 4000, np.random.default_rng(0))
    )
    future = pd.date_range(ds[-1] + pd.Timedelta(weeks=1), periods=13, freq="W-MON")
    level = ramp[-8:].mean()  # hand-computed: mean of the last 8 deseasonalised weeks
    expected = level * prior.index_for(future)
    assert np.allclose(np.median(paths, axis=0), expected, rtol=0.03)
    slope_forecast = ramp[-1] + (ramp[1] - ramp[0]) * np.arange(1, 14)
    assert np.median(paths, axis=0)[-1] < 0.8 * slope_forecast[-1] * prior.index_for(future)[-1]


def test_level_shift_is_followed() -> None:
    ds = pd.date_range("2022-01-03", periods=60, freq="W-MON")
    y = np.where(np.arange(60) < 50, 10.0, 14.0)
    model = PooledModel(prior=flat_prior(), level_weeks=8).fit(pd.DataFrame({"ds": ds, "y": y}))
    paths = model.sample(4, 100, np.random.default_rng(1))
    assert paths.mean() == pytest.approx(14.0, rel=0.02)


def test_deterministic_and_does_not_mutate() -> None:
    history = _series(10.0, "2021-01-04", 120)
    history["y"] = history["y"] + np.random.default_rng(3).poisson(2.0, len(history))
    before = history.copy()
    a = PooledModel().fit(history).sample(13, 50, np.random.default_rng(7))
    b = PooledModel().fit(history).sample(13, 50, np.random.default_rng(7))
    assert np.array_equal(a, b)
    pd.testing.assert_frame_equal(history, before)
    assert a.shape == (50, 13) and (a >= 0).all()


def test_prior_is_small_and_frozen() -> None:
    prior = network_prior({})
    assert isinstance(prior, NetworkPrior) and len(prior.seasonal_index) == 53
    with pytest.raises(AttributeError):
        prior.seasonal_index = ()  # type: ignore[misc]


def test_young_clinic_continues_the_network_ramp() -> None:
    ramp = np.minimum(np.arange(1, 41) / 30.0, 1.0)  # mature after 30 weeks
    ds = pd.date_range("2020-01-06", periods=200, freq="W-MON")
    y = np.concatenate([np.zeros(20), 20.0 * ramp, np.full(140, 20.0)])
    histories = {f"c{i}": pd.DataFrame({"ds": ds, "y": y}) for i in range(3)}
    prior = network_prior(histories, min_weeks=10**6, ramp_weeks=40)  # flat season
    assert prior.ramp[9] == pytest.approx(np.arange(7, 11).mean() / 30.0)  # 4-week mean at age 9
    growth = prior.ramp_growth(9, 30)
    assert growth[0] == pytest.approx(prior.ramp[10] / prior.ramp[9])
    assert growth[-1] == pytest.approx(1.0 / prior.ramp[9])  # capped at the mature level


def test_registry_builds_pooled_with_the_run_prior_only_when_configured() -> None:
    histories = {("c", f"p{i}"): _series(10.0 * (i + 1), "2020-01-06", 208) for i in range(3)}
    assert run_prior(ModelConfig(name="prophet"), histories) is None  # an own-history model
    assert run_prior(ModelConfig(), histories) is not None  # the default, mixed, borrows one
    config = ModelConfig(name="pooled", pooled={"min_weeks": 104, "ramp_weeks": 0})
    prior = run_prior(config, histories)
    assert prior == network_prior(histories, min_weeks=104, ramp_weeks=0)
    assert "pooled" not in ModelConfig().candidates  # mixed (its mature branch too) is
    model = build_model(ModelChoice(("pooled",)), config, None, prior)
    assert isinstance(model, PooledModel) and model.prior is prior
    assert build_model(ModelChoice(("pooled",)), config, None).prior == flat_prior()


def test_forecast_series_passes_the_prior_to_pooled() -> None:
    mature = {f"c{i}": _series(20.0, "2020-01-06", 208) for i in range(3)}
    prior = network_prior(mature)
    config = ModelConfig(name="pooled", min_history_weeks=8)
    history = mature["c0"].iloc[-60:].reset_index(drop=True)

    def mean(p: NetworkPrior | None) -> np.ndarray:
        out = forecast_series(
            history, config, horizon=26, n_paths=500, rng=np.random.default_rng(1),
            holiday_country=None, prior=p,
        )  # fmt: skip
        assert out.model == "pooled"
        return out.paths.mean(axis=0)

    with_network, flat = mean(prior), mean(None)
    truth = _series(20.0, "2020-01-06", 208 + 26)["y"].to_numpy()[-26:]
    assert np.abs(with_network - truth).mean() < 0.5 * np.abs(flat - truth).mean()


def test_backtest_fits_pooled_on_the_training_window_only() -> None:
    frame = _series(20.0, "2020-01-06", 156)
    later = frame.copy()
    later.loc[130:, "y"] = 500.0  # a future the training window must not see
    train = frame.iloc[:120].reset_index(drop=True)
    spec = BacktestSpec(
        models=("pooled",), meta=(), horizon=13, folds=1, selection_folds=0, step=13, season=52,
        n_paths=200, seed=3, config=ModelConfig(min_history_weeks=8), holiday_country=None,
        regressors=(), scratch=None,
    )  # fmt: skip
    paths, _, reason = _run_model("pooled", train, frame, spec, None, np.random.default_rng(5))
    again, _, _ = _run_model("pooled", train, later, spec, None, np.random.default_rng(5))
    own = PooledModel().fit(train).sample(13, 200, np.random.default_rng(5))
    assert reason == ""
    assert np.array_equal(paths, own) and np.array_equal(again, own)


def test_sparse_series_paths_stay_bounded() -> None:
    rng = np.random.default_rng(7)
    ds = pd.date_range("2022-01-03", periods=120, freq="W-MON")
    y = (rng.random(120) < 0.15) * rng.integers(1, 4, 120)  # mostly zero weeks
    paths = (
        PooledModel()
        .fit(pd.DataFrame({"ds": ds, "y": y.astype(float)}))
        .sample(12, 2000, np.random.default_rng(0))
    )
    assert np.isfinite(paths).all()
    assert np.quantile(paths, 0.999) <= 10 * y.max()
    assert abs(paths.mean() - y[-8:].mean()) < 0.5 * y.max()
