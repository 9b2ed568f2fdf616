"""Configuration: one TOML file, validated with pydantic; a bad value is refused with its key.

Every domain figure (care pathways, session length, productive share, service level) is a
setting here with a default taken from DOMAIN.md, never a constant in code.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .columns import PROCEDURE_TYPES
from .errors import ConfigError

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


class ModelConfig(_Strict):
    name: Literal["prophet", "seasonal_naive"] = "prophet"
    fallback: Literal["seasonal_naive"] = "seasonal_naive"
    min_history_weeks: int = Field(
        default=52, ge=4, description="series shorter than this use the fallback model"
    )
    changepoint_prior_scale: float = Field(default=0.05, gt=0)
    seasonality_prior_scale: float = Field(default=10.0, gt=0)
    yearly_fourier_order: int = Field(default=6, ge=1, le=30)


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


class IngestConfig(_Strict):
    day_first: list[str] = Field(
        default_factory=list, description="raw file names whose dates are day-first"
    )
    clinics: list[str] = Field(
        default_factory=list, description="known clinic ids; empty accepts any"
    )
    procedure_synonyms: dict[str, list[str]] = Field(default_factory=dict)
    extra_identifier_columns: list[str] = Field(default_factory=list)


class Config(_Strict):
    seed: int = Field(default=0, ge=0)
    horizon_weeks: int = Field(default=12, ge=1, le=52)
    n_paths: int = Field(default=500, ge=50, le=10_000)
    holiday_country: str = Field(default="US", min_length=2, max_length=3)
    timezone: str = "America/New_York"
    model: ModelConfig = ModelConfig()
    staffing: StaffingConfig = StaffingConfig()
    ingest: IngestConfig = IngestConfig()
    pathways: dict[str, Pathway] = Field(default_factory=_default_pathways)

    @field_validator("pathways")
    @classmethod
    def _known_types(cls, v: dict[str, Pathway]) -> dict[str, Pathway]:
        unknown = sorted(set(v) - set(PROCEDURE_TYPES))
        if unknown:
            raise ValueError(f"unknown procedure type(s) {unknown}; use {list(PROCEDURE_TYPES)}")
        return {**_default_pathways(), **v}


def _describe(err: ValidationError, source: str) -> str:
    first = err.errors()[0]
    key = ".".join(str(p) for p in first["loc"]) or "(top level)"
    value = first.get("input")
    shown = "" if isinstance(value, dict) else f" (got {value!r})"
    return f"{source}: setting '{key}' is invalid{shown}: {first['msg']}. Fix it and run again."


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
