"""Phase 1 of a backtest, one series: every single model on every window, with fallbacks.

The weekly run's fallback policy applies per window; Prophet and SARIMAX warm-start each fold
from the previous fold's fit; network models (``pooled``, ``mixed``) get the network prior of
the weeks up to the window's cutoff (:mod:`forecasting.backtest.priors`). The series' sample
paths go to a scratch file for phase 2 (:mod:`forecasting.backtest.meta`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecasting.backtest.priors import prior_at
from forecasting.backtest.windows import BacktestSpec, fold_ends, window_rng, window_row
from forecasting.columns import DS, Y
from forecasting.models import make_model, model_settings
from forecasting.models.base import MODEL_ERRORS
from forecasting.models.registry import with_prior
from forecasting.models.runner import too_short


def _settings(
    name: str, spec: BacktestSpec, frame: pd.DataFrame, cutoff: pd.Timestamp
) -> dict[str, Any]:
    settings = with_prior(
        name, model_settings(name, spec.config, spec.holiday_country), prior_at(spec.priors, cutoff)
    )
    if name == "prophet" and spec.regressors:
        settings |= {
            "regressors": spec.regressors,
            "future_regressors": frame[[DS, *spec.regressors]],
        }
    return settings


def _run_model(
    name: str, train: pd.DataFrame, frame: pd.DataFrame, spec: BacktestSpec, previous: Any, rng
) -> tuple[np.ndarray, Any, str]:
    """Paths of one model on one window with the weekly run's fallback policy."""
    reason = too_short(train[Y].to_numpy(dtype=float), (name,), spec.config)
    cutoff = pd.Timestamp(train[DS].iloc[-1])
    if reason is None:
        model = make_model(name, **_settings(name, spec, frame, cutoff))
        try:
            if previous is not None and getattr(model, "supports_warm_start", False):
                model.fit(train, warm_start=previous)  # type: ignore[call-arg]
            else:
                model.fit(train)
            return model.sample(spec.horizon, spec.n_paths, rng), model, ""
        except MODEL_ERRORS as err:
            reason = f"{name} failed: {type(err).__name__}: {err}"[:200]
    fallback = spec.config.fallback
    model = make_model(fallback, **_settings(fallback, spec, frame, cutoff)).fit(train)
    return model.sample(spec.horizon, spec.n_paths, rng), None, f"{fallback}: {reason}"


def backtest_series(uid: str, frame: pd.DataFrame, spec: BacktestSpec, slot: int) -> list[dict]:
    """Phase 1 for one series: every single model on every window (rows), paths to scratch."""
    rows: list[dict] = []
    previous: dict[str, Any] = {}
    all_paths = []
    for end, scored in fold_ends(len(frame), spec):
        train = frame.iloc[:end].reset_index(drop=True)
        test = frame.iloc[end : end + spec.horizon]
        cutoff = pd.Timestamp(train[DS].iloc[-1])
        window_paths = []
        for name in spec.models:
            start = time.perf_counter()
            rng = window_rng(spec.seed, uid, cutoff, name)
            paths, previous[name], note = _run_model(
                name, train, frame, spec, previous.get(name), rng
            )
            row = window_row(uid, train, test, name, paths, spec.season)
            row |= {
                "fit_seconds": time.perf_counter() - start,
                "fallback_reason": note,
                "selection": "",
                "scored": scored,
                "end": end,
            }
            rows.append(row)
            window_paths.append(paths)
        all_paths.append(window_paths)
    if spec.scratch is not None:
        np.save(Path(spec.scratch) / f"{slot}.npy", np.asarray(all_paths, dtype=float))
    return rows


def series_job(args: tuple[str, pd.DataFrame, BacktestSpec, int]) -> list[dict]:
    """:func:`backtest_series` of one ``(uid, frame, spec, slot)`` (a pool task)."""
    return backtest_series(*args)
