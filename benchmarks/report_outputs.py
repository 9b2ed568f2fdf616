"""What publishing the weekly report costs: words, charts (HTML), PDF and XLSX, and their sizes.

Builds the demo network (6 clinics, 4 years), forecasts it with the seasonal-naive model (the
report's cost does not depend on the model), then times each output of the report
``--repeat`` times and prints the median, with each output's size.

Usage: ``.venv/bin/python benchmarks/report_outputs.py [--clinics 6] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from forecasting import pipeline  # noqa: E402
from forecasting.config import Config  # noqa: E402
from forecasting.demo import generate_demo  # noqa: E402
from forecasting.exports import write_pdf, write_staffing_xlsx  # noqa: E402
from forecasting.ingest import ingest, load_processed, write_processed  # noqa: E402
from forecasting.report import ReportData, build_view, render_html  # noqa: E402

AS_OF = date(2026, 11, 23)


def _median_seconds(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds (CPU time is steadier on a shared, loaded machine)."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clinics", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    config = Config.model_validate({"model": {"name": "seasonal_naive"}})
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate_demo(root / "raw", clinics=args.clinics, years=4, seed=0, end=AS_OF)
        ingested = ingest(root / "raw", config.ingest, AS_OF)
        write_processed(ingested, root / "processed")
        inputs = pipeline.cut_inputs(*load_processed(root / "processed"), as_of=AS_OF)
        histories = pipeline.procedure_histories(inputs)
        forecasts = {k: pipeline.forecast_one(k, h, config) for k, h in histories.items()}
        result = pipeline.assemble(inputs, histories, forecasts, config)
        data = ReportData(
            as_of=AS_OF,
            iso_week=pipeline.iso_week_label(AS_OF),
            procedures_history=inputs.procedures,
            sessions_history=inputs.sessions,
            forecast=result.forecast,
            committed=result.committed,
            staffing=result.staffing,
            models=result.models,
            ingest=ingested.manifest["files"],
            settings={"service_level": 0.8, "horizon_weeks": config.horizon_weeks},
            options=config.report,
        )
        out = root / "out"
        out.mkdir()
        view = build_view(data)
        rows = [
            ("view (words, no charts)", lambda: build_view(data), None),
            ("index.html (with charts)", lambda: render_html(build_view(data)), None),
            (
                "report.pdf (charts drawn)",
                lambda: write_pdf(out / "report.pdf", view),
                "report.pdf",
            ),
            (
                "staffing.xlsx",
                lambda: write_staffing_xlsx(out / "staffing.xlsx", view, data.staffing, AS_OF),
                "staffing.xlsx",
            ),
        ]
        html_size = len(render_html(view).encode())
        print(
            f"report outputs for {args.clinics} clinics, {config.horizon_weeks}-week horizon, "
            f"median of {args.repeat} (load average {os.getloadavg()[0]:.1f} on "
            f"{os.cpu_count()} cores)"
        )
        print(f"  {'output':<28} {'wall':>8} {'cpu':>8} {'size':>12}")
        for name, fn, file in rows:
            seconds, cpu = _median_seconds(fn, args.repeat)
            size = html_size if file is None and "html" in name else None
            if file is not None:
                size = (out / file).stat().st_size
            shown = f"{size / 1024:8.0f} KiB" if size else " " * 12
            print(f"  {name:<28} {seconds:6.2f} s {cpu:6.2f} s {shown}")


if __name__ == "__main__":
    main()
