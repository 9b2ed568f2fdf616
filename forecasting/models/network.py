"""Network prior for pooled procedure models: a seasonal index by week of year."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forecasting.calendar import iso_weeks
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
    ramp_floor: float = 0.1
    """The least current share of the mature level a young series' growth is relative to."""
    ramp_weight: float = 1.0
    """How much of the curve's growth a young series gets: n / (n + k) for a curve learned
    from n clinics shrunk towards no growth as if k clinics had shown none."""

    def ramp_growth(self, age: int, horizon: int, window: int = 1) -> np.ndarray:
        """Level multipliers for the ``horizon`` weeks after age ``age`` (1 once mature).

        ``window``: weeks (ending at ``age``) the series' current level is the mean of; the
        growth is relative to the curve's mean over them (``ramp_floor`` at least).
        """
        if not self.ramp or age >= len(self.ramp):
            return np.ones(horizon)
        curve = np.asarray(self.ramp, dtype=float)
        ahead = np.minimum(np.arange(age + 1, age + 1 + horizon), len(curve) - 1)
        now = max(float(curve[max(0, age - window + 1) : age + 1].mean()), self.ramp_floor, 1e-6)
        return 1.0 + self.ramp_weight * (np.maximum(curve[ahead] / now, 1.0) - 1.0)

    def index_for(self, ds: pd.Series | pd.DatetimeIndex) -> np.ndarray:
        """The seasonal index of each Monday in ``ds``."""
        weeks = iso_weeks(ds)
        return np.asarray(self.seasonal_index, dtype=float)[weeks - 1]


def flat_prior() -> NetworkPrior:
    """A prior with no seasonality (every week's index is 1)."""
    return NetworkPrior(seasonal_index=(1.0,) * WEEKS_IN_YEAR)


def network_prior(
    histories: Mapping[Any, pd.DataFrame],
    min_weeks: int = 104,
    ramp_weeks: int = 0,
    ramp_level_weeks: int = 26,
    ramp_floor: float = 0.1,
    ramp_prior_clinics: float = 0.0,
) -> NetworkPrior:
    """The network's seasonal index from every series with at least ``min_weeks`` of history.

    Each series is divided by its centred 52-week moving mean; the index of a week of year is
    the median of those ratios over series and years (robust to one odd clinic), normalised to
    mean 1. Does not modify ``histories``.

    Args:
        histories: Series key -> frame with columns ``ds`` (Mondays) and ``y`` (>= 0).
        min_weeks: Shorter series do not contribute to the seasonal index.
        ramp_weeks: Length of the ramp curve (0: none); see :func:`_ramp`.
        ramp_level_weeks: Weeks after the ramp whose mean is a series' mature level.
        ramp_floor: See :attr:`NetworkPrior.ramp_floor`.
        ramp_prior_clinics: ``k`` of :attr:`NetworkPrior.ramp_weight` (0: the curve as learned).
    """
    weeks_of, ratios = [], []  # arrays, one frame at the end (a frame per series cost 0.3 ms)
    for frame in histories.values():
        if len(frame) < min_weeks:
            continue
        y = frame[Y].to_numpy(dtype=float)
        level = pd.Series(y).rolling(52, center=True, min_periods=52).mean().to_numpy()
        ok = np.isfinite(level) & (level > 0)
        if not ok.any():
            continue
        weeks_of.append(iso_weeks(frame[DS])[ok])
        ratios.append(y[ok] / level[ok])
    if not ratios:
        ramp, n = _ramp(histories, ramp_weeks, ramp_level_weeks, None)
        weight = n / (n + ramp_prior_clinics) if n else 1.0
        return NetworkPrior(flat_prior().seasonal_index, ramp, ramp_floor, weight)
    stacked = pd.DataFrame({"week": np.concatenate(weeks_of), "ratio": np.concatenate(ratios)})
    table = stacked.groupby("week")["ratio"].median()
    index = table.reindex(range(1, WEEKS_IN_YEAR + 1))
    index.loc[WEEKS_IN_YEAR] = index.get(WEEKS_IN_YEAR, np.nan)
    index = index.fillna(index.get(52, 1.0)).fillna(1.0)
    values = index.to_numpy(dtype=float)
    values = values / values[:52].mean()
    prior = NetworkPrior(seasonal_index=tuple(float(v) for v in values))
    ramp, n = _ramp(histories, ramp_weeks, ramp_level_weeks, prior)
    weight = n / (n + ramp_prior_clinics) if n else 1.0
    return NetworkPrior(prior.seasonal_index, ramp, ramp_floor, weight)


def _group(key: Any) -> Any:
    """The clinic of a series key ``(clinic, procedure)``; any other key is its own group."""
    return key[0] if isinstance(key, tuple) and key else key


def _ramp(
    histories: Mapping[Any, pd.DataFrame],
    ramp_weeks: int,
    level_weeks: int,
    prior: NetworkPrior | None,
) -> tuple[tuple[float, ...], int]:
    """Share of the mature level reached at each age, from the series that opened in the data,
    and how many clinics it was learned from.

    A clinic opened in the data when its first non-zero week (over all its series, keys
    ``(clinic, procedure)``) is after the network's first week of data; a sparse procedure
    type of an old clinic whose first weeks happen to be zero does not count. Each such
    series with ``ramp_weeks + level_weeks`` weeks since its clinic opened contributes its
    deseasonalised 4-week mean at each age and its mature level (mean of the ``level_weeks``
    weeks after the ramp); the curve is the ratio of their sums (so sparse series weigh by
    their size), made non-decreasing and capped at 1.
    """
    if ramp_weeks < 1 or not histories:
        return (), 0
    first_week = min(pd.Timestamp(f[DS].iloc[0]) for f in histories.values() if len(f))
    opened: dict[Any, pd.Timestamp] = {}
    for key, frame in histories.items():
        y = frame[Y].to_numpy(dtype=float)
        nonzero = np.flatnonzero(y > 0)
        if nonzero.size:
            day = pd.Timestamp(frame[DS].iloc[nonzero[0]])
            group = _group(key)
            opened[group] = min(opened.get(group, day), day)
    sums = np.zeros(ramp_weeks)
    mature_sum = 0.0
    clinics: set[Any] = set()
    for key, frame in histories.items():
        start = opened.get(_group(key))
        if start is None or start <= first_week:
            continue  # never opened, or opened before the data starts: its age is unknown
        ds = pd.DatetimeIndex(frame[DS])
        at = int(np.searchsorted(ds, start))
        y = frame[Y].to_numpy(dtype=float)[at:]
        if len(y) < ramp_weeks + level_weeks:
            continue
        index = prior.index_for(ds[at:]) if prior is not None else np.ones(len(y))
        deseason = y / np.clip(index, 1e-6, None)
        smooth = pd.Series(deseason).rolling(4, min_periods=1).mean().to_numpy()
        sums += smooth[:ramp_weeks]
        mature_sum += float(deseason[ramp_weeks : ramp_weeks + level_weeks].mean())
        clinics.add(_group(key))
    if mature_sum <= 0:
        return (), 0
    curve = np.minimum(np.maximum.accumulate(sums / mature_sum), 1.0)
    return tuple(float(v) for v in curve), len(clinics)
