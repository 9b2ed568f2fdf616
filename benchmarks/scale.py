"""Scale benchmark of the weekly run: a generated network of clinics, raw exports to report.

    .venv/bin/python benchmarks/scale.py                 # 200 clinics x 5 procedure types
    .venv/bin/python benchmarks/scale.py --clinics 20    # a quick look

Generates demo exports once (not timed; kept in --workdir for later runs), starts
`prefect server start` on 127.0.0.1 (a temporary PREFECT_HOME; its start-up is printed, not
counted), then runs `lymphcast weekly` in a subprocess three times against that API:

1. cold: empty processed/reports/cache directories;
2. warm: the same inputs again (Prefect cache, persisted results);
3. next week: ``--as-of`` one week later (one more week of data: changed series refit).

For each run it prints the wall time, the peak memory of the process tree (sampled RSS) and,
read back from the Prefect API, the time inside each task. Orchestration overhead is the flow
run's wall time minus the union of the intervals during which some task was running; the
issue's stricter reading (flow wall minus time inside model fits and report rendering) is
printed too. A projection for 10,000 series on a Dask cluster of N workers follows from the
measured per-series cost.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import httpx
import psutil

from flows.environment import QUIET_SERVER_ENV
from forecasting.columns import PROCEDURE_TYPES

ROOT = Path(__file__).resolve().parents[1]
AS_OF = date(2025, 6, 2)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _data(workdir: Path, clinics: int) -> Path:
    from forecasting import demo
    from forecasting.demo import world

    # The CLI caps `lymphcast demo --clinics` at 500; a benchmark may ask for more.
    world.MAX_CLINICS = max(world.MAX_CLINICS, clinics)
    raw = workdir / f"raw-{clinics}"
    if not (raw / ".complete").exists():
        shutil.rmtree(raw, ignore_errors=True)
        started = time.perf_counter()
        result = demo.generate_demo(raw, clinics=clinics, seed=0, end=AS_OF + timedelta(days=28))
        (raw / ".complete").write_text("")
        print(f"generated {len(result.files)} exports, {sum(result.rows.values()):,} rows "
              f"in {time.perf_counter() - started:.0f} s (not counted)")  # fmt: skip
    size = sum(p.stat().st_size for p in raw.iterdir()) / 1e6
    print(f"raw exports: {raw} ({size:,.0f} MB)")
    return raw


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


class _PeakRss(threading.Thread):
    """Peak of the summed RSS of a process and its descendants, sampled every 0.2 s."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.proc, self.peak, self.stop = psutil.Process(pid), 0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                procs = [self.proc, *self.proc.children(recursive=True)]
                total = 0
                for p in procs:
                    try:
                        total += p.memory_info().rss
                    except psutil.Error:
                        pass
                self.peak = max(self.peak, total)
            except psutil.Error:
                return
            time.sleep(0.2)


def _weekly(args: list[str], env: dict) -> tuple[float, float]:
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "lymphcast", "weekly", *args],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    sampler = _PeakRss(proc.pid)
    sampler.start()
    _, err = proc.communicate()
    sampler.stop.set()
    sampler.join()
    if proc.returncode:
        sys.exit(f"weekly run failed:\n{err.decode()[-3000:]}")
    return time.perf_counter() - started, sampler.peak / 2**30


def _union(intervals: list[tuple[float, float]]) -> float:
    total, end = 0.0, float("-inf")
    for a, b in sorted(intervals):
        if b > end:
            total += b - max(a, end)
            end = b
    return total


def _last_run_stats(api: str) -> dict:
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


def _print_run(label: str, wall: float, peak: float, stats: dict) -> None:
    flow = stats["flow_wall"]
    print(f"\n{label}: {wall:.1f} s wall (process), flow run {flow:.1f} s, peak memory "
          f"{peak:.2f} GB")  # fmt: skip
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


def _projection(stats: dict, n_series: int, cores: int) -> None:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clinics", type=int, default=200)
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "lymphcast-scale"
    )
    parser.add_argument(
        "--task-runner", default="threads", choices=["threads", "processes", "dask"]
    )
    parser.add_argument("--skip-next-week", action="store_true", help="only the cold and warm runs")
    args = parser.parse_args()
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    raw = _data(workdir, args.clinics)
    run_dir = workdir / "run"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir()
    with prefect_server(run_dir) as (api, env):
        load = os.getloadavg()
        print(f"machine: {os.cpu_count()} cores, load average before the runs {load[0]:.1f}")
        common = [
            "--raw", str(raw), "--processed", str(run_dir / "processed"),
            "--reports", str(run_dir / "reports"), "--task-runner", args.task_runner,
        ]  # fmt: skip
        results = {}
        runs = [("cold", AS_OF), ("warm", AS_OF), ("next week", AS_OF + timedelta(7))]
        for label, as_of in runs[: 2 if args.skip_next_week else 3]:
            wall, peak = _weekly(["--as-of", as_of.isoformat(), *common], env)
            stats = _last_run_stats(api)
            results[label] = (wall, peak, stats)
            _print_run(label, wall, peak, stats)
        cold, warm = results["cold"], results["warm"]
        n_series = cold[2]["tasks"]["forecast-clinic"][0] * len(PROCEDURE_TYPES)
        print(f"\nload average after the runs {os.getloadavg()[0]:.1f}")
        print(f"SUMMARY {args.clinics} clinics, {n_series} series, runner {args.task_runner}: "
              f"cold {cold[0]:.0f} s (bar 120), peak {max(r[1] for r in results.values()):.2f} "
              f"GB (bar 4), warm {warm[0]:.1f} s = {warm[0] / cold[0]:.0%} of cold (bar 15%), "
              f"overhead {(cold[2]['flow_wall'] - cold[2]['busy']) / cold[2]['flow_wall']:.0%} "
              "of the cold flow run (bar 20%)")  # fmt: skip
        _projection(cold[2], n_series, os.cpu_count() or 1)


if __name__ == "__main__":
    main()
