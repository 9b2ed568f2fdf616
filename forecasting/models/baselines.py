"""Baselines every model must beat: naive, seasonal naive, historic mean and drift.

Paths come from a residual bootstrap: each model's in-sample residuals are resampled with
replacement (``rng.choice``) and added to its point forecast; for the random-walk baselines
(naive, drift) the resampled residuals accumulate over the horizon, so the spread grows with
the lead time. Paths are clipped at zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.columns import Y
from forecasting.errors import ConfigError
from forecasting.models.base import check_sample_args, require_fitted, validate_history

MIN_SEASONAL_RESIDUALS = 8
"""SeasonalNaive needs ``season_length`` plus this many weeks to use the seasonal method."""


class _Bootstrap:
    """Shared sampling: point forecast plus resampled residuals (summed when ``cumulative``)."""

    cumulative = False
    _residuals: np.ndarray

    def _point(self, horizon: int) -> np.ndarray:
        raise NotImplementedError

    def sample(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n_paths`` future paths of ``horizon`` weeks (same units as ``y``)."""
        check_sample_args(horizon, n_paths)
        require_fitted(self, "_residuals")
        noise = rng.choice(self._residuals, size=(n_paths, horizon), replace=True)
        if self.cumulative:
            noise = np.cumsum(noise, axis=1)
        return np.clip(self._point(horizon)[None, :] + noise, 0.0, None)


class Naive(_Bootstrap):
    """Last value; paths add accumulated, centred week-on-week changes (a random walk)."""

    cumulative = True

    def fit(self, history: pd.DataFrame) -> Naive:
        """Store the last value and the centred first differences.

        Args:
            history: Columns ``ds`` (Monday, datetime64) and ``y`` (weekly values, >= 0).
        """
        validate_history(history)
        y = history[Y].to_numpy(dtype=float)
        self._last = y[-1]
        diffs = np.diff(y)
        self._residuals = diffs - diffs.mean() if len(diffs) else np.zeros(1)
        return self

    def _point(self, horizon: int) -> np.ndarray:
        return np.full(horizon, self._last)


class Drift(_Bootstrap):
    """Last value plus the average weekly change so far (a line through the first and last
    weeks); paths add accumulated, centred week-on-week changes."""

    cumulative = True

    def fit(self, history: pd.DataFrame) -> Drift:
        """Store the last value, the slope and the centred first differences.

        Args:
            history: Columns ``ds`` (Monday, datetime64) and ``y`` (weekly values, >= 0).
        """
        validate_history(history)
        y = history[Y].to_numpy(dtype=float)
        diffs = np.diff(y)
        self._last = y[-1]
        self._slope = float(diffs.mean()) if len(diffs) else 0.0
        self._residuals = diffs - self._slope if len(diffs) else np.zeros(1)
        return self

    def _point(self, horizon: int) -> np.ndarray:
        return self._last + self._slope * np.arange(1, horizon + 1)


class HistoricMean(_Bootstrap):
    """Mean of the history (or of its last ``window`` weeks); paths add resampled deviations
    from that mean.

    Args:
        window: Weeks averaged (the most recent ones), or None for the whole history.
    """

    def __init__(self, window: int | None = None) -> None:
        self.window = window

    def fit(self, history: pd.DataFrame) -> HistoricMean:
        """Store the mean and the deviations from it.

        Args:
            history: Columns ``ds`` (Monday, datetime64) and ``y`` (weekly values, >= 0).
        """
        if self.window is not None and self.window < 1:
            raise ConfigError(f"historic_mean window must be >= 1 week (got {self.window}).")
        validate_history(history)
        y = history[Y].to_numpy(dtype=float)
        if self.window is not None:
            y = y[-self.window :]
        self._mean = float(y.mean())
        self._residuals = y - self._mean
        return self

    def _point(self, horizon: int) -> np.ndarray:
        return np.full(horizon, self._mean)


class SeasonalNaive(_Bootstrap):
    """Value one season ago plus bootstrapped seasonal-difference residuals.

    With fewer than ``season_length + 8`` weeks of history it falls back to a naive forecast
    (last value) with bootstrapped week-on-week differences; with one week, residuals are zero.
    Residuals are drawn i.i.d. per step and are not centred, so a steady year-on-year trend
    carries into the paths.

    Args:
        season_length: Weeks per season (52 for a yearly cycle in weekly data).
    """

    def __init__(self, season_length: int = 52) -> None:
        self.season_length = season_length

    def fit(self, history: pd.DataFrame) -> SeasonalNaive:
        """Store the last season and the residuals.

        Args:
            history: Columns ``ds`` (Monday, datetime64) and ``y`` (weekly values, >= 0).

        Returns:
            self
        """
        if self.season_length < 1:
            raise ConfigError(f"season_length must be >= 1 (got {self.season_length}).")
        validate_history(history)
        y = history[Y].to_numpy(dtype=float)
        m = self.season_length
        if len(y) >= m + MIN_SEASONAL_RESIDUALS:
            self.method_ = "seasonal"
            self._last_season = y[-m:].copy()
            self._residuals = y[m:] - y[:-m]
        else:
            self.method_ = "naive"
            self._last_season = y[-1:].copy()
            self._residuals = np.diff(y) if len(y) > 1 else np.zeros(1)
        return self

    def _point(self, horizon: int) -> np.ndarray:
        steps = np.arange(horizon) % len(self._last_season)
        return self._last_season[steps]
