"""``run_week``: the whole week's computation in one call (notebooks, backtests, benchmarks)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from forecasting.config import Config
from forecasting.models import SeriesForecast
from forecasting.progress import Progress, stage
from forecasting.series import SeriesKey
from forecasting.week.assembly import assemble
from forecasting.week.calibrate import session_calibration
from forecasting.week.forecasts import (
    Forecaster,
    by_clinic,
    driver_types,
    forecast_clinic,
    network_priors,
)
from forecasting.week.inputs import WeeklyInputs
from forecasting.week.results import WeeklyResult


def run_week(
    inputs: WeeklyInputs,
    config: Config,
    warm_starts: Mapping[SeriesKey, dict] | None = None,
    forecaster: Forecaster | None = None,
    progress: Progress | None = None,
    archived: pd.DataFrame | None = None,
) -> WeeklyResult:
    """Histories, forecasts, session demand and staffing for every clinic of ``inputs``.

    Args:
        inputs: Processed data cut at the run's cut-off (:func:`load_inputs`).
        config: The run's configuration (:func:`forecasting.config.load_config`).
        warm_starts: Per series, Prophet's state from an earlier cut-off
            (:func:`forecasting.models.warm_start.load_warm_starts`); None fits cold.
        forecaster: Replaces the configured model per series (a benchmark feeding known
            rates, say): ``forecaster(key, history, config) -> SeriesForecast``; its
            session intervals are then left as modelled (not calibrated).
        archived: Earlier runs' archived session forecasts for the calibration
            (:func:`session_calibration`); None: in-run rolling origins only.
        progress: Hears of each clinic's series forecast (stage "forecasts"; default
            ``forecasting.progress``'s receiver for the process).

    Returns:
        WeeklyResult: the forecast.csv and staffing.csv frames and how they were made.

    One clinic's problems (no roster, no usable data, a new clinic, stale data) are named in
    ``WeeklyResult.problems`` (:func:`assemble`); the run goes on for every other clinic.
    """
    histories = inputs.histories(driver_types(config))
    forecasts: dict[SeriesKey, SeriesForecast] = {}
    prior = network_priors(config, histories) if forecaster is None else None
    with stage("forecasts", len(histories), "series", progress) as running:
        for keys in by_clinic(histories).values():
            mine = {k: histories[k] for k in keys}
            if forecaster is not None:
                forecasts.update({k: forecaster(k, mine[k], config) for k in keys})
            else:
                forecasts.update(forecast_clinic(mine, config, warm_starts, prior))
            running.advance(len(keys))
    calibration = session_calibration(inputs, archived, config) if forecaster is None else None
    return assemble(inputs, forecasts, config, calibration)
