"""[pathways.<type>]: the care pathway prior of each procedure type (DOMAIN.md defaults)."""

from __future__ import annotations

import math

from pydantic import Field, field_validator

from forecasting.config.base import Strict


class Pathway(Strict):
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


def default_pathways() -> dict[str, Pathway]:
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
