"""Prophet behind the model contract: yearly cycle, weekly holidays, optional regressors."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecasting.columns import DS, Y
from forecasting.errors import ConfigError, InputError
from forecasting.models.base import (
    MODEL_ERRORS,
    check_sample_args,
    finish_paths,
    require_fitted,
    validate_history,
)

if TYPE_CHECKING:
    from prophet import Prophet

HOLIDAY_YEARS_AHEAD = 2  # holiday calendar covers history plus this many years of forecast
_PROPHET_LOCK = threading.Lock()  # guards the one-off import and logger set-up
_GLOBAL_RNG_LOCK = threading.Lock()  # Prophet samples from numpy's global random state
# Prophet rebuilds the same design matrix (Fourier terms, holiday columns) for every series with
# the same weeks: about half of a fit's Python time. It is cached per process (see
# _feature_cache_key); entries are a few tens of kB.
_FEATURE_CACHE: OrderedDict[tuple, tuple] = OrderedDict()
_FEATURE_CACHE_SIZE = 64
_FEATURE_LOCK = threading.Lock()
_CACHED_CLASS: list[type] = []


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
        prophet_cls = _prophet_class()
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

    def fit(
        self, history: pd.DataFrame, warm_start: ProphetModel | dict[str, Any] | None = None
    ) -> ProphetModel:
        """Fit Prophet (MAP) to the weekly history.

        Args:
            history: Columns ``ds`` (Monday, datetime64), ``y`` (weekly values) and any
                regressor columns.
            warm_start: A fitted ProphetModel with the same settings, or its
                :meth:`warm_state` (as stored between weekly runs), whose parameters start the
                optimiser (Prophet docs, "Updating fitted models"). Its holiday calendar is
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
        init, warm_years = _warm_params(warm_start)
        if warm_years is not None and warm_years[0] <= first and last <= warm_years[1]:
            years = warm_years  # the same calendar, so the same parameters' shapes
        else:
            years = (first, last + HOLIDAY_YEARS_AHEAD)
        holidays = _calendar(self.holiday_country, *years)
        self.warm_started_ = False
        if init is not None:
            try:
                self.prophet_: Prophet = self._build(holidays).fit(df, init=init)
                self.warm_started_ = True
            except MODEL_ERRORS:
                pass  # e.g. a different holiday or regressor set: fit cold below
        if not self.warm_started_:
            self.prophet_ = self._build(holidays).fit(df)
        self.holiday_years_ = years
        return self

    def warm_state(self) -> dict[str, Any]:
        """The fitted parameters (and holiday years) as plain JSON data, to warm-start a later
        fit of the same series with :meth:`fit` (``warm_start=``)."""
        require_fitted(self, "prophet_")
        init, years = _warm_params(self)
        assert init is not None and years is not None
        return {
            **{name: np.asarray(v, dtype=float).tolist() for name, v in init.items()},
            "holiday_years": list(years),
        }

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


def _warm_params(
    warm: ProphetModel | dict[str, Any] | None,
) -> tuple[dict[str, Any] | None, tuple[int, int] | None]:
    """Prophet's documented ``warm_start_params`` (the MAP estimates of a fitted model) and the
    holiday years of that fit, from a fitted model or its :meth:`ProphetModel.warm_state`."""
    if isinstance(warm, dict):
        try:
            init: dict[str, Any] = {name: float(warm[name]) for name in ("k", "m", "sigma_obs")}
            init.update({name: np.asarray(warm[name], dtype=float) for name in ("delta", "beta")})
            first, last = (int(y) for y in warm["holiday_years"])
        except (KeyError, TypeError, ValueError):
            return None, None  # not a state this version wrote: fit cold
        return init, (first, last)
    if warm is None or not hasattr(warm, "prophet_"):
        return None, None
    params = warm.prophet_.params
    init = {name: params[name][0][0] for name in ("k", "m", "sigma_obs")}
    init.update({name: params[name][0] for name in ("delta", "beta")})
    return init, warm.holiday_years_


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


@functools.lru_cache(maxsize=32)
def _calendar_cached(country: str | None, first_year: int, last_year: int) -> pd.DataFrame | None:
    return weekly_holidays(country, first_year, last_year)


def _calendar(country: str | None, first_year: int, last_year: int) -> pd.DataFrame | None:
    """:func:`weekly_holidays`, computed once per process and argument set (a copy each call)."""
    frame = _calendar_cached(country, first_year, last_year)
    return None if frame is None else frame.copy()


def _frame_digest(frame: pd.DataFrame | None) -> str | None:
    if frame is None:
        return None
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return hashlib.blake2b(hashed.tobytes(), digest_size=16).hexdigest()


def _feature_cache_key(model: Prophet, df: pd.DataFrame) -> tuple | None:
    """What Prophet's ``make_all_seasonality_features`` output depends on, or None.

    It depends on the dates, the seasonalities, the holidays (frame, country, mode, prior
    scale) and, once fitted, the holiday names and component columns of the training data.
    Extra regressors and conditional seasonalities read other columns of ``df``: not cached.
    """
    if model.extra_regressors or any(
        props.get("condition_name") is not None for props in model.seasonalities.values()
    ):
        return None
    holidays_key = getattr(model, "_lymphcast_holidays_key", None)
    if holidays_key is None:
        holidays_key = _frame_digest(model.holidays)
        model._lymphcast_holidays_key = holidays_key  # type: ignore[attr-defined]
    ds = df["ds"].to_numpy(dtype="datetime64[ns]")
    names = model.train_holiday_names
    cols = model.train_component_cols
    return (
        hashlib.blake2b(ds.tobytes(), digest_size=16).hexdigest(),
        repr(sorted(model.seasonalities.items())),
        holidays_key,
        repr(model.country_holidays),
        model.holidays_mode,
        float(model.holidays_prior_scale),
        None if names is None else tuple(names),
        None if cols is None else (tuple(cols.columns), cols.shape, cols.to_numpy().tobytes()),
    )


def _prophet_class() -> type[Prophet]:
    """Prophet with a per-process cache of its design matrix (same results, less time)."""
    prophet_cls = quiet_prophet()
    with _PROPHET_LOCK:
        if _CACHED_CLASS:
            return _CACHED_CLASS[0]

        class _CachedFeaturesProphet(prophet_cls):  # type: ignore[misc, valid-type]
            def make_all_seasonality_features(self, df):  # noqa: ANN001, ANN202
                key = _feature_cache_key(self, df)
                if key is None:
                    return super().make_all_seasonality_features(df)
                with _FEATURE_LOCK:
                    hit = _FEATURE_CACHE.get(key)
                    if hit is not None:
                        _FEATURE_CACHE.move_to_end(key)
                if hit is None:
                    result = super().make_all_seasonality_features(df)
                    # The first call of a fit also records the holiday names it saw.
                    hit = (result, self.train_holiday_names)  # type: ignore[has-type]
                    with _FEATURE_LOCK:
                        _FEATURE_CACHE[key] = hit
                        while len(_FEATURE_CACHE) > _FEATURE_CACHE_SIZE:
                            _FEATURE_CACHE.popitem(last=False)
                elif self.train_holiday_names is None and hit[1] is not None:  # type: ignore[has-type]
                    self.train_holiday_names = hit[1].copy()
                (features, priors, cols, modes), _ = hit
                return (
                    features.copy(),
                    list(priors),
                    cols.copy(),
                    {mode: list(names) for mode, names in modes.items()},
                )

        _CACHED_CLASS.append(_CachedFeaturesProphet)
        return _CachedFeaturesProphet


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
