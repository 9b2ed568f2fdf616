"""Scale benchmark of `lymphcast weekly` as users run it, on a generated network of clinics.

    .venv/bin/python benchmarks/scale.py                   # 200 clinics x 5 procedure types
    .venv/bin/python benchmarks/scale.py --server          # also against `prefect server start`
    .venv/bin/python benchmarks/scale.py --clinics 20      # a quick look

Generates demo exports once (not timed; kept in --workdir for later runs), then runs plain
`lymphcast weekly` in a subprocess, as the README says (default configuration from
lymphcast.toml, no PREFECT_API_URL: the command starts Prefect's temporary server itself, on a
Prefect home whose database exists, as on any Monday after the first), four times:

1. cold: empty processed/reports/cache directories;
2. warm: the same inputs again (the command finds its run stamp and does not start Prefect);
3. warm, Prefect cache: the same with the run stamp deleted (Prefect starts; every task is a
   cache hit on the persisted results);
4. next week: ``--as-of`` one week later (one more week of data: changed series refit).

Each run's wall time, the peak memory of its process tree (RSS summed over the process and
its descendants, sampled every 0.2 s), the CPU seconds of the tree (children reaped by the
run) and the time between the command's progress lines (start-up, Prefect's server and
ingest, loading, forecasts, demand/staffing and report, shutdown) are printed, and the table
is written to ``benchmarks/results/scale-<clinics>.md``.

With ``--server`` the same four runs follow against a pre-started `prefect server start`
(start-up printed, not counted: the figure of a machine that keeps a server running); for
those, the time inside each task is read back from the Prefect API. Orchestration overhead is
the flow run's wall time minus the union of the intervals during which some task was running;
the issue's stricter reading (flow wall minus time inside model fits and report rendering) is
printed too, and a projection for 10,000 series on a Dask cluster of N workers follows from the
measured per-series cost."""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.scale_server import (  # noqa: E402
    last_run_stats,
    prefect_server,
    print_task_stats,
    projection,
)
from flows.environment import QUIET_SERVER_ENV  # noqa: E402
from forecasting.columns import PROCEDURE_TYPES  # noqa: E402

AS_OF = date(2025, 6, 2)


def _data(workdir: Path, clinics: int, services: tuple[str, ...] = ("mld",)) -> Path:
    from forecasting import demo
    from forecasting.demo import world

    # The CLI caps `lymphcast demo --clinics` at 500; a benchmark may ask for more.
    world.MAX_CLINICS = max(world.MAX_CLINICS, clinics)
    raw = workdir / (f"raw-{clinics}" + ("" if services == ("mld",) else "-" + "-".join(services)))
    if not (raw / ".complete").exists():
        shutil.rmtree(raw, ignore_errors=True)
        started = time.perf_counter()
        result = demo.generate_demo(
            raw, clinics=clinics, seed=0, end=AS_OF + timedelta(days=28), services=services
        )
        (raw / ".complete").write_text("")
        print(f"generated {len(result.files)} exports, {sum(result.rows.values()):,} rows "
              f"in {time.perf_counter() - started:.0f} s (not counted)")  # fmt: skip
    size = sum(p.stat().st_size for p in raw.iterdir()) / 1e6
    print(f"raw exports: {raw} ({size:,.0f} MB)")
    return raw


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


# (stage, the progress line of `lymphcast weekly` that ends it); a cached ingest logs nothing,
# so Prefect's start-up, ingest and loading are one stage.
STAGES = (
    ("start-up", "lymphcast weekly: data cut-off"),
    ("server, ingest, load", "  forecasting "),
    ("forecasts", "  forecasts done"),
    ("demand, staffing, report", "done in "),
)


@dataclass
class Run:
    """One `lymphcast weekly`: wall s, peak GB of the process tree, CPU s, stage seconds."""

    wall: float
    peak: float
    cpu: float
    stages: dict[str, float] = field(default_factory=dict)


def _weekly(args: list[str], env: dict) -> Run:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "lymphcast", "weekly", *args],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    sampler = _PeakRss(proc.pid)
    sampler.start()
    assert proc.stderr is not None
    lines = [(time.perf_counter() - started, line) for line in proc.stderr]
    proc.wait()
    wall = time.perf_counter() - started
    sampler.stop.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 3):  # 3: completed with warnings (a clinic needs attention)
        sys.exit("weekly run failed:\n" + "".join(line for _, line in lines)[-3000:])
    stages, last = {}, 0.0
    for name, marker in STAGES:
        at = next((t for t, line in lines if line.startswith(marker)), None)
        if at is not None:
            stages[name], last = at - last, at
    stages["shutdown"] = wall - last
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return Run(wall, sampler.peak / 2**30, cpu, stages)


def _print_run(label: str, run: Run, stats: dict | None = None) -> None:
    stages = ", ".join(f"{k} {v:.1f}" for k, v in run.stages.items())
    print(f"\n{label}: {run.wall:.1f} s wall, peak memory {run.peak:.2f} GB, CPU {run.cpu:.0f} s "
          f"(process tree); stages (s): {stages}", flush=True)  # fmt: skip
    if stats is not None:
        print_task_stats(stats)


# "warm, Prefect cache": the same re-run with the run stamp deleted, so the command starts
# Prefect and the flow reuses every cached task (what a warm run cost before the stamp).
CACHED = "warm, Prefect cache"
RUNS = (("cold", AS_OF), ("warm", AS_OF), (CACHED, AS_OF), ("next week", AS_OF + timedelta(7)))


def _series(clinics: int) -> int:
    return clinics * len(PROCEDURE_TYPES)


def _runs(raw: Path, run_dir: Path, env: dict, task_runner: str | None, runs: tuple,
                api: str | None = None) -> dict[str, tuple[Run, dict | None]]:  # fmt: skip
    common = ["--raw", str(raw), "--processed", str(run_dir / "processed"),
              "--reports", str(run_dir / "reports")]  # fmt: skip
    if task_runner:
        common += ["--task-runner", task_runner]
    results = {}
    for label, as_of in runs:
        if label == CACHED:
            for stamp in (run_dir / "reports").glob(".*.run.json"):
                stamp.unlink()
        run = _weekly(["--as-of", as_of.isoformat(), *common], env)
        stats = last_run_stats(api) if api else None
        results[label] = (run, stats)
        _print_run(label, run, stats)
    return results


def _users_env(home: Path) -> dict:
    """The environment of a user's shell: no API URL, a Prefect home with a database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(home)
    if not (home / "prefect.db").is_file():  # a first run creates it: not a Monday's cost
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "prefect", "server", "database", "upgrade", "-y"],
                       env={**env, **QUIET_SERVER_ENV}, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)  # fmt: skip
        print(f"created Prefect's database in {home} in {time.perf_counter() - started:.0f} s "
              "(not counted)")  # fmt: skip
    return env


def _table(args: argparse.Namespace, users: dict, server: dict, loads: list[float]) -> str:
    from forecasting.config import load_config

    model = load_config(ROOT / "lymphcast.toml").model.name
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                            capture_output=True).stdout.strip()  # fmt: skip
    cold = users["cold"][0]
    lines = [
        f"# Scale: `lymphcast weekly` at {args.clinics} clinics ({_series(args.clinics):,} series)",
        "",
        f"`python benchmarks/scale.py --clinics {args.clinics}{' --server' if server else ''}`"
        f" at {commit} on {date.today().isoformat()}; model `{model}` (lymphcast.toml), "
        f"runner {args.task_runner or 'threads (default)'}; {os.cpu_count()} cores, load "
        f"average {loads[0]:.1f} before, {loads[1]:.1f} after.",
        "",
        "| run | wall | vs cold | CPU s | CPU vs cold | peak memory | stages (s) |"
        + (" pre-started server: wall | peak |" if server else ""),
        "|---|---|---|---|---|---|---|" + ("---|---|" if server else ""),
    ]
    for label, _ in RUNS:
        if label not in users:
            continue
        run = users[label][0]
        stages = "; ".join(f"{k} {v:.1f}" for k, v in run.stages.items())
        row = (f"| {label} | {run.wall:.1f} s | {run.wall / cold.wall:.0%} | {run.cpu:.0f} "
               f"| {run.cpu / cold.cpu:.0%} | {run.peak:.2f} GB | {stages} |")  # fmt: skip
        if server and label in server:
            other = server[label][0]
            row += f" {other.wall:.1f} s ({other.wall / server['cold'][0].wall:.0%}) | " \
                   f"{other.peak:.2f} GB |"  # fmt: skip
        lines.append(row)
    lines += ["", "Bars (issue 13.5): cold <= 90 s, warm <= 10% of cold, next week <= 60% of "
              "cold, peak memory <= 2 GB (process tree).", "",
              _summary(args.clinics, users, loads)]  # fmt: skip
    return "\n".join(lines) + "\n"


def _summary(clinics: int, users: dict, loads: list[float]) -> str:
    """One paste-ready line: each run's wall and CPU seconds and their ratio to cold's."""
    cold = users["cold"][0]
    parts = [f"cold {cold.wall:.1f} s wall / {cold.cpu:.0f} CPU-s (bar 90 s)"]
    for label, bar in (("warm", "10%"), (CACHED, ""), ("next week", "60%")):
        if label in users:
            run = users[label][0]
            parts.append(
                f"{label} {run.wall:.1f} s = {run.wall / cold.wall:.0%} / {run.cpu:.0f} CPU-s = "
                f"{run.cpu / cold.cpu:.0%}" + (f" (bar {bar})" if bar else "")
            )
    peak = max(r[0].peak for r in users.values())
    return (f"SUMMARY {clinics} clinics, load average {loads[0]:.1f} before / {loads[1]:.1f} "
            f"after: " + "; ".join(parts) + f"; peak {peak:.2f} GB (bar 2)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clinics", type=int, default=200)
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "lymphcast-scale"
    )
    parser.add_argument(
        "--task-runner", default=None, choices=["threads", "processes", "dask"],
        help="default: the configuration's (threads)",
    )  # fmt: skip
    parser.add_argument("--server", action="store_true",
                        help="also run against a pre-started `prefect server start`")  # fmt: skip
    parser.add_argument(
        "--services", default="mld",
        help="the demo's services, comma-separated (default mld: MLD-only, 5 procedure series a "
        "clinic, the network of the scale bars; mld,deep_tissue,post_injury: the three-service "
        "demo, 2 referral series a clinic more)",
    )  # fmt: skip
    parser.add_argument("--skip-next-week", action="store_true", help="only the cold and warm runs")
    parser.add_argument(
        "--out", type=Path, default=None, help="default benchmarks/results/scale-<clinics>.md"
    )
    args = parser.parse_args()
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    raw = _data(workdir, args.clinics, tuple(args.services.split(",")))
    runs = RUNS[: 3 if args.skip_next_week else 4]
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} cores, load average before the runs {load:.1f}")

    print("\n== `lymphcast weekly` as users run it (its own temporary Prefect server)")
    run_dir = workdir / "run-users"
    shutil.rmtree(run_dir, ignore_errors=True)
    env = _users_env(workdir / "prefect-home-users")
    users = _runs(raw, run_dir, env, args.task_runner, runs)
    out = args.out or ROOT / "benchmarks" / "results" / f"scale-{args.clinics}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(_table(args, users, {}, [load, os.getloadavg()[0]]), encoding="utf-8")

    server: dict = {}
    if args.server:
        print("\n== against a pre-started `prefect server start`")
        run_dir = workdir / "run-server"
        shutil.rmtree(run_dir, ignore_errors=True)
        run_dir.mkdir()
        with prefect_server(run_dir) as (api, env):
            server = _runs(raw, run_dir, env, args.task_runner, runs, api)
        cold_stats = server["cold"][1]
        projection(cold_stats, _series(args.clinics), os.cpu_count() or 1)

    loads = [load, os.getloadavg()[0]]
    print(f"\nload average after the runs {loads[1]:.1f}")
    print(_summary(args.clinics, users, loads))
    out.write_text(_table(args, users, server, loads), encoding="utf-8")  # with --server
    print(f"table: {out}")


if __name__ == "__main__":
    main()
