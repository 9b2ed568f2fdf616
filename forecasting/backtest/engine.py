"""The backtest entry point: rolling-origin windows per series in a process pool, then selections.

For a series of ``n`` weeks and ``F = folds + selection_folds`` cutoffs, fold ``k`` (0 = oldest)
trains on the first ``n - horizon - (F - 1 - k) * step`` weeks and is scored on the next
``horizon`` weeks (:mod:`forecasting.backtest.windows`). The ``selection_folds`` oldest windows
are never scored: they only give ``auto`` and ``ensemble`` something to choose from at the first
scored cutoff, as the weekly run always has a finished backtest to choose from. Every model is
scored on the same windows.

Phase 1 (one pool task per series, :mod:`forecasting.backtest.runner`): every single model on
every window, with the weekly run's fallback policy; each series' sample paths go to a scratch
file. Phase 2 (this process, :mod:`forecasting.backtest.meta`): at each scored cutoff ``auto``
and ``ensemble`` choose from the windows that had closed, then take or combine those models'
paths. The rows become tables in :mod:`forecasting.backtest.results`.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

import pandas as pd

from forecasting.backtest.meta import meta_choices, meta_rows
from forecasting.backtest.results import BacktestResult, result_tables, scalars
from forecasting.backtest.runner import series_job
from forecasting.backtest.series import validate_series
from forecasting.backtest.windows import BacktestSpec, fold_ends
from forecasting.columns import DS, UID
from forecasting.config import ModelConfig
from forecasting.errors import ConfigError, InputError
from forecasting.models import BASE_MODELS
from forecasting.models.base import one_blas_thread
from forecasting.workers import process_pool

ALWAYS_RUN = ("seasonal_naive", "historic_mean")
"""Baselines every backtest includes, so every model is compared with them."""


def _pool(workers: int) -> ProcessPoolExecutor:
    return process_pool(workers, initializer=one_blas_thread)


def _check_models(models: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    known = sorted({*BASE_MODELS, "auto", "ensemble"})
    for name in models:
        if name not in known:
            raise ConfigError(f"Unknown model {name!r}; choose from {', '.join(known)}.")
    singles = [m for m in dict.fromkeys(models) if m in BASE_MODELS]
    singles += [m for m in ALWAYS_RUN if m not in singles]
    meta = tuple(m for m in ("auto", "ensemble") if m in models)
    return tuple(singles), meta


def _check_sizes(**sizes: int) -> None:
    for label, value in sizes.items():
        least = 0 if label == "selection_folds" else 1
        if value < least:
            raise ConfigError(
                f"--{label.replace('_', '-')} must be at least {least} (got {value})."
            )


def run_backtest(
    series: pd.DataFrame,
    *,
    models: Sequence[str],
    horizon: int = 13,
    folds: int = 8,
    selection_folds: int = 1,
    step: int | None = None,
    season: int = 1,
    n_paths: int = 200,
    seed: int = 0,
    config: ModelConfig | None = None,
    holiday_country: str | None = "US",
    regressors: Sequence[str] = (),
    workers: int | None = None,
) -> BacktestResult:
    """Rolling-origin backtest of ``models`` on every series of ``series``.

    Args:
        series: Long format: ``unique_id``, ``ds`` (weekly), ``y`` (finite, >= 0), plus any
            regressor columns. Not modified.
        models: Registered single models, plus ``auto`` and/or ``ensemble``. Seasonal naive
            and historic mean always run as baselines.
        horizon: Weeks forecast from each cutoff.
        folds: Scored cutoffs per series (fewer for series too short for all of them).
        selection_folds: Extra, older cutoffs whose windows are never scored and only give
            ``auto`` and ``ensemble`` a history to choose from at the first scored cutoff.
        step: Weeks between cutoffs (default: ``horizon``, windows that do not overlap).
        season: MASE / pinball scale: in-sample naive at this lag (1, or 52 for seasonal).
        n_paths: Sample paths per forecast (quantiles and coverage come from them).
        seed: Same seed, same paths, whatever ``workers`` is.
        config: Model settings, fallback, ``default_ranking``, ``selection_prior_windows`` and
            ensemble settings (default: ``ModelConfig()``).
        holiday_country: Prophet's holiday calendar, or None.
        regressors: Columns of ``series`` used as Prophet regressors (known in advance).
        workers: Processes (default: CPU count; 1 runs in this process).

    Raises:
        ConfigError: Unknown model name, a bad size, or a horizon not shorter than the
            longest series.
        InputError: ``series`` fails :func:`validate_series`, or a regressor is missing.
    """
    started = time.perf_counter()
    _check_sizes(
        horizon=horizon,
        folds=folds,
        selection_folds=selection_folds,
        season=season,
        n_paths=n_paths,
        step=horizon if step is None else step,
    )
    singles, meta = _check_models(models)
    frame = validate_series(series)
    missing = [r for r in regressors if r not in frame.columns]
    if missing:
        raise InputError(f"Regressor column(s) {missing} are not in the series; add them.")
    groups = {uid: g.reset_index(drop=True) for uid, g in frame.groupby(UID, sort=True)}
    longest = max(len(g) for g in groups.values())
    if horizon >= longest:
        raise ConfigError(
            f"--horizon {horizon} is not shorter than the longest series ({longest} weeks); "
            "use a shorter horizon."
        )
    with tempfile.TemporaryDirectory(prefix="lymphcast-backtest-") as scratch:
        spec = BacktestSpec(
            singles,
            meta,
            horizon,
            folds,
            selection_folds,
            step or horizon,
            season,
            n_paths,
            seed,
            config or ModelConfig(),
            holiday_country,
            tuple(regressors),
            scratch if meta else None,
        )
        scorable = {u: any(s for _, s in fold_ends(len(g), spec)) for u, g in groups.items()}
        uids = [u for u in groups if scorable[u]]
        skipped = {
            u: f"{len(g)} weeks: too short for one {horizon}-week fold"
            for u, g in groups.items()
            if not scorable[u]
        }
        if not uids:
            raise InputError("No series is long enough for one fold; use a shorter --horizon.")
        jobs = [(u, groups[u], spec, i) for i, u in enumerate(uids)]
        workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
        if workers == 1:
            with one_blas_thread():
                results = [series_job(j) for j in jobs]
        else:
            with _pool(workers) as pool:
                results = list(pool.map(series_job, jobs, chunksize=1))
        rows = [r for part in results for r in part]
        if meta:
            choices = meta_choices(pd.DataFrame([scalars(r) for r in rows]), spec)
            for i, u in enumerate(uids):
                rows += meta_rows(u, groups[u], results[i], spec, i, choices)
    rows = [r for r in rows if r.get("scored", True)]
    leaderboard, by_series, windows, forecasts = result_tables(rows)
    settings = {
        "models": [*singles, *meta],
        "horizon": horizon,
        "folds": folds,
        "selection_folds": selection_folds,
        "step": spec.step,
        "season": season,
        "n_paths": n_paths,
        "seed": seed,
        "workers": workers,
        "series": len(groups),
        "regressors": list(regressors),
        "last_week": str(frame[DS].max().date()),
        "selection_prior_windows": spec.config.selection_prior_windows,
        "wall_seconds": round(time.perf_counter() - started, 2),
    }
    return BacktestResult(leaderboard, by_series, windows, forecasts, skipped, settings)
