"""Model registry: the names configuration, CLI and backtests use, and their settings."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, get_args

import pandas as pd

from forecasting.config import NETWORK_MODELS, BaselineName, ModelConfig, ModelName
from forecasting.errors import ConfigError
from forecasting.models.base import Model
from forecasting.models.baselines import Drift, HistoricMean, Naive, SeasonalNaive
from forecasting.models.ensemble import Combine, Ensemble
from forecasting.models.mixed import MixedModel
from forecasting.models.network import NetworkPrior, network_prior
from forecasting.models.pooled import PooledModel
from forecasting.models.prophet import ProphetModel
from forecasting.models.statsmodels_models import ETS, SarimaxFourier, StlEts


def make_ensemble(
    members: Sequence[str] = ("sarimax", "prophet", "ets"),
    weights: Sequence[float] | None = None,
    combine: Combine = "weighted",
    settings: dict[str, dict[str, Any]] | None = None,
) -> Ensemble:
    """An :class:`Ensemble` of the registered models ``members``, each built with its
    ``settings`` (keyword arguments per member name).

    Raises:
        ConfigError: No members, ``ensemble`` among them, or an unknown member name.
    """
    if not members or "ensemble" in members:
        raise ConfigError("An ensemble needs one or more registered models, not 'ensemble'.")
    settings = settings or {}
    built = [(name, make_model(name, **settings.get(name, {}))) for name in members]
    return Ensemble(built, combine=combine, weights=weights)


def make_mixed(
    mature: str = "pooled",
    mature_settings: dict[str, Any] | None = None,
    **settings: Any,
) -> MixedModel:
    """A :class:`MixedModel` whose mature branch is ``pooled`` (with its longer level) or the
    registered own-history model ``mature``."""
    if mature == "pooled":
        return MixedModel(None, "pooled", **settings)
    if mature in NETWORK_MODELS or mature in ("ensemble", "auto"):
        raise ConfigError(
            f"[model.mixed] mature_model must be pooled or an own-history model, not {mature!r}."
        )
    return MixedModel(make_model(mature, **(mature_settings or {})), mature, **settings)


MODELS: dict[str, Callable[..., Model]] = {
    "prophet": ProphetModel,
    "ets": ETS,
    "sarimax": SarimaxFourier,
    "stl_ets": StlEts,
    "naive": Naive,
    "seasonal_naive": SeasonalNaive,
    "historic_mean": HistoricMean,
    "drift": Drift,
    "pooled": PooledModel,
    "mixed": make_mixed,
    "ensemble": make_ensemble,
}
"""Registered model names -> factories (constructor keyword arguments are the settings)."""

BASELINES: tuple[str, ...] = get_args(BaselineName)
"""Simple models every other model must beat; they are also the possible fallbacks."""

BASE_MODELS: tuple[str, ...] = get_args(ModelName)
"""Every registered single model (everything but the ensemble)."""

META_MODELS = ("auto", "ensemble")
"""Selections built from a backtest: per series the best model, or a combination of the best."""


def make_model(name: str, **settings: Any) -> Model:
    """Build the model registered as ``name`` with keyword ``settings`` (for ``ensemble``
    those of :func:`make_ensemble`: member names and their settings, built here).

    Raises:
        ConfigError: ``name`` is not in :data:`MODELS`.
    """
    if name not in MODELS:
        raise ConfigError(f"Unknown model {name!r}; choose one of {', '.join(sorted(MODELS))}.")
    return MODELS[name](**settings)


def model_settings(name: str, config: ModelConfig, holiday_country: str | None) -> dict[str, Any]:
    """Constructor settings of model ``name`` from the ``[model.<name>]`` configuration.

    Args:
        name: A registered single model (not the ensemble).
        config: The ``[model]`` section.
        holiday_country: Top-level ``holiday_country`` (Prophet's holidays).
    """
    if name == "prophet":
        # warm_start is a run setting (forecasting.models.warm_start), not the model's
        settings = config.prophet.model_dump(exclude={"warm_start"})
        return {**settings, "holiday_country": holiday_country}
    if name == "ets":
        return config.ets.model_dump()
    if name == "sarimax":
        return config.sarimax.model_dump()
    if name == "stl_ets":
        return config.stl_ets.model_dump()
    if name == "pooled":  # the network prior is a run input, added by the caller
        pooled = config.pooled
        return {
            "level_weeks": pooled.level_weeks,
            "closed_index": pooled.closed_index,
            "share_weeks": pooled.share_weeks,
        }
    if name == "mixed":
        mature = config.mixed.mature_model
        own = {} if mature == "pooled" else model_settings(mature, config, holiday_country)
        return {
            "mature": mature,
            "mature_settings": own,
            "mature_level_weeks": config.mixed.mature_level_weeks,
            "level_weeks": config.pooled.level_weeks,
            "closed_index": config.pooled.closed_index,
            "share_weeks": config.pooled.share_weeks,
            "young_weeks": config.mixed.young_weeks,
            "shift_change": config.mixed.shift_change,
            "shift_z": config.mixed.shift_z,
        }
    if name == "seasonal_naive":
        return {"season_length": config.season_length}
    return {}


def ensemble_settings(
    members: list[str],
    weights: list[float] | None,
    config: ModelConfig,
    holiday_country: str | None,
) -> dict[str, Any]:
    """Settings of :func:`make_ensemble` for ``members`` (configured settings each)."""
    return {
        "members": tuple(members),
        "weights": None if weights is None else tuple(weights),
        "combine": config.ensemble_combine,
        "settings": {m: model_settings(m, config, holiday_country) for m in members},
    }


def run_prior(config: ModelConfig, histories: Mapping[Any, pd.DataFrame]) -> NetworkPrior | None:
    """The network prior of a run (once, from every series' history) when the configured model
    borrows one (``pooled``, ``mixed``, or ``auto`` / ``ensemble`` choosing among candidates
    that include one) or a new clinic does (a series shorter than ``min_clinic_weeks``,
    see :mod:`forecasting.models.borrowed`), else None; ``histories`` is not modified."""
    young = any(0 < len(h) < config.min_clinic_weeks for h in histories.values())
    chosen = config.name in META_MODELS and any(m in NETWORK_MODELS for m in config.candidates)
    if config.name not in NETWORK_MODELS and not young and not chosen:
        return None
    return configured_prior(config, histories)


def configured_prior(config: ModelConfig, histories: Mapping[Any, pd.DataFrame]) -> NetworkPrior:
    """The network prior of ``histories`` with the ``[model.pooled]`` settings (a run's, or a
    backtest window's from the series' training weeks); ``histories`` is not modified."""
    return network_prior(
        histories,
        min_weeks=config.pooled.min_weeks,
        ramp_weeks=config.pooled.ramp_weeks,
        ramp_level_weeks=config.pooled.ramp_level_weeks,
        ramp_floor=config.pooled.ramp_floor,
        ramp_prior_clinics=config.pooled.ramp_prior_clinics,
    )


def with_prior(name: str, settings: dict[str, Any], prior: NetworkPrior | None) -> dict[str, Any]:
    """``settings`` plus the run's network ``prior`` when model ``name`` takes one."""
    return (
        {**settings, "prior": prior} if name in NETWORK_MODELS and prior is not None else settings
    )
