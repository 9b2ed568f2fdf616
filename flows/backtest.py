"""The ``monthly-backtest`` flow: rolling-origin backtest of the configured models.

Wraps :func:`forecasting.backtest.run_backtest` on the processed procedure series and publishes
the result (whole or not at all) where the weekly run's ``auto`` / ``ensemble`` selection reads
it (``[model] backtest_dir``). The backtest spreads series over its own process pool, so the
flow has three coarse tasks: load (I/O, retried), backtest (timed out), publish (I/O, retried).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff

from flows.weekly import _transient
from forecasting.config import Config, load_config


@task(name="load-series", cache_policy=NO_CACHE, retry_condition_fn=_transient)
def load_series_task(processed: Path, as_of: date | None) -> Any:
    from forecasting.backtest import load_procedure_series

    return load_procedure_series(processed, as_of)


@task(name="run-backtest", cache_policy=NO_CACHE)
def backtest_task(
    series: Any, models: list[str], horizon: int, folds: int, n_paths: int, config: Config
) -> Any:
    from forecasting.backtest import run_backtest

    return run_backtest(
        series,
        models=models,
        horizon=horizon,
        folds=folds,
        n_paths=n_paths,
        seed=config.seed,
        config=config.model,
        holiday_country=config.holiday_country,
    )


@task(name="publish-backtest", cache_policy=NO_CACHE, retry_condition_fn=_transient)
def publish_task(result: Any, out: Path) -> str:
    from forecasting.backtest import write_backtest

    return str(write_backtest(result, out)["leaderboard"])


@flow(name="monthly-backtest", log_prints=False)
def monthly_backtest(
    config_path: str | None = None,
    processed: str = "data/processed",
    out: str | None = None,
    models: list[str] | None = None,
    horizon: int = 13,
    folds: int = 8,
    n_paths: int = 200,
    as_of: date | None = None,
) -> str:
    """Backtest the configured models; returns the path of the published leaderboard.

    Args:
        config_path: lymphcast.toml; None for the built-in defaults.
        processed: Directory of the processed weekly data.
        out: Where the backtest is published; default ``[model] backtest_dir``.
        models: Models to compare; default the ``[model] candidates`` plus auto and ensemble.
        horizon: Weeks forecast from each cutoff.
        folds: Cutoffs per series.
        n_paths: Sample paths per forecast.
        as_of: Data cut-off (default: all processed weeks).
    """
    config = load_config(Path(config_path) if config_path else None)
    orch = config.orchestration
    io: dict[str, Any] = {
        "retries": orch.io_retries,
        "retry_delay_seconds": exponential_backoff(orch.retry_backoff_seconds),
    }
    chosen = models or [*getattr(config.model, "candidates", [config.model.name]), "auto",
                        "ensemble"]  # fmt: skip
    series = load_series_task.with_options(**io, timeout_seconds=orch.timeouts.load)(
        Path(processed), as_of
    )
    result = backtest_task.with_options(timeout_seconds=orch.timeouts.backtest)(
        series, chosen, horizon, folds, n_paths, config
    )
    target = Path(out or config.model.backtest_dir)
    return publish_task.with_options(**io, timeout_seconds=orch.timeouts.report)(result, target)
