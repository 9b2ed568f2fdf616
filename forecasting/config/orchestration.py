"""[orchestration]: task runner, workers, retries and timeouts of the Prefect flows."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from forecasting.config.base import Strict


class TaskTimeouts(Strict):
    """Seconds each task of the weekly run may take before it is failed (and the run with it)."""

    ingest: float = Field(default=1800, gt=0, description="read and validate all raw exports")
    load: float = Field(default=600, gt=0, description="read the processed weekly data")
    forecast: float = Field(default=600, gt=0, description="fit and sample one series")
    assemble: float = Field(default=1800, gt=0, description="demand and staffing, all clinics")
    report: float = Field(default=1800, gt=0, description="render and publish the report")
    backtest: float = Field(default=7200, gt=0, description="the monthly backtest")


class OrchestrationConfig(Strict):
    """How the Prefect flows run: task runner, retries, timeouts, locking and caching."""

    task_runner: Literal["threads", "processes", "dask"] = "threads"
    max_workers: int = Field(default=4, ge=1, le=512, description="threads or processes")
    dask_address: str | None = Field(
        default=None, description="scheduler of an existing Dask cluster; None: a local cluster"
    )
    dask_workers: int = Field(default=2, ge=1, le=512, description="local Dask cluster workers")
    dask_threads_per_worker: int = Field(default=1, ge=1, le=64)
    dask_processes: bool = Field(default=True, description="local Dask workers as processes")
    dask_connect_timeout_seconds: float = Field(default=10, gt=0, le=600)
    io_retries: int = Field(default=3, ge=0, le=10, description="retries of I/O tasks only")
    retry_backoff_seconds: float = Field(
        default=10, gt=0, le=3600, description="first retry delay; doubles each retry"
    )
    timeouts: TaskTimeouts = TaskTimeouts()
    min_free_mb: float = Field(
        default=200, ge=0, description="a run refuses to start with less free disk space"
    )
    lock_timeout_seconds: float = Field(
        default=3600, ge=0, description="wait this long for another weekly run to finish"
    )
    cache: bool = Field(default=True, description="reuse results of unchanged inputs")
    cache_days: int = Field(default=35, ge=1, le=3650, description="cached results expire")
    cache_dir: str | None = Field(
        default=None, description="persisted task results; None: <processed>/.cache"
    )
