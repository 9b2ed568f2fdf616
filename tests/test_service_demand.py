"""Demand per service: referral pathways by hand, shared driver paths, drivers without data."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from benchmarks.service_accuracy import processed_frames
from forecasting import columns as C
from forecasting.config import from_dict
from forecasting.demand.services import ServiceModel, service_demand, service_models
from forecasting.errors import ConfigError
from forecasting.staffing.skills import HOURS_AVAILABLE, cover
from forecasting.week import cut_inputs, run_week

CUTOFF = pd.Timestamp("2025-09-01")
WEEK = pd.Timedelta(weeks=1)
FAST = {"model": {"name": "seasonal_naive"}, "calibration": {"origins": 0}}
SERVICES = {
    "deep_tissue": {"drivers": ["fracture_immobilisation"], "session_minutes": 45},
    "injury_massage": {"drivers": ["injury", "fracture_immobilisation"]},
    "scar": {"drivers": ["post_surgical_scar"]},  # no referrals of this type in the data
}


def _empty_sessions() -> pd.DataFrame:
    return pd.DataFrame({C.CLINIC: pd.Series(dtype=str), C.WEEK: pd.Series(dtype="M8[ns]"),
                         C.SESSIONS: pd.Series(dtype=float)})  # fmt: skip


def _empty_procedures() -> pd.DataFrame:
    return pd.DataFrame(columns=[C.CLINIC, C.PROCEDURE, C.WEEK, C.COMPLETED, C.SCHEDULED])


def _model(config, referrals: pd.DataFrame, name: str) -> ServiceModel:
    models = service_models(config, _empty_procedures(), _empty_sessions(), None, referrals, CUTOFF)
    return models[name]


def test_referral_pathway_convolution_by_hand():
    """Two past referral weeks and one forecast referral through a known pathway.

    Pathway uptake 0.5 x [1, 2, 3, 1] = [0.5, 1, 1.5, 0.5] sessions per referral by week since
    the cast came off. 3 referrals a week before the cut-off (lag h + 1 in forecast week h)
    and 2 three weeks before (lag h + 3): committed = [3 x 1 + 2 x 0.5, 3 x 1.5, 3 x 0.5, 0]
    = [4, 4.5, 1.5, 0]. One forecast referral in forecast week 0 on every path adds
    [0.5, 1, 1.5, 0.5]: expected sessions [4.5, 5.5, 3, 0.5, 0, 0].
    """
    pathway = {"uptake": 0.5, "sessions_by_week": [1, 2, 3, 1]}
    config = from_dict({**FAST, "services": {"dt": {
        "drivers": ["fracture_immobilisation"], "pathways": {"fracture_immobilisation": pathway},
    }}, "horizon_weeks": 6})  # fmt: skip
    referrals = pd.DataFrame({
        C.CLINIC: ["a", "a"], C.REFERRAL_TYPE: ["fracture_immobilisation"] * 2,
        C.WEEK: [CUTOFF - 3 * WEEK, CUTOFF - WEEK], C.REFERRALS: [2, 3],
    })  # fmt: skip
    model = _model(config, referrals, "dt")
    assert model.learned.source == "configured" and model.missing == ()
    driver = np.zeros((20_000, 6))
    driver[:, 0] = 1.0
    demand = service_demand(
        model, "a", {"fracture_immobilisation": driver}, n_paths=20_000, horizon=6,
        config=config, rng=np.random.default_rng(0),
    )  # fmt: skip
    np.testing.assert_allclose(demand.committed, [4.0, 4.5, 1.5, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(demand.non_surgical, 0.0)  # no session history: no base level
    # Poisson counts around [4.5, 5.5, 3, 0.5, 0, 0] (dispersion 1: the configured pathway)
    np.testing.assert_allclose(demand.paths.mean(axis=0), [4.5, 5.5, 3.0, 0.5, 0, 0], atol=0.06)
    assert np.all(demand.paths[:, 4:] == 0)


def test_services_fed_by_one_driver_share_its_paths():
    """Two services convolve the same driver array: a path with many referrals is high for
    both (correlation near 1 when the driver's spread dominates the count noise)."""
    config = from_dict({**FAST, "services": SERVICES, "horizon_weeks": 4, "n_paths": 400})
    referrals = pd.DataFrame({
        C.CLINIC: "a", C.REFERRAL_TYPE: ["fracture_immobilisation", "injury"],
        C.WEEK: [CUTOFF - 4 * WEEK] * 2, C.REFERRALS: [1, 1],
    })  # fmt: skip
    rng = np.random.default_rng(1)
    driver = np.repeat(rng.choice([0.0, 30.0], size=(400, 1)), 4, axis=1)
    shared = {"fracture_immobilisation": driver, "injury": np.zeros((400, 4))}
    got = {
        name: service_demand(
            _model(config, referrals, name), "a", shared, n_paths=400, horizon=4,
            config=config, rng=np.random.default_rng(i),
        ).paths.sum(axis=1)
        for i, name in enumerate(["deep_tissue", "injury_massage"])
    }  # fmt: skip
    assert np.corrcoef(got["deep_tissue"], got["injury_massage"])[0, 1] > 0.8


def _network(seed: int = 0):
    """Three clinics, 150 weeks: liposuction -> MLD, fracture referrals -> deep tissue, injury
    (and a third of the fracture patients) -> injury massage; a roster of mixed skills."""
    rng = np.random.default_rng(seed)
    weeks = pd.date_range("2022-11-07", periods=150, freq="W-MON")
    w_mld = 0.5 * np.array([1, 2.5, 2, 1.5, 1, 0.5, 0.5, 0.5, 0.5])
    w_dt = 0.8 * np.array([0, 1, 1.5, 1.5, 1, 1, 0.5, 0.5])
    w_inj = 0.8 * np.array([1.5, 2, 1.5, 1, 0.5, 0.5])
    proc, sess, refs, svc, roster = [], [], [], [], []
    n = len(weeks)
    for clinic in ("a", "b", "c"):
        lipo, fr, inj = (rng.poisson(lam, n) for lam in (6, 4, 3))
        mld = rng.poisson(np.convolve(lipo, w_mld)[:n] + 3)
        dt = rng.poisson(np.convolve(fr, w_dt)[:n] + 2)
        im = rng.poisson(np.convolve(inj, w_inj)[:n] + 0.3 * np.convolve(fr, w_dt)[:n] + 1)
        for i, week in enumerate(weeks):
            proc.append((clinic, "liposuction", week, lipo[i], 0))
            sess.append((clinic, week, mld[i]))
            refs += [
                (clinic, "fracture_immobilisation", week, fr[i]),
                (clinic, "injury", week, inj[i]),
            ]
            svc += [(clinic, "mld", week, mld[i]), (clinic, "deep_tissue", week, dt[i]),
                    (clinic, "injury_massage", week, im[i])]  # fmt: skip
        for t, skills in enumerate(["mld", "mld;deep_tissue", "deep_tissue", "injury_massage"]):
            roster.append((clinic, f"{clinic}{t}", 30.0, pd.NaT, pd.NaT, skills))
    return processed_frames(proc, sess, refs, svc, roster)


@pytest.fixture(scope="module")
def network():
    return _network()


def _inputs(frames, *, services: bool = True):
    extra = {"service_sessions": frames["service_sessions"], "referrals": frames["referrals"]}
    return cut_inputs(
        frames["procedures"], frames["sessions"], frames["roster"], CUTOFF.date(),
        **(extra if services else {}),
    )  # fmt: skip


@pytest.fixture(scope="module")
def several(network):
    config = from_dict({**FAST, "services": SERVICES, "n_paths": 400})
    return config, run_week(_inputs(network), config)


def test_week_with_services_forecasts_each_and_their_total(several):
    config, result = several
    series = set(result.forecast[C.SERIES])
    for name in ("mld", "deep_tissue", "injury_massage", "scar"):
        assert C.service_series(name) in series
    assert {"referrals:fracture_immobilisation", "referrals:injury"} <= series
    # `sessions` is the total: its paths are the services' paths summed path by path
    for clinic, per_service in result.service_paths.items():
        np.testing.assert_array_equal(
            result.session_paths[clinic], np.sum(list(per_service.values()), axis=0)
        )
    # committed and base levels per service add up to the clinic's
    per = result.service_committed.groupby([C.CLINIC, C.WEEK])[["committed", "non_surgical"]]
    summed = per.sum().reset_index()
    pd.testing.assert_frame_equal(summed, result.committed[summed.columns], check_dtype=False)
    # the learned pathway of deep tissue finds the generator's 6 sessions per fracture
    line = result.demand.services["deep_tissue"]
    assert "learned" in line
    learned = float(line.split("fracture_immobilisation ")[1].split(" ")[0])
    assert learned == pytest.approx(6.0, abs=0.6)
    table = result.service_pathways.set_index([C.SERVICE, C.PROCEDURE])
    assert table.loc[
        ("deep_tissue", "fracture_immobilisation"), "learned_sessions"
    ] == pytest.approx(learned, abs=0.05)  # the summary line rounds to 0.1
    assert table.loc[("scar", "post_surgical_scar"), "source"] == "configured"
    # referral series are forecast by the configured model like procedures, with their ids
    assert "referral:injury" in set(result.models[C.PROCEDURE])


def test_services_in_one_week_are_correlated_through_their_driver(several):
    _, result = several
    paths = result.service_paths["a"]
    # deep tissue and injury massage share the fracture referrals' forecast paths
    corr = np.corrcoef(paths["deep_tissue"].sum(axis=1), paths["injury_massage"].sum(axis=1))
    assert corr[0, 1] > 0.1


def test_driver_without_data_runs_with_its_prior_and_says_so(several):
    config, result = several
    line = result.demand.services["scar"]
    assert "no post_surgical_scar data before the cut-off" in line
    assert "configured pathway prior is used" in line
    scar = result.forecast[result.forecast[C.SERIES] == C.service_series("scar")]
    assert (scar[C.MEAN] == 0).all()  # neither sessions nor events: no demand, no crash
    assert result.demand.manifest()["services"]["scar"] == line


def test_staffing_per_service_adds_up_to_the_clinic(several):
    config, result = several
    staffing = result.staffing
    names = list(config.service_settings)
    hours = sum(staffing[f"therapist_hours_needed:{n}"] for n in names)
    np.testing.assert_allclose(staffing["therapist_hours_needed"], hours)
    unmet = sum(staffing[f"expected_unmet_sessions:{n}"] for n in names)
    np.testing.assert_allclose(staffing["expected_unmet_sessions"], unmet)
    # every therapist's hours go to some service (each has a configured skill), none twice
    available = sum(staffing[f"{HOURS_AVAILABLE}:{n}"] for n in names)
    np.testing.assert_allclose(available, staffing["hours_rostered"])


def test_mld_only_config_ignores_services_and_referral_files(network):
    """Today's configuration on data with referrals and sessions per service gives exactly
    the numbers of the same data without those files."""
    config = from_dict({**FAST, "n_paths": 100})
    with_files = run_week(_inputs(network), config)
    without = run_week(_inputs(network, services=False), config)
    pd.testing.assert_frame_equal(with_files.forecast, without.forecast)
    pd.testing.assert_frame_equal(with_files.staffing, without.staffing)
    assert not (with_files.forecast[C.SERIES].str.startswith(("sessions:", "referrals:"))).any()
    assert "services" not in with_files.demand.manifest()


def test_hours_available_split_idle_hours_between_services():
    """MLD needs 20 h, deep tissue 4 h; one MLD therapist (10 h), one deep tissue (10 h):
    MLD has its therapist's 10 h, deep tissue its 4 h covered plus 6 h idle = 10 h."""
    config = from_dict({"services": {"deep_tissue": {"drivers": ["fracture_immobilisation"]}}})
    week = pd.DatetimeIndex([CUTOFF])
    needed = pd.DataFrame({C.CLINIC: "a", C.WEEK: CUTOFF, "service": ["mld", "deep_tissue"],
                           "hours_needed": [20.0, 4.0]})  # fmt: skip
    roster = pd.DataFrame({C.CLINIC: "a", C.THERAPIST: ["t1", "t2"], C.WEEKLY_HOURS: 10.0,
                           C.START_DATE: pd.NaT, C.END_DATE: pd.NaT,
                           C.SKILLS: ["mld", "deep_tissue"]})  # fmt: skip
    got = cover(needed, roster, config.service_settings, week).services.set_index("service")
    assert got.loc["mld", HOURS_AVAILABLE] == 10 and got.loc["mld", "gap_hours"] == 10
    assert got.loc["deep_tissue", HOURS_AVAILABLE] == 10


def test_service_pathways_config():
    config = from_dict({"services": SERVICES})
    assert config.pathways_of("deep_tissue")["fracture_immobilisation"].uptake == 0.8
    assert list(config.pathways_of("mld")) == list(C.PROCEDURE_TYPES)  # [pathways], as today
    own = {
        "drivers": ["injury"],
        "pathways": {"injury": {"uptake": 0.5, "sessions_by_week": [2, 1]}},
    }
    assert from_dict({"services": {"x": own}}).pathways_of("x")["injury"].weights == [1.0, 0.5]
    with pytest.raises(ConfigError, match="not among the service's drivers"):
        from_dict({"services": {"x": {**own, "drivers": ["fracture_immobilisation"]}}})
    with pytest.raises(ConfigError, match=r"\[pathways.bbl\]"):
        from_dict(
            {"services": {"mld": {"pathways": {"bbl": {"uptake": 1, "sessions_by_week": [1]}}}}}
        )


def test_referrals_on_the_books_only_when_the_export_is_not_newer():
    frames = _network()
    referrals = frames["referrals"]
    booked = pd.DataFrame({C.CLINIC: "a", C.REFERRAL_TYPE: "injury", C.WEEK: [CUTOFF + WEEK],
                           C.REFERRALS: 0, C.SCHEDULED: 5})  # fmt: skip
    kept = pd.concat([referrals.loc[referrals[C.WEEK] < CUTOFF], booked], ignore_index=True)
    inputs = cut_inputs(frames["procedures"], frames["sessions"], frames["roster"],
                        CUTOFF.date(), referrals=kept)  # fmt: skip
    assert inputs.scheduled_referrals[C.SCHEDULED].tolist() == [5]
    replay = cut_inputs(frames["procedures"], frames["sessions"], frames["roster"],
                        date(2024, 6, 3), referrals=kept)  # fmt: skip
    assert replay.scheduled_referrals.empty  # later referrals happened: not on the books then


def test_scenarios_leave_referrals_alone_and_restaff_every_service(several, network):
    """A campaign on "all" procedures scales no referral series; a staffing scenario restaffs
    each service's own paths exactly as assembling the week again would."""
    from forecasting.config import Scenario
    from forecasting.models import SeriesForecast
    from forecasting.planning.scenarios import apply_scenario, restaff

    config, base = several
    inputs = _inputs(network)
    paths = np.ones((3, config.horizon_weeks))
    forecasts = {
        ("a", "liposuction"): SeriesForecast(paths, "m", None, 0.0),
        ("a", "referral:injury"): SeriesForecast(paths, "m", None, 0.0),
    }
    campaign = Scenario.model_validate({"scale": [{"procedure": "all", "factor": 2, "from": 1}]})
    _, scaled, _ = apply_scenario(campaign, inputs, forecasts, config)
    assert scaled[("a", "liposuction")].paths.max() == 2
    assert scaled[("a", "referral:injury")].paths.max() == 1
    higher = config.model_copy(
        update={"staffing": config.staffing.model_copy(update={"service_level": 0.9})}
    )
    again = run_week(inputs, higher)
    pd.testing.assert_frame_equal(restaff(base, inputs, higher).staffing, again.staffing)


def test_mld_fed_by_a_referral_type_too_keeps_one_service_columns(network):
    """[services.mld] drivers naming a referral type: MLD is learned over procedures and that
    referral (the generator's MLD ignores injuries: the data pull the injury pathway well
    below its prior of 5.6 sessions, and liposuction's stays near the true 5.0); one service,
    so staffing.csv keeps today's columns and forecast.csv has no sessions:mld."""
    drivers = [*C.PROCEDURE_TYPES, "injury"]
    config = from_dict({**FAST, "n_paths": 100, "services": {"mld": {"drivers": drivers}}})
    result = run_week(_inputs(network), config)
    today = run_week(_inputs(network), from_dict({**FAST, "n_paths": 100}))
    assert list(result.staffing.columns) == list(today.staffing.columns)
    series = set(result.forecast[C.SERIES])
    assert "referrals:injury" in series and "sessions:mld" not in series
    table = result.service_pathways.set_index([C.SERVICE, C.PROCEDURE])
    assert table.loc[("mld", "injury"), "configured_sessions"] == pytest.approx(5.6)
    assert table.loc[("mld", "injury"), "learned_sessions"] < 2.5
    assert table.loc[("mld", "liposuction"), "learned_sessions"] == pytest.approx(5.0, abs=0.7)


def test_staffing_xlsx_has_a_sheet_per_service(several):
    from openpyxl import Workbook

    from forecasting.report.xlsx import add_service_sheets

    config, result = several
    wb = Workbook()
    add_service_sheets(wb, result.staffing)
    names = [f"Service {n}" for n in config.service_settings]
    assert wb.sheetnames[1:] == names
    ws = wb["Service deep_tissue"]
    header = [c.value for c in ws[1]]
    assert header[:3] == [C.CLINIC, C.WEEK, "sessions_p50"] and "hours_available" in header
    first = result.staffing.sort_values([C.CLINIC, C.WEEK]).iloc[0]
    row = {h: c.value for h, c in zip(header, ws[2], strict=True)}
    assert row["expected_unmet_sessions"] == round(first["expected_unmet_sessions:deep_tissue"], 3)
    empty = Workbook()
    add_service_sheets(empty, result.staffing[[C.CLINIC, C.WEEK, "sessions_p50"]])
    assert empty.sheetnames == ["Sheet"]  # one service: no sheet


def test_a_clinic_the_service_history_does_not_know_takes_its_driver_paths():
    """A clinic opened by a what-if scenario has driver paths but no history of the service:
    its demand is the pathway convolution of those paths (no committed, no base level)."""
    config = from_dict({**FAST, "services": SERVICES, "horizon_weeks": 4})
    referrals = pd.DataFrame({C.CLINIC: "a", C.REFERRAL_TYPE: "injury",
                              C.WEEK: [CUTOFF - WEEK], C.REFERRALS: [1]})  # fmt: skip
    model = _model(config, referrals, "injury_massage")
    driver = np.zeros((20_000, 4))
    driver[:, 0] = 2.0
    demand = service_demand(
        model, "new", {"injury": driver}, n_paths=20_000, horizon=4, config=config,
        rng=np.random.default_rng(0),
    )  # fmt: skip
    weights = np.asarray(model.learned.clinic_weights("new")["injury"][:4])
    np.testing.assert_allclose(demand.committed, 0.0)
    np.testing.assert_allclose(demand.paths.mean(axis=0), 2.0 * weights, atol=0.06)
    none = service_demand(model, "new", {}, n_paths=10, horizon=4, config=config,
                          rng=np.random.default_rng(0))  # fmt: skip
    assert not none.paths.any() and "no demand forecast" in str(none.note)


def test_load_inputs_reads_the_services_files_when_present(tmp_path, network):
    """load_inputs: without the two files MLD alone (None, no referrals); with them, sessions
    per service and referrals cut at the cut-off, booked referrals on the books."""
    from forecasting.layout import DataLayout
    from forecasting.week import load_inputs

    layout = DataLayout(processed=tmp_path)
    for name in ("procedures", "sessions", "roster"):
        network[name].to_parquet(getattr(layout, name))
    alone = load_inputs(layout, CUTOFF.date())
    assert alone.service_sessions is None and alone.referrals.empty
    referrals = network["referrals"].assign(**{C.SCHEDULED: 0})
    booked = pd.DataFrame(
        {
            C.CLINIC: ["a"],
            C.REFERRAL_TYPE: ["injury"],
            C.WEEK: [CUTOFF + 2 * WEEK],
            C.REFERRALS: [0],
            C.SCHEDULED: [4],
        }
    )
    export = pd.concat([referrals.loc[referrals[C.WEEK] < CUTOFF], booked], ignore_index=True)
    export.to_parquet(layout.referrals)
    network["service_sessions"].to_parquet(layout.service_sessions)
    inputs = load_inputs(layout, CUTOFF.date())
    assert pd.to_datetime(inputs.service_sessions[C.WEEK]).max() < CUTOFF
    assert set(inputs.service_sessions[C.SERVICE]) == {"mld", "deep_tissue", "injury_massage"}
    assert len(inputs.referrals) == (referrals[C.WEEK] < CUTOFF).sum()
    assert inputs.scheduled_referrals[C.SCHEDULED].tolist() == [4]


def test_booked_referrals_raise_that_week_of_the_referral_forecast(network):
    config = from_dict({**FAST, "services": SERVICES, "n_paths": 200})
    history = network["referrals"].loc[network["referrals"][C.WEEK] < CUTOFF]
    booked = pd.DataFrame(
        {
            C.CLINIC: ["a"],
            C.REFERRAL_TYPE: ["injury"],
            C.WEEK: [CUTOFF + 2 * WEEK],
            C.REFERRALS: [0],
            C.SCHEDULED: [40],
        }
    )

    def injury_week_2(referrals: pd.DataFrame) -> float:
        inputs = cut_inputs(network["procedures"], network["sessions"], network["roster"],
                            CUTOFF.date(), service_sessions=network["service_sessions"],
                            referrals=referrals)  # fmt: skip
        f = run_week(inputs, config).forecast
        rows = f[(f[C.CLINIC] == "a") & (f[C.SERIES] == "referrals:injury")]
        return float(rows.set_index(C.WEEK).loc[CUTOFF + 2 * WEEK, C.MEAN])

    without = injury_week_2(history.assign(**{C.SCHEDULED: 0}))
    with_booked = injury_week_2(pd.concat([history.assign(**{C.SCHEDULED: 0}), booked]))
    # 40 on the books: more than the forecast, so the booked share of that week is 1 and the
    # week is what is booked (as for scheduled procedures without booked_on)
    assert without < 20 and with_booked == pytest.approx(40.0)
