"""Session-demand accuracy and staffing decisions: lymphcast vs the alternatives, on replays.

Generates demo exports whose true care pathways and uptake differ from the configured defaults
(the pipeline is not told), ingests them, and replays past cut-offs with only the data known
then (``forecasting.backtest.staffing.run_staffing_backtest``). Prints, per method:

- MASE of the p50 session forecast (scaled by the in-sample mean absolute week-on-week change);
- coverage of the p10..p90 interval, and the share of weeks at or below ``sessions_target``;
- staffing decisions: shortage hours, idle hours and cost per clinic-week.

Two references come from the demo generator's truth:

- ``truth (hindsight)``: the demo's expected sessions, which use the procedures that were
  really performed after the cut-off (no forecast made at the cut-off can know them);
- ``truth (at cut-off)``: the best forecast possible at the cut-off: the same expectation with
  the procedures performed after the cut-off replaced by their true expected volume.

The row ``lymphcast, true procedure rates`` runs the same pipeline with the procedure forecasts
replaced by Poisson paths around the true expected volumes: the gap between it and
``lymphcast`` is what the procedure forecasts cost, the rest is the demand model's own error.

Usage: ``.venv/bin/python benchmarks/demand_accuracy.py [--seeds 0,1,2] [--folds 12] [--step 4]``
(with several seeds it prints each seed's table, then the table over all of them).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from forecasting import columns as C  # noqa: E402
from forecasting.backtest.staffing import costs, run_staffing_backtest  # noqa: E402
from forecasting.config import Config, IngestConfig, Pathway, default_pathways  # noqa: E402
from forecasting.demand.pathways import padded_weights  # noqa: E402
from forecasting.demo import SESSION_CANCEL_SHARE, generate_demo  # noqa: E402
from forecasting.ingest import ingest, load_bookings, load_processed, write_processed  # noqa: E402
from forecasting.models import SeriesForecast  # noqa: E402

# True pathways of the benchmark data: other uptakes and shapes than lymphcast.toml's.
TRUE_PATHWAYS = {
    "liposuction": Pathway(
        uptake=0.7, sessions_by_week=[0.5, 2.0, 2.5, 2.0, 1.5, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5]
    ),
    "abdominoplasty": Pathway(uptake=0.45, sessions_by_week=[1.5, 3.5, 3.0, 2.0, 1.0, 0.5, 0.5]),
    "bbl": Pathway(uptake=0.8, sessions_by_week=[1.0, 3.0, 3.0, 2.5, 2.0, 1.5, 1.0, 1.0, 0.5, 0.5]),
    "breast_reduction": Pathway(uptake=0.2, sessions_by_week=[1.0, 2.0, 2.0, 1.0, 0.5]),
}
END = date(2026, 1, 5)  # a Monday: every week of the history is complete


def conditional_truth(
    truth: pd.DataFrame, procedures: pd.DataFrame, clinic: str, weeks: pd.DatetimeIndex
) -> np.ndarray:
    """Expected sessions given the procedures before ``weeks[0]`` and true rates after it.

    The demo's expectation convolves realised procedures with the true weights (x the
    attended-or-no-show share); replacing the realised procedures of the forecast weeks by
    their expected volume subtracts (realised - expected) x weights from it.
    """
    merged = {**default_pathways(), **TRUE_PATHWAYS}
    lags = max(len(p.sessions_by_week) for p in merged.values())
    weights = padded_weights(merged, lags) * (1 - SESSION_CANCEL_SHARE)
    rows = truth.loc[truth[C.CLINIC] == clinic].set_index(C.WEEK).reindex(weeks)
    rates = rows[[f"expected_procedures_{p}" for p in C.PROCEDURE_TYPES]].to_numpy()
    done = (
        procedures.loc[procedures[C.CLINIC] == clinic]
        .pivot_table(index=C.WEEK, columns=C.PROCEDURE, values=C.COMPLETED, aggfunc="sum")
        .reindex(index=weeks, columns=list(C.PROCEDURE_TYPES))
        .fillna(0.0)
        .to_numpy()
    )
    out = rows["expected_sessions"].to_numpy(dtype=float).copy()
    for h in range(len(weeks)):
        for s in range(max(0, h - lags + 1), h + 1):
            out[h] -= (done[s] - rates[s]) @ weights[:, h - s]
    return out


def _with_oracles(weeks: pd.DataFrame, truth: pd.DataFrame, procedures: pd.DataFrame):
    """``weeks`` plus the two truth references per clinic-week (columns hindsight, at_cutoff)."""
    out = weeks.merge(
        truth[[C.CLINIC, C.WEEK, "expected_sessions"]], on=[C.CLINIC, C.WEEK], how="left"
    ).rename(columns={"expected_sessions": "hindsight"})
    keys = out[["cutoff", C.CLINIC]].drop_duplicates()
    parts = []
    for cutoff, clinic in keys.itertuples(index=False):
        weeks_ = pd.date_range(cutoff, periods=len(weeks["horizon"].unique()), freq="W-MON")
        parts.append(
            pd.DataFrame(
                {
                    "cutoff": cutoff,
                    C.CLINIC: clinic,
                    C.WEEK: weeks_,
                    "at_cutoff": conditional_truth(truth, procedures, clinic, weeks_),
                }
            )
        )
    return out.merge(pd.concat(parts), on=["cutoff", C.CLINIC, C.WEEK], how="left")


def _mase(frame: pd.DataFrame, point: str) -> float:
    err = frame.assign(e=(frame["actual"] - frame[point]).abs())
    per = err.groupby(["seed", "cutoff", C.CLINIC]).agg(mae=("e", "mean"), s=("scale", "first"))
    return float((per["mae"] / per["s"]).mean())


def run_seed(seed: int, args: argparse.Namespace, config: Config) -> tuple[pd.DataFrame, list]:
    """Demo data for ``seed``, replays, and the truth references: one row per clinic-week."""
    with tempfile.TemporaryDirectory() as tmp:
        raw, processed = Path(tmp) / "raw", Path(tmp) / "processed"
        demo = generate_demo(
            raw, clinics=args.clinics, years=args.years, seed=seed, end=END,
            pathways=TRUE_PATHWAYS,
        )  # fmt: skip
        write_processed(ingest(raw, IngestConfig(), END), processed)
        procedures, sessions, roster = load_processed(processed)
        bookings = load_bookings(processed)
    common = {"bookings": bookings, "folds": args.folds, "step": args.step}
    bt = run_staffing_backtest(procedures, sessions, roster, config, **common)
    # The same pipeline fed the true expected procedure volumes (Poisson paths) instead of
    # procedure forecasts: what is left of the error is the demand model's own.
    rates = demo.truth.set_index([C.CLINIC, C.WEEK])

    def true_rates(key, history, cfg) -> SeriesForecast:
        start = history[C.DS].iloc[-1] + pd.Timedelta(weeks=1)
        weeks = pd.date_range(start, periods=cfg.horizon_weeks, freq="W-MON")
        mean = rates.loc[key[0]].reindex(weeks)[f"expected_procedures_{key[1]}"].fillna(0.0)
        rng = np.random.default_rng([seed, len(history)])
        paths = rng.poisson(mean.to_numpy(), size=(cfg.n_paths, len(weeks))).astype(float)
        return SeriesForecast(paths, "true_rates", None, 0.0)

    known = run_staffing_backtest(
        procedures, sessions, roster, config, methods=["lymphcast"], forecast=true_rates, **common
    )
    both = pd.concat(
        [bt.weeks, known.weeks.assign(method="lymphcast, true procedure rates")],
        ignore_index=True,
    )
    return _with_oracles(both, demo.truth, procedures).assign(seed=seed), bt.cutoffs


def summarise(weeks: pd.DataFrame) -> pd.DataFrame:
    """Per method: MASE of p50, coverage, share at or below target, decisions per clinic-week."""
    rows = []
    for method, g in weeks.groupby("method", sort=False):
        has_q = g[C.P10].notna().any()
        has_t = g["sessions_target"].notna().any()
        rows.append(
            {
                "method": method,
                "mase": _mase(g, C.P50) if g[C.P50].notna().any() else np.nan,
                "coverage_80": g["actual"].between(g[C.P10], g[C.P90]).mean() if has_q else np.nan,
                "at_or_below": (g["actual"] <= g["sessions_target"]).mean() if has_t else np.nan,
                "shortage": g["shortage_hours"].mean(),
                "idle": g["idle_hours"].mean(),
                "cost": g["cost"].mean(),
            }
        )
    mine = weeks.loc[weeks["method"] == "lymphcast"]
    for name, col in (("truth (at cut-off)", "at_cutoff"), ("truth (hindsight)", "hindsight")):
        rows.append({"method": name, "mase": _mase(mine, col)})
    return pd.DataFrame(rows).set_index("method")


def print_table(summary: pd.DataFrame, level: float) -> None:
    header = (
        f"{'method':<34}{'MASE p50':>9}{'cover 80%':>10}{'<= target':>10}"
        f"{'short h':>9}{'idle h':>8}{'cost':>8}"
    )
    print(header)
    print("-" * len(header))
    for method, r in summary.iterrows():
        cells = [f"{method:<34}", f"{r.mase:>9.3f}" if pd.notna(r.mase) else f"{'-':>9}"]
        cells += [f"{_pct(r.coverage_80):>10}", f"{_pct(r.at_or_below):>10}"]
        if pd.notna(r.cost):
            cells.append(f"{r.shortage:>9.1f}{r.idle:>8.1f}{r.cost:>8.1f}")
        print("".join(cells))
    ours = summary.loc["lymphcast", "mase"]
    bars = [
        ("MASE >= 15% below Prophet on sessions",
         1 - ours / summary.loc["prophet_sessions", "mase"], 0.15, "min"),
        ("MASE within 10% of truth (at cut-off)",
         ours / summary.loc["truth (at cut-off)", "mase"] - 1, 0.10, "max"),
        ("MASE within 10% of truth (hindsight)",
         ours / summary.loc["truth (hindsight)", "mase"] - 1, 0.10, "max"),
        ("p10..p90 coverage in 75..85%", summary.loc["lymphcast", "coverage_80"], None, "range"),
        (f"share <= target within 5 points of {level:g}",
         summary.loc["lymphcast", "at_or_below"] - level, 0.05, "abs"),
    ]  # fmt: skip
    print()
    for name, value, bar, kind in bars:
        if kind == "min":
            ok, shown = value >= bar, f"{value:+.1%} (bar {bar:.0%})"
        elif kind == "max":
            ok, shown = value <= bar, f"{value:+.1%} (bar +{bar:.0%})"
        elif kind == "range":
            ok, shown = 0.75 <= value <= 0.85, f"{value:.1%}"
        else:
            ok, shown = abs(value) <= bar, f"{value * 100:+.1f} points"
        print(f"{'PASS' if ok else 'MISS'}  {name}: {shown}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="0", help="comma-separated demo seeds, e.g. 0,1,2")
    parser.add_argument("--clinics", type=int, default=6)
    parser.add_argument("--years", type=int, default=4)
    parser.add_argument("--folds", type=int, default=12)
    parser.add_argument("--step", type=int, default=4)
    args = parser.parse_args()
    config = Config()
    level = config.staffing.target_quantile
    seeds = [int(s) for s in args.seeds.split(",")]
    started = time.perf_counter()
    frames, cutoffs = [], []
    for seed in seeds:
        weeks, cutoffs = run_seed(seed, args, config)
        frames.append(weeks)
        if len(seeds) > 1:
            print(f"== seed {seed}")
            print_table(summarise(weeks), level)
            print()
    elapsed = time.perf_counter() - started
    weeks = pd.concat(frames, ignore_index=True)
    per_method = len(weeks) // weeks["method"].nunique()
    c_short, c_idle = costs(config)
    print(
        f"== {'all seeds' if len(seeds) > 1 else f'seed {seeds[0]}'}: demo seed(s) {args.seeds}, "
        f"{args.clinics} clinics, {args.years} years to {END}, true pathways and uptake differ "
        f"from the configured ones; {len(cutoffs)} replays per seed ({cutoffs[0].date()} .. "
        f"{cutoffs[-1].date()}, every {args.step} weeks), {config.horizon_weeks}-week horizon, "
        f"{config.n_paths} paths; {per_method} clinic-weeks per method"
    )
    print(
        f"costs per therapist-hour: short {c_short:g}, idle {c_idle:g} (implied by service level "
        f"{level:g}); hours rounded to {config.staffing.block_hours:g}-hour blocks; short h, "
        "idle h and cost are means per clinic-week\n"
    )
    print_table(summarise(weeks), level)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"\n{elapsed:.0f} s for {len(seeds)} seed(s) x {len(cutoffs)} replays "
        f"({elapsed / len(seeds) / len(cutoffs):.1f} s per replay incl. data); "
        f"{os.cpu_count()} CPUs, load average {load:.2f}"
    )


def _pct(x: float) -> str:
    return "-" if pd.isna(x) else f"{x:.1%}"


if __name__ == "__main__":
    main()
