"""Scenarios that scale a driver (a referral type) on fixed sample paths, checked by hand."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from forecasting import columns as C
from forecasting.config import Scenario, from_dict
from forecasting.errors import ConfigError
from forecasting.models.runner import SeriesForecast
from forecasting.planning.scenarios import apply_scenario, run_scenario
from forecasting.week import WeeklyInputs, assemble

CUTOFF = pd.Timestamp("2027-01-04")
N_PATHS, HORIZON = 4000, 4
# deep tissue: 0.5 x [1, 2, 2] = [0.5, 1, 1] sessions per fracture referral by week since
# the cast came off (configured, not learned); injury massage is fed by injuries alone
CONFIG = from_dict({
    "horizon_weeks": HORIZON, "n_paths": N_PATHS, "seed": 5,
    "demand": {"learn_pathways": False},
    "services": {
        "deep_tissue": {"drivers": ["fracture_immobilisation"], "pathways": {
            "fracture_immobilisation": {"uptake": 0.5, "sessions_by_week": [1, 2, 2]}}},
        "injury_massage": {"drivers": ["injury"]},
    },
})  # fmt: skip
FRACTURES = C.referral_key("fracture_immobilisation")


def _inputs() -> WeeklyInputs:
    weeks = pd.date_range(end=CUTOFF - pd.Timedelta(days=7), periods=60, freq="W-MON")
    clinics = ("bayview", "harbor")
    procedures = pd.DataFrame(
        [{C.CLINIC: c, C.PROCEDURE: p, C.WEEK: w, C.COMPLETED: 4.0, C.SCHEDULED: np.nan}
         for c in clinics for p in C.PROCEDURE_TYPES for w in weeks]
    )  # fmt: skip
    sessions = pd.DataFrame([{C.CLINIC: c, C.WEEK: w, C.SESSIONS: 40.0}
                             for c in clinics for w in weeks])  # fmt: skip
    referrals = pd.DataFrame(
        [{C.CLINIC: c, C.REFERRAL_TYPE: r, C.WEEK: w, C.REFERRALS: 10.0}
         for c in clinics for r in ("fracture_immobilisation", "injury") for w in weeks]
    )  # fmt: skip
    service_sessions = pd.DataFrame(
        [{C.CLINIC: c, C.SERVICE: s, C.WEEK: w, C.SESSIONS: n}
         for c in clinics for s, n in (("mld", 40.0), ("deep_tissue", 25.0),
                                       ("injury_massage", 20.0)) for w in weeks]
    )  # fmt: skip
    roster = pd.DataFrame(
        [(c, f"{c}-{s}", 30.0, pd.NaT, pd.NaT, s)
         for c in clinics for s in ("mld", "deep_tissue", "injury_massage")],
        columns=[C.CLINIC, C.THERAPIST, C.WEEKLY_HOURS, C.START_DATE, C.END_DATE, C.SKILLS],
    )  # fmt: skip
    return WeeklyInputs(
        date(2027, 1, 3), CUTOFF, procedures, sessions, roster,
        service_sessions=service_sessions, referrals=referrals,
    )  # fmt: skip


def _forecasts() -> dict:
    """Every series 10 a week on every path: the driver's paths are known exactly."""
    names = [*C.PROCEDURE_TYPES, FRACTURES, C.referral_key("injury")]
    return {
        (c, n): SeriesForecast(np.full((N_PATHS, HORIZON), 10.0), "fixed", None, 0.0)
        for c in ("bayview", "harbor")
        for n in names
    }


def _scale(procedure: str, factor: float, at: str = "bayview") -> Scenario:
    # 2027-01-13 is a Wednesday: its week (Monday 11 January) is the second forecast week
    change = {"procedure": procedure, "factor": factor, "from": "2027-01-13", "at": at}
    return Scenario.model_validate({"scale": [change]})


@pytest.fixture(scope="module")
def base():
    return assemble(_inputs(), _forecasts(), CONFIG)


def test_a_driver_scaled_at_a_clinic_scales_its_referral_paths_from_that_week():
    forecasts = _forecasts()
    _, scaled, _ = apply_scenario(_scale("fracture_immobilisation", 1.2), _inputs(),
                                  forecasts, CONFIG)  # fmt: skip
    paths = scaled["bayview", FRACTURES].paths
    np.testing.assert_array_equal(paths[:, 0], 10.0)
    np.testing.assert_allclose(paths[:, 1:], 12.0)
    for key in forecasts:
        if key != ("bayview", FRACTURES):
            assert scaled[key] is forecasts[key]  # harbor, injuries and procedures untouched
    assert forecasts["bayview", FRACTURES].paths.max() == 10.0  # the argument is unchanged


def test_the_service_a_scaled_driver_feeds_rises_by_its_pathway_and_nothing_else_moves(base):
    """2 more fractures a week at bayview from forecast week 2 (10 -> 12), through the
    pathway [0.5, 1, 1]: deep tissue's expected sessions rise by 2 x [0, 0.5, 0.5 + 1,
    0.5 + 1 + 1] = [0, 1, 3, 5] in forecast weeks 1-4. Injury massage, MLD and harbor keep
    the base's paths exactly (their draws are their own)."""
    run = run_scenario("casts", _scale("fracture_immobilisation", 1.2), _inputs(),
                       _forecasts(), CONFIG, base=base)  # fmt: skip
    got, was = run.result.service_paths["bayview"], base.service_paths["bayview"]
    rise = got["deep_tissue"].mean(axis=0) - was["deep_tissue"].mean(axis=0)
    np.testing.assert_allclose(rise, [0.0, 1.0, 3.0, 5.0], atol=0.35)
    np.testing.assert_array_equal(got["injury_massage"], was["injury_massage"])
    np.testing.assert_array_equal(got["mld"], was["mld"])
    for service, paths in base.service_paths["harbor"].items():
        np.testing.assert_array_equal(run.result.service_paths["harbor"][service], paths)
    # forecast.csv's referral series shows the scaled driver: 10, then 12 a week
    fc = run.result.forecast
    rows = fc[(fc[C.CLINIC] == "bayview")
              & (fc[C.SERIES] == C.referral_series("fracture_immobilisation"))]  # fmt: skip
    np.testing.assert_allclose(rows[C.MEAN], [10.0, 12.0, 12.0, 12.0])
    # staffing: deep tissue's hours at bayview rise from week 3, harbor's rows are the base's
    s, b = run.result.staffing, base.staffing
    col = "therapist_hours_needed:deep_tissue"
    mine, theirs = s[s[C.CLINIC] == "bayview"][col].to_numpy(), b[b[C.CLINIC] == "bayview"][col]
    assert (mine[2:] > theirs.to_numpy()[2:]).all()
    pd.testing.assert_frame_equal(
        s[s[C.CLINIC] == "harbor"].reset_index(drop=True),
        b[b[C.CLINIC] == "harbor"].reset_index(drop=True),
    )


def test_a_driver_scaled_by_one_reproduces_the_base_exactly(base):
    run = run_scenario("same", _scale("injury", 1.0, at="network"), _inputs(), _forecasts(),
                       CONFIG, base=base)  # fmt: skip
    pd.testing.assert_frame_equal(run.result.staffing, base.staffing)
    pd.testing.assert_frame_equal(run.result.forecast, base.forecast)


@pytest.mark.parametrize(
    ("procedure", "config", "words"),
    [
        ("fractures", CONFIG, "'fractures' is not a procedure type or driver"),
        ("post_surgical_scar", CONFIG, "'post_surgical_scar' is a driver no configured service"),
        ("injury", from_dict({"horizon_weeks": HORIZON}), "'injury' is a driver no configured"),
    ],
)
def test_an_unknown_or_unused_driver_is_one_sentence_naming_the_key(procedure, config, words):
    with pytest.raises(ConfigError, match=words) as err:
        run_scenario("bad", _scale(procedure, 1.2), _inputs(), _forecasts(), config)
    message = str(err.value)
    assert message.startswith("[scenarios.bad] scale[0].procedure")
    assert message.count(". ") == 0 and message.endswith(".")  # one sentence


def test_a_regions_hours_with_several_services_are_each_services_own_hours_summed(base):
    """plan_week rolls each service's paths up apart: the region's deep tissue hours are its
    summed deep tissue paths' target at deep tissue's own minutes (MLD's 60 + 10 here too, but
    the target is per service), and the region's hours are the services' hours summed."""
    from forecasting.planning.week_plans import plan_week
    from forecasting.staffing.hours import recommended_hours
    from forecasting.staffing.skill_staffing import service_staffing

    clinics = pd.DataFrame({C.CLINIC: ["bayview", "harbor"], "region": ["coast", "coast"]})
    plans = plan_week(_inputs(), _forecasts(), base, CONFIG, clinics=clinics)
    coast = plans.region_staffing[plans.region_staffing["area"] == "coast"]
    names = list(CONFIG.service_settings)
    per_service = sum(coast[f"therapist_hours_needed:{n}"].to_numpy() for n in names)
    np.testing.assert_allclose(coast["therapist_hours_needed"], per_service)
    for name in names:
        summed = sum(base.service_paths[c][name] for c in ("bayview", "harbor"))
        settings = service_staffing(CONFIG, name)
        target = np.ceil(np.quantile(summed, settings.target_quantile, axis=0) - 1e-9)
        np.testing.assert_allclose(
            coast[f"therapist_hours_needed:{name}"], recommended_hours(target, settings)
        )
    # the region's hours are less than its clinics' summed (pooling), more than none
    clinic_hours = base.staffing.groupby(C.WEEK)["therapist_hours_needed"].sum().to_numpy()
    assert (coast["therapist_hours_needed"].to_numpy() <= clinic_hours).all()
    assert coast["hours_rostered"].tolist() == [180.0] * HORIZON  # six therapists x 30 h
