"""The model contract shared by every forecaster: validation helpers and path summaries.

Every model follows the same contract: the constructor stores settings only;
``fit(history) -> self`` learns from a frame with columns ``ds`` (Monday of the week,
datetime64, contiguous weekly, no gaps) and ``y`` (weekly values, finite, >= 0);
``sample(horizon, n_paths, rng)`` returns an array of shape ``(n_paths, horizon)`` of future
weekly values, finite and non-negative. Models that can reuse an earlier fit (Prophet, SARIMAX)
also accept ``fit(history, warm_start=previous_model)``; a rolling-origin backtest uses it.
"""

from __future__ import annotations

import functools
from typing import Any, Protocol

import numpy as np
import pandas as pd
from threadpoolctl import ThreadpoolController

from forecasting.columns import DS, MEAN, P10, P50, P90, QUANTILES, Y
from forecasting.errors import ConfigError, InputError

# What a model fit may raise on a hard series (cmdstanpy's optimisation failure is a
# RuntimeError; Prophet's data checks, statsmodels' and numpy's LinAlgError are ValueErrors).
MODEL_ERRORS = (RuntimeError, ValueError, np.linalg.LinAlgError)


class Model(Protocol):
    """What every forecasting model provides."""

    def fit(self, history: pd.DataFrame) -> Model: ...

    def sample(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray: ...


@functools.cache
def _blas_controller() -> ThreadpoolController:
    import scipy.linalg  # noqa: F401  (loads scipy's own BLAS so the controller finds it)

    return ThreadpoolController()


def one_blas_thread() -> Any:
    """Limit BLAS to one thread (a context manager; or call it to keep the limit).

    statsmodels' state-space models call BLAS on tiny matrices hundreds of times per fit; with
    more BLAS threads than free cores the threads spin against each other. Measured on a busy
    2-core machine: a SARIMAX fit took 0.8-8 s instead of 0.05 s. scipy ships its own OpenBLAS,
    loaded with ``scipy.linalg``, so it is imported before the libraries are looked up (once).
    """
    return _blas_controller().limit(limits=1, user_api="blas")


def validate_history(history: pd.DataFrame) -> None:
    """Raise InputError unless ``history`` is a non-empty contiguous weekly series.

    Args:
        history: Columns ``ds`` (Mondays, datetime64) and ``y`` (finite, >= 0).
    """
    missing = [c for c in (DS, Y) if c not in history.columns]
    if missing:
        raise InputError(f"History frame lacks column(s) {missing}; pass columns '{DS}', '{Y}'.")
    if history.empty:
        raise InputError("History frame is empty; pass at least one week.")
    if not pd.api.types.is_datetime64_any_dtype(history[DS]):
        raise InputError(f"Column '{DS}' must be datetime64 (Monday of each week).")
    y = history[Y].to_numpy(dtype=float)
    if not np.isfinite(y).all() or (y < 0).any():
        raise InputError(f"Column '{Y}' must be finite and >= 0 (weekly values).")
    ds = history[DS]
    values = ds.to_numpy()
    if values.dtype.kind == "M" and not np.isnat(values).any():  # tz-naive: checked in numpy
        days = values.astype("datetime64[D]").astype(np.int64)  # (pandas' .dt: 1 ms a call)
        mondays = ((days + 3) % 7 == 0).all()  # 1970-01-01 was a Thursday
        if mondays and (np.diff(values) == np.timedelta64(7, "D")).all():
            return
    if (ds.dt.day_of_week != 0).any():
        first = str(ds[ds.dt.day_of_week != 0].iloc[0].date())
        raise InputError(f"Column '{DS}' must hold Mondays; first bad date {first}.")
    if (ds.diff().iloc[1:] != pd.Timedelta(weeks=1)).any():
        raise InputError(f"Column '{DS}' must be sorted weekly with no gaps or duplicates.")


def check_sample_args(horizon: int, n_paths: int) -> None:
    """Raise ConfigError unless ``horizon`` and ``n_paths`` are at least 1."""
    if horizon < 1:
        raise ConfigError(f"horizon must be >= 1 week (got {horizon}).")
    if n_paths < 1:
        raise ConfigError(f"n_paths must be >= 1 (got {n_paths}).")


def require_fitted(model: object, attribute: str) -> None:
    """Raise RuntimeError when ``sample`` is called before ``fit``."""
    if not hasattr(model, attribute):
        raise RuntimeError(f"call {type(model).__name__}.fit() before sample()")


def finish_paths(paths: np.ndarray, n_paths: int, horizon: int) -> np.ndarray:
    """Paths as a float array ``(n_paths, horizon)`` clipped at zero.

    Raises:
        ValueError: The model produced non-finite values or the wrong shape.
    """
    out = np.asarray(paths, dtype=float)
    if out.shape != (n_paths, horizon):
        raise ValueError(f"model returned paths of shape {out.shape}, not {(n_paths, horizon)}")
    if not np.isfinite(out).all():
        raise ValueError("model produced non-finite values")
    return np.clip(out, 0.0, None)


def weeks_since_epoch(ds: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Week number of each date counted from 1970-01-05 (a Monday): a fixed phase for Fourier
    terms, so every fold of a backtest and every run shares the same yearly cycle."""
    values = pd.DatetimeIndex(ds).to_numpy(dtype="datetime64[D]").astype(np.int64)
    return (values - 4) / 7.0  # 1970-01-05 is day 4 of the epoch


def fourier_terms(weeks: np.ndarray, period: float, pairs: int) -> np.ndarray:
    """Sine and cosine columns ``(len(weeks), 2 * pairs)`` for a cycle of ``period`` weeks."""
    angle = 2.0 * np.pi * np.asarray(weeks, dtype=float)[:, None] / period
    k = np.arange(1, pairs + 1)[None, :]
    return np.hstack([np.sin(k * angle), np.cos(k * angle)])


def summarise_paths(paths: np.ndarray) -> dict[str, np.ndarray]:
    """Mean and 10/50/90 % quantiles per horizon step.

    Args:
        paths: Array ``(n_paths, horizon)``.

    Returns:
        ``{"mean", "p10", "p50", "p90"}``, each an array of length ``horizon``.
    """
    paths = np.asarray(paths, dtype=float)
    if paths.ndim != 2 or paths.shape[0] == 0:
        raise ValueError(
            f"paths must be a non-empty 2-D array (n_paths, horizon); got {paths.shape}"
        )
    summary = {MEAN: paths.mean(axis=0)}
    for key in (P10, P50, P90):
        summary[key] = np.quantile(paths, QUANTILES[key], axis=0)
    return summary
