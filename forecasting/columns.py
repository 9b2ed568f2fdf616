"""Column names and fixed vocabularies, defined once.

Every frame that crosses a module boundary uses these names (see DESIGN.md, "Processed data"
and "Weekly outputs").
"""

from __future__ import annotations

# Processed weekly frames
CLINIC = "clinic_id"
PROCEDURE = "procedure"
WEEK = "week"  # Monday of the ISO week, datetime64
COMPLETED = "completed"
SCHEDULED = "scheduled"
SESSIONS = "sessions"

# Roster
THERAPIST = "therapist_id"
WEEKLY_HOURS = "weekly_hours"
START_DATE = "start_date"
END_DATE = "end_date"
DAYS = "days"  # optional: the weekdays a therapist works, "mon;tue;thu" (absent: every day)
SKILLS = "skills"  # optional: the therapist's skills, "mld;deep_tissue" (absent: the default one)

# Long-format series (utilsforecast convention)
UID = "unique_id"
DS = "ds"
Y = "y"
CLINIC_Y = "clinic_y"  # a procedure history's clinic total of every type that week (optional)

# Forecast summary columns
SERIES = "series"
MEAN = "mean"
P10 = "p10"
P50 = "p50"
P90 = "p90"
QUANTILES = {P10: 0.1, P50: 0.5, P90: 0.9}
# forecast archive only: the factor a row's session interval was calibrated with (1.0: none)
SPREAD_FACTOR = "spread_factor"

PROCEDURE_TYPES = ("liposuction", "abdominoplasty", "bbl", "breast_reduction", "other")
# Drivers of services that procedures do not explain (``referrals_*`` exports)
REFERRAL_TYPES = ("fracture_immobilisation", "injury", "post_surgical_scar")

# Services and referrals (processed/service_sessions_weekly, processed/referrals_weekly)
SERVICE = "service"  # a configured service's name: mld, deep_tissue, ...
REFERRAL_TYPE = "referral_type"
REFERRALS = "referrals"  # referrals whose driver date had passed when the export was made

PROCEDURES_WEEKLY_COLUMNS = [CLINIC, PROCEDURE, WEEK, COMPLETED, SCHEDULED]
SESSIONS_WEEKLY_COLUMNS = [CLINIC, WEEK, SESSIONS]
SERVICE_SESSIONS_WEEKLY_COLUMNS = [CLINIC, SERVICE, WEEK, SESSIONS]
REFERRALS_WEEKLY_COLUMNS = [CLINIC, REFERRAL_TYPE, WEEK, REFERRALS, SCHEDULED]
ROSTER_COLUMNS = [CLINIC, THERAPIST, WEEKLY_HOURS, START_DATE, END_DATE]
FORECAST_COLUMNS = [CLINIC, WEEK, SERIES, MEAN, P10, P50, P90]
STAFFING_COLUMNS = [
    CLINIC,
    WEEK,
    "sessions_p50",
    "sessions_target",
    "therapist_hours_needed",
    "fte_needed",
    "fte_rostered",
    "fte_gap",
    "expected_unmet_sessions",
    "expected_idle_hours",
]


# A referral type's forecast series: its key is (clinic_id, "referral:<type>"), never a
# procedure type, so procedure and referral series share the model registry without clashing
REFERRAL_PREFIX = "referral:"


def referral_key(referral_type: str) -> str:
    """The series name of a referral type's driver series, e.g. ``referral:injury``."""
    return f"{REFERRAL_PREFIX}{referral_type}"


def referral_series(referral_type: str) -> str:
    """Name of a referral series in forecast.csv, e.g. ``referrals:injury``."""
    return f"referrals:{referral_type}"


def service_series(service: str) -> str:
    """Name of one service's session series in forecast.csv, e.g. ``sessions:deep_tissue``."""
    return f"sessions:{service}"


def procedure_series(procedure: str) -> str:
    """Name of a procedure series in forecast.csv, e.g. ``procedures:liposuction``."""
    return f"procedures:{procedure}"
