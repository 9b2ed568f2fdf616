"""Ingest: read raw exports, drop patient identifiers, validate, quarantine, aggregate to weeks.

Contract: DESIGN.md, "Raw exports" and "Processed data". data/raw is only ever read. Every
rejected row lands in ``quarantine/<file>.csv`` with a ``reason``; per file the manifest holds
``rows_read = rows_accepted + rows_quarantined``. All writes are atomic.

Re-export rule: for each kind and clinic, a file's rows cover the date range from its first to
its last date. When two exports of the same kind overlap for a clinic, the export whose latest
date is newer (then the later file name) wins for the dates it covers; the older export's rows in
that range are superseded (counted as accepted, reported as ``rows_superseded``), never summed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from . import columns as C
from . import io as atomic
from .config import IngestConfig
from .errors import InputError

KINDS = ("procedures", "sessions", "roster")
READABLE_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx"}
MIN_DATE = pd.Timestamp("2000-01-01")

# Canonical field -> accepted header names (compared after _norm).
_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "procedures": {
        "date": (
            "date",
            "procedure_date",
            "surgery_date",
            "date_of_service",
            "dos",
            "service_date",
        ),
        "clinic_id": ("clinic_id", "clinic", "site", "location", "clinic_name"),
        "procedure": ("procedure", "procedure_type", "procedure_name", "description"),
        "count": ("count", "quantity", "qty", "n"),
        "status": ("status",),
        "booked_on": ("booked_on", "booking_date", "booked"),
    },
    "sessions": {
        "date": ("date", "appointment_date", "session_date", "date_of_service", "dos"),
        "clinic_id": ("clinic_id", "clinic", "site", "location", "clinic_name"),
        "service": ("service", "service_name", "treatment", "appointment_type"),
        "count": ("count", "quantity", "qty", "n"),
        "status": ("status", "appointment_status"),
    },
    "roster": {
        "clinic_id": ("clinic_id", "clinic", "site", "location"),
        "therapist_id": ("therapist_id", "therapist", "staff_id", "employee_id"),
        "weekly_hours": ("weekly_hours", "hours", "contracted_hours", "hours_per_week"),
        "start_date": ("start_date", "start"),
        "end_date": ("end_date", "end", "leaving_date"),
    },
}
_REQUIRED = {
    "procedures": ("date", "clinic_id", "procedure"),
    "sessions": ("date", "clinic_id"),
    "roster": ("clinic_id", "therapist_id", "weekly_hours"),
}
_IDENTIFIERS = {
    "patient_id", "patient", "patient_name", "mrn", "medical_record_number", "name", "full_name",
    "first_name", "last_name", "firstname", "lastname", "surname", "dob", "date_of_birth",
    "birth_date", "birthdate", "phone", "phone_number", "mobile", "email", "email_address",
    "address", "street", "zip", "postcode", "ssn", "social_security_number",
}  # fmt: skip
_PROCEDURE_STATUS = {
    "completed": "completed", "done": "completed", "performed": "completed", "": "completed",
    "scheduled": "scheduled", "booked": "scheduled", "planned": "scheduled",
    "cancelled": "cancelled", "canceled": "cancelled",
}  # fmt: skip
_SESSION_STATUS = {
    "attended": "attended", "completed": "attended", "arrived": "attended", "": "attended",
    "no_show": "no_show", "noshow": "no_show", "dna": "no_show",
    "cancelled": "cancelled", "canceled": "cancelled",
}  # fmt: skip
_DEFAULT_PROCEDURE_SYNONYMS: dict[str, tuple[str, ...]] = {
    # Checked in this order; substrings of the name with punctuation and spaces removed.
    "bbl": ("bbl", "brazilianbuttlift", "buttlift", "gluteal"),
    "abdominoplasty": ("abdominoplasty", "tummytuck"),
    "breast_reduction": ("breastreduction", "mastopexy", "breastlift", "reductionmammaplasty"),
    "liposuction": ("liposuction", "lipo", "liposculpt"),
}
_MLD_SERVICE = ("lymph", "mld", "drainage")
_DATE_FORMATS_MONTH_FIRST = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%m/%d/%Y", "%d-%b-%Y", "%m/%d/%y")
_DATE_FORMATS_DAY_FIRST = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y", "%d-%b-%Y", "%d/%m/%y")


def _norm(name: object) -> str:
    """Header or label in canonical form: lower case, runs of non-alphanumerics become '_'."""
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


@dataclass
class FileResult:
    """Outcome of reading one raw file."""

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
    quarantined: pd.DataFrame | None = None

    def manifest_entry(self) -> dict:
        keys = ("path", "sha256", "kind", "rows_read", "rows_accepted", "rows_quarantined")
        entry = {k: getattr(self, k) for k in keys}
        entry.update(status=self.status, error=self.error, **self.notes)
        return entry


@dataclass(frozen=True)
class IngestResult:
    files: list[FileResult]
    procedures_weekly: pd.DataFrame
    sessions_weekly: pd.DataFrame
    roster: pd.DataFrame

    @property
    def manifest(self) -> dict:
        return {"files": [f.manifest_entry() for f in self.files]}

    @property
    def usable(self) -> bool:
        return any(f.status == "ok" for f in self.files)


# --------------------------------------------------------------------------- reading


def discover(raw_dir: Path) -> list[Path]:
    """Raw export files in ``raw_dir`` (not recursive), sorted by name."""
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise InputError(
            f"Raw data directory {raw_dir} does not exist; create it and put the clinic exports "
            "there, or run `lymphcast demo` to write example exports."
        )
    files = sorted(
        p for p in raw_dir.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in READABLE_SUFFIXES
    )  # fmt: skip
    if not files:
        raise InputError(
            f"Raw data directory {raw_dir} holds no .csv or .xlsx export; add the clinic exports "
            "or run `lymphcast demo` to write example exports."
        )
    return files


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")


def _read_grid(path: Path, data: bytes) -> pd.DataFrame:
    """All cells as strings, no header applied yet."""
    if path.suffix.lower() == ".xlsx":
        grid = pd.read_excel(io.BytesIO(data), sheet_name=0, header=None, dtype=object)
        return grid.map(_cell_text)
    if b"\x00" in data[:4096]:
        raise InputError(
            f"{path.name} is not a text CSV (binary content); export it as CSV or XLSX."
        )
    text = _decode(data)
    sample = "\n".join(text.splitlines()[:20])
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    return pd.read_csv(
        io.StringIO(text), sep=delimiter, header=None, dtype=str, keep_default_na=False,
        skip_blank_lines=True, engine="python",
    )  # fmt: skip


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _detect_kind(path: Path, headers: list[str]) -> str | None:
    stem = _norm(path.stem)
    for kind in KINDS:
        if stem.startswith(kind) or stem.startswith(kind.rstrip("s")):
            return kind
    if {"therapist_id", "weekly_hours"} & set(headers):
        return "roster"
    if "service" in headers:
        return "sessions"
    if {"procedure", "procedure_type", "procedure_name"} & set(headers):
        return "procedures"
    return None


def _header_row(grid: pd.DataFrame) -> int:
    """Index of the first row that names at least two known columns (skips title rows)."""
    known = {s for kind in _FIELDS.values() for syn in kind.values() for s in syn}
    for i in range(min(len(grid), 10)):
        names = {_norm(v) for v in grid.iloc[i].tolist()}
        if len(names & known) >= 2:
            return i
    return 0


# --------------------------------------------------------------------------- normalising


def _map_columns(frame: pd.DataFrame, kind: str, drop: set[str]) -> pd.DataFrame:
    """Rename known columns to canonical names; drop identifiers and unknown columns."""
    rename: dict[str, str] = {}
    for col in frame.columns:
        n = _norm(col)
        if n in drop or n.startswith("patient"):
            continue
        for canonical, synonyms in _FIELDS[kind].items():
            if n in synonyms and canonical not in rename.values():
                rename[col] = canonical
                break
    return frame[list(rename)].rename(columns=rename)


def _parse_dates(values: pd.Series, day_first: bool) -> pd.Series:
    """Parse each value with the first format that fits; NaT where none does."""
    formats = _DATE_FORMATS_DAY_FIRST if day_first else _DATE_FORMATS_MONTH_FIRST
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    text = values.astype(str).str.strip()
    for fmt in formats:
        missing = out.isna()
        if not missing.any():
            break
        out[missing] = pd.to_datetime(text[missing], format=fmt, errors="coerce")
    return out


def _map_procedure(name: str, synonyms: dict[str, tuple[str, ...]]) -> str:
    key = re.sub(r"[^0-9a-z]+", "", name.lower())
    for procedure, needles in synonyms.items():
        if any(n and n in key for n in needles):
            return procedure
    return "other"


def _procedure_synonyms(config: IngestConfig) -> dict[str, tuple[str, ...]]:
    merged = {k: tuple(v) for k, v in _DEFAULT_PROCEDURE_SYNONYMS.items()}
    for procedure, extra in config.procedure_synonyms.items():
        needles = tuple(re.sub(r"[^0-9a-z]+", "", e.lower()) for e in extra)
        merged[procedure] = needles + merged.get(procedure, ())
    # Configured synonyms first, so they override the built-in order.
    configured = [p for p in config.procedure_synonyms if p in merged]
    return {p: merged[p] for p in configured + [p for p in merged if p not in configured]}


def _typed(frame: pd.DataFrame, kind: str, day_first: bool, config: IngestConfig) -> pd.DataFrame:
    """Typed columns; unparseable values become NaN/NaT so the schema flags the row."""
    out = pd.DataFrame(index=frame.index)
    out[C.CLINIC] = frame[C.CLINIC].astype(str).str.strip()
    if kind in ("procedures", "sessions"):
        out["date"] = _parse_dates(frame["date"], day_first)
        raw_count = frame["count"] if "count" in frame else pd.Series("1", index=frame.index)
        raw_count = raw_count.astype(str).str.strip().replace("", "1")
        out["count"] = pd.to_numeric(raw_count, errors="coerce")
        statuses = _PROCEDURE_STATUS if kind == "procedures" else _SESSION_STATUS
        raw_status = frame["status"] if "status" in frame else pd.Series("", index=frame.index)
        out["status"] = raw_status.astype(str).map(_norm).map(statuses)
    if kind == "procedures":
        synonyms = _procedure_synonyms(config)
        out["procedure_name"] = frame["procedure"].astype(str).str.strip()
        out[C.PROCEDURE] = out["procedure_name"].map(lambda s: _map_procedure(s, synonyms))
    if kind == "sessions":
        service = frame["service"] if "service" in frame else pd.Series("MLD", index=frame.index)
        out["is_mld"] = service.astype(str).str.lower().str.contains("|".join(_MLD_SERVICE))
    if kind == "roster":
        out[C.THERAPIST] = frame[C.THERAPIST].astype(str).str.strip()
        out[C.WEEKLY_HOURS] = pd.to_numeric(frame[C.WEEKLY_HOURS], errors="coerce")
        for col in (C.START_DATE, C.END_DATE):
            raw = frame[col] if col in frame else pd.Series("", index=frame.index)
            out[col] = _parse_dates(raw.where(raw.astype(str).str.strip() != "", "NaT"), day_first)
    return out


def _schema(kind: str, today: pd.Timestamp, clinics: list[str]) -> pa.DataFrameSchema:
    clinic_checks = [pa.Check.str_length(min_value=1, error="clinic_id is empty")]
    if clinics:
        clinic_checks.append(pa.Check.isin(clinics, error="clinic_id is not a configured clinic"))
    cols: dict[str, pa.Column] = {C.CLINIC: pa.Column(str, clinic_checks)}
    if kind in ("procedures", "sessions"):
        cols["date"] = pa.Column(
            "datetime64[ns]",
            [pa.Check.ge(MIN_DATE, error=f"date before {MIN_DATE.date()}")],
            nullable=False,
        )
        cols["count"] = pa.Column(
            float,
            [
                pa.Check.ge(0, error="count is negative"),
                pa.Check(lambda s: s == np.floor(s), error="count is not a whole number"),
            ],
            nullable=False,
        )
        cols["status"] = pa.Column(str, nullable=False)
    if kind == "procedures":
        cols["procedure_name"] = pa.Column(str, pa.Check.str_length(min_value=1))
    if kind == "roster":
        cols[C.THERAPIST] = pa.Column(
            str,
            [
                pa.Check.str_length(min_value=1, error="therapist_id is empty"),
                pa.Check(lambda s: ~s.duplicated(keep="first"), error="duplicate therapist_id"),
            ],
        )
        cols[C.WEEKLY_HOURS] = pa.Column(
            float, pa.Check.in_range(0, 80, error="weekly_hours outside 0..80"), nullable=False
        )
    checks = []
    if kind == "procedures":
        checks.append(
            pa.Check(
                lambda df: ~((df["status"] == "completed") & (df["date"] > today)),
                error="completed procedure dated in the future",
            )
        )
    return pa.DataFrameSchema(cols, checks=checks, coerce=False)


def _row_reasons(typed: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.Series:
    """One reason string per failing row (index of ``typed``); empty for valid rows."""
    reasons = pd.Series("", index=typed.index, dtype=object)
    try:
        schema.validate(typed, lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases.dropna(subset=["index"])
        for idx, group in cases.groupby("index", sort=True):
            texts = [
                f"{column} is missing or unreadable" if check == "not_nullable" else str(check)
                for column, check in zip(group["column"], group["check"], strict=True)
            ]
            reasons.loc[idx] = "; ".join(dict.fromkeys(texts))
    return reasons


# --------------------------------------------------------------------------- one file


def read_file(path: Path, config: IngestConfig, today: date) -> FileResult:
    """Read, clean and validate one raw export; never raises for bad content."""
    data = Path(path).read_bytes()
    result = FileResult(path=str(path), sha256=hashlib.sha256(data).hexdigest(), kind=None)
    try:
        grid = _read_grid(Path(path), data)
    except InputError as err:
        return _rejected(result, str(err))
    except (ValueError, OSError, pd.errors.ParserError) as err:
        return _rejected(result, f"{Path(path).name} could not be read ({err}); re-export it.")
    if grid.empty:
        return _rejected(result, f"{Path(path).name} is empty; re-export it with data rows.")
    header = _header_row(grid)
    body = grid.iloc[header + 1 :].reset_index(drop=True)
    body.columns = [str(c).strip() for c in grid.iloc[header].tolist()]
    body = body.loc[~(body.astype(str).apply(lambda s: s.str.strip()) == "").all(axis=1)]
    body = body.reset_index(drop=True)
    result.rows_read = len(body)
    kind = _detect_kind(Path(path), [_norm(c) for c in body.columns])
    result.kind = kind
    if kind is None:
        return _rejected(
            result,
            f"{Path(path).name}: cannot tell whether it holds procedures, sessions or a roster; "
            "start the file name with procedures_, sessions_ or roster_.",
            rows_quarantined=result.rows_read,
            quarantined=body.assign(reason="file kind unknown"),
        )
    drop = _IDENTIFIERS | {_norm(c) for c in config.extra_identifier_columns}
    mapped = _map_columns(body, kind, drop)
    missing = [c for c in _REQUIRED[kind] if c not in mapped.columns]
    if missing:
        names = ", ".join(missing)
        return _rejected(
            result,
            f"{Path(path).name}: no column for {names}; rename the header or add a synonym.",
            rows_quarantined=result.rows_read,
            quarantined=mapped.assign(reason=f"file has no column for {names}"),
        )
    if result.rows_read == 0:
        return _rejected(result, f"{Path(path).name} has a header but no data rows.")
    day_first = Path(path).name in config.day_first
    typed = _typed(mapped, kind, day_first, config)
    reasons = _row_reasons(typed, _schema(kind, pd.Timestamp(today), config.clinics))
    if kind in ("procedures", "sessions"):
        bad_status = typed["status"].isna() & (reasons == "")
        reasons[bad_status] = "status is not recognised"
    bad = reasons != ""
    result.quarantined = mapped.loc[bad].assign(source_row=(mapped.index[bad] + header + 2))
    result.quarantined["reason"] = reasons[bad].to_numpy()
    result.accepted = typed.loc[~bad].reset_index(drop=True)
    result.rows_quarantined = int(bad.sum())
    result.rows_accepted = result.rows_read - result.rows_quarantined
    if kind == "procedures":
        unknown = typed.loc[~bad & (typed[C.PROCEDURE] == "other"), "procedure_name"]
        result.notes["procedures_counted_as_other"] = sorted(unknown.unique().tolist())
    if kind == "sessions":
        result.notes["rows_not_mld"] = int((~typed.loc[~bad, "is_mld"]).sum())
    return result


def _rejected(
    result: FileResult, message: str, *, rows_quarantined: int = 0, quarantined=None
) -> FileResult:
    result.status = "rejected"
    result.error = message
    result.rows_quarantined = rows_quarantined
    result.rows_accepted = result.rows_read - rows_quarantined
    result.quarantined = quarantined
    return result


# --------------------------------------------------------------------------- aggregating


def _monday(dates: pd.Series) -> pd.Series:
    return (dates - pd.to_timedelta(dates.dt.weekday, unit="D")).dt.normalize()


def _resolve_overlaps(parts: list[tuple[FileResult, pd.DataFrame]]) -> pd.DataFrame:
    """Apply the re-export rule (module docstring); return the surviving rows."""
    if not parts:
        return pd.DataFrame()
    order = sorted(parts, key=lambda p: (p[1]["date"].max(), Path(p[0].path).name))
    kept: list[pd.DataFrame] = []
    for i, (result, frame) in enumerate(order):
        survivors = frame
        for _, newer in order[i + 1 :]:
            for clinic, rows in newer.groupby(C.CLINIC):
                lo, hi = rows["date"].min(), rows["date"].max()
                covered = (
                    (survivors[C.CLINIC] == clinic)
                    & (survivors["date"] >= lo)
                    & (survivors["date"] <= hi)
                )
                survivors = survivors.loc[~covered]
        result.notes["rows_superseded"] = len(frame) - len(survivors)
        kept.append(survivors)
    return pd.concat(kept, ignore_index=True)


def aggregate_procedures(files: list[FileResult]) -> pd.DataFrame:
    parts = [(f, f.accepted) for f in files if f.kind == "procedures" and f.accepted is not None]
    rows = _resolve_overlaps([p for p in parts if len(p[1])])
    if rows.empty:
        return pd.DataFrame(columns=C.PROCEDURES_WEEKLY_COLUMNS)
    rows = rows.assign(week=_monday(rows["date"]))
    rows[C.COMPLETED] = np.where(rows["status"] == "completed", rows["count"], 0)
    rows[C.SCHEDULED] = np.where(rows["status"] == "scheduled", rows["count"], 0)
    weekly = rows.groupby([C.CLINIC, C.PROCEDURE, C.WEEK], as_index=False)[
        [C.COMPLETED, C.SCHEDULED]
    ].sum()
    weekly[[C.COMPLETED, C.SCHEDULED]] = weekly[[C.COMPLETED, C.SCHEDULED]].astype("int64")
    return weekly.sort_values([C.CLINIC, C.PROCEDURE, C.WEEK]).reset_index(drop=True)


def aggregate_sessions(files: list[FileResult]) -> pd.DataFrame:
    """Weekly MLD sessions: attended and no-show appointments (both hold a therapist hour)."""
    parts = [(f, f.accepted) for f in files if f.kind == "sessions" and f.accepted is not None]
    rows = _resolve_overlaps([p for p in parts if len(p[1])])
    if rows.empty:
        return pd.DataFrame(columns=C.SESSIONS_WEEKLY_COLUMNS)
    rows = rows.loc[rows["is_mld"] & rows["status"].isin(["attended", "no_show"])]
    rows = rows.assign(week=_monday(rows["date"]))
    weekly = rows.groupby([C.CLINIC, C.WEEK], as_index=False)["count"].sum()
    weekly = weekly.rename(columns={"count": C.SESSIONS})
    weekly[C.SESSIONS] = weekly[C.SESSIONS].astype("int64")
    return weekly.sort_values([C.CLINIC, C.WEEK]).reset_index(drop=True)


def combine_roster(files: list[FileResult]) -> pd.DataFrame:
    parts = [f.accepted for f in files if f.kind == "roster" and f.accepted is not None]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=C.ROSTER_COLUMNS)
    roster = pd.concat(parts, ignore_index=True)[C.ROSTER_COLUMNS]
    roster = roster.drop_duplicates([C.CLINIC, C.THERAPIST], keep="last")
    return roster.sort_values([C.CLINIC, C.THERAPIST]).reset_index(drop=True)


# --------------------------------------------------------------------------- entry point


def ingest(raw_dir: Path, config: IngestConfig, today: date) -> IngestResult:
    """Read every export in ``raw_dir``; pure apart from reading files."""
    files = [read_file(p, config, today) for p in discover(raw_dir)]
    return IngestResult(
        files=files,
        procedures_weekly=aggregate_procedures(files),
        sessions_weekly=aggregate_sessions(files),
        roster=combine_roster(files),
    )


def write_processed(result: IngestResult, processed_dir: Path) -> Path:
    """Write the processed files, quarantine and manifest atomically; return the manifest path."""
    processed_dir = Path(processed_dir)
    atomic.write_parquet(processed_dir / "procedures_weekly.parquet", result.procedures_weekly)
    atomic.write_parquet(processed_dir / "sessions_weekly.parquet", result.sessions_weekly)
    atomic.write_parquet(processed_dir / "roster.parquet", result.roster)
    quarantine = processed_dir / "quarantine"
    for f in result.files:
        target = quarantine / f"{Path(f.path).name}.csv"
        if f.quarantined is not None and len(f.quarantined):
            atomic.write_csv(target, f.quarantined)
        elif target.exists():
            target.unlink()
    return atomic.write_json(processed_dir / "ingest_manifest.json", result.manifest)


def load_processed(processed_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Procedures weekly, sessions weekly and roster frames from ``processed_dir``."""
    processed_dir = Path(processed_dir)
    names = ("procedures_weekly.parquet", "sessions_weekly.parquet", "roster.parquet")
    missing = [n for n in names if not (processed_dir / n).is_file()]
    if missing:
        raise InputError(f"{processed_dir} has no {missing[0]}; run `lymphcast ingest` first.")
    return tuple(pd.read_parquet(processed_dir / n) for n in names)  # type: ignore[return-value]
