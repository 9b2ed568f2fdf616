"""Which model forecasts a series: a fixed model, or ``auto`` / ``ensemble`` from a backtest.

The latest backtest of the processed procedure series lives in ``[model] backtest_dir``
(default ``data/processed/backtest``, written by ``lymphcast backtest``):
``leaderboard_by_series.csv`` holds each model's mean MASE per series (``unique_id`` =
``<clinic_id>|<procedure>``) over its windows, ``leaderboard.csv`` the mean over all series.

A few windows of one series are a noisy guide (one window's MASE easily varies 3x), so models
are ranked by a pooled score: the series' own mean MASE over its ``n`` windows, shrunk towards
the all-series mean MASE as if that were ``k = selection_prior_windows`` more windows::

    score = (n * own + k * overall) / (n + k)

``auto`` takes the lowest score; ``ensemble`` combines the ``ensemble_size`` lowest, weighted by
1 / score. A series the backtest did not cover (a clinic opened since) uses the overall ranking;
with no backtest at all, ``default_ranking`` is used and the forecast records why. The backtest
scores ``auto`` and ``ensemble`` with the same rule, from the windows closed before each cutoff.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import get_args

import numpy as np
import pandas as pd

from forecasting.columns import UID
from forecasting.config import BaselineName, ModelConfig
from forecasting.errors import InputError

BY_SERIES_FILE = "leaderboard_by_series.csv"
LEADERBOARD_FILE = "leaderboard.csv"
MANIFEST_FILE = "backtest_manifest.json"
_CACHE: dict[tuple[str, int], Selection] = {}
_CACHE_LOCK = threading.Lock()
_WARNED: set[str] = set()  # backtest folders already warned about in this process
logger = logging.getLogger(__name__)


def pooled_scores(
    own: pd.Series, windows: pd.Series, overall: pd.Series, prior_windows: float
) -> pd.Series:
    """Per model: ``(n * own + k * overall) / (n + k)``, best (lowest) first.

    Args:
        own: The series' mean MASE per model (index: model); NaN where it has none.
        windows: The series' window count per model (same index); 0 where it has none.
        overall: Mean MASE per model over all series (index: model).
        prior_windows: ``k``, the weight of ``overall`` in windows (0: the series alone).

    Returns:
        Finite scores indexed by model, sorted ascending (ties by model name).
    """
    models = overall.index.union(own.index)
    own = own.reindex(models)
    n = windows.reindex(models).fillna(0).where(own.notna(), 0.0)
    base = overall.reindex(models)
    k = pd.Series(float(prior_windows), index=models).where(base.notna(), 0.0)
    score = (n * own.fillna(0.0) + k * base.fillna(0.0)) / (n + k)
    score = score[np.isfinite(score)]
    return score.sort_index().sort_values(kind="stable")


@dataclass(frozen=True)
class Selection:
    """Model rankings from one backtest.

    Attributes:
        source: The backtest directory.
        by_series: Columns ``unique_id``, ``model``, ``mase``, ``windows`` (single models).
        overall: Columns ``model``, ``mase`` (single models).
        last_week: Last week of data the backtest saw (ISO date), if recorded.
    """

    source: Path
    by_series: pd.DataFrame
    overall: pd.DataFrame
    last_week: str | None = None

    def ranking(self, uid: str | None, allowed: list[str], prior_windows: float):
        """Pooled scores of the ``allowed`` models for ``uid``, best first, and whether the
        series' own windows counted."""
        rows = self.by_series.loc[self.by_series[UID] == uid].set_index("model")
        overall = self.overall.set_index("model")["mase"]
        score = pooled_scores(rows["mase"], rows["windows"], overall, prior_windows)
        return score[score.index.isin(allowed)], not rows.empty


@dataclass(frozen=True)
class ModelChoice:
    """The model (or ensemble) chosen for one series.

    Attributes:
        members: Registered single models; one for a single model, several for an ensemble.
        weights: Ensemble weights (1 / pooled backtest MASE), or None for equal weights.
        note: How the choice was made (recorded in the run manifest), or None for a fixed model.
        degraded: Why the configured selection could not be followed (no backtest), or None.
    """

    members: tuple[str, ...]
    weights: tuple[float, ...] | None = None
    note: str | None = None
    degraded: str | None = None

    @property
    def is_ensemble(self) -> bool:
        return len(self.members) > 1


def load_selection(backtest_dir: Path | str) -> Selection | None:
    """Rankings of the backtest in ``backtest_dir``, or None when there is none.

    Cached per directory and file modification time, so the weekly run's parallel series read
    the files once.

    Raises:
        InputError: The leaderboard files exist but lack the needed columns.
    """
    path = Path(backtest_dir)
    by_series_path = path / BY_SERIES_FILE
    if not by_series_path.is_file():
        return None
    key = (str(by_series_path.resolve()), by_series_path.stat().st_mtime_ns)
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
    by_series = pd.read_csv(by_series_path, dtype={UID: str})
    overall_path = path / LEADERBOARD_FILE
    overall = pd.read_csv(overall_path) if overall_path.is_file() else None
    for name, frame, needed in (
        (BY_SERIES_FILE, by_series, {UID, "model", "mase", "windows"}),
        (LEADERBOARD_FILE, overall, {"model", "mase"}),
    ):
        if frame is not None and not needed <= set(frame.columns):
            raise InputError(
                f"{path / name} lacks column(s) {sorted(needed - set(frame.columns))}; rerun "
                "`lymphcast backtest` to rewrite it."
            )
    if overall is None:
        overall = by_series.groupby("model", as_index=False)["mase"].mean()
    last_week = None
    if (path / MANIFEST_FILE).is_file():
        manifest = json.loads((path / MANIFEST_FILE).read_text(encoding="utf-8"))
        last_week = manifest.get("last_week")
    selection = Selection(
        path, by_series[[UID, "model", "mase", "windows"]], overall[["model", "mase"]], last_week
    )
    with _CACHE_LOCK:
        _CACHE[key] = selection
    return selection


def choose_members(
    scores: pd.Series, size: int
) -> tuple[tuple[str, ...], tuple[float, ...] | None]:
    """The ``size`` best-scored models and, for several, their 1 / score weights."""
    top = scores.head(size)
    weights = None
    if len(top) > 1:
        weights = tuple(float(1.0 / max(v, 1e-6)) for v in top.to_numpy())
    return tuple(top.index), weights


def allowed_models(config: ModelConfig, weeks: int | None) -> tuple[list[str], str]:
    """Candidates auto / ensemble may choose for a series of ``weeks`` weeks, and why.

    A series shorter than ``min_history_weeks`` would make every other model fall back, so
    only the baselines among the candidates (or the fallback) are allowed for it.
    """
    if weeks is None or weeks >= config.min_history_weeks:
        return [str(m) for m in config.candidates], ""
    baselines = [str(m) for m in config.candidates if m in get_args(BaselineName)]
    why = f"baselines only: {weeks} weeks of history (< {config.min_history_weeks})"
    return baselines or [config.fallback], why


def _default(config: ModelConfig, allowed: list[str], size: int) -> tuple[str, ...]:
    ranked = [m for m in config.default_ranking if m in allowed] or allowed
    return tuple(ranked[:size])


def choose_model(
    uid: str | None, config: ModelConfig, selection: Selection | None, weeks: int | None = None
) -> ModelChoice:
    """The model(s) that forecast series ``uid`` under ``config.name``.

    Args:
        uid: Series id (``<clinic_id>|<procedure>``), or None when unknown.
        config: The ``[model]`` section.
        selection: Rankings of the latest backtest, or None when there is none.
        weeks: Length of the series' history; a short one is given baselines only.
    """
    name = config.name
    if name not in ("auto", "ensemble"):
        return ModelChoice((name,))
    size = 1 if name == "auto" else config.ensemble_size
    allowed, short = allowed_models(config, weeks)
    scores = pd.Series(dtype=float)
    if selection is not None:
        scores, own = selection.ranking(uid, allowed, config.selection_prior_windows)
    if scores.empty:
        members = _default(config, allowed, size)
        where = (
            f"no backtest in {config.backtest_dir} (run `lymphcast backtest`)"
            if selection is None
            else f"the backtest in {selection.source} ranks none of the candidate models"
        )
        reason = f"{where}; {name} used the default {'+'.join(members)}"
        if selection is None:
            _warn_once(config, members)
        return ModelChoice(members, None, reason, reason)
    assert selection is not None  # non-empty scores come from a backtest
    members, weights = choose_members(scores, size)
    where = "this series and all series" if own else "all series (series not backtested)"
    shown = ", ".join(f"{m} {scores[m]:.2f}" for m in members)
    note = f"{name}: lowest pooled backtest MASE on {where} ({shown}; {selection.source})"
    return ModelChoice(members, weights, f"{note}; {short}" if short else note)


def _warn_once(config: ModelConfig, members: tuple[str, ...]) -> None:
    """One warning line per process and backtest folder: auto/ensemble found no backtest."""
    with _CACHE_LOCK:
        if config.backtest_dir in _WARNED:
            return
        _WARNED.add(config.backtest_dir)
    logger.warning(
        '[model] name = "%s" needs a backtest in %s and there is none, so %s forecasts '
        'instead: run `lymphcast backtest` first, or set [model] name = "mixed" (the default).',
        config.name, config.backtest_dir, "+".join(members),
    )  # fmt: skip
