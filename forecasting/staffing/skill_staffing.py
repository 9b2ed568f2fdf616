"""A week's staffing by skill: the default service's hours, its therapists, the skill cover.

Until sessions are forecast per service, the session forecast is the default service's (MLD)
demand: staffing.csv's hours are MLD's, rostered hours count the therapists who have MLD's
skill, and the other services need no hours yet (their therapists' hours show as idle).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from forecasting import columns as C
from forecasting.config import DEFAULT_SERVICE, Config, StaffingConfig
from forecasting.staffing.problems import ClinicProblem
from forecasting.staffing.skills import HOURS_NEEDED, SERVICE, SkillCover, cover, skilled

__all__ = ["SkillStaffing", "default_roster", "default_staffing", "staff_by_skill"]


def default_staffing(config: Config) -> StaffingConfig:
    """``[staffing]`` with the default service's session and turnover minutes (the same
    settings when ``[services.mld]`` does not change them)."""
    mld = config.service_settings[DEFAULT_SERVICE]
    if (mld.session_minutes, mld.turnover_minutes) == (
        config.staffing.session_minutes,
        config.staffing.turnover_minutes,
    ):
        return config.staffing
    return config.staffing.model_copy(
        update={"session_minutes": mld.session_minutes, "turnover_minutes": mld.turnover_minutes}
    )


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
