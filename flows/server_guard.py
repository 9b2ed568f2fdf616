"""Tie Prefect's temporary API server to the run that starts it, so a killed run leaves none.

Without a ``PREFECT_API_URL``, Prefect 3 starts a temporary server (``SubprocessASGIServer``:
``python -m uvicorn`` in a child process, ~225 MB) and stops it from an ``atexit`` hook. A run
killed with SIGKILL (or SIGTERM, which skips ``atexit``) never runs that hook, and the server is
adopted by init and lives on. On Linux, :func:`guard_temporary_server` makes the kernel send the
server SIGTERM when the run dies (``prctl(PR_SET_PDEATHSIG)`` in the child before ``exec``), and
starts the server from the main thread: the kernel ties the signal to the thread that forked the
child, and the main thread lives exactly as long as the run. Elsewhere it does nothing.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _death_signal_preexec(parent_pid: int) -> Callable[[], None] | None:
    """The ``preexec_fn`` that asks for SIGTERM when ``parent_pid`` dies; None off Linux."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved here, not in the child
    except (OSError, AttributeError):
        return None

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent_pid:  # the run died between fork and prctl
            os._exit(1)

    return preexec


class _GuardedPopen(subprocess.Popen[Any]):
    """``subprocess.Popen`` whose child gets SIGTERM when the forking main thread ends."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if (
            kwargs.get("preexec_fn") is None
            and threading.current_thread() is threading.main_thread()
        ):
            kwargs["preexec_fn"] = _death_signal_preexec(os.getpid())
        super().__init__(*args, **kwargs)


def _guarded_subprocess() -> types.ModuleType:
    """A stand-in for the ``subprocess`` module whose ``Popen`` is :class:`_GuardedPopen`."""
    module = types.ModuleType("subprocess", "subprocess with a parent-death signal on Popen")
    module.__dict__.update(vars(subprocess))
    module.Popen = _GuardedPopen  # type: ignore[attr-defined]
    return module


def guard_temporary_server() -> bool:
    """Start Prefect's temporary server now, from the main thread, tied to this process.

    Does nothing when ``PREFECT_API_URL`` names a server, when ephemeral mode is off, off Linux,
    or off the main thread. Safe to call twice.

    Returns:
        True when a temporary server is running under the guard.
    """
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED

    if PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
        return False
    if _death_signal_preexec(os.getpid()) is None:
        return False
    if threading.current_thread() is not threading.main_thread():
        return False
    import prefect.server.api.server as server_module

    if server_module.subprocess.Popen is not _GuardedPopen:  # only this module's Popen
        server_module.subprocess = _guarded_subprocess()
    server = server_module.SubprocessASGIServer()
    server.start()  # no-op when already running
    return server.server_process is not None


def drain_queued_events(timeout: float = 30.0) -> None:
    """Send the events and logs Prefect still holds to the API, while the server still runs.

    Prefect drains its workers from ``atexit`` hooks, which can run after the temporary server
    has been told to stop: the queue then reports "Still processing items" and "Error flushing
    events" on the console and the last task-run states may never reach the API. Draining at
    the end of the command, before exit, avoids both.
    """
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (EventsWorker, APILogWorker):
        worker.drain_all(timeout=timeout, at_exit=False)


class TemporaryServer:
    """Prefect's temporary API server, started by lymphcast early and waited for late.

    The same app and settings as Prefect's own temporary server (``SubprocessASGIServer``:
    uvicorn running ``prefect.server.api.server:create_app`` with the ephemeral flags), but
    started without waiting, so the server's start-up (a few CPU-seconds of imports and
    database checks) overlaps the run's own imports instead of following them, and without
    importing Prefect's server modules into the run's process. Its console output goes to a
    log file in Prefect's home (shutdown chatter never reaches the user's console; a failed
    start quotes it). Tied to this process like :func:`guard_temporary_server`.
    """

    def __init__(self, home: Path, startup_timeout: float) -> None:
        self.log_path = Path(home) / "lymphcast-temporary-server.log"
        self.timeout = startup_timeout
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def spawn(self) -> None:
        """Start the server process on a free port of 127.0.0.1 (does not wait for it)."""
        self.port = _free_port()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **_SERVER_ENV}
        env.pop("PREFECT_API_URL", None)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "--app-dir", _prefect_parent(), "--factory",
                 "prefect.server.api.server:create_app", "--host", "127.0.0.1",
                 "--port", str(self.port), "--log-level", "error", "--lifespan", "on"],
                env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                preexec_fn=_death_signal_preexec(os.getpid()),
            )  # fmt: skip
        atexit.register(self.stop)

    def wait_ready(self) -> str:
        """Block until the server answers its health check; return its API URL.

        Raises:
            RuntimeError: it exited or did not answer within the start-up timeout (with the
                end of its log).
        """
        import httpx

        # As Prefect counts its start-up timeout: 0.1 s per poll, however long a poll takes
        # (on a loaded machine a new database alone can take minutes of wall time).
        waited = 0.0
        with httpx.Client(timeout=5) as client:
            while waited < self.timeout:
                assert self.process is not None
                code = self.process.poll()
                if code == 3:  # the port was taken meanwhile (uvicorn's exit status): again
                    self.spawn()
                    continue
                if code is not None:
                    raise RuntimeError(f"the server exited with status {code}: {self._tail()}")
                try:
                    if client.get(f"{self.api_url}/health").status_code == 200:
                        return self.api_url
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
                waited += 0.1
        raise RuntimeError(f"no answer within {self.timeout:.0f} s: {self._tail()}")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 5 s, as Prefect does)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _tail(self) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return f"see {self.log_path}"
        return " ".join(text.split())[-300:] or f"nothing in {self.log_path}"


# What Prefect's SubprocessASGIServer gives its server: no UI, ephemeral services only.
_SERVER_ENV = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
               "PREFECT__SERVER_FINAL": "1"}  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _prefect_parent() -> str:
    import importlib.util

    spec = importlib.util.find_spec("prefect")
    assert spec is not None and spec.origin is not None
    return str(Path(spec.origin).parent.parent)


def start_temporary_server() -> TemporaryServer | None:
    """Spawn Prefect's temporary server now (main thread), unless the run has an API.

    Returns None when ``PREFECT_API_URL`` names a server, when ephemeral mode is off, off
    Linux or off the main thread (Prefect then starts its own server as usual).
    """
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_HOME,
        PREFECT_SERVER_EPHEMERAL_ENABLED,
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
    )

    if PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
        return None
    if _death_signal_preexec(os.getpid()) is None:
        return None
    if threading.current_thread() is not threading.main_thread():
        return None
    server = TemporaryServer(
        Path(PREFECT_HOME.value()), PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value()
    )
    server.spawn()
    return server
