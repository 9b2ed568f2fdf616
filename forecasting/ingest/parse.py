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

from forecasting.ingest.fields import squash, words_of
from forecasting.ingest.vocabulary import DEFAULT_PROCEDURE_SYNONYMS

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
_WORD = "="  # prefix of a needle that must be a whole word of the name


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


def _by_unique(values: pd.Series, fn, dtype, fast=None) -> np.ndarray:
    """``fn`` applied to each distinct text of ``values``, spread back to the rows.

    ``fast(uniques) -> (done, parsed)``, when given, handles some distinct values at once
    (vectorised, with the same result ``fn`` gives them); ``fn`` does the rest.
    """
    codes, uniques = pd.factorize(values.astype(str), use_na_sentinel=False)
    if fast is None:
        parsed = np.array([fn(u) for u in uniques], dtype=dtype)
    else:
        done, parsed = fast(uniques)
        parsed = parsed.astype(dtype)
        rest = np.flatnonzero(~done)
        if len(rest):
            parsed[rest] = np.array([fn(u) for u in uniques[rest]], dtype=dtype)
    return parsed[codes] if len(parsed) else np.array([], dtype=dtype)


_MONTH_CODES = {(ord(m[0]) << 16) | (ord(m[1]) << 8) | ord(m[2]): i for m, i in _MONTHS.items()}


def _number(digits: np.ndarray, start: int, stop: int) -> np.ndarray:
    out = np.zeros(len(digits), dtype=np.int64)
    for j in range(start, stop):
        out = out * 10 + digits[:, j]
    return out


def _days(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """``datetime64[D]`` of each (year, month, day); NaT where there is no such day."""
    ok = (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1)
    first = ((year - 1970) * 12 + np.clip(month, 1, 12) - 1).astype("datetime64[M]")
    length = ((first + 1).astype("datetime64[D]") - first.astype("datetime64[D]")).astype(int)
    ok &= day <= length
    out = np.full(len(year), np.datetime64("NaT", "D"))
    out[ok] = first[ok].astype("datetime64[D]") + (day[ok] - 1)
    return out


def _date_shapes(uniques: pd.Index) -> dict[str, np.ndarray]:
    """The three most common date shapes, read at once (a file holds thousands of dates).

    ``2024-03-05`` (``iso``), ``03/05/2024`` (``slash``: ``month_first`` and ``day_first``
    readings) and ``05-Mar-2024`` (``named``), exactly so (ASCII digits and letters, nothing
    around them), with the days ``parse_date`` and ``slash_readings`` give them: ``days`` for
    iso and named texts, NaT where there is no such day (or month name).
    """
    n = len(uniques)
    out = {k: np.zeros(n, dtype=bool) for k in ("iso", "slash", "named")}
    out |= {k: np.full(n, np.datetime64("NaT", "D")) for k in ("days", "month_first", "day_first")}
    lengths = pd.Series(uniques).str.len().to_numpy(dtype=float, na_value=np.nan)
    for width in (10, 11):
        at = np.flatnonzero(lengths == width)
        if not len(at):
            continue
        chars = np.asarray(uniques[at], dtype=f"U{width}").view(np.uint32).reshape(-1, width)
        chars = chars.astype(np.int64)
        digit, d = (chars >= 48) & (chars <= 57), chars - 48
        if width == 10:
            iso = digit[:, [0, 1, 2, 3, 5, 6, 8, 9]].all(1) & (chars[:, 4] == 45)
            iso &= chars[:, 7] == 45
            out["iso"][at[iso]] = True
            out["days"][at[iso]] = _days(
                _number(d[iso], 0, 4), _number(d[iso], 5, 7), _number(d[iso], 8, 10)
            )
            slash = digit[:, [0, 1, 3, 4, 6, 7, 8, 9]].all(1) & (chars[:, 2] == 47)
            slash &= chars[:, 5] == 47
            first, second = _number(d[slash], 0, 2), _number(d[slash], 3, 5)
            year = _number(d[slash], 6, 10)
            out["slash"][at[slash]] = True
            out["month_first"][at[slash]] = _days(year, first, second)
            out["day_first"][at[slash]] = _days(year, second, first)
        else:
            raw = chars[:, 3:6]
            letter = ((raw >= 65) & (raw <= 90)) | ((raw >= 97) & (raw <= 122))  # ASCII
            lower = raw | 32
            named = digit[:, [0, 1, 7, 8, 9, 10]].all(1) & letter.all(1)
            named &= (chars[:, 2] == 45) & (chars[:, 6] == 45)
            code = (lower[named, 0] << 16) | (lower[named, 1] << 8) | lower[named, 2]
            month = np.array([_MONTH_CODES.get(int(c), 0) for c in code], dtype=np.int64)
            out["named"][at[named]] = True
            out["days"][at[named]] = _days(_number(d[named], 7, 11), month, _number(d[named], 0, 2))
    return out


def _common_days(order: str):
    """``parse_date`` of the common shapes (:func:`_date_shapes`), vectorised."""

    def fast(uniques: pd.Index) -> tuple[np.ndarray, np.ndarray]:
        shapes = _date_shapes(uniques)
        days = shapes["days"]
        slash = shapes["slash"]
        days[slash] = shapes["month_first" if order == MONTH_FIRST else "day_first"][slash]
        return shapes["iso"] | slash | shapes["named"], days

    return fast


def parse_dates(values: pd.Series, order: str = MONTH_FIRST) -> pd.Series:
    """Dates (``datetime64[s]``, NaT where unreadable or empty) of a column of text."""

    def one(text: str) -> np.datetime64:
        day = parse_date(text, order)
        return np.datetime64(day, "D") if day else np.datetime64("NaT", "D")

    days = _by_unique(values, one, "datetime64[D]", fast=_common_days(order))
    return pd.Series(days.astype("datetime64[s]"), index=values.index)


def date_order_evidence(values: pd.Series) -> tuple[int, int, int]:
    """Distinct slash dates valid only month-first, only day-first, and both ways."""
    uniques = pd.Index(pd.unique(values.astype(str)))
    shapes = _date_shapes(uniques)  # ISO and named dates are no slash dates
    slash = shapes["slash"]
    mf, df = ~np.isnat(shapes["month_first"][slash]), ~np.isnat(shapes["day_first"][slash])
    only_mf, only_df, both = int(np.sum(mf & ~df)), int(np.sum(df & ~mf)), int(np.sum(mf & df))
    for text in uniques[~(shapes["iso"] | slash | shapes["named"])]:
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


def _needle(name: str) -> str:
    """A configured name as a needle: a code or an abbreviation of 4 characters or fewer must
    be a whole word of the export's name; a longer name is a substring."""
    key = squash(name)
    return f"{_WORD}{key}" if key.isdigit() or len(key) <= 4 else key


def procedure_synonyms(extra: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    """Needles per procedure type: configured ones first (they win), then the built-in ones."""
    merged = {k: tuple(v) for k, v in DEFAULT_PROCEDURE_SYNONYMS.items()}
    configured = list(extra)
    for procedure, names in extra.items():
        merged[procedure] = tuple(_needle(n) for n in names) + merged.get(procedure, ())
    return {p: merged[p] for p in configured + [p for p in merged if p not in configured]}


def name_needles(names) -> tuple[str, ...]:
    """Configured names as needles (``_needle``: a short name or a code as a whole word)."""
    return tuple(_needle(n) for n in names if squash(n))


def match_procedures(values: pd.Series, synonyms: dict[str, tuple[str, ...]]) -> pd.Series:
    """Procedure type per row; missing (NaN) where no synonym matches (an unknown name).

    ``other`` is a type too: a name matched by one of its synonyms (built in, such as a
    lipoma excision, or configured) is known, and counted as ``other`` without a warning.
    """
    return match_names(values, synonyms)


def match_names(values: pd.Series, synonyms: dict[str, tuple[str, ...]]) -> pd.Series:
    """The first key of ``synonyms`` one of whose needles matches each row's name (checked in
    the dict's order); missing (NaN) where none does. A needle is a substring of the squashed
    name, or (starting with ``=``) a whole word of it."""

    def one(name: str) -> str | None:
        key, words = squash(name), set(words_of(name))
        for procedure, needles in synonyms.items():
            for n in needles:
                if n.startswith(_WORD) and n[1:] in words or n and n[0] != _WORD and n in key:
                    return procedure
        return None

    return pd.Series(_by_unique(values, one, object), index=values.index)


def map_procedures(values: pd.Series, synonyms: dict[str, tuple[str, ...]]) -> pd.Series:
    """Procedure type per row; a name no synonym matches is ``other``."""
    matched = match_procedures(values, synonyms)
    return matched.where(matched.notna(), "other")


def contains_any(values: pd.Series, needles: list[str]) -> pd.Series:
    """True where the squashed text contains one of the squashed ``needles``."""
    keys = [squash(n) for n in needles if squash(n)]
    return pd.Series(
        _by_unique(values, lambda t: any(k in squash(t) for k in keys), bool), index=values.index
    )


_SKILL_SEPARATORS = re.compile(r"[;,|/+&]")


def skill_needles(synonyms: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    """Needles per roster skill: its own name, then its other names (as procedure names)."""
    return {skill: tuple(_needle(n) for n in (skill, *names)) for skill, names in synonyms.items()}


def map_skills(
    values: pd.Series, needles: dict[str, tuple[str, ...]]
) -> tuple[pd.Series, pd.Series]:
    """Known skills per roster cell, and the names in it that name no known skill.

    A cell lists names separated by ``;``, ``,``, ``|``, ``/``, ``+`` or ``&``; each name maps
    to the first skill a needle of which it matches (a name of 4 characters or fewer as a whole
    word, a longer one as a substring). Returns ``skills``: the known skills joined by ``;`` in
    the cell's order ("" when it names none), None for an empty cell (not given); and
    ``unknown``: per row, a tuple of the names as written that match no skill.
    """

    def one_name(name: str) -> str | None:
        key, words = squash(name), set(words_of(name))
        for skill, candidates in needles.items():
            for n in candidates:
                if n.startswith(_WORD) and n[1:] in words or n and n[0] != _WORD and n in key:
                    return skill
        return None

    def one(cell: str) -> tuple[str | None, tuple[str, ...]]:
        names = [n.strip() for n in _SKILL_SEPARATORS.split(str(cell)) if n.strip()]
        if not names:
            return None, ()
        mapped = [(n, one_name(n)) for n in names]
        known = dict.fromkeys(skill for _, skill in mapped if skill is not None)
        return ";".join(known), tuple(n for n, skill in mapped if skill is None)

    codes, uniques = pd.factorize(values.astype(str), use_na_sentinel=False)
    pairs = [one(u) for u in uniques]
    skills = pd.Series([pairs[c][0] for c in codes], index=values.index, dtype=object)
    unknown = pd.Series([pairs[c][1] for c in codes], index=values.index, dtype=object)
    return skills, unknown
