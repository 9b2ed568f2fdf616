"""Fast paths that must give what the plain pandas computation gives (issue 13.5)."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

from forecasting.calendar import iso_weeks
from forecasting.planning.shifts import SHIFT_COLUMNS, SUMMARY_COLUMNS, ShiftPlan
from forecasting.report.plans import clinic_shifts, shift_tables


def test_iso_weeks_equal_pandas_isocalendar_over_five_centuries() -> None:
    days = pd.date_range("1800-01-01", "2300-12-31", freq="D")
    expected = days.isocalendar().week.to_numpy(dtype=int)
    assert np.array_equal(iso_weeks(days), expected)
    assert np.array_equal(iso_weeks(pd.Series(days)), expected)
    # week 53 of 2026 and week 1 of 2027 from dates and text
    assert iso_weeks([datetime.date(2026, 12, 31), "2027-01-04"]).tolist() == [53, 1]


def _plan() -> ShiftPlan:
    shifts = pd.DataFrame(
        [
            ("a", "t2", "2027-01-05", "13:00", "17:00", "mld"),
            ("a", "t1", "2027-01-04", "13:00", "17:00", "deep_tissue"),
            ("a", "t1", "2027-01-04", "08:00", "12:00", "mld"),
            ("b", "t9", "2027-01-06", "08:00", "12:00", "mld"),
        ],
        columns=SHIFT_COLUMNS,
    )
    summary = pd.DataFrame(
        [
            ("a", "optimal", 16.0, 12.0, 4.0, 4.0, 0.0, 0.0),
            ("b", "optimal", 4.0, 4.0, 0.0, 0.0, 0.0, 0.0),
            ("c", "optimal", 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
        ],
        columns=SUMMARY_COLUMNS,
    )
    return ShiftPlan(shifts, summary, {"a": ["Tuesday afternoon short 4 h."]})


def test_shift_tables_give_each_clinic_its_own_rows_in_start_order() -> None:
    tables = shift_tables(_plan(), ["a", "b", "c", "unknown"])
    a = tables["a"]
    assert a is not None and a.table is not None
    assert a.table.header == ["Therapist", "Mon 01-04", "Tue 01-05"]
    assert [r.cells for r in a.table.rows] == [
        ["t1", "08:00-12:00 MLD, 13:00-17:00 deep tissue", "-"],
        ["t2", "-", "13:00-17:00 MLD"],
    ]
    assert a.sentences == ["Tuesday afternoon short 4 h."]
    assert a.summary.startswith("12 h scheduled for a target of 16 h; 4.0 h uncovered")
    b = tables["b"]
    assert b is not None and b.table is not None and b.table.header == ["Therapist", "Wed 01-06"]
    c = tables["c"]
    assert c is not None and c.table is None  # in the summary, no shifts
    assert tables["unknown"] is None and shift_tables(None, ["a"]) == {"a": None}
    assert clinic_shifts(_plan(), "a") == a
