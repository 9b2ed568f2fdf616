"""Warm starts between weekly runs, and Prophet's per-process design-matrix cache."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from forecasting.columns import DS, Y
from forecasting.config import Config
from forecasting.models import SeriesForecast, forecast_series
from forecasting.models import prophet as prophet_module
from forecasting.models.warm_start import load_warm_starts, save_warm_starts, warm_start_path

KEY = ("northgate", "liposuction")


def _history(weeks: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(weeks)
    rate = 12 + 4 * np.cos(2 * np.pi * (t - 48) / 52.18) + 0.02 * t
    return pd.DataFrame(
        {DS: pd.date_range("2021-01-04", periods=weeks, freq="W-MON"), Y: rng.poisson(rate)}
    )


def _prophet(config: Config, **changes) -> Config:
    prophet = config.model.prophet.model_copy(update=changes)
    return config.model_copy(update={"model": config.model.model_copy(update={"prophet": prophet})})


def _forecast(state: dict | None) -> SeriesForecast:
    return SeriesForecast(np.zeros((2, 3)), "prophet", None, 0.1, warm_state=state)


def test_states_are_used_only_by_a_later_cut_off_with_the_same_settings(tmp_path) -> None:
    config = Config()
    week = pd.Timestamp("2025-06-02")
    state = {"model": "prophet", "params": {"k": 0.1}}
    save_warm_starts(tmp_path, week, config, {KEY: _forecast(state), ("x", "bbl"): _forecast(None)})
    assert load_warm_starts(tmp_path, week + pd.Timedelta(weeks=1), config) == {KEY: state}
    # the same week (a re-run) or an earlier one (a replay) fits cold
    assert load_warm_starts(tmp_path, week, config) == {}
    assert load_warm_starts(tmp_path, week - pd.Timedelta(weeks=3), config) == {}
    # other Prophet settings or warm starts switched off: cold
    other = _prophet(config, changepoint_prior_scale=0.5)
    assert load_warm_starts(tmp_path, week + pd.Timedelta(weeks=1), other) == {}
    off = _prophet(config, warm_start=False)
    assert load_warm_starts(tmp_path, week + pd.Timedelta(weeks=1), off) == {}
    assert save_warm_starts(tmp_path, week, off, {KEY: _forecast(state)}) is None

    # a replay of an earlier week keeps the newer file
    save_warm_starts(tmp_path, week - pd.Timedelta(weeks=3), config, {})
    stored = json.loads(warm_start_path(tmp_path).read_text())
    assert stored["first_forecast_week"] == "2025-06-02" and list(stored["series"]) == [
        "northgate|liposuction"
    ]


def test_an_unreadable_state_file_means_cold_fits_not_a_failure(tmp_path, caplog) -> None:
    path = warm_start_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    week = pd.Timestamp("2025-06-02")
    assert load_warm_starts(tmp_path, week, Config()) == {}
    assert "start cold" in caplog.text
    save_warm_starts(tmp_path, week, Config(), {KEY: _forecast({"model": "prophet"})})
    assert json.loads(path.read_text())["series"] == {"northgate|liposuction": {"model": "prophet"}}


@pytest.mark.slow
def test_a_warm_started_fit_reaches_the_cold_fit() -> None:
    config = Config(model={"name": "prophet"})
    settings = {
        "horizon": 8,
        "n_paths": 400,
        "holiday_country": "US",
    }
    history = _history(200)
    last_week = forecast_series(
        history.iloc[:-1], config.model, rng=np.random.default_rng(1), **settings
    )
    assert last_week.warm_state is not None and not last_week.warm_started
    json.dumps(last_week.warm_state)  # plain data, stored as JSON between runs

    cold = forecast_series(history, config.model, rng=np.random.default_rng(2), **settings)
    warm = forecast_series(
        history,
        config.model,
        rng=np.random.default_rng(2),
        warm_start=last_week.warm_state,
        **settings,
    )
    assert warm.warm_started and warm.model == "prophet"
    # Near the same optimum: L-BFGS stops within its tolerance a little earlier from a warm
    # start (here the medians differ by up to 6% of the p10-p90 spread), well inside the
    # forecast's own uncertainty.
    spread = np.quantile(cold.paths, 0.9, axis=0) - np.quantile(cold.paths, 0.1, axis=0)
    gap = np.abs(np.median(warm.paths, axis=0) - np.median(cold.paths, axis=0))
    assert (gap < 0.15 * spread).all(), (gap, spread)

    # a state of another model, or a corrupt one, is ignored: a cold fit, no failure
    other = forecast_series(
        history,
        config.model,
        rng=np.random.default_rng(2),
        warm_start={"model": "sarimax", "params": last_week.warm_state["params"]},
        **settings,
    )
    broken = forecast_series(
        history,
        config.model,
        rng=np.random.default_rng(2),
        warm_start={"model": "prophet", "params": {"k": "x"}},
        **settings,
    )
    for result in (other, broken):
        assert not result.warm_started and result.fallback_reason is None
        np.testing.assert_array_equal(result.paths, cold.paths)


@pytest.mark.slow
def test_prophet_design_matrix_cache_changes_no_number(monkeypatch) -> None:
    config = Config(model={"name": "prophet"})
    settings = {"horizon": 6, "n_paths": 200, "holiday_country": "US"}
    histories = [_history(180, seed) for seed in range(3)]

    def run() -> list[np.ndarray]:
        return [
            forecast_series(h, config.model, rng=np.random.default_rng(i), **settings).paths
            for i, h in enumerate(histories)
        ]

    monkeypatch.setattr(prophet_module, "_FEATURE_CACHE_SIZE", 0)
    prophet_module._FEATURE_CACHE.clear()
    uncached = run()
    assert not prophet_module._FEATURE_CACHE
    monkeypatch.setattr(prophet_module, "_FEATURE_CACHE_SIZE", 64)
    cached = run()
    assert len(prophet_module._FEATURE_CACHE) == 2  # one history calendar, one future one
    again = run()  # every design matrix from the cache
    for a, b, c in zip(uncached, cached, again, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


@pytest.mark.slow
def test_next_weeks_run_starts_from_this_weeks_fits(
    demo_exports, tmp_path, prefect_harness
) -> None:
    from datetime import date

    from flows.weekly import weekly_staffing

    demo_exports(tmp_path / "raw", clinics=2, years=3, seed=5, end=date(2025, 7, 1))
    (tmp_path / "lymphcast.toml").write_text(  # no task cache: every run really fits
        "n_paths = 100\nhorizon_weeks = 4\n[orchestration]\ncache = false\n"
        '[model]\nname = "prophet"\n'  # warm starts are Prophet's (the default is mixed)
    )
    dirs = {name: str(tmp_path / name) for name in ("raw", "processed", "reports")}
    config_path = str(tmp_path / "lymphcast.toml")

    def models(as_of: date) -> pd.DataFrame:
        weekly_staffing(as_of=as_of, config_path=config_path, **dirs)
        manifest = json.loads(
            (tmp_path / "reports" / _week(as_of) / "run_manifest.json").read_text()
        )
        return pd.DataFrame(manifest["models"])

    def forecast(as_of: date) -> bytes:
        return (tmp_path / "reports" / _week(as_of) / "forecast.csv").read_bytes()

    first = models(date(2025, 6, 2))
    cold = forecast(date(2025, 6, 2))
    prophet_fits = first["model"] == "prophet"
    assert prophet_fits.sum() >= 5 and not first["warm_started"].any()
    stored = json.loads(warm_start_path(tmp_path / "processed").read_text())
    assert stored["first_forecast_week"] == "2025-06-02"
    assert len(stored["series"]) == prophet_fits.sum()

    second = models(date(2025, 6, 9))
    assert second.loc[second["model"] == "prophet", "warm_started"].all()
    # a replay of the first week does not start from the later fits: the same forecast
    replay = models(date(2025, 6, 2))
    assert not replay["warm_started"].any()
    assert forecast(date(2025, 6, 2)) == cold


def _week(day) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"
