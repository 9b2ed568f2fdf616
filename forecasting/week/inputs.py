"""The week's inputs: processed data cut at the run's cut-off (``WeeklyInputs``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

import pandas as pd

from forecasting import columns as C
from forecasting.calendar import week_start, weeks_from
from forecasting.demand.bookings import (
    empty_bookings,
    known_bookings,
    scheduled_snapshot,
)
from forecasting.demand.cutoff import check_cutoff
from forecasting.ingest import load_bookings, load_processed
from forecasting.ingest.rejected import rejected_by_clinic
from forecasting.layout import DataLayout
from forecasting.series import SeriesKey, procedure_histories


@dataclass(frozen=True)
class WeeklyInputs:
    """Processed data cut at the run's data cut-off."""

    as_of: date
    cutoff_week: pd.Timestamp  # first forecast week
    procedures: pd.DataFrame  # weeks < cutoff_week
    sessions: pd.DataFrame  # weeks < cutoff_week
    roster: pd.DataFrame
    # procedures booked before cutoff_week (forecasting.demand.bookings.BOOKINGS_COLUMNS)
    bookings: pd.DataFrame = field(default_factory=empty_bookings)
    # clinic_id, procedure, week, scheduled for weeks >= cutoff_week, when known at the cut-off
    scheduled: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=[C.CLINIC, C.PROCEDURE, C.WEEK, C.SCHEDULED])
    )
    # quarantined rows per clinic (forecasting.ingest.rejected.rejected_by_clinic)
    rejected: Mapping[str, int] = field(default_factory=dict)

    def histories(self) -> dict[SeriesKey, pd.DataFrame]:
        """Zero-filled weekly procedure history per series (:func:`series.procedure_histories`)."""
        return procedure_histories(self.procedures, self.cutoff_week)

    @property
    def clinics(self) -> list[str]:
        ids = set(self.procedures[C.CLINIC].unique()) | set(self.sessions[C.CLINIC].unique())
        return sorted(str(c) for c in ids)

    def forecast_weeks(self, horizon: int) -> pd.DatetimeIndex:
        return weeks_from(self.cutoff_week, horizon)


def cut_inputs(
    procedures: pd.DataFrame,
    sessions: pd.DataFrame,
    roster: pd.DataFrame,
    as_of: date,
    bookings: pd.DataFrame | None = None,
) -> WeeklyInputs:
    """Keep data of whole weeks before the week of ``as_of`` (a replay sees only that).

    Bookings (``forecasting.ingest.load_bookings``; optional) are kept when they were made
    before the cut-off week, whatever the surgery week. Scheduled procedures of the
    processed export are kept for the cut-off week and later only when the export is not newer
    than the cut-off (see ``forecasting.demand.bookings.scheduled_snapshot``).
    """
    cutoff = week_start(as_of)
    return WeeklyInputs(
        as_of=as_of,
        cutoff_week=cutoff,
        procedures=procedures.loc[pd.to_datetime(procedures[C.WEEK]) < cutoff].copy(),
        sessions=sessions.loc[pd.to_datetime(sessions[C.WEEK]) < cutoff].copy(),
        roster=roster.copy(),
        bookings=known_bookings(bookings, cutoff),
        scheduled=scheduled_snapshot(procedures, cutoff),
    )


def load_inputs(layout: DataLayout, as_of: date) -> WeeklyInputs:
    """The processed data of ``layout`` cut at ``as_of`` (see :func:`cut_inputs`).

    Raises:
        InputError: the processed folder lacks a frame; run the ingest first; or ``as_of`` is
            before the first week of data (:func:`forecasting.demand.cutoff.check_cutoff`).
    """
    procedures, sessions, roster = load_processed(layout.processed)
    check_cutoff(procedures, sessions, as_of)
    inputs = cut_inputs(procedures, sessions, roster, as_of, load_bookings(layout.processed))
    return replace(inputs, rejected=rejected_by_clinic(layout.processed))
