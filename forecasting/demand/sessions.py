"""Session demand: care-pathway convolution of procedures into MLD sessions, per sample path.

A procedure performed in week ``s`` generates ``weights[k]`` expected sessions in week ``s + k``
(``weights = uptake * sessions_by_week``, learned or configured; see forecasting/pathways.py).
Expected demand in a forecast week is then

- committed: sessions still owed to patients already operated on (actual procedures), plus
- forecast-driven: sessions from forecast procedures (each sample path convolved), plus
- non-surgical: MLD demand not explained by procedures (lymphedema and other clients), the
  remainder of past sessions minus pathway-implied sessions, forecast as its own series with
  an autoregressive model (``statsmodels`` AutoReg): its mean is the non-surgical level, and
  its short-term persistence carries the recent over- or under-uptake of patients still in
  their course into the next weeks.

Session counts around that expectation are over-dispersed (a patient who takes MLD takes several
sessions): paths are drawn from a gamma-Poisson (negative binomial) with variance
``dispersion x mean``, the dispersion estimated from history.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from statsmodels.tools.tools import pinv_extended

from forecasting.columns import PROCEDURE_TYPES
from forecasting.config import DemandConfig

if TYPE_CHECKING:
    from forecasting.demand.pathways import ClinicHistory

_MIN_REMAINDER_WEEKS = 8  # weeks of remainder wanted before dropping partly observed lags


def committed_demand(history: np.ndarray, weights: np.ndarray, horizon: int) -> np.ndarray:
    """Expected sessions in each of the next ``horizon`` weeks from procedures already done.

    Args:
        history: weekly completed procedures, oldest first; ``history[-1]`` is the week just
            before the first forecast week.
        weights: expected sessions per procedure by week since surgery (k = 0 is that week).
        horizon: number of forecast weeks.

    Returns:
        Array of shape (horizon,).
    """
    history = np.asarray(history, dtype=float)
    weights = np.asarray(weights, dtype=float)
    n = len(history)
    out = np.zeros(horizon)
    for h in range(horizon):
        for k in range(h + 1, len(weights)):
            s = n + h - k  # procedure week in the history
            if 0 <= s < n:
                out[h] += history[s] * weights[k]
    return out


def forecast_driven_demand(paths: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Sessions from forecast procedures: each path convolved with the pathway, same shape."""
    paths = np.asarray(paths, dtype=float)
    weights = np.asarray(weights, dtype=float)
    horizon = paths.shape[-1]
    out = np.zeros_like(paths)
    for k in range(min(len(weights), horizon)):
        out[..., k:] += paths[..., : horizon - k] * weights[k]
    return out


def implied_sessions(history: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Sessions implied by past procedures in each past week (same length as ``history``)."""
    history = np.asarray(history, dtype=float)
    return np.convolve(history, np.asarray(weights, dtype=float))[: len(history)]


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


def sample_counts(
    mean: np.ndarray, dispersion: float, rng: np.random.Generator, excess: float = 0.0
) -> np.ndarray:
    """Counts with the given mean and variance ``dispersion x mean + excess x mean^2``.

    Gamma-Poisson mixture: rate ~ Gamma with mean ``mean`` and variance ``(dispersion - 1) x
    mean + excess x mean^2``, count ~ Poisson(rate); plain Poisson when that variance is 0.
    """
    mean = np.clip(np.asarray(mean, dtype=float), 0.0, None)
    extra = max(dispersion - 1.0, 0.0) * mean + max(excess, 0.0) * mean**2
    rate = mean.copy()
    mixed = (extra > 1e-12) & (mean > 0)
    shape = mean[mixed] ** 2 / extra[mixed]
    rate[mixed] = rng.gamma(shape, mean[mixed] / shape)
    return rng.poisson(rate).astype(float)


def session_paths(
    procedure_history: Mapping[str, np.ndarray],
    procedure_paths: Mapping[str, np.ndarray],
    weights: Mapping[str, np.ndarray],
    *,
    non_surgical: float | np.ndarray,
    rng: np.random.Generator,
    dispersion: float = 1.0,
    excess: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Session demand sample paths of one clinic.

    Args:
        procedure_history: per procedure type, weekly completed procedures before the forecast.
        procedure_paths: per procedure type, forecast sample paths (n_paths, horizon).
        weights: per procedure type, expected sessions per procedure by week since surgery.
        non_surgical: expected non-surgical sessions, one value or one per week (horizon,).
        rng: random generator for the count noise.
        dispersion: variance / mean of weekly session counts (>= 1).
        excess: extra variance per squared mean (pathway and level error).

    Returns:
        (committed, paths): committed expected sessions (horizon,) and session count paths
        (n_paths, horizon), integers stored as float.
    """
    shapes = {np.shape(p) for p in procedure_paths.values()}
    if len(shapes) > 1:
        raise ValueError(f"procedure paths have different shapes: {sorted(shapes)}")
    if not shapes:
        raise ValueError("session_paths needs at least one procedure type with forecast paths")
    n_paths, horizon = shapes.pop()
    committed = np.zeros(horizon)
    expected = np.zeros((n_paths, horizon))
    for procedure, paths in procedure_paths.items():
        w = np.asarray(weights[procedure], dtype=float)
        history = procedure_history.get(procedure, np.zeros(0))
        committed += committed_demand(history, w, horizon)
        expected += forecast_driven_demand(paths, w)
    mean = expected + committed + np.asarray(non_surgical, dtype=float)
    return committed, sample_counts(mean, dispersion, rng, excess)


@dataclass(frozen=True)
class ClinicDemand:
    """Session demand of one clinic over the forecast horizon.

    Attributes:
        committed: expected sessions owed to patients already operated on (horizon,).
        paths: session count sample paths (n_paths, horizon).
        non_surgical: expected non-surgical sessions per week (horizon,).
        note: why this clinic's forecast is less certain, or None.
    """

    committed: np.ndarray
    paths: np.ndarray
    non_surgical: np.ndarray
    note: str | None


def _remainder_rows(history: ClinicHistory, lags: int) -> np.ndarray:
    """Weeks with session data, preferring those whose procedure lags are all observed."""
    start = history.first_session or 0
    if history.first_procedure is not None:
        full = max(start, history.first_procedure + lags - 1)
        if len(history.weeks) - full >= _MIN_REMAINDER_WEEKS:
            start = full
    return np.arange(start, len(history.weeks))


def clinic_demand(
    history: ClinicHistory,
    procedure_paths: Mapping[str, np.ndarray],
    weights: Mapping[str, np.ndarray],
    *,
    n_paths: int,
    horizon: int,
    dispersion: float,
    config: DemandConfig,
    rng: np.random.Generator,
    excess: float = 0.0,
) -> ClinicDemand:
    """Committed demand, non-surgical forecast and session paths of one clinic.

    Args:
        history: the clinic's aligned weekly procedures and sessions before the cut-off.
        procedure_paths: per procedure type, final-volume paths (n_paths, horizon); may be
            empty for a clinic without procedure data.
        weights: per procedure type, expected sessions per procedure by week since surgery.
        n_paths: number of sample paths.
        horizon: forecast weeks.
        dispersion: variance / mean of weekly sessions.
        config: demand settings (non-surgical model; histories shorter than
            ``min_history_weeks`` get a note).
        rng: random generator for the count noise.
        excess: extra variance per squared mean (pathway and level error).
    """
    types = list(PROCEDURE_TYPES)
    past = {p: history.procedures[:, types.index(p)] for p in types}
    implied = sum(implied_sessions(past[p], weights[p]) for p in types)
    note = None
    if history.first_session is None:
        non_surgical = np.zeros(horizon)
        note = (
            "no session history: demand comes from procedures and the care pathway only, "
            "without non-surgical clients"
        )
    else:
        lags = max(len(np.atleast_1d(w)) for w in weights.values())
        rows = _remainder_rows(history, lags)
        remainder = history.sessions[rows] - np.asarray(implied)[rows]
        non_surgical = non_surgical_forecast(
            remainder,
            horizon,
            lags=config.non_surgical_ar_lags,
            window=config.non_surgical_window_weeks,
        )
    if history.first_procedure is None or not procedure_paths:
        note = "no procedure history: sessions are forecast from the recent session level only"
        procedure_paths = {types[0]: np.zeros((n_paths, horizon))}
    elif note is None and len(history.weeks) < config.min_history_weeks:
        note = (
            f"only {len(history.weeks)} weeks of history: its procedure forecast and "
            "non-surgical level are less certain"
        )
    committed, paths = session_paths(
        past,
        procedure_paths,
        weights,
        non_surgical=non_surgical,
        rng=rng,
        dispersion=dispersion,
        excess=excess,
    )
    return ClinicDemand(committed, paths, non_surgical, note)
