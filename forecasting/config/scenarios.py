"""[scenarios.<name>]: what-if changes re-run on the week's own sample paths (no refit)."""

from __future__ import annotations

from datetime import date

from pydantic import ConfigDict, Field, field_validator, model_validator

from forecasting.config.base import Probability, Strict

NETWORK_SCOPE = "network"


class _Dated(Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    start: date | int = Field(
        alias="from",
        description="the first day the change holds, or the forecast week it starts in "
        "(1: the first week of the horizon; a number keeps a shipped scenario valid every week)",
    )

    @field_validator("start")
    @classmethod
    def _week_number(cls, value: date | int) -> date | int:
        if isinstance(value, int) and value < 1:
            raise ValueError("a forecast week number starts at 1 (the first week of the horizon)")
        return value


class Scale(_Dated):
    """Scale a procedure type's forecast (or "all" of them), or a driver's (a referral type),
    at a clinic, a region or the network."""

    procedure: str = Field(
        description='a procedure type, "all" (every procedure type), or a driver (a referral '
        "type some service uses, e.g. injury)"
    )
    factor: float = Field(ge=0, le=10, description="1.2: +20%; 0.8: -20%")
    at: str = Field(default=NETWORK_SCOPE, description='a clinic id, a region, or "network"')


class OpenClinic(_Dated):
    """A new clinic whose procedures are forecast like an existing one's from a date."""

    clinic: str = Field(min_length=1)
    like: str = Field(min_length=1)


class Leaves(_Dated):
    """A therapist on the roster leaves from a date."""

    clinic: str = Field(min_length=1)
    therapist: str = Field(min_length=1)


class Joins(_Dated):
    """A therapist joins a clinic from a date."""

    clinic: str = Field(min_length=1)
    hours: float = Field(gt=0, le=80, description="contracted weekly hours")
    therapist: str = Field(default="new", min_length=1)


class Scenario(Strict):
    """One what-if: any of these changes, applied together to the week's base plan."""

    description: str = ""
    scale: list[Scale] = Field(default_factory=list)
    open: list[OpenClinic] = Field(default_factory=list)
    leaves: list[Leaves] = Field(default_factory=list)
    joins: list[Joins] = Field(default_factory=list)
    session_minutes: float | None = Field(default=None, gt=0, le=240)
    service_level: Probability | None = None

    @model_validator(mode="after")
    def _changes_something(self) -> Scenario:
        if not (
            self.scale
            or self.open
            or self.leaves
            or self.joins
            or self.session_minutes is not None
            or self.service_level is not None
        ):
            raise ValueError(
                "the scenario changes nothing; give it scale, open, leaves, joins, "
                "session_minutes or service_level"
            )
        return self
