"""Every long command checks its paths and arguments before any work: one sentence, exit 2."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

import forecasting.backtest
import forecasting.demo
import forecasting.ingest
import forecasting.report.folders
import lymphcast.cli
from lymphcast.checks import check_input_dir, check_not_inside, check_output_dir
from lymphcast.cli import app

runner = CliRunner()


@pytest.fixture
def no_work(monkeypatch):
    """Every function that reads data, computes or starts Prefect fails the test if called."""

    def computed(*args, **kwargs):
        raise AssertionError("work started before the arguments were checked")

    for module, name in [
        (forecasting.ingest, "ingest"),
        (forecasting.ingest, "load_processed"),
        (forecasting.backtest, "run_backtest"),
        (forecasting.backtest, "load_series_csv"),
        (forecasting.backtest, "load_procedure_series"),
        (forecasting.demo, "generate_demo"),
        (forecasting.report.folders, "find_report"),
        (lymphcast.cli, "_preflight"),
        (lymphcast.cli, "_spawn_server"),
    ]:
        monkeypatch.setattr(module, name, computed)


@pytest.fixture
def paths(tmp_path: Path) -> dict[str, Path]:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "procedures_a.csv").write_text("not read\n")
    (tmp_path / "file").write_text("x")
    (tmp_path / "dangling").symlink_to(tmp_path / "gone")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("keep me")
    return {
        "raw": raw,
        "file": tmp_path / "file",
        "under_file": tmp_path / "file" / "sub",
        "dangling": tmp_path / "dangling",
        "missing": tmp_path / "missing",
        "busy": tmp_path / "busy",
        "dir": tmp_path,
    }


CASES = [
    # (command line with {placeholders}, words the sentence must hold)
    ("weekly --raw {file}", "is a file, not a folder"),
    ("weekly --raw {dangling}", "is a symbolic link to"),
    ("weekly --raw {under_file}", "would be inside"),
    ("weekly --raw {missing}", "does not exist"),
    ("weekly --raw {raw} --processed {file}", "--processed"),
    ("weekly --raw {raw} --processed {under_file}", "would be inside"),
    ("weekly --raw {raw} --reports {dangling}", "--reports"),
    ("weekly --raw {raw} --reports {raw}/reports", "inside --raw"),
    ("weekly --raw {raw} --config {dir}", "is a folder, not a file"),
    ("weekly --raw {raw} --config {missing}", "--config"),
    ("weekly --raw {raw} --scenario nosuch", "Scenario 'nosuch' is not in the configuration"),
    ("ingest --raw {file}", "is a file, not a folder"),
    ("ingest --raw {raw} --processed {file}", "--processed"),
    ("ingest --raw {raw} --processed {raw}", "inside --raw"),
    ("ingest --raw {raw} --config {dangling}", "is a symbolic link to"),
    ("backtest --out {busy}", "would be replaced whole"),
    ("backtest --out {file}", "is a file, not a folder"),
    ("backtest --out {dir}/new --series {missing}", "--series"),
    ("backtest --out {dir}/new --series {dir}", "is a folder, not a file"),
    ("backtest --out {dir}/new --processed {file}", "--processed"),
    ("backtest --out {dir}/new --processed {missing}", "lymphcast ingest"),
    ("backtest --out {dir}/new --models prophet,nonsense", "Unknown model 'nonsense'"),
    ("backtest --out {dir}/new --folds 0", "--folds must be at least 1"),
    ("backtest --out {dir}/new --paths 0", "--paths must be at least 1"),
    ("backtest --out {dir}/new --workers 0", "--workers must be at least 1"),
    ("backtest --out {dir}/new --config {dir}", "--config"),
    ("backtest --staffing --out {dir}/new --folds 0", "--folds must be at least 1"),
    ("backtest --staffing --out {dir}/new --processed {missing}", "lymphcast ingest"),
    ("backtest --staffing --out {under_file}", "would be inside"),
    ("demo --out {file}", "is a file, not a folder"),
    ("demo --out {under_file}", "would be inside"),
    ("demo --out {dangling}", "is a symbolic link to"),
    ("report --reports {missing}", "lymphcast weekly"),
    ("report --reports {file}", "is a file, not a folder"),
]


@pytest.mark.parametrize(("line", "words"), CASES, ids=[c[0] for c in CASES])
def test_bad_path_or_argument_is_one_sentence_before_any_work(line, words, paths, no_work):
    args = [part.format(**paths) for part in line.split()]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and words in errors[0], result.output
    assert errors[0].rstrip().endswith("."), errors[0]  # one whole sentence
    assert paths["busy"].joinpath("notes.txt").read_text() == "keep me"


def test_unwritable_output_folder_is_refused(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root may write anywhere")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        with pytest.raises(Exception, match="is not writable"):
            check_output_dir(locked / "reports", "--reports")
    finally:
        locked.chmod(0o755)


def test_unreadable_input_folder_is_refused(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root may read anywhere")
    locked = tmp_path / "raw"
    locked.mkdir()
    locked.chmod(0o000)
    try:
        with pytest.raises(Exception, match="cannot be read"):
            check_input_dir(locked, "--raw", "make it.")
    finally:
        locked.chmod(0o755)


def test_earlier_backtest_folder_may_be_replaced(tmp_path):
    (tmp_path / "backtest_manifest.json").write_text("{}")
    (tmp_path / "leaderboard.csv").write_text("model\n")
    check_output_dir(tmp_path, replaced_unless="backtest_manifest.json")
    check_output_dir(tmp_path / "empty", replaced_unless="backtest_manifest.json")


def test_output_outside_raw_is_accepted(tmp_path):
    check_not_inside(tmp_path / "processed", "--processed", tmp_path / "raw")
    check_not_inside(tmp_path / "raw-copy", "--processed", tmp_path / "raw")
