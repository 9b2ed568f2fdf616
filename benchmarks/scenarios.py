"""What a what-if scenario costs next to the weekly run it re-plans (issue 15's bar: <= 10%).

    .venv/bin/python benchmarks/scenarios.py                 # 200 clinics, the default model
    .venv/bin/python benchmarks/scenarios.py --clinics 20 --model seasonal_naive

Generates the seeded demo network, ingests it (not timed), then times in one process: the
base week (``run_week``: every procedure fit, then demand and staffing) and each of the shipped
example scenarios (``run_scenario``: checked, applied, the week assembled again on the run's
own paths; no fit), and next week's shift plan. Prints each scenario's seconds and its share
of the base week's. The base week here is the library's computation, without Prefect and the
report, so the share is an upper bound of the share of a whole ``lymphcast weekly``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import date
from pathlib import Path

from forecasting import week
from forecasting.config import load_config
from forecasting.demo import generate_demo
from forecasting.ingest import ingest, load_processed, write_processed
from forecasting.planning.scenarios import run_scenario
from forecasting.planning.shifts import clinic_weeks, plan_shifts

ROOT = Path(__file__).resolve().parents[1]
AS_OF = date(2025, 6, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clinics", type=int, default=200)
    parser.add_argument("--model", default=None, help="[model] name (default: lymphcast.toml's)")
    args = parser.parse_args()
    config = load_config(ROOT / "lymphcast.toml")
    if args.model:
        config = config.model_copy(
            update={"model": config.model.model_copy(update={"name": args.model})}
        )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate_demo(root / "raw", clinics=args.clinics, years=4, seed=0, end=AS_OF)
        write_processed(ingest(root / "raw", config.ingest, AS_OF), root / "processed")
        inputs = week.cut_inputs(*load_processed(root / "processed"), as_of=AS_OF)
        histories = inputs.histories()
        start = time.perf_counter()
        prior = week.run_prior(config.model, histories)
        forecasts = {}
        for keys in week.by_clinic(histories).values():
            mine = {k: histories[k] for k in keys}
            forecasts.update(week.forecast_clinic(mine, config, None, prior))
        fitted = time.perf_counter()
        base = week.assemble(inputs, forecasts, config)
        done = time.perf_counter()
        total = done - start
        print(f"{args.clinics} clinics, {len(forecasts)} series, model {config.model.name}, "
              f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")  # fmt: skip
        print(f"  base week: {total:.1f} s (fits {fitted - start:.1f} s, demand and staffing "
              f"{done - fitted:.1f} s)")  # fmt: skip
        for name, scenario in config.scenarios.items():
            t0 = time.perf_counter()
            run_scenario(name, scenario, inputs, forecasts, config, base=base)
            took = time.perf_counter() - t0
            print(f"  scenario {name}: {took:.1f} s = {100 * took / total:.1f}% of the base week")
        t0 = time.perf_counter()
        first = inputs.forecast_weeks(1)[0].date()
        plan_shifts(clinic_weeks(inputs.roster, base.staffing, first), config.shifts)
        print(f"  next week's shift plan: {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
