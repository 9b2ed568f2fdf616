"""What a warm start buys: next week's Prophet fits from this week's parameters vs cold.

    .venv/bin/python benchmarks/warm_start.py              # 30 clinics = 150 series
    .venv/bin/python benchmarks/warm_start.py --clinics 10

Generates a demo network (seeded), fits every series with data to the cut-off, then refits the
same series with one more week of data twice, cold and warm-started, in one process (same
design-matrix cache for both). Prints the CPU time per series (this process's Python and the
cmdstan optimiser it runs as a child), and how far the warm forecasts are from the cold ones:
the gap between the two paths' medians as a share of the cold p10-p90 spread, per series and
horizon week.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from forecasting import week as pipeline
from forecasting.config import Config
from forecasting.demo import generate_demo
from forecasting.ingest import ingest, load_bookings, load_processed, write_processed

AS_OF = date(2025, 6, 2)


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clinics", type=int, default=30)
    args = parser.parse_args()
    config = Config()
    with tempfile.TemporaryDirectory() as tmp:
        raw, processed = Path(tmp) / "raw", Path(tmp) / "processed"
        generate_demo(raw, clinics=args.clinics, seed=0, end=AS_OF + timedelta(days=28))
        write_processed(ingest(raw, config.ingest, AS_OF), processed)
        frames = load_processed(processed)
        bookings = load_bookings(processed)

        def histories(as_of: date) -> dict:
            inputs = pipeline.cut_inputs(*frames, as_of=as_of, bookings=bookings)
            return inputs.histories()

        last_week, this_week = histories(AS_OF), histories(AS_OF + timedelta(days=7))
    keys = sorted(last_week)
    states = {k: pipeline.forecast_one(k, last_week[k], config).warm_state for k in keys}
    print(f"{len(keys)} series, {sum(s is not None for s in states.values())} fitted by Prophet")
    results = {}
    for label in ("cold", "warm", "cold", "warm"):  # twice, alternating, for the noise
        own0, child0 = _cpu()
        started = time.perf_counter()
        out = {
            k: pipeline.forecast_one(
                k, this_week[k], config, warm_start=states[k] if label == "warm" else None
            )
            for k in keys
        }
        wall = time.perf_counter() - started
        own1, child1 = _cpu()
        n = len(keys)
        python_ms, cmdstan_ms = (own1 - own0) / n * 1000, (child1 - child0) / n * 1000
        print(
            f"{label}: {wall / n * 1000:5.1f} ms wall per series, CPU {python_ms:5.1f} ms "
            f"Python + {cmdstan_ms:4.1f} ms cmdstan; "
            f"{sum(f.warm_started for f in out.values())} warm-started"
        )
        results[label] = out
    cold, warm = results["cold"], results["warm"]
    shares = []
    for k in keys:
        if not warm[k].warm_started:
            continue
        spread = np.quantile(cold[k].paths, 0.9, axis=0) - np.quantile(cold[k].paths, 0.1, axis=0)
        gap = np.abs(np.median(warm[k].paths, axis=0) - np.median(cold[k].paths, axis=0))
        shares.append(gap / np.maximum(spread, 1e-9))
    share = np.concatenate(shares)
    print(
        "warm vs cold median gap / cold p10-p90 spread: "
        f"median {np.median(share):.1%}, 90th percentile {np.quantile(share, 0.9):.1%}, "
        f"max {share.max():.1%}"
    )


if __name__ == "__main__":
    main()
