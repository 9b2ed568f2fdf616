"""The report's What if section from a comparison checked by hand (forecasting/report/plans.py)."""

from __future__ import annotations

import pandas as pd

from forecasting.config import Scenario
from forecasting.planning.scenarios import ScenarioRun
from forecasting.planning.week_plans import COMPARISON_COLUMNS, NETWORK_ROW, WeekPlans
from forecasting.report.plans import scenario_views


def test_what_if_shows_hours_fte_gap_and_weeks_short_against_the_base():
    scenario = Scenario.model_validate(
        {"scale": [{"procedure": "liposuction", "factor": 1.2, "from": 2, "at": "bayview"}]}
    )
    comparison = pd.DataFrame(
        [
            ["lipo", NETWORK_ROW, 100.0, 140.0, 40.0, 0.6, 0.9, 10.0, 30.0, 1, 2],
            ["lipo", "bayview", 60.0, 100.0, 40.0, 0.4, 0.6, 10.0, 30.0, 1, 2],
        ],
        columns=COMPARISON_COLUMNS,
    )
    run = ScenarioRun("lipo", scenario, result=None)  # the view reads the comparison only
    (view,) = scenario_views(WeekPlans(scenarios=(run,), comparison=comparison), 4)
    assert view.changes == "liposuction x1.20 at bayview from forecast week 2"
    assert view.sentence == (
        "The network would need 40 h more over 4 weeks (100 h -> 140 h); clinic-weeks short: "
        "1 -> 2."
    )
    assert view.table.header == [
        "Clinic", "Hours needed (base)", "Hours needed", "Change", "FTE needed (base)",
        "FTE needed", "Gap hours (base)", "Gap hours", "Weeks short (base)", "Weeks short",
    ]  # fmt: skip
    network, bayview = view.table.rows
    assert network.cells == ["Network", "100 h", "140 h", "+40 h", "0.6", "0.9", "10 h", "30 h",
                             "1", "2"]  # fmt: skip
    assert bayview.cells[0] == "bayview" and bayview.mark == "short"  # more weeks short
