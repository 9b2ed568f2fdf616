"""What-if scenarios on fixed sample paths, checked by hand (forecasting/planning/scenarios)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from forecasting import columns as C
from forecasting.config import Scenario, from_dict
from forecasting.errors import ConfigError
from forecasting.models.runner import SeriesForecast
from forecasting.planning.scenarios import apply_scenario, run_scenario
from forecasting.planning.week_plans import plan_week
from forecasting.week import WeeklyInputs, assemble

CUTOFF = pd.Timestamp("2027-01-04")
CONFIG = from_dict({"horizon_weeks": 4, "n_paths": 50, "seed": 3})


def _inputs() -> WeeklyInputs:
    weeks = pd.date_range(end=CUTOFF - pd.Timedelta(days=7), periods=60, freq="W-MON")
    procedures = pd.DataFrame(
        [
            {C.CLINIC: c, C.PROCEDURE: p, C.WEEK: w, C.COMPLETED: n, C.SCHEDULED: np.nan}
            for c, n in (("bayview", 10.0), ("harbor", 6.0))
            for p in C.PROCEDURE_TYPES
            for w in weeks
        ]
    )
    sessions = pd.DataFrame(
        [{C.CLINIC: c, C.WEEK: w, C.SESSIONS: s} for c, s in (("bayview", 60.0), ("harbor", 36.0))
         for w in weeks]
    )  # fmt: skip
    roster = pd.DataFrame(
        {
            C.CLINIC: ["bayview", "bayview", "harbor"],
            C.THERAPIST: ["ann", "bo", "cy"],
            C.WEEKLY_HOURS: [40.0, 30.0, 40.0],
            C.START_DATE: pd.to_datetime([pd.NaT, pd.NaT, pd.NaT]),
            C.END_DATE: pd.to_datetime([pd.NaT, pd.NaT, pd.NaT]),
        }
    )
    return WeeklyInputs(date(2027, 1, 3), CUTOFF, procedures, sessions, roster)


def _forecasts() -> dict:
    level = {"bayview": 10.0, "harbor": 6.0}
    rng = np.random.default_rng(0)
    return {
        (c, p): SeriesForecast(rng.poisson(level[c], (50, 4)).astype(float), "fixed", None, 0.0)
        for c in level
        for p in C.PROCEDURE_TYPES
    }


def _scenario(**changes) -> Scenario:
    return Scenario.model_validate(changes)


def test_a_scenario_that_changes_nothing_gives_the_base_plan_exactly():
    inputs, forecasts = _inputs(), _forecasts()
    base = assemble(inputs, forecasts, CONFIG)
    same = _scenario(scale=[{"procedure": "all", "factor": 1.0, "from": "2027-01-04"}])
    run = run_scenario("same", same, inputs, forecasts, CONFIG)
    pd.testing.assert_frame_equal(run.result.staffing, base.staffing)
    pd.testing.assert_frame_equal(run.result.forecast, base.forecast)


def test_scale_multiplies_only_that_type_at_that_clinic_from_that_week():
    inputs, forecasts = _inputs(), _forecasts()
    lipo = _scenario(scale=[{"procedure": "liposuction", "factor": 1.2, "from": "2027-01-20",
                             "at": "bayview"}])  # fmt: skip
    _, scaled, _ = apply_scenario(lipo, inputs, forecasts, CONFIG)
    before, after = (
        forecasts["bayview", "liposuction"].paths,
        scaled["bayview", "liposuction"].paths,
    )
    # 2027-01-20 is a Wednesday: its week (Monday 18 January) is the third forecast week
    np.testing.assert_array_equal(after[:, :2], before[:, :2])
    np.testing.assert_allclose(after[:, 2:], 1.2 * before[:, 2:])
    for key in forecasts:
        if key != ("bayview", "liposuction"):
            assert scaled[key] is forecasts[key]
    assert forecasts["bayview", "liposuction"].paths is before  # the argument is unchanged


def test_shorter_sessions_change_the_hours_not_the_demand():
    """60 + 10 min a session -> 50 + 10: unrounded hours x 60/70, session paths untouched."""
    inputs, forecasts = _inputs(), _forecasts()
    base = assemble(inputs, forecasts, CONFIG)
    run = run_scenario("short", _scenario(session_minutes=50), inputs, forecasts, CONFIG)
    s = run.result.staffing
    pd.testing.assert_series_equal(s["sessions_target"], base.staffing["sessions_target"])
    np.testing.assert_allclose(s["hours_unrounded"], base.staffing["hours_unrounded"] * 60 / 70)


def test_a_therapist_leaving_and_one_joining_move_the_rostered_hours_from_their_week():
    inputs, forecasts = _inputs(), _forecasts()
    moves = _scenario(
        leaves=[{"clinic": "bayview", "therapist": "bo", "from": "2027-01-11"}],
        joins=[{"clinic": "harbor", "hours": 20, "from": "2027-01-25"}],
    )
    s = run_scenario("moves", moves, inputs, forecasts, CONFIG).result.staffing
    hours = s.pivot(index=C.WEEK, columns=C.CLINIC, values="hours_rostered")
    assert hours["bayview"].tolist() == [70.0, 40.0, 40.0, 40.0]
    assert hours["harbor"].tolist() == [40.0, 40.0, 40.0, 60.0]
    assert inputs.roster[C.END_DATE].isna().all()  # the run's roster is left as it was


def test_a_clinic_opened_like_another_has_demand_from_its_date_and_no_roster():
    inputs, forecasts = _inputs(), _forecasts()
    new = _scenario(open=[{"clinic": "northgate", "like": "bayview", "from": "2027-01-18"}])
    result = run_scenario("new", new, inputs, forecasts, CONFIG).result
    rows = result.staffing[result.staffing[C.CLINIC] == "northgate"]
    assert rows["hours_rostered"].tolist() == [0.0] * 4
    assert rows["sessions_p50"].iloc[:2].tolist() == [0.0, 0.0]
    assert (rows["sessions_p50"].iloc[2:] > 0).all()
    # the base clinics keep their plan: bayview's rows are the base's
    base = assemble(inputs, forecasts, CONFIG).staffing
    pd.testing.assert_frame_equal(
        result.staffing[result.staffing[C.CLINIC] == "bayview"].reset_index(drop=True),
        base[base[C.CLINIC] == "bayview"].reset_index(drop=True),
    )


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"scale": [{"procedure": "lipo", "factor": 1.2, "from": "2027-01-04"}]},
         "'lipo' is not a procedure type"),
        ({"scale": [{"procedure": "all", "factor": 1.2, "from": "2027-01-04", "at": "mars"}]},
         "'mars' is neither a clinic nor a region"),
        ({"scale": [{"procedure": "all", "factor": 1.2, "from": "2027-06-01"}]},
         "outside this run's horizon"),
        ({"leaves": [{"clinic": "harbor", "therapist": "ann", "from": "2027-01-04"}]},
         "no therapist 'ann' at 'harbor'"),
        ({"open": [{"clinic": "harbor", "like": "bayview", "from": "2027-01-04"}]},
         "already exists"),
        ({"joins": [{"clinic": "mars", "hours": 10, "from": "2027-01-04"}]},
         "'mars' is not a clinic"),
    ],
)  # fmt: skip
def test_a_change_that_cannot_apply_is_one_sentence_naming_the_key(changes, words):
    with pytest.raises(ConfigError, match=words) as err:
        run_scenario("bad", _scenario(**changes), _inputs(), _forecasts(), CONFIG)
    assert str(err.value).startswith("[scenarios.bad]")


def test_a_negative_scale_and_an_empty_scenario_are_refused_by_the_config():
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        _scenario(scale=[{"procedure": "all", "factor": -0.5, "from": "2027-01-04"}])
    with pytest.raises(ValidationError, match="changes nothing"):
        _scenario(description="nothing")
    with pytest.raises(ConfigError, match="scenario name 'a b' must be"):
        from_dict({"scenarios": {"a b": {"session_minutes": 50}}})


def test_plan_week_compares_each_scenario_with_the_base_and_plans_next_weeks_shifts():
    inputs, forecasts = _inputs(), _forecasts()
    config = from_dict(
        {
            "horizon_weeks": 4,
            "n_paths": 50,
            "seed": 3,
            "scenarios": {
                "northgate": {"open": [{"clinic": "northgate", "like": "bayview",
                                        "from": "2027-01-18"}]},
                "bo-leaves": {"leaves": [{"clinic": "bayview", "therapist": "bo",
                                          "from": "2027-01-04"}]},
            },
        }
    )  # fmt: skip
    base = assemble(inputs, forecasts, config)
    plans = plan_week(inputs, forecasts, base, config)
    table = plans.comparison.set_index(["scenario", C.CLINIC])
    assert [r.name for r in plans.scenarios] == ["northgate", "bo-leaves"]
    new = table.loc[("northgate", "northgate")]
    assert new["hours_needed_base"] == 0 and new["hours_needed"] > 0
    net = table.loc[("northgate", "(network)")]
    assert net["hours_change"] == pytest.approx(new["hours_needed"])
    assert ("northgate", "harbor") not in table.index  # unchanged clinics are left out
    leaves = table.loc[("bo-leaves", "bayview")]
    assert leaves["hours_needed"] == leaves["hours_needed_base"]  # demand is the same
    needed = base.staffing[base.staffing[C.CLINIC] == "bayview"]["therapist_hours_needed"]
    # bo's 30 h are gone from the first week: the gap is what ann's 40 h leave uncovered
    assert leaves["gap_hours"] == pytest.approx(needed.sub(40).clip(lower=0).sum())
    shifts = plans.shifts
    assert shifts is not None and set(shifts.summary[C.CLINIC]) == {"bayview", "harbor"}
    assert set(shifts.shifts["date"]) <= {f"2027-01-0{d}" for d in range(4, 9)}


def test_a_forecast_week_number_starts_the_change_in_that_week_and_must_be_in_the_horizon():
    inputs, forecasts = _inputs(), _forecasts()
    week3 = _scenario(scale=[{"procedure": "bbl", "factor": 2.0, "from": 3}])
    _, scaled, _ = apply_scenario(week3, inputs, forecasts, CONFIG)
    np.testing.assert_allclose(
        scaled["harbor", "bbl"].paths[:, 2:], 2 * forecasts["harbor", "bbl"].paths[:, 2:]
    )
    np.testing.assert_array_equal(
        scaled["harbor", "bbl"].paths[:, :2], forecasts["harbor", "bbl"].paths[:, :2]
    )
    late = _scenario(joins=[{"clinic": "harbor", "hours": 20, "from": 5}])
    with pytest.raises(ConfigError, match="forecast week 5, after this run's 4-week horizon"):
        run_scenario("late", late, inputs, forecasts, CONFIG)
    with pytest.raises(ValidationError, match="starts at 1"):
        _scenario(joins=[{"clinic": "harbor", "hours": 20, "from": 0}])


@pytest.mark.parametrize(
    "changes",
    [
        {"session_minutes": 50},
        {"service_level": 0.9},
        {"leaves": [{"clinic": "bayview", "therapist": "bo", "from": "2027-01-11"}],
         "joins": [{"clinic": "harbor", "hours": 20, "from": 3}]},
    ],
)  # fmt: skip
def test_a_roster_or_staffing_scenario_restaffs_the_base_paths_as_assembling_again_would(changes):
    inputs, forecasts = _inputs(), _forecasts()
    base = assemble(inputs, forecasts, CONFIG)
    scenario = _scenario(**changes)
    fast = run_scenario("s", scenario, inputs, forecasts, CONFIG, base=base).result
    slow = assemble(*apply_scenario(scenario, inputs, forecasts, CONFIG))
    pd.testing.assert_frame_equal(fast.staffing, slow.staffing)
    assert fast.problems == slow.problems


def test_a_scale_scenario_reuses_the_base_weeks_learning_and_gives_the_same_week():
    inputs, forecasts = _inputs(), _forecasts()
    base = assemble(inputs, forecasts, CONFIG)
    scenario = _scenario(scale=[{"procedure": "all", "factor": 1.3, "from": 2}])
    fast = run_scenario("s", scenario, inputs, forecasts, CONFIG, base=base).result
    slow = assemble(*apply_scenario(scenario, inputs, forecasts, CONFIG))
    pd.testing.assert_frame_equal(fast.staffing, slow.staffing)
    pd.testing.assert_frame_equal(fast.forecast, slow.forecast)
    assert fast.context is base.context


def test_the_check_before_any_fit_knows_the_regions_of_the_clinics_export():
    """A scenario scaled at a region applies when the clinics export names it (the weekly run
    checked scenarios without the regions before, and refused every region-scoped one)."""
    from forecasting.planning.week_plans import check_plans

    coast = {"scale": [{"procedure": "bbl", "factor": 1.5, "from": 2, "at": "Coast"}]}
    config = from_dict({"horizon_weeks": 4, "n_paths": 50, "scenarios": {"coast": coast}})
    clinics = pd.DataFrame(
        {C.CLINIC: ["bayview", "harbor"], "region": ["Coast", ""], "display_name": ["", ""]}
    )
    check_plans(_inputs(), config, ["coast"], clinics)
    with pytest.raises(ConfigError, match="'Coast' is neither a clinic nor a region"):
        check_plans(_inputs(), config, None, None)
    with pytest.raises(ConfigError, match="Scenario 'nosuch' is not in the configuration"):
        check_plans(_inputs(), config, ["nosuch"], clinics)
    # and the scenario scales only the region's clinics
    _, scaled, _ = apply_scenario(
        config.scenarios["coast"], _inputs(), _forecasts(), config, {"bayview": "Coast"}
    )
    forecasts = _forecasts()
    np.testing.assert_allclose(scaled["bayview", "bbl"].paths[:, 1:],
                               1.5 * forecasts["bayview", "bbl"].paths[:, 1:])  # fmt: skip
    np.testing.assert_array_equal(scaled["harbor", "bbl"].paths, forecasts["harbor", "bbl"].paths)


def test_opening_hours_of_a_clinic_the_run_does_not_have_fail_before_any_fit():
    from forecasting.planning.week_plans import check_plans

    config = from_dict({"shifts": {"clinic_opening": {"mars": {"sat": "08:00-12:00"}}}})
    with pytest.raises(ConfigError, match=r"\[shifts\] clinic_opening names 'mars'"):
        check_plans(_inputs(), config, [], None)
    check_plans(
        _inputs(),
        from_dict({"shifts": {"clinic_opening": {"harbor": {"sat": "08:00-12:00"}}}}),
        [],
        None,
    )


def test_the_shift_plan_takes_each_skills_hours_from_the_weeks_skill_cover():
    """MLD only: the cover's hours are staffing's. With a second skill in the cover (services
    with their own demand), next week's targets hold both skills."""
    from dataclasses import replace

    from forecasting.planning.week_plans import skill_needs
    from forecasting.staffing.skills import SkillCover

    inputs, forecasts = _inputs(), _forecasts()
    base = assemble(inputs, forecasts, CONFIG)
    needs = skill_needs(base)
    assert set(needs["skill"]) == {"mld"}
    pd.testing.assert_series_equal(
        needs.set_index([C.CLINIC, C.WEEK])["therapist_hours_needed"].sort_index(),
        base.staffing.set_index([C.CLINIC, C.WEEK])["therapist_hours_needed"].sort_index(),
        check_dtype=False,
    )
    table = pd.concat([base.skills.table, needs.assign(skill="deep_tissue", hours_needed=6.0)
                       .drop(columns="therapist_hours_needed")], ignore_index=True)  # fmt: skip
    two = replace(base, skills=SkillCover(table, pd.DataFrame(), pd.DataFrame()))
    plans = plan_week(inputs, forecasts, two, CONFIG)
    first = base.staffing[base.staffing[C.WEEK] == CUTOFF].set_index(C.CLINIC)
    targets = plans.shifts.summary.set_index(C.CLINIC)["target_hours"]
    for clinic in ("bayview", "harbor"):  # MLD's hours (whole minutes) and 6 h of deep tissue
        assert targets[clinic] == pytest.approx(first.loc[clinic, "therapist_hours_needed"] + 6,
                                                abs=1 / 60)  # fmt: skip
    # nobody on the roster has deep tissue: each clinic says so
    assert all(any("deep tissue" in s and "nobody with deep tissue" in s for s in sentences)
               for sentences in plans.shifts.sentences.values())  # fmt: skip


def test_a_higher_service_level_raises_the_sessions_target_on_the_same_paths():
    inputs, forecasts = _inputs(), _forecasts()
    base = assemble(inputs, forecasts, CONFIG)
    run = run_scenario("sl", _scenario(service_level=0.95), inputs, forecasts, CONFIG, base=base)
    s, b = run.result.staffing, base.staffing
    pd.testing.assert_series_equal(s["sessions_p50"], b["sessions_p50"])  # the same demand
    assert (s["sessions_target"] >= b["sessions_target"]).all()
    assert (s["sessions_target"] > b["sessions_target"]).any()
    # the target is the paths' 95th percentile where it was their 80th (CONFIG's level)
    paths = base.session_paths["bayview"]
    mine = s[s[C.CLINIC] == "bayview"]["sessions_target"].to_numpy()
    assert np.all(np.abs(mine - np.quantile(paths, 0.95, axis=0)) <= 1)
