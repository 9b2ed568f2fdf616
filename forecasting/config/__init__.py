"""Configuration: one TOML file, validated with pydantic; a bad value is refused with its key.

Every domain figure (care pathways, session length, productive share, service level) is a
setting here with a default taken from DOMAIN.md, never a constant in code. One module per
section of lymphcast.toml; this one assembles them into :class:`Config` and loads the file.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from pydantic import Field, ValidationError, field_validator, model_validator

from forecasting.columns import PROCEDURE_TYPES
from forecasting.config.base import Probability, Strict
from forecasting.config.delivery import DeliveryConfig
from forecasting.config.demand import CalibrationConfig, DemandConfig
from forecasting.config.ingest import IngestConfig
from forecasting.config.model import (
    NETWORK_MODELS,
    BaselineName,
    EtsSettings,
    MixedSettings,
    ModelConfig,
    ModelName,
    PooledSettings,
    ProphetSettings,
    SarimaxSettings,
    StlEtsSettings,
)
from forecasting.config.orchestration import OrchestrationConfig, TaskTimeouts
from forecasting.config.pathways import (
    Pathway,
    default_driver_pathways,
    default_pathways,
    default_procedure_driver_pathway,
)
from forecasting.config.report import ReportConfig
from forecasting.config.scenarios import Scenario
from forecasting.config.services import (
    DEFAULT_SERVICE,
    NAME_PATTERN,
    Service,
    pathway_problem,
    resolve_services,
    service_pathways,
)
from forecasting.config.shifts import ShiftsConfig
from forecasting.config.staffing import StaffingConfig
from forecasting.errors import ConfigError

__all__ = [
    "BaselineName",
    "CalibrationConfig",
    "Config",
    "DEFAULT_SERVICE",
    "DeliveryConfig",
    "DemandConfig",
    "EtsSettings",
    "IngestConfig",
    "ModelConfig",
    "NETWORK_MODELS",
    "MixedSettings",
    "PooledSettings",
    "ModelName",
    "OrchestrationConfig",
    "Pathway",
    "Probability",
    "ProphetSettings",
    "ReportConfig",
    "SarimaxSettings",
    "Service",
    "Scenario",
    "ShiftsConfig",
    "StaffingConfig",
    "StlEtsSettings",
    "TaskTimeouts",
    "default_driver_pathways",
    "default_pathways",
    "default_procedure_driver_pathway",
    "from_dict",
    "load_config",
    "resolve_services",
    "service_pathways",
]


class Config(Strict):
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
    shifts: ShiftsConfig = ShiftsConfig()
    scenarios: dict[str, Scenario] = Field(default_factory=dict)
    pathways: dict[str, Pathway] = Field(default_factory=default_pathways)
    # [services.<name>] (config/services.py); empty: MLD alone, as [staffing] and [pathways] say
    services: dict[str, Service] = Field(default_factory=dict)

    @field_validator("services")
    @classmethod
    def _service_names(cls, v: dict[str, Service]) -> dict[str, Service]:
        bad = sorted(k for k in v if not re.fullmatch(NAME_PATTERN, k))
        if bad:
            raise ValueError(f"service name(s) {bad}: use lower case, digits and underscores")
        for name, service in v.items():
            problem = pathway_problem(name, service)
            if problem:
                raise ValueError(f"[services.{name}] pathways: {problem}")
        return v

    @model_validator(mode="after")
    def _service_skills_known(self) -> Config:
        """Every service's skill is a roster skill the ingest recognises (by its own name)."""
        known = self.ingest.skill_synonyms
        missing = [s.skill for s in self.service_settings.values() if s.skill not in known]
        if not missing:
            return self
        added = {**known, **{str(skill): [] for skill in dict.fromkeys(missing)}}
        return self.model_copy(
            update={"ingest": self.ingest.model_copy(update={"skill_synonyms": added})}
        )

    @property
    def service_settings(self) -> dict[str, Service]:
        """Every service with its settings filled in, ``mld`` first (``resolve_services``)."""
        return resolve_services(self.services, self.staffing)

    def pathways_of(self, service: str) -> dict[str, Pathway]:
        """The pathway prior of every driver of ``service`` (``service_pathways``)."""
        return service_pathways(service, self.service_settings[service], self.pathways)

    @field_validator("scenarios")
    @classmethod
    def _scenario_names(cls, value: dict[str, Scenario]) -> dict[str, Scenario]:
        for name in value:
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", name):
                raise ValueError(f"scenario name '{name}' must be 1-40 letters, digits, '-' or '_'")
        return value

    @field_validator("pathways")
    @classmethod
    def _known_types(cls, v: dict[str, Pathway]) -> dict[str, Pathway]:
        unknown = sorted(set(v) - set(PROCEDURE_TYPES))
        if unknown:
            raise ValueError(f"unknown procedure type(s) {unknown}; use {list(PROCEDURE_TYPES)}")
        return {**default_pathways(), **v}


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
