"""The backtest engine: rolling-origin windows, single models in a process pool, then the
``auto`` and ``ensemble`` selections scored from the windows that had closed at each cutoff.

For a series of ``n`` weeks and ``F = folds + selection_folds`` cutoffs, fold ``k`` (0 = oldest)
trains on the first ``n - horizon - (F - 1 - k) * step`` weeks and is scored on the next
``horizon`` weeks. The ``selection_folds`` oldest windows are never scored: they only give
``auto`` and ``ensemble`` something to choose from at the first scored cutoff, as the weekly run
always has a finished backtest to choose from. Every model is scored on the same windows.

Phase 1 (one pool task per series): every single model on every window, with the weekly run's
fallback policy; Prophet and SARIMAX warm-start each fold from the previous fold's fit. Each
series' sample paths go to a scratch file. Phase 2 (this process): at each scored cutoff,
``auto`` and ``ensemble`` rank the models by the pooled score of
:func:`forecasting.models.selection.pooled_scores` over the windows of all series whose weeks
all lie before that cutoff, then take (auto) or combine (ensemble) those models' paths.
"""

from __future__ import annotations

import os
import tempfile
import time
import zlib
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecasting.backtest.series import validate_series
from forecasting.columns import DS, MEAN, P10, P50, P90, UID, Y
from forecasting.config import ModelConfig
from forecasting.errors import ConfigError, InputError
from forecasting.metrics import METRICS, evaluate
from forecasting.models import BASE_MODELS, combine_paths, make_model, model_settings
from forecasting.models.base import MODEL_ERRORS, one_blas_thread, summarise_paths
from forecasting.models.runner import too_short
from forecasting.models.selection import allowed_models, choose_members, pooled_scores
from forecasting.workers import process_pool

ALWAYS_RUN = ("seasonal_naive", "historic_mean")
"""Baselines every backtest includes, so every model is compared with them."""
FORECAST_COLUMNS = [UID, "cutoff", DS, Y, "model", MEAN, P10, P50, P90]
LEADERBOARD_COLUMNS = ["model", *METRICS, "fit_seconds", "windows", "fallbacks"]
WINDOW_COLUMNS = [UID, "cutoff", "model", *METRICS, "fit_seconds", "fallback_reason", "selection"]
_SUMMARY = (MEAN, P10, P50, P90)


@dataclass(frozen=True)
class BacktestResult:
    """Everything a backtest measured.

    Attributes:
        leaderboard: One row per model (``LEADERBOARD_COLUMNS``), best mean MASE first; metrics
            are averaged over windows per series, then over series.
        by_series: The same per ``unique_id`` and model (what ``auto`` and ``ensemble`` read).
        metrics: One row per scored window (``WINDOW_COLUMNS``): metrics, ``fit_seconds``,
            ``fallback_reason`` (why a fallback or default was used, else empty) and
            ``selection`` (the models auto / ensemble used).
        forecasts: ``FORECAST_COLUMNS``: every scored window's forecast next to the actuals.
        skipped: Series too short for a single fold, with the reason.
        settings: Horizon, folds, step, season, models, paths, seed, workers, wall seconds.
    """

    leaderboard: pd.DataFrame
    by_series: pd.DataFrame
    metrics: pd.DataFrame
    forecasts: pd.DataFrame
    skipped: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Spec:
    models: tuple[str, ...]  # single models
    meta: tuple[str, ...]  # "auto" / "ensemble"
    horizon: int
    folds: int
    selection_folds: int
    step: int
    season: int
    n_paths: int
    seed: int
    config: ModelConfig
    holiday_country: str | None
    regressors: tuple[str, ...]
    scratch: str | None  # directory for the series' paths (phase 2), None without meta


# --------------------------------------------------------------------------- phase 1


def _rng(seed: int, uid: str, cutoff: pd.Timestamp, model: str) -> np.random.Generator:
    """Generator per window and model, independent of process and order."""
    keys = [seed, zlib.crc32(uid.encode()), cutoff.toordinal(), zlib.crc32(model.encode())]
    return np.random.default_rng(keys)


def _settings(name: str, spec: _Spec, frame: pd.DataFrame) -> dict[str, Any]:
    settings = model_settings(name, spec.config, spec.holiday_country)
    if name == "prophet" and spec.regressors:
        settings |= {
            "regressors": spec.regressors,
            "future_regressors": frame[[DS, *spec.regressors]],
        }
    return settings


def _run_model(
    name: str, train: pd.DataFrame, frame: pd.DataFrame, spec: _Spec, previous: Any, rng
) -> tuple[np.ndarray, Any, str]:
    """Paths of one model on one window with the weekly run's fallback policy."""
    reason = too_short(train[Y].to_numpy(dtype=float), (name,), spec.config)
    if reason is None:
        model = make_model(name, **_settings(name, spec, frame))
        try:
            if previous is not None and getattr(model, "supports_warm_start", False):
                model.fit(train, warm_start=previous)
            else:
                model.fit(train)
            return model.sample(spec.horizon, spec.n_paths, rng), model, ""
        except MODEL_ERRORS as err:
            reason = f"{name} failed: {type(err).__name__}: {err}"[:200]
    fallback = spec.config.fallback
    model = make_model(fallback, **_settings(fallback, spec, frame)).fit(train)
    return model.sample(spec.horizon, spec.n_paths, rng), None, f"{fallback}: {reason}"


def _fold_ends(n: int, spec: _Spec) -> list[tuple[int, bool]]:
    """Training lengths of the folds, oldest first, each with whether it is scored."""
    total = spec.folds + spec.selection_folds
    ends = [
        (n - spec.horizon - (total - 1 - k) * spec.step, k >= spec.selection_folds)
        for k in range(total)
    ]
    return [(e, scored) for e, scored in ends if e > spec.season]


def _row(
    uid: str, train: pd.DataFrame, test: pd.DataFrame, model: str, paths: np.ndarray, season: int
) -> dict[str, Any]:
    """Forecast summary and metrics of one window."""
    actual = test[Y].to_numpy(dtype=float)
    summary = summarise_paths(paths)
    scores = evaluate(actual, summary, train[Y].to_numpy(dtype=float), season)
    cutoff = pd.Timestamp(train[DS].iloc[-1])
    return {
        UID: uid,
        "cutoff": cutoff,
        "model": model,
        **scores,
        DS: test[DS].to_numpy(),
        Y: actual,
        **summary,
    }


def _backtest_series(uid: str, frame: pd.DataFrame, spec: _Spec, slot: int) -> list[dict]:
    """Phase 1 for one series: every single model on every window (rows), paths to scratch."""
    rows: list[dict] = []
    previous: dict[str, Any] = {}
    all_paths = []
    for end, scored in _fold_ends(len(frame), spec):
        train = frame.iloc[:end].reset_index(drop=True)
        test = frame.iloc[end : end + spec.horizon]
        cutoff = pd.Timestamp(train[DS].iloc[-1])
        window_paths = []
        for name in spec.models:
            start = time.perf_counter()
            rng = _rng(spec.seed, uid, cutoff, name)
            paths, previous[name], note = _run_model(
                name, train, frame, spec, previous.get(name), rng
            )
            row = _row(uid, train, test, name, paths, spec.season)
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


def _job(args: tuple[str, pd.DataFrame, _Spec, int]) -> list[dict]:
    return _backtest_series(*args)


def _pool(workers: int) -> ProcessPoolExecutor:
    return process_pool(workers, initializer=one_blas_thread)


# --------------------------------------------------------------------------- phase 2


def _choices(windows: pd.DataFrame, spec: _Spec) -> dict[tuple[str, pd.Timestamp], tuple]:
    """Per (series, scored cutoff): the models allowed there (baselines only for a short
    history) and their pooled scores over the windows of all series that closed before it."""
    run = list(spec.models)
    windows = windows.loc[windows["model"].isin(run)]
    closes = windows["cutoff"] + pd.Timedelta(weeks=spec.horizon)
    out: dict[tuple[str, pd.Timestamp], tuple] = {}
    scored = windows.loc[windows["scored"], [UID, "cutoff", "end"]].drop_duplicates()
    for cutoff, rows in scored.groupby("cutoff", sort=True):
        closed = windows.loc[closes <= cutoff]
        per_series = closed.groupby([UID, "model"])["mase"].agg(["mean", "count"])
        overall = per_series["mean"].groupby(level="model").mean()
        for uid, end in zip(rows[UID], rows["end"], strict=True):
            allowed, short = allowed_models(spec.config, int(end))
            allowed = [m for m in allowed if m in run] or run
            own = pd.DataFrame({"mean": [], "count": []}, index=pd.Index([], name="model"))
            if uid in per_series.index.get_level_values(UID):
                own = per_series.xs(uid, level=UID)
            scores = pooled_scores(
                own["mean"], own["count"], overall, spec.config.selection_prior_windows
            )
            out[(uid, cutoff)] = (scores[scores.index.isin(allowed)], allowed, short)
    return out


def _meta_rows(
    uid: str, frame: pd.DataFrame, rows: list[dict], spec: _Spec, slot: int, choices: dict
) -> list[dict]:
    """Phase 2 for one series: auto and ensemble rows of its scored windows."""
    paths = np.load(Path(spec.scratch) / f"{slot}.npy")  # (windows, models, n_paths, horizon)
    by_window: dict[pd.Timestamp, dict[str, dict]] = {}
    for r in rows:
        by_window.setdefault(r["cutoff"], {})[r["model"]] = r
    out = []
    for w, (cutoff, models) in enumerate(sorted(by_window.items())):
        first = models[spec.models[0]]
        if not first["scored"]:
            continue
        scores, allowed, short = choices[(uid, cutoff)]
        for meta in spec.meta:
            size = 1 if meta == "auto" else spec.config.ensemble_size
            note = ""
            members, weights = choose_members(scores, size)
            if not members:
                ranked = [m for m in spec.config.default_ranking if m in allowed] or allowed
                members, weights = tuple(ranked[:size]), None
                note = "default ranking (no closed window)"
            if len(members) == 1:
                row = {**models[members[0]], "model": meta}
            else:
                index = [spec.models.index(m) for m in members]
                rng = _rng(spec.seed, uid, cutoff, meta)
                combined = combine_paths(
                    list(paths[w, index]), weights, spec.config.ensemble_combine, rng
                )
                end = first["end"]
                train = frame.iloc[:end]
                row = _row(
                    uid, train, frame.iloc[end : end + spec.horizon], meta, combined, spec.season
                )
            seconds = sum(models[m]["fit_seconds"] for m in members)
            notes = [note] + [
                f"{m} used {models[m]['fallback_reason']}"
                for m in members
                if models[m]["fallback_reason"]
            ]
            note = "; ".join(n for n in notes if n)
            chose = "+".join(members) + (f" ({short})" if short else "")
            row |= {"fit_seconds": seconds, "fallback_reason": note, "selection": chose}
            out.append(row)
    return out


# --------------------------------------------------------------------------- entry point


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
        spec = _Spec(
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
        scorable = {u: any(s for _, s in _fold_ends(len(g), spec)) for u, g in groups.items()}
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
                results = [_job(j) for j in jobs]
        else:
            with _pool(workers) as pool:
                results = list(pool.map(_job, jobs, chunksize=1))
        rows = [r for part in results for r in part]
        if meta:
            choices = _choices(pd.DataFrame([_scalars(r) for r in rows]), spec)
            for i, u in enumerate(uids):
                rows += _meta_rows(u, groups[u], results[i], spec, i, choices)
    rows = [r for r in rows if r.get("scored", True)]
    leaderboard, by_series, windows, forecasts = _tables(rows)
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


def _scalars(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in (DS, Y, *_SUMMARY)}


def _tables(rows: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rows = sorted(rows, key=lambda r: (r[UID], r["cutoff"], r["model"]))
    windows = pd.DataFrame([_scalars(r) for r in rows])[WINDOW_COLUMNS]
    by_series = _aggregate(windows, [UID, "model"])
    leaderboard = _aggregate(by_series.rename(columns={"windows": "n"}), ["model"], series=True)
    leaderboard = leaderboard.sort_values(["mase", "model"], kind="stable", ignore_index=True)
    lengths = [len(r[Y]) for r in rows]
    forecasts = pd.DataFrame(
        {
            UID: np.repeat([r[UID] for r in rows], lengths),
            "cutoff": np.repeat(
                np.array([r["cutoff"] for r in rows], dtype="datetime64[ns]"), lengths
            ),
            DS: np.concatenate([r[DS] for r in rows]),
            Y: np.concatenate([r[Y] for r in rows]),
            "model": np.repeat([r["model"] for r in rows], lengths),
            **{k: np.concatenate([r[k] for r in rows]) for k in _SUMMARY},
        }
    )
    return leaderboard, by_series, windows, forecasts


def _aggregate(frame: pd.DataFrame, keys: list[str], series: bool = False) -> pd.DataFrame:
    """Mean metrics (NaN skipped) per ``keys``; window and fallback counts summed."""
    numeric = [*METRICS, "fit_seconds"]
    out = frame.groupby(keys, sort=True)[numeric].mean().reset_index()
    grouped = frame.groupby(keys, sort=True)
    if series:
        out["windows"] = grouped["n"].sum().to_numpy()
        out["fallbacks"] = grouped["fallbacks"].sum().to_numpy()
    else:
        out["windows"] = grouped.size().to_numpy()
        fallbacks = grouped["fallback_reason"].agg(lambda s: int((s != "").sum()))
        out["fallbacks"] = fallbacks.to_numpy()
    return out[[*keys, *LEADERBOARD_COLUMNS[1:]]]
