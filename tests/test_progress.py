"""Progress: the library's stages, the rich bar on a terminal, one plain line per stage in a log."""

from __future__ import annotations

import io
import logging
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from forecasting import progress as lib
from forecasting.backtest import run_backtest
from forecasting.config import Config
from forecasting.ingest import ingest
from forecasting.report import build_view, draw_charts
from forecasting.week import cut_inputs, run_week
from lymphcast.progress import PlainProgress, RichProgress, console_progress, stage_line
from tests.report_fixtures import report_data

ROOT = Path(__file__).resolve().parent.parent
END = date(2025, 6, 30)
CONFIG = Config.model_validate({"model": {"name": "seasonal_naive"}, "n_paths": 50})
ANSI = re.compile(r"\x1b|\r")


class Recorder:
    """A Progress that remembers what it heard: [stage, total, unit, done, detail]."""

    def __init__(self) -> None:
        self.stages: list[list] = []

    def on_start(self, stage: str, total: int, unit: str) -> None:
        self.stages.append([stage, total, unit, 0, None])

    def advance(self, n: int = 1) -> None:
        self.stages[-1][3] += n

    def on_end(self, detail: str = "") -> None:
        self.stages[-1][4] = detail


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_stage_ends_once_and_says_stopped_after_an_exception() -> None:
    rec = Recorder()
    with lib.stage("ingest", 3, "files", rec) as running:
        running.advance(2)
        running.note("10 rows read")
    with pytest.raises(ValueError), lib.stage("charts", 4, "clinics", rec) as running:
        running.advance()
        raise ValueError
    begun = lib.begin("forecasts", 5, "series", rec)
    begun.advance(5)
    begun.end()
    begun.end()
    begun.advance()  # after its end: not counted
    assert rec.stages == [
        ["ingest", 3, "files", 2, "10 rows read"],
        ["charts", 4, "clinics", 1, "stopped"],
        ["forecasts", 5, "series", 5, ""],
    ]


def test_reporting_sets_the_process_receiver_and_restores_it() -> None:
    rec = Recorder()
    assert lib.current() is lib.NO_PROGRESS
    with lib.reporting(rec):
        with lib.stage("x", 1, "items") as running:
            running.advance()
    assert lib.current() is lib.NO_PROGRESS and rec.stages == [["x", 1, "items", 1, ""]]


def test_ingest_reports_every_file_and_the_rows(demo_exports, tmp_path) -> None:
    demo_exports(tmp_path / "raw", clinics=2, years=1, seed=3, end=END)
    rec = Recorder()
    result = ingest(tmp_path / "raw", CONFIG.ingest, END, progress=rec)
    n = len(result.files)
    rows = sum(f.rows_read for f in result.files)
    assert rec.stages == [["ingest", n, "files", n, f"{rows:,} rows read"]]


def test_run_week_reports_every_series(demo_exports, tmp_path) -> None:
    from forecasting.ingest import load_processed, write_processed

    demo_exports(tmp_path / "raw", clinics=2, years=1, seed=3, end=END)
    write_processed(ingest(tmp_path / "raw", CONFIG.ingest, END), tmp_path / "p")
    inputs = cut_inputs(*load_processed(tmp_path / "p"), END)
    rec = Recorder()
    run_week(inputs, CONFIG, progress=rec)
    n = len(inputs.histories())
    assert n > 2 and rec.stages == [["forecasts", n, "series", n, ""]]


def _series(n_series: int, weeks: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    ds = pd.date_range("2022-01-03", periods=weeks, freq="W-MON")
    return pd.concat(
        pd.DataFrame({"unique_id": f"s{i}", "ds": ds, "y": rng.poisson(20, weeks).astype(float)})
        for i in range(n_series)
    )


@pytest.mark.parametrize("workers", [1, 2])
def test_backtest_reports_series_times_windows(workers: int) -> None:
    rec = Recorder()
    run_backtest(
        _series(3, 40), models=["seasonal_naive", "auto"], horizon=4, folds=2,
        selection_folds=1, n_paths=20, workers=workers, progress=rec,
    )  # fmt: skip
    assert rec.stages == [
        ["backtest", 3 * 3, "windows", 9, ""],  # 3 series x (2 scored + 1 selection) windows
        ["selection", 3, "series", 3, ""],
    ]


def test_charts_report_each_clinic() -> None:
    view = build_view(report_data())
    rec = Recorder()
    draw_charts(view, progress=rec)
    n = len(view.clinics)
    assert n >= 2 and rec.stages == [["charts", n, "clinics", n, ""]]


def test_plain_progress_is_one_line_per_stage_with_counts_and_seconds() -> None:
    out = io.StringIO()
    plain = PlainProgress(out)
    with lib.stage("ingest", 12, "files", plain) as running:
        running.advance(12)
        running.note("6,400 rows read")
    with pytest.raises(KeyError), lib.stage("forecasts", 10, "series", plain) as running:
        running.advance(4)
        raise KeyError
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and not ANSI.search(out.getvalue())
    assert re.fullmatch(r"  ingest: 12 files in \d+\.\d s \(6,400 rows read\)", lines[0])
    assert re.fullmatch(r"  forecasts: 4/10 series in \d+\.\d s \(stopped\)", lines[1])
    assert stage_line("charts", 1200, 1200, "clinics", 2.04, "") == "charts: 1,200 clinics in 2.0 s"


def test_rich_progress_on_a_terminal_shows_a_bar_with_an_eta() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    bars = RichProgress(console)
    bars.on_start("forecasts", 10, "series")
    for _ in range(4):
        bars.advance()
    assert bars._bars is not None
    bars._bars.refresh()
    shown = out.getvalue()
    bars.on_end("2 fallbacks")
    assert "\x1b[" in shown and "━" in shown  # a drawn bar, in colour
    assert "forecasts" in shown and " 4/10" in shown and "series" in shown
    plain = re.sub(r"\x1b\[[\d;?]*[a-zA-Z]", "", shown)  # without the colour codes
    assert re.search(r"4/10 series \d+:\d\d:\d\d eta (-:--:--|\d+:\d\d:\d\d)", plain), plain
    assert "2 fallbacks" in out.getvalue()


def test_console_progress_prints_log_lines_above_the_bar_and_restores_the_logger() -> None:
    logger = logging.getLogger("lymphcast.progress")
    saved = logger.handlers[:]
    out = Terminal()
    env = {k: os.environ.pop(k) for k in ("TERM", "NO_COLOR") if k in os.environ}
    try:
        with console_progress(out) as receiver:
            assert isinstance(receiver, RichProgress) and lib.current() is receiver
            with lib.stage("forecasts", 5, "series") as running:
                running.advance(2)
                logger.warning("a log line mid-stage")
                running.advance(3)
    finally:
        os.environ.update(env)
    assert logger.handlers == saved and lib.current() is lib.NO_PROGRESS
    text = out.getvalue()
    assert "a log line mid-stage" in text
    segment = next(s for s in text.split("\n") if "a log line mid-stage" in s)
    printed = segment.rsplit("\r", 1)[-1]  # the bar drawn before it is erased first
    assert printed.startswith("\x1b[2K") and "━" not in printed, repr(segment)


def test_console_progress_is_plain_when_not_a_terminal() -> None:
    out = io.StringIO()
    with console_progress(out) as receiver:
        assert isinstance(receiver, PlainProgress)
        with lib.stage("charts", 2, "clinics") as running:
            running.advance(2)
    assert re.fullmatch(r"  charts: 2 clinics in \d+\.\d s\n", out.getvalue())


def _run(args: list[str], cwd: Path, log: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120"}
    with log.open("w") as stderr:
        return subprocess.run(
            [sys.executable, "-m", "lymphcast", *args], cwd=cwd, stdout=subprocess.PIPE,
            stderr=stderr, text=True, env=env, timeout=600,
        )  # fmt: skip


def test_ingest_into_a_log_file_writes_one_plain_line(demo_exports, tmp_path) -> None:
    demo_exports(tmp_path / "raw", clinics=2, years=1, seed=3, end=END)
    log = tmp_path / "ingest.log"
    done = _run(["ingest", "--raw", "raw", "--processed", "p"], tmp_path, log)
    assert done.returncode == 0, log.read_text()
    text = log.read_text()
    assert not ANSI.search(text), repr(text)
    lines = [line for line in text.splitlines() if line.startswith("  ingest:")]
    assert len(lines) == 1, text
    assert re.fullmatch(r"  ingest: \d+ files in \d+\.\d s \([\d,]+ rows read\)", lines[0])


def test_backtest_into_a_log_file_writes_one_line_per_stage(tmp_path) -> None:
    _series(3, 40).to_csv(tmp_path / "series.csv", index=False)
    log = tmp_path / "backtest.log"
    args = ["backtest", "--series", "series.csv", "--models", "seasonal_naive,auto"]
    args += ["--horizon", "4", "--folds", "2", "--paths", "20", "--workers", "1", "--out", "bt"]
    done = _run(args, tmp_path, log)
    assert done.returncode == 0, log.read_text()
    text = log.read_text()
    assert not ANSI.search(text), repr(text)
    stages = [line.split(":")[0].strip() for line in text.splitlines() if " in " in line]
    assert stages == ["backtest", "selection"], text
    assert re.search(r"^  backtest: 9 windows in \d+\.\d s$", text, re.M), text
    assert "leaderboard" in done.stdout


@pytest.mark.slow
def test_weekly_into_a_log_file_writes_one_line_per_stage(demo_exports, tmp_path) -> None:
    demo_exports(tmp_path / "raw", clinics=2, years=1, seed=3, end=END)
    config = tmp_path / "fast.toml"
    config.write_text('[model]\nname = "seasonal_naive"\n[orchestration]\nmin_free_mb = 0\n')
    log = tmp_path / "weekly.log"
    args = ["weekly", "--as-of", END.isoformat(), "--config", str(config), "--raw", "raw"]
    done = _run([*args, "--processed", "p", "--reports", "reports"], tmp_path, log)
    assert done.returncode in (0, 3), log.read_text()
    text = log.read_text()
    assert not ANSI.search(text), repr(text)
    stages = [m.group(1) for m in re.finditer(r"^  (\w+): [\d,/]+ \w+ in \d+\.\d s", text, re.M)]
    assert stages == ["ingest", "forecasts", "charts"], text
    assert re.search(r"^  charts: 2 clinics in", text, re.M), text


def test_a_stage_left_open_by_a_failed_run_ends_as_stopped() -> None:
    out = io.StringIO()
    with pytest.raises(RuntimeError), console_progress(out):
        running = lib.begin("forecasts", 10, "series")  # as the flow does
        running.advance(3)
        raise RuntimeError("a task failed")
    assert re.fullmatch(r"  forecasts: 3/10 series in \d+\.\d s \(stopped\)\n", out.getvalue())
