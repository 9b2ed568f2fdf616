"""Weeks as lymphcast counts them: Monday-start ISO weeks, their labels and ranges."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

FREQ = "W-MON"  # pandas frequency of a weekly series whose ``week``/``ds`` is the Monday


def week_start(day: date | pd.Timestamp | str) -> pd.Timestamp:
    """Monday (midnight) of the ISO week that contains ``day``."""
    ts = pd.Timestamp(day).normalize()
    return ts - pd.Timedelta(days=ts.weekday())


def mondays(dates: pd.Series) -> pd.Series:
    """Monday of each date's ISO week, midnight (NaT stays NaT)."""
    return (dates - pd.to_timedelta(dates.dt.weekday, unit="D")).dt.normalize()


def iso_week_label(day: date) -> str:
    """ISO week of ``day`` as ``YYYY-Www`` (the report directory name)."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def iso_weeks(days: Any) -> np.ndarray:
    """ISO week number (1..53) of each day, as ints: ``DatetimeIndex(days).isocalendar().week``
    in plain numpy (that costs about 3 ms a call; a network prior makes one per series).

    The ISO week of a day is the week of its week's Thursday in the Thursday's year.
    """
    values = np.asarray(days)
    if values.dtype.kind != "M":  # Timestamps, dates or strings
        values = pd.DatetimeIndex(values).to_numpy()
    d = values.astype("datetime64[D]")
    monday_based = (d.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday: 3
    thursday = d - monday_based + 3
    new_year = thursday.astype("datetime64[Y]").astype("datetime64[D]")
    return ((thursday - new_year).astype(np.int64) // 7 + 1).astype(int)


def weeks_from(first: Any, periods: int) -> pd.DatetimeIndex:
    """``periods`` Mondays starting at ``first`` (a Monday)."""
    return pd.date_range(first, periods=periods, freq=FREQ)


def weeks_before(first: Any, cutoff: Any) -> pd.DatetimeIndex:
    """Mondays from ``first`` up to the week before ``cutoff`` (both Mondays)."""
    return pd.date_range(first, pd.Timestamp(cutoff) - pd.Timedelta(days=7), freq=FREQ)
