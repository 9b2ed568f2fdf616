"""Ingest: read raw exports, drop patient identifiers, validate, quarantine, aggregate to weeks.

Contract: DESIGN.md, "Raw exports" and "Processed data". data/raw is only ever read. Per file
the manifest holds ``rows_read = rows_accepted + rows_quarantined``: every data row (blank rows
are not rows) is either accepted or lands in ``quarantine/<file>.csv`` with its source ``line``
and a ``reason``. A file that cannot be used at all is rejected with one sentence naming the
file and the fix; the run goes on with the other files. All writes are atomic.

Patient identifiers never leave this module: only the recognised, non-identifying columns of a
row are kept (as read) for quarantine; identifier columns are used in memory only to spot exact
duplicate procedure rows. A row whose field count differs from the header's is quarantined
without its values (they are misaligned, so any of them could be an identifier).

Slash dates: a file listed in ``ingest.day_first`` / ``ingest.month_first`` is read that way;
otherwise a file whose slash dates only fit one reading uses it (month-first when both kinds
appear), and a file where every slash date fits both readings is rejected, naming the setting.

Re-exports (see ``ingest_aggregate``): per kind and clinic, the export with the later last date
(then the later file name) wins for the dates it covers; rosters: the last file by name wins per
clinic. Superseded rows are counted as accepted and reported as ``rows_superseded``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting import columns as C
from forecasting import io as atomic
from forecasting.config import Config, IngestConfig
from forecasting.errors import InputError
from forecasting.ingest import aggregate as agg
from forecasting.ingest.aggregate import BOOKED_WEEK, BOOKINGS_COLUMNS, COUNT  # noqa: F401 (public)
from forecasting.ingest.fields import DATE_FIELDS, FIELDS, KINDS, REQUIRED, Vocabulary, matches
from forecasting.ingest.parse import DAY_FIRST, MONTH_FIRST, date_order_evidence
from forecasting.ingest.read import ReadError, read_table
from forecasting.ingest.schema import DUPLICATE, row_reasons, schema, typed_frame
from forecasting.layout import DataLayout
from forecasting.workers import process_pool, worker_count

__all__ = [
    "BOOKINGS_COLUMNS", "FileResult", "IngestResult", "KINDS", "READABLE_SUFFIXES",
    "aggregate_bookings", "aggregate_procedures", "aggregate_sessions", "combine_roster",
    "discover", "ingest", "load_bookings", "load_processed", "read_file", "write_processed",
]  # fmt: skip

READABLE_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx"}
LINE, REASON = "line", "reason"
_PROCESSED = ("procedures_weekly.parquet", "sessions_weekly.parquet", "roster.parquet")
_BOOKINGS = "bookings.parquet"


@dataclass
class FileResult:
    """Outcome of reading one raw file.

    Attributes:
        accepted: Daily totals of the accepted rows (no patient rows): procedures by clinic,
            procedure, date, status and booked_week; sessions by clinic, date and whether they
            count; roster rows as typed.
        coverage: clinic_id, first, last date of the accepted rows (re-export rule).
        quarantined: Rejected rows: line, recognised columns as read, reason.
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

    @property
    def name(self) -> str:
        return Path(self.path).name

    def manifest_entry(self) -> dict:
        keys = ("path", "sha256", "kind", "rows_read", "rows_accepted", "rows_quarantined")
        entry = {k: getattr(self, k) for k in keys}
        entry.update(status=self.status, error=self.error, **self.notes)
        return entry


def _empty_bookings() -> pd.DataFrame:
    return agg.bookings(pd.DataFrame())


@dataclass(frozen=True)
class IngestResult:
    files: list[FileResult]
    procedures_weekly: pd.DataFrame
    sessions_weekly: pd.DataFrame
    roster: pd.DataFrame
    bookings: pd.DataFrame = field(default_factory=_empty_bookings)

    @property
    def manifest(self) -> dict:
        return {"files": [f.manifest_entry() for f in self.files]}

    @property
    def usable(self) -> bool:
        """At least one file gave accepted rows."""
        return any(f.status == "ok" and f.rows_accepted > 0 for f in self.files)


# --------------------------------------------------------------------------- files


def discover(raw_dir: Path) -> list[Path]:
    """Raw export files (.csv, .txt, .tsv, .xlsx) in ``raw_dir`` (not recursive), by name."""
    files = [p for p in _listing(raw_dir) if p.suffix.lower() in READABLE_SUFFIXES]
    if not files:
        raise InputError(
            f"Raw data directory {raw_dir} holds no .csv or .xlsx export; add the clinic exports "
            "or run `lymphcast demo` to write example exports."
        )
    return files


def _listing(raw_dir: Path) -> list[Path]:
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise InputError(
            f"Raw data directory {raw_dir} does not exist; create it and put the clinic exports "
            "there, or run `lymphcast demo` to write example exports."
        )
    return sorted(p for p in raw_dir.iterdir() if p.is_file() and not p.name.startswith("."))


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


def read_file(path: Path, config: IngestConfig, today: date) -> FileResult:
    """Read, clean and validate one raw export; never raises for bad content.

    Args:
        path: The raw file (only read).
        config: Ingest settings.
        today: Completed procedures and attended sessions after this day are quarantined.

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
        | {REASON: [_field_count(b[1], len(table.headers)) for b in table.bad_rows]}
    )
    if result.rows_read == 0:
        return _rejected(result, f"{name} has a header but no data rows; re-export it with data.")

    def everything() -> pd.DataFrame:  # every row, for a file rejected as a whole
        rows = pd.concat([_quarantine(text, table.lines, ""), misaligned], ignore_index=True)
        return rows.astype({LINE: "int64"})

    if kind is None:
        return _rejected(
            result,
            f"{name}: cannot tell whether it holds procedures, sessions or a roster; start the "
            "file name with procedures_, sessions_ or roster_.",
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
    return _validated(result, table, text, kind, order, config, today, misaligned, identity)


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
        _SCHEMAS[key] = schema(kind, config, today)
    return _SCHEMAS[key]


def _field_count(found: int, expected: int) -> str:
    return f"row has {found} field{'s' * (found != 1)} but the header has {expected}"


def _reasoned(frame: pd.DataFrame, reason: str) -> pd.DataFrame:
    return frame.assign(**{REASON: frame[REASON].where(frame[REASON] != "", reason)})


def _validated(result, table, text, kind, order, config, today, misaligned, identity):
    """Type, validate and reduce the rows of a readable export (``read_file``'s second half).

    ``identity``: positions of the identifier and recognised columns; procedure rows equal on
    all of them repeat an earlier row (with no identifier column, equal rows are distinct).
    """
    duplicate = pd.Series(False, index=text.index)
    if kind == "procedures" and identity and len(text):
        duplicate = pd.util.hash_pandas_object(table.frame(identity), index=False).duplicated()
    typed, notes = typed_frame(text, kind, order, config, duplicate)
    reasons = row_reasons(typed, _schema(kind, config, today))
    bad = (reasons != "").to_numpy()
    quarantined = (
        pd.concat(
            [_quarantine(text.loc[bad], table.lines[bad], reasons[bad].to_numpy()), misaligned],
            ignore_index=True,
        )
        .pipe(_int_lines)
        .sort_values(LINE, kind="stable", ignore_index=True)
    )
    ok = typed.loc[~bad].drop(columns=[DUPLICATE], errors="ignore")
    result = replace(
        result,
        notes={**result.notes, **notes},
        rows_quarantined=len(quarantined),
        rows_accepted=result.rows_read - len(quarantined),
        quarantined=quarantined,
        coverage=agg.coverage(ok) if kind != "roster" else None,
    )
    if kind == "procedures":
        other = ok.loc[ok[C.PROCEDURE] == "other", "procedure_name"]
        result.notes["procedures_counted_as_other"] = sorted(other.unique().tolist())
        result.accepted = agg.reduce_procedures(ok)
    elif kind == "sessions":
        result.accepted = agg.reduce_sessions(ok)
        result.notes["rows_not_counted"] = len(ok) - agg.counted_rows(result.accepted)
    else:
        result.accepted = ok
    if result.rows_accepted == 0:
        return replace(
            result,
            status="rejected",
            error=f"{result.name}: none of its {result.rows_read} rows passed validation; see "
            f"quarantine/{result.name}.csv for the reasons.",
        )
    return result


# --------------------------------------------------------------------------- aggregating


def _parts(files: list[FileResult], kind: str) -> list[FileResult]:
    return [f for f in files if f.kind == kind and f.status == "ok" and f.accepted is not None]


def _surviving(files: list[FileResult], kind: str) -> tuple[list[FileResult], list]:
    parts = _parts(files, kind)
    done = agg.survivors([(f.name, f.accepted, f.coverage) for f in parts])
    return parts, done


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def aggregate_procedures(files: list[FileResult]) -> pd.DataFrame:
    """procedures_weekly from the accepted rows, re-exports resolved (never double counted)."""
    _, done = _surviving(files, "procedures")
    return agg.weekly_procedures(_concat([rows for _, rows in done]))


def aggregate_bookings(files: list[FileResult]) -> pd.DataFrame:
    """bookings: procedures by surgery week and booking week (rows that carry booked_on)."""
    _, done = _surviving(files, "procedures")
    return agg.bookings(_concat([rows for _, rows in done]))


def aggregate_sessions(files: list[FileResult]) -> pd.DataFrame:
    """sessions_weekly: MLD appointments attended or missed (both hold a therapist hour)."""
    _, done = _surviving(files, "sessions")
    return agg.weekly_sessions(_concat([rows for _, rows in done]))


def combine_roster(files: list[FileResult]) -> pd.DataFrame:
    """The roster: per clinic, the roster file whose name sorts last."""
    parts = _parts(files, "roster")
    return agg.roster([(f.name, f.accepted) for f in parts])[0]


_BYTES_PER_WORKER = 32 << 20  # starting a worker process costs about as much as reading 32 MB


def _read_files(paths: list[Path], config: IngestConfig, today: date) -> list[FileResult]:
    """``read_file`` of each path, in path order, up to ``config.workers`` files at a time.

    In worker processes, since reading an export is mostly Python (pandas, validation) that
    threads would run one at a time. Each worker reads its files itself and returns their
    results, which hold no patient row; results come back in path order whatever finishes
    first, so the outputs are the same bytes. The workers fork from a fork server (safe in a
    process with threads, such as a Prefect flow; scripts need the ``__main__`` guard). In
    this process instead for one worker, for less than 64 MB of exports (a worker would cost
    more than it saves), or inside a daemonic process (a Dask worker's), which may not start
    processes.
    """
    size = sum(_size(p) for p in paths)
    workers = worker_count(config.workers, min(len(paths), size // _BYTES_PER_WORKER))
    if workers < 2:
        return [read_file(p, config, today) for p in paths]
    chunk = max(1, len(paths) // (workers * 8))  # few messages, and the workers end together
    read = partial(read_file, config=config, today=today)
    with process_pool(workers) as pool:
        return list(pool.map(read, paths, chunksize=chunk))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # read_file says what is wrong with it
        return 0


def ingest(raw_dir: Path, config: IngestConfig, today: date) -> IngestResult:
    """Read every file in ``raw_dir``; pure apart from reading files.

    Files that are not CSV or XLSX are listed as rejected (so the run says what it skipped).

    Raises:
        InputError: ``raw_dir`` is missing or holds no CSV/XLSX export.
    """
    discover(raw_dir)
    files = _read_files(_listing(raw_dir), config, today)
    superseded: dict[int, int] = {}
    rows: dict[str, pd.DataFrame] = {}
    for kind in ("procedures", "sessions"):
        parts, done = _surviving(files, kind)
        superseded.update({id(f): n for f, (n, _) in zip(parts, done, strict=True)})
        rows[kind] = _concat([r for _, r in done])
    parts = _parts(files, "roster")
    roster, dropped = agg.roster([(f.name, f.accepted) for f in parts])
    superseded.update({id(f): n for f, n in zip(parts, dropped, strict=True)})
    files = [
        replace(f, notes={**f.notes, "rows_superseded": superseded[id(f)]})
        if id(f) in superseded
        else f
        for f in files
    ]
    return IngestResult(
        files=files,
        procedures_weekly=agg.weekly_procedures(rows["procedures"]),
        sessions_weekly=agg.weekly_sessions(rows["sessions"]),
        roster=roster,
        bookings=agg.bookings(rows["procedures"]),
    )


# --------------------------------------------------------------------------- writing


def _csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Cells that a spreadsheet would run as a formula get a leading apostrophe."""

    def cell(v: object) -> object:
        s = str(v)
        if s[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(s):
            return "'" + s
        return v

    text_cols = [c for c in frame.columns if c not in (LINE,)]
    return frame.assign(**{c: frame[c].map(cell) for c in text_cols})


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def write_processed(result: IngestResult, processed_dir: Path) -> Path:
    """Write processed files, quarantine and manifest atomically; return the manifest path.

    The quarantine directory is rebuilt whole (no stale files of earlier runs); the manifest
    is written last, so a crash never leaves a manifest that describes files not written.
    """
    processed_dir = Path(processed_dir)
    frames = (result.procedures_weekly, result.sessions_weekly, result.roster)
    for name, frame in zip(_PROCESSED, frames, strict=True):
        atomic.write_parquet(processed_dir / name, frame)
    atomic.write_parquet(processed_dir / _BOOKINGS, result.bookings)
    with atomic.publish_dir(processed_dir / "quarantine") as staging:
        for f in result.files:
            if f.quarantined is not None and len(f.quarantined):
                _csv_safe(f.quarantined).to_csv(
                    staging / f"{f.name}.csv", index=False, lineterminator="\n"
                )
    return atomic.write_json(processed_dir / "ingest_manifest.json", result.manifest)


def load_processed(processed_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Procedures weekly, sessions weekly and roster frames from ``processed_dir``."""
    processed_dir = Path(processed_dir)
    missing = [n for n in _PROCESSED if not (processed_dir / n).is_file()]
    if missing:
        raise InputError(f"{processed_dir} has no {missing[0]}; run `lymphcast ingest` first.")
    return tuple(pd.read_parquet(processed_dir / n) for n in _PROCESSED)  # type: ignore[return-value]


def load_bookings(processed_dir: Path) -> pd.DataFrame:
    """bookings.parquet (clinic_id, procedure, week, booked_week, count); empty when absent."""
    path = Path(processed_dir) / _BOOKINGS
    return pd.read_parquet(path) if path.is_file() else _empty_bookings()


def ingest_exports(layout: DataLayout, config: Config, today: date | None = None) -> IngestResult:
    """Ingest every export of ``layout.raw`` and write the processed files; return the result.

    Args:
        layout: Where the raw exports are and the processed files go.
        config: The run's configuration (its ``[ingest]`` settings are used).
        today: Completed procedures and attended sessions after this day are quarantined
            (default: today).

    Raises:
        InputError: no export could be used (the first file's reason is named).
    """
    result = ingest(layout.raw, config.ingest, today or date.today())
    if not result.usable:
        first = next((f.error for f in result.files if f.error), "no usable rows")
        raise InputError(f"No export in {layout.raw} could be used ({first}).")
    write_processed(result, layout.processed)
    return result
