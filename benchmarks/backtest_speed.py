"""Backtest speed: lymphcast's Prophet backtest vs prophet.diagnostics.cross_validation, and
the full backtest of every model, on 100 weekly demo series x 8 folds.

    .venv/bin/python benchmarks/backtest_speed.py [--series 100] [--folds 8] [--workers 2]

1. Prophet only, same series, same cutoffs (13-week windows), same Prophet settings:
   - ``cross_validation(model, horizon="91 days", cutoffs=..., parallel="processes")`` per series
     (Prophet's documented way; a process pool per call). The full-history fit it needs first
     is timed separately and not counted.
   - ``run_backtest(models=["prophet"])``: one process pool for all series, each fold
     warm-started from the previous fold's fit, 200 sample paths per window (the two baselines
     it always adds cost about 1 ms a window).
   Accuracy: mean MASE over series (one-step naive scale of each window's training data) of
   cross_validation's ``yhat`` and of lymphcast's mean path.
2. Everything: all candidate models plus auto and ensemble, 8 scored folds plus 1 selection
   fold, against the 5-minute budget.

The 100 series are the demo clinics' completed-procedure series with at least 200 weeks
(4 years, so every fold fits Prophet rather than the short-series fallback).
"""

from __future__ import annotations

import argparse
import logging
import os
import time

import numpy as np
import pandas as pd

from forecasting.backtest import run_backtest
from forecasting.config import ModelConfig
from forecasting.metrics import mase_scale
from forecasting.models import ProphetModel
from forecasting.models.prophet import HOLIDAY_YEARS_AHEAD, weekly_holidays

HORIZON = 13

# cross_validation's pool workers import this script (forkserver preloads __main__) and would
# log every cmdstan run at INFO and Prophet's plotly notice; keep those off the console.
logging.getLogger("cmdstanpy").disabled = True
logging.getLogger("prophet.plot").disabled = True


def _series(n: int) -> pd.DataFrame:
    from backtest_data import demo_series

    frame = demo_series(clinics=max(6, n // 5 + 4))
    lengths = frame.groupby("unique_id").size()
    keep = lengths[lengths >= 200].index[:n]
    if len(keep) < n:
        raise SystemExit(f"only {len(keep)} demo series have 200 weeks; ask for fewer")
    return frame.loc[frame["unique_id"].isin(keep)].reset_index(drop=True)


def _cutoffs(ds: pd.Series, folds: int) -> list[pd.Timestamp]:
    n = len(ds)
    return [ds.iloc[n - HORIZON - (folds - 1 - k) * HORIZON - 1] for k in range(folds)]


def prophet_cross_validation(frame: pd.DataFrame, folds: int) -> tuple[float, float, float]:
    """Seconds of cross_validation (and of the initial fits), and its mean MASE."""
    from prophet.diagnostics import cross_validation

    settings = ModelConfig().prophet
    wrapper = ProphetModel(**settings.model_dump(), holiday_country="US")
    cv_seconds = fit_seconds = 0.0
    mases = []
    for _, g in frame.groupby("unique_id", sort=True):
        df = g[["ds", "y"]].reset_index(drop=True)
        first, last = df["ds"].iloc[0].year, df["ds"].iloc[-1].year
        holidays = weekly_holidays("US", first, last + HOLIDAY_YEARS_AHEAD)
        start = time.perf_counter()
        model = wrapper._build(holidays).fit(df)
        fit_seconds += time.perf_counter() - start
        cutoffs = _cutoffs(df["ds"], folds)
        start = time.perf_counter()
        cv = cross_validation(
            model,
            horizon=f"{HORIZON * 7} days",
            cutoffs=cutoffs,
            parallel="processes",
            disable_tqdm=True,
        )
        cv_seconds += time.perf_counter() - start
        series_mase = []
        for cutoff, window in cv.groupby("cutoff"):
            insample = df.loc[df["ds"] <= cutoff, "y"].to_numpy()
            error = np.mean(np.abs(window["y"].to_numpy() - window["yhat"].to_numpy()))
            series_mase.append(error / mase_scale(insample, 1))
        mases.append(np.nanmean(series_mase))
    return cv_seconds, fit_seconds, float(np.mean(mases))


def main() -> None:
    parser = argparse.ArgumentParser(description="backtest speed benchmark")
    parser.add_argument("--series", type=int, default=100)
    parser.add_argument("--folds", type=int, default=8)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--skip-cv", action="store_true", help="skip cross_validation")
    args = parser.parse_args()
    logging.getLogger("prophet").setLevel(logging.WARNING)
    frame = _series(args.series)
    n = frame["unique_id"].nunique()
    print(
        f"{n} demo series x {args.folds} folds x {HORIZON} weeks, {args.workers} workers, "
        f"{os.cpu_count()} cores, load average before: {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    ours = run_backtest(
        frame,
        models=["prophet"],
        horizon=HORIZON,
        folds=args.folds,
        selection_folds=0,
        workers=args.workers,
    )
    ours_seconds = ours.settings["wall_seconds"]
    ours_mase = ours.leaderboard.set_index("model").loc["prophet", "mase"]
    print(f"\n{'Prophet backtest, same series and cutoffs':<46}{'seconds':>9}{'MASE':>8}")
    print(
        f"{'lymphcast run_backtest (warm start + pool)':<46}{ours_seconds:>9.1f}{ours_mase:>8.3f}",
        flush=True,
    )
    if not args.skip_cv:
        cv_seconds, cv_fits, cv_mase = prophet_cross_validation(frame, args.folds)
        print(
            f"{'prophet cross_validation(parallel=processes)':<46}{cv_seconds:>9.1f}"
            f"{cv_mase:>8.3f}   (+{cv_fits:.1f} s initial fits, not counted)"
        )
        print(f"{'speed-up':<46}{cv_seconds / ours_seconds:>8.1f}x   (bar: 2x)", flush=True)
    print(f"load average now: {os.getloadavg()[0]:.1f}", flush=True)
    full = run_backtest(
        frame,
        models=[*ModelConfig().candidates, "auto", "ensemble"],
        horizon=HORIZON,
        folds=args.folds,
        workers=args.workers,
    )
    wall = full.settings["wall_seconds"]
    print(
        f"\nfull backtest: {len(full.settings['models'])} models (auto, ensemble included), "
        f"{n} series x {args.folds} folds (+1 selection fold): {wall:.1f} s (bar: 300 s)"
    )
    print(full.leaderboard[["model", "mase", "fit_seconds"]].round(3).to_string(index=False))
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
