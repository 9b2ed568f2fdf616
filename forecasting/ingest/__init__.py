"""Ingest: raw clinic exports -> validated weekly frames, quarantine and manifest."""

from forecasting.ingest.aggregate import BOOKINGS_COLUMNS
from forecasting.ingest.fields import KINDS
from forecasting.ingest.files import READABLE_SUFFIXES, FileResult, read_file
from forecasting.ingest.folder import (
    IngestResult,
    aggregate_bookings,
    aggregate_procedures,
    aggregate_sessions,
    combine_roster,
    discover,
    ingest,
    ingest_exports,
    skipped_paths,
)
from forecasting.ingest.manifest import (
    ClinicOtherNames,
    FileEntry,
    IngestManifest,
    OtherName,
    SkippedPath,
)
from forecasting.ingest.store import (
    load_availability,
    load_bookings,
    load_clinics,
    load_processed,
    write_processed,
)

__all__ = [
    "BOOKINGS_COLUMNS",
    "KINDS",
    "READABLE_SUFFIXES",
    "ClinicOtherNames",
    "FileEntry",
    "FileResult",
    "IngestManifest",
    "IngestResult",
    "OtherName",
    "SkippedPath",
    "aggregate_bookings",
    "aggregate_procedures",
    "aggregate_sessions",
    "combine_roster",
    "discover",
    "ingest",
    "ingest_exports",
    "load_availability",
    "load_bookings",
    "load_clinics",
    "load_processed",
    "read_file",
    "skipped_paths",
    "write_processed",
]
