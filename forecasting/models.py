"""Weekly forecasting models behind one small interface, plus a fallback-aware runner.

Every model follows the same contract: the constructor stores settings only;
``fit(history) -> self`` learns from a frame with columns ``ds`` (Monday of the week,
datetime64, contiguous weekly, no gaps) and ``y`` (procedures per week, finite, >= 0);
``sample(horizon, n_paths, rng)`` returns an array of shape ``(n_paths, horizon)`` of future
weekly values (procedures per week), finite and non-negative. ``MODELS`` maps the names used
in configuration to model factories, and :func:`forecast_series` picks the configured model or,
visibly, the fallback.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from .columns import DS, MEAN, P10, P50, P90, QUANTILES, Y
from .config import ModelConfig
from .errors import ConfigError, InputError

if TYPE_CHECKING:
    from prophet import Prophet

logger = logging.getLogger(__name__)

MIN_NONZERO_WEEKS = 5
"""A series with fewer non-zero weeks than this uses the fallback model."""

_HOLIDAY_YEARS_AHEAD = 2  # holiday calendar covers history plus this many years of forecast
_MIN_SEASONAL_RESIDUALS = 8  # SeasonalNaive needs season_length + this many weeks
# What a model fit may raise on a hard series (cmdstanpy's optimisation failure is a
# RuntimeError; Prophet's data checks and numpy's LinAlgError are ValueErrors).
_MODEL_ERRORS = (RuntimeError, ValueError)
_PROPHET_LOCK = threading.Lock()  # guards the one-off import and logger set-up
_GLOBAL_RNG_LOCK = threading.Lock()  # Prophet samples from numpy's global random state


class Model(Protocol):
    """What every forecasting model provides."""

    def fit(self, history: pd.DataFrame) -> Model: ...

    def sample(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray: ...


def _validate_history(history: pd.DataFrame) -> None:
    """Raise InputError unless ``history`` is a non-empty contiguous weekly series."""
    missing = [c for c in (DS, Y) if c not in history.columns]
    if missing:
        raise InputError(f"History frame lacks column(s) {missing}; pass columns '{DS}', '{Y}'.")
    if history.empty:
        raise InputError("History frame is empty; pass at least one week.")
    if not pd.api.types.is_datetime64_any_dtype(history[DS]):
        raise InputError(f"Column '{DS}' must be datetime64 (Monday of each week).")
    y = history[Y].to_numpy(dtype=float)
    if not np.isfinite(y).all() or (y < 0).any():
        raise InputError(f"Column '{Y}' must be finite and >= 0 (procedures per week).")
    ds = history[DS]
    if (ds.dt.dayofweek != 0).any():
        raise InputError(
            f"Column '{DS}' must hold Mondays; first bad date {_first_non_monday(ds)}."
        )
    if (ds.diff().iloc[1:] != pd.Timedelta(weeks=1)).any():
        raise InputError(f"Column '{DS}' must be sorted weekly with no gaps or duplicates.")


def _first_non_monday(ds: pd.Series) -> str:
    return str(ds[ds.dt.dayofweek != 0].iloc[0].date())


def _check_sample_args(horizon: int, n_paths: int) -> None:
    if horizon < 1:
        raise ConfigError(f"horizon must be >= 1 week (got {horizon}).")
    if n_paths < 1:
        raise ConfigError(f"n_paths must be >= 1 (got {n_paths}).")


class SeasonalNaive:
    """Value one season ago plus bootstrapped seasonal-difference residuals.

    With fewer than ``season_length + 8`` weeks of history it falls back to a naive forecast
    (last value) with bootstrapped week-on-week differences; with one week, residuals are zero.
    Residuals are drawn i.i.d. per step and are not centred, so a steady year-on-year trend
    carries into the paths.

    Args:
        season_length: Weeks per season (52 for a yearly cycle in weekly data).
    """

    def __init__(self, season_length: int = 52) -> None:
        self.season_length = season_length

    def fit(self, history: pd.DataFrame) -> SeasonalNaive:
        """Store the last season and the residuals.

        Args:
            history: Columns ``ds`` (Monday, datetime64) and ``y`` (procedures per week).

        Returns:
            self
        """
        if self.season_length < 1:
            raise ConfigError(f"season_length must be >= 1 (got {self.season_length}).")
        _validate_history(history)
        y = history[Y].to_numpy(dtype=float)
        m = self.season_length
        if len(y) >= m + _MIN_SEASONAL_RESIDUALS:
            self.method_ = "seasonal"
            self._last_season = y[-m:].copy()
            self._residuals = y[m:] - y[:-m]
        else:
            self.method_ = "naive"
            self._last_season = y[-1:].copy()
            self._residuals = np.diff(y) if len(y) > 1 else np.zeros(1)
        return self

    def sample(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n_paths`` future paths of ``horizon`` weeks (procedures per week)."""
        _check_sample_args(horizon, n_paths)
        if not hasattr(self, "_residuals"):
            raise RuntimeError("call fit() before sample()")
        steps = np.arange(horizon) % len(self._last_season)
        point = self._last_season[steps]
        noise = rng.choice(self._residuals, size=(n_paths, horizon), replace=True)
        return np.clip(point[None, :] + noise, 0.0, None)


class ProphetModel:
    """Prophet with a yearly cycle and holidays moved onto the Monday of their week.

    A fresh ``Prophet`` is built in :meth:`fit`. Weekly and daily seasonality are off; the
    yearly seasonality uses ``yearly_fourier_order`` terms. Holidays come from the ``holidays``
    package (actual dates, not "observed" days) for the years of the history plus two years
    ahead; each acts on the week containing it. Paths are clipped at zero.

    Fitting makes cmdstanpy and Prophet log at WARNING and above only (process-wide, once).

    Args:
        changepoint_prior_scale: Trend flexibility.
        seasonality_prior_scale: Strength of the yearly seasonality prior.
        yearly_fourier_order: Number of Fourier pairs for the yearly cycle.
        holiday_country: ISO country code for ``holidays``, or None for no holidays.
    """

    def __init__(
        self,
        changepoint_prior_scale: float = 0.05,
        seasonality_prior_scale: float = 10.0,
        yearly_fourier_order: int = 6,
        holiday_country: str | None = "US",
    ) -> None:
        self.changepoint_prior_scale = changepoint_prior_scale
        self.seasonality_prior_scale = seasonality_prior_scale
        self.yearly_fourier_order = yearly_fourier_order
        self.holiday_country = holiday_country

    def fit(self, history: pd.DataFrame) -> ProphetModel:
        """Fit Prophet (MAP) to the weekly history.

        Args:
            history: Columns ``ds`` (Monday, datetime64) and ``y`` (procedures per week).

        Returns:
            self

        Raises:
            InputError: ``history`` is not a contiguous weekly series.
            ConfigError: ``holiday_country`` is unknown to the ``holidays`` package.
            RuntimeError, ValueError: Prophet or cmdstanpy could not fit the series.
        """
        _validate_history(history)
        df = pd.DataFrame({"ds": history[DS].to_numpy(), "y": history[Y].to_numpy(dtype=float)})
        holidays = _weekly_holidays(
            self.holiday_country,
            first_year=df["ds"].iloc[0].year,
            last_year=df["ds"].iloc[-1].year + _HOLIDAY_YEARS_AHEAD,
        )
        prophet_cls = _quiet_prophet()
        model = prophet_cls(
            changepoint_prior_scale=self.changepoint_prior_scale,
            seasonality_prior_scale=self.seasonality_prior_scale,
            yearly_seasonality=False,
            weekly_seasonality=False,
            daily_seasonality=False,
            holidays=holidays,
        )
        model.add_seasonality(name="yearly", period=365.25, fourier_order=self.yearly_fourier_order)
        self.prophet_: Prophet = model.fit(df)
        return self

    def sample(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n_paths`` posterior predictive paths of ``horizon`` weeks, clipped at 0.

        Seeds numpy's global random state from ``rng`` for Prophet and restores it afterwards.
        """
        _check_sample_args(horizon, n_paths)
        if not hasattr(self, "prophet_"):
            raise RuntimeError("call fit() before sample()")
        future = self.prophet_.make_future_dataframe(
            periods=horizon, freq="W-MON", include_history=False
        )
        self.prophet_.uncertainty_samples = n_paths
        seed = int(rng.integers(2**32))
        with _GLOBAL_RNG_LOCK:
            saved = np.random.get_state()
            np.random.seed(seed)
            try:
                draws = self.prophet_.predictive_samples(future)["yhat"]
            finally:
                np.random.set_state(saved)
        return np.clip(np.asarray(draws, dtype=float).T, 0.0, None)


def _weekly_holidays(country: str | None, first_year: int, last_year: int) -> pd.DataFrame | None:
    """Prophet holidays frame (ds = Monday of the holiday's week, holiday = name)."""
    if country is None:
        return None
    import holidays as holidays_pkg

    try:
        calendar = holidays_pkg.country_holidays(
            country, years=range(first_year, last_year + 1), observed=False
        )
    except NotImplementedError:
        raise ConfigError(
            f"Unknown holiday country {country!r}; use an ISO code the 'holidays' package "
            "supports, e.g. 'US'."
        ) from None
    rows = [
        (day - dt.timedelta(days=day.weekday()), name)
        for day in sorted(calendar)
        for name in calendar.get_list(day)
    ]
    if not rows:
        return None
    frame = pd.DataFrame(rows, columns=["ds", "holiday"]).drop_duplicates(ignore_index=True)
    frame["ds"] = pd.to_datetime(frame["ds"])
    frame["lower_window"] = 0
    frame["upper_window"] = 0
    return frame


def _quiet_prophet() -> type[Prophet]:
    """Import Prophet and keep its and cmdstanpy's INFO logs off the console.

    Called at fit time, never at import. Setting the cmdstanpy logger to WARNING only sticks
    after ``cmdstanpy.utils.get_logger()`` has run: its first call resets the level to DEBUG and
    adds an INFO stream handler (cmdstanpy #665). The ``prophet`` logger is set to INFO when
    Prophet is imported, so it is lowered afterwards. Prophet's import-time "Importing plotly
    failed" error (plotly is not a dependency) is filtered out.
    """
    with _PROPHET_LOCK:
        plot_logger = logging.getLogger("prophet.plot")

        def drop_plotly(record: logging.LogRecord) -> bool:
            return not record.getMessage().startswith("Importing plotly failed")

        plot_logger.addFilter(drop_plotly)
        try:
            from prophet import Prophet
        finally:
            plot_logger.removeFilter(drop_plotly)
        from cmdstanpy.utils import get_logger

        get_logger().setLevel(logging.WARNING)
        logging.getLogger("prophet").setLevel(logging.WARNING)
    return Prophet


MODELS: dict[str, Callable[..., Model]] = {
    "prophet": ProphetModel,
    "seasonal_naive": SeasonalNaive,
}


def make_model(name: str, **settings: Any) -> Model:
    """Build the model registered as ``name`` with keyword ``settings``.

    Raises:
        ConfigError: ``name`` is not in :data:`MODELS`.
    """
    if name not in MODELS:
        raise ConfigError(f"Unknown model {name!r}; choose one of {', '.join(sorted(MODELS))}.")
    return MODELS[name](**settings)


def _settings(name: str, config: ModelConfig, holiday_country: str | None) -> dict[str, Any]:
    if name == "prophet":
        return {
            "changepoint_prior_scale": config.changepoint_prior_scale,
            "seasonality_prior_scale": config.seasonality_prior_scale,
            "yearly_fourier_order": config.yearly_fourier_order,
            "holiday_country": holiday_country,
        }
    return {}


@dataclass(frozen=True)
class SeriesForecast:
    """Sample paths of one series and how they were made.

    Attributes:
        paths: Array ``(n_paths, horizon)`` of weekly values (procedures per week), >= 0.
        model: Name of the model that produced ``paths`` ("zeros" for an empty history).
        fallback_reason: Why the configured model was not used, or None.
        fit_seconds: Wall time of fitting and sampling, failed attempts included.
    """

    paths: np.ndarray
    model: str
    fallback_reason: str | None
    fit_seconds: float


def forecast_series(
    history: pd.DataFrame,
    config: ModelConfig,
    *,
    horizon: int,
    n_paths: int,
    rng: np.random.Generator,
    holiday_country: str | None,
) -> SeriesForecast:
    """Forecast one weekly series with the configured model, or visibly with the fallback.

    The fallback (``config.fallback``) is used when the history is shorter than
    ``config.min_history_weeks``, has fewer than 5 non-zero weeks, or the configured model
    raises a RuntimeError or ValueError (e.g. cmdstanpy's optimisation failure) or returns
    non-finite values; ``fallback_reason`` then says why.

    Args:
        history: Columns ``ds`` (Monday, datetime64, weekly, no gaps) and ``y`` (procedures
            per week, finite, >= 0). Not modified.
        config: Model name, fallback and settings.
        horizon: Weeks ahead, >= 1.
        n_paths: Number of sample paths, >= 1.
        rng: Source of randomness; the same seed gives the same paths.
        holiday_country: ISO country code for Prophet's holidays, or None.

    Returns:
        The paths with the model used and any fallback reason.
    """
    _check_sample_args(horizon, n_paths)
    start = time.perf_counter()
    if history.empty:
        return SeriesForecast(np.zeros((n_paths, horizon)), "zeros", "no history", 0.0)
    _validate_history(history)
    weeks = len(history)
    nonzero = int((history[Y].to_numpy(dtype=float) > 0).sum())
    reason: str | None = None
    if weeks < config.min_history_weeks:
        reason = f"only {weeks} weeks of history (< {config.min_history_weeks})"
    elif nonzero < MIN_NONZERO_WEEKS:
        reason = f"only {nonzero} non-zero weeks (< {MIN_NONZERO_WEEKS})"
    else:
        model = make_model(config.name, **_settings(config.name, config, holiday_country))
        try:
            paths = model.fit(history).sample(horizon, n_paths, rng)
        except _MODEL_ERRORS as err:
            reason = f"{config.name} failed: {type(err).__name__}: {err}"[:200]
        else:
            if np.isfinite(paths).all():
                return SeriesForecast(paths, config.name, None, time.perf_counter() - start)
            reason = f"{config.name} produced non-finite values"
    logger.info("Using %s instead of %s: %s", config.fallback, config.name, reason)
    settings = _settings(config.fallback, config, holiday_country)
    paths = make_model(config.fallback, **settings).fit(history).sample(horizon, n_paths, rng)
    return SeriesForecast(paths, config.fallback, reason, time.perf_counter() - start)


def summarise_paths(paths: np.ndarray) -> dict[str, np.ndarray]:
    """Mean and 10/50/90 % quantiles per horizon step.

    Args:
        paths: Array ``(n_paths, horizon)``.

    Returns:
        ``{"mean", "p10", "p50", "p90"}``, each an array of length ``horizon``.
    """
    paths = np.asarray(paths, dtype=float)
    if paths.ndim != 2 or paths.shape[0] == 0:
        raise ValueError(
            f"paths must be a non-empty 2-D array (n_paths, horizon); got {paths.shape}"
        )
    summary = {MEAN: paths.mean(axis=0)}
    for key in (P10, P50, P90):
        summary[key] = np.quantile(paths, QUANTILES[key], axis=0)
    return summary
