"""Weekly forecasting models behind one small interface, a registry and a fallback-aware runner.

Every model follows the same contract (see :mod:`forecasting.models.base`): the constructor
stores settings only; ``fit(history) -> self``; ``sample(horizon, n_paths, rng)`` returns
finite, non-negative paths ``(n_paths, horizon)``. :data:`MODELS` maps the names used in
configuration, CLI and backtests to model factories; :func:`forecast_series` runs the configured
model (or ``auto`` / ``ensemble`` selection) and, visibly, the fallback.
"""

from forecasting.models.base import Model, summarise_paths, validate_history
from forecasting.models.baselines import Drift, HistoricMean, Naive, SeasonalNaive
from forecasting.models.borrowed import BORROWED_MODEL, borrowed_forecast, is_young
from forecasting.models.ensemble import Ensemble, combine_paths
from forecasting.models.network import NetworkPrior
from forecasting.models.pooled import PooledModel
from forecasting.models.prophet import ProphetModel
from forecasting.models.registry import (
    BASE_MODELS,
    BASELINES,
    META_MODELS,
    MODELS,
    configured_prior,
    make_ensemble,
    make_model,
    model_settings,
    run_prior,
)
from forecasting.models.runner import (
    MIN_NONZERO_WEEKS,
    SeriesForecast,
    build_model,
    forecast_series,
)
from forecasting.models.selection import ModelChoice, Selection, choose_model, load_selection
from forecasting.models.statsmodels_models import ETS, SarimaxFourier, StlEts

__all__ = [
    "BORROWED_MODEL",
    "borrowed_forecast",
    "is_young",
    "NetworkPrior",
    "PooledModel",
    "configured_prior",
    "run_prior",
    "BASELINES",
    "BASE_MODELS",
    "ETS",
    "META_MODELS",
    "MIN_NONZERO_WEEKS",
    "MODELS",
    "Drift",
    "Ensemble",
    "HistoricMean",
    "Model",
    "ModelChoice",
    "Naive",
    "ProphetModel",
    "SarimaxFourier",
    "SeasonalNaive",
    "Selection",
    "SeriesForecast",
    "StlEts",
    "build_model",
    "choose_model",
    "combine_paths",
    "forecast_series",
    "load_selection",
    "make_ensemble",
    "make_model",
    "model_settings",
    "summarise_paths",
    "validate_history",
]
