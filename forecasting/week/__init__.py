"""One week's computation: processed data at a cut-off -> forecasts -> demand -> staffing.

``run_week(inputs, config)`` is the whole computation for a notebook, the staffing backtest
and the benchmarks; the Prefect flow runs the same steps as tasks (:func:`load_inputs`, one
:func:`forecast_clinic` per clinic, :func:`assemble`). Publishing is the report package's job
(:func:`forecasting.report.publish_week`).
"""

from forecasting.week.assembly import assemble
from forecasting.week.calibrate import session_calibration
from forecasting.week.forecasts import (
    DriverPriors,
    Forecaster,
    by_clinic,
    driver_types,
    forecast_clinic,
    forecast_one,
    network_priors,
)
from forecasting.week.inputs import WeeklyInputs, cut_inputs, load_inputs
from forecasting.week.results import MODEL_COLUMNS, WeeklyResult, _horizon_total, _with_calibration
from forecasting.week.run import run_week

__all__ = [
    "MODEL_COLUMNS",
    "DriverPriors",
    "Forecaster",
    "WeeklyInputs",
    "WeeklyResult",
    "_horizon_total",
    "_with_calibration",
    "assemble",
    "by_clinic",
    "cut_inputs",
    "driver_types",
    "forecast_clinic",
    "forecast_one",
    "load_inputs",
    "network_priors",
    "run_week",
    "session_calibration",
]
