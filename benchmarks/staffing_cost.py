"""The suite's staffing cost: the decision backtest's cost of the hours each method staffs.

As ``forecasting/backtest/staffing.py``: the hours needed are the realised sessions x (session +
turnover) / productive share; per clinic-week the cost is c_short x max(needed - staffed, 0) +
c_idle x max(staffed - needed, 0), with ``[staffing]``'s costs or, when only a service level q
is set, the costs it implies (c_idle = 1, c_short = q / (1 - q)). The weekly run staffs its
``therapist_hours_needed``; a baseline staffs its ``sessions_target`` rounded up to schedulable
blocks (``recommended_hours``), as the decision backtest does for Prophet on sessions.
"""

from __future__ import annotations

import numpy as np

from forecasting.backtest.staffing import costs
from forecasting.config import Config
from forecasting.staffing.hours import recommended_hours


def staffed_hours(target: np.ndarray, config: Config) -> np.ndarray:
    """Paid hours a baseline staffs for its session target (NaN where it has none)."""
    target = np.asarray(target, dtype=float)
    if not np.isfinite(target).all():
        return np.full(target.shape, np.nan)
    return recommended_hours(target, config.staffing)


def week_cost(actual: np.ndarray, hours: np.ndarray, config: Config) -> np.ndarray:
    """Cost per week of staffing ``hours`` when ``actual`` sessions happened."""
    c_short, c_idle = costs(config)
    s = config.staffing
    needed = np.asarray(actual, dtype=float) * s.hours_per_session / s.productive_share
    hours = np.asarray(hours, dtype=float)
    return c_short * np.clip(needed - hours, 0, None) + c_idle * np.clip(hours - needed, 0, None)
