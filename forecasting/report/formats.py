"""Numbers and dates formatted for people: the report's conventions in one place.

Whole numbers with thousands separators, one decimal for FTE, a real minus sign (U+2212) for
negative numbers, an en dash for ranges, ``1 December`` dates with the year only when it
differs from the cut-off's.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from forecasting.calendar import week_start

DASH = "–"  # en dash, for ranges
NONE = "—"  # em dash, for a missing value
MINUS = "−"
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


# ----------------------------------------------------------------------------------------------
# Numbers and dates


def is_missing(x: Any) -> bool:
    """True for None, NaN and pandas' missing values."""
    return x is None or (isinstance(x, float) and math.isnan(x)) or bool(pd.isna(x))


def whole(x: Any) -> int:
    """Round half away from zero (Python's ``round`` rounds 26.5 to 26)."""
    x = float(x)
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def fmt_int(x: Any) -> str:
    """``1,234``; ``−3`` with a real minus sign; an em dash when missing."""
    return NONE if is_missing(x) else f"{whole(x):,}".replace("-", MINUS)


def fmt_count(x: Any) -> str:
    """An integer count with thousands separators (no rounding needed)."""
    return NONE if is_missing(x) else f"{int(x):,}"


def fmt_one(x: Any) -> str:
    """One decimal: ``4.1``; never ``-0.0``."""
    if is_missing(x):
        return NONE
    text = f"{float(x):.1f}"
    return "0.0" if text == "-0.0" else text.replace("-", MINUS)


fmt_fte = fmt_one


def fmt_signed(x: Any) -> str:
    """One decimal with an explicit sign for non-zero values: ``+1.1``, ``−0.4``."""
    text = fmt_one(x)
    if text in (NONE, "0.0") or text.startswith(MINUS):
        return text
    return "+" + text


def fmt_percent(share: float) -> str:
    """``0.093`` -> ``9%``; below half a percent -> ``under 1%``."""
    pct = whole(abs(share) * 100)
    return "under 1%" if pct == 0 else f"{pct}%"


def counted(x: Any, noun: str) -> str:
    """``1 session``, ``12 sessions``; the noun is pluralised with an ``s``."""
    n = fmt_int(x)
    return f"{n} {noun}{'' if n == '1' else 's'}"


def day_month(d: Any, as_of: Any | None, short_month: bool = False) -> str:
    """``1 December``; the year is added when it differs from the cut-off's (or always)."""
    ts = pd.Timestamp(d)
    month = _MONTHS[ts.month - 1]
    text = f"{ts.day} {month[:3] if short_month else month}"
    if as_of is None or ts.year != pd.Timestamp(as_of).year:
        text += f" {ts.year}"
    return text


def iso_date(d: Any) -> str:
    return pd.Timestamp(d).date().isoformat()


def week_label(week: pd.Timestamp | None, as_of: pd.Timestamp) -> str:
    """``Next week``, ``This week`` or ``Week of 1 December``."""
    if week is None:
        return "Next week"
    this = week_start(as_of)
    if week == this + pd.Timedelta(weeks=1):
        return "Next week"
    if week == this:
        return "This week"
    return f"Week of {day_month(week, as_of)}"


def weeks_phrase(n: int) -> str:
    return "next week" if n == 1 else f"the next {n} weeks"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _when(label: str, adverbial: bool = False) -> str:
    """``Next week`` -> ``next week``; ``Week of 1 December`` -> ``week of 1 December``
    (``in the week of 1 December`` when ``adverbial``)."""
    if label in ("Next week", "This week"):
        return label.lower()
    return ("in the " if adverbial else "") + label[0].lower() + label[1:]
