"""Session intervals calibrated from past forecast errors (conformal factors per horizon week)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.columns import CLINIC, P10, P50, P90, SESSIONS, WEEK
from forecasting.config import CalibrationConfig

ISSUED = "issued"  # as-of date of the run that made an archived forecast (report.accuracy)


@dataclass(frozen=True)
class Calibration:
    """Spread factors per horizon week (1..H) and what they rest on.

    ``factors[h - 1]`` multiplies the distance of every session path from its median in
    horizon week ``h``; 1.0 everywhere when not calibrated.
    """

    factors: tuple[float, ...]
    n_errors: int
    source: str  # "archive", "rolling_origin" or "none"
    calibrated: bool
    needed: int

    def manifest(self) -> dict:
        """The run-manifest record of the calibration."""
        return {
            "calibrated": self.calibrated,
            "source": self.source,
            "n_errors": self.n_errors,
            "min_errors": self.needed,
            "factors_by_horizon_week": [round(f, 4) for f in self.factors],
        }

    def sentence(self) -> str:
        """One plain sentence for the report's "Data and models" section."""
        if not self.calibrated:
            return (
                f"Session intervals are not calibrated: {self.n_errors} past forecast errors, "
                f"need {self.needed} per horizon week."
            )
        first, last = self.factors[0], self.factors[-1]
        verb = "widened" if max(self.factors) > 1.0 else "narrowed"
        source = "the forecast archive" if self.source == "archive" else "in-run rolling origins"
        return (
            f"Session p10-p90 {verb} by {first:.1f}x at week 1 to {last:.1f}x at week "
            f"{len(self.factors)}, from {self.n_errors} past forecast errors ({source})."
        )


def uncalibrated(horizon: int, n_errors: int, config: CalibrationConfig) -> Calibration:
    """Intervals as modelled (factors 1.0), saying how many errors there were."""
    return Calibration((1.0,) * horizon, n_errors, "none", False, config.min_errors)


def scaled_errors(
    actual: np.ndarray, p50: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """Distance of the actual from p50 in units of the interval's half on that side.

    All arrays share a shape (errors x horizon weeks; NaN where nothing happened yet). A score
    of 1 means the actual sat on the forecast's p10 or p90; zero-width sides count as 1 session.
    """
    above = actual >= p50
    half = np.where(above, upper - p50, p50 - lower)
    half = np.maximum(half, 1.0)
    return np.abs(actual - p50) / half


def archive_scores(
    archived: pd.DataFrame, sessions: pd.DataFrame, cutoff_week: pd.Timestamp, horizon: int
) -> np.ndarray:
    """Scaled errors (forecasts x horizon weeks) of archived session forecasts that came true.

    Args:
        archived: ``clinic_id, week, issued, p10, p50, p90`` of earlier runs' ``sessions``
            series (``forecasting.report.accuracy.load_archive``).
        sessions: ``clinic_id, week, sessions`` actuals; only weeks before ``cutoff_week``.
        cutoff_week: the current run's first forecast week.
        horizon: H; horizon week h of a forecast is its h-th week after its own first week.

    Returns:
        One row per (clinic, issued) forecast, NaN where the week has not happened or has no
        known actual.
    """
    if archived.empty or sessions.empty:
        return np.full((0, horizon), np.nan)
    frame = archived.assign(
        **{WEEK: pd.to_datetime(archived[WEEK]), CLINIC: archived[CLINIC].astype(str)}
    )
    first = frame.groupby(ISSUED)[WEEK].transform("min")
    frame = frame.assign(h=((frame[WEEK] - first).dt.days // 7).astype(int))
    frame = frame.loc[(frame["h"] < horizon) & (frame[WEEK] < cutoff_week)]
    actual = sessions.assign(
        **{CLINIC: sessions[CLINIC].astype(str), WEEK: pd.to_datetime(sessions[WEEK])}
    )
    actual = actual.loc[actual[WEEK] < cutoff_week, [CLINIC, WEEK, SESSIONS]]
    joined = frame.merge(actual, on=[CLINIC, WEEK], how="inner")
    if joined.empty:
        return np.full((0, horizon), np.nan)
    score = scaled_errors(
        joined[SESSIONS].to_numpy(float),
        joined[P50].to_numpy(float),
        joined[P10].to_numpy(float),
        joined[P90].to_numpy(float),
    )
    table = joined.assign(score=score).pivot_table(
        index=[CLINIC, ISSUED], columns="h", values="score", aggfunc="first"
    )
    return table.reindex(columns=range(horizon)).to_numpy(float)


def _quantile(scores: np.ndarray, level: float, method: str) -> float:
    n = scores.size
    if method == "conformal":
        # Split-conformal finite-sample quantile: the ceil((n + 1) * level)-th smallest score.
        rank = min(n, math.ceil((n + 1) * level))
        return float(np.sort(scores)[rank - 1])
    return float(np.quantile(scores, level))


def calibrate(scores: np.ndarray, source: str, config: CalibrationConfig) -> Calibration:
    """Spread factors per horizon week from scaled errors (errors x horizon weeks, NaN gaps).

    Each week's factor is the ``coverage`` quantile of its scores, clipped to
    [min_factor, max_factor]; with fewer than ``min_errors`` errors in any week the run is not
    calibrated.
    """
    scores = np.asarray(scores, dtype=float)
    horizon = scores.shape[1]
    counts = np.sum(np.isfinite(scores), axis=0)
    total = int(counts.sum())
    if not config.enabled or horizon == 0 or int(counts.min()) < config.min_errors:
        return uncalibrated(horizon, total, config)
    factors = []
    for h in range(horizon):
        column = scores[:, h]
        q = _quantile(column[np.isfinite(column)], config.coverage, config.method)
        factors.append(float(np.clip(q, config.min_factor, config.max_factor)))
    return Calibration(tuple(factors), total, source, True, config.min_errors)


def rescale_paths(paths: np.ndarray, calibration: Calibration) -> np.ndarray:
    """Session paths (paths x weeks) with their spread around each week's median rescaled.

    Returns a new array; the median of each week is unchanged, and paths stay >= 0 (a clip
    below zero cannot move a non-negative median). Staffing reads these paths.
    """
    if not calibration.calibrated:
        return paths.copy()
    factors = np.asarray(calibration.factors[: paths.shape[1]], dtype=float)
    median = np.median(paths, axis=0)
    return np.maximum(median + (paths - median) * factors, 0.0)


def from_archive(
    archived: pd.DataFrame,
    sessions: pd.DataFrame,
    cutoff_week: pd.Timestamp,
    horizon: int,
    config: CalibrationConfig,
) -> Calibration:
    """The calibration of this run from earlier runs' archived session forecasts (source a)."""
    return calibrate(archive_scores(archived, sessions, cutoff_week, horizon), "archive", config)
