"""One raw export -> a FileResult: read, drop patient identifiers, validate, reduce to days.

Contract: DESIGN.md, "Raw exports". ``rows_read = rows_accepted + rows_quarantined``: every
data row (blank rows are not rows) is either accepted or quarantined with its source ``line``
and a ``reason``. A file that cannot be used at all is rejected with one sentence naming the
file and the fix; ``read_file`` never raises for bad content.

Patient identifiers never leave this module: only the recognised, non-identifying columns of a
row are kept (as read) for quarantine; identifier columns are used in memory only to spot exact
duplicate procedure rows. A row whose field count differs from the header's is quarantined
without its values (they are misaligned, so any of them could be an identifier).

Slash dates: a file listed in ``ingest.day_first`` / ``ingest.month_first`` is read that way;
otherwise a file whose slash dates only fit one reading uses it (month-first when both kinds
appear), and a file where every slash date fits both readings is rejected, naming the setting.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting import columns as C
from forecasting.config import IngestConfig
from forecasting.ingest import aggregate as agg
from forecasting.ingest.availability import availability_schema, typed_availability
from forecasting.ingest.fields import DATE_FIELDS, FIELDS, REQUIRED, Vocabulary, matches
from forecasting.ingest.manifest import FileEntry
from forecasting.ingest.other_names import NAME, unknown_daily
from forecasting.ingest.parse import DAY_FIRST, MONTH_FIRST, date_order_evidence
from forecasting.ingest.read import ReadError, read_table
from forecasting.ingest.schema import (
    HELPERS,
    REFERRAL_NAME,
    SERVICE_NAME,
    UNKNOWN_KIND_NAME,
    UNKNOWN_NAME,
    UNKNOWN_SKILLS,
    row_reasons,
    schema,
    typed_frame,
)
from forecasting.ingest.services import ServiceNames, named_rows, service_names
from forecasting.layout import DataLayout

__all__ = ["LINE", "READABLE_SUFFIXES", "REASON", "FileResult", "read_file"]

READABLE_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx"}
LINE, REASON = "line", "reason"
NUL_REASON = "row holds NUL bytes (damaged in the export)"
_IN_PROCESSED = DataLayout(processed=Path())  # file names relative to the processed folder


@dataclass
class FileResult:
    """Outcome of reading one raw file.

    Attributes:
        accepted: Daily totals of the accepted rows (no patient rows): procedures by clinic,
            procedure, date, status and booked_week; sessions by clinic, date, service and
            whether they count; referrals by clinic, referral type, date, driver week and
            whether the driver was still ahead; roster rows as typed.
        coverage: clinic_id, first, last date of the accepted rows (re-export rule).
        quarantined: Rejected rows: line, recognised columns as read, reason.
        unknown: Daily totals of the completed and scheduled procedure rows whose name no
            synonym matches (``other_names.unknown_daily``; procedures only).
    """

    path: str
    sha256: str
    kind: str | None
    rows_read: int = 0
    rows_accepted: int = 0
    rows_quarantined: int = 0
    status: str = "ok"
    error: str | None = None
    notes: dict = field(default_factory=dict)
    accepted: pd.DataFrame | None = None
    coverage: pd.DataFrame | None = None
    quarantined: pd.DataFrame | None = None
    unknown: pd.DataFrame | None = None

    @property
    def name(self) -> str:
        return Path(self.path).name

    def manifest_entry(self) -> FileEntry:
        """This file's line of the ingest manifest (its accounting, status and notes)."""
        keys = ("path", "sha256", "kind", "rows_read", "rows_accepted", "rows_quarantined")
        return FileEntry(
            **{k: getattr(self, k) for k in keys}, status=self.status, error=self.error,
            **self.notes,
        )  # fmt: skip


def _rejected(result: FileResult, message: str, quarantined: pd.DataFrame | None = None):
    n = 0 if quarantined is None else len(quarantined)
    return replace(
        result,
        status="rejected",
        error=message,
        rows_quarantined=n,
        rows_accepted=result.rows_read - n,
        quarantined=quarantined,
        accepted=None,
        unknown=None,
    )


def _quarantine(text: pd.DataFrame, lines, reasons) -> pd.DataFrame:
    out = text.copy()
    out.insert(0, LINE, np.asarray(lines, dtype=np.int64))
    out[REASON] = reasons
    return out


def _date_order(name: str, text: pd.DataFrame, config: IngestConfig) -> str | None:
    """How this file's slash dates read; None when every one of them fits both readings."""
    if matches(name, config.day_first):
        return DAY_FIRST
    if matches(name, config.month_first):
        return MONTH_FIRST
    present = [c for c in DATE_FIELDS if c in text]
    evidence = [date_order_evidence(text[c]) for c in present]
    only_mf, only_df, both = (sum(e[i] for e in evidence) for i in range(3))
    if only_df and not only_mf:
        return DAY_FIRST
    if both and not only_mf:
        return None
    return MONTH_FIRST


def read_file(
    path: Path,
    config: IngestConfig,
    today: date,
    services: dict[str, list[str]] | None = None,
) -> FileResult:
    """Read, clean and validate one raw export; never raises for bad content.

    Args:
        path: The raw file (only read).
        config: Ingest settings.
        today: Completed procedures and attended sessions after this day are quarantined.
        services: The configured services and their names (``services.configured_services``;
            default: ``mld`` alone), which session service names map to.

    Returns:
        FileResult with the accounting, the accepted daily totals and the quarantined rows.
    """
    path = Path(path)
    name = path.name
    try:
        data = path.read_bytes()
    except OSError as err:
        result = FileResult(path=str(path), sha256="", kind=None)
        return _rejected(result, f"{name} could not be read ({err.strerror}); check the file.")
    result = FileResult(path=str(path), sha256=hashlib.sha256(data).hexdigest(), kind=None)
    if path.suffix.lower() not in READABLE_SUFFIXES:
        return _rejected(
            result, f"{name} is not a CSV or XLSX export; save it as .xlsx or .csv to use it."
        )
    vocab = Vocabulary(config)
    try:
        table = read_table(path, data, vocab)
    except ReadError as err:
        return _rejected(result, str(err))
    kind = vocab.detect_kind(path.stem, table.sheet, table.headers)
    mapping = vocab.map_columns(table.headers, kind)
    text = table.frame(list(mapping)).set_axis(list(mapping.values()), axis=1)
    identifiers = [j for j, h in enumerate(table.headers) if h and vocab.is_identifier(h)]
    notes = {
        **table.details,
        "identifier_columns_dropped": len(identifiers),
        "columns_ignored": sum(1 for h in table.headers if h) - len(mapping) - len(identifiers),
    }
    result = replace(result, kind=kind, notes=notes, rows_read=len(text) + len(table.bad_rows))
    misaligned = pd.DataFrame(
        {LINE: np.array([b[0] for b in table.bad_rows], dtype=np.int64)}
        | {c: "" for c in text.columns}
        | {
            REASON: [
                NUL_REASON if b[2] else _field_count(b[1], len(table.headers))
                for b in table.bad_rows
            ]
        }
    )
    if result.rows_read == 0:
        return _rejected(result, f"{name} has a header but no data rows; re-export it with data.")

    def everything() -> pd.DataFrame:  # every row, for a file rejected as a whole
        damaged = np.where(table.nul, NUL_REASON, "")
        rows = pd.concat([_quarantine(text, table.lines, damaged), misaligned], ignore_index=True)
        return rows.astype({LINE: "int64"})

    if kind is None:
        return _rejected(
            result,
            f"{name}: cannot tell whether it holds procedures, sessions, referrals, a roster, "
            "a clinics list or availability; start the file name with procedures_, sessions_, "
            "referrals_, roster_, clinics_ or availability_.",
            _reasoned(everything(), "file kind unknown"),
        )
    missing = [c for c in REQUIRED[kind] if c not in text]
    if missing:
        accepted = ", ".join(FIELDS[kind][missing[0]])
        return _rejected(
            result,
            f"{name}: no column for {' and '.join(missing)} (accepted names for {missing[0]}: "
            f"{accepted}); rename the header or add it under ingest.column_synonyms.",
            _reasoned(everything(), f"file has no column for {' and '.join(missing)}"),
        )
    order = _date_order(name, text, config)
    if order is None:
        return _rejected(
            result,
            f"{name}: every slash date in it reads both as month-first and as day-first; add "
            f'"{name}" to ingest.day_first (or ingest.month_first) in lymphcast.toml.',
            _reasoned(everything(), "slash dates are ambiguous (month-first or day-first)"),
        )
    result.notes["date_order"] = order
    identity = sorted(set(identifiers) | set(mapping)) if identifiers else []
    vocabulary = service_names(config, services)
    return _validated(
        result, table, text, kind, order, (config, vocabulary), today, misaligned, identity
    )


def _int_lines(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with an int64 ``line`` column (as it is, without a copy, when it has one)."""
    return frame if frame[LINE].dtype == np.int64 else frame.astype({LINE: "int64"})


_SCHEMAS: dict[tuple, object] = {}


def _schema(kind: str, config: IngestConfig, today: date):
    """``schema(kind, config, today)``, built once per kind, settings and day (it is reused)."""
    key = (kind, config.model_dump_json(), today)
    if key not in _SCHEMAS:
        if len(_SCHEMAS) >= 12:  # a few runs' worth (three kinds each)
            _SCHEMAS.clear()
        base = schema(kind, config, today)
        _SCHEMAS[key] = availability_schema(base) if kind == "availability" else base
    return _SCHEMAS[key]


def _field_count(found: int, expected: int) -> str:
    return f"row has {found} field{'s' * (found != 1)} but the header has {expected}"


def _reasoned(frame: pd.DataFrame, reason: str) -> pd.DataFrame:
    return frame.assign(**{REASON: frame[REASON].where(frame[REASON] != "", reason)})


def _unknown_skills(unknown: pd.Series, config: IngestConfig) -> dict:
    """Roster skill names that are no known skill: named with enough rows, else only counted."""
    rows = pd.Series([n for names in unknown for n in dict.fromkeys(names)], dtype=object)
    counts = rows.value_counts()
    named = counts >= config.other_name_min_rows  # a rarer name may identify someone
    return {
        "skills_unknown": sorted(str(n) for n in counts.index[named]),
        "skill_names_withheld": int((~named).sum()),
    }


def _unknown_notes(typed: pd.DataFrame, column: str, what: str, min_rows: int) -> dict:
    """Unknown service or referral type names (rows quarantined): named with enough rows in
    the file, else only counted (``<what>s_unknown``, ``<what>_names_withheld``)."""
    if UNKNOWN_KIND_NAME not in typed or not typed[UNKNOWN_KIND_NAME].any():
        return {}
    names = typed.loc[typed[UNKNOWN_KIND_NAME], column]
    listed, withheld = named_rows(names, min_rows)
    return {f"{what}s_unknown": listed, f"{what}_names_withheld": withheld}


def _service_notes(
    typed: pd.DataFrame, ok: pd.DataFrame, services: ServiceNames, min_rows: int
) -> dict:
    """Rows of services the configuration does not have (accepted, not counted), per service,
    and the unknown service names (quarantined)."""
    other = ok[C.SERVICE].loc[~ok[C.SERVICE].isin(services.configured)]
    counts = other.value_counts()
    notes = _unknown_notes(typed, SERVICE_NAME, "service", min_rows)
    if len(counts):
        notes["services_not_configured"] = {str(k): int(v) for k, v in sorted(counts.items())}
    return notes


def _validated(result, table, text, kind, order, settings, today, misaligned, identity):
    """Type, validate and reduce the rows of a readable export (``read_file``'s second half).

    ``settings``: the ingest settings and the service vocabulary. ``identity``: positions of
    the identifier and recognised columns; procedure and referral rows equal on all of them
    repeat an earlier row (with no identifier column, equal rows are distinct).
    """
    config, services = settings
    duplicate = pd.Series(False, index=text.index)
    if kind in ("procedures", "referrals") and identity and len(text):
        duplicate = pd.util.hash_pandas_object(table.frame(identity), index=False).duplicated()
    typed, notes = typed_frame(text, kind, order, config, duplicate, services)
    if kind == "availability":
        typed = typed_availability(text, order, typed)
    reasons = row_reasons(typed, _schema(kind, config, today))
    reasons = reasons.where(~table.nul, NUL_REASON)  # a damaged row: its other values too
    bad = (reasons != "").to_numpy()
    quarantined = (
        pd.concat(
            [_quarantine(text.loc[bad], table.lines[bad], reasons[bad].to_numpy()), misaligned],
            ignore_index=True,
        )
        .pipe(_int_lines)
        .sort_values(LINE, kind="stable", ignore_index=True)
    )
    ok = typed.loc[~bad].drop(columns=list(HELPERS), errors="ignore")
    result = replace(
        result,
        notes={**result.notes, **notes},
        rows_quarantined=len(quarantined),
        rows_accepted=result.rows_read - len(quarantined),
        quarantined=quarantined,
        coverage=agg.coverage(ok) if kind in ("procedures", "sessions", "referrals") else None,
    )
    if kind == "procedures":
        rows = ok.loc[ok[UNKNOWN_NAME], NAME].value_counts()
        named = rows >= config.other_name_min_rows  # rarer names may identify a patient
        result.notes["procedures_counted_as_other"] = sorted(rows.index[named].tolist())
        result.notes["other_names_withheld"] = int((~named).sum())
        result.unknown = unknown_daily(ok)
        result.accepted = agg.reduce_procedures(ok)
    elif kind == "sessions":
        result.accepted = agg.reduce_sessions(ok, services.configured)
        result.notes["rows_not_counted"] = len(ok) - agg.counted_rows(result.accepted)
        result.notes |= _service_notes(typed, ok, services, config.other_name_min_rows)
    elif kind == "referrals":
        result.accepted = agg.reduce_referrals(ok)
        result.notes |= _unknown_notes(
            typed, REFERRAL_NAME, "referral_type", config.other_name_min_rows
        )
    elif kind == "availability":  # with lines: an unknown therapist's row is quarantined later
        result.accepted = ok.assign(**{LINE: table.lines[~bad]})
    else:
        result.accepted = ok
        if UNKNOWN_SKILLS in typed:
            result.notes |= _unknown_skills(typed.loc[~bad, UNKNOWN_SKILLS], config)
    if result.rows_accepted == 0:
        return replace(
            result,
            status="rejected",
            error=f"{result.name}: none of its {result.rows_read} rows passed validation; see "
            f"{_IN_PROCESSED.quarantine_file(result.name)} for the reasons.",
        )
    return result
