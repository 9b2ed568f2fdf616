"""The folder run: every raw export read (in worker processes when large), re-exports resolved.

Contract: DESIGN.md, "Raw exports" and "Processed data". data/raw is only ever read; each file
is read by ``files.read_file``, and a rejected file does not stop the run.

Re-exports (see ``ingest.aggregate``): per kind and clinic, the export with the later last date
(then the later file name) wins for the dates it covers; rosters: the last file by name wins per
clinic. Superseded rows are counted as accepted and reported as ``rows_superseded``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date
from functools import partial
from pathlib import Path

import pandas as pd

from forecasting import columns as C
from forecasting.config import Config, IngestConfig
from forecasting.errors import InputError
from forecasting.ingest import aggregate as agg
from forecasting.ingest.availability_roster import availability_of
from forecasting.ingest.fields import KINDS, squash
from forecasting.ingest.files import READABLE_SUFFIXES, FileResult, read_file
from forecasting.ingest.manifest import ClinicOtherNames, SkippedPath
from forecasting.ingest.other_names import clinic_other_names
from forecasting.ingest.result import IngestResult
from forecasting.ingest.services import configured_services
from forecasting.ingest.store import write_processed
from forecasting.layout import DataLayout
from forecasting.progress import Progress, stage
from forecasting.workers import process_pool, worker_count

__all__ = [
    "IngestResult", "aggregate_bookings", "aggregate_procedures", "aggregate_referrals",
    "aggregate_service_sessions", "aggregate_sessions", "combine_roster", "discover", "ingest",
    "ingest_exports", "skipped_paths",
]  # fmt: skip


def discover(raw_dir: Path) -> list[Path]:
    """Raw export files (.csv, .txt, .tsv, .xlsx) in ``raw_dir`` (not recursive), by name.

    Paths that cannot be read as files are left out (``skipped_paths`` says why).
    """
    files = [p for p in _listing(raw_dir)[0] if p.suffix.lower() in READABLE_SUFFIXES]
    if not files:
        skipped = _listing(raw_dir)[1]
        why = f" (skipped {skipped[0].path}: {skipped[0].reason})" if skipped else ""
        raise InputError(
            f"Raw data directory {raw_dir} holds no .csv or .xlsx export{why}; add the clinic "
            "exports or run `lymphcast demo` to write example exports."
        )
    return files


def skipped_paths(raw_dir: Path) -> list[SkippedPath]:
    """Paths of ``raw_dir`` that are not read, with why: a link whose target is missing, a
    folder named like an export, something that is not a regular file, a file that cannot
    be opened. Hidden files and other folders are passed over without a word."""
    return _listing(raw_dir)[1]


def _listing(raw_dir: Path) -> tuple[list[Path], list[SkippedPath]]:
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise InputError(
            f"Raw data directory {raw_dir} does not exist; create it and put the clinic exports "
            "there, or run `lymphcast demo` to write example exports."
        )
    files, skipped = [], []
    for path in sorted(raw_dir.iterdir()):
        if path.name.startswith("."):
            continue
        reason = _skip_reason(path)
        if reason is None:
            files.append(path)
        elif reason:
            skipped.append(SkippedPath(path=path.relative_to(raw_dir).as_posix(), reason=reason))
    return files, skipped


def _named_like_export(path: Path) -> bool:
    key = squash(path.name)
    return path.suffix.lower() in READABLE_SUFFIXES or any(
        key.startswith(kind.rstrip("s")) for kind in KINDS
    )


def _skip_reason(path: Path) -> str | None:
    """None for a file to read; why a path is skipped; "" for one passed over silently."""
    if path.is_symlink() and not path.exists():
        return "a link whose target does not exist; point it at the export or remove it"
    if path.is_dir():
        if not _named_like_export(path):
            return ""  # an archive or other folder: the ingest does not look inside
        return (
            "a folder, not a file: the ingest reads only the files directly in the raw "
            "folder; move the exports out of it"
        )
    if not path.is_file():
        return "not a regular file (a pipe, socket or device); copy the export in as a file"
    if not _readable(path):
        return (
            "the file cannot be opened (no read permission); let the user running lymphcast read it"
        )
    return None


def _readable(path: Path) -> bool:
    return os.access(path, os.R_OK)


def _parts(files: list[FileResult], kind: str) -> list[FileResult]:
    return [f for f in files if f.kind == kind and f.status == "ok" and f.accepted is not None]


def _surviving(files: list[FileResult], kind: str) -> tuple[list[FileResult], list]:
    parts = _parts(files, kind)
    done = agg.survivors([(f.name, f.accepted, f.coverage) for f in parts])
    return parts, done


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _aggregated(
    files: list[FileResult], kind: str, build: Callable[[pd.DataFrame], pd.DataFrame]
) -> pd.DataFrame:
    """``build`` of the accepted rows of one kind, re-exports resolved (never double counted)."""
    _, done = _surviving(files, kind)
    return build(_concat([rows for _, rows in done]))


def aggregate_procedures(files: list[FileResult]) -> pd.DataFrame:
    """procedures_weekly from the accepted rows, re-exports resolved (never double counted)."""
    return _aggregated(files, "procedures", agg.weekly_procedures)


def aggregate_bookings(files: list[FileResult]) -> pd.DataFrame:
    """bookings: procedures by surgery week and booking week (rows that carry booked_on)."""
    return _aggregated(files, "procedures", agg.bookings)


def aggregate_sessions(files: list[FileResult]) -> pd.DataFrame:
    """sessions_weekly: MLD appointments attended or missed (both hold a therapist hour)."""
    return _aggregated(files, "sessions", agg.weekly_sessions)


def aggregate_service_sessions(files: list[FileResult]) -> pd.DataFrame:
    """service_sessions_weekly: every configured service's appointments attended or missed."""
    return _aggregated(files, "sessions", agg.weekly_service_sessions)


def aggregate_referrals(files: list[FileResult]) -> pd.DataFrame:
    """referrals_weekly: referrals by driver week, re-exports resolved on the referral date."""
    return _aggregated(files, "referrals", agg.weekly_referrals)


def combine_roster(files: list[FileResult]) -> pd.DataFrame:
    """The roster: per clinic, the roster file whose name sorts last."""
    parts = _parts(files, "roster")
    return agg.roster([(f.name, f.accepted) for f in parts])[0]


_BYTES_PER_WORKER = 32 << 20  # starting a worker process costs about as much as reading 32 MB


def _read_files(
    paths: list[Path],
    config: IngestConfig,
    today: date,
    progress: Progress | None = None,
    services: dict[str, list[str]] | None = None,
) -> list[FileResult]:
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
    read = partial(read_file, config=config, today=today, services=services)
    with stage("ingest", len(paths), "files", progress) as running:
        if workers < 2:
            results = _counted(map(read, paths), running.advance)
        else:
            chunk = max(1, len(paths) // (workers * 8))  # few messages, the workers end together
            with process_pool(workers) as pool:
                results = _counted(pool.map(read, paths, chunksize=chunk), running.advance)
        running.note(f"{sum(f.rows_read for f in results):,} rows read")
    return results


def _counted(results: Iterable[FileResult], advance: Callable[[int], None]) -> list[FileResult]:
    out = []
    for result in results:
        out.append(result)
        advance(1)
    return out


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # read_file says what is wrong with it
        return 0


def ingest(
    raw_dir: Path,
    config: IngestConfig,
    today: date,
    progress: Progress | None = None,
    services: dict[str, list[str]] | None = None,
) -> IngestResult:
    """Read every file in ``raw_dir``; pure apart from reading files.

    Files that are not CSV or XLSX are listed as rejected (so the run says what it skipped).
    ``progress`` hears of each file read (stage "ingest"; default ``forecasting.progress``'s
    receiver for the process). ``services``: the configured services and their names
    (``ingest.services.configured_services(config)``); default ``mld`` alone.

    Raises:
        InputError: ``raw_dir`` is missing or holds no CSV/XLSX export.
    """
    discover(raw_dir)
    listed, skipped = _listing(raw_dir)
    files = _read_files(listed, config, today, progress, services)
    superseded: dict[int, int] = {}
    rows: dict[str, pd.DataFrame] = {}
    for kind in ("procedures", "sessions", "referrals"):
        parts, done = _surviving(files, kind)
        superseded.update({id(f): n for f, (n, _) in zip(parts, done, strict=True)})
        rows[kind] = _concat([r for _, r in done])
    other_names = _other_names(files, rows["procedures"], config.other_name_min_rows)
    parts = _parts(files, "roster")
    roster, dropped = agg.roster([(f.name, f.accepted) for f in parts])
    superseded.update({id(f): n for f, n in zip(parts, dropped, strict=True)})
    files = [
        replace(f, notes={**f.notes, "rows_superseded": superseded[id(f)]})
        if id(f) in superseded
        else f
        for f in files
    ]
    clinics = _clinics(files)
    files, availability = availability_of(files, roster)  # unknown therapists quarantined
    return IngestResult(
        files=files,
        procedures_weekly=agg.weekly_procedures(rows["procedures"]),
        sessions_weekly=agg.weekly_sessions(rows["sessions"]),
        roster=roster,
        bookings=agg.bookings(rows["procedures"]),
        skipped=skipped,
        other_names=other_names,
        clinics=clinics,
        availability=availability,
        service_sessions_weekly=agg.weekly_service_sessions(rows["sessions"]),
        referrals_weekly=agg.weekly_referrals(rows["referrals"]),
    )


def _clinics(files: list[FileResult]) -> pd.DataFrame:
    """The optional clinics list (clinic_id, region, display_name): per clinic the file whose
    name sorts last wins, as for rosters; empty when no export holds one."""
    parts = sorted(_parts(files, "clinics"), key=lambda f: f.name)
    frames = [
        f.accepted[[C.CLINIC, "region", "display_name"]] for f in parts if f.accepted is not None
    ]
    if not frames:
        return pd.DataFrame(columns=[C.CLINIC, "region", "display_name"])
    every = pd.concat(frames, ignore_index=True)
    return every.drop_duplicates(C.CLINIC, keep="last").sort_values(C.CLINIC, ignore_index=True)


def _other_names(
    files: list[FileResult], procedures: pd.DataFrame, min_rows: int
) -> list[ClinicOtherNames]:
    """Per clinic, its unknown procedure names (re-exports resolved as for the counts)."""
    parts = [f for f in _parts(files, "procedures") if f.unknown is not None]
    if not any(len(f.unknown) for f in parts if f.unknown is not None):
        return []  # every name known: the usual case
    # every export's coverage counts: a newer export without unknown names still wins its days
    done = agg.survivors([(f.name, f.unknown, f.coverage) for f in parts])
    return clinic_other_names(_concat([rows for _, rows in done]), procedures, min_rows)


def ingest_exports(
    layout: DataLayout, config: Config, today: date | None = None, progress: Progress | None = None
) -> IngestResult:
    """Ingest every export of ``layout.raw`` and write the processed files; return the result.

    Args:
        layout: Where the raw exports are and the processed files go.
        config: The run's configuration (its ``[ingest]`` settings are used).
        today: Completed procedures and attended sessions after this day are quarantined
            (default: today).
        progress: Hears of each file read (see :func:`ingest`).

    Raises:
        InputError: no export could be used (the first file's reason is named).
    """
    services = configured_services(config)
    result = ingest(layout.raw, config.ingest, today or date.today(), progress, services)
    if not result.usable:
        first = next((f.error for f in result.files if f.error), "no usable rows")
        raise InputError(f"No export in {layout.raw} could be used ({first}).")
    write_processed(result, layout.processed)
    return result
