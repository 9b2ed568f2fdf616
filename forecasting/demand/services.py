"""Session demand per service: each service's pathways per driver, base level and paths.

A service (``[services.<name>]``) is fed by drivers: procedure types (surgery) and referral
types (end of immobilisation, injury, a referral for scar massage). Its weekly sessions are
modelled as MLD's are (:mod:`forecasting.demand.pathways`): a base level no driver explains,
plus each driver's weekly events convolved with that (service, driver) pathway, learned from
history, pooled across clinics, with the configured pathway as the prior. Demand in a forecast
week is committed (drivers already seen: a cast removed last week), forecast-driven (each
sample path of the driver's forecast, convolved) and the base level's forecast
(:mod:`forecasting.demand.non_surgical`), with over-dispersed count noise.

The driver paths are shared: every service that a driver feeds convolves the SAME array of
sample paths, so path ``i`` of two services sees the same future surgeries and referrals (one
patient may need two services) and their sum keeps that correlation. Only the count noise is
drawn per service.

A driver with no data (no rows before the cut-off) keeps its configured pathway (the prior;
the regression has nothing to move it with) and contributes no forecast events;
:attr:`ServiceModel.note` says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting import columns as C
from forecasting.config import DEFAULT_SERVICE, Config, Pathway
from forecasting.demand.bookings import WeeklyBooks, combine_with_bookings
from forecasting.demand.history import ClinicHistory, clinic_histories
from forecasting.demand.pathways import LearnedPathways, learn_pathways
from forecasting.demand.sessions import ClinicDemand, clinic_demand

__all__ = [
    "ServiceModel",
    "booked_referral_paths",
    "driver_events",
    "modelled_services",
    "service_demand",
    "service_models",
    "service_sessions_of",
    "total_sessions",
]


def modelled_services(config: Config) -> list[str]:
    """The services whose demand this module builds: every service but MLD, and MLD too when
    it names a referral driver (MLD fed by procedures alone is built as before)."""
    out = []
    for name, service in config.service_settings.items():
        drivers = service.drivers or []
        if name != DEFAULT_SERVICE or any(d in C.REFERRAL_TYPES for d in drivers):
            out.append(name)
    return out


def driver_events(
    procedures: pd.DataFrame, referrals: pd.DataFrame, drivers: list[str]
) -> pd.DataFrame:
    """Weekly events of ``drivers`` as one frame (``clinic_id, procedure, week, completed``):
    completed procedures of the procedure types, referrals of the referral types (the column
    names of :func:`forecasting.demand.history.clinic_histories`, whatever the driver)."""
    parts = []
    kinds = [d for d in drivers if d in C.PROCEDURE_TYPES]
    if kinds and len(procedures):
        rows = procedures.loc[procedures[C.PROCEDURE].isin(kinds)]
        parts.append(rows[[C.CLINIC, C.PROCEDURE, C.WEEK, C.COMPLETED]])
    kinds = [d for d in drivers if d in C.REFERRAL_TYPES]
    if kinds and len(referrals):
        rows = referrals.loc[referrals[C.REFERRAL_TYPE].isin(kinds)]
        parts.append(
            pd.DataFrame(
                {
                    C.CLINIC: rows[C.CLINIC].astype(str),
                    C.PROCEDURE: rows[C.REFERRAL_TYPE].astype(str),
                    C.WEEK: pd.to_datetime(rows[C.WEEK]),
                    C.COMPLETED: rows[C.REFERRALS].astype(float),
                }
            )
        )
    if not parts:
        return pd.DataFrame(
            {C.CLINIC: pd.Series(dtype=str), C.PROCEDURE: pd.Series(dtype=str),
             C.WEEK: pd.Series(dtype="datetime64[ns]"), C.COMPLETED: pd.Series(dtype=float)}
        )  # fmt: skip
    frame = pd.concat(parts, ignore_index=True)
    return frame.assign(**{C.CLINIC: frame[C.CLINIC].astype(str)})


def service_sessions_of(
    name: str, sessions: pd.DataFrame, service_sessions: pd.DataFrame | None
) -> pd.DataFrame:
    """Weekly sessions (``clinic_id, week, sessions``) of one service: MLD's are
    ``sessions_weekly``; another's come from ``service_sessions_weekly`` (none without it)."""
    if name == DEFAULT_SERVICE:
        return sessions
    if service_sessions is None or service_sessions.empty:
        return pd.DataFrame(
            {C.CLINIC: pd.Series(dtype=str), C.WEEK: pd.Series(dtype="datetime64[ns]"),
             C.SESSIONS: pd.Series(dtype=float)}
        )  # fmt: skip
    rows = service_sessions.loc[service_sessions[C.SERVICE] == name]
    return rows[[C.CLINIC, C.WEEK, C.SESSIONS]].reset_index(drop=True)


def total_sessions(
    config: Config, sessions: pd.DataFrame, service_sessions: pd.DataFrame | None
) -> pd.DataFrame:
    """Weekly sessions over every configured service (``clinic_id, week, sessions``): what
    forecast.csv's ``sessions`` series forecasts. MLD alone: ``sessions`` as it is."""
    others = [n for n in config.service_settings if n != DEFAULT_SERVICE]
    if not others or service_sessions is None or service_sessions.empty:
        return sessions
    parts = [sessions[[C.CLINIC, C.WEEK, C.SESSIONS]]]
    parts += [service_sessions_of(n, sessions, service_sessions) for n in others]
    frame = pd.concat(parts, ignore_index=True)
    frame = frame.assign(**{C.CLINIC: frame[C.CLINIC].astype(str),
                            C.WEEK: pd.to_datetime(frame[C.WEEK])})  # fmt: skip
    return frame.groupby([C.CLINIC, C.WEEK], as_index=False)[C.SESSIONS].sum()


@dataclass(frozen=True, eq=False)
class ServiceModel:
    """What one service's history taught.

    Attributes:
        name: the service.
        drivers: its drivers, in configured order (the rows of ``learned.weights``).
        past: per clinic, its drivers' weekly events and the service's weekly sessions.
        learned: pathways per driver (learned, or the configured prior), clinic scales and
            the sessions' dispersion.
        pathways: the configured prior per driver.
        missing: drivers without a single event before the cut-off: they run with the prior.
    """

    name: str
    drivers: tuple[str, ...]
    past: dict[str, ClinicHistory]
    learned: LearnedPathways
    pathways: dict[str, Pathway]
    missing: tuple[str, ...]

    @property
    def note(self) -> str | None:
        """One sentence when a driver has no data (the manifest's service line says it)."""
        if not self.missing:
            return None
        named = ", ".join(self.missing)
        return (
            f"no {named} data before the cut-off: the configured pathway prior is used for "
            "it and no events of it are forecast"
        )

    def summary(self) -> str:
        """One line: sessions per driver event, learned or configured, and the note."""
        label = f"{self.name} sessions per driver event"
        if not self.drivers:
            return f"{self.name}: no drivers; its demand is its own session level"
        line = self.learned.summary(self.pathways, label=label)
        return f"{line} ({self.note})" if self.note else line


def service_models(
    config: Config,
    procedures: pd.DataFrame,
    sessions: pd.DataFrame,
    service_sessions: pd.DataFrame | None,
    referrals: pd.DataFrame,
    cutoff: pd.Timestamp,
) -> dict[str, ServiceModel]:
    """Each modelled service's (:func:`modelled_services`) histories and learned pathways.

    Args:
        config: the services, their pathway priors and ``[demand]``.
        procedures, sessions: the week's processed procedures and MLD sessions (< cutoff).
        service_sessions: sessions per service (``service_sessions_weekly``), or None.
        referrals: weekly referrals per type (``referrals_weekly``; may be empty).
        cutoff: the first forecast week.
    """
    out: dict[str, ServiceModel] = {}
    for name in modelled_services(config):
        drivers = list(config.service_settings[name].drivers or [])
        priors = config.pathways_of(name)
        events = driver_events(procedures, referrals, drivers)
        own = service_sessions_of(name, sessions, service_sessions)
        past = clinic_histories(events, own, cutoff, drivers=drivers)
        seen = set(events.loc[pd.to_datetime(events[C.WEEK]) < cutoff, C.PROCEDURE])
        learned = learn_pathways(past, priors, config.demand, drivers=drivers)
        out[name] = ServiceModel(
            name=name,
            drivers=tuple(drivers),
            past=past,
            learned=learned,
            pathways=priors,
            missing=tuple(d for d in drivers if d not in seen),
        )
    return out


def _new_clinic(drivers: int) -> ClinicHistory:
    """A clinic the service's history does not know (a clinic opened by a what-if scenario):
    one week of no events and no sessions, so its demand comes from its driver paths alone."""
    return ClinicHistory(
        weeks=pd.DatetimeIndex([pd.Timestamp(0)]),
        procedures=np.zeros((1, drivers)),
        sessions=np.zeros(1),
        first_procedure=0,
        first_session=None,
    )


def service_demand(
    model: ServiceModel,
    clinic: str,
    driver_paths: Mapping[str, np.ndarray],
    *,
    n_paths: int,
    horizon: int,
    config: Config,
    rng: np.random.Generator,
) -> ClinicDemand:
    """One clinic's demand for one service from the shared driver paths.

    Args:
        model: the service's :class:`ServiceModel`.
        clinic: the clinic.
        driver_paths: per driver (procedure type or referral type), the clinic's final-volume
            sample paths (n_paths, horizon), the same arrays for every service; a driver
            missing here has no forecast events.
        n_paths, horizon: the paths' shape.
        config: ``[demand]`` (base level model, minimum history).
        rng: the service's own count noise.
    """
    drivers = list(model.drivers)
    zeros = np.zeros((n_paths, horizon))
    paths = {d: driver_paths.get(d, zeros) for d in drivers}
    history = model.past.get(clinic)
    if history is None and any(d in driver_paths for d in drivers):
        history = _new_clinic(len(drivers))
    if history is None or (history.first_session is None and history.first_procedure is None):
        return ClinicDemand(
            committed=np.zeros(horizon),
            paths=np.zeros((n_paths, horizon)),
            non_surgical=np.zeros(horizon),
            note=f"no {model.name} sessions and no events of its drivers: no demand forecast",
        )
    return clinic_demand(
        history,
        paths if history.first_procedure is not None else {},
        model.learned.clinic_weights(clinic),
        n_paths=n_paths,
        horizon=horizon,
        dispersion=model.learned.dispersion,
        excess=model.learned.excess_variance,
        config=config.demand,
        rng=rng,
        drivers=drivers,
    )


def booked_referral_paths(
    paths: Mapping[str, np.ndarray],
    clinic: str,
    scheduled: WeeklyBooks,
    share: np.ndarray,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Referral paths of one clinic with the referrals already on the books (cast removals
    booked for a forecast week): the booked count plus the forecast thinned by the network's
    booked share of that horizon week (as scheduled procedures without ``booked_on``,
    :func:`forecasting.demand.bookings.scheduled_share`); unchanged without bookings.

    Args:
        paths: per referral series name (``referral:<type>``), forecast paths.
        scheduled: booked referrals per (clinic, ``referral:<type>``) and forecast week.
        share: per forecast week, the booked share of the final volume.
    """
    if scheduled.totals.get(clinic, 0.0) <= 0:
        return dict(paths)
    return {
        k: combine_with_bookings(v, scheduled.get(clinic, k), share, rng) for k, v in paths.items()
    }
