"""The demo's roster when it has several services: skills per therapist and some working days.

Per clinic, MLD-certified therapists cover its recent MLD demand and general massage therapists
(deep tissue and post-injury) the other services' demand, each times the clinic's staffing
ratio (some clinics are short, some have slack); the first MLD therapist of a clinic with other
services is trained in all of them. Skills are written as a clinic's export would ("MLD",
"Deep tissue; Post-injury"); part-timers often work fixed days ("Mon;Wed", "Tue-Thu").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

import numpy as np
import pandas as pd

from forecasting.columns import CLINIC
from forecasting.demo.services import ReferralService
from forecasting.demo.world import MINUTES_PER_SESSION, PRODUCTIVE_SHARE, Clinic

__all__ = ["SKILL_TEXT", "skills_roster_frame"]

SKILL_TEXT = {"mld": "MLD", "deep_tissue": "Deep tissue", "post_injury": "Post-injury"}
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri")
_FULL = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")


def _contracts(target: float, rng: np.random.Generator) -> list[int]:
    """Weekly hours of therapists whose sum is near ``target`` (at least one)."""
    hours: list[int] = []
    while sum(hours) < target or not hours:
        hours.append(int(rng.choice([16, 24, 32, 40], p=[0.15, 0.25, 0.3, 0.3])))
    if len(hours) > 1 and sum(hours) - target > hours[-1] / 2:
        hours.pop()
    return hours


def _days(hours: int, rng: np.random.Generator) -> str:
    """Fixed working days of a part-timer (8 hours a day), written in one of three styles."""
    n = hours // 8
    if n == 3 and rng.random() < 0.5:
        start = int(rng.integers(0, 3))
        return f"{_DAYS[start]}-{_DAYS[start + 2]}"
    picked = np.sort(rng.choice(5, size=n, replace=False))
    if rng.random() < 0.5:
        return ";".join(_DAYS[i] for i in picked)
    return ", ".join(_FULL[i] for i in picked)


def skills_roster_frame(
    clinics: Sequence[Clinic],
    demand: Mapping[str, Mapping[str, float]],
    services: Sequence[ReferralService],
    origin: date,
    end: date,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Roster with ``skills`` and ``days`` sized near each clinic's recent demand per service.

    Args:
        demand: service -> clinic -> recent weekly sessions (``mld`` and each of ``services``).
        services: the other services the demo writes (their skill is their name).
    """
    other_text = "; ".join(SKILL_TEXT[s.name] for s in services)
    every = "; ".join([SKILL_TEXT["mld"], other_text])
    rows: list[tuple] = []
    for c in clinics:
        opened = origin + timedelta(days=c.open_day)
        mld = demand["mld"][c.id] * MINUTES_PER_SESSION / 60 / PRODUCTIVE_SHARE * c.staffing
        other = sum(demand[s.name][c.id] * s.hours_per_session for s in services)
        other *= c.staffing / PRODUCTIVE_SHARE
        staff = [(h, SKILL_TEXT["mld"]) for h in _contracts(mld, rng)]
        staff[0] = (staff[0][0], every)  # cross-trained
        staff += [(h, other_text) for h in _contracts(other, rng)]
        for i, (h, skills) in enumerate(staff):
            start = opened if c.open_day else None
            if not c.open_day and 0 < i == len(staff) - 1 and rng.random() < 0.6:
                start = end - timedelta(weeks=int(rng.integers(2, 12)))
            days = _days(h, rng) if h <= 24 and rng.random() < 0.7 else ""
            rows.append((c.id, h, start, None, skills, days))
        if not c.open_day and rng.random() < 0.7:
            left = end - timedelta(weeks=int(rng.integers(8, 80)))
            rows.append((c.id, int(rng.choice([24, 32, 40])), None, left, SKILL_TEXT["mld"], ""))
    columns = [CLINIC, "weekly_hours", "start_date", "end_date", "skills", "days"]
    frame = pd.DataFrame(rows, columns=columns)
    frame.insert(
        1,
        "therapist_id",
        [
            f"{cid}-t{i + 1:02d}"
            for cid, i in zip(frame[CLINIC], frame.groupby(CLINIC).cumcount(), strict=True)
        ],
    )
    return frame
