"""What one ingest gave: each file's outcome and the weekly frames built across the files."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from forecasting.ingest import aggregate as agg
from forecasting.ingest.files import FileResult
from forecasting.ingest.manifest import ClinicOtherNames, IngestManifest, SkippedPath

__all__ = ["IngestResult"]


def _empty_bookings() -> pd.DataFrame:
    return agg.bookings(pd.DataFrame())


def _empty_service_sessions() -> pd.DataFrame:
    return agg.weekly_service_sessions(pd.DataFrame())


def _empty_referrals() -> pd.DataFrame:
    return agg.weekly_referrals(pd.DataFrame())


@dataclass(frozen=True)
class IngestResult:
    """What one ingest gave: each file's outcome and the weekly frames across files."""

    files: list[FileResult]
    procedures_weekly: pd.DataFrame
    sessions_weekly: pd.DataFrame
    roster: pd.DataFrame
    bookings: pd.DataFrame = field(default_factory=_empty_bookings)
    skipped: list[SkippedPath] = field(default_factory=list)
    other_names: list[ClinicOtherNames] = field(default_factory=list)
    # the optional clinics export: clinic_id, region, display_name (empty without one)
    clinics: pd.DataFrame = field(default_factory=pd.DataFrame)
    # the optional availability export (ingest/availability.py; empty without one)
    availability: pd.DataFrame = field(default_factory=pd.DataFrame)
    # every configured service's weekly sessions (mld's equal sessions_weekly)
    service_sessions_weekly: pd.DataFrame = field(default_factory=_empty_service_sessions)
    # referrals by clinic, referral type and driver week (empty without a referrals export)
    referrals_weekly: pd.DataFrame = field(default_factory=_empty_referrals)

    @property
    def manifest(self) -> IngestManifest:
        """Each file's accounting, status and notes, the skipped paths and the unknown
        procedure names per clinic, as the manifest file holds them."""
        return IngestManifest(
            files=[f.manifest_entry() for f in self.files],
            skipped=self.skipped,
            other_names=self.other_names,
        )

    @property
    def usable(self) -> bool:
        """At least one file gave accepted rows."""
        return any(f.status == "ok" and f.rows_accepted > 0 for f in self.files)
