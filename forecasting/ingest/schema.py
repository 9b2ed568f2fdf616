"""Typed rows of one export and their validation (pandera), with one reason per bad row.

``typed_frame`` turns the recognised text columns into typed ones (unreadable values become
NaN/NaT); ``row_reasons`` validates them lazily with a pandera schema and returns, per row, the
reasons it fails, in a fixed order, joined by ``"; "`` (empty for a valid row).
"""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd
import pandera.pandas as pa

from forecasting import columns as C
from forecasting.config import IngestConfig
from forecasting.ingest.parse import (
    PROCEDURE_STATUS,
    SESSION_STATUS,
    map_skills,
    map_status,
    match_names,
    match_procedures,
    parse_dates,
    parse_numbers,
    procedure_synonyms,
    skill_needles,
)
from forecasting.ingest.services import ServiceNames, referral_needles, service_names

DUPLICATE = "_duplicate"  # helper column: exact repeat of an earlier row (identifiers included)
UNKNOWN_SKILLS = "_unknown_skills"  # helper column: a roster cell's names that are no known skill
UNKNOWN_NAME = "_unknown_name"  # helper column: a procedure name no synonym matches (other)
# helper column: a session service or referral type that names nothing known (quarantined)
UNKNOWN_KIND_NAME = "_unknown_kind_name"
SERVICE_NAME, REFERRAL_NAME = "service_name", "referral_name"  # the names as written
DRIVER_DATE = "driver_date"  # referrals: immobilisation_end, else start_after, else date
_BAD_IMMOBILISATION, _BAD_START_AFTER = "_bad_immobilisation_end", "_bad_start_after"
HELPERS = (DUPLICATE, UNKNOWN_SKILLS, UNKNOWN_KIND_NAME, "_bad_days", _BAD_IMMOBILISATION,
           _BAD_START_AFTER)  # fmt: skip
_BAD_START, _BAD_END = "_bad_start_date", "_bad_end_date"
_BAD_DAYS = "_bad_days"
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


_DAY_NAMES = dict(zip(_WEEKDAYS, ("monday", "tuesday", "wednesday", "thursday", "friday",
                                   "saturday", "sunday"), strict=True))  # fmt: skip


def _weekday(word: str) -> str | None:
    """'tue', 'Tues', 'tuesday' -> 'tue' (three letters or more of the name); else None."""
    key = word[:3]
    return key if len(word) >= 3 and _DAY_NAMES.get(key, "").startswith(word) else None


def weekdays(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """'Mon; Tuesday', 'mon-fri' -> 'mon;tue', 'mon;tue;wed;thu;fri' (in week order); a cell
    naming something that is no weekday is flagged (its row is quarantined); empty stays empty."""
    out, bad = [], []
    for cell in values.fillna(""):
        days: set[str] = set()
        wrong = False
        for part in re.split(r"[;,/|+& ]+", str(cell).strip().lower()):
            if not part:
                continue
            ends = [_weekday(e) for e in part.split("-")]
            if len(ends) > 2 or None in ends:
                wrong = True
                continue
            first, last = _WEEKDAYS.index(ends[0]), _WEEKDAYS.index(ends[-1])
            span = range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)]
            days |= {_WEEKDAYS[i] for i in span}
        out.append(";".join(d for d in _WEEKDAYS if d in days))
        bad.append(wrong)
    return pd.Series(out, index=values.index), pd.Series(bad, index=values.index)


def typed_frame(
    text: pd.DataFrame,
    kind: str,
    order: str,
    config: IngestConfig,
    duplicate: pd.Series,
    services: ServiceNames | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Typed columns of ``text`` (canonical field names, str cells) and notes for the manifest.

    Args:
        text: Recognised columns of one export, as read.
        kind: procedures, sessions, referrals, roster or clinics.
        order: How slash dates are read (month-first or day-first).
        config: Ingest settings (procedure and referral synonyms, MLD service names).
        duplicate: True for rows that repeat an earlier row exactly (procedures, referrals).
        services: The session service vocabulary (default: ``mld`` alone configured).
    """
    out: dict[str, object] = {}  # columns, made into one frame at the end
    notes: dict = {}
    out[C.CLINIC] = text[C.CLINIC].str.strip()
    if kind in ("procedures", "sessions", "referrals"):
        out["date"] = parse_dates(text["date"], order)
        out["count"] = (
            parse_numbers(text["count"], default=1.0) if "count" in text else 1.0
        )  # fmt: skip
    if kind in ("procedures", "sessions"):
        statuses = PROCEDURE_STATUS if kind == "procedures" else SESSION_STATUS
        raw_status = text["status"] if "status" in text else pd.Series("", index=text.index)
        out["status"] = map_status(raw_status, statuses)
    if kind == "procedures":
        out["procedure_name"] = text["procedure"].str.strip()
        matched = match_procedures(
            out["procedure_name"], procedure_synonyms(config.procedure_synonyms)
        )
        out[C.PROCEDURE] = matched.where(matched.notna(), "other")
        out[UNKNOWN_NAME] = matched.isna().to_numpy()
        out["booked_on"] = _booked_on(text, out, order, notes)
        out[DUPLICATE] = duplicate.to_numpy()
    if kind == "sessions":
        _session_services(text, out, services or service_names(config))
    if kind == "referrals":
        _referrals(text, out, order, config)
        out[DUPLICATE] = duplicate.to_numpy()
    if kind == "clinics":
        for col in ("region", "display_name"):
            out[col] = text[col].str.strip() if col in text else pd.Series("", index=text.index)
    if kind == "roster":
        out[C.THERAPIST] = text[C.THERAPIST].str.strip()
        out[C.WEEKLY_HOURS] = parse_numbers(text[C.WEEKLY_HOURS])
        for col, flag in ((C.START_DATE, _BAD_START), (C.END_DATE, _BAD_END)):
            raw = text[col] if col in text else pd.Series("", index=text.index)
            parsed = parse_dates(raw, order)
            out[col] = parsed
            out[flag] = parsed.isna() & (raw.str.strip() != "")
        if C.DAYS in text:  # optional: absent, the therapist can work any open day
            out[C.DAYS], out[_BAD_DAYS] = weekdays(text[C.DAYS])
        if C.SKILLS in text:  # optional: absent, every therapist has the default skill
            skills, unknown = map_skills(text[C.SKILLS], skill_needles(config.skill_synonyms))
            out[C.SKILLS], out[UNKNOWN_SKILLS] = skills, unknown
    return pd.DataFrame(out, index=text.index), notes


def _session_services(text: pd.DataFrame, out: dict, services: ServiceNames) -> None:
    """``service`` (the service a row's name maps to; "" for an unknown or empty name), the
    name as written and the unknown-name flag; without a service column every row is MLD."""
    if "service" not in text:
        out[C.SERVICE] = pd.Series(services.configured[0], index=text.index, dtype=object)
        return
    names = text["service"].str.strip()
    mapped = services.map(names)
    out[SERVICE_NAME] = names
    out[C.SERVICE] = mapped.where(mapped.notna(), "")
    out[UNKNOWN_KIND_NAME] = (mapped.isna() & (names != "")).to_numpy()


def _referrals(text: pd.DataFrame, out: dict, order: str, config: IngestConfig) -> None:
    """Referral type (None where unknown), the name as written, the optional immobilisation
    end and start-after dates (flagged when given but unreadable) and the driver date."""
    names = text[C.REFERRAL_TYPE].str.strip()
    mapped = match_names(names, referral_needles(config.referral_synonyms))
    out[REFERRAL_NAME] = names
    out[C.REFERRAL_TYPE] = mapped.where(mapped.notna(), "")
    out[UNKNOWN_KIND_NAME] = (mapped.isna() & (names != "")).to_numpy()
    driver = out["date"]
    given = (("start_after", _BAD_START_AFTER), ("immobilisation_end", _BAD_IMMOBILISATION))
    for col, flag in given:
        raw = text[col] if col in text else pd.Series("", index=text.index)
        parsed = parse_dates(raw, order)
        out[col] = parsed
        out[flag] = (parsed.isna() & (raw.str.strip() != "")).to_numpy()
        driver = parsed.where(parsed.notna(), driver)  # the later column wins: immobilisation
    out[DRIVER_DATE] = driver


def _booked_on(text: pd.DataFrame, typed: dict, order: str, notes: dict) -> pd.Series:
    """booked_on, NaT where absent; an unreadable or after-surgery value is ignored (noted)."""
    if "booked_on" not in text:
        return pd.Series(pd.NaT, index=text.index, dtype="datetime64[s]")
    booked = parse_dates(text["booked_on"], order)
    bad = (text["booked_on"].str.strip() != "") & (booked.isna() | (booked > typed["date"]))
    if bad.any():
        notes["booked_on_ignored"] = int(bad.sum())
    return booked.where(~bad)


def _column(checks: list[pa.Check], nullable: bool = False) -> pa.Column:
    return pa.Column(checks=checks, nullable=nullable, coerce=False)


def schema(kind: str, config: IngestConfig, today: date) -> pa.DataFrameSchema:
    """The pandera schema of one kind; every check's ``error`` is the reason a row gets."""
    now = pd.Timestamp(today)
    horizon = now + pd.Timedelta(days=config.max_days_ahead)
    first = pd.Timestamp(config.min_year, 1, 1)
    clinic = [pa.Check.str_length(min_value=1, error="clinic_id is empty")]
    if config.clinics:
        clinic.append(pa.Check.isin(config.clinics, error="clinic_id is not in ingest.clinics"))
    cols: dict[str, pa.Column] = {C.CLINIC: _column(clinic)}
    checks: list[pa.Check] = []
    ahead = f"more than {config.max_days_ahead} days after today (ingest.max_days_ahead)"
    if kind in ("procedures", "sessions", "referrals"):
        latest = pa.Check.le(horizon, error=f"date is {ahead}")
        if kind == "referrals":  # the day the referral was made; a later driver has a column
            latest = pa.Check.le(
                now,
                error="referral dated after today (date is the day of "
                "the referral; a later cast removal goes in immobilisation_end)",
            )
        cols["date"] = _column(
            [pa.Check.ge(first, error=f"date is before {first.date()} (ingest.min_year)"), latest]
        )
        cols["count"] = _column(
            [
                pa.Check.ge(0, error="count is negative"),
                pa.Check(lambda s: s == np.floor(s), error="count is not a whole number"),
                pa.Check.le(config.max_count, error="count is above ingest.max_count"),
            ]
        )
    if kind in ("procedures", "sessions"):
        cols["status"] = _column([])
    if kind == "procedures":
        cols["procedure_name"] = _column(
            [pa.Check.str_length(min_value=1, error="procedure is empty")]
        )
        cols[DUPLICATE] = _column(
            [pa.Check(lambda s: ~s, error="repeats an earlier row exactly (same patient)")]
        )
        checks.append(
            pa.Check(
                lambda df: ~((df["status"] == "completed") & (df["date"] > now)),
                error="completed procedure dated in the future",
            )
        )
    if kind == "sessions":
        cols[SERVICE_NAME] = _column([pa.Check.str_length(min_value=1, error="service is empty")])
        cols[UNKNOWN_KIND_NAME] = _column(
            [
                pa.Check(
                    lambda s: ~s,
                    error="service names no known service (add the name to [services.<name>] "
                    "names in lymphcast.toml)",
                )
            ]
        )
    if kind == "referrals":
        cols.update(_referral_columns())
        given = ("immobilisation_end", "start_after")
        checks += [
            pa.Check(
                lambda df: ~(df[list(given)].notna().any(axis=1) & (df[DRIVER_DATE] < first)),
                error=f"immobilisation_end or start_after is before {first.date()} "
                "(ingest.min_year)",
            ),
            pa.Check(
                lambda df: ~(df[list(given)].notna().any(axis=1) & (df[DRIVER_DATE] > horizon)),
                error=f"immobilisation_end or start_after is {ahead}",
            ),
        ]
    if kind == "sessions":
        checks.append(
            pa.Check(
                lambda df: ~(df["status"].isin(["attended", "no_show"]) & (df["date"] > now)),
                error="attended or no-show session dated in the future",
            )
        )
    if kind == "clinics":
        checks.append(
            pa.Check(
                lambda df: ~df.duplicated([C.CLINIC], keep="first"),
                error="duplicate clinic_id (an earlier row has it)",
            )
        )
    if kind == "roster":
        cols[C.THERAPIST] = _column(
            [pa.Check.str_length(min_value=1, error="therapist_id is empty")]
        )
        cols[C.WEEKLY_HOURS] = _column(
            [
                pa.Check.in_range(
                    0, config.max_weekly_hours,
                    error=f"weekly_hours is outside 0..{config.max_weekly_hours:g} "
                    "(ingest.max_weekly_hours)",
                )
            ]
        )  # fmt: skip
        cols[_BAD_START] = _column([pa.Check(lambda s: ~s, error="start_date is not a date")])
        cols[_BAD_END] = _column([pa.Check(lambda s: ~s, error="end_date is not a date")])

        checks += [
            pa.Check(
                lambda df: ~df.duplicated([C.CLINIC, C.THERAPIST], keep="first"),
                error="duplicate therapist_id for this clinic (an earlier row has it)",
            ),
            pa.Check(
                lambda df: ~(df[C.END_DATE] < df[C.START_DATE]),
                error="end_date is before start_date",
            ),
            pa.Check(
                lambda df: ~df[_BAD_DAYS] if _BAD_DAYS in df else pd.Series(True, index=df.index),
                error="days names something that is no weekday (use mon;tue;thu or mon-fri)",
            ),
        ]
    return pa.DataFrameSchema(cols, checks=checks, coerce=False)


def _referral_columns() -> dict[str, pa.Column]:
    def flag(error: str) -> pa.Column:
        return _column([pa.Check(lambda s: ~s, error=error)])

    return {
        REFERRAL_NAME: _column([pa.Check.str_length(min_value=1, error="referral_type is empty")]),
        UNKNOWN_KIND_NAME: flag(
            "referral_type names no known referral type (fracture_immobilisation, injury, "
            "post_surgical_scar; add the name under [ingest.referral_synonyms])"
        ),
        _BAD_IMMOBILISATION: flag("immobilisation_end is not a date"),
        _BAD_START_AFTER: flag("start_after is not a date"),
        DUPLICATE: flag("repeats an earlier row exactly (same patient)"),
    }


_MISSING = {
    "date": "date is missing or not a date",
    "count": "count is not a number",
    "status": "status is not recognised",
    C.WEEKLY_HOURS: "weekly_hours is missing or not a number",
}


def _failed(result, index: pd.Index) -> np.ndarray:
    """Rows (a mask over ``index``) that a pandera check result reports as failure cases."""
    cases = result.failure_cases
    if not isinstance(cases, pd.Series | pd.DataFrame):
        return np.zeros(len(index), dtype=bool)  # a check that failed as a whole, not per row
    return index.isin(cases.index)


def row_reasons(typed: pd.DataFrame, s: pa.DataFrameSchema) -> pd.Series:
    """Reasons each row fails ``s`` (joined by ``"; "``, in schema order); empty when valid.

    The schema's own checks decide, each called as pandera's lazy validation calls it (a
    column's checks on its non-null values; nulls in a non-nullable column are "missing"),
    without pandera's error report: that report costs more than the checks on an export with
    a few bad rows, and only which rows fail which check is needed.
    """
    failures: list[tuple[np.ndarray, str]] = []  # in schema order
    for name, column in s.columns.items():
        if name not in typed:
            continue  # pandera reports a missing column, not rows
        if not column.nullable and typed[name].hasnans:
            failures.append(
                (typed[name].isna().to_numpy(), _MISSING.get(name, f"{name} is missing"))
            )
        failures += [(_failed(c(typed, name), typed.index), str(c.error)) for c in column.checks]
    failures += [(_failed(c(typed), typed.index), str(c.error)) for c in s.checks]
    reasons = np.full(len(typed), "", dtype=object)
    for failed, text in failures:
        if failed.any():
            before = reasons[failed]
            reasons[failed] = np.where(before == "", text, before + "; " + text)
    return pd.Series(reasons, index=typed.index, dtype=object)
