"""Staffing: therapist hours and FTE per clinic-week from session demand paths and the roster.

For a clinic-week with session demand paths ``D``:

- ``sessions_target`` = the target quantile of ``D`` (service level, or the newsvendor quantile
  c_short / (c_short + c_idle)), rounded up to whole sessions;
- ``therapist_hours_needed`` = target x hours per session (session + turnover) / productive
  share: paid hours, since only the productive share of paid time is bookable; rounded up to
  whole schedulable blocks (``staffing.block_hours``, e.g. 4-hour shifts);
- ``fte_needed`` = hours / FTE hours; ``fte_rostered`` from therapists active that week;
  ``fte_gap`` = needed - rostered (positive: short-staffed);
- with bookable capacity ``K`` sessions (paid hours x productive share / hours per session):
  expected unmet sessions E[max(D - K, 0)] and expected idle hours E[max(K - D, 0)] x hours per
  session (bookable hours left unbooked), for the roster (``expected_unmet_sessions``,
  ``expected_idle_hours``) and for the recommendation (the same names + ``_recommended``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting import columns as C
from forecasting.config import StaffingConfig
from forecasting.errors import InputError


def check_roster(roster: pd.DataFrame, clinics: list[str]) -> None:
    """Raise InputError when a clinic with data has no therapist on the roster at all."""
    listed = {str(c) for c in roster[C.CLINIC]} if len(roster) else set()
    missing = [c for c in clinics if c not in listed]
    if missing:
        raise InputError(
            f"The roster has no therapist for clinic '{missing[0]}' (it has procedure or "
            "session data); add its therapists to the roster export (clinic_id, therapist_id, "
            "weekly_hours) and run again."
        )


def rostered_hours(roster: pd.DataFrame, clinic: str, weeks: pd.DatetimeIndex) -> np.ndarray:
    """Contracted weekly hours of the clinic's therapists active in each week.

    A therapist counts in a week when ``start_date`` is empty or before the week's end and
    ``end_date`` is empty or on/after the week's Monday.
    """
    return rostered_hours_by_clinic(roster, [clinic], weeks)[clinic]


def rostered_hours_by_clinic(
    roster: pd.DataFrame, clinics: list[str], weeks: pd.DatetimeIndex
) -> dict[str, np.ndarray]:
    """:func:`rostered_hours` of each clinic in ``clinics``, with one pass over the roster."""
    active = _active(roster, weeks)
    hours = roster[C.WEEKLY_HOURS].to_numpy(dtype=float)
    rows = roster.groupby(C.CLINIC, sort=False).indices if len(roster) else {}
    out = {}
    for clinic in clinics:
        mine = rows.get(clinic, np.zeros(0, dtype=np.intp))
        # nansum: like pandas' sum, a missing weekly_hours adds nothing
        out[clinic] = np.array([np.nansum(hours[mine][active[mine, i]]) for i in range(len(weeks))])
    return out


def _active(roster: pd.DataFrame, weeks: pd.DatetimeIndex) -> np.ndarray:
    """(therapists, weeks): True where the roster row is active in the week (start/end dates)."""
    active = np.zeros((len(roster), len(weeks)), dtype=bool)
    for i, monday in enumerate(weeks):
        sunday = monday + pd.Timedelta(days=6)
        start_ok = roster[C.START_DATE].isna() | (roster[C.START_DATE] <= sunday)
        end_ok = roster[C.END_DATE].isna() | (roster[C.END_DATE] >= monday)
        active[:, i] = (start_ok & end_ok).to_numpy(dtype=bool)
    return active


def therapist_hours(roster: pd.DataFrame, weeks: pd.DatetimeIndex) -> np.ndarray:
    """(therapists, weeks): each roster row's paid hours in each week (0 when not active, or
    when its ``weekly_hours`` is missing), as :func:`rostered_hours` counts them."""
    hours = np.nan_to_num(roster[C.WEEKLY_HOURS].to_numpy(dtype=float), nan=0.0)
    return _active(roster, weeks) * hours[:, None]


def round_to_blocks(hours: np.ndarray, block_hours: float) -> np.ndarray:
    """Hours rounded up to whole blocks (unchanged when ``block_hours`` is 0)."""
    hours = np.asarray(hours, dtype=float)
    if block_hours <= 0:
        return hours.copy()
    return np.ceil(hours / block_hours - 1e-9) * block_hours


def recommended_hours(target_sessions: np.ndarray, config: StaffingConfig) -> np.ndarray:
    """Paid hours for ``target_sessions`` sessions, rounded up to schedulable blocks."""
    paid = np.asarray(target_sessions, dtype=float) * config.hours_per_session
    return round_to_blocks(paid / config.productive_share, config.block_hours)


def expected_unmet_idle(
    paths: np.ndarray, paid_hours: np.ndarray, config: StaffingConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Per week, expected unmet sessions and expected idle (bookable, unbooked) hours of
    ``paid_hours`` against the session paths (n_paths, weeks)."""
    return _unmet_idle(np.asarray(paths, dtype=float), np.asarray(paid_hours, dtype=float), config)


def _unmet_idle(paths: np.ndarray, paid_hours: np.ndarray, config: StaffingConfig):
    capacity = paid_hours * config.productive_share / config.hours_per_session
    unmet = np.clip(paths - capacity, 0, None).mean(axis=0)
    idle = np.clip(capacity - paths, 0, None).mean(axis=0) * config.hours_per_session
    return unmet, idle


def staffing_table(
    clinic: str,
    weeks: pd.DatetimeIndex,
    paths: np.ndarray,
    hours_rostered: np.ndarray,
    config: StaffingConfig,
) -> pd.DataFrame:
    """One row per week: DESIGN.md's staffing.csv columns first, then extra columns.

    Extra columns: ``hours_rostered``, ``therapist_hours_p10``, ``therapist_hours_p90`` (paid
    hours for the 10th / 90th percentile of demand, unrounded), ``hours_unrounded`` (paid hours
    for the target before block rounding), ``expected_unmet_sessions_recommended``,
    ``expected_idle_hours_recommended``.

    Args:
        clinic: clinic id.
        weeks: Mondays of the forecast weeks (length = paths.shape[1]).
        paths: session demand sample paths (n_paths, weeks).
        hours_rostered: paid hours rostered per week.
        config: staffing settings.
    """
    paths = np.asarray(paths, dtype=float)
    hours_rostered = np.asarray(hours_rostered, dtype=float)
    paid_per_session = config.hours_per_session / config.productive_share
    # one partition for all four quantiles (the same values as four separate calls)
    q_target, p50, p10, p90 = np.quantile(paths, [config.target_quantile, 0.5, 0.1, 0.9], axis=0)
    target = np.ceil(q_target - 1e-9)
    hours_needed = recommended_hours(target, config)
    unmet, idle = _unmet_idle(paths, hours_rostered, config)
    unmet_rec, idle_rec = _unmet_idle(paths, hours_needed, config)
    return pd.DataFrame(
        {
            C.CLINIC: clinic,
            C.WEEK: weeks,
            "sessions_p50": p50,
            "sessions_target": target,
            "therapist_hours_needed": hours_needed,
            "fte_needed": hours_needed / config.fte_hours,
            "fte_rostered": hours_rostered / config.fte_hours,
            "fte_gap": (hours_needed - hours_rostered) / config.fte_hours,
            "expected_unmet_sessions": unmet,
            "expected_idle_hours": idle,
            "hours_rostered": hours_rostered,
            "therapist_hours_p10": p10 * paid_per_session,
            "therapist_hours_p90": p90 * paid_per_session,
            "hours_unrounded": target * paid_per_session,
            "expected_unmet_sessions_recommended": unmet_rec,
            "expected_idle_hours_recommended": idle_rec,
        }
    )
