"""A new clinic's forecast borrowed from the network: its recent level x the network's season.

A clinic with fewer than ``[model] min_clinic_weeks`` weeks of history has too little of its own
for any model (a baseline's random walk over three weeks collapses or wanders); the pooled
model (:class:`forecasting.models.pooled.PooledModel`) takes the shape of the year and the
ramp-up of new clinics from every other clinic (the run's network prior) and only the level
from the clinic itself. The forecast says so in its ``fallback_reason``.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from forecasting.config.model import ModelConfig
from forecasting.models.network import NetworkPrior, flat_prior
from forecasting.models.pooled import PooledModel
from forecasting.models.runner import SeriesForecast

__all__ = ["BORROWED_MODEL", "borrowed_forecast", "is_young"]

BORROWED_MODEL = "pooled"


def is_young(history: pd.DataFrame, config: ModelConfig) -> bool:
    """Whether a clinic's series is shorter than ``min_clinic_weeks`` (but not empty)."""
    return 0 < len(history) < config.min_clinic_weeks


def borrowed_forecast(
    history: pd.DataFrame,
    config: ModelConfig,
    *,
    horizon: int,
    n_paths: int,
    rng: np.random.Generator,
    prior: NetworkPrior | None,
) -> SeriesForecast:
    """Paths of a young clinic's series: its recent level x the network prior's season and ramp.

    Args:
        history: ``ds``, ``y`` of the series (shorter than ``config.min_clinic_weeks``).
        prior: The run's network prior (:func:`forecasting.models.run_prior`); None: flat.
    """
    start = time.perf_counter()
    model = PooledModel(
        prior or flat_prior(),
        level_weeks=config.pooled.level_weeks,
        share_weeks=config.pooled.share_weeks,
    )
    paths = model.fit(history).sample(horizon, n_paths, rng)
    reason = (
        f"only {len(history)} weeks of clinic history (< model.min_clinic_weeks "
        f"{config.min_clinic_weeks}): the network's seasonal pattern x this clinic's level"
    )
    return SeriesForecast(paths, BORROWED_MODEL, reason, time.perf_counter() - start)
