"""Rolling-origin backtests: every model forecast from past cutoffs, scored on the weeks after.

Each model forecasts each series from several cutoffs, seeing only the weeks before each cutoff,
and is scored on the weeks after it.

Library entry points (the CLI's ``lymphcast backtest`` and any Prefect flow wrap these)::

    series = load_procedure_series(Path("data/processed"))   # or load_series_csv(path)
    result = run_backtest(series, models=["prophet", "ets", "auto", "ensemble"])
    files = write_backtest(result, Path("data/processed/backtest"))
    print(format_leaderboard(result))

``[model] backtest_dir`` (default ``data/processed/backtest``) is where the weekly run's
``auto`` and ``ensemble`` read the latest backtest of the processed series.
"""

from forecasting.backtest.engine import ALWAYS_RUN, run_backtest
from forecasting.backtest.outputs import format_leaderboard, write_backtest
from forecasting.backtest.results import (
    FORECAST_COLUMNS,
    LEADERBOARD_COLUMNS,
    WINDOW_COLUMNS,
    BacktestResult,
)
from forecasting.backtest.series import load_procedure_series, load_series_csv, validate_series

__all__ = [
    "ALWAYS_RUN",
    "FORECAST_COLUMNS",
    "LEADERBOARD_COLUMNS",
    "WINDOW_COLUMNS",
    "BacktestResult",
    "format_leaderboard",
    "load_procedure_series",
    "load_series_csv",
    "run_backtest",
    "validate_series",
    "write_backtest",
]
