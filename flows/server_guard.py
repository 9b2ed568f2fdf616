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

import ctypes
import os
import signal
import subprocess
import sys
import threading
import types
from collections.abc import Callable
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
