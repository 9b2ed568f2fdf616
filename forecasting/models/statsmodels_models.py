"""statsmodels forecasters behind the model contract: ETS, SARIMAX with Fourier terms, STL + ETS.

All three draw sample paths by simulating the fitted state-space model forward
(``simulate(..., anchor="end", repetitions=n_paths, rng=...)``, statsmodels 0.15's ``rng=``
API) and clip them at zero. Warnings from the optimisers (convergence, start values) are
silenced inside ``fit``: the backtest, not a warning, judges a model. Fits and simulations run
with one BLAS thread (see :func:`forecasting.models.base.one_blas_thread`).
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd

from forecasting.columns import DS, Y
from forecasting.errors import ConfigError
from forecasting.models.base import (
    check_sample_args,
    finish_paths,
    fourier_terms,
    one_blas_thread,
    require_fitted,
    validate_history,
    weeks_since_epoch,
)

YEAR_WEEKS = 52.18  # mean weeks per year (365.25 / 7)


def _ets_trend(trend: str) -> str | None:
    if trend not in ("add", "none"):
        raise ConfigError(f"ETS trend must be 'add' or 'none' (got {trend!r}).")
    return None if trend == "none" else "add"


def _ets(y: np.ndarray, error: str, trend: str, damped_trend: bool) -> Any:
    """Fit statsmodels' ETSModel quietly; multiplicative error needs y > 0."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    if error not in ("add", "mul"):
        raise ConfigError(f"ETS error must be 'add' or 'mul' (got {error!r}).")
    if error == "mul" and (y <= 0).any():
        raise ValueError("multiplicative-error ETS needs every weekly value > 0")
    kind = _ets_trend(trend)
    with warnings.catch_warnings(), one_blas_thread():
        warnings.simplefilter("ignore")
        model = ETSModel(y, error=error, trend=kind, damped_trend=damped_trend and kind is not None)
        return model.fit(disp=False)


def _simulated(result: Any, horizon: int, n_paths: int, rng: np.random.Generator, **kw: Any):
    with warnings.catch_warnings(), one_blas_thread():
        warnings.simplefilter("ignore")
        sims = result.simulate(horizon, anchor="end", repetitions=n_paths, rng=rng, **kw)
    return np.asarray(sims, dtype=float).reshape(horizon, n_paths).T


class ETS:
    """Exponential smoothing state-space model (statsmodels ETSModel), no seasonal component.

    Args:
        error: "add" or "mul" (multiplicative needs every weekly value > 0).
        trend: "add" or "none".
        damped_trend: Damp the trend (ignored without a trend).
    """

    def __init__(
        self,
        error: Literal["add", "mul"] = "add",
        trend: Literal["add", "none"] = "add",
        damped_trend: bool = True,
    ) -> None:
        self.error = error
        self.trend = trend
        self.damped_trend = damped_trend

    def fit(self, history: pd.DataFrame) -> ETS:
        """Fit ETS by maximum likelihood.

        Args:
            history: Columns ``ds`` (Monday, datetime64) and ``y`` (weekly values, >= 0).
        """
        validate_history(history)
        y = history[Y].to_numpy(dtype=float)
        self.result_ = _ets(y, self.error, self.trend, self.damped_trend)
        return self

    def sample(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        """Simulated paths ``(n_paths, horizon)``, clipped at zero."""
        check_sample_args(horizon, n_paths)
        require_fitted(self, "result_")
        return finish_paths(_simulated(self.result_, horizon, n_paths, rng), n_paths, horizon)


class SarimaxFourier:
    """SARIMAX with Fourier terms for the 52.18-week year as exogenous regressors.

    A seasonal ARIMA with a 52-week season is slow and often fails to converge; sine/cosine
    pairs of the yearly cycle (phase fixed to the calendar) carry the seasonality instead.

    Args:
        order: ARIMA (p, d, q).
        trend: statsmodels trend code: "n", "c", "t" or "ct" (with d = 1, "t" is a drift).
        fourier_pairs: Sine/cosine pairs of the yearly cycle.
        period_weeks: Length of the year in weeks.
    """

    supports_warm_start = True

    def __init__(
        self,
        order: tuple[int, int, int] = (1, 1, 1),
        trend: Literal["n", "c", "t", "ct"] = "n",
        fourier_pairs: int = 4,
        period_weeks: float = YEAR_WEEKS,
    ) -> None:
        self.order = tuple(order)
        self.trend = trend
        self.fourier_pairs = fourier_pairs
        self.period_weeks = period_weeks

    def _exog(self, weeks: np.ndarray) -> np.ndarray:
        return fourier_terms(weeks, self.period_weeks, self.fourier_pairs)

    def fit(
        self, history: pd.DataFrame, warm_start: SarimaxFourier | None = None
    ) -> SarimaxFourier:
        """Fit by maximum likelihood, starting from ``warm_start``'s estimates when given.

        Args:
            history: Columns ``ds`` (Monday, datetime64) and ``y`` (weekly values, >= 0).
            warm_start: A fitted SarimaxFourier with the same settings.
        """
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        validate_history(history)
        if self.fourier_pairs < 1 or self.period_weeks <= 2:
            raise ConfigError("SARIMAX needs fourier_pairs >= 1 and period_weeks > 2.")
        y = history[Y].to_numpy(dtype=float)
        weeks = weeks_since_epoch(history[DS])
        start = None
        if warm_start is not None and hasattr(warm_start, "result_"):
            start = np.asarray(getattr(warm_start, "result_").params)  # noqa: B009 - typed Any
        with warnings.catch_warnings(), one_blas_thread():
            warnings.simplefilter("ignore")
            model = SARIMAX(y, exog=self._exog(weeks), order=self.order, trend=self.trend)
            if start is not None and len(start) != len(model.start_params):
                start = None
            # cov_type="none": no Hessian; the numerical one cost 20-80x the fit on trending series
            self.result_ = model.fit(disp=False, start_params=start, cov_type="none")
        self._next_week = weeks[-1] + 1.0
        return self

    def sample(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        """Simulated paths ``(n_paths, horizon)``, clipped at zero."""
        check_sample_args(horizon, n_paths)
        require_fitted(self, "result_")
        exog = self._exog(self._next_week + np.arange(horizon))
        sims = _simulated(self.result_, horizon, n_paths, rng, exog=exog)
        return finish_paths(sims, n_paths, horizon)


class StlEts:
    """STL decomposition (statsmodels STLForecast) with ETS on the seasonally adjusted series.

    The seasonal component is carried forward from the last full season (as STLForecast does)
    and added to simulated ETS paths, so paths share STLForecast's point forecast. Needs two
    full seasons of history.

    Args:
        period: Season length in weeks (an integer for STL).
        robust: Robust (outlier-resistant) STL fitting.
        trend: ETS trend, "add" or "none".
        damped_trend: Damp the ETS trend.
    """

    def __init__(
        self,
        period: int = 52,
        robust: bool = True,
        trend: Literal["add", "none"] = "add",
        damped_trend: bool = True,
    ) -> None:
        self.period = period
        self.robust = robust
        self.trend = trend
        self.damped_trend = damped_trend

    def fit(self, history: pd.DataFrame) -> StlEts:
        """Decompose and fit ETS to the seasonally adjusted series.

        Args:
            history: Columns ``ds`` (Monday, datetime64) and ``y`` (weekly values, >= 0).

        Raises:
            ValueError: Fewer than two full seasons of history.
        """
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel
        from statsmodels.tsa.forecasting.stl import STLForecast

        validate_history(history)
        y = history[Y].to_numpy(dtype=float)
        if len(y) < 2 * self.period:
            raise ValueError(f"STL needs two seasons ({2 * self.period} weeks); got {len(y)}")
        kind = _ets_trend(self.trend)
        kwargs = {"error": "add", "trend": kind, "damped_trend": self.damped_trend and bool(kind)}
        with warnings.catch_warnings(), one_blas_thread():
            warnings.simplefilter("ignore")
            stl = STLForecast(
                y, ETSModel, model_kwargs=kwargs, period=self.period, robust=self.robust
            )
            self.result_ = stl.fit(fit_kwargs={"disp": False})
        self._last_season = np.asarray(self.result_.result.seasonal, dtype=float)[-self.period :]
        return self

    def sample(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        """Simulated ETS paths plus the carried-forward season, ``(n_paths, horizon)``."""
        check_sample_args(horizon, n_paths)
        require_fitted(self, "result_")
        seasonal = self._last_season[np.arange(horizon) % self.period]
        sims = _simulated(self.result_.model_result, horizon, n_paths, rng)
        return finish_paths(sims + seasonal[None, :], n_paths, horizon)
