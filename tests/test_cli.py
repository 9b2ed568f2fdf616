"""Command line: help, exit codes and one-sentence errors (no Prefect start needed)."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from lymphcast.cli import app

runner = CliRunner()


def test_help_lists_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("demo", "ingest", "weekly"):
        assert command in result.output


def test_weekly_missing_raw_dir_exits_2(tmp_path):
    result = runner.invoke(app, ["weekly", "--raw", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "does not exist" in result.output and "Traceback" not in result.output


def test_weekly_empty_raw_dir_exits_2(tmp_path):
    result = runner.invoke(app, ["weekly", "--raw", str(tmp_path)])
    assert result.exit_code == 2
    assert "lymphcast demo" in result.output


def test_weekly_bad_config_value_exits_2_and_names_key(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("[staffing]\nservice_level = 1.7\n")
    result = runner.invoke(app, ["weekly", "--config", str(config), "--raw", str(tmp_path)])
    assert result.exit_code == 2
    assert "staffing.service_level" in result.output


def test_weekly_bad_date_exits_2(tmp_path):
    result = runner.invoke(app, ["weekly", "--as-of", "02/06/2025"])
    assert result.exit_code == 2


def test_demo_then_ingest(tmp_path):
    raw, processed = tmp_path / "raw", tmp_path / "processed"
    result = runner.invoke(app, ["demo", "--out", str(raw), "--clinics", "2", "--years", "1"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["ingest", "--raw", str(raw), "--processed", str(processed)])
    assert result.exit_code == 0, result.output
    assert "procedures" in result.output and (processed / "ingest_manifest.json").is_file()
    assert "referrals" in result.output  # the demo's three services, and the shipped config's:
    served = pd.read_parquet(processed / "service_sessions_weekly.parquet")["service"]
    assert set(served) == {"mld", "deep_tissue", "post_injury"}


def test_demo_bad_argument_exits_2(tmp_path):
    result = runner.invoke(app, ["demo", "--out", str(tmp_path), "--clinics", "0"])
    assert result.exit_code == 2
    assert "--clinics" in result.output
    result = runner.invoke(app, ["demo", "--out", str(tmp_path), "--services", "mld,reiki"])
    assert result.exit_code == 2 and "unknown service 'reiki'" in result.output
    assert not any(tmp_path.iterdir())


def test_ingest_nothing_usable_exits_1(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "procedures_x.csv").write_bytes(b"\x00\x01garbage")
    result = runner.invoke(app, ["ingest", "--raw", str(raw), "--processed", str(tmp_path / "p")])
    assert result.exit_code == 1
    assert "procedures_x.csv" in result.output
    assert not (tmp_path / "p").exists()


def test_expected_failures_are_kept_off_prefects_console():
    import logging
    import sys

    from forecasting.errors import InputError
    from lymphcast.cli import _ExpectedFailureFilter

    def record(exc: Exception, msg: str) -> logging.LogRecord:
        try:
            raise exc
        except Exception:
            info = sys.exc_info()
        return logging.LogRecord("prefect.task_runs", logging.ERROR, "", 0, msg, (), info)

    keep = _ExpectedFailureFilter().filter
    assert not keep(record(InputError("roster lacks clinic"), "Task run failed"))
    assert not keep(record(ValueError("x"), "Finished in state Failed('InputError: bad')"))
    assert keep(record(ValueError("a real bug"), "Task run failed with exception"))


@pytest.mark.slow
def test_backtest_staffing_replays_and_writes_summary(tmp_path):
    import pandas as pd

    raw, processed, out = tmp_path / "raw", tmp_path / "processed", tmp_path / "out"
    assert (
        runner.invoke(app, ["demo", "--out", str(raw), "--clinics", "2", "--years", "3"]).exit_code
        == 0
    )
    assert (
        runner.invoke(app, ["ingest", "--raw", str(raw), "--processed", str(processed)]).exit_code
        == 0
    )
    config = tmp_path / "c.toml"
    config.write_text("n_paths = 100\nhorizon_weeks = 6\n")
    result = runner.invoke(
        app,
        ["backtest", "--staffing", "--folds", "2", "--processed", str(processed),
         "--config", str(config), "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = pd.read_csv(out / "staffing_summary.csv")
    assert set(summary["method"]) >= {"lymphcast", "moving_average_4w", "prophet_sessions"}
    assert (summary["shortage_hours"] >= 0).all() and (summary["idle_hours"] >= 0).all()
