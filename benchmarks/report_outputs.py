"""What publishing the weekly report costs: words, charts (in-process and in worker processes),
HTML, PDF, XLSX and the whole ``write_outputs``, with each output's size.

Builds the demo network (``--clinics``, 4 years), forecasts it with the seasonal-naive model
(the report's cost does not depend on the model), then times each step ``--repeat`` times and
prints the median wall and CPU seconds. CPU counts this process and, for the "charts, pool"
row, its worker processes (``write_outputs`` forks its workers from a fork server, whose CPU
time is not counted: that row's CPU is this process only, marked ``*``). On a machine shared
with other work CPU time is the steadier figure.

Usage: ``.venv/bin/python benchmarks/report_outputs.py [--clinics 6] [--repeat 3] [--workers 2]``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from forecasting import week as pipeline  # noqa: E402
from forecasting.calendar import iso_week_label  # noqa: E402
from forecasting.config import Config  # noqa: E402
from forecasting.demo import generate_demo  # noqa: E402
from forecasting.ingest import ingest, load_processed, write_processed  # noqa: E402
from forecasting.ingest.result import IngestResult  # noqa: E402
from forecasting.layout import DataLayout  # noqa: E402
from forecasting.report import (  # noqa: E402
    ReportData,
    ReportSettings,
    build_view,
    draw_charts,
    publish_week,
    render_html,
    write_pdf,
    write_staffing_xlsx,
)

AS_OF = date(2026, 11, 23)


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _median_seconds(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), _cpu()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(_cpu() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def _pool_draw(view: object, workers: int) -> object:
    """Charts drawn by a fresh pool of ``workers`` processes (start-up included). Spawned, not
    forked from a fork server as in ``write_outputs``, so that their CPU time counts here."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return draw_charts(view, pool)  # type: ignore[arg-type]


class DemoReport(NamedTuple):
    """A demo network's week: what publish_week takes, and the report data built from it."""

    config: Config
    inputs: pipeline.WeeklyInputs
    result: pipeline.WeeklyResult
    ingested: IngestResult
    data: ReportData


def demo_report_data(root: Path, clinics: int) -> DemoReport:
    """The week of a seeded demo network of ``clinics`` built under ``root``, forecast with
    seasonal naive (the report's size and speed do not depend on the model)."""
    config = Config.model_validate({"model": {"name": "seasonal_naive"}})
    generate_demo(root / "raw", clinics=clinics, years=4, seed=0, end=AS_OF)
    ingested = ingest(root / "raw", config.ingest, AS_OF)
    write_processed(ingested, root / "processed")
    inputs = pipeline.cut_inputs(*load_processed(root / "processed"), as_of=AS_OF)
    result = pipeline.run_week(inputs, config)
    data = ReportData(
        as_of=AS_OF,
        iso_week=iso_week_label(AS_OF),
        procedures_history=inputs.procedures,
        sessions_history=inputs.sessions,
        forecast=result.forecast,
        committed=result.committed,
        staffing=result.staffing,
        models=result.models,
        ingest=ingested.manifest.records(),
        settings=ReportSettings(service_level=0.8, horizon_weeks=config.horizon_weeks),
        options=config.report,
    )
    return DemoReport(config, inputs, result, ingested, data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clinics", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config, inputs, result, ingested, data = demo_report_data(root, args.clinics)
        out = root / "out"
        out.mkdir()
        view = build_view(data)
        drawn = draw_charts(view)
        charts = sum(c.draw is not None for clinic in view.clinics for c in clinic.charts)
        pooled = config.model_copy(
            update={"report": config.report.model_copy(update={"chart_workers": args.workers})}
        )

        def publish(cfg: Config) -> Callable[[], object]:
            layout = DataLayout(processed=root / "processed", reports=root / "reports")
            return lambda: publish_week(layout, inputs, result, cfg, ingested.manifest)

        one = config.model_copy(
            update={"report": config.report.model_copy(update={"chart_workers": 1})}
        )
        # (step, what it runs, the file whose size to show, CPU of this process only)
        rows = [
            ("view (words, no charts)", lambda: build_view(data), None, False),
            (f"charts ({charts}), in-process", lambda: draw_charts(build_view(data)), None, False),
            (
                f"charts, pool of {args.workers}",
                lambda: _pool_draw(build_view(data), args.workers),
                None,
                False,
            ),
            ("index.html (charts drawn)", lambda: render_html(drawn), "index.html", False),
            (
                "report.pdf (charts drawn)",
                lambda: write_pdf(out / "report.pdf", drawn),
                "report.pdf",
                False,
            ),  # fmt: skip
            (
                "staffing.xlsx",
                lambda: write_staffing_xlsx(out / "staffing.xlsx", drawn, data.staffing, AS_OF),
                "staffing.xlsx",
                False,
            ),
            ("write_outputs, chart_workers=1", publish(one), None, False),
            (f"write_outputs, chart_workers={args.workers}", publish(pooled), None, True),
        ]
        html_size = len(render_html(drawn).encode())
        print(
            f"report outputs for {args.clinics} clinics, {config.horizon_weeks}-week horizon, "
            f"median of {args.repeat} (load average {os.getloadavg()[0]:.1f} on "
            f"{os.cpu_count()} cores)"
        )
        print(f"  {'step':<34} {'wall':>8} {'cpu':>8} {'size':>13}")
        for name, fn, file, main_only in rows:
            seconds, cpu = _median_seconds(fn, args.repeat)
            size = html_size if file == "index.html" else None
            if file is not None and file != "index.html":
                size = (out / file).stat().st_size
            shown = f"{size / 1024:8.0f} KiB" if size else " " * 12
            mark = "*" if main_only else " "
            print(f"  {name:<34} {seconds:6.2f} s {cpu:6.2f} s{mark}{shown}", flush=True)
        print(f"  (load average {os.getloadavg()[0]:.1f} at the end)")


if __name__ == "__main__":
    main()
