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


def default_driver_pathways() -> dict[str, Pathway]:
    """Prior per referral type: sessions per referral by week since the driver's date.

    The driver's date is the end of immobilisation (cast or brace off), the injury, or the
    referral (``start_after`` when given); week 0 is that date's week. Uptake is the share of
    referred patients who book: not published; 0.8 is an assumption (a referral names the
    clinic). Course lengths follow DOMAIN.md ("Other medical massage services") where it has
    them, and are assumptions where it has none (said beside each).
    """
    return {
        # deep tissue / myofascial after immobilisation: 4-12 sessions over 4-14 weeks
        # (supervised rehabilitation after a wrist fracture: 9.2 sessions over 14.2 weeks);
        # 8 sessions over 9 weeks, most in weeks 1-4 after the cast comes off
        "fracture_immobilisation": Pathway(
            uptake=0.8, sessions_by_week=[1.0, 1.5, 1.5, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5]
        ),
        # early massage after an injury: starts within days; 7 sessions over 6 weeks (assumed)
        "injury": Pathway(uptake=0.8, sessions_by_week=[1.5, 2.0, 1.5, 1.0, 0.5, 0.5]),
        # scar-tissue massage: from week 2-3 after surgery, once the incision has closed;
        # 6 sessions over weeks 2-7 (assumed)
        "post_surgical_scar": Pathway(
            uptake=0.8, sessions_by_week=[0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
        ),
    }


def default_procedure_driver_pathway() -> Pathway:
    """Prior of a procedure type that drives a service other than MLD (scar-tissue massage
    after surgery, DOMAIN.md: from week 2-3): 6 sessions over weeks 2-7 for the 20% of
    patients assumed to take it."""
    return Pathway(uptake=0.2, sessions_by_week=[0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
