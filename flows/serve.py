"""Deployments from prefect.yaml, validated, served with Prefect's Runner (``lymphcast serve``).

prefect.yaml declares the weekly run (cron Monday 06:00) and the monthly backtest. Before
anything is registered, every deployment's parameters are validated by the pydantic model of
its flow, so a typo in prefect.yaml is refused with one sentence naming the deployment, the
parameter and the fix, instead of failing at 06:00 on Monday.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from forecasting.config import Config
from forecasting.errors import ConfigError


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WeeklyParameters(_Params):
    """Parameters of the ``weekly-staffing`` flow (:func:`flows.weekly.weekly_staffing`)."""

    as_of: date | None = None
    config_path: str | None = None
    raw: str = "data/raw"
    processed: str = "data/processed"
    reports: str = "reports"
    task_runner: Literal["threads", "processes", "dask"] | None = None
    dask_address: str | None = None


class BacktestParameters(_Params):
    """Parameters of the ``monthly-backtest`` flow (:func:`flows.backtest.monthly_backtest`)."""

    config_path: str | None = None
    processed: str = "data/processed"
    out: str | None = None
    models: list[str] | None = None
    horizon: int = Field(default=13, ge=1, le=104)
    folds: int = Field(default=8, ge=1, le=100)
    n_paths: int = Field(default=200, ge=10, le=10_000)
    as_of: date | None = None


class _Schedule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cron: str
    timezone: str | None = None
    active: bool = True


class _Concurrency(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(ge=1)
    collision_strategy: Literal["ENQUEUE", "CANCEL_NEW"] = "ENQUEUE"


class _Deployment(BaseModel):
    model_config = ConfigDict(extra="ignore")  # work_pool, pull steps: for `prefect deploy`
    name: str
    entrypoint: str
    description: str | None = None
    tags: list[str] = Field(default_factory=list)
    schedules: list[_Schedule] = Field(default_factory=list)
    concurrency_limit: int | _Concurrency | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)


ENTRYPOINTS: dict[str, tuple[str, str, type[BaseModel]]] = {
    "flows/weekly.py:weekly_staffing": ("flows.weekly", "weekly_staffing", WeeklyParameters),
    "flows/backtest.py:monthly_backtest": (
        "flows.backtest",
        "monthly_backtest",
        BacktestParameters,
    ),
}


def _first_error(err: ValidationError) -> tuple[str, str, Any]:
    first = err.errors()[0]
    key = ".".join(str(p) for p in first["loc"]) or "(top level)"
    return key, first["msg"], first.get("input")


def _timezone(name: str, source: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{source}: timezone {name!r} is not an IANA timezone; use a name such as "
            "'America/New_York'."
        ) from None
    return name


def read_deployments(path: Path) -> list[_Deployment]:
    """Parse and validate prefect.yaml's deployments (parameters included).

    Raises:
        ConfigError: The file is missing or not YAML, or a deployment, schedule or parameter
            is invalid; the message names it.
    """
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError:
        raise ConfigError(f"{path} does not exist; pass --prefect-yaml with its path.") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{path} is not valid YAML ({err}); fix its syntax.") from None
    items = data.get("deployments") if isinstance(data, dict) else None
    if not items or not isinstance(items, list):
        raise ConfigError(f"{path} declares no deployments; add a `deployments:` list.")
    out = []
    for i, item in enumerate(items):
        name = item.get("name", f"#{i + 1}") if isinstance(item, dict) else f"#{i + 1}"
        where = f"{path}: deployment '{name}'"
        try:
            spec = _Deployment.model_validate(item)
        except ValidationError as err:
            key, msg, _ = _first_error(err)
            raise ConfigError(f"{where}: '{key}' is invalid ({msg}); fix it.") from None
        if spec.entrypoint not in ENTRYPOINTS:
            raise ConfigError(
                f"{where}: unknown entrypoint {spec.entrypoint!r}; use one of "
                f"{', '.join(sorted(ENTRYPOINTS))}."
            )
        model = ENTRYPOINTS[spec.entrypoint][2]
        try:
            model.model_validate(spec.parameters)
        except ValidationError as err:
            key, msg, value = _first_error(err)
            raise ConfigError(
                f"{where}: parameter '{key}' is invalid (got {value!r}: {msg}); fix it in {path}."
            ) from None
        for schedule in spec.schedules:
            if schedule.timezone:
                _timezone(schedule.timezone, where)
        out.append(spec)
    return out


def build_deployments(path: Path, config: Config) -> list[Any]:
    """Prefect ``RunnerDeployment`` objects for prefect.yaml, schedules in ``config.timezone``."""
    import importlib

    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.schedules import Cron

    timezone = _timezone(config.timezone, "lymphcast.toml 'timezone'")
    deployments = []
    for spec in read_deployments(path):
        module, attr, model = ENTRYPOINTS[spec.entrypoint]
        flow = getattr(importlib.import_module(module), attr)
        limit: Any = spec.concurrency_limit
        if isinstance(limit, _Concurrency):
            limit = ConcurrencyLimitConfig(
                limit=limit.limit,
                collision_strategy=ConcurrencyLimitStrategy(limit.collision_strategy),
            )
        params = model.model_validate(spec.parameters).model_dump(mode="json", exclude_unset=True)
        deployments.append(
            flow.to_deployment(
                name=spec.name,
                description=spec.description,
                tags=spec.tags,
                schedules=[
                    Cron(s.cron, timezone=timezone, active=s.active) for s in spec.schedules
                ],
                concurrency_limit=limit,
                parameters=params,
            )
        )
    return deployments


def serve(path: Path, config: Config, limit: int | None = None) -> None:
    """Serve prefect.yaml's deployments on the configured Prefect API until interrupted."""
    from prefect import serve as prefect_serve

    deployments = build_deployments(path, config)
    prefect_serve(*deployments, limit=limit, print_starting_message=True)
