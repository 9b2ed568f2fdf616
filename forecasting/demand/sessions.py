"""Session demand: care-pathway convolution of procedures into MLD sessions, per sample path.

A procedure performed in week ``s`` generates ``weights[k]`` expected sessions in week ``s + k``
(``weights = uptake * sessions_by_week``, learned or configured, see
:mod:`forecasting.demand.pathways`).
Expected demand in a forecast week is then

- committed: sessions still owed to patients already operated on (actual procedures), plus
- forecast-driven: sessions from forecast procedures (each sample path convolved), plus
- non-surgical: MLD demand not explained by procedures (lymphedema and other clients), the
  remainder of past sessions minus pathway-implied sessions, forecast as its own series
  (:mod:`forecasting.demand.non_surgical`).

Session counts around that expectation are over-dispersed (a patient who takes MLD takes several
sessions): paths are drawn from a gamma-Poisson (negative binomial) with variance
``dispersion x mean``, the dispersion estimated from history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from forecasting.columns import PROCEDURE_TYPES
from forecasting.config import DemandConfig
from forecasting.demand.history import ClinicHistory
from forecasting.demand.non_surgical import clinic_non_surgical


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
    drivers: Sequence[str] = PROCEDURE_TYPES,
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
        drivers: the columns of ``history.procedures`` (procedure types for MLD; a
            service's drivers for another service, :mod:`forecasting.demand.services`).
    """
    types = list(drivers)
    past = {p: history.procedures[:, types.index(p)] for p in types}
    implied = (
        np.sum([implied_sessions(past[p], weights[p]) for p in types], axis=0)
        if types
        else np.zeros(len(history.weeks))
    )
    note = None
    if history.first_session is None:
        non_surgical = np.zeros(horizon)
        note = (
            "no session history: demand comes from procedures and the care pathway only, "
            "without non-surgical clients"
        )
    else:
        pathway_weeks = max((len(np.atleast_1d(w)) for w in weights.values()), default=1)
        non_surgical = clinic_non_surgical(history, implied, pathway_weeks, horizon, config)
    if history.first_procedure is None or not procedure_paths:
        note = "no procedure history: sessions are forecast from the recent session level only"
        first = types[0] if types else ""  # a service with no driver: its base level only
        procedure_paths = {first: np.zeros((n_paths, horizon))}
        weights = {first: np.zeros(1), **weights}
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
