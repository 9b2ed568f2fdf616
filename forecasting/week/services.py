"""The week's demand per service: one clinic's driver paths, shared by every service it feeds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from forecasting import columns as C
from forecasting.config import Config
from forecasting.demand.bookings import WeeklyBooks, scheduled_share
from forecasting.demand.calibration import Calibration, rescale_paths
from forecasting.demand.services import booked_referral_paths, service_demand, service_models
from forecasting.demand.sessions import ClinicDemand
from forecasting.models import SeriesForecast
from forecasting.series import SeriesKey, series_rng
from forecasting.week.forecasts import is_referral
from forecasting.week.inputs import SCHEDULED_REFERRALS_COLUMNS, WeeklyInputs
from forecasting.week.results import DemandContext

__all__ = ["ClinicServices", "clinic_services", "referral_share", "service_context", "several"]


def several(config: Config, context: DemandContext) -> bool:
    """Whether demand is built per service: several services, or MLD fed by referrals."""
    return len(config.service_settings) > 1 or bool(context.services)


def service_context(inputs: WeeklyInputs, config: Config, weeks: pd.DatetimeIndex) -> dict:
    """The ``services`` and ``scheduled_referrals`` fields of the week's DemandContext."""
    models = service_models(
        config, inputs.procedures, inputs.sessions, inputs.service_sessions, inputs.referrals,
        inputs.cutoff_week,
    )  # fmt: skip
    if not models:
        return {"services": {}, "scheduled_referrals": None}
    booked = inputs.scheduled_referrals[SCHEDULED_REFERRALS_COLUMNS]
    frame = booked.rename(columns={C.REFERRAL_TYPE: C.PROCEDURE}).assign(
        **{C.PROCEDURE: lambda f: C.REFERRAL_PREFIX + f[C.PROCEDURE].astype(str),
           C.CLINIC: lambda f: f[C.CLINIC].astype(str),
           C.WEEK: lambda f: pd.to_datetime(f[C.WEEK]),
           C.SCHEDULED: lambda f: f[C.SCHEDULED].astype(float)}
    )  # fmt: skip
    return {"services": models, "scheduled_referrals": WeeklyBooks.of(frame, C.SCHEDULED, weeks)}


def referral_share(
    context: DemandContext, forecasts: Mapping[SeriesKey, SeriesForecast]
) -> np.ndarray | None:
    """The network's booked share of the referral series per forecast week (None: no
    referrals are on the books)."""
    books = context.scheduled_referrals
    if books is None or not books.counts:
        return None
    means = {k: f.paths.mean(axis=0) for k, f in forecasts.items() if is_referral(k)}
    return scheduled_share(books, means)


@dataclass(frozen=True)
class ClinicServices:
    """One clinic's demand per service and the referral paths that fed it.

    Attributes:
        demands: per configured service (MLD first), its demand (calibrated when asked).
        referrals: per referral type, the clinic's final-volume paths (forecast plus the
            referrals on the books).
    """

    demands: dict[str, ClinicDemand]
    referrals: dict[str, np.ndarray]

    @property
    def paths(self) -> np.ndarray:
        """The summed session paths over the services (path by path)."""
        return np.sum([d.paths for d in self.demands.values()], axis=0)


def clinic_services(
    clinic: str,
    procedure_paths: Mapping[str, np.ndarray],
    referral_forecasts: Mapping[SeriesKey, SeriesForecast],
    mld: ClinicDemand,
    context: DemandContext,
    config: Config,
    share: np.ndarray | None,
    calibration: Calibration | None,
) -> ClinicServices:
    """Every service's demand at one clinic from the SAME driver paths.

    Args:
        clinic: the clinic.
        procedure_paths: per procedure type, final-volume paths (after bookings): the arrays
            MLD's demand was built from.
        referral_forecasts: the clinic's referral series forecasts (``referral:<type>``).
        mld: MLD's demand built from procedures as before (used unless MLD is a modelled
            service, i.e. fed by referrals too); not yet calibrated.
        context: the week's DemandContext (its ``services``, ``scheduled_referrals``).
        share: :func:`referral_share`.
        calibration: rescales every service's paths around their median, or None.
    """
    raw = {k[1]: f.paths for k, f in sorted(referral_forecasts.items())}
    books = context.scheduled_referrals
    if books is not None and share is not None:
        rng = series_rng(config.seed, (clinic, "referral-bookings"))
        raw = booked_referral_paths(raw, clinic, books, share, rng)
    referrals = {k.removeprefix(C.REFERRAL_PREFIX): v for k, v in raw.items()}
    drivers = {**procedure_paths, **referrals}  # one array per driver, shared by the services
    demands: dict[str, ClinicDemand] = {}
    for name in config.service_settings:
        model = context.services.get(name)
        if model is None:  # MLD from procedures, as before
            demand = mld
        else:
            rng = series_rng(config.seed, (clinic, C.service_series(name)))
            demand = service_demand(
                model, clinic, drivers, n_paths=config.n_paths, horizon=config.horizon_weeks,
                config=config, rng=rng,
            )  # fmt: skip
        if calibration is not None:
            demand = replace(demand, paths=rescale_paths(demand.paths, calibration, clinic))
        demands[name] = demand
    return ClinicServices(demands=demands, referrals=referrals)
