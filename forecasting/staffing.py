"""Staffing: therapist hours and FTE per clinic-week from session demand paths and the roster.

For a clinic-week with session demand paths ``D``:

- ``sessions_target`` = the target quantile of ``D`` (service level, or the newsvendor quantile
  c_short / (c_short + c_idle)), rounded up to whole sessions;
- ``therapist_hours_needed`` = target x hours per session (session + turnover) / productive
  share: paid hours, since only the productive share of paid time is bookable;
- ``fte_needed`` = hours / FTE hours; ``fte_rostered`` from therapists active that week;
  ``fte_gap`` = needed - rostered (positive: short-staffed);
- with the roster's bookable capacity ``K`` sessions: ``expected_unmet_sessions`` = E[max(D - K,
  0)] and ``expected_idle_hours`` = E[max(K - D, 0)] x hours per session (bookable hours left
  unbooked).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import columns as C
from .config import StaffingConfig


def rostered_hours(roster: pd.DataFrame, clinic: str, weeks: pd.DatetimeIndex) -> np.ndarray:
    """Contracted weekly hours of the clinic's therapists active in each week.

    A therapist counts in a week when ``start_date`` is empty or before the week's end and
    ``end_date`` is empty or on/after the week's Monday.
    """
    rows = roster.loc[roster[C.CLINIC] == clinic]
    out = np.zeros(len(weeks))
    for i, monday in enumerate(weeks):
        sunday = monday + pd.Timedelta(days=6)
        start_ok = rows[C.START_DATE].isna() | (rows[C.START_DATE] <= sunday)
        end_ok = rows[C.END_DATE].isna() | (rows[C.END_DATE] >= monday)
        out[i] = rows.loc[start_ok & end_ok, C.WEEKLY_HOURS].sum()
    return out


def staffing_table(
    clinic: str,
    weeks: pd.DatetimeIndex,
    paths: np.ndarray,
    hours_rostered: np.ndarray,
    config: StaffingConfig,
) -> pd.DataFrame:
    """One row per week with the columns of DESIGN.md's staffing.csv (plus hour ranges).

    Args:
        clinic: clinic id.
        weeks: Mondays of the forecast weeks (length = paths.shape[1]).
        paths: session demand sample paths (n_paths, weeks).
        hours_rostered: paid hours rostered per week.
        config: staffing settings.
    """
    paid_per_session = config.hours_per_session / config.productive_share
    q = config.target_quantile
    target = np.ceil(np.quantile(paths, q, axis=0) - 1e-9)
    capacity = hours_rostered / paid_per_session  # sessions the roster can book
    unmet = np.clip(paths - capacity, 0, None).mean(axis=0)
    idle = np.clip(capacity - paths, 0, None).mean(axis=0) * config.hours_per_session
    hours_needed = target * paid_per_session
    frame = pd.DataFrame(
        {
            C.CLINIC: clinic,
            C.WEEK: weeks,
            "sessions_p50": np.quantile(paths, 0.5, axis=0),
            "sessions_target": target,
            "therapist_hours_needed": hours_needed,
            "fte_needed": hours_needed / config.fte_hours,
            "fte_rostered": hours_rostered / config.fte_hours,
            "fte_gap": (hours_needed - hours_rostered) / config.fte_hours,
            "expected_unmet_sessions": unmet,
            "expected_idle_hours": idle,
            "hours_rostered": hours_rostered,
            "therapist_hours_p10": np.quantile(paths, 0.1, axis=0) * paid_per_session,
            "therapist_hours_p90": np.quantile(paths, 0.9, axis=0) * paid_per_session,
        }
    )
    return frame
