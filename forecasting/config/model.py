"""[model]: which procedure model runs, its settings per model, and how auto/ensemble choose."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import Field

from forecasting.config.base import Strict

ModelName = Literal[
    "prophet", "ets", "sarimax", "stl_ets", "naive", "seasonal_naive", "historic_mean", "drift",
    "pooled", "mixed",
]  # fmt: skip
# every registered single model (forecasting.models.MODELS adds "ensemble")
NETWORK_MODELS = ("pooled", "mixed")
"""Models that borrow a network prior from all series (in a backtest, from every series' weeks
up to each window's cutoff); ``mixed`` is a default backtest candidate, ``pooled`` (its young
branch) is not."""
BaselineName = Literal["naive", "seasonal_naive", "historic_mean", "drift"]


class ProphetSettings(Strict):
    """[model.prophet]: yearly cycle and trend flexibility (holidays: top-level country)."""

    changepoint_prior_scale: float = Field(default=0.05, gt=0)
    seasonality_prior_scale: float = Field(default=10.0, gt=0)
    yearly_fourier_order: int = Field(default=6, ge=1, le=30)
    warm_start: bool = Field(
        default=True,
        description="start each weekly fit from the previous week's fitted parameters",
    )


class EtsSettings(Strict):
    """[model.ets]: exponential smoothing (statsmodels ETSModel), no seasonal component."""

    error: Literal["add", "mul"] = "add"
    trend: Literal["add", "none"] = "add"
    damped_trend: bool = True


class SarimaxSettings(Strict):
    """[model.sarimax]: ARIMA(p, d, q) with Fourier terms of the yearly cycle."""

    order: tuple[
        Annotated[int, Field(ge=0, le=5)], Annotated[int, Field(ge=0, le=2)],
        Annotated[int, Field(ge=0, le=5)],
    ] = (1, 1, 1)  # fmt: skip
    trend: Literal["n", "c", "t", "ct"] = "n"
    fourier_pairs: int = Field(default=4, ge=1, le=26)
    period_weeks: float = Field(default=52.18, gt=2, le=104)


class StlEtsSettings(Strict):
    """[model.stl_ets]: STL decomposition, ETS on the seasonally adjusted series."""

    period: int = Field(default=52, ge=2, le=104)
    robust: bool = True
    trend: Literal["add", "none"] = "add"
    damped_trend: bool = True


class PooledSettings(Strict):
    """[model.pooled]: recent clinic level x network seasonal index and ramp-up curve."""

    level_weeks: int = Field(default=8, ge=1, le=104, description="weeks in the recent level")
    min_weeks: int = Field(
        default=104, ge=52, description="history a series needs to shape the network season"
    )
    ramp_weeks: int = Field(
        default=52, ge=0, le=520, description="length of the network ramp-up curve (0: none)"
    )
    ramp_level_weeks: int = Field(
        default=26, ge=1, le=104, description="weeks after the ramp that are a mature level"
    )
    ramp_floor: float = Field(
        default=0.1,
        gt=0,
        le=1,
        description="least current share of the mature level a young series grows from",
    )
    ramp_prior_clinics: float = Field(
        default=2.0,
        ge=0,
        le=100,
        description="the ramp-up curve's growth is shrunk towards none as if this many "
        "clinics had shown none: n / (n + this) of it, n the clinics it was learned from",
    )
    closed_index: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="weeks whose network seasonal index is below this (closures) add no noise",
    )
    min_history_weeks: int = Field(
        default=8,
        ge=1,
        le=104,
        description="weeks a series needs for pooled/mixed (shorter: the fallback)",
    )
    share_weeks: int = Field(
        default=52,
        ge=0,
        le=520,
        description="weeks of a series' share of its clinic's procedures; its level is the "
        "clinic's recent level x that share (0: the series' own recent level)",
    )


MatureModelName = Literal["pooled", "prophet", "ets", "sarimax", "stl_ets"]


class MixedSettings(Strict):
    """[model.mixed]: pooled for young or shifted series, an own-history model for the rest."""

    mature_model: MatureModelName = Field(
        default="pooled",
        description="the model of mature series: pooled with mature_level_weeks, or an "
        "own-history model (its [model.<name>] applies)",
    )
    mature_level_weeks: int = Field(
        default=20, ge=1, le=104, description="weeks in a mature series' pooled level"
    )
    young_weeks: int = Field(
        default=52, ge=0, le=520, description="a series younger than this gets the pooled model"
    )
    shift_change: float = Field(
        default=0.25, gt=0, le=5, description="relative change of the recent level (a shift)"
    )
    shift_z: float = Field(
        default=3.0, ge=0, le=20, description="... and its size in Poisson standard errors"
    )


class ModelConfig(Strict):
    """[model]: which model forecasts procedures, its fallback and each model's settings.

    ``name`` is a registered model, ``auto`` (per series, the model with the lowest pooled
    MASE in the latest backtest in ``backtest_dir``: the series' own windows shrunk towards
    all series by ``selection_prior_windows``) or ``ensemble`` (per series, the
    ``ensemble_size`` best of that ranking combined). A series shorter than
    ``min_history_weeks`` may only get baselines. Without a backtest both use
    ``default_ranking`` and the run records it (see forecasting.models.selection).
    """

    name: ModelName | Literal["auto", "ensemble"] = "mixed"
    fallback: BaselineName = "seasonal_naive"
    min_history_weeks: int = Field(
        default=52, ge=4, description="series shorter than this use the fallback model"
    )
    min_clinic_weeks: int = Field(
        default=13,
        ge=1,
        le=104,
        description="a clinic with fewer weeks of history borrows the network's seasonal "
        "pattern times its own recent level (pooled) and is named as a clinic problem",
    )
    season_length: int = Field(default=52, ge=1, le=104, description="seasonal naive's season")
    candidates: list[ModelName] = Field(
        default_factory=lambda: [m for m in get_args(ModelName) if m != "pooled"],
        min_length=1,
        description="models the backtest runs and auto/ensemble choose from",
    )  # fmt: skip
    default_ranking: list[ModelName] = Field(
        default_factory=lambda: list[ModelName](["sarimax", "prophet", "ets"]),
        min_length=1,
        description="used without a backtest: auto takes the first, ensemble the first few",
    )
    ensemble_size: int = Field(default=3, ge=2, le=8, description="models an ensemble combines")
    selection_prior_windows: float = Field(
        default=4.0, ge=0, le=1000, description="weight of the all-series MASE, in windows"
    )
    ensemble_combine: Literal["weighted", "median"] = "weighted"
    backtest_dir: str = Field(
        default="data/processed/backtest",
        min_length=1,
        description="latest backtest of the processed series, read by auto and ensemble",
    )
    prophet: ProphetSettings = ProphetSettings()
    ets: EtsSettings = EtsSettings()
    sarimax: SarimaxSettings = SarimaxSettings()
    stl_ets: StlEtsSettings = StlEtsSettings()
    pooled: PooledSettings = PooledSettings()
    mixed: MixedSettings = MixedSettings()
