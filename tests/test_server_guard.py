"""flows/server_guard.py: a child started through the guard dies when its parent is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[1]
PARENT = textwrap.dedent(
    """
    import sys, time
    from flows.server_guard import _GuardedPopen
    child = _GuardedPopen([sys.executable, "-c", "import time; time.sleep(120)"])
    print(child.pid, flush=True)
    time.sleep(120)
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
def test_a_guarded_child_ends_when_its_parent_is_killed() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT], env=env, stdout=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        child = psutil.Process(int(parent.stdout.readline()))
        assert child.is_running()
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        _, alive = psutil.wait_procs([child], timeout=5)
        assert not alive
    finally:
        try:
            os.killpg(parent.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        parent.stdout.close()


BACKTEST = textwrap.dedent(
    """
    import sys
    from typer.testing import CliRunner
    from lymphcast.cli import app
    folder = sys.argv[1]
    args = ["backtest", "--series", folder + "/s.csv", "--models", "naive", "--horizon", "2",
            "--folds", "1", "--selection-folds", "0", "--paths", "10", "--workers", "1",
            "--out", folder + "/out"]
    result = CliRunner().invoke(app, args)
    print(result.output[-300:])
    print(result.exit_code, sorted(m for m in sys.modules if m.split(".")[0] == "prefect")[:3])
    """
)


@pytest.mark.slow
def test_backtest_never_starts_prefect_so_no_server_can_be_orphaned(tmp_path) -> None:
    """Only `weekly` (guarded) and `serve` (needs PREFECT_API_URL) run flows; `backtest` is the
    library alone: Prefect is never imported, so no temporary API server exists to outlive it."""
    from datetime import date, timedelta

    weeks = [date(2023, 1, 2) + timedelta(weeks=i) for i in range(60)]
    rows = "\n".join(f"a,{w.isoformat()},{i % 7 + 3}" for i, w in enumerate(weeks))
    (tmp_path / "s.csv").write_text(f"unique_id,ds,y\n{rows}\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", BACKTEST, str(tmp_path)], env=env, capture_output=True,
        text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert done.stdout.strip().splitlines()[-1] == "0 []", done.stdout + done.stderr
