"""Non-surgical MLD demand: the session remainder not implied by procedures, forecast by AR.

The remainder (past sessions minus pathway-implied sessions: lymphedema and other clients) is
forecast as its own series with an autoregressive model (``statsmodels`` AutoReg): its mean is
the non-surgical level, and its short-term persistence carries the recent over- or under-uptake
of patients still in their course into the next weeks.
"""

from __future__ import annotations

import numpy as np
from statsmodels.tools.tools import pinv_extended

from forecasting.config import DemandConfig
from forecasting.demand.history import ClinicHistory

_MIN_REMAINDER_WEEKS = 8  # weeks of remainder wanted before dropping partly observed lags


def non_surgical_forecast(
    remainder: np.ndarray, horizon: int, *, lags: int, window: int
) -> np.ndarray:
    """Forecast of the remainder series (sessions not implied by procedures), >= 0.

    An AR(``lags``) model with a constant fitted by OLS (``statsmodels`` AutoReg) on the last
    ``window`` weeks; its forecasts revert to the window's mean level. With fewer than
    ``2 x lags + 8`` weeks, with ``lags`` = 0, a constant remainder or a non-stationary fit,
    the window's mean.

    Args:
        remainder: weekly sessions minus pathway-implied sessions, oldest first.
        horizon: weeks to forecast.
        lags: autoregressive order.
        window: weeks of history used.

    Returns:
        Array (horizon,).
    """
    values = np.asarray(remainder, dtype=float)[-window:]
    if len(values) == 0:
        return np.zeros(horizon)
    flat = np.full(horizon, max(float(values.mean()), 0.0))
    if lags == 0 or len(values) < 2 * lags + _MIN_REMAINDER_WEEKS or np.ptp(values) == 0:
        return flat
    forecast = _autoreg_forecast(values, lags, horizon)
    if forecast is None:  # non-stationary: no mean to revert to
        return flat
    return np.clip(forecast, 0.0, None)


def _autoreg_forecast(values: np.ndarray, lags: int, horizon: int) -> np.ndarray | None:
    """``AutoReg(values, lags, trend="c").fit()`` forecasts, or None when non-stationary.

    The same arithmetic as statsmodels (pseudo-inverse OLS on a constant and lags 1..lags, the
    roots of the lag polynomial, the out-of-sample recursion), bit for bit, without building
    its model and results objects, which cost about 15 times the arithmetic (a network runs
    this twice per clinic). tests/test_demand.py checks it against AutoReg.
    """
    n = len(values)
    x = np.ones((n - lags, lags + 1))  # constant, then lag 1..lags
    for lag in range(1, lags + 1):
        x[:, lag] = values[lags - lag : n - lag]
    y = values[lags:]
    params = np.dot(pinv_extended(x)[0], y)
    lag_polynomial = np.concatenate([[1.0], -params[1:]])
    with np.errstate(divide="ignore"):  # a zero root of the polynomial is an infinite AR root
        roots = np.roots(lag_polynomial) ** -1
    if np.any(np.abs(roots) <= 1.0):
        return None
    row = np.zeros((horizon, lags + 1))
    row[:, 0] = 1.0
    out = np.empty(horizon)
    for i in range(horizon):
        for lag in range(1, lags + 1):
            row[i, lag] = y[i - lag] if i < lag else out[i - lag]
        out[i] = np.squeeze(row[i : i + 1] @ params)
    return out


def _remainder_rows(history: ClinicHistory, lags: int) -> np.ndarray:
    """Weeks with session data, preferring those whose procedure lags are all observed."""
    start = history.first_session or 0
    if history.first_procedure is not None:
        full = max(start, history.first_procedure + lags - 1)
        if len(history.weeks) - full >= _MIN_REMAINDER_WEEKS:
            start = full
    return np.arange(start, len(history.weeks))


def clinic_non_surgical(
    history: ClinicHistory,
    implied: np.ndarray,
    pathway_weeks: int,
    horizon: int,
    config: DemandConfig,
) -> np.ndarray:
    """Non-surgical forecast (horizon,) of one clinic with session history.

    Args:
        history: the clinic's aligned weekly history (``first_session`` is not None).
        implied: pathway-implied sessions in each past week, length ``len(history.weeks)``.
        pathway_weeks: length of the longest pathway (weeks whose procedure lags are all
            observed are preferred).
        horizon: weeks to forecast.
        config: ``non_surgical_ar_lags`` and ``non_surgical_window_weeks``.
    """
    rows = _remainder_rows(history, pathway_weeks)
    remainder = history.sessions[rows] - np.asarray(implied)[rows]
    return non_surgical_forecast(
        remainder,
        horizon,
        lags=config.non_surgical_ar_lags,
        window=config.non_surgical_window_weeks,
    )
