"""Prophet behind the model contract: yearly cycle, weekly holidays, optional regressors."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..columns import DS, Y
from ..errors import ConfigError, InputError
from .base import MODEL_ERRORS, check_sample_args, finish_paths, require_fitted, validate_history

if TYPE_CHECKING:
    from prophet import Prophet

HOLIDAY_YEARS_AHEAD = 2  # holiday calendar covers history plus this many years of forecast
_PROPHET_LOCK = threading.Lock()  # guards the one-off import and logger set-up
_GLOBAL_RNG_LOCK = threading.Lock()  # Prophet samples from numpy's global random state


class ProphetModel:
    """Prophet with a yearly cycle and holidays moved onto the Monday of their week.

    A fresh ``Prophet`` is built in :meth:`fit`. Weekly and daily seasonality are off; the
    yearly seasonality uses ``yearly_fourier_order`` terms. Holidays come from the ``holidays``
    package (actual dates, not "observed" days) for the years of the history plus two years
    ahead; each acts on the week containing it. Paths are clipped at zero.

    Extra regressors known in advance (clinic closures, marketing campaigns) are columns of the
    history frame named in ``regressors``; their future values come from ``future_regressors``
    (columns ``ds`` and every regressor), which must cover every forecast week.

    Fitting makes cmdstanpy and Prophet log at WARNING and above only (process-wide, once).

    Args:
        changepoint_prior_scale: Trend flexibility.
        seasonality_prior_scale: Strength of the yearly seasonality prior.
        yearly_fourier_order: Number of Fourier pairs for the yearly cycle.
        holiday_country: ISO country code for ``holidays``, or None for no holidays.
        regressors: Names of extra regressor columns in the history.
        future_regressors: Frame with ``ds`` (Mondays) and the regressor columns for the
            forecast weeks (rows of other weeks are ignored).
    """

    supports_warm_start = True

    def __init__(
        self,
        changepoint_prior_scale: float = 0.05,
        seasonality_prior_scale: float = 10.0,
        yearly_fourier_order: int = 6,
        holiday_country: str | None = "US",
        regressors: Sequence[str] = (),
        future_regressors: pd.DataFrame | None = None,
    ) -> None:
        self.changepoint_prior_scale = changepoint_prior_scale
        self.seasonality_prior_scale = seasonality_prior_scale
        self.yearly_fourier_order = yearly_fourier_order
        self.holiday_country = holiday_country
        self.regressors = tuple(regressors)
        self.future_regressors = future_regressors

    def _frame(self, history: pd.DataFrame) -> pd.DataFrame:
        df = pd.DataFrame({"ds": history[DS].to_numpy(), "y": history[Y].to_numpy(dtype=float)})
        for name in self.regressors:
            if name not in history.columns:
                raise InputError(
                    f"Regressor {name!r} is not a column of the history; add it or remove it "
                    "from the Prophet settings."
                )
            values = history[name].to_numpy(dtype=float)
            if not np.isfinite(values).all():
                raise InputError(f"Regressor {name!r} has missing or infinite values; fill them.")
            df[name] = values
        return df

    def _build(self, holidays: pd.DataFrame | None) -> Prophet:
        prophet_cls = quiet_prophet()
        model = prophet_cls(
            changepoint_prior_scale=self.changepoint_prior_scale,
            seasonality_prior_scale=self.seasonality_prior_scale,
            yearly_seasonality=False,
            weekly_seasonality=False,
            daily_seasonality=False,
            holidays=None if holidays is None else holidays.copy(),
        )
        model.add_seasonality(name="yearly", period=365.25, fourier_order=self.yearly_fourier_order)
        for name in self.regressors:
            model.add_regressor(name)
        return model

    def fit(self, history: pd.DataFrame, warm_start: ProphetModel | None = None) -> ProphetModel:
        """Fit Prophet (MAP) to the weekly history.

        Args:
            history: Columns ``ds`` (Monday, datetime64), ``y`` (weekly values) and any
                regressor columns.
            warm_start: A fitted ProphetModel with the same settings whose parameters start
                the optimiser (Prophet docs, "Updating fitted models"). Its holiday calendar is
                reused when it covers this history; a warm fit that fails is redone cold.

        Returns:
            self

        Raises:
            InputError: ``history`` is not a contiguous weekly series or lacks a regressor.
            ConfigError: ``holiday_country`` is unknown to the ``holidays`` package.
            RuntimeError, ValueError: Prophet or cmdstanpy could not fit the series.
        """
        validate_history(history)
        df = self._frame(history)
        first, last = df["ds"].iloc[0].year, df["ds"].iloc[-1].year
        init = _warm_params(warm_start)
        if init is not None and warm_start is not None and warm_start.holiday_years_[1] >= last:
            years = warm_start.holiday_years_
            holidays = warm_start.holidays_
        else:
            years = (first, last + HOLIDAY_YEARS_AHEAD)
            holidays = weekly_holidays(self.holiday_country, *years)
        self.warm_started_ = False
        if init is not None:
            try:
                self.prophet_: Prophet = self._build(holidays).fit(df, init=init)
                self.warm_started_ = True
            except MODEL_ERRORS:
                pass  # e.g. a different holiday or regressor set: fit cold below
        if not self.warm_started_:
            self.prophet_ = self._build(holidays).fit(df)
        self.holidays_, self.holiday_years_ = holidays, years
        return self

    def sample(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n_paths`` posterior predictive paths of ``horizon`` weeks, clipped at 0.

        Seeds numpy's global random state from ``rng`` for Prophet and restores it afterwards.
        """
        check_sample_args(horizon, n_paths)
        require_fitted(self, "prophet_")
        future = self.prophet_.make_future_dataframe(
            periods=horizon, freq="W-MON", include_history=False
        )
        future = self._future_regressors(future)
        self.prophet_.uncertainty_samples = n_paths
        seed = int(rng.integers(2**32))
        with _GLOBAL_RNG_LOCK:
            saved = np.random.get_state()
            np.random.seed(seed)
            try:
                draws = self.prophet_.predictive_samples(future)["yhat"]
            finally:
                np.random.set_state(saved)
        return finish_paths(np.asarray(draws, dtype=float).T, n_paths, horizon)

    def _future_regressors(self, future: pd.DataFrame) -> pd.DataFrame:
        if not self.regressors:
            return future
        known = self.future_regressors
        if known is None:
            raise InputError(
                f"Prophet regressors {list(self.regressors)} need their future values; pass "
                "future_regressors with ds and those columns for the forecast weeks."
            )
        values = known.assign(ds=pd.to_datetime(known[DS])).set_index("ds")
        out = future.copy()
        for name in self.regressors:
            column = values[name] if name in values.columns else pd.Series(dtype=float)
            out[name] = column.reindex(out["ds"]).to_numpy(dtype=float)
            if not np.isfinite(out[name]).all():
                week = out.loc[~np.isfinite(out[name]), "ds"].iloc[0].date()
                raise InputError(
                    f"Regressor {name!r} has no future value for the week of {week}; add it to "
                    "future_regressors."
                )
        return out


def _warm_params(model: ProphetModel | None) -> dict[str, Any] | None:
    """Prophet's documented ``warm_start_params``: the MAP estimates of a fitted model."""
    if model is None or not hasattr(model, "prophet_"):
        return None
    params = model.prophet_.params
    init: dict[str, Any] = {name: params[name][0][0] for name in ("k", "m", "sigma_obs")}
    init.update({name: params[name][0] for name in ("delta", "beta")})
    return init


def weekly_holidays(country: str | None, first_year: int, last_year: int) -> pd.DataFrame | None:
    """Prophet holidays frame (ds = Monday of the holiday's week, holiday = name).

    Raises:
        ConfigError: ``country`` is unknown to the ``holidays`` package.
    """
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


def quiet_prophet() -> type[Prophet]:
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
