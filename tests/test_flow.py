"""The weekly flow end to end on small demo data, under Prefect's test harness."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from forecasting.columns import FORECAST_COLUMNS, STAFFING_COLUMNS
from forecasting.report.clinic_ids import clinic_page_path

AS_OF = date(2025, 6, 2)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(demo_exports, tmp_path_factory, prefect_harness):
    from flows.weekly import weekly_staffing

    root = tmp_path_factory.mktemp("weekly")
    raw = root / "raw"
    demo = demo_exports(raw, clinics=3, years=3, seed=1, end=date(2025, 7, 1))
    config = root / "lymphcast.toml"
    config.write_text(
        "n_paths = 200\nhorizon_weeks = 8\n"
        "[scenarios.more-lipo]\n"
        'scale = [{ procedure = "liposuction", factor = 1.5, from = 2 }]\n'
    )
    before = {p.name: p.read_bytes() for p in raw.iterdir()}
    report = weekly_staffing(
        as_of=AS_OF,
        config_path=str(config),
        raw=str(raw),
        processed=str(root / "processed"),
        reports=str(root / "reports"),
    )
    return {"root": root, "report": report, "raw_before": before, "demo": demo, "raw": raw}


def test_report_for_the_iso_week_of_as_of(run):
    out = run["root"] / "reports" / "2025-W23"
    assert run["report"].endswith("2025-W23/index.html")
    assert {p.name for p in out.iterdir()} >= {
        "forecast.csv", "index.html", "run_manifest.json", "staffing.csv"
    }  # fmt: skip


def test_outputs_follow_design_columns(run):
    out = run["root"] / "reports" / "2025-W23"
    forecast = pd.read_csv(out / "forecast.csv")
    staffing = pd.read_csv(out / "staffing.csv")
    assert list(forecast.columns) == FORECAST_COLUMNS
    assert list(staffing.columns[: len(STAFFING_COLUMNS)]) == STAFFING_COLUMNS
    assert {"expected_unmet_sessions_recommended", "expected_idle_hours_recommended"} <= set(
        staffing.columns
    )
    clinics = sorted(forecast["clinic_id"].unique())
    assert len(clinics) == 3
    assert set(forecast["series"]) >= {"sessions", "procedures:liposuction", "procedures:bbl"}
    assert forecast["week"].min() == "2025-06-02" and forecast["week"].nunique() == 8
    assert (forecast["p10"] <= forecast["p50"]).all() and (forecast["p50"] <= forecast["p90"]).all()
    assert (staffing["sessions_target"] >= staffing["sessions_p50"]).all()
    html = (out / "index.html").read_text()
    for clinic in clinics:
        assert clinic in html
        page = (out / clinic_page_path(clinic)).read_text()  # the index links it
        assert f'href="{clinic_page_path(clinic)}"' in html
        assert page.count("data:image/png;base64,") >= 3
    assert "data:image/png;base64," not in html  # charts live on the clinic pages


def test_plans_what_if_shifts_and_their_sheets(run):
    """The scenario's What if section, each clinic's shifts, shifts.csv and the xlsx sheets."""
    from openpyxl import load_workbook

    out = run["root"] / "reports" / "2025-W23"
    html = (out / "index.html").read_text()
    assert 'id="what-if"' in html and "more-lipo" in html
    assert "liposuction x1.50 at network from forecast week 2" in html
    assert "The network would need" in html
    shifts = pd.read_csv(out / "shifts.csv")
    clinics = set(pd.read_csv(out / "staffing.csv")["clinic_id"])
    assert list(shifts.columns) == ["clinic_id", "therapist_id", "date", "start", "end", "skill"]
    assert set(shifts["date"]) <= {f"2025-06-0{d}" for d in range(2, 7)}  # Mon-Fri of W23
    for clinic in sorted(shifts["clinic_id"].unique()):
        assert "Next week's shifts" in (out / clinic_page_path(clinic)).read_text()
    manifest = json.loads((out / "run_manifest.json").read_text())["plans"]
    assert manifest["scenarios"]["more-lipo"]["scale"][0]["from"] == 2
    network = [r for r in manifest["comparison"] if r["clinic_id"] == "(network)"][0]
    assert network["hours_needed"] >= network["hours_needed_base"]
    sheets = load_workbook(out / "staffing.xlsx", read_only=True).sheetnames
    assert sheets == ["Summary", "Staffing", "What if more-lipo", "Shifts"]
    # the demo's clinics export puts clinics in regions: a page each, and regions.csv
    assert 'id="regions"' in html and (out / "regions").is_dir()
    regions = pd.read_csv(out / "regions.csv")
    assert "network" in set(regions["area"]) and len(set(regions["area"])) >= 2
    listing = pd.read_parquet(run["root"] / "processed" / "clinics.parquet")
    for clinic, name in zip(listing["clinic_id"], listing["display_name"], strict=True):
        if clinic in clinics and name and name != clinic:  # its display name beside its id
            assert f"{name} ({clinic})" in html
    for page in (out / "regions").iterdir():  # its clinics' summed paths: a fan, the hours
        text = page.read_text()
        assert "summed sample paths" in text and text.count("data:image/png;base64,") == 2
    from pypdf import PdfReader

    pdf = "\n".join(page.extract_text() for page in PdfReader(out / "report.pdf").pages)
    assert "What if" in pdf and "more-lipo" in pdf and "Next week's shifts" in pdf


def test_manifest_and_archive(run):
    out = run["root"] / "reports" / "2025-W23"
    manifest = json.loads((out / "run_manifest.json").read_text())
    assert manifest["as_of"] == "2025-06-02" and manifest["seed"] == 0
    assert all(len(f["sha256"]) == 64 for f in manifest["inputs"])
    used = {m["model"] for m in manifest["models"]}  # the default, mixed, says its branch
    assert used <= {"mixed(pooled)", "mixed(pooled-20w)", "seasonal_naive", "zeros"}
    assert (run["root"] / "processed" / "forecasts" / "2025-06-02.parquet").is_file()


def test_raw_untouched_and_no_identifiers_in_outputs(run):
    raw = run["raw"]
    assert {p.name: p.read_bytes() for p in raw.iterdir()} == run["raw_before"]
    blob = b"".join(
        p.read_bytes()
        for d in ("processed", "reports")
        for p in (run["root"] / d).rglob("*")
        if p.is_file()
    )
    ids = pd.read_csv(next(raw.glob("procedures_*.csv")), sep=None, engine="python", dtype=str)
    id_cols = [c for c in ids.columns if "patient" in c.lower() or c.lower() in ("mrn", "dob")]
    assert id_cols, "demo exports carry identifier columns"
    for value in ids[id_cols[0]].dropna().unique()[:50]:
        assert value.encode() not in blob


def test_same_seed_same_outputs(run, prefect_harness, tmp_path):
    from flows.weekly import weekly_staffing

    weekly_staffing(
        as_of=AS_OF,
        config_path=str(run["root"] / "lymphcast.toml"),
        raw=str(run["raw"]),
        processed=str(tmp_path / "processed"),
        reports=str(tmp_path / "reports"),
    )
    for name in ("forecast.csv", "staffing.csv"):
        first = (run["root"] / "reports" / "2025-W23" / name).read_bytes()
        assert (tmp_path / "reports" / "2025-W23" / name).read_bytes() == first


def test_a_scenario_that_cannot_apply_stops_the_run_before_any_fit(run):
    """One sentence naming the key (the CLI exits 2 on it); the last good report stays."""
    from flows.weekly import weekly_staffing
    from forecasting.errors import ConfigError

    root = run["root"]
    config = root / "mars.toml"
    config.write_text(
        '[scenarios.mars]\nscale = [{ procedure = "bbl", factor = 1.5, from = 2, at = "mars" }]\n'
    )
    with pytest.raises(ConfigError) as err:
        weekly_staffing(
            as_of=AS_OF,
            config_path=str(config),
            raw=str(run["raw"]),
            processed=str(root / "processed"),
            reports=str(root / "reports"),
        )
    assert str(err.value) == (
        "[scenarios.mars] scale[0].at 'mars' is neither a clinic nor a region of this run; "
        'name one, or "network".'
    )
    assert (root / "reports" / "2025-W23" / "index.html").is_file()
