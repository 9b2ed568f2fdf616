"""The weekly run on a real Dask cluster (`dask scheduler` + `dask worker` processes), measured.

    .venv/bin/python benchmarks/dask_cluster.py --clinics 100    # a quick look
    .venv/bin/python benchmarks/dask_cluster.py                  # 1,000 clinics, 5,000 series

Generates the seeded network of benchmarks/scale.py once (kept in --workdir, not timed), starts
`prefect server start`, a `dask scheduler` and --workers `dask worker` processes on 127.0.0.1
(tests/dask_procs.py, the same cluster the tests start), then runs one cold `lymphcast weekly
--dask-address ...` in a subprocess. Prints the wall time of each stage (read back from the
Prefect API), the peak RSS of each process (flow process, its helper processes, scheduler, each
worker and its nanny; sampled every 0.25 s), the CPU seconds each process used, the machine's
load average, and a projection to 10,000 clinics from the measured per-series cost.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the cluster the tests start

from dask_procs import DaskProcesses  # noqa: E402
from scale import AS_OF, _data, _last_run_stats, prefect_server  # noqa: E402

from forecasting.columns import PROCEDURE_TYPES  # noqa: E402

STAGES = ("ingest", "load-inputs", "forecast-clinic", "demand-and-staffing", "publish-report")


class _Sampler(threading.Thread):
    """Per role (a process and its descendants): peak of their summed RSS at one moment, the
    largest single process's peak RSS, and their CPU time at each sample (to cut out stages)."""

    def __init__(self, roles: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.roots = {role: psutil.Process(pid) for role, pid in roles.items()}
        self.peak_sum: dict[str, int] = {}
        self.peak_one: dict[str, int] = {}
        self.cpu_by_pid: dict[tuple[str, int], float] = {}  # kept after a child exits
        self.series: list[tuple[float, dict[str, float]]] = []  # (time, CPU s by role)
        self.load_max = 0.0
        self.stop = threading.Event()

    def sample(self) -> None:
        cpu: dict[str, float] = {}
        for role, root in self.roots.items():
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                procs = []
            total = 0
            for p in procs:
                try:
                    with p.oneshot():
                        rss, used = p.memory_info().rss, sum(p.cpu_times()[:4])
                except psutil.Error:
                    continue
                total += rss
                self.peak_one[role] = max(self.peak_one.get(role, 0), rss)
                self.cpu_by_pid[role, p.pid] = used
            self.peak_sum[role] = max(self.peak_sum.get(role, 0), total)
            cpu[role] = sum(v for (r, _), v in self.cpu_by_pid.items() if r == role)
        self.series.append((time.time(), cpu))
        self.load_max = max(self.load_max, os.getloadavg()[0])

    def run(self) -> None:
        while not self.stop.is_set():
            self.sample()
            time.sleep(0.25)

    def cpu(self, role: str) -> float:
        return self.series[-1][1].get(role, 0.0)

    def cpu_between(self, role: str, start: float, end: float) -> float:
        def at(t: float) -> float:
            before = [c.get(role, 0.0) for ts, c in self.series if ts <= t]
            return before[-1] if before else 0.0

        return at(end) - at(start)


def _roles(cluster: DaskProcesses) -> dict[str, int]:
    """Scheduler and each worker's nanny (the worker process is its child)."""
    roles = {"scheduler": cluster.scheduler.pid}
    roles.update({f"{name} nanny": proc.pid for name, proc in cluster.workers.items()})
    return roles


def _stage_intervals(api: str) -> tuple[dict, dict[str, tuple[float, float]]]:
    stats = _last_run_stats(api)
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterId,
    )
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.settings import PREFECT_API_URL, temporary_settings

    spans: dict[str, tuple[float, float]] = {}
    with temporary_settings({PREFECT_API_URL: api}), get_client(sync_client=True) as client:
        parent = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["weekly-staffing-tasks"])),
            sort=FlowRunSort.START_TIME_DESC,
            limit=1,
        )[0]
        offset = 0
        while True:
            page = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[parent.id])),
                offset=offset,
                limit=200,
            )
            for t in page:
                if not (t.start_time and t.end_time):
                    continue
                name = (
                    "forecast-clinic"
                    if t.name.startswith("forecast-")
                    else t.name.rsplit("-", 1)[0]
                )
                a, b = t.start_time.timestamp(), t.end_time.timestamp()
                lo, hi = spans.get(name, (a, b))
                spans[name] = (min(lo, a), max(hi, b))
            offset += len(page)
            if len(page) < 200:
                break
        spans["flow"] = (parent.start_time.timestamp(), parent.end_time.timestamp())
    return stats, spans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clinics", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="threads per worker")
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "lymphcast-dask-bench"
    )
    args = parser.parse_args()
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    raw = _data(workdir, args.clinics)
    run_dir = workdir / f"run-{args.clinics}"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir()
    cores = os.cpu_count() or 1
    print(f"machine: {cores} cores, {psutil.virtual_memory().total / 2**30:.0f} GB RAM, "
          f"load average {os.getloadavg()[0]:.1f} before start-up")  # fmt: skip
    with (
        prefect_server(run_dir) as (api, env),
        DaskProcesses(args.workers, args.threads, log_dir=run_dir / "dask-logs") as cluster,
    ):
        print(f"dask scheduler {cluster.address}, {args.workers} workers x {args.threads} thread "
              f"(separate `dask worker` processes; not counted)")  # fmt: skip
        load_before = os.getloadavg()[0]
        command = [
            sys.executable, "-m", "lymphcast", "weekly", "--as-of", AS_OF.isoformat(),
            "--raw", str(raw), "--processed", str(run_dir / "processed"),
            "--reports", str(run_dir / "reports"), "--dask-address", cluster.address,
        ]  # fmt: skip
        sampler = _Sampler(_roles(cluster))
        sampler.sample()
        started = time.perf_counter()
        out_path, err_path = run_dir / "weekly.out", run_dir / "weekly.err"
        with out_path.open("wb") as out, err_path.open("wb") as err_file:
            proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err_file)
            sampler.roots["flow"] = psutil.Process(proc.pid)
            sampler.start()
            proc.wait()
        wall = time.perf_counter() - started
        err = err_path.read_bytes()
        sampler.stop.set()
        sampler.join()
        sampler.sample()
        load_after = os.getloadavg()[0]
        if proc.returncode:
            sys.exit(f"weekly run failed:\n{err.decode()[-3000:]}")
        stats, spans = _stage_intervals(api)
    _print(args, wall, stats, spans, sampler, (load_before, sampler.load_max, load_after))
    _print_console(out_path, err_path)


def _print_console(out_path: Path, err_path: Path) -> None:
    """What the run printed: line counts and tracebacks (shutdown noise shows up here)."""
    out = out_path.read_text(errors="replace").splitlines()
    err = err_path.read_text(errors="replace").splitlines()
    tracebacks = sum(line.startswith("Traceback") for line in out + err)
    print(f"\nconsole: {len(out)} stdout lines, {len(err)} stderr lines, {tracebacks} tracebacks "
          f"({out_path.parent})")  # fmt: skip
    for line in err[-5:]:
        print(f"  stderr: {line[:160]}")


def _print(args, wall, stats, spans, sampler: _Sampler, loads) -> None:
    n_tasks = stats["tasks"]["forecast-clinic"][0]
    n_series = n_tasks * len(PROCEDURE_TYPES)
    flow = stats["flow_wall"]
    print(f"\n{args.clinics} clinics, {n_series} series: {wall:.1f} s wall (process, incl. "
          f"Prefect start-up), flow run {flow:.1f} s")  # fmt: skip
    print(f"load average (1 min): {loads[0]:.1f} before, {loads[1]:.1f} highest, "
          f"{loads[2]:.1f} after; other engineers share these cores")  # fmt: skip
    print("stage wall times (Prefect API; forecast-clinic = first start to last end):")
    for name in STAGES:
        n, union, total = stats["tasks"].get(name, (0, 0.0, 0.0))
        lo, hi = spans.get(name, (0.0, 0.0))
        print(f"  {name:<20} {n:>5} task runs  wall {hi - lo:7.1f} s  (busy {union:7.1f} s, "
              f"task-seconds {total:8.1f})")  # fmt: skip
    print(
        f"  {'between tasks':<20} {'':>5}             {flow - stats['busy']:7.1f} s  "
        "(flow-side: series hashing, histories, warm starts, submitting)"
    )
    order = [(n, spans[n]) for n in STAGES if n in spans]
    gaps = [("flow start", spans["flow"][0]), *((n, hi) for n, (_, hi) in order)]
    starts = [lo for _, (lo, _) in order] + [spans["flow"][1]]
    print("  flow-side time between stages (hashing inputs, histories, submitting, warm starts, "
          "artifacts):")  # fmt: skip
    nexts = [*(n for n, _ in order), "flow end"]
    for (after, t0), t1, nxt in zip(gaps, starts, nexts, strict=True):
        print(f"    {after} -> {nxt}: {t1 - t0:5.1f} s")
    print("peak RSS (the process plus its children at one moment; largest single process) "
          "and CPU seconds:")  # fmt: skip
    for role in sampler.roots:
        print(f"  {role:<12} {sampler.peak_sum.get(role, 0) / 2**20:7.0f} MB "
              f"(largest process {sampler.peak_one.get(role, 0) / 2**20:6.0f} MB)  "
              f"CPU {sampler.cpu(role):7.1f} s")  # fmt: skip

    a, b = spans["forecast-clinic"]
    stage = b - a
    workers = [r for r in sampler.roots if r.endswith("nanny")]
    worker_cpu = sum(sampler.cpu_between(r, a, b) for r in workers)
    flow_cpu = sampler.cpu_between("flow", a, b)
    sched_cpu = sampler.cpu_between("scheduler", a, b)
    per_series = worker_cpu / n_series
    per_task_flow = flow_cpu / n_tasks
    other = flow - stage  # every other stage and the flow-side work: on the flow's machine
    print(f"\nforecast stage: {stage:.1f} s wall; worker CPU {worker_cpu:.1f} s = "
          f"{per_series * 1000:.0f} CPU-ms per series ({worker_cpu / stage:.2f} cores busy); "
          f"flow process CPU {flow_cpu:.1f} s = {per_task_flow * 1000:.0f} ms per clinic task; "
          f"scheduler CPU {sched_cpu:.1f} s")  # fmt: skip

    target = 10_000
    scale = target / args.clinics
    series = target * len(PROCEDURE_TYPES)
    floor = per_task_flow * target  # one flow process submits and gathers every task
    peak_flow = sampler.peak_sum["flow"] / 2**30
    peak_worker = max(sampler.peak_sum[r] for r in workers) / 2**20
    print(f"\nprojection to {target:,} clinics ({series:,} series). Assumptions: every worker "
          f"core costs {per_series:.3f} CPU-s per series as measured here; the flow process's "
          f"{per_task_flow * 1000:.0f} ms per clinic task is serial (a floor of "
          f"{floor / 60:.1f} min on the forecast stage); everything else ({other:.0f} s here: "
          f"ingest, demand and staffing, report, flow-side work) runs on the flow's machine "
          f"and grows linearly (x{scale:.0f}); scheduler and Prefect server keep up; a cold "
          "run (no cache, no warm start).")  # fmt: skip
    for n in (2, 8, 32, 128):
        forecast = max(series * per_series / n, floor)
        total = forecast + other * scale
        print(f"  {n:>4} single-core workers: forecasts {forecast / 60:6.1f} min + the rest "
              f"{other * scale / 60:5.1f} min = {total / 60:6.1f} min")  # fmt: skip
    print(f"  memory: a worker runs one clinic task at a time, so its peak ({peak_worker:.0f} MB "
          f"with its nanny) does not grow with the network; the flow process tree peaked at "
          f"{peak_flow:.2f} GB, about {peak_flow * scale:.0f} GB at x{scale:.0f} if it grows "
          "linearly")  # fmt: skip


if __name__ == "__main__":
    main()
