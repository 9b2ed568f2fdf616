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
)
from forecasting.ingest.manifest import FileEntry, IngestManifest
from forecasting.ingest.store import load_bookings, load_processed, write_processed

__all__ = [
    "BOOKINGS_COLUMNS",
    "KINDS",
    "READABLE_SUFFIXES",
    "FileEntry",
    "FileResult",
    "IngestManifest",
    "IngestResult",
    "aggregate_bookings",
    "aggregate_procedures",
    "aggregate_sessions",
    "combine_roster",
    "discover",
    "ingest",
    "ingest_exports",
    "load_bookings",
    "load_processed",
    "read_file",
    "write_processed",
]
