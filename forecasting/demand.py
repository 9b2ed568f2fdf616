"""Session demand: care-pathway convolution of procedures into MLD sessions, per sample path.

A procedure performed in week ``s`` generates ``weights[k]`` expected sessions in week ``s + k``
(``weights = uptake * sessions_by_week``). Demand in a forecast week is then

- committed: sessions still owed to patients already operated on (actual procedures), plus
- forecast-driven: sessions from forecast procedures (each sample path convolved), plus
- non-surgical: MLD demand not explained by procedures (lymphedema and other clients),
  estimated as the recent median of actual sessions minus pathway-implied sessions.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .config import Pathway


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


def non_surgical_level(sessions: np.ndarray, implied: np.ndarray, window: int = 26) -> float:
    """Median weekly sessions not explained by procedures over the last ``window`` weeks (>= 0)."""
    sessions = np.asarray(sessions, dtype=float)[-window:]
    implied = np.asarray(implied, dtype=float)[-window:]
    if len(sessions) == 0:
        return 0.0
    return float(max(np.median(sessions - implied[-len(sessions) :]), 0.0))


def session_paths(
    procedure_history: Mapping[str, np.ndarray],
    procedure_paths: Mapping[str, np.ndarray],
    pathways: Mapping[str, Pathway],
    *,
    base_level: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Session demand sample paths of one clinic.

    Args:
        procedure_history: per procedure type, weekly completed procedures before the forecast.
        procedure_paths: per procedure type, forecast sample paths (n_paths, horizon).
        pathways: care pathway per procedure type.
        base_level: expected weekly non-surgical sessions.
        rng: random generator for the count noise.

    Returns:
        (committed, paths): committed expected sessions (horizon,) and session count paths
        (n_paths, horizon), integers stored as float.
    """
    shapes = {p.shape for p in procedure_paths.values()}
    if len(shapes) > 1:
        raise ValueError(f"procedure paths have different shapes: {sorted(shapes)}")
    if not shapes:
        raise ValueError("session_paths needs at least one procedure type with forecast paths")
    n_paths, horizon = shapes.pop()
    committed = np.zeros(horizon)
    expected = np.zeros((n_paths, horizon))
    for procedure, paths in procedure_paths.items():
        weights = np.asarray(pathways[procedure].weights)
        history = procedure_history.get(procedure, np.zeros(0))
        committed += committed_demand(history, weights, horizon)
        expected += forecast_driven_demand(paths, weights)
    mean = expected + committed + base_level
    return committed, rng.poisson(np.clip(mean, 0, None)).astype(float)
