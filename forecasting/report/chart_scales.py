"""Chart scales: weeks as day numbers, matplotlib's 5% margins and the ticks it would pick."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

__all__ = ["date_ticks", "days", "floats", "margins", "week_ticks", "y_ticks"]

_MAX_DATE_TICKS = 6
# Month labels spelled out here, not via strftime, so the process locale cannot change them.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_STEPS = (1, 2, 3, 4, 6, 12, 24, 60, 120)
_MINUS = "\N{MINUS SIGN}"


def days(weeks: pd.Series | Sequence[date]) -> np.ndarray:
    """Weeks as matplotlib day numbers (whatever the pandas time unit)."""
    return mdates.date2num(pd.DatetimeIndex(pd.to_datetime(list(weeks))).as_unit("s").to_numpy())


def floats(values: pd.Series) -> np.ndarray:
    return values.astype(float).to_numpy()


def margins(lo: float, hi: float) -> tuple[float, float]:
    """matplotlib's default 5% margins on each side (and a unit range around a single value)."""
    if hi == lo:
        return (lo - 1.0, hi + 1.0) if lo == 0 else (lo - abs(lo) * 0.05, hi + abs(hi) * 0.05)
    pad = 0.05 * (hi - lo)
    return lo - pad, hi + pad


def y_ticks(
    lo: float, hi: float, height_in: float, label_pt: float
) -> tuple[list[float], list[str]]:
    """Tick values in [lo, hi] as matplotlib's default locator picks them for an axis
    ``height_in`` tall with labels of ``label_pt`` points, with labels of one number of
    decimals (``0.0, 2.5, 5.0``)."""
    nbins = int(np.clip(math.floor(height_in * 72 / (2 * label_pt)), 1, 9))
    locator = MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10])
    span = hi - lo
    inside = [v for v in locator.tick_values(lo, hi) if lo - 1e-9 * span <= v <= hi + 1e-9 * span]
    ticks = [float(v) for v in inside]
    decimals = 0
    for v in ticks:
        while decimals < 6 and abs(round(v, decimals) - v) > 1e-9 * max(1.0, abs(v)):
            decimals += 1
    labels = []
    for v in ticks:
        text = f"{v:.{decimals}f}"
        if float(text) == 0:
            text = text.lstrip("-")
        labels.append(text.replace("-", _MINUS))
    return ticks, labels


def date_ticks(lo: float, hi: float) -> tuple[list[float], list[str]]:
    """Ticks on month starts (every k-th month, at most six), labelled ``Jul`` or, in January,
    with the year; one tick per week when the window holds fewer than two month starts."""
    first = mdates.num2date(lo).date()
    last = mdates.num2date(hi).date()
    months = []
    y, m = first.year, first.month
    if first.day != 1:
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    while date(y, m, 1) <= last:
        months.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    if len(months) < 2:
        monday = mdates.date2num(np.datetime64(first, "D") - np.timedelta64(first.weekday(), "D"))
        weeks = np.arange(monday, hi + 1e-9, 7.0)
        return week_ticks(weeks[weeks >= lo - 1e-9])
    shown = months
    for step in _MONTH_STEPS:
        shown = [
            d
            for d in months
            if (step < 12 and (d.month - 1) % step == 0)
            or (step >= 12 and d.month == 1 and d.year % (step // 12) == 0)
        ]
        if len(shown) <= _MAX_DATE_TICKS:
            break
    labels = [str(d.year) if d.month == 1 else _MONTHS[d.month - 1] for d in shown]
    return [float(v) for v in mdates.date2num(shown)], labels


def week_ticks(weeks: Sequence[float] | np.ndarray) -> tuple[list[float], list[str]]:
    """One tick per week (every k-th week when there are many), labelled ``30 Nov``."""
    if len(weeks) == 0:
        return [], []
    step = max(1, math.ceil(len(weeks) / 7))
    shown = [float(w) for w in list(weeks)[::step]]
    days = [mdates.num2date(d).date() for d in shown]
    return shown, [f"{d.day} {_MONTHS[d.month - 1]}" for d in days]
