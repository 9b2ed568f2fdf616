"""Worker processes for the CPU-bound steps (ingest, report charts, backtest).

Reading exports, drawing charts and fitting models are mostly Python, which threads run one at
a time, so these steps use processes. Workers fork from a fork server: safe in a process with
threads (a Prefect flow), where a plain fork is not; spawn where there is no fork server.
Either way the workers import the calling script, which therefore needs the
``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity, e.g. a container's limit)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def worker_count(setting: int, worth: int) -> int:
    """How many worker processes to use; below 2 means: work in this process.

    Args:
        setting: the configured count, 0 for one per usable CPU.
        worth: the most workers the job is worth (its size over what a worker costs to start).

    A daemonic process (a Dask worker's) may not start processes: 1 there.
    """
    if multiprocessing.current_process().daemon:
        return 1
    return max(1, min(setting or usable_cpus(), worth))


def process_pool(
    workers: int, initializer: Callable[[], object] | None = None
) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes forked from a fork server (spawned where there is none)."""
    method = "forkserver" if sys.platform.startswith("linux") else "spawn"
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context(method),
        initializer=initializer,
    )
