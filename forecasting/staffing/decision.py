"""The staffing decision rule: from a clinic's hours needed vs rostered, the action to take.

A clinic's ``StaffingPlan`` holds its staffing rows over the horizon with the gap (paid hours
needed minus rostered; positive: short). ``decide`` picks the action from it: no staffing rows
-> check the roster export; no week short by a whole hour -> no change; otherwise add hours in
the first short week. How the action is worded is the report's business (``report.text``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import pandas as pd

from forecasting.columns import WEEK

HOURS_ROSTERED = "hours_rostered"
HOURS_NEEDED = "therapist_hours_needed"
GAP_HOURS = "gap_hours"

# A gap that rounds to zero whole hours is no gap: nobody adds "about 0 hours". This is the
# rounding of the figures shown, not a staffing policy (that lives in StaffingConfig).
MIN_GAP_HOURS = 0.5

__all__ = [
    "GAP_HOURS",
    "HOURS_NEEDED",
    "HOURS_ROSTERED",
    "MIN_GAP_HOURS",
    "Action",
    "Decision",
    "StaffingPlan",
    "decide",
    "is_short",
]


class Action(StrEnum):
    """What a clinic should do about its roster; the values are the report's status names."""

    ADD_HOURS = "short"  # a week of the horizon is short of hours
    NO_CHANGE = "ok"  # the roster covers expected demand
    CHECK_ROSTER = "check"  # no staffing figures: the roster cannot be compared with demand


def is_short(gap_hours: float) -> bool:
    """True when a gap (needed minus rostered paid hours) is at least one whole hour."""
    return gap_hours >= MIN_GAP_HOURS


@dataclass(frozen=True)
class StaffingPlan:
    """Staffing rows of one clinic over the horizon.

    Attributes:
        rows: staffing rows sorted by week, plus ``gap_hours`` (needed minus rostered paid
            hours; positive: short).
        horizon: number of forecast weeks.
        short: the rows whose gap rounds to at least one whole hour.
    """

    rows: pd.DataFrame
    horizon: int
    short: pd.DataFrame

    @classmethod
    def of(cls, staffing: pd.DataFrame) -> StaffingPlan:
        """Plan from one clinic's staffing rows (needs ``week``, ``therapist_hours_needed``
        and ``hours_rostered``)."""
        rows = staffing.sort_values(WEEK).reset_index(drop=True)
        if rows.empty:
            return cls(rows=rows.assign(**{GAP_HOURS: []}), horizon=0, short=rows)
        rows = rows.assign(**{GAP_HOURS: rows[HOURS_NEEDED] - rows[HOURS_ROSTERED]})
        return cls(
            rows=rows,
            horizon=int(rows[WEEK].nunique()),
            short=rows[rows[GAP_HOURS] >= MIN_GAP_HOURS],
        )


@dataclass(frozen=True)
class Decision:
    """The action for one clinic and the short weeks behind it.

    Attributes:
        action: what to do.
        plan: the plan it was decided from.
        first_short: the first week short of hours (the one to add hours in), or None.
        largest_short: the week with the largest gap, or None.
    """

    action: Action
    plan: StaffingPlan
    first_short: pd.Series | None = None
    largest_short: pd.Series | None = None

    @property
    def short_weeks(self) -> int:
        return len(self.plan.short)

    @property
    def short_every_week(self) -> bool:
        """Short in every week of a horizon of more than one week."""
        return self.short_weeks == self.plan.horizon > 1


def decide(plan: StaffingPlan) -> Decision:
    """Check the roster (no staffing rows), change nothing (no short week), or add hours."""
    if plan.rows.empty:
        return Decision(Action.CHECK_ROSTER, plan)
    if plan.short.empty:
        return Decision(Action.NO_CHANGE, plan)
    return Decision(
        Action.ADD_HOURS,
        plan,
        first_short=plan.short.iloc[0],
        largest_short=plan.short.loc[plan.short[GAP_HOURS].idxmax()],
    )
