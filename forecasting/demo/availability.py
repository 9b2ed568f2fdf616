"""The demo's availability export: part-time therapists' days and hours (no random draw)."""

from __future__ import annotations

import pandas as pd

from forecasting.columns import CLINIC, THERAPIST, WEEKLY_HOURS

# weekly hours -> (weekdays, start, end): a part-timer's usual pattern; full-timers any time
PATTERNS: dict[int, tuple[str, str, str]] = {
    16: ("tue;thu", "08:00", "16:00"),
    24: ("mon;wed;fri", "08:00", "16:00"),
    32: ("mon-thu", "08:00", "18:00"),
}
AVAILABILITY_COLUMNS = [CLINIC, THERAPIST, "weekday", "start", "end"]


def availability_frame(roster: pd.DataFrame) -> pd.DataFrame:
    """One row per part-time therapist of ``roster`` (clinic_id, therapist_id, weekly_hours):
    the weekdays and hours of their pattern (``PATTERNS``); full-timers get no row, so they
    can work any open hour. A therapist whose roster row names working ``days`` keeps those
    days (the pattern gives the hours). The same roster gives the same rows."""
    rows = []
    for r in roster.to_dict("records"):
        if int(r[WEEKLY_HOURS]) not in PATTERNS:
            continue
        weekdays, start, end = PATTERNS[int(r[WEEKLY_HOURS])]
        days = r.get("days")
        rows.append(
            (
                r[CLINIC],
                r[THERAPIST],
                days if isinstance(days, str) and days else weekdays,
                start,
                end,
            )
        )
    return pd.DataFrame(rows, columns=AVAILABILITY_COLUMNS)
