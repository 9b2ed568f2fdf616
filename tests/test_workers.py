"""How many worker processes a step uses."""

from __future__ import annotations

import multiprocessing

from forecasting.workers import process_pool, usable_cpus, worker_count


def test_worker_count_follows_the_setting_the_job_and_the_process(monkeypatch) -> None:
    assert worker_count(3, worth=10) == 3
    assert worker_count(8, worth=2) == 2  # a small job is not worth more workers
    assert worker_count(4, worth=0) == 1  # nor any: work in this process
    assert worker_count(0, worth=1000) == usable_cpus()  # 0: one per usable CPU

    class Daemonic:
        daemon = True

    monkeypatch.setattr(multiprocessing, "current_process", lambda: Daemonic())
    assert worker_count(4, worth=100) == 1  # a Dask worker may not start processes


def test_process_pool_runs_work_in_other_processes() -> None:
    import os

    with process_pool(2) as pool:
        pids = set(pool.map(_pid, range(4)))
    assert os.getpid() not in pids and pids


def _pid(_: int) -> int:
    import os

    return os.getpid()
