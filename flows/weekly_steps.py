"""The weekly flow's tasks, with this run's timeouts, retries and cache settings (``_Tasks``)."""

from __future__ import annotations

import logging
import os
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE, CachePolicy
from prefect.tasks import exponential_backoff

from flows import caching
from flows.runners import lost_on_dask
from forecasting import week
from forecasting.columns import PROCEDURE_TYPES
from forecasting.config import Config
from forecasting.demand.calibration import Calibration
from forecasting.errors import LymphcastError
from forecasting.ingest import IngestManifest, ingest_exports
from forecasting.layout import DataLayout
from forecasting.models import SeriesForecast
from forecasting.planning.week_plans import WeekPlans, plan_week
from forecasting.report import publish_week
from forecasting.series import SeriesKey

progress = logging.getLogger("lymphcast.progress")

# Fault injection for the kill-and-restart test: the named step writes the marker file, then
# sleeps so the test can kill the process right there. Unset in normal use.
_PAUSE_ENV, _MARKER_ENV = "LYMPHCAST_FAULT_PAUSE_AT", "LYMPHCAST_FAULT_MARKER"


def _pause_point(step: str) -> None:
    if os.environ.get(_PAUSE_ENV) == step:
        marker = os.environ.get(_MARKER_ENV)
        if marker:
            Path(marker).write_text(f"{os.getpid()}\n", encoding="utf-8")
        time.sleep(3600)


def _transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry only I/O errors; a bad export or setting (LymphcastError) fails at once."""
    try:
        err = state.result(raise_on_failure=False)
    except Exception:  # noqa: BLE001 - no result to inspect: do not retry blindly
        return False
    return isinstance(err, OSError)


@task(name="ingest", cache_policy=NO_CACHE, retry_condition_fn=_transient)
def ingest_task(layout: DataLayout, config: Config, today: date, cache_key: str) -> IngestManifest:
    """Validate and aggregate the raw exports into the processed folder; return the manifest."""
    _pause_point("ingest")
    result = ingest_exports(layout, config, today)
    bad = [f for f in result.files if f.status != "ok" or f.rows_quarantined]
    progress.info(
        "ingested %d files (%d with rejected rows; see %s)",
        len(result.files), len(bad), layout.quarantine,
    )  # fmt: skip
    return result.manifest


@task(name="load-inputs", cache_policy=NO_CACHE, retry_condition_fn=_transient)
def load_task(layout: DataLayout, as_of: date) -> week.WeeklyInputs:
    _pause_point("load-inputs")
    return week.load_inputs(layout, as_of)


@task(name="forecast-clinic", task_run_name="forecast-{clinic}", cache_policy=NO_CACHE)
def forecast_task(
    clinic: str,
    histories: dict[SeriesKey, Any],
    config: Config,
    warm: dict[SeriesKey, dict],
    cache_key: str,
    prior: Any = None,
) -> dict[SeriesKey, SeriesForecast]:
    """Forecast one clinic's procedure series (one task per clinic keeps Prefect's per-task
    cost small next to the fits; the clinic is also the unit a new week of data changes)."""
    out = {}
    for key in sorted(histories):
        _pause_point(f"forecast:{key[0]}:{key[1]}")
        out.update(week.forecast_clinic({key: histories[key]}, config, warm, prior))
    return out


@task(name="calibrate-intervals", cache_policy=NO_CACHE)
def calibration_task(inputs: Any, archived: Any, config: Config, cache_key: str) -> Calibration:
    """Session-interval calibration: archive errors and the in-run rolling origins' refits."""
    _pause_point("calibrate-intervals")
    return week.session_calibration(inputs, archived, config)


@task(name="demand-and-staffing", cache_policy=NO_CACHE)
def assemble_task(
    inputs: Any, forecasts: Any, config: Config, cache_key: str, calibration: Any = None
) -> week.WeeklyResult:
    _pause_point("demand-and-staffing")
    return week.assemble(inputs, forecasts, config, calibration)


@task(name="plans", cache_policy=NO_CACHE)
def plans_task(
    inputs: Any, forecasts: Any, result: Any, config: Config, cache_key: str, **kwargs: Any
) -> WeekPlans:
    """What-if scenarios, next week's shifts and region roll-ups (forecasting/planning/); one
    progress line with each step's seconds."""
    _pause_point("plans")
    steps: list[str] = []
    clock = [time.perf_counter()]

    def done(step: str) -> None:
        now = time.perf_counter()
        steps.append(f"{step} {now - clock[0]:.1f} s")
        clock[0] = now

    plans = plan_week(inputs, forecasts, result, config, on_step=done, **kwargs)
    if steps:
        progress.info("plans: %s", ", ".join(steps))
    return plans


@task(name="publish-report", cache_policy=NO_CACHE, retry_condition_fn=_transient)
def report_task(cache_key: str, **kwargs: Any) -> Path:
    _pause_point("publish-report")
    return publish_week(**kwargs)


class _Tasks:
    """The tasks with this run's timeouts, retries and cache settings."""

    def __init__(self, config: Config, processed: Path) -> None:
        orch = config.orchestration
        cached: dict[str, Any] = {}
        if orch.cache:
            storage = Path(orch.cache_dir) if orch.cache_dir else processed / ".cache"
            cached = {
                "cache_policy": CachePolicy.from_cache_key_fn(caching.key_from_argument),
                "cache_expiration": timedelta(days=orch.cache_days),
                "persist_result": True,
                "result_storage": storage.resolve(),  # a local directory
            }
        io: dict[str, Any] = {
            "retries": orch.io_retries,
            "retry_delay_seconds": exponential_backoff(orch.retry_backoff_seconds),
        }
        limits = orch.timeouts
        self.ingest = ingest_task.with_options(timeout_seconds=limits.ingest, **io, **cached)
        self.load = load_task.with_options(timeout_seconds=limits.load, **io)
        # Prefect can interrupt a task only in a process's main thread (a ProcessPool worker);
        # in threads (and Dask worker threads) the flow enforces the limit while waiting.
        in_main_thread = orch.task_runner == "processes"
        # The limit is per series; a task forecasts one clinic's series.
        self.forecast_timeout = limits.forecast
        per_clinic = limits.forecast * len(PROCEDURE_TYPES)
        self.forecast = forecast_task.with_options(
            timeout_seconds=per_clinic if in_main_thread else None, **cached
        )
        self.assemble = assemble_task.with_options(timeout_seconds=limits.assemble, **cached)
        # The in-run calibration refits a few clinics at past cut-offs: the assemble limit.
        self.calibrate = calibration_task.with_options(timeout_seconds=limits.assemble, **cached)
        self.plans = plans_task.with_options(timeout_seconds=limits.assemble, **cached)
        self.report = report_task.with_options(timeout_seconds=limits.report, **io, **cached)


def _within(
    future: Any, timeout: float, clinic: str, dask_address: str | None = None
) -> dict[Any, SeriesForecast]:
    """The future's result, or LymphcastError when it is not done ``timeout`` s from now or
    the Dask cluster lost it (its scheduler gone, say)."""
    try:
        return future.result(timeout=timeout)
    except TimeoutError:
        raise LymphcastError(
            f"Forecasting the series of clinic {clinic} took longer than {timeout:.0f} s; check "
            "the machine's load or raise orchestration.timeouts.forecast in lymphcast.toml."
        ) from None
    except Exception as err:
        lost = lost_on_dask(err, f"the forecast of clinic {clinic}", dask_address)
        if lost is None:
            raise
        raise lost from None


def _report_outputs(final: Path, archive: Path) -> list[Path]:
    files = sorted(p for p in final.rglob("*") if p.is_file()) if final.is_dir() else [final]
    return [*files, archive]
