"""A `lymphcast weekly` killed with SIGKILL leaves no process behind (no temporary Prefect server).

The run is `python -m lymphcast weekly` without ``PREFECT_API_URL``, so Prefect starts its own
temporary API server (uvicorn) as a child. ``LYMPHCAST_FAULT_PAUSE_AT`` makes the run stop at a
step and write a marker; the test then records the process tree, kills only the top process
with SIGKILL and checks that every descendant is gone within a few seconds.
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
