"""Forecast one series with the configured model (or selection), falling back visibly."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from forecasting.columns import Y
from forecasting.config import NETWORK_MODELS, ModelConfig
from forecasting.models.base import MODEL_ERRORS, Model, check_sample_args, validate_history
from forecasting.models.ensemble import Ensemble
from forecasting.models.mixed import MixedModel
from forecasting.models.network import NetworkPrior
from forecasting.models.registry import (
    BASELINES,
    ensemble_settings,
    make_model,
    model_settings,
    with_prior,
)
from forecasting.models.selection import ModelChoice, choose_model

logger = logging.getLogger(__name__)

MIN_NONZERO_WEEKS = 5
"""A series with fewer non-zero weeks than this uses the fallback model."""


@dataclass(frozen=True)
class SeriesForecast:
    """Sample paths of one series and how they were made.

    Attributes:
        paths: Array ``(n_paths, horizon)`` of weekly values (procedures per week), >= 0.
        model: Name of the model that produced ``paths`` (``ensemble(a+b)`` for an ensemble,
            "zeros" for an empty history).
        fallback_reason: Why the configured model or selection was not used as configured,
            or None.
        fit_seconds: Wall time of fitting and sampling, failed attempts included.
        selection: How ``auto`` / ``ensemble`` chose the model, or None for a fixed model.
        warm_state: The fitted model's parameters as plain data, to warm-start the next fit of
            this series (models with ``warm_state()``, i.e. Prophet), or None.
        warm_started: Whether the fit started from a previous fit's ``warm_state``.
    """

    paths: np.ndarray
    model: str
    fallback_reason: str | None
    fit_seconds: float
    selection: str | None = None
    warm_state: dict[str, Any] | None = field(default=None, compare=False, repr=False)
    warm_started: bool = False


def build_model(
    choice: ModelChoice,
    config: ModelConfig,
    holiday_country: str | None,
    prior: NetworkPrior | None = None,
) -> Model:
    """The model (or :class:`Ensemble`) for ``choice`` with its configured settings (and the
    run's network ``prior`` for a model that borrows one)."""
    if choice.is_ensemble:
        settings = ensemble_settings(
            list(choice.members),
            None if choice.weights is None else list(choice.weights),
            config,
            holiday_country,
        )
        members = settings["settings"]  # a network member borrows the run's prior too
        settings["settings"] = {m: with_prior(m, members[m], prior) for m in members}
        return make_model("ensemble", **settings)
    name = choice.members[0]
    return make_model(
        name, **with_prior(name, model_settings(name, config, holiday_country), prior)
    )


def too_short(y: np.ndarray, members: tuple[str, ...], config: ModelConfig) -> str | None:
    """Why ``y`` is too short or sparse for ``members`` (so the fallback is used), or None.

    Baselines cope with any history, so a choice of baselines only is never too short.
    """
    if all(m in BASELINES for m in members):
        return None
    # network models borrow the network's shape and ramp-up: they cope with short series
    network = all(m in NETWORK_MODELS for m in members)
    min_weeks = config.pooled.min_history_weeks if network else config.min_history_weeks
    if len(y) < min_weeks:
        return f"only {len(y)} weeks of history (< {min_weeks})"
    nonzero = int((y > 0).sum())
    if nonzero < MIN_NONZERO_WEEKS:
        return f"only {nonzero} non-zero weeks (< {MIN_NONZERO_WEEKS})"
    return None


def _join(*reasons: str | None) -> str | None:
    kept = [r for r in reasons if r]
    return "; ".join(kept) if kept else None


def forecast_series(
    history: pd.DataFrame,
    config: ModelConfig,
    *,
    horizon: int,
    n_paths: int,
    rng: np.random.Generator,
    holiday_country: str | None,
    choice: ModelChoice | None = None,
    warm_start: dict[str, Any] | None = None,
    prior: NetworkPrior | None = None,
) -> SeriesForecast:
    """Forecast one weekly series with the configured model, or visibly with the fallback.

    The fallback (``config.fallback``) is used when the history is shorter than
    ``config.min_history_weeks`` or has fewer than 5 non-zero weeks (unless only baselines
    were chosen: they cope with short series), or the chosen model raises a
    RuntimeError or ValueError (e.g. cmdstanpy's optimisation failure) or returns non-finite
    values; ``fallback_reason`` then says why. An ensemble member that fails is dropped and
    named in ``fallback_reason``.

    Args:
        history: Columns ``ds`` (Monday, datetime64, weekly, no gaps) and ``y`` (procedures
            per week, finite, >= 0). Not modified.
        config: Model name (or ``auto`` / ``ensemble``), fallback and settings.
        horizon: Weeks ahead, >= 1.
        n_paths: Number of sample paths, >= 1.
        rng: Source of randomness; the same seed gives the same paths.
        holiday_country: ISO country code for Prophet's holidays, or None.
        choice: The model chosen for this series (see :func:`choose_model`); default: the
            configured model, or for ``auto`` / ``ensemble`` the no-backtest default.
        warm_start: ``warm_state`` of an earlier fit of this series with the same model and
            settings; used when the chosen model is that single model and can warm-start.
        prior: The run's network prior (:func:`~forecasting.models.registry.run_prior`) for
            a model that borrows one (``pooled``); None: such a model uses a flat prior.

    Returns:
        The paths with the model used and any fallback reason.
    """
    check_sample_args(horizon, n_paths)
    start = time.perf_counter()
    choice = choice or choose_model(None, config, None)
    if history.empty:
        return SeriesForecast(np.zeros((n_paths, horizon)), "zeros", "no history", 0.0)
    validate_history(history)
    wanted = "+".join(choice.members)
    reason = too_short(history[Y].to_numpy(dtype=float), choice.members, config)
    if reason is None:
        model = build_model(choice, config, holiday_country, prior)
        warm = warm_start if warm_start and warm_start.get("model") == wanted else None
        try:
            if warm is not None and hasattr(model, "warm_state"):
                model.fit(history, warm_start=warm["params"])  # type: ignore[call-arg]
            else:
                model.fit(history)
            paths = model.sample(horizon, n_paths, rng)
        except MODEL_ERRORS as err:
            reason = f"{wanted} failed: {type(err).__name__}: {err}"[:200]
        else:
            if np.isfinite(paths).all():
                name, dropped = choice.members[0], None
                if isinstance(model, MixedModel):
                    name = model.label
                if isinstance(model, Ensemble):
                    name = model.label
                    if model.dropped_:
                        dropped = "ensemble dropped " + ", ".join(
                            f"{m} ({why})" for m, why in model.dropped_.items()
                        )
                state = model.warm_state() if hasattr(model, "warm_state") else None
                return SeriesForecast(
                    paths,
                    name,
                    _join(choice.degraded, dropped),
                    time.perf_counter() - start,
                    choice.note,
                    warm_state=None if state is None else {"model": wanted, "params": state},
                    warm_started=bool(getattr(model, "warm_started_", False)),
                )
            reason = f"{wanted} produced non-finite values"
    logger.info("Using %s instead of %s: %s", config.fallback, wanted, reason)
    settings = model_settings(config.fallback, config, holiday_country)
    paths = make_model(config.fallback, **settings).fit(history).sample(horizon, n_paths, rng)
    return SeriesForecast(
        paths,
        config.fallback,
        _join(choice.degraded, reason),
        time.perf_counter() - start,
        choice.note,
    )
