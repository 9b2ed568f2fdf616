"""Where every file of a run lives: one object names the files under processed/ and reports/.

Nothing else spells a file name. The weekly run, the ingest, the backtest, the warm starts,
the report and the flows' tidy-up all ask a :class:`DataLayout`::

    layout = DataLayout(processed=Path("data/processed"), reports=Path("reports"))
    layout.procedures            # data/processed/procedures_weekly.parquet
    layout.report_dir(as_of)     # reports/2026-W49
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from forecasting.calendar import iso_week_label

PROCEDURES = "procedures_weekly.parquet"
SESSIONS = "sessions_weekly.parquet"  # the default service's (mld) sessions
SERVICE_SESSIONS = "service_sessions_weekly.parquet"  # every configured service's sessions
REFERRALS = "referrals_weekly.parquet"  # referrals exports by driver week
ROSTER = "roster.parquet"
CLINICS = "clinics.parquet"  # the optional clinics export: region and display name
BOOKINGS = "bookings.parquet"
AVAILABILITY = "availability.parquet"  # the optional availability export: hours per therapist
INGEST_MANIFEST = "ingest_manifest.json"
REPORT_FILES = (
    "index.html", "forecast.csv", "staffing.csv", "run_manifest.json", "timings.json",
    "report.pdf", "staffing.xlsx",
)  # fmt: skip


@dataclass(frozen=True)
class DataLayout:
    """The processed and reports folders of one installation, and every file in them."""

    processed: Path = Path("data/processed")
    reports: Path = Path("reports")
    raw: Path = Path("data/raw")  # read only: never written

    # processed/: the ingest's frames and manifest
    @property
    def procedures(self) -> Path:
        return self.processed / PROCEDURES

    @property
    def sessions(self) -> Path:
        return self.processed / SESSIONS

    @property
    def service_sessions(self) -> Path:
        return self.processed / SERVICE_SESSIONS

    @property
    def referrals(self) -> Path:
        return self.processed / REFERRALS

    @property
    def roster(self) -> Path:
        return self.processed / ROSTER

    @property
    def clinics(self) -> Path:
        return self.processed / CLINICS

    @property
    def availability(self) -> Path:
        return self.processed / AVAILABILITY

    @property
    def bookings(self) -> Path:
        return self.processed / BOOKINGS

    @property
    def frames(self) -> tuple[Path, ...]:
        """The processed frames the ingest writes (the newer ones last: older folders lack
        bookings, service sessions and referrals)."""
        return (
            self.procedures, self.sessions, self.roster, self.bookings, self.service_sessions,
            self.referrals,
        )  # fmt: skip

    @property
    def ingest_manifest(self) -> Path:
        return self.processed / INGEST_MANIFEST

    @property
    def quarantine(self) -> Path:
        """Folder of rejected rows, one CSV per export."""
        return self.processed / "quarantine"

    def quarantine_file(self, export_name: str) -> Path:
        """Rejected rows of one export: ``<export name>`` for a CSV export (``sessions_a.csv``),
        ``<export name>.csv`` for the others (``roster.xlsx.csv``), never ``.csv.csv``."""
        name = export_name if export_name.lower().endswith(".csv") else f"{export_name}.csv"
        return self.quarantine / name

    @property
    def ingest_stamp(self) -> Path:
        """What the last ingest was made from (the flow's cache check)."""
        return self.processed / ".ingest.stamp.json"

    # processed/: what runs keep between weeks
    @property
    def forecasts(self) -> Path:
        """Archive of every run's forecast, one parquet per cut-off."""
        return self.processed / "forecasts"

    def forecast_archive(self, as_of: date) -> Path:
        return self.forecasts / f"{as_of.isoformat()}.parquet"

    @property
    def backtest(self) -> Path:
        """The latest ``lymphcast backtest`` (read by ``auto`` / ``ensemble``)."""
        return self.processed / "backtest"

    @property
    def models(self) -> Path:
        return self.processed / "models"

    @property
    def warm_starts(self) -> Path:
        """Each Prophet fit's parameters, the next week's starting point."""
        return self.models / "warm_start.json"

    @property
    def cache(self) -> Path:
        """Prefect's persisted task results (unless ``orchestration.cache_dir`` says else)."""
        return self.processed / ".cache"

    # reports/
    def report_dir(self, as_of: date) -> Path:
        """``reports/<YYYY>-W<ww>/``: the ISO week of the cut-off."""
        return self.reports / iso_week_label(as_of)

    def failure_notice(self, as_of: date) -> Path:
        return self.reports / f"{iso_week_label(as_of)}.FAILED.md"

    def report_stamp(self, as_of: date) -> Path:
        return self.reports / f".{iso_week_label(as_of)}.stamp.json"

    def run_stamp(self, as_of: date) -> Path:
        """What the last whole run of the week was made from (``lymphcast weekly`` skips an
        unchanged re-run)."""
        return self.reports / f".{iso_week_label(as_of)}.run.json"

    @property
    def lock(self) -> Path:
        """Held by the weekly run writing to these folders (one at a time)."""
        return self.reports / ".weekly-staffing.lock"

    # what a killed run leaves behind
    def leftovers(self, label: str) -> list[Path]:
        """What a run killed mid-write leaves: half-published folders and temp files.

        Staging folders of report ``label`` (``reports/.<label>.*/``), of the quarantine and
        of a backtest (``processed/.quarantine.*/``, ``processed/.backtest.*/``), and temp
        files of unfinished atomic writes (``.*.tmp``) in every folder a run writes.
        """
        staged = [
            *self.reports.glob(f".{label}.*"),
            *self.processed.glob(".quarantine.*"),
            *self.processed.glob(".backtest.*"),
        ]
        folders = (
            self.reports, self.processed, self.forecasts, self.quarantine, self.models,
            self.backtest,
        )  # fmt: skip
        temps = [tmp for folder in folders for tmp in folder.glob(".*.tmp")]
        return sorted({p for p in staged if p.is_dir()} | {t for t in temps if t.is_file()})

    def processed_outputs(self) -> list[Path]:
        """Every file the ingest writes (the cache stamp's list)."""
        files = {self.procedures, self.sessions, self.roster} | set(
            self.processed.glob("*.parquet")
        )
        files.add(self.ingest_manifest)
        return sorted(files) + sorted(self.quarantine.glob("*.csv"))
