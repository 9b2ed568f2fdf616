"""Tests for forecasting.models: one contract over every registered model, then specifics."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import get_args

import numpy as np
import pandas as pd
import pytest

from forecasting.columns import DS, UID, Y
from forecasting.config import ModelConfig, ModelName
from forecasting.errors import ConfigError, InputError
from forecasting.models import (
    BASE_MODELS,
    MODELS,
    Ensemble,
    ModelChoice,
    ProphetModel,
    SeasonalNaive,
    Selection,
    choose_model,
    combine_paths,
    forecast_series,
    make_model,
    summarise_paths,
)


def _weekly(values: np.ndarray, start: str = "2020-01-06") -> pd.DataFrame:
    ds = pd.date_range(start, periods=len(values), freq="W-MON")
    return pd.DataFrame({DS: ds, Y: np.asarray(values, dtype=float)})


def _seasonal_series(weeks: int = 156, seed: int = 0) -> pd.DataFrame:
    """Weekly counts with a December peak and noise, starting the first Monday of 2020."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2020-01-06", periods=weeks, freq="W-MON")
    day_of_year = ds.dayofyear.to_numpy()
    peak = 20.0 * np.exp(-0.5 * ((day_of_year - 350) / 15.0) ** 2)  # mid-December
    peak += 20.0 * np.exp(-0.5 * ((day_of_year + 15) / 15.0) ** 2)  # wraps into early January
    y = np.clip(30.0 + peak + rng.normal(0.0, 2.0, weeks), 0.0, None)
    return pd.DataFrame({DS: ds, Y: y})


def _marks(name: str) -> list[pytest.MarkDecorator]:
    return [pytest.mark.slow] if name in ("prophet", "ensemble") else []  # fits Prophet


@pytest.mark.parametrize(
    "name", [pytest.param(name, marks=_marks(name)) for name in sorted(MODELS)]
)
def test_model_contract(name: str) -> None:
    history = _seasonal_series()
    before = history.copy(deep=True)
    global_state = np.random.get_state()[1].copy()

    first = make_model(name).fit(history)
    paths = first.sample(12, 200, np.random.default_rng(1))
    again = make_model(name).fit(history).sample(12, 200, np.random.default_rng(1))
    other = first.sample(12, 200, np.random.default_rng(2))

    assert paths.shape == (200, 12)
    assert paths.dtype == float
    assert np.isfinite(paths).all()
    assert (paths >= 0).all()
    np.testing.assert_array_equal(paths, again)
    assert not np.array_equal(paths, other)
    summary = summarise_paths(paths)
    assert (summary["p10"] <= summary["p50"]).all()
    assert (summary["p50"] <= summary["p90"]).all()
    assert (summary["p10"] < summary["p90"]).any()  # real uncertainty, not a point forecast
    pd.testing.assert_frame_equal(history, before)
    np.testing.assert_array_equal(np.random.get_state()[1], global_state)


def test_registry_matches_config_names() -> None:
    assert set(get_args(ModelName)) == set(BASE_MODELS)
    assert set(MODELS) == {*BASE_MODELS, "ensemble"}


@pytest.mark.parametrize("name", ["ets", "sarimax", "stl_ets", "historic_mean"])
def test_models_follow_the_level_of_a_flat_series(name: str) -> None:
    rng = np.random.default_rng(3)
    history = _weekly(20.0 + rng.normal(0, 2.0, 160))
    paths = make_model(name).fit(history).sample(8, 400, np.random.default_rng(0))
    assert abs(paths.mean() - 20.0) < 2.5


def test_naive_and_drift_points() -> None:
    history = _weekly(np.arange(10, 30, dtype=float))  # +1 a week, no noise
    naive = make_model("naive").fit(history).sample(5, 50, np.random.default_rng(0))
    drift = make_model("drift").fit(history).sample(5, 50, np.random.default_rng(0))
    np.testing.assert_allclose(naive, 29.0)  # centred differences are all 0
    np.testing.assert_allclose(drift, np.tile(np.arange(30.0, 35.0), (50, 1)))


def test_sarimax_warm_start_reaches_the_same_fit() -> None:
    history = _seasonal_series(weeks=150)
    cold = make_model("sarimax").fit(history)
    earlier = make_model("sarimax").fit(history.iloc[:-13])
    warm = make_model("sarimax").fit(history, warm_start=earlier)
    assert warm.result_.llf == pytest.approx(cold.result_.llf, abs=0.05)


@pytest.mark.slow
def test_prophet_recovers_december_peak() -> None:
    history = _seasonal_series(weeks=208)
    model = ProphetModel().fit(history)
    paths = model.sample(52, 300, np.random.default_rng(0))
    future = pd.date_range(history[DS].iloc[-1] + pd.Timedelta(weeks=1), periods=52, freq="W-MON")
    mean = paths.mean(axis=0)
    december = mean[(future.month == 12) & (future.day < 25)].mean()
    august = mean[future.month == 8].mean()
    assert december > august + 10.0


@pytest.mark.slow
def test_prophet_regressor_with_future_values_and_warm_start() -> None:
    history = _seasonal_series(weeks=130)
    closed = np.zeros(len(history) + 8)
    closed[np.arange(5, len(closed), 9)] = 1.0  # the clinic is shut one week in nine
    history = history.assign(closed=closed[: len(history)])
    history[Y] = history[Y] * (1 - 0.8 * history["closed"])
    future = pd.DataFrame(
        {
            DS: pd.date_range(history[DS].iloc[0], periods=len(closed), freq="W-MON"),
            "closed": closed,
        }
    )
    model = ProphetModel(regressors=["closed"], future_regressors=future).fit(history)
    mean = model.sample(8, 300, np.random.default_rng(0)).mean(axis=0)
    shut = closed[len(history) :] == 1
    assert mean[shut].max() < 0.5 * mean[~shut].min()

    warm = ProphetModel(regressors=["closed"], future_regressors=future)
    warm.fit(history.iloc[:-4], warm_start=model)
    assert warm.warm_started_
    with pytest.raises(InputError, match="no future value for the week"):
        model.sample(20, 10, np.random.default_rng(0))
    with pytest.raises(InputError, match="'closed' is not a column"):
        ProphetModel(regressors=["closed"]).fit(history.drop(columns="closed"))


@pytest.mark.slow
def test_forecast_series_uses_prophet_on_a_long_series() -> None:
    result = forecast_series(
        _seasonal_series(),
        ModelConfig(name="prophet"),
        horizon=8,
        n_paths=100,
        rng=np.random.default_rng(0),
        holiday_country="US",
    )
    assert result.model == "prophet"
    assert result.fallback_reason is None
    assert result.paths.shape == (100, 8)
    assert result.fit_seconds > 0


def test_short_series_falls_back_with_reason() -> None:
    history = _weekly(np.arange(20) % 7 + 3.0)
    result = forecast_series(
        history,
        ModelConfig(name="prophet", min_history_weeks=52),
        horizon=6,
        n_paths=50,
        rng=np.random.default_rng(0),
        holiday_country="US",
    )
    assert result.model == "seasonal_naive"
    assert result.fallback_reason == "only 20 weeks of history (< 52)"
    assert result.paths.shape == (50, 6)
    assert (result.paths >= 0).all()


def test_a_baseline_is_never_too_short() -> None:
    history = _weekly(np.arange(20) % 7 + 3.0)
    result = forecast_series(
        history,
        ModelConfig(name="historic_mean"),
        horizon=4,
        n_paths=20,
        rng=np.random.default_rng(0),
        holiday_country=None,
    )
    assert (result.model, result.fallback_reason) == ("historic_mean", None)


def test_mostly_zero_series_falls_back() -> None:
    values = np.zeros(104)
    values[[10, 50, 90]] = 1.0
    result = forecast_series(
        _weekly(values),
        ModelConfig(),
        horizon=4,
        n_paths=20,
        rng=np.random.default_rng(0),
        holiday_country=None,
    )
    assert result.model == "seasonal_naive"
    assert result.fallback_reason == "only 3 non-zero weeks (< 5)"


def test_model_failure_falls_back_and_records_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_fit(self: ProphetModel, history: pd.DataFrame) -> ProphetModel:
        raise RuntimeError("Error during optimization!")

    monkeypatch.setattr(ProphetModel, "fit", broken_fit)
    result = forecast_series(
        _seasonal_series(),
        ModelConfig(name="prophet"),
        horizon=4,
        n_paths=20,
        rng=np.random.default_rng(0),
        holiday_country="US",
    )
    assert result.model == "seasonal_naive"
    assert result.fallback_reason == "prophet failed: RuntimeError: Error during optimization!"


def test_multiplicative_ets_on_zeros_falls_back_visibly() -> None:
    values = np.r_[np.zeros(3), np.full(60, 5.0) + np.arange(60) % 3]
    config = ModelConfig.model_validate({"name": "ets", "ets": {"error": "mul"}})
    result = forecast_series(
        _weekly(values),
        config,
        horizon=4,
        n_paths=20,
        rng=np.random.default_rng(0),
        holiday_country=None,
    )
    assert result.model == "seasonal_naive"
    assert "multiplicative-error ETS needs every weekly value > 0" in result.fallback_reason


def test_empty_history_gives_zero_paths() -> None:
    empty = pd.DataFrame({DS: pd.Series([], dtype="datetime64[ns]"), Y: pd.Series([], dtype=float)})
    result = forecast_series(
        empty,
        ModelConfig(),
        horizon=3,
        n_paths=5,
        rng=np.random.default_rng(0),
        holiday_country="US",
    )
    assert result.fallback_reason == "no history"
    np.testing.assert_array_equal(result.paths, np.zeros((5, 3)))


@pytest.mark.parametrize(("horizon", "n_paths"), [(0, 10), (4, 0)])
def test_forecast_series_rejects_bad_sizes(horizon: int, n_paths: int) -> None:
    with pytest.raises(ConfigError):
        forecast_series(
            _weekly(np.ones(60)),
            ModelConfig(),
            horizon=horizon,
            n_paths=n_paths,
            rng=np.random.default_rng(0),
            holiday_country=None,
        )


def test_gappy_history_is_refused() -> None:
    history = _weekly(np.ones(10)).drop(index=4)
    with pytest.raises(InputError, match="no gaps"):
        SeasonalNaive().fit(history)


def test_unknown_model_name() -> None:
    with pytest.raises(ConfigError, match="Unknown model 'arima'; choose one of drift, ensemble"):
        make_model("arima")


def test_unknown_holiday_country() -> None:
    with pytest.raises(ConfigError, match="holiday country 'XX'"):
        ProphetModel(holiday_country="XX").fit(_seasonal_series(weeks=60))


def test_seasonal_naive_repeats_last_season_when_series_is_periodic() -> None:
    season = np.arange(52, dtype=float)
    paths = SeasonalNaive().fit(_weekly(np.tile(season, 3))).sample(60, 4, np.random.default_rng(0))
    np.testing.assert_array_equal(paths, np.tile(np.r_[season, season[:8]], (4, 1)))


def test_seasonal_naive_with_one_week_repeats_it() -> None:
    model = SeasonalNaive().fit(_weekly([7.0]))
    assert model.method_ == "naive"
    np.testing.assert_array_equal(
        model.sample(3, 2, np.random.default_rng(0)), np.full((2, 3), 7.0)
    )


def test_summarise_paths() -> None:
    paths = np.arange(10, dtype=float)[:, None] * np.ones((1, 3))
    summary = summarise_paths(paths)
    assert set(summary) == {"mean", "p10", "p50", "p90"}
    np.testing.assert_allclose(summary["mean"], 4.5)
    np.testing.assert_allclose(summary["p10"], 0.9)
    np.testing.assert_allclose(summary["p90"], 8.1)


# --------------------------------------------------------------------------- ensembles


def test_weighted_combination_is_a_mixture_by_weight() -> None:
    low, high = np.full((100, 3), 1.0), np.full((100, 3), 10.0)
    paths = combine_paths([low, high], [3.0, 1.0], "weighted", np.random.default_rng(0))
    assert paths.shape == (100, 3)
    assert (paths[:, 0] == 1.0).sum() == 75
    np.testing.assert_allclose(paths.mean(axis=0), 0.75 * 1 + 0.25 * 10)


def test_median_combination_centres_on_the_median_member() -> None:
    rng = np.random.default_rng(1)
    members = [m + rng.normal(0, 1, (300, 4)) for m in (5.0, 6.0, 50.0)]
    paths = combine_paths(members, None, "median", np.random.default_rng(0))
    centre = np.median([m.mean(axis=0) for m in members], axis=0)
    np.testing.assert_allclose(paths.mean(axis=0), centre, atol=0.25)
    assert paths.std() < 2.0  # the outlying member moves neither centre nor spread


def test_bad_ensemble_weights() -> None:
    with pytest.raises(ValueError, match="positive numbers"):
        combine_paths([np.ones((4, 2))] * 2, [1.0, -1.0], "weighted", np.random.default_rng(0))


def test_ensemble_drops_a_failing_member_and_says_so() -> None:
    history = _weekly(20.0 + np.random.default_rng(0).normal(0, 2.0, 70))  # < 2 years: no STL
    config = ModelConfig(name="ensemble", min_history_weeks=52)
    choice = ModelChoice(("stl_ets", "ets", "seasonal_naive"), (1.0, 2.0, 1.0), "from a test")
    result = forecast_series(
        history,
        config,
        horizon=4,
        n_paths=60,
        rng=np.random.default_rng(0),
        holiday_country=None,
        choice=choice,
    )
    assert result.model == "ensemble(ets+seasonal_naive)"
    assert result.selection == "from a test"
    assert result.fallback_reason.startswith(
        "ensemble dropped stl_ets (ValueError: STL needs two seasons"
    )
    assert isinstance(make_model("ensemble"), Ensemble)


def test_ensemble_takes_instances_and_fits_fresh_copies() -> None:
    naive, drift = make_model("naive"), make_model("drift")
    ensemble = Ensemble([("naive", naive), ("drift", drift)], combine="median")
    first = ensemble.fit(_weekly(np.arange(30.0))).sample(4, 50, np.random.default_rng(0))
    kept = [m for _, m, _ in ensemble.fitted_]
    ensemble.fit(_weekly(np.full(30, 5.0)))
    assert not hasattr(naive, "_last") and not hasattr(drift, "_last")  # members stay unfitted
    assert all(a is not b for a, (_, b, _) in zip(kept, ensemble.fitted_, strict=True))
    assert first.mean() > 25 and ensemble.sample(4, 50, np.random.default_rng(0)).max() < 10
    assert ensemble.label == "ensemble(naive+drift)"
    with pytest.raises(ConfigError, match="not 'ensemble'"):
        make_model("ensemble", members=("ets", "ensemble"))


# --------------------------------------------------------------------------- selection


def _selection() -> Selection:
    by_series = pd.DataFrame(
        {
            UID: ["a|bbl"] * 3,
            "model": ["ets", "prophet", "historic_mean"],
            "mase": [0.5, 0.9, 1.2],
            "windows": [8, 8, 8],
        }
    )
    overall = pd.DataFrame({"model": ["prophet", "historic_mean", "ets"], "mase": [0.8, 0.9, 1.0]})
    return Selection(source=Path("bt"), by_series=by_series, overall=overall)


def test_auto_pools_the_series_with_all_series() -> None:
    # ets: (8 * 0.5 + 4 * 1.0) / 12 = 0.667; prophet (8 * 0.9 + 4 * 0.8) / 12 = 0.867
    choice = choose_model("a|bbl", ModelConfig(name="auto"), _selection(), weeks=200)
    assert choice.members == ("ets",)
    assert "ets 0.67" in choice.note and choice.degraded is None
    other = choose_model("b|bbl", ModelConfig(name="auto"), _selection(), weeks=200)
    assert other.members == ("prophet",)  # not backtested: the all-series ranking
    assert "series not backtested" in other.note


def test_auto_without_own_weight_follows_the_series() -> None:
    config = ModelConfig(name="auto", selection_prior_windows=1000)
    assert choose_model("a|bbl", config, _selection(), weeks=200).members == ("prophet",)


def test_ensemble_weights_are_inverse_scores() -> None:
    config = ModelConfig(name="ensemble", ensemble_size=2, selection_prior_windows=0)
    choice = choose_model("a|bbl", config, _selection(), weeks=200)
    assert choice.members == ("ets", "prophet")
    assert choice.weights == pytest.approx((2.0, 1 / 0.9))


def test_short_series_may_only_choose_baselines() -> None:
    choice = choose_model("a|bbl", ModelConfig(name="auto"), _selection(), weeks=20)
    assert choice.members == ("historic_mean",)
    assert "baselines only: 20 weeks of history" in choice.note


def test_no_backtest_uses_the_default_and_records_it() -> None:
    choice = choose_model("a|bbl", ModelConfig(name="auto"), None, weeks=200)
    assert choice.members == ("sarimax",)
    assert choice.degraded.startswith("no backtest in data/processed/backtest")


_QUIET_SCRIPT = textwrap.dedent(
    """
    import logging, sys
    import numpy as np, pandas as pd
    if sys.argv[1] == "root-info":
        logging.basicConfig(level=logging.INFO)
    from forecasting.models import ProphetModel
    ds = pd.date_range("2020-01-06", periods=208, freq="W-MON")
    y = 30 + 10 * np.sin(np.arange(208) / 52.18 * 2 * np.pi)
    ProphetModel().fit(pd.DataFrame({"ds": ds, "y": y})).sample(12, 500, np.random.default_rng(0))
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("logging_setup", ["none", "root-info"])
def test_prophet_is_quiet(logging_setup: str, capfd: pytest.CaptureFixture[str]) -> None:
    # A fresh interpreter: pytest's own log capture would hide cmdstanpy's console handler.
    subprocess.run([sys.executable, "-c", _QUIET_SCRIPT, logging_setup], check=True)
    out, err = capfd.readouterr()
    assert "cmdstanpy" not in out + err
    assert "INFO" not in out + err
    assert out + err == ""
