"""A real Dask cluster on 127.0.0.1: `dask scheduler` and `dask worker` processes, no LocalCluster.

Used by tests/test_dask_cluster.py and benchmarks/dask_cluster.py. Every process is started in
its own session (process group), so a worker can be killed whole (nanny and worker) and
everything is killed at the end, whatever happened.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from flows.environment import QUIET_PREFECT_ENV

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _dask_command(*args: str) -> list[str]:
    """The `dask` console script next to this interpreter (the venv's), else `python -m dask`."""
    script = Path(sys.executable).with_name("dask")
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "dask", *args]


class DaskProcesses:
    """`dask scheduler` on a free port of 127.0.0.1 and ``workers`` `dask worker` processes.

    Workers get this checkout on PYTHONPATH (they unpickle flows.* tasks) and Prefect's quiet
    environment; ``worker_env`` adds variables for the workers only.
    """

    def __init__(
        self,
        workers: int = 2,
        threads: int = 1,
        log_dir: Path | None = None,
        worker_env: dict[str, str] | None = None,
        memory_limit: str = "0",
    ) -> None:
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.n_workers, self.threads, self.memory_limit = workers, threads, memory_limit
        self.log_dir = log_dir
        path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
        self.env = {**os.environ, **QUIET_PREFECT_ENV, "PYTHONPATH": path}
        self.env.pop("PREFECT_API_URL", None)  # the flow sends its API URL with every task
        self.worker_env = {**self.env, **(worker_env or {})}
        self.scheduler: subprocess.Popen | None = None
        self.workers: dict[str, subprocess.Popen] = {}  # worker name -> process (the nanny)
        self._logs: list = []

    def _start(self, args: list[str], env: dict[str, str], name: str) -> subprocess.Popen:
        out = subprocess.DEVNULL
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            out = (self.log_dir / f"{name}.log").open("ab")  # a restarted worker appends
            self._logs.append(out)
        return subprocess.Popen(
            _dask_command(*args), cwd=ROOT, env=env, start_new_session=True,
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def _start_scheduler(self) -> None:
        self.scheduler = self._start(
            ["scheduler", "--host", "127.0.0.1", "--port", str(self.port), "--no-dashboard"],
            self.env, "scheduler",
        )  # fmt: skip

    def _start_worker(self, name: str) -> None:
        self.workers[name] = self._start(
            ["worker", self.address, "--name", name, "--nworkers", "1",
             "--nthreads", str(self.threads), "--host", "127.0.0.1",
             "--no-dashboard", "--memory-limit", self.memory_limit],
            self.worker_env, name,
        )  # fmt: skip

    def __enter__(self) -> DaskProcesses:
        try:
            self._start_scheduler()
            for i in range(self.n_workers):
                self._start_worker(f"w{i}")
            self.wait_for_workers(self.n_workers)
        except BaseException:
            self.close()
            raise
        return self

    def ensure_running(self) -> DaskProcesses:
        """Start again what a test killed: the whole cluster on a new port when the scheduler
        is gone, else each worker whose process ended; then wait for all workers.

        Lets one cluster serve several tests (tests/test_dask_cluster.py) although some of
        them kill a worker or the scheduler."""
        if self.scheduler is None or self.scheduler.poll() is not None:
            self.close()
            self.port = free_port()
            self.address = f"tcp://127.0.0.1:{self.port}"
            self.workers.clear()
            return self.__enter__()
        dead = {name for name, proc in self.workers.items() if proc.poll() is not None}
        if dead:
            self._wait_for_names(lambda names: not dead & names, "the killed workers to leave")
            for name in sorted(dead):
                self._start_worker(name)
        self._wait_for_names(lambda names: names == set(self.workers), "every worker")
        return self

    def _wait_for_names(self, done, what: str, timeout: float = 90) -> None:
        """Poll the scheduler's worker names until ``done(names)``."""
        deadline = time.monotonic() + timeout
        while True:
            info = self.scheduler_info()["workers"].values()
            if done({str(w["name"]) for w in info}):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {timeout} s for {what} in the Dask scheduler")
            time.sleep(0.2)

    def __exit__(self, *exc: object) -> None:
        self.close()

    def scheduler_info(self) -> dict:
        """The scheduler's view: {"workers": {address: {"name", "pid", ...}}, ...}."""
        from distributed import Client

        with Client(self.address, timeout=10) as client:
            return client.scheduler_info(n_workers=-1)

    def wait_for_workers(self, n: int, timeout: float = 90) -> None:
        from distributed import Client

        deadline = time.monotonic() + timeout
        with Client(self.address, timeout=timeout) as client:
            while len(client.scheduler_info(n_workers=-1)["workers"]) < n:
                for name, proc in [("scheduler", self.scheduler), *self.workers.items()]:
                    if proc is not None and proc.poll() is not None:
                        raise RuntimeError(f"dask {name} exited ({proc.returncode}) at start-up")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{n} Dask workers did not register within {timeout} s")
                time.sleep(0.2)

    def pids(self) -> dict[str, int]:
        """Process ids of the scheduler and of each worker process (not its nanny)."""
        found = {"scheduler": self.scheduler.pid} if self.scheduler else {}
        for info in self.scheduler_info()["workers"].values():
            found[str(info["name"])] = int(info["pid"])
        return found

    def kill_worker(self, name: str) -> None:
        """SIGKILL a worker's whole process group (nanny and worker): a machine lost."""
        proc = self.workers[name]
        _killpg(proc)

    def kill_scheduler(self) -> None:
        """SIGKILL the scheduler's process group: the cluster's head lost."""
        if self.scheduler is not None:
            _killpg(self.scheduler)

    def close(self) -> None:
        for proc in [*self.workers.values(), self.scheduler]:
            if proc is not None:
                _killpg(proc)
        for fh in self._logs:
            fh.close()
        self._logs.clear()


def _killpg(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass
