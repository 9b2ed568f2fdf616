"""The processed folder: the ingest's frames, quarantine and manifest written and read back.

Every file name comes from :class:`forecasting.layout.DataLayout`. All writes are atomic; the
quarantine folder is rebuilt whole and the manifest is written last.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from forecasting import io as atomic
from forecasting.errors import InputError
from forecasting.ingest import aggregate as agg
from forecasting.ingest.files import LINE
from forecasting.layout import DataLayout

if TYPE_CHECKING:
    from forecasting.ingest.result import IngestResult

__all__ = [
    "load_availability", "load_bookings", "load_processed", "load_referrals",
    "load_service_sessions", "write_processed",
]  # fmt: skip


def _layout(processed_dir: Path) -> DataLayout:
    return DataLayout(processed=Path(processed_dir))


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
    layout = _layout(processed_dir)
    frames = (
        result.procedures_weekly, result.sessions_weekly, result.roster, result.bookings,
        result.service_sessions_weekly, result.referrals_weekly,
    )  # fmt: skip
    for path, frame in zip(layout.frames, frames, strict=True):
        atomic.write_parquet(path, frame)
    if len(result.clinics):
        atomic.write_parquet(layout.clinics, result.clinics)
    else:  # no clinics export (any more): no stale regions
        layout.clinics.unlink(missing_ok=True)
    if len(result.availability):
        atomic.write_parquet(layout.availability, result.availability)
    else:  # no availability export (any more): none left over from an earlier ingest
        layout.availability.unlink(missing_ok=True)
    with atomic.publish_dir(layout.quarantine) as staging:
        for f in result.files:
            if f.quarantined is not None and len(f.quarantined):
                name = layout.quarantine_file(f.name).name
                _csv_safe(f.quarantined).to_csv(staging / name, index=False, lineterminator="\n")
    return atomic.write_text(layout.ingest_manifest, result.manifest.to_json())


def load_processed(processed_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Procedures weekly, sessions weekly and roster frames from ``processed_dir``."""
    layout = _layout(processed_dir)
    paths = (layout.procedures, layout.sessions, layout.roster)
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise InputError(f"{processed_dir} has no {missing[0]}; run `lymphcast ingest` first.")
    return tuple(pd.read_parquet(p) for p in paths)


def load_clinics(processed_dir: Path) -> pd.DataFrame | None:
    """The clinics export (clinic_id, region, display_name), or None when there is none."""
    path = _layout(processed_dir).clinics
    return pd.read_parquet(path) if path.is_file() else None


def load_availability(processed_dir: Path) -> pd.DataFrame | None:
    """The availability export (clinic_id, therapist_id, weekday, date, start, end), or None."""
    path = _layout(processed_dir).availability
    return pd.read_parquet(path) if path.is_file() else None


def load_bookings(processed_dir: Path) -> pd.DataFrame:
    """The bookings (clinic_id, procedure, week, booked_week, count); empty when absent."""
    path = _layout(processed_dir).bookings
    return pd.read_parquet(path) if path.is_file() else agg.bookings(pd.DataFrame())


def load_service_sessions(processed_dir: Path) -> pd.DataFrame:
    """Every configured service's weekly sessions (clinic_id, service, week, sessions); empty
    when absent (a folder the ingest wrote before services existed)."""
    path = _layout(processed_dir).service_sessions
    return pd.read_parquet(path) if path.is_file() else agg.weekly_service_sessions(pd.DataFrame())


def load_referrals(processed_dir: Path) -> pd.DataFrame:
    """Referrals by driver week (clinic_id, referral_type, week, referrals, scheduled); empty
    when absent."""
    path = _layout(processed_dir).referrals
    return pd.read_parquet(path) if path.is_file() else agg.weekly_referrals(pd.DataFrame())
