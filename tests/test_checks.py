"""Argument checks before any work: a bad --out refused at once; the lock wait names its holder."""

from __future__ import annotations

import fcntl
import logging
import os

import pytest
from typer.testing import CliRunner

from flows.weekly import _run_lock
from forecasting.errors import ConfigError, LymphcastError
from forecasting.layout import DataLayout
from lymphcast.checks import check_output_dir
from lymphcast.cli import app


def test_out_holding_a_file_is_refused(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(ConfigError, match="is a file, not a folder"):
        check_output_dir(tmp_path / "f")
    with pytest.raises(ConfigError, match="would be inside"):
        check_output_dir(tmp_path / "f" / "sub")
    check_output_dir(tmp_path / "new" / "deeper")  # missing folders are fine


def test_backtest_refuses_out_before_reading_data(tmp_path):
    (tmp_path / "out").write_text("x")
    result = CliRunner().invoke(
        app, ["backtest", "--out", str(tmp_path / "out"), "--processed", str(tmp_path / "none")]
    )
    assert result.exit_code == 2
    assert "is a file, not a folder" in result.output
    assert "Traceback" not in result.output


def test_staffing_backtest_refuses_out_first(tmp_path):
    (tmp_path / "out").write_text("x")
    result = CliRunner().invoke(
        app,
        ["backtest", "--staffing", "--out", str(tmp_path / "out"),
         "--processed", str(tmp_path / "none")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "is a file, not a folder" in result.output


def test_waiting_run_names_the_lock_and_its_pid(tmp_path, caplog):
    path = DataLayout(reports=tmp_path).lock
    with path.open("a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("4242\n")
        held.flush()
        with caplog.at_level(logging.INFO), pytest.raises(LymphcastError):
            with _run_lock(tmp_path, timeout=0.2):
                pass
    assert f"the run holding {path} (pid 4242)" in caplog.text
    with _run_lock(tmp_path, timeout=0):
        assert path.read_text().strip() == str(os.getpid())
