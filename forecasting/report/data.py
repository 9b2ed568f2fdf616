"""What the weekly report is given: ``ReportData`` (a week's frames) and ``ReportSettings``."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

import pandas as pd

from forecasting.config import ReportConfig
from forecasting.ingest.manifest import ClinicOtherNames, SkippedPath
from forecasting.report.accuracy import Archive

__all__ = ["ReportData", "ReportSettings"]


@dataclass(frozen=True)
class ReportSettings:
    """The run settings the report shows as they are (a setting left None is not shown).

    Attributes:
        service_level: the staffing target quantile of session demand.
        horizon_weeks: forecast weeks (None: as many as the staffing rows hold).
        hours_per_session: paid hours per session (session plus turnover).
        productive_share: share of paid hours that can be booked.
        fte_hours: paid hours of one full-time therapist a week.
        seed: the run's random seed.
        block_hours: the schedulable block the hours needed are rounded up to.
        pathways: how the MLD pathways were set (learned or configured), in one line.
        calibration: how the session intervals were calibrated, in one sentence.
    """

    service_level: float | None = None
    horizon_weeks: int | None = None
    hours_per_session: float | None = None
    productive_share: float | None = None
    fte_hours: float | None = None
    seed: int | None = None
    block_hours: float | None = None
    pathways: str | None = None
    calibration: str | None = None

    def shown(self) -> list[tuple[str, Any]]:
        """(name, value) of each setting given, by name."""
        given = [(f.name, getattr(self, f.name)) for f in fields(self)]
        return sorted((name, value) for name, value in given if value is not None)


@dataclass(frozen=True, eq=False)  # frames do not compare or hash as values
class ReportData:
    """Everything the weekly report shows; frames are read, never modified.

    Attributes:
        as_of: data cut-off of the run.
        iso_week: ISO week of ``as_of``, e.g. ``"2026-W48"``.
        procedures_history: ``clinic_id, procedure, week, completed, scheduled``
            (procedures per ISO week; ``week`` is the Monday, datetime64).
        sessions_history: ``clinic_id, week, sessions`` (attended MLD sessions per week).
        forecast: ``clinic_id, week, series, mean, p10, p50, p90``; ``series`` is
            ``"sessions"`` or ``"procedures:<type>"``.
        committed: ``clinic_id, week, committed``: mean sessions owed to patients already
            operated on (part of the ``sessions`` forecast).
        staffing: ``STAFFING_COLUMNS`` plus ``hours_rostered`` (paid hours on the roster) and
            optionally ``therapist_hours_p10``, ``therapist_hours_p90`` (paid hours needed for
            the 10th and 90th percentile of session demand).
        models: ``clinic_id, procedure, model, fallback_reason`` (None when no fallback).
        ingest: one dict per raw file: ``path, kind, rows_read, rows_accepted,
            rows_quarantined, status, error``.
        settings: the run settings shown as they are.
        archive: forecasts archived by earlier runs (``report.accuracy.load_archive``).
        notes: per clinic, why its forecast is less certain (shown under its headline).
        options: what the report shows and when it warns (``[report]`` in lymphcast.toml).
        horizon_totals: ``clinic_id, mean, p10, p90`` of the sessions summed over the horizon.
        problems: per clinic, its problems as sentences with their fix (shown first in its
            section and named in the network summary).
        other_names: per clinic, procedure names the vocabulary does not know (counted as
            other; names in too few rows only counted), from the ingest manifest.
        skipped: paths of the raw folder the ingest did not read, with why.
    """

    as_of: date
    iso_week: str
    procedures_history: pd.DataFrame
    sessions_history: pd.DataFrame
    forecast: pd.DataFrame
    committed: pd.DataFrame
    staffing: pd.DataFrame
    models: pd.DataFrame
    ingest: list[dict[str, Any]] = field(default_factory=list)
    settings: ReportSettings = field(default_factory=ReportSettings)
    archive: Archive = field(default_factory=Archive)
    notes: dict[str, str] = field(default_factory=dict)
    options: ReportConfig = field(default_factory=ReportConfig)
    horizon_totals: pd.DataFrame = field(default_factory=pd.DataFrame)
    problems: dict[str, list[str]] = field(default_factory=dict)
    other_names: list[ClinicOtherNames] = field(default_factory=list)
    skipped: list[SkippedPath] = field(default_factory=list)
