"""Forecast accuracy metrics as plain functions with one signature.

Every metric is ``metric(y, forecast, insample, season) -> float`` where ``y`` holds the actual
values of one forecast window (one series, one cutoff), ``forecast`` maps ``"mean"``, ``"p10"``,
``"p50"``, ``"p90"`` to arrays of the same length, ``insample`` holds the training values
before the cutoff (for scaled metrics) and ``season`` is the lag of the naive forecast that
scales them (1: one-step naive; 52: seasonal naive on weekly data). A metric that is undefined
for a window (a zero scale, all-zero actuals) returns NaN; aggregations skip NaN. Lower is better
except ``coverage_80`` (closer to 0.8 is better) and ``bias`` (closer to 0 is better).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from forecasting.columns import MEAN, P10, P50, P90, QUANTILES

Forecast = Mapping[str, np.ndarray]
Metric = Callable[[np.ndarray, Forecast, np.ndarray, int], float]


def _arrays(y: np.ndarray, f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y, f = np.asarray(y, dtype=float), np.asarray(f, dtype=float)
    if y.shape != f.shape or y.ndim != 1 or len(y) == 0:
        raise ValueError(f"actuals {y.shape} and forecast {f.shape} must be equal 1-D arrays")
    return y, f


def mase_scale(insample: np.ndarray, season: int = 1) -> float:
    """Mean absolute error of the in-sample naive forecast at lag ``season`` (NaN if undefined).

    Args:
        insample: Training values before the cutoff, oldest first.
        season: Lag of the naive forecast (1 = last value, 52 = same week last year).
    """
    x = np.asarray(insample, dtype=float)
    if season < 1:
        raise ValueError(f"season must be >= 1 (got {season})")
    if len(x) <= season:
        return float("nan")
    scale = float(np.mean(np.abs(x[season:] - x[:-season])))
    return scale if scale > 0 else float("nan")


def mase(y: np.ndarray, forecast: Forecast, insample: np.ndarray, season: int = 1) -> float:
    """Mean absolute scaled error of the mean forecast (Hyndman & Koehler 2006)."""
    y, f = _arrays(y, forecast[MEAN])
    return float(np.mean(np.abs(y - f)) / mase_scale(insample, season))


def smape(y: np.ndarray, forecast: Forecast, insample: np.ndarray, season: int = 1) -> float:
    """Symmetric MAPE in percent, 0-200; a week where actual and forecast are both 0 counts 0."""
    y, f = _arrays(y, forecast[MEAN])
    denominator = np.abs(y) + np.abs(f)
    terms = np.divide(2.0 * np.abs(y - f), denominator, out=np.zeros_like(y), where=denominator > 0)
    return float(100.0 * terms.mean())


def wape(y: np.ndarray, forecast: Forecast, insample: np.ndarray, season: int = 1) -> float:
    """Weighted absolute percentage error: sum |y - f| / sum |y| (NaN if actuals are all 0)."""
    y, f = _arrays(y, forecast[MEAN])
    total = np.abs(y).sum()
    return float(np.abs(y - f).sum() / total) if total > 0 else float("nan")


def bias(y: np.ndarray, forecast: Forecast, insample: np.ndarray, season: int = 1) -> float:
    """Relative bias: sum (f - y) / sum |y|; positive means over-forecasting."""
    y, f = _arrays(y, forecast[MEAN])
    total = np.abs(y).sum()
    return float((f - y).sum() / total) if total > 0 else float("nan")


def pinball_loss(y: np.ndarray, quantile_forecast: np.ndarray, q: float) -> float:
    """Mean pinball (quantile) loss of the ``q`` quantile forecast, in the units of ``y``."""
    y, f = _arrays(y, quantile_forecast)
    diff = y - f
    return float(np.mean(np.maximum(q * diff, (q - 1.0) * diff)))


def pinball(y: np.ndarray, forecast: Forecast, insample: np.ndarray, season: int = 1) -> float:
    """Mean pinball loss over p10, p50 and p90, scaled by :func:`mase_scale` (unit-free)."""
    losses = [pinball_loss(y, forecast[k], QUANTILES[k]) for k in (P10, P50, P90)]
    return float(np.mean(losses) / mase_scale(insample, season))


def coverage_80(y: np.ndarray, forecast: Forecast, insample: np.ndarray, season: int = 1) -> float:
    """Share of actuals inside the 80 % interval [p10, p90] (0.8 for a calibrated model)."""
    y, lo = _arrays(y, forecast[P10])
    _, hi = _arrays(y, forecast[P90])
    return float(np.mean((y >= lo) & (y <= hi)))


METRICS: dict[str, Metric] = {
    "mase": mase,
    "smape": smape,
    "wape": wape,
    "bias": bias,
    "pinball": pinball,
    "coverage_80": coverage_80,
}
"""The backtest's metrics, in leaderboard column order."""


def evaluate(
    y: np.ndarray,
    forecast: Forecast,
    insample: np.ndarray,
    season: int = 1,
    metrics: Mapping[str, Metric] = METRICS,
) -> dict[str, float]:
    """Every metric of ``metrics`` for one forecast window."""
    return {name: fn(y, forecast, insample, season) for name, fn in metrics.items()}
