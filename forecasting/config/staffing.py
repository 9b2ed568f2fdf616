"""[staffing]: session length, productive share, service level and rounding of hours."""

from __future__ import annotations

from pydantic import Field, model_validator

from forecasting.config.base import Probability, Strict


class StaffingConfig(Strict):
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
