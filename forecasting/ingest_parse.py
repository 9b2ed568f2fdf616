"""Parsing the text cells of an export: dates, counts, statuses and procedure names.

Every parser works on the distinct values of a column (an export of 100,000 rows holds a few
thousand distinct dates), so row-level work stays vectorised. An unreadable value becomes
NaN/NaT, never an exception: the schema then quarantines the row with a reason.

Dates: ISO (``2024-03-05``, optionally with a time), ``2024/03/05``, slash dates in the file's
order (``03/05/2024``; also ``.`` or ``-`` separated, two-digit years 00-69 = 2000s), month
names (``05-Mar-2024``, ``5 March 2024``, ``Mar 5, 2024``), compact ``20240305`` and Excel
serial day numbers (``45356`` = 2024-03-05; 4 or 5 digits).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import numpy as np
import pandas as pd

from .ingest_fields import squash

MONTH_FIRST, DAY_FIRST = "month-first", "day-first"

_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s?[AaPp][Mm])?(?:Z|[+-]\d{2}:?\d{2})?)?"
_ISO = re.compile(rf"(\d{{4}})[-/](\d{{1,2}})[-/](\d{{1,2}}){_TIME}")
_SLASH = re.compile(rf"(\d{{1,2}})([/.-])(\d{{1,2}})\2(\d{{4}}|\d{{2}}){_TIME}")
_NAMED_DMY = re.compile(
    rf"(\d{{1,2}})[-\s/.]*([A-Za-z]{{3,9}})\.?[-\s/.,]*(\d{{4}}|\d{{2}}){_TIME}"
)
_NAMED_MDY = re.compile(
    rf"([A-Za-z]{{3,9}})\.?[-\s/.]*(\d{{1,2}})(?:st|nd|rd|th)?,?[-\s/.]*(\d{{4}}){_TIME}"
)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SERIAL = re.compile(r"(\d{4,5})(?:\.\d+)?")
_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 after Excel's 1900 leap-year bug
_MONTHS = {
    m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())
}
_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|[+-]?\.\d+")

PROCEDURE_STATUS = {
    "completed": "completed", "complete": "completed", "done": "completed",
    "performed": "completed", "": "completed",
    "scheduled": "scheduled", "booked": "scheduled", "planned": "scheduled",
    "confirmed": "scheduled", "pending": "scheduled",
    "cancelled": "cancelled", "canceled": "cancelled", "cancel": "cancelled",
}  # fmt: skip
SESSION_STATUS = {
    "attended": "attended", "completed": "attended", "complete": "attended",
    "arrived": "attended", "checkedin": "attended", "checkedout": "attended", "seen": "attended",
    "done": "attended", "": "attended",
    "noshow": "no_show", "dna": "no_show", "didnotattend": "no_show", "missed": "no_show",
    "cancelled": "cancelled", "canceled": "cancelled", "latecancel": "cancelled",
    "latecancellation": "cancelled",
    "scheduled": "scheduled", "booked": "scheduled", "confirmed": "scheduled",
    "pending": "scheduled",
}  # fmt: skip
DEFAULT_PROCEDURE_SYNONYMS: dict[str, tuple[str, ...]] = {
    # Checked in this order; substrings of the squashed name (accents, case, spaces removed).
    "bbl": ("bbl", "brazilianbuttlift", "buttlift", "gluteal"),
    "abdominoplasty": ("abdominoplast", "tummytuck"),
    "breast_reduction": ("breastreduction", "mastopexy", "breastlift", "reductionmammaplasty"),
    "liposuction": ("liposuction", "liposuccion", "lipo", "liposculpt"),
}


def _year(text: str) -> int:
    y = int(text)
    if len(text) == 2:
        return 2000 + y if y < 70 else 1900 + y
    return y


def _day(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _month(name: str) -> int | None:
    return _MONTHS.get(name[:3].lower())


def slash_readings(text: str) -> tuple[bool, bool] | None:
    """(valid month-first, valid day-first) for a slash date like ``03/05/2024``; else None."""
    match = _SLASH.fullmatch(text.strip())
    if match is None:
        return None
    a, b, y = int(match[1]), int(match[3]), _year(match[4])
    return _day(y, a, b) is not None, _day(y, b, a) is not None


def parse_date(text: str, order: str = MONTH_FIRST) -> date | None:
    """One date in any accepted format; ``order`` decides slash dates; None if unreadable."""
    text = str(text).strip()
    if match := _ISO.fullmatch(text):
        return _day(int(match[1]), int(match[2]), int(match[3]))
    if match := _SLASH.fullmatch(text):
        a, b, y = int(match[1]), int(match[3]), _year(match[4])
        return _day(y, a, b) if order == MONTH_FIRST else _day(y, b, a)
    if match := _NAMED_DMY.fullmatch(text):
        month = _month(match[2])
        return _day(_year(match[3]), month, int(match[1])) if month else None
    if match := _NAMED_MDY.fullmatch(text):
        month = _month(match[1])
        return _day(int(match[3]), month, int(match[2])) if month else None
    if match := _COMPACT.fullmatch(text):
        return _day(int(match[1]), int(match[2]), int(match[3]))
    if match := _SERIAL.fullmatch(text):
        return _EXCEL_EPOCH + timedelta(days=int(match[1]))
    return None


def _by_unique(values: pd.Series, fn, dtype) -> np.ndarray:
    codes, uniques = pd.factorize(values.astype(str), use_na_sentinel=False)
    parsed = np.array([fn(u) for u in uniques], dtype=dtype)
    return parsed[codes] if len(parsed) else np.array([], dtype=dtype)


def parse_dates(values: pd.Series, order: str = MONTH_FIRST) -> pd.Series:
    """Dates (``datetime64[s]``, NaT where unreadable or empty) of a column of text."""

    def one(text: str) -> np.datetime64:
        day = parse_date(text, order)
        return np.datetime64(day, "D") if day else np.datetime64("NaT", "D")

    days = _by_unique(values, one, "datetime64[D]")
    return pd.Series(days.astype("datetime64[s]"), index=values.index)


def date_order_evidence(values: pd.Series) -> tuple[int, int, int]:
    """Distinct slash dates valid only month-first, only day-first, and both ways."""
    only_mf = only_df = both = 0
    for text in pd.unique(values.astype(str)):
        readings = slash_readings(text)
        if readings is None:
            continue
        mf, df = readings
        only_mf += mf and not df
        only_df += df and not mf
        both += mf and df
    return only_mf, only_df, both


def parse_number(text: str, default: float = np.nan) -> float:
    """A plain number (``3``, ``+3``, ``3.0``, ``1,234``); ``default`` when empty; NaN if not."""
    text = str(text).strip()
    if not text:
        return default
    if not _NUMBER.fullmatch(text):
        return np.nan
    return float(text.replace(",", ""))


def parse_numbers(values: pd.Series, default: float = np.nan) -> pd.Series:
    """Numbers (float, NaN where unreadable) of a column of text; empty cells get ``default``."""
    return pd.Series(
        _by_unique(values, lambda t: parse_number(t, default), "float64"), index=values.index
    )


def map_status(values: pd.Series, vocabulary: dict[str, str]) -> pd.Series:
    """Canonical status per row (object dtype), None where the status is not recognised."""
    return pd.Series(
        _by_unique(values, lambda t: vocabulary.get(squash(t)), object), index=values.index
    )


def procedure_synonyms(extra: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    """Needles per procedure type: configured ones first (they win), then the built-in ones."""
    merged = {k: tuple(v) for k, v in DEFAULT_PROCEDURE_SYNONYMS.items()}
    configured = list(extra)
    for procedure, names in extra.items():
        merged[procedure] = tuple(squash(n) for n in names) + merged.get(procedure, ())
    return {p: merged[p] for p in configured + [p for p in merged if p not in configured]}


def map_procedures(values: pd.Series, synonyms: dict[str, tuple[str, ...]]) -> pd.Series:
    """Procedure type per row; a name no synonym matches is ``other``."""

    def one(name: str) -> str:
        key = squash(name)
        for procedure, needles in synonyms.items():
            if any(n and n in key for n in needles):
                return procedure
        return "other"

    return pd.Series(_by_unique(values, one, object), index=values.index)


def contains_any(values: pd.Series, needles: list[str]) -> pd.Series:
    """True where the squashed text contains one of the squashed ``needles``."""
    keys = [squash(n) for n in needles if squash(n)]
    return pd.Series(
        _by_unique(values, lambda t: any(k in squash(t) for k in keys), bool), index=values.index
    )
