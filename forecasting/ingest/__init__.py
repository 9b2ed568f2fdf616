"""Ingest: raw clinic exports -> validated weekly frames, quarantine and manifest."""

from forecasting.ingest.aggregate import BOOKINGS_COLUMNS
from forecasting.ingest.fields import KINDS
from forecasting.ingest.files import READABLE_SUFFIXES, FileResult, read_file
from forecasting.ingest.folder import (
    IngestResult,
    aggregate_bookings,
    aggregate_procedures,
    aggregate_referrals,
    aggregate_service_sessions,
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
from forecasting.ingest.services import configured_services
from forecasting.ingest.store import (
    load_availability,
    load_bookings,
    load_clinics,
    load_processed,
    load_referrals,
    load_service_sessions,
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
    "aggregate_referrals",
    "aggregate_service_sessions",
    "aggregate_sessions",
    "combine_roster",
    "configured_services",
    "discover",
    "ingest",
    "ingest_exports",
    "load_availability",
    "load_bookings",
    "load_clinics",
    "load_processed",
    "load_referrals",
    "load_service_sessions",
    "read_file",
    "skipped_paths",
    "write_processed",
]
