"""Pooled procedure model: a damped clinic level times the network's seasonal index."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.columns import CLINIC_Y, DS, Y
from forecasting.models.base import (
    check_sample_args,
    finish_paths,
    require_fitted,
    validate_history,
)
from forecasting.models.network import NetworkPrior, flat_prior


class PooledModel:
    """Forecast = recent deseasonalised level x network seasonal index x bootstrapped noise.

    The level is the last ``level_weeks`` weeks' sum over the sum of their network index (a
    closure week cannot inflate it), so a level shift
    is followed within that many weeks instead of being averaged away; the series' own slope
    is never extrapolated. Noise: residual ratios of the series' own deseasonalised weeks
    around their rolling level, centred on mean 1 and resampled; the level gets one
    log-normal error per path (standard error of the level on the log1p scale, growing with
    the horizon as sqrt(1 + h / level_weeks)), mean-preserving.

    With ``share_weeks`` and a ``clinic_y`` column (the clinic's procedures of every type,
    :func:`forecasting.series.procedure_histories`) the level is the clinic's recent level
    times the series' share of the clinic over the last ``share_weeks`` weeks: a sparse
    procedure type borrows the clinic's many counts for its level and keeps its own mix. The
    age that places a series on the ramp-up curve is its clinic's (first week with any
    procedure), so a rare type of an old clinic is not taken for a new one.

    Args:
        prior: The network prior (seasonal index); computed once per run from all series.
        level_weeks: Weeks in the recent level.
        closed_index: Weeks whose network seasonal index is below this (closures) stay out of
            the noise (``[model.pooled] closed_index``).
        share_weeks: Weeks of a series' share of its clinic (0: its own level only).
    """

    def __init__(
        self,
        prior: NetworkPrior | None = None,
        level_weeks: int = 8,
        closed_index: float = 0.5,
        share_weeks: int = 0,
    ) -> None:
        if level_weeks < 1 or share_weeks < 0:
            raise ValueError(
                f"level_weeks must be >= 1 and share_weeks >= 0 (got {level_weeks}, {share_weeks})"
            )
        self.prior = prior if prior is not None else flat_prior()
        self.level_weeks = level_weeks
        self.closed_index = closed_index
        self.share_weeks = share_weeks

    def fit(self, history: pd.DataFrame) -> PooledModel:
        """Learn the clinic level and residuals from ``history`` (``ds``, ``y``); not modified."""
        validate_history(history)
        y = history[Y].to_numpy(dtype=float)
        index = self.prior.index_for(history[DS])
        # ratios of sums: a closure week (index near 0) cannot inflate the level
        level = float(y[-self.level_weeks :].sum() / max(index[-self.level_weeks :].sum(), 1e-9))
        total = clinic_total(history)
        if total is not None and self.share_weeks:
            clinic = total[-self.level_weeks :].sum() / max(index[-self.level_weeks :].sum(), 1e-9)
            share = y[-self.share_weeks :].sum() / max(total[-self.share_weeks :].sum(), 1e-9)
            level = float(clinic * share)
        roll = pd.Series(y).rolling(self.level_weeks, min_periods=1).sum().shift(1).to_numpy()
        roll_index = pd.Series(index).rolling(self.level_weeks, min_periods=1).sum().shift(1)
        base = (roll / np.clip(roll_index.to_numpy(), 1e-9, None))[1:] * index[1:]
        obs = y[1:]
        ok = np.isfinite(base) & (base > 0) & (index[1:] >= self.closed_index)
        ratios = obs[ok] / base[ok] if ok.any() else np.ones(1)
        # centred on mean 1: the noise spreads around the level (a ramp's slope must not leak
        # in); the mean, not the median, so a sparse series' zero weeks do not blow it up
        centre = float(ratios.mean()) if ratios.size else 0.0
        ratios = ratios / centre if centre > 0 else np.ones(1)
        n = min(self.level_weeks, len(y))
        # level uncertainty on the log1p scale (bounded for counts, however sparse)
        log_res = np.log1p(obs[ok]) - np.log1p(base[ok]) if ok.any() else np.zeros(1)
        spread = float(np.std(log_res)) if log_res.size > 1 else 0.0
        self._level = level
        self._ratios = ratios
        self._level_sd = spread / np.sqrt(n) if n else 0.0
        self._last = pd.Timestamp(history[DS].iloc[-1])
        self._age = series_age(history)
        return self

    def sample(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        """Paths ``(n_paths, horizon)`` of future weekly values."""
        check_sample_args(horizon, n_paths)
        require_fitted(self, "_level")
        future = pd.date_range(self._last + pd.Timedelta(weeks=1), periods=horizon, freq="W-MON")
        growth = self.prior.ramp_growth(self._age, horizon, window=self.level_weeks)
        index = self.prior.index_for(future) * growth
        # one level error per path, its sd growing with the horizon, mean-preserving
        sd = self._level_sd * np.sqrt(1.0 + np.arange(1, horizon + 1) / self.level_weeks)
        z = rng.normal(0.0, 1.0, size=(n_paths, 1))
        level = self._level * np.exp(z * sd[None, :] - 0.5 * sd[None, :] ** 2)
        noise = rng.choice(self._ratios, size=(n_paths, horizon), replace=True)
        return finish_paths(level * index[None, :] * noise, n_paths, horizon)


def clinic_total(history: pd.DataFrame) -> np.ndarray | None:
    """The ``clinic_y`` column of ``history`` (its clinic's every procedure), or None."""
    if CLINIC_Y not in history.columns:
        return None
    return np.maximum(history[CLINIC_Y].to_numpy(dtype=float), history[Y].to_numpy(dtype=float))


def series_age(history: pd.DataFrame) -> int:
    """Weeks from the first week with a procedure (of its clinic when ``clinic_y`` is there,
    else of the series) to the last week of ``history``; 0 when there is none."""
    total = clinic_total(history)
    y = total if total is not None else history[Y].to_numpy(dtype=float)
    opened = np.flatnonzero(y > 0)
    return int(len(y) - 1 - opened[0]) if opened.size else 0
