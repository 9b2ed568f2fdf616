"""Planning: next week's shift plan (and, later, scenarios and regional roll-ups)."""

from forecasting.planning.shift_model import ClinicPlan, ClinicWeek, Shift, SlotGap, Therapist
from forecasting.planning.shifts import ShiftPlan, clinic_weeks, gap_sentences, plan_shifts

__all__ = [
    "ClinicPlan",
    "ClinicWeek",
    "Shift",
    "ShiftPlan",
    "SlotGap",
    "Therapist",
    "clinic_weeks",
    "gap_sentences",
    "plan_shifts",
]
