"""The optional availability export: the hours a therapist can work, per weekday or date.

A row names a clinic, a therapist, a weekday (``mon``, ``mon;thu``, ``mon-fri``) or a date, and
the hours (``start``, ``end``: ``08:00``, ``8``, ``8:30 pm``, ``0800``, an Excel time). A date
row replaces that date's weekday rows; a date row with neither start nor end says the therapist
is off that day. Rows are quarantined with a reason when a time is missing or unreadable, lies
outside 00:00-24:00 or ends before it starts, when the day is missing or no weekday, when a row
overlaps an earlier row of the same therapist and day, and (once every roster is read) when the
therapist is on no roster of that clinic. Per clinic the file whose name sorts last wins, as for
rosters (``availability_roster``); the result is ``processed/availability.parquet``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pandera.pandas as pa

from forecasting import columns as C
from forecasting.ingest.parse import parse_dates
from forecasting.ingest.schema import weekdays

__all__ = [
    "AVAILABILITY_COLUMNS",
    "WEEKDAYS",
    "availability_schema",
    "days_of",
    "parse_time",
    "typed_availability",
]

WEEKDAY, DATE, START, END = "weekday", "date", "start", "end"
AVAILABILITY_COLUMNS = [C.CLINIC, C.THERAPIST, WEEKDAY, DATE, START, END]
_RAW = [WEEKDAY, DATE, START, END]  # kept as read: an unknown therapist's quarantine row
_DAYS, _DAY, _START, _END = "_days", "_date", "_start", "_end"
_BAD_DAYS, _BAD_DATE, _OFF = "_bad_weekday", "_bad_date", "_off"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_MINUTES = 24 * 60
_CLOCK = re.compile(r"^(\d{1,2})(?:[:.h](\d{2}))?(?::\d{2})?\s*([ap])?\.?m?\.?$")
_PACKED = re.compile(r"^(\d{2})(\d{2})$")  # 0830
_FRACTION = re.compile(r"^0?\.\d+$|^0$")  # an Excel time: a fraction of a day


def parse_time(value: object) -> float:
    """Minutes after midnight of a time of day: '08:30', '8', '8.30', '0830', '8:30 pm',
    '08:30:00', 0.354 (an Excel time); NaN when unreadable. '24:00' is 1440; '25:00' is 1500
    (read, then refused as outside the day)."""
    text = str(value).strip().lower().replace(" ", "")
    if not text or text == "nan":
        return np.nan
    if _FRACTION.match(text):
        return round(float(text) * _DAY_MINUTES)
    packed = _PACKED.match(text)
    clock = _CLOCK.match(text) if not packed else None
    if packed:
        hours, minutes, half = int(packed[1]), int(packed[2]), None
    elif clock:
        hours, minutes, half = int(clock[1]), int(clock[2] or 0), clock[3]
    else:
        return np.nan
    if minutes >= 60:
        return np.nan
    if half:
        if not 1 <= hours <= 12:
            return np.nan
        hours = hours % 12 + (12 if half == "p" else 0)
    return float(hours * 60 + minutes)


def typed_availability(text: pd.DataFrame, order: str, typed: pd.DataFrame) -> pd.DataFrame:
    """``typed`` (clinic_id) with the availability columns of ``text``: the cells as read and
    their readings (weekdays 'mon;tue', the date, start and end minutes) in helper columns."""
    blank = pd.Series("", index=text.index)
    raw = {c: (text[c].fillna("").str.strip() if c in text else blank) for c in _RAW}
    days, bad_days = weekdays(raw[WEEKDAY])
    on = parse_dates(raw[DATE], order)
    start, end = raw[START].map(parse_time), raw[END].map(parse_time)
    return typed.assign(
        **{C.THERAPIST: text[C.THERAPIST].fillna("").str.strip()},
        **raw,
        **{_DAYS: days, _BAD_DAYS: bad_days, _DAY: on, _BAD_DATE: on.isna() & (raw[DATE] != "")},
        **{_START: start.astype(float), _END: end.astype(float)},
        **{_OFF: on.notna() & (raw[START] == "") & (raw[END] == "")},
    )


def _timed(df: pd.DataFrame) -> pd.Series:
    """Rows with a day (not a day off) whose two times are readable."""
    return ~df[_OFF] & df[_START].notna() & df[_END].notna()


def _in_day(minutes: pd.Series) -> pd.Series:
    return minutes.isna() | minutes.between(0, _DAY_MINUTES)


def days_of(df: pd.DataFrame) -> list[list[str]]:
    """Each row's days: its date, else its weekdays."""
    return [
        [str(d.date())] if pd.notna(d) else [w for w in str(ws).split(";") if w]
        for d, ws in zip(df[_DAY], df[_DAYS], strict=True)
    ]


def _date_matches(df: pd.DataFrame) -> pd.Series:
    """False for a row whose weekday and date are both given and disagree."""
    same = [
        pd.isna(d) or not ws or WEEKDAYS[d.weekday()] in ws.split(";")
        for d, ws in zip(df[_DAY], df[_DAYS], strict=True)
    ]
    return pd.Series(same, index=df.index)


def _overlaps(df: pd.DataFrame) -> pd.Series:
    """True for a row overlapping an earlier row of the same clinic, therapist and day (a day
    off overlaps any row of its date). Only rows that are otherwise valid are compared."""
    day = ~df[_BAD_DAYS] & ~df[_BAD_DATE] & _date_matches(df) & (df[C.THERAPIST] != "")
    timed = _timed(df) & _in_day(df[_START]) & _in_day(df[_END]) & (df[_END] > df[_START])
    ok = day & (timed | df[_OFF])
    seen: dict[tuple[str, str, str], list[tuple[float, float]]] = {}
    out = np.zeros(len(df), dtype=bool)
    records = df[[C.CLINIC, C.THERAPIST, _START, _END, _OFF]].to_dict("records")
    for i, (record, days) in enumerate(zip(records, days_of(df), strict=True)):
        if not ok.iloc[i]:
            continue
        span = (0.0, float(_DAY_MINUTES)) if record[_OFF] else (record[_START], record[_END])
        for day in days:
            key = (record[C.CLINIC], record[C.THERAPIST], day)
            if any(a < span[1] and span[0] < b for a, b in seen.get(key, [])):
                out[i] = True
            seen.setdefault(key, []).append(span)
    return pd.Series(out, index=df.index)


def _check(test, error: str) -> pa.Check:
    return pa.Check(test, error=error)


def availability_schema(base: pa.DataFrameSchema) -> pa.DataFrameSchema:
    """``base`` (the clinic_id checks) with the availability rows' checks, one reason each."""
    checks = [
        _check(lambda df: df[C.THERAPIST] != "", "therapist_id is empty"),
        _check(
            lambda df: (df[_DAYS] != "") | df[_DAY].notna() | df[_BAD_DAYS] | df[_BAD_DATE],
            "neither a weekday nor a date (name one: mon, mon-fri or 2026-12-14)",
        ),
        _check(
            lambda df: ~df[_BAD_DAYS],
            "weekday names something that is no weekday (use mon, mon;thu or mon-fri)",
        ),
        _check(lambda df: ~df[_BAD_DATE], "date is not a date"),
        _check(_date_matches, "weekday does not match the date (give one of them)"),
        _check(
            lambda df: df[_OFF] | df[_START].notna(),
            "start is missing or not a time (use HH:MM, such as 08:00)",
        ),
        _check(
            lambda df: df[_OFF] | df[_END].notna(),
            "end is missing or not a time (use HH:MM, such as 17:30)",
        ),
        _check(lambda df: _in_day(df[_START]), "start is outside 00:00-24:00"),
        _check(lambda df: _in_day(df[_END]), "end is outside 00:00-24:00"),
        _check(
            lambda df: ~(_timed(df) & (df[_END] <= df[_START])),
            "end is not after start (hours past midnight go in a second row for the next day)",
        ),
        _check(
            lambda df: ~_overlaps(df),
            "overlaps an earlier row of this therapist on the same day (merge them into one row)",
        ),
    ]
    return pa.DataFrameSchema(base.columns, checks=[*base.checks, *checks], coerce=False)


def _hhmm(minutes: float) -> str:
    return "" if pd.isna(minutes) else f"{int(minutes) // 60:02d}:{int(minutes) % 60:02d}"


def processed_rows(accepted: pd.DataFrame) -> pd.DataFrame:
    """One row per weekday (or date) of each accepted row, times as HH:MM."""
    rows = []
    for row, days in zip(accepted.to_dict("records"), days_of(accepted), strict=True):
        dated = pd.notna(row[_DAY])
        for day in days:
            rows.append(
                {
                    C.CLINIC: row[C.CLINIC],
                    C.THERAPIST: row[C.THERAPIST],
                    WEEKDAY: "" if dated else day,
                    DATE: row[_DAY] if dated else pd.NaT,
                    START: _hhmm(row[_START]) if not row[_OFF] else "",
                    END: _hhmm(row[_END]) if not row[_OFF] else "",
                }
            )
    return pd.DataFrame(rows, columns=AVAILABILITY_COLUMNS)
