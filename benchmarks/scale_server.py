"""The pre-started-server half of benchmarks/scale.py: a `prefect server start`, task times.

The figure of a machine that keeps a Prefect server running (``scale.py --server``): the time
inside each task is read back from the server's API after each run.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from flows.environment import QUIET_SERVER_ENV


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def prefect_server(run_dir: Path) -> Iterator[tuple[str, dict]]:
    """`prefect server start` on a free port of 127.0.0.1 (PREFECT_HOME under ``run_dir``).

    Yields the API URL and the environment for processes that use it; the server's process
    group is stopped at the end.
    """
    env = {**os.environ, **QUIET_SERVER_ENV, "PREFECT_HOME": str(run_dir / "prefect-home")}
    env.pop("PREFECT_API_URL", None)
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
         "--port", str(port)],
        env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        while True:
            try:
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        print(f"prefect server up in {time.perf_counter() - started:.0f} s (not counted)")
        yield api, {**env, "PREFECT_API_URL": api}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def _union(intervals: list[tuple[float, float]]) -> float:
    total, end = 0.0, float("-inf")
    for a, b in sorted(intervals):
        if b > end:
            total += b - max(a, end)
            end = b
    return total


def last_run_stats(api: str) -> dict:
    """Per-task times of the latest weekly run, read back from the Prefect API."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterId,
        FlowRunFilterParentFlowRunId,
    )
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: api}), get_client(sync_client=True) as client:
        parent = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["weekly-staffing"])),
            sort=FlowRunSort.START_TIME_DESC,
            limit=1,
        )[0]
        children = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent.id])
            )
        )
        ids = [parent.id, *(c.id for c in children)]

        def read_all() -> list:
            found, offset = [], 0
            while True:
                page = client.read_task_runs(
                    flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)),
                    offset=offset,
                    limit=200,
                )
                found += page
                offset += len(page)
                if len(page) < 200:
                    return found

        # The server records task runs from events, a little after they happen: wait until
        # the count and the states stop changing.
        tasks, deadline = read_all(), time.monotonic() + 120
        while time.monotonic() < deadline:
            time.sleep(3)
            again = read_all()
            if len(again) == len(tasks) and all(t.end_time for t in again):
                tasks = again
                break
            tasks = again
    stats: dict = {"flow_wall": (parent.end_time - parent.start_time).total_seconds()}
    intervals, by_name, cached = [], {}, {}
    for t in tasks:
        if t.name.startswith("weekly-staffing-tasks"):
            continue  # the subflow's own placeholder task run spans the whole pipeline
        # forecast runs are named per clinic ("forecast-<clinic>"), the others "<task>-<id>"
        name = "forecast-clinic" if t.name.startswith("forecast-") else t.name.rsplit("-", 1)[0]
        if t.state and t.state.name == "Cached":
            cached[name] = cached.get(name, 0) + 1
        if t.start_time and t.end_time:
            a, b = t.start_time.timestamp(), t.end_time.timestamp()
            intervals.append((a, b))
            by_name.setdefault(name, []).append((a, b))
    stats["tasks"] = {n: (len(v), _union(v), sum(b - a for a, b in v)) for n, v in by_name.items()}
    stats["cached"] = cached
    stats["busy"] = _union(intervals)
    return stats


def print_task_stats(stats: dict) -> None:
    """Per-task wall and task-seconds of one run, and Prefect's orchestration overhead."""
    flow = stats["flow_wall"]
    print(f"  flow run {flow:.1f} s (from the Prefect API)")
    for name, (n, union, total) in sorted(stats["tasks"].items()):
        hit = stats["cached"].get(name, 0)
        print(f"  {name:<22} {n:>5} runs ({hit:>4} cached)  wall {union:7.1f} s  "
              f"task-seconds {total:8.1f}")  # fmt: skip
    idle = flow - stats["busy"]
    print(f"  orchestration overhead (flow wall - time any task ran): {idle:.1f} s "
          f"= {idle / flow:.0%} of the flow run")  # fmt: skip
    fits = stats["tasks"].get("forecast-clinic", (0, 0.0, 0.0))[1]
    render = stats["tasks"].get("publish-report", (0, 0.0, 0.0))[1]
    strict = flow - fits - render
    print(f"  flow wall - (model fits + report rendering): {strict:.1f} s = {strict / flow:.0%} "
          "(counts ingest and demand/staffing as overhead)")  # fmt: skip


def projection(stats: dict, n_series: int, cores: int) -> None:
    fit_wall = stats["tasks"]["forecast-clinic"][1]
    per_series = fit_wall * cores / n_series  # core-seconds per series, on `cores` cores
    fixed = sum(v[1] for k, v in stats["tasks"].items() if k != "forecast-clinic")
    scale = 10_000 / n_series
    print(f"\nprojection for 10,000 series (measured: {per_series:.2f} core-s per series incl. "
          f"Prefect's per-task cost; non-forecast tasks {fixed:.0f} s for {n_series} series, "
          f"scaled linearly x{scale:.0f} and run on one machine):")  # fmt: skip
    for workers in (2, 8, 16, 32, 64, 128):
        forecast = 10_000 * per_series / workers
        print(f"  Dask, {workers:>3} single-core workers: forecasts {forecast / 60:6.1f} min + "
              f"ingest/demand/report {fixed * scale / 60:5.1f} min = "
              f"{(forecast + fixed * scale) / 60:6.1f} min")  # fmt: skip
