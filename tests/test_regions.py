"""Regional roll-ups: quantiles of summed paths, checked by hand (forecasting/planning/regions)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting import columns as C
from forecasting.config import StaffingConfig, from_dict
from forecasting.planning.regions import (
    NETWORK,
    regions_of,
    rollup_paths,
    rollup_service_tables,
    rollup_tables,
)

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


def test_with_several_services_an_areas_hours_are_the_sum_of_each_services_hours():
    """MLD sessions take 1 h, deep tissue 0.5 h (30 minutes, no turnover, every paid hour
    bookable, no blocks). North: a and b, MLD 10 + 10 = 20 sessions -> 20 h, deep tissue
    3 + 7 = 10 sessions -> 5 h: 25 h needed, not the 30 h of MLD's minutes on the 30 summed
    sessions. c has no region: the network adds its 4 MLD sessions (4 h): 29 h. Rostered:
    every therapist of the area (a 30 h MLD, b 20 h deep tissue, c 8 h MLD), each skill
    covered from the area's pooled roster."""
    config = from_dict({
        "staffing": {"session_minutes": 60, "turnover_minutes": 0, "productive_share": 1.0,
                     "block_hours": 0},
        "services": {"deep_tissue": {"drivers": ["fracture_immobilisation"],
                                     "session_minutes": 30, "turnover_minutes": 0}},
    })  # fmt: skip
    const = lambda v: np.full((5, 1), float(v))  # noqa: E731
    paths = {
        "a": {"mld": const(10), "deep_tissue": const(3)},
        "b": {"mld": const(10), "deep_tissue": const(7)},
        "c": {"mld": const(4), "deep_tissue": const(0)},
    }
    roster = pd.DataFrame({
        C.CLINIC: ["a", "b", "c"], C.THERAPIST: ["t1", "t1", "t1"],
        C.WEEKLY_HOURS: [30.0, 20.0, 8.0], C.START_DATE: pd.NaT, C.END_DATE: pd.NaT,
        C.SKILLS: ["mld", "deep_tissue", "mld"],
    })  # fmt: skip
    regions = {"a": "north", "b": "north", "c": None}
    forecast, staffing = rollup_service_tables(paths, regions, WEEKS, roster, config)
    rows = staffing.set_index("area")
    assert rows.loc["north", "therapist_hours_needed"] == pytest.approx(25.0)
    assert rows.loc["north", "therapist_hours_needed:mld"] == pytest.approx(20.0)
    assert rows.loc["north", "therapist_hours_needed:deep_tissue"] == pytest.approx(5.0)
    assert rows.loc[NETWORK, "therapist_hours_needed"] == pytest.approx(29.0)
    assert rows.loc["north", "hours_rostered"] == pytest.approx(50.0)
    assert rows.loc[NETWORK, "hours_rostered"] == pytest.approx(58.0)
    # b's deep tissue therapist covers a's deep tissue too: north has no gap in either skill
    assert rows.loc["north", "gap_hours:deep_tissue"] == pytest.approx(0.0)
    assert rows.loc["north", "gap_hours:mld"] == pytest.approx(0.0)
    assert rows.loc["north", "sessions_target"] == 30
    assert forecast.set_index("area").loc[NETWORK, "p50"] == 34.0
    # MLD's minutes on the summed paths, what the roll-up gave before: 30 h for north
    mld_only = rollup_tables({c: sum(p.values()) for c, p in paths.items()}, regions, WEEKS,
                             {c: np.array([0.0]) for c in paths}, config.staffing)[1]  # fmt: skip
    assert mld_only.set_index("area").loc["north", "therapist_hours_needed"] == 30.0
