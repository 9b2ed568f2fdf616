"""forecasting.week: a replay's outputs do not depend on any data after its cut-off."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from forecasting import columns as C
from forecasting.config import Config
from forecasting.demand.bookings import BOOKED_WEEK, BOOKINGS_COLUMNS, COUNT
from forecasting.ingest.folder import ingest
from forecasting.ingest.store import load_bookings, load_processed, write_processed
from forecasting.week import WeeklyResult, cut_inputs, run_week

END = date(2025, 7, 1)  # the demo's first day without history: its export is of that week
AS_OF = date(2025, 6, 2)  # a Monday well inside the data: the export is newer than the cut-off
EXPORT_WEEK = date(2025, 6, 30)  # the export's own week: its scheduled rows are known there
CONFIG = Config.model_validate({"model": {"name": "seasonal_naive"}, "n_paths": 100})
WEEK = pd.Timedelta(weeks=1)


@pytest.fixture(scope="module")
def frames(demo_exports, tmp_path_factory) -> dict[str, pd.DataFrame]:
    root = tmp_path_factory.mktemp("week")
    demo_exports(root / "raw", clinics=2, years=2, seed=3, end=END)
    write_processed(ingest(root / "raw", CONFIG.ingest, END), root / "processed")
    procedures, sessions, roster = load_processed(root / "processed")
    bookings = load_bookings(root / "processed")
    assert not bookings.empty, "the demo's exports carry booked_on"
    return {"procedures": procedures, "sessions": sessions, "roster": roster, "bookings": bookings}


def _more_scheduled(procedures: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """More procedures scheduled from the cut-off week on: +4 on every row there and new rows
    (scheduled 3) for each series in every week of the next 20 that has none."""
    later = procedures[C.WEEK] >= cutoff
    raised = procedures.assign(
        scheduled=procedures[C.SCHEDULED].where(~later, procedures[C.SCHEDULED] + 4)
    )
    weeks = pd.date_range(cutoff, periods=20, freq="W-MON")
    series = procedures[[C.CLINIC, C.PROCEDURE]].drop_duplicates()
    grid = series.merge(pd.DataFrame({C.WEEK: weeks}), how="cross")
    seen = grid.merge(procedures[[C.CLINIC, C.PROCEDURE, C.WEEK]], how="left", indicator=True)
    new = grid.loc[seen["_merge"].eq("left_only").to_numpy()].assign(completed=0, scheduled=3)
    assert len(new) > 0
    return pd.concat([raised, new[procedures.columns]], ignore_index=True).astype(
        procedures.dtypes.to_dict()
    )


def _tampered(frames: dict[str, pd.DataFrame], cutoff: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """Every frame changed from the week of ``cutoff`` on; earlier rows untouched."""
    procedures = _more_scheduled(frames["procedures"], cutoff)
    later = procedures[C.WEEK] >= cutoff
    procedures[C.COMPLETED] = procedures[C.COMPLETED].where(~later, procedures[C.COMPLETED] * 3)
    sessions = frames["sessions"]
    later = sessions[C.WEEK] >= cutoff
    sessions = sessions.assign(
        sessions=sessions[C.SESSIONS].where(~later, sessions[C.SESSIONS] * 3)
    )
    bookings = frames["bookings"]
    booked_late = bookings[BOOKED_WEEK] >= cutoff
    bookings = bookings.assign(count=bookings[COUNT].where(~booked_late, bookings[COUNT] * 3))
    series = frames["procedures"][[C.CLINIC, C.PROCEDURE]].drop_duplicates()
    new = series.merge(  # booked in the cut-off week and the next, for the horizon's weeks
        pd.DataFrame(
            {
                C.WEEK: np.repeat(pd.date_range(cutoff, periods=12, freq="W-MON"), 2),
                BOOKED_WEEK: np.tile([cutoff, cutoff + WEEK], 12),
            }
        ),
        how="cross",
    ).assign(count=5)
    bookings = pd.concat([bookings, new[BOOKINGS_COLUMNS]], ignore_index=True).astype(
        frames["bookings"].dtypes.to_dict()
    )
    return {**frames, "procedures": procedures, "sessions": sessions, "bookings": bookings}


def _run(frames: dict[str, pd.DataFrame], as_of: date, *, bookings: bool = True) -> WeeklyResult:
    inputs = cut_inputs(
        frames["procedures"],
        frames["sessions"],
        frames["roster"],
        as_of,
        bookings=frames["bookings"] if bookings else None,
    )
    return run_week(inputs, CONFIG)


def _assert_same(a: WeeklyResult, b: WeeklyResult) -> None:
    pd.testing.assert_frame_equal(a.forecast, b.forecast)
    pd.testing.assert_frame_equal(a.staffing, b.staffing)
    pd.testing.assert_frame_equal(a.committed, b.committed)
    pd.testing.assert_frame_equal(a.horizon_totals, b.horizon_totals)
    pd.testing.assert_frame_equal(a.pathways, b.pathways)
    timeless = ["fit_seconds"]
    pd.testing.assert_frame_equal(a.models.drop(columns=timeless), b.models.drop(columns=timeless))
    assert (a.notes, a.demand) == (b.notes, b.demand)


def _differs(a: WeeklyResult, b: WeeklyResult) -> bool:
    return not (a.forecast.equals(b.forecast) and a.staffing.equals(b.staffing))


@pytest.mark.parametrize("bookings", [True, False], ids=["bookings", "no-bookings"])
def test_a_replay_sees_no_data_after_its_cut_off(frames, bookings: bool) -> None:
    cutoff = pd.Timestamp(AS_OF)
    tampered = _tampered(frames, cutoff)
    for name in ("procedures", "sessions", "bookings"):  # the tampering is real...
        assert not tampered[name].equals(frames[name]), name
    before = frames["procedures"][C.WEEK] < cutoff  # ...and only after the cut-off
    pd.testing.assert_frame_equal(
        tampered["procedures"].iloc[: len(before)].loc[before.to_numpy()],
        frames["procedures"].loc[before],
    )
    original = _run(frames, AS_OF, bookings=bookings)
    replay = _run(tampered, AS_OF, bookings=bookings)
    _assert_same(original, replay)
    assert set(replay.demand.bookings.values()) == {"pickup" if bookings else "none"}

    # One week later the tampered cut-off week is history: the outputs do change.
    later = AS_OF + WEEK.to_pytimedelta()
    assert _differs(
        _run(frames, later, bookings=bookings), _run(tampered, later, bookings=bookings)
    )


def test_scheduled_rows_count_only_when_the_export_is_not_newer_than_the_cut_off(frames) -> None:
    """The same extra scheduled procedures: dropped in a replay of a past week (the export holds
    completed procedures after it), a floor under the forecast in the export's own week."""
    for as_of, used in ((AS_OF, False), (EXPORT_WEEK, True)):
        more = {
            **frames,
            "procedures": _more_scheduled(frames["procedures"], pd.Timestamp(as_of)),
        }
        original = _run(frames, as_of, bookings=False)
        replay = _run(more, as_of, bookings=False)
        assert _differs(original, replay) is used, as_of
        if not used:
            _assert_same(original, replay)
        assert set(replay.demand.bookings.values()) == {"scheduled" if used else "none"}, as_of
