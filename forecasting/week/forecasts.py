"""Procedure forecasts of one week: one series (with its fallback), one clinic's series."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from forecasting import columns as C
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
    run_prior,
)
from forecasting.series import SeriesKey, series_rng, series_uid


def is_referral(key: SeriesKey) -> bool:
    """Whether a series key is a referral type's (``(clinic, "referral:<type>")``)."""
    return key[1].startswith(C.REFERRAL_PREFIX)


def driver_types(config: Config) -> list[str]:
    """The referral types some configured service is driven by (their series are forecast)."""
    named = {d for s in config.service_settings.values() for d in s.drivers or []}
    return [r for r in C.REFERRAL_TYPES if r in named]


@dataclass(frozen=True)
class DriverPriors:
    """The network priors of a run with referral series: procedure series borrow the
    procedures' network, each referral type its own type's across the clinics (fractures
    peak in winter, sports injuries in summer: pooled, their seasons would cancel)."""

    procedures: NetworkPrior | None
    referrals: Mapping[str, NetworkPrior | None]

    def of(self, key: SeriesKey) -> NetworkPrior | None:
        return self.referrals.get(key[1]) if is_referral(key) else self.procedures


def network_priors(
    config: Config, histories: Mapping[SeriesKey, pd.DataFrame]
) -> NetworkPrior | DriverPriors | None:
    """:func:`forecasting.models.run_prior` of the run; with referral series, one prior for
    the procedure series and one per referral type (:class:`DriverPriors`)."""
    kinds = sorted({k[1] for k in histories if is_referral(k)})
    if not kinds:
        return run_prior(config.model, histories)
    procedures = {k: h for k, h in histories.items() if not is_referral(k)}
    return DriverPriors(
        run_prior(config.model, procedures),
        {
            kind: run_prior(config.model, {k: h for k, h in histories.items() if k[1] == kind})
            for kind in kinds
        },
    )


def forecast_one(
    key: SeriesKey,
    history: pd.DataFrame,
    config: Config,
    selection: Selection | None = None,
    warm_start: dict | None = None,
    prior: NetworkPrior | DriverPriors | None = None,
) -> SeriesForecast:
    """Sample paths for one procedure series with the configured model (or its fallback).

    With ``[model] name = "auto"`` or ``"ensemble"`` the model is chosen per series from the
    latest backtest (``selection``; when None, read from ``[model] backtest_dir``, once per
    process). Without a backtest ``[model] default_ranking`` is used, and ``fallback_reason``
    says so; ``SeriesForecast.selection`` records how each choice was made. ``warm_start`` is
    the series' state from an earlier run (:mod:`forecasting.models.warm_start`), or None;
    ``prior`` the run's network prior for ``pooled`` (:func:`forecasting.models.run_prior`).
    A new clinic's series (shorter than ``[model] min_clinic_weeks``) borrows that prior
    (:mod:`forecasting.models.borrowed`). A referral series (``referral:<type>``) is forecast
    the same way, with the referrals' prior of a :class:`DriverPriors`.
    """
    if isinstance(prior, DriverPriors):
        prior = prior.of(key)
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
    prior: NetworkPrior | DriverPriors | None = None,
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
