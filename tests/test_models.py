"""Tests for forecasting.models: one contract over every registered model, then specifics."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from forecasting.columns import DS, Y
from forecasting.config import ModelConfig
from forecasting.errors import ConfigError, InputError
from forecasting.models import (
    MODELS,
    ProphetModel,
    SeasonalNaive,
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
    return [pytest.mark.slow] if name == "prophet" else []


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
    pd.testing.assert_frame_equal(history, before)
    np.testing.assert_array_equal(np.random.get_state()[1], global_state)


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
def test_forecast_series_uses_prophet_on_a_long_series() -> None:
    result = forecast_series(
        _seasonal_series(),
        ModelConfig(),
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
        ModelConfig(),
        horizon=4,
        n_paths=20,
        rng=np.random.default_rng(0),
        holiday_country="US",
    )
    assert result.model == "seasonal_naive"
    assert result.fallback_reason == "prophet failed: RuntimeError: Error during optimization!"


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
    with pytest.raises(ConfigError, match="Unknown model 'arima'; choose one of prophet"):
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
