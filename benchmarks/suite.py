"""Benchmark suite: the weekly run on random clinic networks it was never tuned on.

    python benchmarks/suite.py [--quick|--full] [--seeds dev|report] [--out DIR] [--workers 2]

Each seed is a network drawn by ``benchmarks/networks.py`` (5-30 clinics, growth, openings and
ramp-ups, level shifts, closures, random true care pathways, non-surgical share, no-shows,
holiday country, procedure names as real exports write them, with and without ``booked_on``
and scheduled rows). At each cut-off the exports as they stood that day are written, and the
weekly computation runs with the shipped ``lymphcast.toml`` (the default configuration) through
:func:`run_weekly`, without Prefect. Its ``sessions`` forecast is scored over the horizon
against the realised sessions, beside baselines fitted on the same weekly session counts:
Prophet (seasonal naive under 60 weeks of history, as forecasting/decision.py), statsmodels ETS
(``[model.ets]``; naive under 16 weeks or when the fit fails), seasonal naive, a 4-week moving
average, and the generator's expected demand at the cut-off.

Metrics per clinic and cut-off (forecasting/metrics.py): MASE of the p50 and pinball (p10, p50,
p90), both scaled by the clinic's in-sample one-step naive error of weekly sessions (as the
decision backtest); then per network, cut-off and clinic category (all, mature, young,
shifted): MASE and pinball averaged over clinics; WAPE of the p50 and bias of the mean (sum of
forecast minus actual over sum of actual) pooled over clinic-weeks; p10-p90 coverage and the
share of weeks at or under ``sessions_target`` (baselines: the ceiling of their paths' quantile
at the service level; moving average: the ceiling of its level). The tables average these over
networks and cut-offs (equal weight each).

Seeds: tune only on DEV_SEEDS; REPORT_SEEDS are for reporting and are never tuned on.
Outputs in ``--out`` (default ``benchmarks/results/suite-<seeds>-<mode>/``): ``networks.csv``
(per network and cut-off: structure, ingest figures, metrics per method), ``clinics.csv`` (per
network, cut-off, clinic and method), ``weeks.csv.gz`` (every clinic-week), ``summary.md``
(the tables and the bars, also printed).
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.networks import draw_network  # noqa: E402
from benchmarks.staffing_cost import staffed_hours, week_cost  # noqa: E402
from forecasting import metrics  # noqa: E402
from forecasting.config import Config, load_config  # noqa: E402

DEV_SEEDS = tuple(range(0, 10))
REPORT_SEEDS = tuple(range(1000, 1020))
MODES = {
    # seeds of each set, and which of the network's four cut-offs (13 weeks apart) are scored
    "quick": {"dev": DEV_SEEDS[:4], "report": REPORT_SEEDS[:4], "cutoffs": (0, 1, 3)},
    "full": {"dev": DEV_SEEDS, "report": REPORT_SEEDS, "cutoffs": (0, 1, 2, 3)},
}
METHODS = ("lymphcast", "prophet_sessions", "ets_sessions", "seasonal_naive", "ma4", "expected")
LABELS = {
    "lymphcast": "lymphcast (the weekly run)",
    "prophet_sessions": "Prophet on sessions",
    "ets_sessions": "ETS on sessions",
    "seasonal_naive": "seasonal naive",
    "ma4": "4-week moving average",
    "expected": "expected demand (generator, at cut-off)",
}
CATEGORIES = ("all", "mature", "young", "shifted")
DEFAULT_CONFIG = ROOT / "lymphcast.toml"  # the shipped configuration
MIN_PROPHET_WEEKS = 60
MIN_ETS_WEEKS = 16


# --------------------------------------------------------------------------- the weekly run


MLD_SERIES = "sessions:mld"  # forecast.csv's MLD series when several services are configured


def run_weekly(
    raw_dir: Path, work_dir: Path, config: Config, as_of: date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The weekly computation without Prefect: (forecast.csv frame, staffing.csv frame).

    The library's entry point, as a notebook calls it; ingest sees ``as_of`` as today, like a
    run on that day.
    """
    from forecasting import DataLayout, ingest_exports, load_inputs, run_week

    work = Path(work_dir)
    layout = DataLayout(raw=Path(raw_dir), processed=work / "processed", reports=work / "reports")
    ingest_exports(layout, config, today=as_of)
    result = run_week(load_inputs(layout, as_of), config)
    return result.forecast, result.staffing


# --------------------------------------------------------------------------- baselines


def _rng(seed: int, *parts: object) -> np.random.Generator:
    import zlib

    return np.random.default_rng([seed, zlib.crc32("|".join(map(str, parts)).encode())])


def _paths(name: str, history: np.ndarray, weeks: pd.DatetimeIndex, config: Config, rng):
    """Sample paths (n_paths, horizon) of a baseline fitted on weekly sessions."""
    from forecasting.models import make_model, model_settings

    frame = pd.DataFrame({"ds": weeks, "y": history})
    horizon, n = config.horizon_weeks, config.n_paths
    if name == "prophet_sessions" and len(history) >= MIN_PROPHET_WEEKS:
        model = make_model(
            "prophet", **model_settings("prophet", config.model, config.holiday_country)
        )
    elif name == "ets_sessions" and len(history) >= MIN_ETS_WEEKS:
        model = make_model("ets", **model_settings("ets", config.model, None))
    elif name == "ets_sessions":
        model = make_model("naive")
    else:  # seasonal naive, and Prophet's short-history fallback
        model = make_model("seasonal_naive", season_length=config.model.season_length)
    try:
        return model.fit(frame).sample(horizon, n, rng)
    except Exception:  # noqa: BLE001 - a failed fit scores as the naive forecast
        return make_model("naive").fit(frame).sample(horizon, n, rng)


def _from_paths(paths: np.ndarray, level: float) -> dict[str, np.ndarray]:
    q = np.quantile(paths, [0.1, 0.5, 0.9, level], axis=0)
    return {
        "mean": paths.mean(axis=0), "p10": q[0], "p50": q[1], "p90": q[2],
        "target": np.ceil(q[3] - 1e-9),
    }  # fmt: skip


def _point(values: np.ndarray, target: bool) -> dict[str, np.ndarray]:
    nan = np.full(len(values), np.nan)
    return {
        "mean": values, "p10": nan, "p50": values, "p90": nan,
        "target": np.ceil(values - 1e-9) if target else nan,
    }  # fmt: skip


# --------------------------------------------------------------------------- one network


def _processed_figures(work: Path, truth, cutoff: date) -> dict:
    """Ingest figures, when the adapter left the processed files in ``work/processed``."""
    out = {"rows_accepted": np.nan, "rows_quarantined": np.nan, "other_ingested": np.nan}
    manifest = work / "processed" / "ingest_manifest.json"
    if manifest.is_file():
        import json

        files = json.loads(manifest.read_text())["files"]
        out["rows_accepted"] = sum(f["rows_accepted"] for f in files)
        out["rows_quarantined"] = sum(f["rows_quarantined"] for f in files)
        out["files_rejected"] = sum(f["status"] != "ok" for f in files)
    weekly = work / "processed" / "procedures_weekly.parquet"
    if weekly.is_file():
        frame = pd.read_parquet(weekly)
        frame = frame.loc[pd.to_datetime(frame["week"]) < pd.Timestamp(cutoff)]
        out["other_ingested"] = int(frame.loc[frame["procedure"] == "other", "completed"].sum())
        out["completed_ingested"] = int(frame["completed"].sum())
    true = truth.completed_by_type(cutoff)
    out["other_true"] = int(true.loc[true["procedure"] == "other", "completed"].sum())
    out["completed_true"] = int(true["completed"].sum())
    # procedures of the four named types that ingest counted as `other` (names it does not know)
    out["into_other"] = out["other_ingested"] - out["other_true"]
    return out


def run_network(
    seed: int,
    cut_index: tuple[int, ...],
    work_root: str,
    config_path: Path = DEFAULT_CONFIG,
    stages: tuple[str, ...] = (),
    teach_names: bool = False,
) -> dict:
    """Every cut-off of network ``seed``: clinic-week rows and per-cut-off network figures.

    ``stages``: stages of the weekly run taken from the generator (benchmarks/oracle.py);
    with any, or with ``teach_names``, ingest is taught every name the generator writes.
    """
    from benchmarks.oracle import oracle_run, taught_names

    logging.getLogger("cmdstanpy").setLevel(logging.WARNING)
    started = time.perf_counter()
    config = load_config(config_path)
    if stages or teach_names:
        config = taught_names(config)
    level = config.staffing.target_quantile
    truth = draw_network(seed)
    realised = truth.realised_sessions()
    by_clinic = {c: g.set_index("week")["sessions"] for c, g in realised.groupby("clinic_id")}
    weeks_rows, network_rows = [], []
    work = Path(tempfile.mkdtemp(prefix=f"suite-{seed}-", dir=work_root))
    try:
        for i in cut_index:
            cutoff = truth.cutoffs[i]
            t0 = time.perf_counter()
            raw, run_dir = work / f"raw-{cutoff}", work / f"run-{cutoff}"
            truth.write_exports(raw, cutoff)
            row = {"seed": seed, "cutoff": cutoff.isoformat(), "clinics": len(truth.clinics)}
            row["country"] = truth.country
            cats = truth.categories(cutoff)
            for k in ("young", "shifted", "mature"):
                row[k] = sum(v == k for v in cats.values())
            try:
                if stages:
                    forecast, staffing = oracle_run(
                        raw, run_dir, config, cutoff, truth, stages, seed
                    )
                else:
                    forecast, staffing = run_weekly(raw, run_dir, config, cutoff)
                row["error"] = ""
            except Exception as err:  # noqa: BLE001 - recorded, the suite goes on
                forecast = staffing = None
                row["error"] = f"{type(err).__name__}: {err}"[:300]
            row["run_seconds"] = round(time.perf_counter() - t0, 1)
            row.update(_processed_figures(run_dir, truth, cutoff))
            expected = truth.expected_sessions(cutoff).set_index(["clinic_id", "week"])["expected"]
            horizon = pd.date_range(pd.Timestamp(cutoff), periods=truth.horizon, freq="W-MON")
            for clinic, series in sorted(by_clinic.items()):
                hist = series.loc[series.index < pd.Timestamp(cutoff)]
                if len(hist) < 2:
                    continue
                actual = series.reindex(horizon).to_numpy(float)
                y = hist.to_numpy(float)
                scale = metrics.mase_scale(y, season=1)
                preds: dict[str, dict[str, np.ndarray]] = {}
                if forecast is not None:
                    # the networks' truth and realised sessions are MLD's: with several services
                    # configured, score MLD's series and staffing columns, not the total
                    mld = (forecast["series"] == MLD_SERIES).any()
                    fc = forecast.loc[
                        (forecast["clinic_id"] == clinic)
                        & (forecast["series"] == (MLD_SERIES if mld else "sessions"))
                    ]
                    st = staffing.loc[staffing["clinic_id"] == clinic]
                    col = (lambda m: f"{m}:mld") if mld else (lambda m: m)
                    if len(fc) == len(horizon):
                        preds["lymphcast"] = {
                            k: fc[k].to_numpy(float) for k in ("mean", "p10", "p50", "p90")
                        }
                        preds["lymphcast"]["target"] = st[col("sessions_target")].to_numpy(float)
                        hours = st[col("therapist_hours_needed")].to_numpy(float)
                        preds["lymphcast"]["cost"] = week_cost(actual, hours, config)
                for name in ("prophet_sessions", "ets_sessions", "seasonal_naive"):
                    rng = _rng(seed, clinic, name, cutoff)
                    paths = _paths(name, y, hist.index, config, rng)
                    preds[name] = _from_paths(paths, level)
                preds["ma4"] = _point(np.full(len(horizon), y[-4:].mean()), target=True)
                exp = expected.loc[clinic].reindex(horizon).to_numpy(float)
                preds["expected"] = _point(exp, target=False)
                for method, p in preds.items():
                    if "cost" not in p:
                        hours = staffed_hours(p["target"], config)
                        p["cost"] = week_cost(actual, hours, config)
                    weeks_rows.append(
                        pd.DataFrame(
                            {
                                "seed": seed, "cutoff": cutoff.isoformat(), "clinic_id": clinic,
                                "category": cats[clinic], "method": method, "week": horizon,
                                "actual": actual, **p, "scale": scale, "history_weeks": len(y),
                            }
                        )
                    )  # fmt: skip
            network_rows.append(row)
            shutil.rmtree(raw, ignore_errors=True)
            shutil.rmtree(run_dir, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "seed": seed,
        "weeks": pd.concat(weeks_rows, ignore_index=True) if weeks_rows else pd.DataFrame(),
        "networks": pd.DataFrame(network_rows),
        "structure": truth.structure().assign(seed=seed),
        "seconds": time.perf_counter() - started,
    }


# --------------------------------------------------------------------------- scoring


def clinic_scores(weeks: pd.DataFrame) -> pd.DataFrame:
    """One row per network, cut-off, clinic and method: metrics.py figures of that window."""
    rows = []
    keys = ["seed", "cutoff", "clinic_id", "category", "method"]
    for key, g in weeks.groupby(keys, sort=True):
        y = g["actual"].to_numpy(float)
        fc = {k: g[k].to_numpy(float) for k in ("mean", "p10", "p50", "p90")}
        scale = float(g["scale"].iloc[0])
        has_q = bool(np.isfinite(fc["p10"]).all())
        mae = float(np.mean(np.abs(y - fc["p50"])))
        row = dict(zip(keys, key, strict=True))
        row.update(
            mase=mae / scale if np.isfinite(scale) else np.nan,
            pinball=float(
                np.mean([metrics.pinball_loss(y, fc[k], q) for k, q in metrics.QUANTILES.items()])
            )
            / scale
            if has_q and np.isfinite(scale)
            else np.nan,
            coverage_80=metrics.coverage_80(y, fc, y) if has_q else np.nan,
            sum_actual=float(y.sum()),
            abs_error=float(np.abs(y - fc["p50"]).sum()),
            mean_error=float((fc["mean"] - y).sum()),
            weeks=len(y),
            at_or_below=float((y <= g["target"].to_numpy()).mean())
            if g["target"].notna().all()
            else np.nan,
            history_weeks=int(g["history_weeks"].iloc[0]),
            cost=float(g["cost"].sum()) if "cost" in g and g["cost"].notna().all() else np.nan,
        )
        rows.append(row)
    return pd.DataFrame(rows)


def window_scores(clinics: pd.DataFrame) -> pd.DataFrame:
    """Per network, cut-off, category (incl. ``all``) and method: the pooled figures."""
    parts = [clinics.assign(category="all"), clinics]
    frame = pd.concat(parts, ignore_index=True)
    rows = []
    for (seed, cutoff, cat, method), g in frame.groupby(
        ["seed", "cutoff", "category", "method"], sort=True
    ):
        total = g["sum_actual"].sum()
        w = g["weeks"]
        rows.append(
            {
                "seed": seed, "cutoff": cutoff, "category": cat, "method": method,
                "clinics": len(g),
                "mase": g["mase"].mean(),
                "wape": g["abs_error"].sum() / total if total > 0 else np.nan,
                "bias": g["mean_error"].sum() / total if total > 0 else np.nan,
                "pinball": g["pinball"].mean(),
                "coverage_80": (g["coverage_80"] * w).sum() / w.sum()
                if g["coverage_80"].notna().all() else np.nan,
                "at_or_below": (g["at_or_below"] * w).sum() / w.sum()
                if g["at_or_below"].notna().all() else np.nan,
                "cost": g["cost"].sum() / w.sum() if g["cost"].notna().all() else np.nan,
            }
        )  # fmt: skip
    return pd.DataFrame(rows)


def summary_table(windows: pd.DataFrame) -> pd.DataFrame:
    """Mean over network-cut-offs per category and method."""
    cols = ["mase", "wape", "bias", "pinball", "coverage_80", "at_or_below", "cost"]
    cols = [c for c in cols if c in windows]  # older weeks.csv.gz files have no cost
    out = windows.groupby(["category", "method"])[cols].mean()
    out["windows"] = windows.groupby(["category", "method"]).size()
    out["clinic_windows"] = windows.groupby(["category", "method"])["clinics"].sum()
    return out


def _f(x: float, pct: bool = False, signed: bool = False) -> str:
    if x is None or not np.isfinite(x):
        return "-"
    if pct:
        return f"{x:+.1%}" if signed else f"{x:.1%}"
    return f"{x:.3f}"


def bars(summary: pd.DataFrame, level: float) -> list[tuple[str, str, str, bool]]:
    """(bar, measured, target, passed) for the issue's bars, on the all-clinic averages."""

    def get(cat: str, method: str, col: str) -> float:
        try:
            return float(summary.loc[(cat, method), col])
        except KeyError:
            return float("nan")

    ours = get("all", "lymphcast", "mase")
    prophet, expected = get("all", "prophet_sessions", "mase"), get("all", "expected", "mase")
    young, young_exp = get("young", "lymphcast", "mase"), get("young", "expected", "mase")
    cov, share = get("all", "lymphcast", "coverage_80"), get("all", "lymphcast", "at_or_below")
    bias = get("all", "lymphcast", "bias")
    cost, prophet_cost = get("all", "lymphcast", "cost"), get("all", "prophet_sessions", "cost")
    return [
        ("session p50 MASE vs Prophet on sessions", f"{ours / prophet:.3f} x", "<= 0.80 x",
         ours <= 0.80 * prophet),
        ("session p50 MASE vs expected demand", f"{ours / expected:.3f} x", "<= 1.10 x",
         ours <= 1.10 * expected),
        ("young clinics: MASE vs expected demand", f"{young / young_exp:.3f} x", "<= 1.30 x",
         young <= 1.30 * young_exp),
        ("p10-p90 coverage", f"{cov:.1%}", "78-82%", 0.78 <= cov <= 0.82),
        (f"weeks at/under sessions_target (service level {level:g})", f"{share:.1%}",
         f"{level - 0.03:.0%}-{level + 0.03:.0%}", abs(share - level) <= 0.03),
        ("mean bias", f"{bias:+.1%}", "within +-3%", abs(bias) <= 0.03),
        ("staffing cost vs staffing from Prophet on sessions", f"{cost / prophet_cost:.3f} x",
         "<= 0.75 x", cost <= 0.75 * prophet_cost),
    ]  # fmt: skip


def markdown(summary: pd.DataFrame, networks: pd.DataFrame, level: float, header: str) -> str:
    lines = [header, ""]
    lines += [
        "All clinics (mean over network-cut-offs):",
        "",
        "| method | MASE p50 | WAPE | bias | pinball | p10-p90 cov. | <= target | cost/week |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for m in METHODS:
        if ("all", m) not in summary.index:
            continue
        r = summary.loc[("all", m)]
        lines.append(
            f"| {LABELS[m]} | {_f(r.mase)} | {_f(r.wape)} | {_f(r.bias, True, True)} | "
            f"{_f(r.pinball)} | {_f(r.coverage_80, True)} | {_f(r.at_or_below, True)} | "
            f"{_f(r.get('cost', np.nan))} |"
        )
    lines += ["", "MASE p50 by clinic category (clinic-windows in brackets):", ""]
    cats = [c for c in CATEGORIES if (c, "lymphcast") in summary.index]
    lines.append("| method | " + " | ".join(cats) + " |")
    lines.append("|---|" + "---|" * len(cats))
    for m in METHODS:
        cells = []
        for c in cats:
            if (c, m) in summary.index:
                r = summary.loc[(c, m)]
                cells.append(f"{_f(r.mase)} ({int(r.clinic_windows)})")
            else:
                cells.append("-")
        lines.append(f"| {LABELS[m]} | " + " | ".join(cells) + " |")
    lines += ["", "lymphcast by clinic category:", ""]
    lines.append("| category | MASE p50 | WAPE | bias | pinball | p10-p90 cov. | <= target |")
    lines.append("|---|---|---|---|---|---|---|")
    for c in cats:
        r = summary.loc[(c, "lymphcast")]
        lines.append(
            f"| {c} | {_f(r.mase)} | {_f(r.wape)} | {_f(r.bias, True, True)} | "
            f"{_f(r.pinball)} | {_f(r.coverage_80, True)} | {_f(r.at_or_below, True)} |"
        )
    lines += ["", "Bars (to be checked on the report seeds with the default config):", ""]
    lines += ["| bar | measured | target | |", "|---|---|---|---|"]
    for name, measured, target, ok in bars(summary, level):
        lines.append(f"| {name} | {measured} | {target} | {'PASS' if ok else 'MISS'} |")
    if len(networks):
        into = networks["into_other"].sum() / networks["completed_true"].sum()
        lines += [
            "",
            f"Ingest: {int(networks['rows_quarantined'].fillna(0).sum())} rows quarantined; "
            f"{into:.1%} of completed procedures counted as `other` by ingest although of a "
            f"named type (per network and cut-off in networks.csv, column into_other); "
            f"{int((networks['error'] != '').sum())} failed runs.",
        ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_const", dest="mode", const="quick")
    mode.add_argument("--full", action="store_const", dest="mode", const="full")
    parser.add_argument("--seeds", choices=("dev", "report"), default="dev")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--workers", type=int, default=2, help="networks run at once (processes)")
    parser.add_argument(
        "--config", type=Path, default=DEFAULT_CONFIG,
        help="configuration to judge (default: the shipped lymphcast.toml; bars are for it)",
    )  # fmt: skip
    parser.add_argument("--only", default=None, help="comma-separated seeds (a subset, for a look)")
    parser.add_argument(
        "--oracle", default=None,
        help="diagnostic: stages taken from the generator, comma-separated: procedures, "
        "pathways, non_surgical, holidays, or all (benchmarks/oracle.py)",
    )  # fmt: skip
    parser.add_argument(
        "--teach-names", action="store_true",
        help="teach ingest every procedure name the generator writes (implied by --oracle)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    from benchmarks.oracle import parse_stages

    stages, teach = parse_stages(args.oracle), args.teach_names
    mode_name = args.mode or "quick"
    spec = MODES[mode_name]
    seeds = list(spec[args.seeds])
    if args.only:
        seeds = [int(s) for s in args.only.split(",")]
    out = args.out or ROOT / "benchmarks" / "results" / f"suite-{args.seeds}-{mode_name}"
    out.mkdir(parents=True, exist_ok=True)
    config = load_config(args.config)
    level = config.staffing.target_quantile
    print(f"config {args.config}", flush=True)
    print(
        f"suite {mode_name}: {args.seeds} seeds {seeds}, cut-offs {list(spec['cutoffs'])} of 4 "
        f"(13 weeks apart), horizon {config.horizon_weeks} weeks, {config.n_paths} paths, "
        f"{args.workers} worker(s)",
        flush=True,
    )
    started = time.perf_counter()
    results = []
    work_root = tempfile.mkdtemp(prefix="lymphcast-suite-")
    try:
        if args.workers <= 1:
            for s in seeds:
                one = run_network(s, spec["cutoffs"], work_root, args.config, stages, teach)
                results.append(one)
                _progress(results[-1], started)
        else:
            import multiprocessing

            ctx = multiprocessing.get_context("forkserver")
            with ProcessPoolExecutor(args.workers, mp_context=ctx) as pool:
                futures = [
                    pool.submit(
                        run_network,
                        s,
                        spec["cutoffs"],
                        work_root,
                        args.config,
                        stages,
                        args.teach_names,
                    )  # fmt: skip
                    for s in seeds
                ]
                for fut in as_completed(futures):
                    results.append(fut.result())
                    _progress(results[-1], started)
    finally:
        shutil.rmtree(work_root, ignore_errors=True)
    results.sort(key=lambda r: r["seed"])
    weeks = pd.concat([r["weeks"] for r in results], ignore_index=True)
    networks = pd.concat([r["networks"] for r in results], ignore_index=True)
    structure = pd.concat([r["structure"] for r in results], ignore_index=True)
    clinics = clinic_scores(weeks)
    windows = window_scores(clinics)
    summary = summary_table(windows)
    wide = windows.loc[windows["category"] == "all"].pivot_table(
        index=["seed", "cutoff"], columns="method", values=["mase", "coverage_80", "bias"]
    )
    wide.columns = [f"{a}_{b}" for a, b in wide.columns]
    networks = networks.merge(wide.reset_index(), on=["seed", "cutoff"], how="left")
    elapsed = time.perf_counter() - started
    load = os.getloadavg()[0]
    header = (
        f"Benchmark suite `{mode_name}` on {args.seeds} seeds {seeds[0]}..{seeds[-1]} "
        f"({len(seeds)} networks, {int(structure.shape[0])} clinics, "
        f"{len(spec['cutoffs'])} cut-offs each, {len(networks)} network-cut-offs, "
        f"{(clinics['method'] == 'expected').sum()} clinic-windows of "
        f"{config.horizon_weeks} weeks; config {_name(args.config)}"
        f"{'; oracle ' + '+'.join(stages) if stages else ''}"
        f"{'; names taught' if stages or args.teach_names else ''}): {elapsed:.0f} s with "
        f"{args.workers} worker(s), "
        f"load average {load:.1f}."
    )
    text = markdown(summary, networks, level, header)
    networks.round(4).to_csv(out / "networks.csv", index=False)
    structure.to_csv(out / "structure.csv", index=False)
    clinics.round(4).to_csv(out / "clinics.csv", index=False)
    numeric = weeks.select_dtypes("number").columns
    weeks.assign(**{c: weeks[c].round(3) for c in numeric}).to_csv(
        out / "weeks.csv.gz", index=False
    )
    (out / "summary.md").write_text(text, encoding="utf-8")
    print()
    print(text)
    print(f"written to {out}")
    return 0


def _name(path: Path) -> str:
    path = Path(path).resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _progress(result: dict, started: float) -> None:
    n = result["networks"]
    errors = (n["error"] != "").sum() if len(n) else 0
    into = n["into_other"].sum() / max(n["completed_true"].sum(), 1) if len(n) else np.nan
    mase = np.nan
    w = result["weeks"]
    if len(w):
        c = clinic_scores(w.loc[w["method"] == "lymphcast"])
        mase = c["mase"].mean()
    print(
        f"[{time.perf_counter() - started:6.0f} s] network {result['seed']}: "
        f"{int(n['clinics'].iloc[0]) if len(n) else 0} clinics, {len(n)} cut-offs, "
        f"{result['seconds']:.0f} s; lymphcast MASE {mase:.3f}; into other {into:.1%}; "
        f"quarantined {int(n['rows_quarantined'].fillna(0).sum())}; errors {errors}",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
