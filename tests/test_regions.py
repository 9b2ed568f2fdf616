"""Regional roll-ups: quantiles of summed paths, checked by hand (forecasting/planning/regions)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.config import StaffingConfig
from forecasting.planning.regions import NETWORK, regions_of, rollup_paths, rollup_tables

WEEKS = pd.date_range("2027-01-04", periods=1, freq="W-MON")
# five paths of one week; a runs high where b runs low
A = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]])
B = np.array([[4.0], [3.0], [2.0], [1.0], [0.0]])


def test_the_regions_p80_is_the_p80_of_summed_paths_not_the_sum_of_p80s():
    summed = rollup_paths({"a": A, "b": B}, {"a": "north", "b": "north"})
    assert summed["north"].ravel().tolist() == [4.0] * 5
    region_p80 = np.quantile(summed["north"], 0.8)
    sum_of_p80s = np.quantile(A, 0.8) + np.quantile(B, 0.8)
    assert region_p80 == pytest.approx(4.0)
    assert sum_of_p80s == pytest.approx(6.4)  # 3.2 + 3.2: overstates by 60%


def test_clinics_without_a_region_roll_up_to_the_network_only():
    clinics = pd.DataFrame({"clinic_id": ["a", "b", "z"], "region": ["north", " ", "south"]})
    regions = regions_of(clinics, ["a", "b", "c"])
    assert regions == {"a": "north", "b": None, "c": None}
    summed = rollup_paths({"a": A, "b": B, "c": A}, regions)
    assert list(summed) == ["north", NETWORK]
    assert summed[NETWORK].ravel().tolist() == (A + B + A).ravel().tolist()


def test_region_staffing_is_sized_on_the_summed_paths_against_the_summed_roster():
    config = StaffingConfig(service_level=0.8, productive_share=0.5, session_minutes=50,
                            turnover_minutes=10, block_hours=0)  # fmt: skip
    regions = {"a": "north", "b": "north"}
    rostered = {"a": np.array([2.0]), "b": np.array([3.0])}
    forecast, staffing = rollup_tables({"a": A, "b": B}, regions, WEEKS, rostered, config)
    north = staffing[staffing["area"] == "north"].iloc[0]
    assert north["sessions_target"] == 4  # p80 of the summed paths
    assert north["therapist_hours_needed"] == pytest.approx(8.0)  # 4 sessions x 1 h / 0.5
    assert north["hours_rostered"] == pytest.approx(5.0)
    row = forecast[forecast["area"] == "north"].iloc[0]
    assert (row["p10"], row["p50"], row["p90"]) == (4.0, 4.0, 4.0)
    assert set(forecast["area"]) == {"north", NETWORK}


def test_paths_of_different_shapes_are_refused():
    with pytest.raises(ValueError, match="different shapes"):
        rollup_paths({"a": A, "b": np.zeros((4, 1))}, {})
