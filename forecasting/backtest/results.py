"""A backtest's result: window rows assembled into leaderboard, per-series and forecast tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from forecasting.columns import DS, MEAN, P10, P50, P90, UID, Y
from forecasting.metrics import METRICS

FORECAST_COLUMNS = [UID, "cutoff", DS, Y, "model", MEAN, P10, P50, P90]
LEADERBOARD_COLUMNS = ["model", *METRICS, "fit_seconds", "windows", "fallbacks"]
WINDOW_COLUMNS = [UID, "cutoff", "model", *METRICS, "fit_seconds", "fallback_reason", "selection"]
_SUMMARY = (MEAN, P10, P50, P90)


@dataclass(frozen=True)
class BacktestResult:
    """Everything a backtest measured.

    Attributes:
        leaderboard: One row per model (``LEADERBOARD_COLUMNS``), best mean MASE first; metrics
            are averaged over windows per series, then over series.
        by_series: The same per ``unique_id`` and model (what ``auto`` and ``ensemble`` read).
        metrics: One row per scored window (``WINDOW_COLUMNS``): metrics, ``fit_seconds``,
            ``fallback_reason`` (why a fallback or default was used, else empty) and
            ``selection`` (the models auto / ensemble used).
        forecasts: ``FORECAST_COLUMNS``: every scored window's forecast next to the actuals.
        skipped: Series too short for a single fold, with the reason.
        settings: Horizon, folds, step, season, models, paths, seed, workers, wall seconds.
    """

    leaderboard: pd.DataFrame
    by_series: pd.DataFrame
    metrics: pd.DataFrame
    forecasts: pd.DataFrame
    skipped: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)


def scalars(row: dict) -> dict:
    """A window row without its per-week arrays (weeks, actuals, forecast summary)."""
    return {k: v for k, v in row.items() if k not in (DS, Y, *_SUMMARY)}


def result_tables(
    rows: list[dict],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Leaderboard, by-series, window and forecast tables of the scored window rows."""
    rows = sorted(rows, key=lambda r: (r[UID], r["cutoff"], r["model"]))
    windows = pd.DataFrame([scalars(r) for r in rows])[WINDOW_COLUMNS]
    by_series = _aggregate(windows, [UID, "model"])
    leaderboard = _aggregate(by_series.rename(columns={"windows": "n"}), ["model"], series=True)
    leaderboard = leaderboard.sort_values(["mase", "model"], kind="stable", ignore_index=True)
    lengths = [len(r[Y]) for r in rows]
    forecasts = pd.DataFrame(
        {
            UID: np.repeat([r[UID] for r in rows], lengths),
            "cutoff": np.repeat(
                np.array([r["cutoff"] for r in rows], dtype="datetime64[ns]"), lengths
            ),
            DS: np.concatenate([r[DS] for r in rows]),
            Y: np.concatenate([r[Y] for r in rows]),
            "model": np.repeat([r["model"] for r in rows], lengths),
            **{k: np.concatenate([r[k] for r in rows]) for k in _SUMMARY},
        }
    )
    return leaderboard, by_series, windows, forecasts


def _aggregate(frame: pd.DataFrame, keys: list[str], series: bool = False) -> pd.DataFrame:
    """Mean metrics (NaN skipped) per ``keys``; window and fallback counts summed."""
    numeric = [*METRICS, "fit_seconds"]
    out = frame.groupby(keys, sort=True)[numeric].mean().reset_index()
    grouped = frame.groupby(keys, sort=True)
    if series:
        out["windows"] = grouped["n"].sum().to_numpy()
        out["fallbacks"] = grouped["fallbacks"].sum().to_numpy()
    else:
        out["windows"] = grouped.size().to_numpy()
        fallbacks = grouped["fallback_reason"].agg(lambda s: int((s != "").sum()))
        out["fallbacks"] = fallbacks.to_numpy()
    return out[[*keys, *LEADERBOARD_COLUMNS[1:]]]
