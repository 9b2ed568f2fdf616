"""Next week's shift plan: from the recommended hours to who works when (shifts.csv).

Inputs: the staffing rows of the planned week (``therapist_hours_needed`` per clinic, and per
skill once services exist; MLD for everyone before that), the roster's therapists (contracted
``weekly_hours``, optional ``days`` such as "mon;tue;thu" and ``skills`` such as
"mld;deep_tissue"), and ``[shifts]`` (opening hours, blocks, limits). Each clinic is solved on
its own (forecasting/planning/shift_model.py). A short plan says what is missing in one sentence
per day part and skill: "Tuesday afternoon at harbor: 8 h of MLD uncovered; nobody with MLD is
available".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

import pandas as pd

from forecasting import columns as C
from forecasting.config.shifts import WEEKDAYS, ShiftsConfig
from forecasting.planning.shift_model import (
    ClinicPlan,
    ClinicWeek,
    SlotGap,
    Therapist,
    solve_clinic,
)

SHIFT_COLUMNS = ["clinic_id", "therapist_id", "date", "start", "end", "skill"]
SUMMARY_COLUMNS = [
    "clinic_id", "status", "target_hours", "scheduled_hours", "unmet_hours",
    "unmet_lower_bound_hours", "overtime_hours", "idle_hours",
]  # fmt: skip
DAY_NAMES = dict(zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                "Saturday", "Sunday"), strict=True))  # fmt: skip
DEFAULT_SKILL = "mld"


@dataclass(frozen=True)
class ShiftPlan:
    """The network's plan: shifts.csv rows, one summary row per clinic, sentences per clinic."""

    shifts: pd.DataFrame
    summary: pd.DataFrame
    sentences: dict[str, list[str]]


def skill_label(skill: str) -> str:
    """How a skill reads in a sentence: 'mld' -> 'MLD', 'deep_tissue' -> 'deep tissue'."""
    return skill.upper() if len(skill) <= 3 else skill.replace("_", " ")


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _listed(value: object, default: frozenset[str]) -> frozenset[str]:
    """'mld; Deep_tissue' -> {'mld', 'deep_tissue'}; empty or missing -> ``default``."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return default
    items = frozenset(p.strip().lower() for p in str(value).replace(",", ";").split(";"))
    return (items - {""}) or default


def _days(value: object) -> frozenset[str]:
    """'Mon;tuesday' -> {'mon', 'tue'}; empty or missing -> every weekday."""
    return frozenset(d[:3] for d in _listed(value, frozenset(WEEKDAYS)))


def clinic_weeks(roster: pd.DataFrame, staffing: pd.DataFrame, monday: date) -> list[ClinicWeek]:
    """One :class:`ClinicWeek` per clinic with staffing rows in the week of ``monday``.

    A therapist counts when active that week (``start_date``/``end_date`` as in staffing);
    ``days`` and ``skills`` roster columns are optional (absent: every day, MLD).
    """
    week = pd.Timestamp(monday)
    rows = staffing[pd.to_datetime(staffing[C.WEEK]) == week]
    out = []
    for clinic, group in rows.groupby(C.CLINIC, sort=True):
        if "skill" in group.columns:
            targets = group.groupby("skill")["therapist_hours_needed"].sum().to_dict()
        else:
            targets = {DEFAULT_SKILL: float(group["therapist_hours_needed"].sum())}
        mine = roster[roster[C.CLINIC] == clinic] if len(roster) else roster
        out.append(ClinicWeek(str(clinic), monday, tuple(_therapists(mine, week)), targets))
    return out


def _therapists(roster: pd.DataFrame, week: pd.Timestamp) -> Iterable[Therapist]:
    end = week + pd.Timedelta(days=6)
    for row in roster.to_dict("records"):
        start_date, end_date = row.get(C.START_DATE), row.get(C.END_DATE)
        if start_date is not None and not pd.isna(start_date) and pd.Timestamp(start_date) > end:
            continue
        if end_date is not None and not pd.isna(end_date) and pd.Timestamp(end_date) < week:
            continue
        yield Therapist(
            therapist_id=str(row[C.THERAPIST]),
            contract_hours=float(row[C.WEEKLY_HOURS]),
            days=_days(row.get("days")),
            skills=_listed(row.get("skills"), frozenset({DEFAULT_SKILL})),
        )


def plan_shifts(
    weeks: list[ClinicWeek],
    cfg: ShiftsConfig,
    seed: int = 0,
    on_clinic: Callable[[str], None] | None = None,
) -> ShiftPlan:
    """Solve every clinic's week; ``on_clinic`` is called after each (progress)."""
    plans = []
    for week in weeks:
        plans.append((week, solve_clinic(week, cfg, seed=seed)))
        if on_clinic is not None:
            on_clinic(week.clinic_id)
    shifts = [
        {
            "clinic_id": plan.clinic_id,
            "therapist_id": s.therapist_id,
            "date": s.day.isoformat(),
            "start": _hhmm(s.start),
            "end": _hhmm(s.end),
            "skill": s.skill,
        }
        for _, plan in plans
        for s in plan.shifts
    ]
    summary = [_summary_row(plan) for _, plan in plans]
    return ShiftPlan(
        shifts=pd.DataFrame(shifts, columns=SHIFT_COLUMNS),
        summary=pd.DataFrame(summary, columns=SUMMARY_COLUMNS),
        sentences={plan.clinic_id: gap_sentences(week, plan, cfg) for week, plan in plans},
    )


def _summary_row(plan: ClinicPlan) -> dict:
    return {
        "clinic_id": plan.clinic_id,
        "status": plan.status,
        "target_hours": plan.target_minutes / 60,
        "scheduled_hours": sum(plan.scheduled_minutes.values()) / 60,
        "unmet_hours": plan.unmet_minutes / 60,
        "unmet_lower_bound_hours": plan.unmet_bound_minutes / 60,
        "overtime_hours": plan.overtime_minutes / 60,
        "idle_hours": plan.idle_minutes / 60,
    }


def gap_sentences(week: ClinicWeek, plan: ClinicPlan, cfg: ShiftsConfig) -> list[str]:
    """One sentence per (day, part of day, skill) with target hours no shift covers."""
    if plan.status == "no solution":
        return [
            f"No shift plan for {week.clinic_id}: the solver found none within "
            f"{cfg.time_limit_seconds:g} s; raise [shifts] time_limit_seconds."
        ]
    groups: dict[tuple[date, int, str, str], list[SlotGap]] = {}
    for gap in plan.gaps:
        groups.setdefault((gap.day, gap.start, gap.part, gap.skill), []).append(gap)
    out = []
    for (day, _, part, skill), gaps in sorted(groups.items()):
        hours = sum(g.minutes for g in gaps) / 60
        weekday = WEEKDAYS[day.weekday()]
        label = skill_label(skill)
        able = [t for t in week.therapists if skill in t.skills and weekday in t.days]
        if not able:
            why = f"nobody with {label} is available"
        else:
            why = (
                f"the {len(able)} therapist(s) with {label} available that day are at their "
                f"limit (contract + {cfg.max_overtime_hours:g} h overtime, "
                f"{cfg.max_blocks_per_day} shift(s) a day, or already on another shift)"
            )
        out.append(
            f"{DAY_NAMES[weekday]} {part} at {week.clinic_id}: {hours:.1f} h of {label} "
            f"uncovered ({_hhmm(min(g.start for g in gaps))}-{_hhmm(max(g.end for g in gaps))}); "
            f"{why}."
        )
    return out
