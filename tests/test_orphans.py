"""Prefect server life cycle: a killed run leaves no temporary server; a run's history is whole.

The run is `python -m lymphcast weekly` without ``PREFECT_API_URL``, so Prefect starts its own
temporary API server (uvicorn) as a child. ``LYMPHCAST_FAULT_PAUSE_AT`` makes the run stop at a
step and write a marker; the test then records the process tree, kills only the top process
with SIGKILL and checks that every descendant is gone within a few seconds. A run against the
session's test API must leave every one of its task runs in a final state there (the queued
events are flushed before the command exits).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import psutil
import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux"),
]

ROOT = Path(__file__).resolve().parents[1]
CONFIG = 'n_paths = 50\nhorizon_weeks = 4\n[model]\nname = "seasonal_naive"\n'
GRACE_SECONDS = 10


def _env(tmp: Path, marker: Path, step: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LYMPHCAST_FAULT", "PREFECT_API_URL", "PREFECT_HOME"))
    }
    env.update(
        PREFECT_HOME=str(tmp / "prefect-home"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        LYMPHCAST_FAULT_PAUSE_AT=step,
        LYMPHCAST_FAULT_MARKER=str(marker),
        PYTHONPATH=str(ROOT),
    )
    return env


def _wait_for(marker: Path, proc: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not marker.exists():
        if proc.poll() is not None:
            raise AssertionError(f"run ended early: {proc.stderr.read().decode()[-2000:]}")
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            raise AssertionError("run never reached the pause point")
        time.sleep(0.2)


@pytest.mark.parametrize("step", ["load-inputs"])
def test_a_killed_weekly_run_leaves_no_temporary_server(demo_exports, tmp_path, step) -> None:
    demo_exports(tmp_path / "raw", clinics=1, years=2, seed=5, end=date(2025, 7, 1))
    (tmp_path / "lymphcast.toml").write_text(CONFIG)
    marker = tmp_path / "paused"
    command = [
        sys.executable, "-m", "lymphcast", "weekly", "--as-of", "2025-06-02",
        "--config", str(tmp_path / "lymphcast.toml"), "--raw", str(tmp_path / "raw"),
        "--processed", str(tmp_path / "processed"), "--reports", str(tmp_path / "reports"),
    ]  # fmt: skip
    proc = subprocess.Popen(
        command, cwd=ROOT, env=_env(tmp_path, marker, step), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        _wait_for(marker, proc, 180)
        children = psutil.Process(proc.pid).children(recursive=True)
        commands = [" ".join(c.cmdline()) for c in children]
        assert any("uvicorn" in c for c in commands), f"no temporary server started: {commands}"
        proc.send_signal(signal.SIGKILL)  # the top process only, not its group
        proc.wait(timeout=30)
        _, alive = psutil.wait_procs(children, timeout=GRACE_SECONDS)
        assert not alive, f"left behind: {[' '.join(p.cmdline()) for p in alive]}"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # clean up whatever a failure left
        except ProcessLookupError:
            pass
        proc.stderr.close()


def test_every_task_run_of_a_weekly_run_reaches_a_final_state(
    demo_exports, tmp_path, prefect_harness
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.settings import PREFECT_API_URL

    demo_exports(tmp_path / "raw", clinics=1, years=2, seed=5, end=date(2025, 7, 1))
    (tmp_path / "lymphcast.toml").write_text(CONFIG)
    reports = tmp_path / "reports"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LYMPHCAST_FAULT")}
    env.update(PREFECT_API_URL=PREFECT_API_URL.value(), PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [
            sys.executable, "-m", "lymphcast", "weekly", "--as-of", "2025-06-02",
            "--config", str(tmp_path / "lymphcast.toml"), "--raw", str(tmp_path / "raw"),
            "--processed", str(tmp_path / "processed"), "--reports", str(reports),
        ],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Still processing items" not in done.stderr
    assert "Error flushing events" not in done.stderr
    with get_client(sync_client=True) as client:
        runs = [r for r in client.read_flow_runs() if r.parameters.get("reports") == str(reports)]
        assert runs, "the run is not in the API"  # the flow and any subflow it calls
        assert all(r.state is not None and r.state.is_completed() for r in runs)
        tasks = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[r.id for r in runs]))
        )
    assert tasks, "the run recorded no task runs"
    unfinished = [t.name for t in tasks if t.state is None or not t.state.is_final()]
    assert not unfinished, f"task runs not in a final state: {unfinished}"
