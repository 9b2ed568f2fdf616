"""Staffing: therapist hours per clinic-week from session demand, and the action they call for."""

from forecasting.staffing.decision import (
    GAP_HOURS,
    HOURS_NEEDED,
    HOURS_ROSTERED,
    MIN_GAP_HOURS,
    Action,
    Decision,
    StaffingPlan,
    decide,
    is_short,
)
from forecasting.staffing.hours import (
    check_roster,
    recommended_hours,
    rostered_hours,
    rostered_hours_by_clinic,
    round_to_blocks,
    staffing_table,
)

__all__ = [
    "GAP_HOURS",
    "HOURS_NEEDED",
    "HOURS_ROSTERED",
    "MIN_GAP_HOURS",
    "Action",
    "Decision",
    "StaffingPlan",
    "check_roster",
    "decide",
    "is_short",
    "recommended_hours",
    "rostered_hours",
    "rostered_hours_by_clinic",
    "round_to_blocks",
    "staffing_table",
]
