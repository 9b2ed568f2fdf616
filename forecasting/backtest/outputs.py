"""Backtest outputs: the files under ``--out``, the console table and the chart."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecasting import io as atomic
from forecasting.backtest.results import FORECAST_COLUMNS, BacktestResult
from forecasting.errors import ConfigError
from forecasting.models.selection import BY_SERIES_FILE, LEADERBOARD_FILE, MANIFEST_FILE


def format_leaderboard(result: BacktestResult) -> str:
    """The leaderboard as a one-screen console table, best mean MASE first."""
    lb = result.leaderboard
    s = result.settings
    head = (
        f"{'model':<15}{'MASE':>7}{'sMAPE':>7}{'WAPE':>7}{'bias':>7}{'pinball':>8}"
        f"{'cov80':>7}{'fit s':>8}{'fallb.':>7}"
    )
    lines = [
        f"backtest: {s.get('series')} series, up to {s.get('folds')} folds x {s.get('horizon')} "
        f"weeks (step {s.get('step')}), MASE scale lag {s.get('season')}, "
        f"{s.get('wall_seconds')} s on {s.get('workers')} process(es)",
        head,
        "-" * len(head),
    ]
    snaive = lb.loc[lb["model"] == "seasonal_naive", "mase"]
    for r in lb.itertuples(index=False):
        mark = "*" if len(snaive) and r.mase < snaive.iloc[0] else " "
        lines.append(
            f"{r.model:<14}{mark}{r.mase:>7.3f}{r.smape:>7.1f}{r.wape:>7.3f}{r.bias:>+7.3f}"
            f"{r.pinball:>8.3f}{r.coverage_80:>7.2f}{r.fit_seconds:>8.3f}{r.fallbacks:>7d}"
        )
    lines.append(
        "* beats seasonal naive on mean MASE; MASE, WAPE, pinball: lower is better; "
        "cov80: share of actuals in the 80% interval (0.80 is calibrated)"
    )
    if result.skipped:
        lines.append(
            f"skipped {len(result.skipped)} series too short for one fold: "
            f"{', '.join(sorted(result.skipped)[:5])}"
        )
    return "\n".join(lines)


def _chart(result: BacktestResult, path: Path) -> None:
    """Mean MASE per model (bars) and 80 % interval coverage (dots) as a PNG."""
    from matplotlib.figure import Figure

    lb = result.leaderboard.iloc[::-1]
    fig = Figure(figsize=(9, 0.45 * len(lb) + 1.6), layout="constrained")
    ax_mase, ax_cov = fig.subplots(1, 2, sharey=True, width_ratios=[3, 2])
    colours = ["#2b6cb0" if m in ("auto", "ensemble") else "#a0aec0" for m in lb["model"]]
    ax_mase.barh(lb["model"], lb["mase"], color=colours)
    snaive = result.leaderboard.loc[result.leaderboard["model"] == "seasonal_naive", "mase"]
    if len(snaive):
        ax_mase.axvline(snaive.iloc[0], color="#c53030", linestyle="--", label="seasonal naive")
        ax_mase.legend(loc="lower right", fontsize=8)
    ax_mase.set_xlabel("mean MASE (lower is better)")
    ax_cov.scatter(lb["coverage_80"], lb["model"], color="#2d3748")
    ax_cov.axvline(0.8, color="#c53030", linestyle="--")
    ax_cov.set_xlim(0, 1)
    ax_cov.set_xlabel("80% interval coverage (0.8 ideal)")
    s = result.settings
    fig.suptitle(
        f"Backtest: {s.get('series')} series, {s.get('folds')} folds x {s.get('horizon')} weeks",
        fontsize=11,
    )
    atomic.atomic_write(path, lambda p: fig.savefig(p, format="png", dpi=100))


def _rounded(frame: pd.DataFrame, digits: int) -> pd.DataFrame:
    out = frame.copy()
    numeric = out.select_dtypes("number").columns
    out[numeric] = out[numeric].round(digits)
    for column in out.select_dtypes("datetime").columns:
        out[column] = out[column].dt.strftime("%Y-%m-%d")
    return out


def _json_ready(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")


def write_backtest(result: BacktestResult, out_dir: Path) -> dict[str, Path]:
    """Publish the backtest in ``out_dir`` whole (or not at all) and return the files by name.

    Files: ``leaderboard.csv`` / ``.json`` (one row per model), ``leaderboard_by_series.csv``
    (what ``auto`` and ``ensemble`` read), ``metrics.csv`` (one row per window, with fallback
    reasons and ensemble choices), ``forecasts.csv`` (drill-down: unique_id, cutoff, ds, y,
    model, mean, p10, p50, p90), ``leaderboard.png`` and ``backtest_manifest.json``.

    Raises:
        ConfigError: ``out_dir`` exists, is not empty and holds no earlier backtest (it is
            replaced whole, so it must be a backtest directory).
    """
    out_dir = Path(out_dir)
    if out_dir.is_file() or (
        out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MANIFEST_FILE).is_file()
    ):
        raise ConfigError(
            f"--out {out_dir} exists and is not a backtest directory (it would be replaced); "
            "choose a new or empty directory."
        )
    rounded = {
        "leaderboard": _rounded(result.leaderboard, 4),
        "by_series": _rounded(result.by_series, 4),
    }
    forecasts = _rounded(result.forecasts, 3)
    manifest = {
        **result.settings,
        "skipped": result.skipped,
        "leaderboard": _json_ready(rounded["leaderboard"]),
    }
    names = {
        "leaderboard": LEADERBOARD_FILE,
        "leaderboard_json": "leaderboard.json",
        "by_series": BY_SERIES_FILE,
        "metrics": "metrics.csv",
        "forecasts": "forecasts.csv",
        "chart": "leaderboard.png",
        "manifest": MANIFEST_FILE,
    }
    with atomic.publish_dir(out_dir) as staging:
        atomic.write_csv(staging / names["leaderboard"], rounded["leaderboard"])
        atomic.write_json(staging / names["leaderboard_json"], _json_ready(rounded["leaderboard"]))
        atomic.write_csv(staging / names["by_series"], rounded["by_series"])
        atomic.write_csv(staging / names["metrics"], _rounded(result.metrics, 4))
        atomic.write_csv(staging / names["forecasts"], forecasts[FORECAST_COLUMNS])
        _chart(result, staging / names["chart"])
        atomic.write_json(staging / names["manifest"], manifest)
    return {key: out_dir / name for key, name in names.items()}
