"""The demo's three services (MLD, deep tissue after immobilisation, post-injury massage) and the
MLD-only demo, byte for byte as before services existed (digests made from main's code)."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from forecasting.config import IngestConfig, load_config
from forecasting.demo import DEMO_SERVICES, DemoResult, generate_demo
from forecasting.demo.services import REFERRAL_SERVICES
from forecasting.ingest import configured_services, ingest, write_processed

ROOT = Path(__file__).resolve().parents[1]
END = date(2025, 3, 17)  # a Monday
GOLDEN = json.loads((ROOT / "tests" / "golden" / "mld_only_digests.json").read_text())
MAIN_END = date(2026, 11, 30)  # the golden digests' demo end


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    return generate_demo(tmp_path_factory.mktemp("raw"), clinics=6, years=2, seed=3, end=END)


@pytest.fixture(scope="module")
def mld_only(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    out = tmp_path_factory.mktemp("mld")
    return generate_demo(out, clinics=6, years=2, seed=3, end=END, services=("mld",))


@pytest.fixture(scope="module")
def ingested(three: DemoResult):
    config = load_config(ROOT / "lymphcast.toml")
    raw = three.files[0].parent
    return ingest(raw, config.ingest, END, services=configured_services(config))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_three_services_by_default(three: DemoResult) -> None:
    assert three.services == DEMO_SERVICES == ("mld", "deep_tissue", "post_injury")
    names = {f.name for f in three.files}
    for clinic in ("bayview", "harbor", "northgate", "riverside", "summit", "westend"):
        assert {f"referrals_{clinic}.csv", f"sessions_{clinic}.csv"} <= names
    truth = three.truth
    for column in (
        "expected_sessions_deep_tissue", "expected_sessions_post_injury",
        "expected_referrals_fracture_immobilisation", "expected_referrals_injury",
    ):  # fmt: skip
        assert column in truth and (truth[column] >= 0).all() and truth[column].sum() > 0
    pd.testing.assert_series_equal(three.expected_sessions("mld"), truth["expected_sessions"])


def test_every_export_is_read_without_a_rejected_row(ingested) -> None:
    records = ingested.manifest.records()
    assert all(r["status"] == "ok" and r["rows_quarantined"] == 0 for r in records)
    referrals = [r for r in records if r["kind"] == "referrals"]
    assert len(referrals) == 6 and all(r["identifier_columns_dropped"] == 2 for r in referrals)
    sessions = [r for r in records if r["kind"] == "sessions"]
    assert all(set(r["services_not_configured"]) == {"wellness"} for r in sessions)
    served = ingested.service_sessions_weekly.groupby("service")["sessions"].sum()
    assert list(served.index) == ["deep_tissue", "mld", "post_injury"]
    assert served["mld"] > 3 * served["deep_tissue"] > 3 * served["post_injury"] / 2
    mld = ingested.service_sessions_weekly.query("service == 'mld'").drop(columns="service")
    pd.testing.assert_frame_equal(mld.reset_index(drop=True), ingested.sessions_weekly)
    referrals_weekly = ingested.referrals_weekly.groupby("referral_type").sum(numeric_only=True)
    assert list(referrals_weekly.index) == ["fracture_immobilisation", "injury"]
    # casts come off up to 8 weeks after the referral: some removals were still ahead
    assert referrals_weekly.loc["fracture_immobilisation", "scheduled"] > 10


def test_mixed_skills_and_working_days(three: DemoResult, ingested) -> None:
    raw = pd.read_csv(three.files[0].parent / "roster.csv", dtype=str, keep_default_na=False)
    assert {"MLD", "Deep tissue; Post-injury", "MLD; Deep tissue; Post-injury"} == set(
        raw["skills"]
    )
    roster = ingested.roster
    assert set(roster["skills"]) == {
        "mld",
        "deep_tissue;post_injury",
        "mld;deep_tissue;post_injury",
    }
    assert roster.groupby("clinic_id")["skills"].nunique().min() == 3  # every clinic mixes
    days = roster.loc[roster["days"] != "", "days"]
    assert 3 <= len(days) < len(roster) / 2
    assert all(set(d.split(";")) <= {"mon", "tue", "wed", "thu", "fri"} for d in days)


def test_sessions_agree_with_the_truth_per_service(three: DemoResult, ingested) -> None:
    weekly = ingested.service_sessions_weekly
    history = three.truth[three.truth["week"] < pd.Timestamp(END)]
    for service in DEMO_SERVICES:
        observed = weekly.loc[weekly["service"] == service, "sessions"].sum()
        column = "expected_sessions" if service == "mld" else f"expected_sessions_{service}"
        assert observed == pytest.approx(history[column].sum(), rel=0.05), service


def test_referrals_agree_with_the_truth_and_drive_the_courses(three: DemoResult, ingested):
    # driver weeks whose every referral was made before the end (casts: up to 8 weeks)
    first, last = three.truth["week"].min() + pd.Timedelta(weeks=10), pd.Timestamp(END)
    last -= pd.Timedelta(weeks=9)
    weekly = ingested.referrals_weekly
    weeks = weekly["week"].between(first, last)
    truth = three.truth[three.truth["week"].between(first, last)]
    for s in REFERRAL_SERVICES:
        observed = weekly.loc[weeks & (weekly["referral_type"] == s.driver), "referrals"].sum()
        assert observed == pytest.approx(truth[f"expected_referrals_{s.driver}"].sum(), rel=0.08)
    # a patient's first deep-tissue session comes in the week of the cast removal or the next
    raw = three.files[0].parent
    referrals = pd.read_csv(raw / "referrals_bayview.csv", dtype=str, keep_default_na=False)
    sessions = pd.read_csv(raw / "sessions_bayview.csv", dtype=str)
    removal = referrals.loc[referrals["immobilisation_end"] != ""]
    removal = removal.set_index("patient_id")["immobilisation_end"].map(pd.Timestamp)
    firsts = sessions[sessions["patient_id"].isin(removal.index)].groupby("patient_id")["date"]
    waited = (firsts.min().map(pd.Timestamp) - removal.reindex(firsts.min().index)).dt.days
    assert (waited >= 0).all() and waited.median() <= 14 and waited.quantile(0.9) <= 21


def test_procedures_and_mld_sessions_are_the_mld_only_demos(three, mld_only) -> None:
    a, b = three.files[0].parent, mld_only.files[0].parent
    for path in b.glob("procedures_*"):
        assert _sha(path) == _sha(a / path.name), path.name
    mld = {"MLD", "Lymphatic Drainage Massage"}
    for path in b.glob("sessions_*.csv"):
        alone, every = pd.read_csv(path), pd.read_csv(a / path.name)
        pd.testing.assert_frame_equal(
            alone[alone["service"].isin(mld)].reset_index(drop=True),
            every[every["service"].isin(mld)].reset_index(drop=True),
        )
        other = set(every["service"]) - mld - set(alone["service"])
        assert other <= {n for s in REFERRAL_SERVICES for n in s.session_names} | {
            "Hot Stone Massage"
        }
    assert not list(b.glob("referrals_*")) and "skills" not in pd.read_csv(b / "roster.csv")
    pd.testing.assert_frame_equal(
        mld_only.truth, three.truth[list(mld_only.truth.columns)], check_exact=True
    )


def test_the_demo_services_take_the_shipped_session_lengths() -> None:
    services = load_config(ROOT / "lymphcast.toml").service_settings
    for s in REFERRAL_SERVICES:
        assert services[s.name].hours_per_session == pytest.approx(s.hours_per_session)
        assert services[s.name].drivers == [s.driver]


@pytest.mark.parametrize("key", sorted(GOLDEN["demo"]))
def test_mld_only_demo_and_its_ingest_are_mains_bytes(key: str, tmp_path: Path) -> None:
    args = {k: int(v) for k, v in (part.split("=") for part in key.split())}
    raw = tmp_path / "raw"
    generate_demo(raw, **args, end=MAIN_END, services=("mld",))
    got = {f"raw/{p.name}": _sha(p) for p in sorted(raw.iterdir())}
    result = ingest(raw, IngestConfig(workers=1), MAIN_END + timedelta(days=1))
    write_processed(result, tmp_path / "p")
    parquet = sorted((tmp_path / "p").glob("*.parquet"))
    got |= {f"processed/{p.name}": _sha(p) for p in parquet}
    assert {k: got.get(k) for k in GOLDEN["demo"][key]} == GOLDEN["demo"][key]
    new = set(got) - set(GOLDEN["demo"][key])
    assert new == {
        "processed/referrals_weekly.parquet",
        "processed/service_sessions_weekly.parquet",
    }


def _without_services(toml: str) -> str:
    """The shipped lymphcast.toml less its [services.*] tables: the configuration of before."""
    out, skipping = [], False
    for line in toml.splitlines(keepends=True):
        if line.startswith("["):
            skipping = line.startswith("[services.")
        if not skipping:
            out.append(line)
    return "".join(out)


@pytest.mark.slow
def test_mld_only_weekly_outputs_are_mains(tmp_path: Path) -> None:
    """forecast.csv, staffing.csv and every processed parquet main wrote, the same bytes
    (with the session-interval calibration of then: one network factor, no level offset, and
    the procedure model of then: no clinic share, the ramp unshrunk, young under 104 weeks;
    per clinic class it changes the intervals on purpose, docs/benchmark-suite.md)."""
    config = tmp_path / "before.toml"
    text = _without_services((ROOT / "lymphcast.toml").read_text())
    text = re.sub(r'(?m)^classes = "\w+"', 'classes = "none"', text)
    text = re.sub(r"(?m)^level_offset = -?[0-9.]+", "level_offset = 0.0", text)
    # and the procedure model of then (the clinic share and the shrunk ramp change it on purpose)
    for key, then in (
        ("share_weeks", "0"), ("ramp_prior_clinics", "0.0"),
        ("young_weeks", "104"), ("mature_level_weeks", "16"),
    ):  # fmt: skip
        text = re.sub(rf"(?m)^{key} = [0-9.]+", f"{key} = {then}", text)
    config.write_text(text)
    assert load_config(config).services == {}
    ((key, want),) = GOLDEN["weekly"].items()
    args = [f"--{part.replace('=', ' ')}" for part in key.split()]
    command = [sys.executable, str(ROOT / "scripts" / "output_digests.py")]
    command += [w for a in args for w in a.split()] + ["--services", "mld", "--config", str(config)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    got = json.loads(done.stdout)
    assert {k: got.get(k) for k in want} == want


def test_the_demo_availability_keeps_to_the_roster(three: DemoResult, ingested) -> None:
    """Part-timers get an availability row on their roster days; every row is accepted."""
    file = next(f for f in ingested.files if f.name == "availability.csv")
    assert file.kind == "availability" and file.rows_quarantined == 0 and file.rows_accepted > 0
    raw = three.files[0].parent
    roster = pd.read_csv(raw / "roster.csv", keep_default_na=False)
    availability = pd.read_csv(raw / "availability.csv", keep_default_na=False)
    days = roster.set_index("therapist_id")["days"]
    for row in availability.itertuples():
        if days[row.therapist_id]:
            assert row.weekday == days[row.therapist_id]
    assert set(availability["therapist_id"]) <= set(roster["therapist_id"])
