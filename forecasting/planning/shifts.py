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
from datetime import date, timedelta

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


def clinic_weeks(
    roster: pd.DataFrame,
    staffing: pd.DataFrame,
    monday: date,
    availability: pd.DataFrame | None = None,
) -> list[ClinicWeek]:
    """One :class:`ClinicWeek` per clinic with staffing rows in the week of ``monday``.

    A therapist counts when active that week (``start_date``/``end_date`` as in staffing);
    ``days`` and ``skills`` roster columns are optional (absent: every day, MLD). A therapist
    with rows in ``availability`` (the availability export: clinic_id, therapist_id, weekday or
    date, start, end) works only within those hours, and only on their roster days.
    """
    week = pd.Timestamp(monday)
    hours = _available_hours(availability, monday)
    rows = staffing[pd.to_datetime(staffing[C.WEEK]) == week]
    out = []
    for clinic, group in rows.groupby(C.CLINIC, sort=True):
        if "skill" in group.columns:
            targets = group.groupby("skill")["therapist_hours_needed"].sum().to_dict()
        else:
            targets = {DEFAULT_SKILL: float(group["therapist_hours_needed"].sum())}
        mine = roster[roster[C.CLINIC] == clinic] if len(roster) else roster
        therapists = tuple(_therapists(mine, week, hours))
        out.append(ClinicWeek(str(clinic), monday, therapists, targets))
    return out


def _minutes(hhmm: str) -> int:
    hours, minutes = str(hhmm).split(":")
    return int(hours) * 60 + int(minutes)


def _available_hours(
    availability: pd.DataFrame | None, monday: date
) -> dict[tuple[str, str], tuple[tuple[date, int, int], ...]]:
    """(clinic, therapist) -> their available (date, start, end) spans in the week of
    ``monday``: a date's own rows where it has any (none with times: a day off), else its
    weekday's rows."""
    if availability is None or not len(availability):
        return {}
    dates = [monday + timedelta(days=k) for k in range(7)]
    out: dict[tuple[str, str], tuple[tuple[date, int, int], ...]] = {}
    for (clinic, therapist), rows in availability.groupby([C.CLINIC, C.THERAPIST], sort=True):
        on = pd.to_datetime(rows["date"])
        spans = []
        for day in dates:
            dated = rows[on.dt.date == day]
            chosen = (
                dated
                if len(dated)
                else rows[on.isna() & (rows["weekday"] == WEEKDAYS[day.weekday()])]
            )
            spans += [
                (day, _minutes(s), _minutes(e))
                for s, e in zip(chosen["start"], chosen["end"], strict=True)
                if s and e
            ]
        out[str(clinic), str(therapist)] = tuple(spans)
    return out


def _therapists(
    roster: pd.DataFrame,
    week: pd.Timestamp,
    hours: dict[tuple[str, str], tuple[tuple[date, int, int], ...]],
) -> Iterable[Therapist]:
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
            hours=hours.get((str(row[C.CLINIC]), str(row[C.THERAPIST]))),
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
        uncovered = sum(g.minutes for g in gaps) / 60
        weekday = WEEKDAYS[day.weekday()]
        label = skill_label(skill)
        start, end = min(g.start for g in gaps), max(g.end for g in gaps)
        able = [
            t for t in week.therapists
            if skill in t.skills and t.available_during(day, start, end)
        ]  # fmt: skip
        if not able:
            why = f"nobody with {label} is available"
        else:
            hours = ", their available hours" if any(t.hours is not None for t in able) else ""
            why = (
                f"the {len(able)} therapist(s) with {label} available then are at their "
                f"limit (contract + {cfg.max_overtime_hours:g} h overtime, "
                f"{cfg.max_blocks_per_day} shift(s) a day{hours}, or already on another shift)"
            )
        out.append(
            f"{DAY_NAMES[weekday]} {part} at {week.clinic_id}: {uncovered:.1f} h of {label} "
            f"uncovered ({_hhmm(start)}-{_hhmm(end)}); {why}."
        )
    return out
