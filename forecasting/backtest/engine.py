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
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace

import pandas as pd

from forecasting.backtest.meta import meta_choices, meta_rows
from forecasting.backtest.priors import window_priors
from forecasting.backtest.results import BacktestResult, result_tables, scalars
from forecasting.backtest.runner import series_job
from forecasting.backtest.series import validate_series
from forecasting.backtest.windows import BacktestSpec, fold_ends
from forecasting.columns import DS, UID
from forecasting.config import ModelConfig
from forecasting.errors import ConfigError, InputError
from forecasting.models import BASE_MODELS
from forecasting.models.base import one_blas_thread
from forecasting.progress import Progress, stage
from forecasting.workers import process_pool

ALWAYS_RUN = ("seasonal_naive", "historic_mean")
"""Baselines every backtest includes, so every model is compared with them."""


def _pool(workers: int) -> ProcessPoolExecutor:
    return process_pool(workers, initializer=one_blas_thread)


def _run_jobs(
    jobs: list, workers: int, windows: list[int], advance: Callable[[int], None]
) -> list[list[dict]]:
    """Phase 1 of every series, in job order; ``advance`` hears of each series' windows as the
    series finishes (in a pool: in the order they finish)."""
    if workers == 1:
        results = []
        with one_blas_thread():
            for job, n in zip(jobs, windows, strict=True):
                results.append(series_job(job))
                advance(n)
        return results
    with _pool(workers) as pool:
        futures = {pool.submit(series_job, job): i for i, job in enumerate(jobs)}
        for done in as_completed(futures):
            done.result()  # a failed series stops the backtest, as a map would
            advance(windows[futures[done]])
        return [f.result() for f in futures]


def _check_models(models: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    known = sorted({*BASE_MODELS, "auto", "ensemble"})
    for name in models:
        if name not in known:
            raise ConfigError(f"Unknown model {name!r}; choose from {', '.join(known)}.")
    singles = [m for m in dict.fromkeys(models) if m in BASE_MODELS]
    singles += [m for m in ALWAYS_RUN if m not in singles]
    meta = tuple(m for m in ("auto", "ensemble") if m in models)
    return tuple(singles), meta


_OPTIONS = {"n_paths": "paths"}  # argument -> the CLI option that sets it


def _check_sizes(**sizes: int) -> None:
    for label, value in sizes.items():
        least = 0 if label == "selection_folds" else 1
        if value < least:
            raise ConfigError(
                f"--{_OPTIONS.get(label, label).replace('_', '-')} must be at least {least} "
                f"(got {value})."
            )


def check_arguments(
    models: Sequence[str],
    *,
    horizon: int = 13,
    folds: int = 8,
    selection_folds: int = 1,
    step: int | None = None,
    season: int = 1,
    n_paths: int = 200,
) -> None:
    """The checks :func:`run_backtest` makes of its arguments, for a caller to make before it
    reads the series (the CLI, so a bad --models or --folds costs no reading).

    Raises:
        ConfigError: an unknown model name or a size out of range, naming the option.
    """
    _check_sizes(
        horizon=horizon,
        folds=folds,
        selection_folds=selection_folds,
        season=season,
        n_paths=n_paths,
        step=horizon if step is None else step,
    )
    _check_models(models)


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
    progress: Progress | None = None,
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
        progress: Hears of the windows done, series by series as they finish (stage
            "backtest", series x windows), then of ``auto`` / ``ensemble`` per series (stage
            "selection"); default ``forecasting.progress``'s receiver for the process.

    Raises:
        ConfigError: Unknown model name, a bad size, or a horizon not shorter than the
            longest series.
        InputError: ``series`` fails :func:`validate_series`, or a regressor is missing.
    """
    started = time.perf_counter()
    check_arguments(
        models, horizon=horizon, folds=folds, selection_folds=selection_folds, step=step,
        season=season, n_paths=n_paths,
    )  # fmt: skip
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
        cutoffs = {
            pd.Timestamp(g[DS].iloc[end - 1])
            for g in groups.values()
            for end, _ in fold_ends(len(g), spec)
        }
        spec = replace(spec, priors=window_priors(groups, cutoffs, singles, spec.config))
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
        windows = [len(fold_ends(len(groups[u]), spec)) for u in uids]
        with stage("backtest", sum(windows), "windows", progress) as running:
            results = _run_jobs(jobs, workers, windows, running.advance)
        rows = [r for part in results for r in part]
        if meta:
            choices = meta_choices(pd.DataFrame([scalars(r) for r in rows]), spec)
            with stage("selection", len(uids), "series", progress) as running:
                for i, u in enumerate(uids):
                    rows += meta_rows(u, groups[u], results[i], spec, i, choices)
                    running.advance()
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
