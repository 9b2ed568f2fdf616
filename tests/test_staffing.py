import numpy as np
import pandas as pd
import pytest

from forecasting.columns import STAFFING_COLUMNS
from forecasting.config import StaffingConfig
from forecasting.staffing import rostered_hours, staffing_table


def test_staffing_arithmetic_hand_checked():
    # demand 0..99 sessions uniformly; 80th percentile = 79.2 -> 80 sessions
    paths = np.arange(100, dtype=float).reshape(100, 1)
    cfg = StaffingConfig(
        session_minutes=50, turnover_minutes=10, productive_share=0.5, fte_hours=40
    )
    weeks = pd.DatetimeIndex(["2025-06-02"])
    table = staffing_table("a", weeks, paths, np.array([100.0]), cfg)
    row = table.iloc[0]
    assert list(table.columns[: len(STAFFING_COLUMNS)]) == STAFFING_COLUMNS
    assert row.sessions_target == 80
    assert row.therapist_hours_needed == pytest.approx(160.0)  # 80 x 1 h / 0.5
    assert row.fte_needed == pytest.approx(4.0)
    assert row.fte_rostered == pytest.approx(2.5)
    assert row.fte_gap == pytest.approx(1.5)
    # roster: 100 paid h -> 50 bookable sessions; unmet = mean(max(d - 50, 0)) = 12.25
    assert row.expected_unmet_sessions == pytest.approx(
        np.clip(np.arange(100) - 50, 0, None).mean()
    )
    assert row.expected_idle_hours == pytest.approx(np.clip(50 - np.arange(100), 0, None).mean())


def test_newsvendor_target():
    paths = np.arange(100, dtype=float).reshape(100, 1)
    cfg = StaffingConfig(cost_short=1.0, cost_idle=1.0)
    table = staffing_table("a", pd.DatetimeIndex(["2025-06-02"]), paths, np.array([0.0]), cfg)
    assert table.sessions_target.iloc[0] == 50  # median 49.5 rounded up


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
