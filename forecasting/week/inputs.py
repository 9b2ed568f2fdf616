"""The week's inputs: processed data cut at the run's cut-off (``WeeklyInputs``)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import pandas as pd

from forecasting import columns as C
from forecasting.calendar import week_start, weeks_from
from forecasting.config import Config
from forecasting.demand.bookings import (
    empty_bookings,
    known_bookings,
    scheduled_snapshot,
)
from forecasting.demand.cutoff import check_cutoff
from forecasting.demand.services import total_sessions
from forecasting.ingest import load_bookings, load_processed
from forecasting.ingest.rejected import rejected_by_clinic
from forecasting.layout import DataLayout
from forecasting.series import SeriesKey, procedure_histories, referral_histories

SERVICE_SESSIONS_COLUMNS = [C.CLINIC, C.SERVICE, C.WEEK, C.SESSIONS]
REFERRALS_COLUMNS = [C.CLINIC, C.REFERRAL_TYPE, C.WEEK, C.REFERRALS]
SCHEDULED_REFERRALS_COLUMNS = [C.CLINIC, C.REFERRAL_TYPE, C.WEEK, C.SCHEDULED]


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c == C.WEEK else object)
                         for c in columns})  # fmt: skip


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
    # sessions per service (SERVICE_SESSIONS_COLUMNS), weeks < cutoff_week; None: no such file
    # (MLD only: `sessions` are the default service's)
    service_sessions: pd.DataFrame | None = None
    # referrals per type and driver week (REFERRALS_COLUMNS), weeks < cutoff_week; empty: none
    referrals: pd.DataFrame = field(default_factory=lambda: _empty(REFERRALS_COLUMNS))
    # referrals on the books for cutoff_week and later (SCHEDULED_REFERRALS_COLUMNS)
    scheduled_referrals: pd.DataFrame = field(
        default_factory=lambda: _empty(SCHEDULED_REFERRALS_COLUMNS)
    )

    def histories(self, referral_types: Collection[str] = ()) -> dict[SeriesKey, pd.DataFrame]:
        """Zero-filled weekly history per series: procedures (:func:`series.procedure_histories`),
        then the referral types named (keys ``(clinic, "referral:<type>")``,
        :func:`series.referral_histories`; ``forecasting.week.driver_types(config)`` names
        those some service uses)."""
        out = procedure_histories(self.procedures, self.cutoff_week)
        if referral_types:
            wanted = self.referrals.loc[self.referrals[C.REFERRAL_TYPE].isin(list(referral_types))]
            out.update(referral_histories(wanted, self.cutoff_week))
        return out

    def total_sessions(self, config: Config) -> pd.DataFrame:
        """Weekly sessions over every configured service (what forecast.csv's ``sessions``
        forecasts; MLD alone: ``sessions`` as it is), :func:`demand.services.total_sessions`."""
        return total_sessions(config, self.sessions, self.service_sessions)

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
    *,
    service_sessions: pd.DataFrame | None = None,
    referrals: pd.DataFrame | None = None,
) -> WeeklyInputs:
    """Keep data of whole weeks before the week of ``as_of`` (a replay sees only that).

    Bookings (``forecasting.ingest.load_bookings``; optional) are kept when they were made
    before the cut-off week, whatever the surgery week. Scheduled procedures of the
    processed export are kept for the cut-off week and later only when the export is not newer
    than the cut-off (see ``forecasting.demand.bookings.scheduled_snapshot``).
    """
    cutoff = week_start(as_of)
    if service_sessions is not None:
        service_sessions = service_sessions.loc[
            pd.to_datetime(service_sessions[C.WEEK]) < cutoff
        ].copy()
    referral_history, booked = _cut_referrals(referrals, cutoff)
    return WeeklyInputs(
        as_of=as_of,
        cutoff_week=cutoff,
        procedures=procedures.loc[pd.to_datetime(procedures[C.WEEK]) < cutoff].copy(),
        sessions=sessions.loc[pd.to_datetime(sessions[C.WEEK]) < cutoff].copy(),
        roster=roster.copy(),
        bookings=known_bookings(bookings, cutoff),
        scheduled=scheduled_snapshot(procedures, cutoff),
        service_sessions=service_sessions,
        referrals=referral_history,
        scheduled_referrals=booked,
    )


def _cut_referrals(
    referrals: pd.DataFrame | None, cutoff: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Referrals before the cut-off week, and those on the books for it and later.

    A referral dated after the cut-off (a cast removal already booked) is on the books only
    in the optional ``scheduled`` column, and only when the export is not newer than the
    cut-off (no referrals counted after the cut-off week: in a replay of a past week they
    were not known yet), as for scheduled procedures.
    """
    if referrals is None or referrals.empty:
        return _empty(REFERRALS_COLUMNS), _empty(SCHEDULED_REFERRALS_COLUMNS)
    weeks = pd.to_datetime(referrals[C.WEEK])
    frame = referrals.assign(**{C.WEEK: weeks})
    history = frame.loc[weeks < cutoff, REFERRALS_COLUMNS].reset_index(drop=True)
    future = frame.loc[weeks >= cutoff]
    later = future[C.WEEK] > cutoff
    if C.SCHEDULED not in frame or future.empty or (future.loc[later, C.REFERRALS] > 0).any():
        return history, _empty(SCHEDULED_REFERRALS_COLUMNS)
    booked = future[C.SCHEDULED].fillna(0) + future[C.REFERRALS].fillna(0).where(~later, 0)
    return history, future.assign(**{C.SCHEDULED: booked})[SCHEDULED_REFERRALS_COLUMNS]


def load_inputs(layout: DataLayout, as_of: date) -> WeeklyInputs:
    """The processed data of ``layout`` cut at ``as_of`` (see :func:`cut_inputs`).

    Raises:
        InputError: the processed folder lacks a frame; run the ingest first; or ``as_of`` is
            before the first week of data (:func:`forecasting.demand.cutoff.check_cutoff`).
    """
    procedures, sessions, roster = load_processed(layout.processed)
    check_cutoff(procedures, sessions, as_of)
    inputs = cut_inputs(
        procedures,
        sessions,
        roster,
        as_of,
        load_bookings(layout.processed),
        service_sessions=_optional(layout.service_sessions),
        referrals=_optional(layout.referrals),
    )
    return replace(inputs, rejected=rejected_by_clinic(layout.processed))


def _optional(path: Path) -> pd.DataFrame | None:
    """A processed frame the ingest writes only when its exports exist (None: absent)."""
    return pd.read_parquet(path) if path.is_file() else None
