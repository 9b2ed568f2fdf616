"""Backtest accuracy: the leaderboards on the demo clinics and on the public CO2 set, and
whether ``auto`` and ``ensemble`` beat seasonal naive and default Prophet on mean MASE.

    .venv/bin/python benchmarks/backtest_accuracy.py [--workers 2] [--out backtests]

Both backtests use the defaults of ``lymphcast backtest``: every candidate model of
lymphcast.toml's [model] section plus auto and ensemble, 13-week windows, 8 scored folds (+1
selection fold), one-step naive MASE scale, 200 paths, seed 0. The series are described in
benchmarks/backtest_data.py (demo: 6 clinics x 5 procedure types; public: Mauna Loa weekly
CO2 in ten 4-year segments). With ``--out`` the full outputs are written per set.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from backtest_data import co2_segments, demo_series

from forecasting.backtest import format_leaderboard, run_backtest, write_backtest
from forecasting.config import ModelConfig

BARS = ("seasonal_naive", "prophet")


def main() -> None:
    parser = argparse.ArgumentParser(description="backtest accuracy benchmark")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, default=None, help="write outputs under this dir")
    args = parser.parse_args()
    config = ModelConfig()
    models = [*config.candidates, "auto", "ensemble"]
    verdicts = []
    for name, series in (("demo", demo_series()), ("public co2", co2_segments())):
        result = run_backtest(series, models=models, config=config, workers=args.workers)
        print(f"\n== {name} ==")
        print(format_leaderboard(result))
        if args.out is not None:
            write_backtest(result, args.out / name.replace(" ", "_"))
        mase = result.leaderboard.set_index("model")["mase"]
        for meta in ("auto", "ensemble"):
            beaten = all(mase[meta] < mase[bar] for bar in BARS)
            verdicts.append(
                f"{name:<11} {meta:<9} MASE {mase[meta]:.3f} vs seasonal naive "
                f"{mase['seasonal_naive']:.3f}, prophet {mase['prophet']:.3f}: "
                f"{'beats both' if beaten else 'DOES NOT beat both'}"
            )
    print("\n" + "\n".join(verdicts))
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
