"""Reliability pieces of the weekly flow: lock, tidy-up, retries, cache keys, prefect.yaml."""

from __future__ import annotations

import fcntl
import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from flows import caching
from flows.serve import read_deployments
from flows.weekly import _run_lock, _tidy, _transient
from forecasting.config import Config, from_dict
from forecasting.errors import ConfigError, LymphcastError
from forecasting.layout import DataLayout

ROOT = Path(__file__).resolve().parents[1]


def test_second_run_waits_then_fails_with_one_sentence(tmp_path):
    with DataLayout(reports=tmp_path).lock.open("a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(LymphcastError, match="Another weekly run is still writing"):
            with _run_lock(tmp_path, timeout=0.3):
                pass
    with _run_lock(tmp_path, timeout=0):  # released: the next run goes ahead
        pass


def test_tidy_restores_a_report_moved_aside_and_drops_leftovers(tmp_path):
    reports, processed = tmp_path / "reports", tmp_path / "processed"
    (reports / ".2025-W23.old").mkdir(parents=True)
    (reports / ".2025-W23.old" / "index.html").write_text("last good report")
    (reports / ".2025-W23.k3j2h1").mkdir()  # staging dir of a killed publish
    (reports / ".2025-W23.k3j2h1" / "forecast.csv").write_text("half")
    processed.mkdir()
    (processed / ".roster.parquet.abc.tmp").write_bytes(b"half")
    (processed / "models").mkdir()
    (processed / "models" / ".warm_start.json.x1.tmp").write_bytes(b"half")
    (processed / "models" / "warm_start.json").write_text("{}")  # kept
    (processed / ".backtest.q9").mkdir()  # staging dir of a killed backtest publish
    (processed / "backtest").mkdir()
    (processed / "backtest" / ".leaderboard.csv.y2.tmp").write_bytes(b"half")
    (processed / ".quarantine.z7").mkdir()
    (reports / "2025-W22").mkdir()
    _tidy(DataLayout(processed=processed, reports=reports), "2025-W23")
    assert (reports / "2025-W23" / "index.html").read_text() == "last good report"
    assert sorted(p.name for p in reports.iterdir()) == ["2025-W22", "2025-W23"]
    left = sorted(str(p.relative_to(processed)) for p in processed.rglob("*"))
    assert left == ["backtest", "models", "models/warm_start.json"]


def test_retries_only_for_io_errors():
    from prefect.states import Failed

    assert _transient(None, None, Failed(data=OSError("NFS hiccup")))
    assert not _transient(None, None, Failed(data=LymphcastError("bad export")))
    assert not _transient(None, None, Failed(data=ValueError("bug")))


def test_cache_keys_follow_inputs_config_and_not_orchestration(tmp_path):
    frame = pd.DataFrame({"ds": pd.date_range("2025-01-06", periods=4, freq="W-MON"),
                          "y": [1.0, 2.0, 3.0, 4.0]})  # fmt: skip
    changed = frame.assign(y=[1.0, 2.0, 3.0, 5.0])
    assert caching.frame_digest(frame) == caching.frame_digest(frame.copy())
    assert caching.frame_digest(frame) != caching.frame_digest(changed)
    text = frame.assign(clinic=["a", "b", "c", "d"])  # text columns hash by value too
    assert caching.frame_digest(text) != caching.frame_digest(text.assign(clinic=list("abcx")))
    assert caching.frame_digest(text) != caching.frame_digest(frame)
    assert caching.frame_digest(frame) != caching.frame_digest(frame.iloc[::-1])  # row order
    base = Config()
    runner = base.model_copy(
        update={"orchestration": base.orchestration.model_copy(update={"task_runner": "dask"})}
    )
    assert caching.config_digest(base) == caching.config_digest(runner)
    assert caching.config_digest(base) != caching.config_digest(from_dict({"n_paths": 300}))
    # worker counts change the speed, never a number: they must not refit everything
    faster = from_dict({"ingest": {"workers": 7}, "report": {"chart_workers": 5}})
    assert caching.config_digest(base) == caching.config_digest(faster)
    assert caching.config_digest(base) != caching.config_digest(
        from_dict({"report": {"accuracy_weeks": 3}})
    )
    assert len(caching.code_version()) == 64


def test_stamp_detects_a_changed_or_missing_output(tmp_path):
    out = tmp_path / "a.csv"
    out.write_text("x\n1\n")
    stamp = tmp_path / ".stamp.json"
    caching.write_stamp(stamp, "k1", [out])
    assert caching.stamp_matches(stamp, "k1", [out])
    assert not caching.stamp_matches(stamp, "k2", [out])
    out.write_text("x\n2\n")
    assert not caching.stamp_matches(stamp, "k1", [out])
    out.unlink()
    assert not caching.stamp_matches(stamp, "k1", [out])


def test_prefect_yaml_is_valid_and_in_step_with_the_config():
    specs = {s.name: s for s in read_deployments(ROOT / "prefect.yaml")}
    assert set(specs) == {"weekly-staffing", "monthly-backtest"}
    weekly = specs["weekly-staffing"]
    assert weekly.schedules[0].cron == "0 6 * * 1"
    assert weekly.schedules[0].timezone == Config().timezone
    assert weekly.concurrency_limit.limit == 1


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        ("      reports: reports\n", "      reports: reports\n      as_of: someday\n", "as_of"),
        ("      folds: 8\n", "      folds: eight\n", "folds"),
        ("      reports: reports\n", "      reports: reports\n      colour: red\n", "colour"),
        ("        timezone: America/New_York\n", "        timezone: Mars/Olympus\n", "Mars"),
    ],
)
def test_malformed_prefect_yaml_is_refused_naming_it(tmp_path, old, new, named):
    text = (ROOT / "prefect.yaml").read_text()
    assert old in text
    bad = tmp_path / "prefect.yaml"
    bad.write_text(text.replace(old, new, 1))
    with pytest.raises(ConfigError, match=named):
        read_deployments(bad)


def test_cli_serve_and_weekly_refuse_unreachable_services(tmp_path, monkeypatch):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from lymphcast.cli import app

    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    bad = tmp_path / "prefect.yaml"
    bad.write_text((ROOT / "prefect.yaml").read_text().replace("folds: 8", "folds: -1"))
    result = CliRunner().invoke(app, ["serve", "--check", "--prefect-yaml", str(bad)])
    assert result.exit_code == 2 and "parameter 'folds' is invalid" in result.output
    assert "Traceback" not in result.output
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "procedures.csv").write_text("date,clinic_id,procedure\n2025-01-06,a,liposuction\n")
    # settings, not only the environment: the session's Prefect test harness may be active
    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        result = CliRunner().invoke(app, ["serve", "--check"])
        assert result.exit_code == 1
        assert "Prefect API at http://127.0.0.1:9/api is unreachable" in result.output
        result = CliRunner().invoke(app, ["weekly", "--raw", str(raw), "--reports", str(tmp_path)])
        assert result.exit_code == 1 and "unreachable" in result.output
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        result = CliRunner().invoke(app, ["serve", "--check"])
        assert result.exit_code == 1 and "PREFECT_API_URL is not set" in result.output
        result = CliRunner().invoke(
            app, ["weekly", "--raw", str(raw), "--dask-address", "tcp://127.0.0.1:9"]
        )
        assert result.exit_code == 1
        assert "Dask scheduler at tcp://127.0.0.1:9 is unreachable" in result.output


@pytest.mark.slow
def test_unchanged_rerun_is_cached_and_a_deleted_report_is_rebuilt(
    demo_exports, tmp_path, prefect_harness
):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from flows.weekly import weekly_staffing

    demo_exports(tmp_path / "raw", clinics=2, years=2, seed=4, end=date(2025, 7, 1))
    (tmp_path / "lymphcast.toml").write_text("n_paths = 100\nhorizon_weeks = 4\n")
    kwargs = {
        "as_of": date(2025, 6, 2), "config_path": str(tmp_path / "lymphcast.toml"),
        "raw": str(tmp_path / "raw"), "processed": str(tmp_path / "processed"),
        "reports": str(tmp_path / "reports"),
    }  # fmt: skip

    def states(state) -> dict[str, str]:
        run_id = state.state_details.flow_run_id
        with get_client(sync_client=True) as client:
            child = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(parent_flow_run_id={"any_": [run_id]})
            )
            tasks = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[c.id for c in child]))
            )

        def name(t) -> str:  # "ingest-3f2" -> "ingest"; forecast runs are named per clinic
            return t.name if t.name.startswith("forecast-") else t.name.rsplit("-", 1)[0]

        return {name(t): t.state.name for t in tasks}

    first = weekly_staffing(**kwargs, return_state=True)
    report = tmp_path / "reports" / "2025-W23"
    before = (report / "forecast.csv").read_bytes()
    second = weekly_staffing(**kwargs, return_state=True)
    cached = states(second)
    forecasts = [v for k, v in cached.items() if k.startswith("forecast-")]
    assert len(forecasts) == 2 and set(forecasts) == {"Cached"}
    assert cached["ingest"] == cached["demand-and-staffing"] == cached["publish-report"] == "Cached"
    assert cached["calibrate-intervals"] == "Cached"  # the in-run origins are not refitted
    assert "Cached" not in states(first).values()

    (report / "forecast.csv").unlink()  # an output deleted by hand is rebuilt, not trusted
    weekly_staffing(**kwargs)
    assert (report / "forecast.csv").read_bytes() == before
    manifest = json.loads((report / "run_manifest.json").read_text())
    assert manifest["as_of"] == "2025-06-02"
