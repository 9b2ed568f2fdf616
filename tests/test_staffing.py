import numpy as np
import pandas as pd
import pytest

from forecasting.columns import STAFFING_COLUMNS
from forecasting.config import StaffingConfig
from forecasting.errors import InputError
from forecasting.staffing.hours import (
    check_roster,
    recommended_hours,
    rostered_hours,
    rostered_hours_by_clinic,
    round_to_blocks,
    staffing_table,
)

WEEK = pd.DatetimeIndex(["2025-06-02"])


def test_staffing_arithmetic_hand_checked():
    # demand 0..99 sessions uniformly; 80th percentile = 79.2 -> 80 sessions
    paths = np.arange(100, dtype=float).reshape(100, 1)
    cfg = StaffingConfig(
        session_minutes=50, turnover_minutes=10, productive_share=0.5, fte_hours=40
    )
    table = staffing_table("a", WEEK, paths, np.array([100.0]), cfg)
    row = table.iloc[0]
    assert list(table.columns[: len(STAFFING_COLUMNS)]) == STAFFING_COLUMNS
    assert row.sessions_target == 80
    assert row.therapist_hours_needed == pytest.approx(160.0)  # 80 x 1 h / 0.5 (40 blocks)
    assert row.fte_needed == pytest.approx(4.0)
    assert row.fte_rostered == pytest.approx(2.5)
    assert row.fte_gap == pytest.approx(1.5)
    # roster: 100 paid h -> 50 bookable sessions; unmet = mean(max(d - 50, 0)) = 12.25
    assert row.expected_unmet_sessions == pytest.approx(12.25)
    assert row.expected_idle_hours == pytest.approx(12.75)  # mean(max(50 - d, 0)) x 1 h
    # recommendation: 160 paid h -> 80 sessions; unmet = (1 + ... + 19) / 100 = 1.9
    assert row.expected_unmet_sessions_recommended == pytest.approx(1.9)
    assert row.expected_idle_hours_recommended == pytest.approx(32.4)  # (80 + ... + 1) / 100
    assert row.hours_rostered == 100.0


def test_hours_round_up_to_schedulable_blocks():
    # 7 sessions x 70 min / 0.6 = 13.61 paid hours -> four 4-hour blocks
    cfg = StaffingConfig(block_hours=4)
    assert recommended_hours(np.array([7.0]), cfg)[0] == pytest.approx(16.0)
    assert recommended_hours(np.array([0.0]), cfg)[0] == 0.0
    np.testing.assert_allclose(round_to_blocks(np.array([8.0, 8.01, 0.5]), 4), [8, 12, 4])
    no_blocks = StaffingConfig(block_hours=0)
    assert recommended_hours(np.array([7.0]), no_blocks)[0] == pytest.approx(7 * 70 / 60 / 0.6)
    paths = np.full((10, 1), 7.0)
    table = staffing_table("a", WEEK, paths, np.array([40.0]), cfg)
    assert table.therapist_hours_needed.iloc[0] == 16.0
    assert table.hours_unrounded.iloc[0] == pytest.approx(13.6111, abs=1e-4)
    assert table.fte_needed.iloc[0] == pytest.approx(16 / 40)


def test_newsvendor_target():
    paths = np.arange(100, dtype=float).reshape(100, 1)
    cfg = StaffingConfig(cost_short=1.0, cost_idle=1.0)
    table = staffing_table("a", WEEK, paths, np.array([0.0]), cfg)
    assert table.sessions_target.iloc[0] == 50  # median 49.5 rounded up
    cfg = StaffingConfig(cost_short=3.0, cost_idle=1.0)  # q = 0.75 -> 74.25 -> 75
    assert staffing_table("a", WEEK, paths, np.array([0.0]), cfg).sessions_target.iloc[0] == 75


def test_rostered_hours_respect_start_and_end():
    roster = pd.DataFrame(
        {
            "clinic_id": ["a", "a", "a", "b"],
            "therapist_id": ["t1", "t2", "t3", "t4"],
            "weekly_hours": [40.0, 20.0, 10.0, 99.0],
            "start_date": pd.to_datetime([None, "2025-06-12", None, None]),
            "end_date": pd.to_datetime([None, None, "2025-06-02", None]),
        }
    )
    weeks = pd.DatetimeIndex(["2025-06-02", "2025-06-09", "2025-06-16"])
    np.testing.assert_allclose(rostered_hours(roster, "a", weeks), [50.0, 60.0, 60.0])


def test_clinic_without_therapists_is_refused_with_its_name():
    roster = pd.DataFrame({"clinic_id": ["a"], "therapist_id": ["t1"], "weekly_hours": [40.0]})
    check_roster(roster, ["a"])
    with pytest.raises(InputError, match="no therapist for clinic 'b'") as err:
        check_roster(roster, ["a", "b"])
    assert err.value.exit_code == 2


def test_rostered_hours_of_all_clinics_at_once():
    roster = pd.DataFrame(
        {
            "clinic_id": ["b", "a", "a", "b"],
            "therapist_id": ["t4", "t1", "t2", "t5"],
            "weekly_hours": [99.0, 40.0, np.nan, 8.0],
            "start_date": pd.to_datetime([None, None, "2025-06-12", "2025-06-20"]),
            "end_date": pd.to_datetime([None, "2025-06-10", None, None]),
        }
    )
    weeks = pd.DatetimeIndex(["2025-06-02", "2025-06-09", "2025-06-16"])
    hours = rostered_hours_by_clinic(roster, ["a", "b", "c"], weeks)
    for clinic in ("a", "b", "c"):
        np.testing.assert_array_equal(hours[clinic], rostered_hours(roster, clinic, weeks))
    np.testing.assert_array_equal(hours["a"], [40.0, 40.0, 0.0])  # missing hours add nothing
    np.testing.assert_array_equal(hours["b"], [99.0, 99.0, 107.0])
    np.testing.assert_array_equal(hours["c"], [0.0, 0.0, 0.0])
