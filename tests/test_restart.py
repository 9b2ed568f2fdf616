"""Kill the weekly run (SIGKILL) at each task boundary, start it again: outputs complete, same.

The run is `python -m lymphcast weekly` in a subprocess talking to the session's Prefect test
API; the reference is the same run, uninterrupted, in this process. The environment variable
``LYMPHCAST_FAULT_PAUSE_AT`` makes the named step write a marker file and sleep; the test then
kills the whole process group there, checks that no half-written report is visible, and moves
on to the next boundary. The last run goes through and must equal the uninterrupted run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2025-06-02"
WEEK = "2025-W23"
CONFIG = 'n_paths = 100\nhorizon_weeks = 6\n[model]\nname = "seasonal_naive"\n'


def _env(api_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LYMPHCAST_FAULT")}
    env.update(PREFECT_API_URL=api_url, PREFECT_SERVER_ANALYTICS_ENABLED="false", **extra)
    return env


def _command(root: Path, out: Path) -> list[str]:
    return [
        sys.executable, "-m", "lymphcast", "weekly", "--as-of", AS_OF,
        "--config", str(root / "lymphcast.toml"), "--raw", str(root / "raw"),
        "--processed", str(out / "processed"), "--reports", str(out / "reports"),
    ]  # fmt: skip


def _kill_at(step: str, root: Path, out: Path, api_url: str) -> None:
    marker = out / f"paused-{step.replace(':', '_')}"
    env = _env(api_url, LYMPHCAST_FAULT_PAUSE_AT=step, LYMPHCAST_FAULT_MARKER=str(marker))
    proc = subprocess.Popen(
        _command(root, out), cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not marker.exists():
        if proc.poll() is not None:
            raise AssertionError(f"run ended before {step}: {proc.stderr.read().decode()[-2000:]}")
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            raise AssertionError(f"run never reached {step}")
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stderr.close()


def _report_files(out: Path) -> set[str]:
    folder = out / "reports" / WEEK
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


@pytest.fixture(scope="module")
def setup(demo_exports, tmp_path_factory, prefect_harness):
    from prefect.settings import PREFECT_API_URL

    root = tmp_path_factory.mktemp("restart")
    demo_exports(root / "raw", clinics=2, years=2, seed=3, end=date(2025, 7, 1))
    (root / "lymphcast.toml").write_text(CONFIG)
    api_url = PREFECT_API_URL.value()
    reference = root / "reference"
    from flows.weekly import weekly_staffing

    weekly_staffing(
        as_of=date.fromisoformat(AS_OF),
        config_path=str(root / "lymphcast.toml"),
        raw=str(root / "raw"),
        processed=str(reference / "processed"),
        reports=str(reference / "reports"),
    )
    return root, api_url, reference


def test_killed_at_every_task_boundary_then_restarted(setup):
    root, api_url, reference = setup
    expected = _report_files(reference)
    assert {"index.html", "forecast.csv", "staffing.csv", "run_manifest.json"} <= expected
    out = root / "killed"
    first = pd.read_csv(reference / "reports" / WEEK / "forecast.csv")["clinic_id"].min()
    steps = [
        "ingest", "load-inputs", f"forecast:{first}:bbl", "calibrate-intervals",
        "demand-and-staffing",
        "publish-report", "after-publish",
    ]  # fmt: skip
    for step in steps:
        _kill_at(step, root, out, api_url)
        seen = _report_files(out)
        assert seen in (set(), expected), f"half-written report after a kill at {step}: {seen}"

    done = subprocess.run(
        _command(root, out), cwd=ROOT, env=_env(api_url), capture_output=True, timeout=300
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert _report_files(out) == expected
    for name in ("forecast.csv", "staffing.csv"):
        assert (out / "reports" / WEEK / name).read_bytes() == (
            reference / "reports" / WEEK / name
        ).read_bytes(), name
    leftovers = [
        p.name
        for p in (out / "reports").iterdir()
        if p.name.startswith(f".{WEEK}.") and p.is_dir() or p.name.endswith(".tmp")
    ]
    assert leftovers == [], leftovers
    assert not (out / "reports" / f"{WEEK}.FAILED.md").exists()
