"""Procedure forecasts of one week: one series (with its fallback), one clinic's series."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import pandas as pd

from forecasting.config import Config
from forecasting.models import (
    NetworkPrior,
    Selection,
    SeriesForecast,
    borrowed_forecast,
    choose_model,
    forecast_series,
    is_young,
    load_selection,
)
from forecasting.series import SeriesKey, series_rng, series_uid


def forecast_one(
    key: SeriesKey,
    history: pd.DataFrame,
    config: Config,
    selection: Selection | None = None,
    warm_start: dict | None = None,
    prior: NetworkPrior | None = None,
) -> SeriesForecast:
    """Sample paths for one procedure series with the configured model (or its fallback).

    With ``[model] name = "auto"`` or ``"ensemble"`` the model is chosen per series from the
    latest backtest (``selection``; when None, read from ``[model] backtest_dir``, once per
    process). Without a backtest ``[model] default_ranking`` is used, and ``fallback_reason``
    says so; ``SeriesForecast.selection`` records how each choice was made. ``warm_start`` is
    the series' state from an earlier run (:mod:`forecasting.models.warm_start`), or None;
    ``prior`` the run's network prior for ``pooled`` (:func:`forecasting.models.run_prior`).
    A new clinic's series (shorter than ``[model] min_clinic_weeks``) borrows that prior
    (:mod:`forecasting.models.borrowed`).
    """
    if is_young(history, config.model):  # a new clinic: borrowed from the network
        return borrowed_forecast(
            history, config.model, horizon=config.horizon_weeks, n_paths=config.n_paths,
            rng=series_rng(config.seed, key), prior=prior,
        )  # fmt: skip
    if selection is None and config.model.name in ("auto", "ensemble"):
        selection = load_selection(config.model.backtest_dir)
    return forecast_series(
        history,
        config.model,
        horizon=config.horizon_weeks,
        n_paths=config.n_paths,
        rng=series_rng(config.seed, key),
        holiday_country=config.holiday_country,
        choice=choose_model(series_uid(key), config.model, selection, len(history)),
        warm_start=warm_start,
        prior=prior,
    )


def forecast_clinic(
    histories: Mapping[SeriesKey, pd.DataFrame],
    config: Config,
    warm_starts: Mapping[SeriesKey, dict] | None = None,
    prior: NetworkPrior | None = None,
) -> dict[SeriesKey, SeriesForecast]:
    """Forecast a group of series (the flow's unit of work is one clinic's), in key order;
    ``prior``: the run's network prior (from every clinic's histories), or None."""
    warm = warm_starts or {}
    return {
        k: forecast_one(k, histories[k], config, warm_start=warm.get(k), prior=prior)
        for k in sorted(histories)
    }


def by_clinic(keys: Iterable[SeriesKey]) -> dict[str, list[SeriesKey]]:
    """Series keys grouped per clinic, each group sorted, clinics in first-seen order."""
    out: dict[str, list[SeriesKey]] = {}
    for key in sorted(keys):
        out.setdefault(key[0], []).append(key)
    return out


Forecaster = Callable[[SeriesKey, pd.DataFrame, Config], SeriesForecast]
