"""Ingest: raw clinic exports -> validated weekly frames, quarantine and manifest."""

from forecasting.ingest.folder import (
    FileResult,
    IngestResult,
    discover,
    ingest,
    ingest_exports,
    load_bookings,
    load_processed,
    write_processed,
)

__all__ = [
    "FileResult",
    "IngestResult",
    "discover",
    "ingest",
    "ingest_exports",
    "load_bookings",
    "load_processed",
    "write_processed",
]
