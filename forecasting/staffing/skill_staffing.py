"""A week's staffing by skill: each service's hours, its therapists, the skill cover.

With MLD alone (:func:`staff_by_skill`) staffing.csv's rows are MLD's, against the therapists
who have MLD's skill, as before services existed. With several services
(:func:`staff_services`) each service's paid hours at the service level come from its own
session paths and minutes; the skill LP (:func:`forecasting.staffing.skills.cover`) covers
them from the roster; each service's expected unmet sessions and idle hours are taken against
the hours the cover leaves it (``hours_available``); today's staffing.csv columns become the
clinic's totals over the services, and per service and per skill columns follow them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting import columns as C
from forecasting.config import DEFAULT_SERVICE, Config, StaffingConfig
from forecasting.staffing.hours import expected_unmet_idle, rostered_hours_by_clinic, staffing_table
from forecasting.staffing.problems import ClinicProblem
from forecasting.staffing.skills import (
    HOURS_AVAILABLE,
    HOURS_NEEDED,
    SERVICE,
    SkillCover,
    cover,
    skilled,
)

__all__ = [
    "SERVICE_MEASURES",
    "SkillStaffing",
    "default_roster",
    "default_staffing",
    "service_staffing",
    "staff_by_skill",
    "staff_services",
]

# staffing.csv's columns per service (several services only): `<measure>:<service>`
SERVICE_MEASURES = (
    "sessions_p50", "sessions_target", "therapist_hours_needed", HOURS_AVAILABLE,
    "expected_unmet_sessions", "expected_idle_hours",
)  # fmt: skip


def service_staffing(config: Config, name: str) -> StaffingConfig:
    """``[staffing]`` with one service's session and turnover minutes (the same settings when
    the service keeps [staffing]'s)."""
    service = config.service_settings[name]
    if (service.session_minutes, service.turnover_minutes) == (
        config.staffing.session_minutes,
        config.staffing.turnover_minutes,
    ):
        return config.staffing
    return config.staffing.model_copy(
        update={
            "session_minutes": service.session_minutes,
            "turnover_minutes": service.turnover_minutes,
        }
    )


def default_staffing(config: Config) -> StaffingConfig:
    """``[staffing]`` with the default service's session and turnover minutes (the same
    settings when ``[services.mld]`` does not change them)."""
    return service_staffing(config, DEFAULT_SERVICE)


def default_roster(roster: pd.DataFrame, config: Config) -> pd.DataFrame:
    """The roster rows of therapists with the default service's skill (who give MLD)."""
    skill = str(config.service_settings[DEFAULT_SERVICE].skill)
    return skilled(roster, skill, skill)


@dataclass(frozen=True)
class SkillStaffing:
    """staffing.csv's frame with the skill columns (several services only), the cover and
    the clinics' uncovered-skill problems."""

    staffing: pd.DataFrame
    cover: SkillCover
    problems: tuple[ClinicProblem, ...]


def staff_by_skill(
    parts: list[pd.DataFrame], roster: pd.DataFrame, config: Config, weeks: pd.DatetimeIndex
) -> SkillStaffing:
    """The skill cover of a week's staffing rows (``staffing_table``'s, one part per clinic).

    The default service's hours needed are ``therapist_hours_needed``. With one service the
    rows are returned as they are; with several, ``SkillCover.wide``'s columns follow them.
    """
    staffing = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    needed = pd.DataFrame(
        {
            C.CLINIC: staffing[C.CLINIC] if len(staffing) else [],
            C.WEEK: staffing[C.WEEK] if len(staffing) else [],
            SERVICE: DEFAULT_SERVICE,
            HOURS_NEEDED: staffing["therapist_hours_needed"] if len(staffing) else [],
        }
    )
    services = config.service_settings
    chosen = cover(needed, roster, services, weeks)
    problems = tuple(chosen.problems(roster))
    if len(services) == 1 or staffing.empty:
        return SkillStaffing(staffing=staffing, cover=chosen, problems=problems)
    wide = chosen.wide()
    merged = staffing.merge(wide, on=[C.CLINIC, C.WEEK], how="left", validate="one_to_one")
    return SkillStaffing(staffing=merged, cover=chosen, problems=problems)


def staff_services(
    paths: Mapping[str, Mapping[str, np.ndarray]],
    roster: pd.DataFrame,
    config: Config,
    weeks: pd.DatetimeIndex,
) -> SkillStaffing:
    """Staffing of several services: per clinic, each service's session paths.

    Args:
        paths: per clinic, per service (every configured one), session paths (n_paths, weeks).
        roster: the processed roster (optional ``skills``); not modified.
        config: the services and ``[staffing]``.
        weeks: the forecast weeks.

    Returns:
        staffing.csv's frame: today's columns as the clinic's totals (sessions of the summed
        paths; hours needed, unmet sessions and idle hours summed over the services; every
        therapist's hours rostered), then per skill (``SkillCover.wide``), then per service
        ``<measure>:<service>`` for :data:`SERVICE_MEASURES`.
    """
    services = config.service_settings
    clinics = list(paths)
    default_skill = str(services[DEFAULT_SERVICE].skill)
    tables: dict[str, pd.DataFrame] = {}
    for name, service in services.items():
        mine = skilled(roster, str(service.skill), default_skill)
        hours = rostered_hours_by_clinic(mine, clinics, weeks)
        settings = service_staffing(config, name)
        parts = [staffing_table(c, weeks, paths[c][name], hours[c], settings) for c in clinics]
        tables[name] = pd.concat(parts, ignore_index=True)
    needed = pd.concat(
        [t[[C.CLINIC, C.WEEK, "therapist_hours_needed"]].assign(**{SERVICE: n})
         for n, t in tables.items()], ignore_index=True,
    ).rename(columns={"therapist_hours_needed": HOURS_NEEDED})  # fmt: skip
    chosen = cover(needed, roster, services, weeks)
    available = chosen.services.set_index([C.CLINIC, C.WEEK, SERVICE])[HOURS_AVAILABLE]
    for name, table in tables.items():
        keys = pd.MultiIndex.from_arrays([table[C.CLINIC], table[C.WEEK], [name] * len(table)])
        hours = available.reindex(keys).to_numpy(dtype=float)
        settings = service_staffing(config, name)
        unmet, idle = [], []
        for i, clinic in enumerate(clinics):
            rows = slice(i * len(weeks), (i + 1) * len(weeks))
            u, d = expected_unmet_idle(paths[clinic][name], hours[rows], settings)
            unmet.append(u)
            idle.append(d)
        tables[name] = table.assign(
            **{HOURS_AVAILABLE: hours, "expected_unmet_sessions": np.concatenate(unmet) if unmet
               else [], "expected_idle_hours": np.concatenate(idle) if idle else []}
        )  # fmt: skip
    total = _totals(paths, tables, roster, config, weeks)
    merged = total.merge(chosen.wide(), on=[C.CLINIC, C.WEEK], how="left", validate="one_to_one")
    for name, table in tables.items():
        for measure in SERVICE_MEASURES:
            merged[f"{measure}:{name}"] = table[measure].to_numpy(dtype=float) + 0.0  # no -0.0
    return SkillStaffing(staffing=merged, cover=chosen, problems=tuple(chosen.problems(roster)))


def _totals(
    paths: Mapping[str, Mapping[str, np.ndarray]],
    tables: Mapping[str, pd.DataFrame],
    roster: pd.DataFrame,
    config: Config,
    weeks: pd.DatetimeIndex,
) -> pd.DataFrame:
    """staffing_table's columns as the clinic's totals over the services (rows in the order
    of ``tables``' rows: clinic by clinic, week by week)."""
    clinics = list(paths)
    staffing = config.staffing
    summed = sum(t[list(_ADDED)].to_numpy(dtype=float) for t in tables.values())
    frame = pd.DataFrame(summed, columns=list(_ADDED))
    rostered = rostered_hours_by_clinic(roster, clinics, weeks)
    p50, target, p10, p90 = [], [], [], []
    for clinic in clinics:
        sessions = sum(np.asarray(p, dtype=float) for p in paths[clinic].values())
        hours = sum(
            np.asarray(paths[clinic][n], dtype=float)
            * service_staffing(config, n).hours_per_session
            / staffing.productive_share
            for n in tables
        )
        q_target, median = np.quantile(sessions, [staffing.target_quantile, 0.5], axis=0)
        p50.append(median)
        target.append(np.ceil(q_target - 1e-9))
        low, high = np.quantile(hours, [0.1, 0.9], axis=0)
        p10.append(low)
        p90.append(high)
    hours_rostered = np.concatenate([rostered[c] for c in clinics]) if clinics else np.zeros(0)
    needed = frame["therapist_hours_needed"].to_numpy()
    first = next(iter(tables.values()))
    out = pd.DataFrame(
        {
            C.CLINIC: first[C.CLINIC].to_numpy(),
            C.WEEK: first[C.WEEK].to_numpy(),
            "sessions_p50": np.concatenate(p50) if p50 else [],
            "sessions_target": np.concatenate(target) if target else [],
            "therapist_hours_needed": needed,
            "fte_needed": needed / staffing.fte_hours,
            "fte_rostered": hours_rostered / staffing.fte_hours,
            "fte_gap": (needed - hours_rostered) / staffing.fte_hours,
            "expected_unmet_sessions": frame["expected_unmet_sessions"].to_numpy(),
            "expected_idle_hours": frame["expected_idle_hours"].to_numpy(),
            "hours_rostered": hours_rostered,
            "therapist_hours_p10": np.concatenate(p10) if p10 else [],
            "therapist_hours_p90": np.concatenate(p90) if p90 else [],
            "hours_unrounded": frame["hours_unrounded"].to_numpy(),
            "expected_unmet_sessions_recommended": frame[
                "expected_unmet_sessions_recommended"
            ].to_numpy(),
            "expected_idle_hours_recommended": frame["expected_idle_hours_recommended"].to_numpy(),
        }
    )
    return out


# staffing_table's columns that add up over services
_ADDED = (
    "therapist_hours_needed", "expected_unmet_sessions", "expected_idle_hours",
    "hours_unrounded", "expected_unmet_sessions_recommended", "expected_idle_hours_recommended",
)  # fmt: skip
