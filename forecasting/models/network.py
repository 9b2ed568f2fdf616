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

    def index_for(self, ds: pd.Series | pd.DatetimeIndex) -> np.ndarray:
        """The seasonal index of each Monday in ``ds``."""
        weeks = pd.DatetimeIndex(ds).isocalendar().week.to_numpy(dtype=int)
        return np.asarray(self.seasonal_index, dtype=float)[weeks - 1]


def flat_prior() -> NetworkPrior:
    """A prior with no seasonality (every week's index is 1)."""
    return NetworkPrior(seasonal_index=(1.0,) * WEEKS_IN_YEAR)


def network_prior(histories: Mapping[str, pd.DataFrame], min_weeks: int = 104) -> NetworkPrior:
    """The network's seasonal index from every series with at least ``min_weeks`` of history.

    Each series is divided by its centred 52-week moving mean; the index of a week of year is
    the median of those ratios over series and years (robust to one odd clinic), normalised to
    mean 1. Does not modify ``histories``.

    Args:
        histories: Series key -> frame with columns ``ds`` (Mondays) and ``y`` (>= 0).
        min_weeks: Shorter series do not contribute.
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
        return flat_prior()
    table = pd.concat(ratios).groupby("week")["ratio"].median()
    index = table.reindex(range(1, WEEKS_IN_YEAR + 1))
    index.loc[WEEKS_IN_YEAR] = index.get(WEEKS_IN_YEAR, np.nan)
    index = index.fillna(index.get(52, 1.0)).fillna(1.0)
    values = index.to_numpy(dtype=float)
    values = values / values[:52].mean()
    return NetworkPrior(seasonal_index=tuple(float(v) for v in values))
