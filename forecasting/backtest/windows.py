"""Rolling-origin windows: the backtest's settings, fold lengths, per-window seeds and rows."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forecasting.columns import DS, UID, Y
from forecasting.config import ModelConfig
from forecasting.metrics import evaluate
from forecasting.models.base import summarise_paths


@dataclass(frozen=True)
class BacktestSpec:
    """What every window of one backtest shares (passed to the worker processes).

    For a series of ``n`` weeks and ``F = folds + selection_folds`` cutoffs, fold ``k``
    (0 = oldest) trains on the first ``n - horizon - (F - 1 - k) * step`` weeks and is scored
    on the next ``horizon`` weeks; the ``selection_folds`` oldest windows are never scored.
    """

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
    # per window cutoff, the network prior of every series' weeks up to it (network models)
    priors: tuple[tuple[pd.Timestamp, Any], ...] = ()


def window_rng(seed: int, uid: str, cutoff: pd.Timestamp, model: str) -> np.random.Generator:
    """Generator per window and model, independent of process and order."""
    keys = [seed, zlib.crc32(uid.encode()), cutoff.toordinal(), zlib.crc32(model.encode())]
    return np.random.default_rng(keys)


def fold_ends(n: int, spec: BacktestSpec) -> list[tuple[int, bool]]:
    """Training lengths of the folds, oldest first, each with whether it is scored."""
    total = spec.folds + spec.selection_folds
    ends = [
        (n - spec.horizon - (total - 1 - k) * spec.step, k >= spec.selection_folds)
        for k in range(total)
    ]
    return [(e, scored) for e, scored in ends if e > spec.season]


def window_row(
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
