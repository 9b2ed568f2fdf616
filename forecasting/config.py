"""Configuration: one TOML file, validated with pydantic; a bad value is refused with its key.

Every domain figure (care pathways, session length, productive share, service level) is a
setting here with a default taken from DOMAIN.md, never a constant in code.
"""

from __future__ import annotations

import math
import re
import tomllib
from email.utils import parseaddr
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from forecasting.columns import PROCEDURE_TYPES
from forecasting.errors import ConfigError

Probability = Annotated[float, Field(gt=0.0, lt=1.0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Pathway(_Strict):
    """Care pathway of one procedure type.

    ``sessions_by_week[k]`` is the mean number of MLD sessions a patient who takes MLD has in
    week ``k`` after the surgery week (k = 0 is the surgery week itself).
    """

    uptake: float = Field(ge=0.0, le=1.0, description="share of patients who take MLD")
    sessions_by_week: list[float] = Field(min_length=1, max_length=52)

    @field_validator("sessions_by_week")
    @classmethod
    def _finite_non_negative(cls, v: list[float]) -> list[float]:
        for x in v:
            if not math.isfinite(x) or x < 0:
                raise ValueError("every value must be a finite number >= 0")
        return v

    @property
    def weights(self) -> list[float]:
        """Expected sessions per procedure by week since surgery (uptake included)."""
        return [self.uptake * s for s in self.sessions_by_week]


def _default_pathways() -> dict[str, Pathway]:
    # DOMAIN.md: first session ~day 3; 2-3 a week in weeks 1-2, 1-2 a week in weeks 3-4,
    # 0-1 a week in weeks 5-8; 6-12 sessions after liposuction, 10-20 after BBL or tummy tuck.
    return {
        "liposuction": Pathway(
            uptake=0.5, sessions_by_week=[1.0, 2.5, 2.0, 1.5, 1.0, 0.5, 0.5, 0.5, 0.5]
        ),
        "abdominoplasty": Pathway(
            uptake=0.6, sessions_by_week=[1.0, 3.0, 2.5, 2.0, 1.5, 1.0, 1.0, 1.0, 1.0]
        ),
        "bbl": Pathway(uptake=0.6, sessions_by_week=[1.5, 3.0, 3.0, 2.0, 1.5, 1.0, 1.0, 1.0, 1.0]),
        "breast_reduction": Pathway(
            uptake=0.3, sessions_by_week=[0.5, 2.0, 1.5, 1.0, 1.0, 0.5, 0.5]
        ),
        "other": Pathway(uptake=0.2, sessions_by_week=[0.5, 1.5, 1.0, 1.0, 0.5, 0.5]),
    }


ModelName = Literal[
    "prophet", "ets", "sarimax", "stl_ets", "naive", "seasonal_naive", "historic_mean", "drift"
]  # every registered single model (forecasting.models.MODELS adds "ensemble")
BaselineName = Literal["naive", "seasonal_naive", "historic_mean", "drift"]


class ProphetSettings(_Strict):
    """[model.prophet]: yearly cycle and trend flexibility (holidays: top-level country)."""

    changepoint_prior_scale: float = Field(default=0.05, gt=0)
    seasonality_prior_scale: float = Field(default=10.0, gt=0)
    yearly_fourier_order: int = Field(default=6, ge=1, le=30)
    warm_start: bool = Field(
        default=True,
        description="start each weekly fit from the previous week's fitted parameters",
    )


class EtsSettings(_Strict):
    """[model.ets]: exponential smoothing (statsmodels ETSModel), no seasonal component."""

    error: Literal["add", "mul"] = "add"
    trend: Literal["add", "none"] = "add"
    damped_trend: bool = True


class SarimaxSettings(_Strict):
    """[model.sarimax]: ARIMA(p, d, q) with Fourier terms of the yearly cycle."""

    order: tuple[
        Annotated[int, Field(ge=0, le=5)], Annotated[int, Field(ge=0, le=2)],
        Annotated[int, Field(ge=0, le=5)],
    ] = (1, 1, 1)  # fmt: skip
    trend: Literal["n", "c", "t", "ct"] = "n"
    fourier_pairs: int = Field(default=4, ge=1, le=26)
    period_weeks: float = Field(default=52.18, gt=2, le=104)


class StlEtsSettings(_Strict):
    """[model.stl_ets]: STL decomposition, ETS on the seasonally adjusted series."""

    period: int = Field(default=52, ge=2, le=104)
    robust: bool = True
    trend: Literal["add", "none"] = "add"
    damped_trend: bool = True


class ModelConfig(_Strict):
    """[model]: which model forecasts procedures, its fallback and each model's settings.

    ``name`` is a registered model, ``auto`` (per series, the model with the lowest pooled
    MASE in the latest backtest in ``backtest_dir``: the series' own windows shrunk towards
    all series by ``selection_prior_windows``) or ``ensemble`` (per series, the
    ``ensemble_size`` best of that ranking combined). A series shorter than
    ``min_history_weeks`` may only get baselines. Without a backtest both use
    ``default_ranking`` and the run records it (see forecasting.models.selection).
    """

    name: ModelName | Literal["auto", "ensemble"] = "prophet"
    fallback: BaselineName = "seasonal_naive"
    min_history_weeks: int = Field(
        default=52, ge=4, description="series shorter than this use the fallback model"
    )
    season_length: int = Field(default=52, ge=1, le=104, description="seasonal naive's season")
    candidates: list[ModelName] = Field(
        default_factory=lambda: list(get_args(ModelName)),
        min_length=1,
        description="models the backtest runs and auto/ensemble choose from",
    )  # fmt: skip
    default_ranking: list[ModelName] = Field(
        default_factory=lambda: list[ModelName](["sarimax", "prophet", "ets"]),
        min_length=1,
        description="used without a backtest: auto takes the first, ensemble the first few",
    )
    ensemble_size: int = Field(default=3, ge=2, le=8, description="models an ensemble combines")
    selection_prior_windows: float = Field(
        default=4.0, ge=0, le=1000, description="weight of the all-series MASE, in windows"
    )
    ensemble_combine: Literal["weighted", "median"] = "weighted"
    backtest_dir: str = Field(
        default="data/processed/backtest",
        min_length=1,
        description="latest backtest of the processed series, read by auto and ensemble",
    )
    prophet: ProphetSettings = ProphetSettings()
    ets: EtsSettings = EtsSettings()
    sarimax: SarimaxSettings = SarimaxSettings()
    stl_ets: StlEtsSettings = StlEtsSettings()


class StaffingConfig(_Strict):
    session_minutes: float = Field(default=60, gt=0, le=240)
    turnover_minutes: float = Field(default=10, ge=0, le=120)
    productive_share: float = Field(
        default=0.6, gt=0, le=1, description="share of paid hours bookable for sessions"
    )
    fte_hours: float = Field(default=40, gt=0, le=80)
    service_level: Probability = 0.8
    cost_short: float | None = Field(default=None, gt=0)
    cost_idle: float | None = Field(default=None, gt=0)
    block_hours: float = Field(
        default=4, ge=0, le=40, description="recommended hours round up to blocks; 0: none"
    )

    @model_validator(mode="after")
    def _costs_together(self) -> StaffingConfig:
        if (self.cost_short is None) != (self.cost_idle is None):
            raise ValueError("set both cost_short and cost_idle, or neither")
        return self

    @property
    def hours_per_session(self) -> float:
        return (self.session_minutes + self.turnover_minutes) / 60.0

    @property
    def target_quantile(self) -> float:
        """Service level, or the newsvendor quantile c_short / (c_short + c_idle)."""
        if self.cost_short is not None and self.cost_idle is not None:
            return self.cost_short / (self.cost_short + self.cost_idle)
        return self.service_level


class DemandConfig(_Strict):
    """How session demand is learned from history (see forecasting/pathways.py, bookings.py)."""

    learn_pathways: bool = Field(
        default=True, description="learn pathways from history; false: configured ones only"
    )
    max_lag_weeks: int = Field(
        default=12, ge=1, le=52, description="weeks since surgery a learned pathway may span"
    )
    min_history_weeks: int = Field(
        default=52, ge=4, description="clinic-weeks of usable history needed to learn pathways"
    )
    prior_sd: float = Field(
        default=0.5, gt=0, description="sessions/procedure/week a pathway may differ from config"
    )
    clinic_scale_sd: float = Field(
        default=0.2, ge=0, description="prior sd of a clinic's pathway scale; 0: pooled only"
    )
    non_surgical_window_weeks: int = Field(
        default=104, ge=4, le=520, description="weeks of remainder the non-surgical model sees"
    )
    non_surgical_ar_lags: int = Field(
        default=4, ge=0, le=12, description="autoregressive lags of the non-surgical remainder"
    )
    min_dispersion: float = Field(
        default=1.0, ge=1.0, le=50, description="floor of the variance/mean ratio of sessions"
    )
    holdout_weeks: int = Field(
        default=26, ge=0, le=104, description="recent weeks held out to size pathway error; 0: off"
    )
    pickup_history_weeks: int = Field(
        default=52, ge=4, le=520, description="past weeks the bookings pickup curve is learned on"
    )
    pickup_prior_procedures: float = Field(
        default=50, ge=0, description="pseudo-procedures pulling a clinic's pickup to the pool"
    )


class IngestConfig(_Strict):
    """How raw exports are read (see forecasting/ingest.py and DESIGN.md, "Raw exports")."""

    day_first: list[str] = Field(
        default_factory=list,
        description="raw file names (or glob patterns) whose slash dates are day-first",
    )
    month_first: list[str] = Field(
        default_factory=list,
        description="raw file names (or glob patterns) whose slash dates are month-first",
    )
    clinics: list[str] = Field(
        default_factory=list, description="known clinic ids; empty accepts any"
    )
    procedure_synonyms: dict[str, list[str]] = Field(
        default_factory=dict, description="extra names per procedure type (substrings)"
    )
    column_synonyms: dict[
        Literal[
            "date", "clinic_id", "procedure", "count", "status", "booked_on", "service",
            "therapist_id", "weekly_hours", "start_date", "end_date",
        ],
        list[str],
    ] = Field(default_factory=dict, description="extra header names per field")  # fmt: skip
    extra_identifier_columns: list[str] = Field(default_factory=list)
    mld_services: list[str] = Field(
        default_factory=lambda: ["lymph", "mld", "drainage"],
        min_length=1,
        description="a session counts when its service contains one of these (any case)",
    )
    min_year: int = Field(
        default=2000, ge=1900, le=2100, description="rows dated before this year are quarantined"
    )
    max_days_ahead: int = Field(
        default=730, ge=0, description="scheduled rows dated further ahead are quarantined"
    )
    max_count: int = Field(
        default=1000, ge=1, description="a row count above this is quarantined (typo guard)"
    )
    max_weekly_hours: float = Field(
        default=80, gt=0, le=168, description="roster hours outside 0..this are quarantined"
    )
    workers: int = Field(
        default=0,
        ge=0,
        le=256,
        description="raw files read at once (processes): 0 = one per CPU, 1 = in-process",
    )

    @field_validator("procedure_synonyms")
    @classmethod
    def _known_procedures(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(v) - set(PROCEDURE_TYPES))
        if unknown:
            raise ValueError(f"unknown procedure type(s) {unknown}; use {list(PROCEDURE_TYPES)}")
        return v


class TaskTimeouts(_Strict):
    """Seconds each task of the weekly run may take before it is failed (and the run with it)."""

    ingest: float = Field(default=1800, gt=0, description="read and validate all raw exports")
    load: float = Field(default=600, gt=0, description="read the processed weekly data")
    forecast: float = Field(default=600, gt=0, description="fit and sample one series")
    assemble: float = Field(default=1800, gt=0, description="demand and staffing, all clinics")
    report: float = Field(default=1800, gt=0, description="render and publish the report")
    backtest: float = Field(default=7200, gt=0, description="the monthly backtest")


class OrchestrationConfig(_Strict):
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


class ReportConfig(_Strict):
    """What the weekly report shows and when it warns (forecasting/report/)."""

    history_weeks: int = Field(
        default=52, ge=4, le=520, description="weeks of history drawn before the forecast"
    )
    accuracy_weeks: int = Field(
        default=8, ge=1, le=104, description="recent weeks compared with archived forecasts"
    )
    max_missing_weeks: int = Field(
        default=1,
        ge=0,
        le=52,
        description="warn when a clinic's latest data is more complete weeks behind the cut-off",
    )
    chart_workers: int = Field(
        default=0,
        ge=0,
        le=256,
        description="processes that draw the report's charts: 0 = one per CPU, 1 = in-process",
    )


# An address as SMTP sends it: no spaces, commas, angle brackets or line breaks (no header
# injection), one "@" with something on both sides.
_ADDRESS = re.compile(r"^[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+$")
_BLOCK_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _check_addresses(addresses: list[str], what: str) -> list[str]:
    for address in addresses:
        if not _ADDRESS.match(address):
            raise ValueError(f"{address!r} in {what} is not an e-mail address like ops@clinic.org")
    return addresses


class CalibrationConfig(_Strict):
    """[calibration]: session intervals widened (or narrowed) from past forecast errors.

    The spread of the session paths around their median is rescaled per horizon week so that
    the central ``coverage`` interval (p10-p90 by default) would have held the past errors;
    p50 is unchanged. With fewer than ``min_errors`` errors the intervals stay as modelled.
    """

    enabled: bool = Field(default=True, description="calibrate session intervals")
    min_errors: int = Field(default=30, ge=1, description="errors needed per horizon week")
    origins: int = Field(default=4, ge=0, le=52, description="in-run rolling origins")
    method: Literal["conformal", "empirical"] = "conformal"
    coverage: Probability = Field(default=0.8, description="central interval to calibrate")
    max_factor: float = Field(default=4.0, gt=1.0, description="largest widening allowed")
    min_factor: float = Field(default=0.5, gt=0.0, le=1.0, description="largest narrowing")


class DeliveryConfig(_Strict):
    """[delivery]: the Monday e-mail of the report (and of a failure) and an optional webhook.

    Off by default. The password never sits in the file: ``password_env`` names an environment
    variable, ``password_secret_block`` a Prefect Secret block (the variable wins when both are
    set). ``webhook_block`` is a Prefect notification block as ``<block type>/<name>``.
    """

    enabled: bool = Field(default=False, description="send the e-mails after each weekly run")
    smtp_host: str = Field(default="localhost", min_length=1, max_length=253)
    smtp_port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = Field(default=None, min_length=1)
    password_env: str | None = Field(default=None, description="environment variable name")
    password_secret_block: str | None = Field(default=None, description="Prefect Secret block")
    from_address: str = Field(default="lymphcast@localhost", description="sender address")
    network_recipients: list[str] = Field(
        default_factory=list, description="get the network summary with staffing.xlsx"
    )
    clinic_recipients: dict[str, list[str]] = Field(
        default_factory=dict, description="clinic_id -> addresses that get that clinic's part"
    )
    operations_recipients: list[str] = Field(
        default_factory=list, description="get the failure notice of a failed run"
    )
    report_base_url: str | None = Field(
        default=None, description="where reports/ is served; None: file:// links"
    )
    webhook_block: str | None = Field(
        default=None, description="Prefect notification block, e.g. slack-webhook/lymphcast-ops"
    )
    timeout_seconds: float = Field(default=30, gt=0, le=600)

    @field_validator("network_recipients", "operations_recipients")
    @classmethod
    def _addresses(cls, v: list[str], info: Any) -> list[str]:
        return _check_addresses(v, f"delivery.{info.field_name}")

    @field_validator("clinic_recipients")
    @classmethod
    def _clinic_addresses(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for clinic, addresses in v.items():
            _check_addresses(addresses, f"delivery.clinic_recipients.{clinic}")
        return v

    @field_validator("from_address")
    @classmethod
    def _sender(cls, v: str) -> str:
        _, address = parseaddr(v)
        if "\n" in v or "\r" in v or not _ADDRESS.match(address):
            raise ValueError(f"{v!r} is not a sender like lymphcast@clinic.org")
        return v

    @field_validator("password_env")
    @classmethod
    def _env_name(cls, v: str | None) -> str | None:
        if v is not None and not _ENV_NAME.match(v):
            raise ValueError(f"{v!r} is not an environment variable name like SMTP_PASSWORD")
        return v

    @field_validator("password_secret_block")
    @classmethod
    def _secret_name(cls, v: str | None) -> str | None:
        if v is not None and not _BLOCK_NAME.match(v):
            raise ValueError(
                f"{v!r} is not a Prefect block name (lowercase letters, digits and dashes)"
            )
        return v

    @field_validator("webhook_block")
    @classmethod
    def _webhook(cls, v: str | None) -> str | None:
        if v is None:
            return v
        kind, _, name = v.partition("/")
        if not (_BLOCK_NAME.match(kind) and _BLOCK_NAME.match(name)):
            raise ValueError(
                f"{v!r} is not '<block type>/<block name>', e.g. 'slack-webhook/lymphcast-ops' "
                "or 'ms-teams-webhook/lymphcast-ops'"
            )
        return v

    @field_validator("report_base_url")
    @classmethod
    def _base_url(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^(https?|file)://[^\s<>\"]+$", v):
            raise ValueError(f"{v!r} is not an http://, https:// or file:// address")
        return v

    @model_validator(mode="after")
    def _complete(self) -> DeliveryConfig:
        if self.username is not None and not (self.password_env or self.password_secret_block):
            raise ValueError(
                "delivery.username is set: also set delivery.password_env (an environment "
                "variable holding the password) or delivery.password_secret_block"
            )
        if (self.password_env or self.password_secret_block) and self.username is None:
            raise ValueError("a delivery password is configured: also set delivery.username")
        if self.enabled and not (
            self.network_recipients or self.clinic_recipients or self.operations_recipients
        ):
            raise ValueError(
                "delivery.enabled is true but no recipient is set: add network_recipients, "
                "clinic_recipients or operations_recipients"
            )
        return self


class Config(_Strict):
    seed: int = Field(default=0, ge=0)
    horizon_weeks: int = Field(default=12, ge=1, le=52)
    n_paths: int = Field(default=500, ge=50, le=10_000)
    holiday_country: str = Field(default="US", min_length=2, max_length=3)
    timezone: str = "America/New_York"
    model: ModelConfig = ModelConfig()
    staffing: StaffingConfig = StaffingConfig()
    demand: DemandConfig = DemandConfig()
    ingest: IngestConfig = IngestConfig()
    report: ReportConfig = ReportConfig()
    orchestration: OrchestrationConfig = OrchestrationConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    calibration: CalibrationConfig = CalibrationConfig()
    pathways: dict[str, Pathway] = Field(default_factory=_default_pathways)

    @field_validator("pathways")
    @classmethod
    def _known_types(cls, v: dict[str, Pathway]) -> dict[str, Pathway]:
        unknown = sorted(set(v) - set(PROCEDURE_TYPES))
        if unknown:
            raise ValueError(f"unknown procedure type(s) {unknown}; use {list(PROCEDURE_TYPES)}")
        return {**_default_pathways(), **v}


def _setting(loc: tuple) -> str:
    """A pydantic error location as the TOML key (union member tags like 'literal[..]' dropped)."""
    names = [str(p) for p in loc if not (isinstance(p, str) and ("[" in p or "-" in p))]
    return ".".join(names) or "(top level)"


def _describe(err: ValidationError, source: str) -> str:
    """One sentence: the setting, the value given and what to write instead."""
    errors = err.errors()
    first = errors[0]
    key = _setting(first["loc"])
    allowed: list[str] = []  # every value a choice accepts (a union lists its members apart)
    for e in errors:
        if _setting(e["loc"]) == key and e["type"] == "literal_error":
            allowed += re.findall(r"'([^']*)'", str(e.get("ctx", {}).get("expected", "")))
    value = first.get("input")
    shown = "" if isinstance(value, dict) else f" (got {value!r})"
    message = first["msg"].removeprefix("Value error, ")  # a validator's own sentence
    why = f"use one of {', '.join(dict.fromkeys(allowed))}" if allowed else message
    return f"{source}: setting '{key}' is invalid{shown}: {why}. Fix it and run again."


def from_dict(data: dict, source: str = "configuration") -> Config:
    """Validate a configuration mapping; raise ConfigError naming the bad key."""
    try:
        return Config.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_describe(err, source)) from None


def load_config(path: Path | None) -> Config:
    """Load ``path`` (TOML); defaults when ``path`` is None."""
    if path is None:
        return Config()
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            f"Config file {path} does not exist; pass --config with the path of lymphcast.toml."
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(
            f"Config file {path} is not valid TOML ({err}); fix its syntax."
        ) from None
    return from_dict(data, source=str(path))
