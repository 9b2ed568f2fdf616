"""Network prior for pooled procedure models: a seasonal index by week of year."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.columns import DS, Y

WEEKS_IN_YEAR = 53  # ISO week numbers 1..53


@dataclass(frozen=True)
class NetworkPrior:
    """What every clinic's series borrows: a multiplicative seasonal index (mean 1) by ISO week.

    Small and picklable (53 floats), so it can travel to Dask workers and into a cache key.
    """

    seasonal_index: tuple[float, ...]
    ramp: tuple[float, ...] = ()
    """Share of the mature level reached at each age in weeks since a series' first non-zero
    week (non-decreasing, capped at 1); empty when no series shows its opening."""

    def ramp_growth(self, age: int, horizon: int) -> np.ndarray:
        """Level multipliers for the ``horizon`` weeks after age ``age`` (1 once mature)."""
        if not self.ramp or age >= len(self.ramp):
            return np.ones(horizon)
        curve = np.asarray(self.ramp, dtype=float)
        ahead = np.minimum(np.arange(age + 1, age + 1 + horizon), len(curve) - 1)
        now = max(curve[age], 1e-6)
        return np.maximum(curve[ahead] / now, 1.0)

    def index_for(self, ds: pd.Series | pd.DatetimeIndex) -> np.ndarray:
        """The seasonal index of each Monday in ``ds``."""
        weeks = pd.DatetimeIndex(ds).isocalendar().week.to_numpy(dtype=int)
        return np.asarray(self.seasonal_index, dtype=float)[weeks - 1]


def flat_prior() -> NetworkPrior:
    """A prior with no seasonality (every week's index is 1)."""
    return NetworkPrior(seasonal_index=(1.0,) * WEEKS_IN_YEAR)


def network_prior(
    histories: Mapping[str, pd.DataFrame], min_weeks: int = 104, ramp_weeks: int = 0
) -> NetworkPrior:
    """The network's seasonal index from every series with at least ``min_weeks`` of history.

    Each series is divided by its centred 52-week moving mean; the index of a week of year is
    the median of those ratios over series and years (robust to one odd clinic), normalised to
    mean 1. Does not modify ``histories``.

    Args:
        histories: Series key -> frame with columns ``ds`` (Mondays) and ``y`` (>= 0).
        min_weeks: Shorter series do not contribute to the seasonal index.
        ramp_weeks: Length of the ramp curve (0: none); see :func:`_ramp`.
    """
    ratios: list[pd.DataFrame] = []
    for frame in histories.values():
        if len(frame) < min_weeks:
            continue
        y = frame[Y].to_numpy(dtype=float)
        level = pd.Series(y).rolling(52, center=True, min_periods=52).mean().to_numpy()
        ok = np.isfinite(level) & (level > 0)
        if not ok.any():
            continue
        weeks = pd.DatetimeIndex(frame[DS]).isocalendar().week.to_numpy(dtype=int)
        ratios.append(pd.DataFrame({"week": weeks[ok], "ratio": y[ok] / level[ok]}))
    if not ratios:
        return NetworkPrior(flat_prior().seasonal_index, _ramp(histories, ramp_weeks, None))
    table = pd.concat(ratios).groupby("week")["ratio"].median()
    index = table.reindex(range(1, WEEKS_IN_YEAR + 1))
    index.loc[WEEKS_IN_YEAR] = index.get(WEEKS_IN_YEAR, np.nan)
    index = index.fillna(index.get(52, 1.0)).fillna(1.0)
    values = index.to_numpy(dtype=float)
    values = values / values[:52].mean()
    prior = NetworkPrior(seasonal_index=tuple(float(v) for v in values))
    return NetworkPrior(prior.seasonal_index, _ramp(histories, ramp_weeks, prior))


def _ramp(
    histories: Mapping[str, pd.DataFrame], ramp_weeks: int, prior: NetworkPrior | None
) -> tuple[float, ...]:
    """Median over series that opened inside their history and have ``ramp_weeks`` + 52 weeks
    since: deseasonalised 4-week mean at each age / mean of the last 52 weeks; cummax, cap 1."""
    if ramp_weeks < 1:
        return ()
    curves = []
    for frame in histories.values():
        y = frame[Y].to_numpy(dtype=float)
        nonzero = np.flatnonzero(y > 0)
        if nonzero.size == 0 or nonzero[0] == 0:
            continue  # never opened, or opened before the data starts: its age is unknown
        index = prior.index_for(frame[DS]) if prior is not None else np.ones(len(y))
        deseason = y[nonzero[0] :] / np.clip(index[nonzero[0] :], 1e-6, None)
        if len(deseason) < ramp_weeks + 52:
            continue
        mature = deseason[-52:].mean()
        if mature <= 0:
            continue
        smooth = pd.Series(deseason).rolling(4, min_periods=1).mean().to_numpy()
        curves.append(smooth[:ramp_weeks] / mature)
    if not curves:
        return ()
    curve = np.minimum(np.maximum.accumulate(np.median(np.vstack(curves), axis=0)), 1.0)
    return tuple(float(v) for v in curve)
