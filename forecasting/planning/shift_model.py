"""One clinic's shift plan for one week as a CP-SAT model, solved objective by objective.

A therapist works whole blocks (``[shifts] blocks``) within the days and hours they are
available (the roster's ``days``, the availability export's hours), at most
``max_blocks_per_day`` a day and never two blocks at once, one skill per block; their week
stays within contract + ``max_overtime_hours``. The week's target hours per skill are shared
over the open days (by day weight) and within a day over its parts (``day_parts``: morning,
afternoon) by open minutes: sessions are booked within a part wherever a therapist is
free, so demand is planned per part, not per minute. Objectives, in order, each solved and
then held at its optimum while the next is minimised (lexicographic): unmet target minutes;
overtime minutes; idle minutes (scheduled beyond the target); the largest share of a contract
(or of the blocks a therapist's availability allows, when fewer) left unscheduled (fairness).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import combinations

from ortools.sat.python import cp_model

from forecasting.config.shifts import WEEKDAYS, ShiftsConfig, span_minutes


@dataclass(frozen=True)
class Therapist:
    """A therapist of the clinic in the planned week."""

    therapist_id: str
    contract_hours: float
    days: frozenset[str] = frozenset(WEEKDAYS)
    skills: frozenset[str] = frozenset({"mld"})
    # the availability export's hours: (date, start, end) minutes; None: any time on ``days``
    hours: tuple[tuple[date, int, int], ...] | None = None

    def can_work(self, day: date, start: int, end: int) -> bool:
        """Whether the span (minutes) on ``day`` lies within one of the therapist's available
        spans (touching spans join: 08:00-12:00 and 12:00-16:00 hold 10:00-14:00)."""
        if WEEKDAYS[day.weekday()] not in self.days:
            return False
        if self.hours is None:
            return True
        spans = sorted((s, e) for d, s, e in self.hours if d == day)
        joined: list[list[int]] = []
        for s, e in spans:
            if joined and s <= joined[-1][1]:
                joined[-1][1] = max(joined[-1][1], e)
            else:
                joined.append([s, e])
        return any(s <= start and end <= e for s, e in joined)

    def available_during(self, day: date, start: int, end: int) -> bool:
        """Whether any of the therapist's available time on ``day`` falls in the span."""
        if WEEKDAYS[day.weekday()] not in self.days:
            return False
        return self.hours is None or any(
            d == day and s < end and start < e for d, s, e in self.hours
        )


@dataclass(frozen=True)
class ClinicWeek:
    """What one clinic's plan starts from: its therapists and the week's target hours per skill."""

    clinic_id: str
    monday: date
    therapists: tuple[Therapist, ...]
    target_hours: dict[str, float]


@dataclass(frozen=True)
class Shift:
    therapist_id: str
    day: date
    start: int  # minutes after midnight
    end: int
    skill: str


@dataclass(frozen=True)
class SlotGap:
    """Target minutes of one skill in one part of a day that no shift covers."""

    day: date
    part: str  # morning | afternoon | ... ([shifts] day_parts)
    start: int
    end: int
    skill: str
    minutes: int


@dataclass
class ClinicPlan:
    clinic_id: str
    status: str  # optimal | feasible | no solution
    shifts: list[Shift] = field(default_factory=list)
    gaps: list[SlotGap] = field(default_factory=list)
    target_minutes: int = 0
    unmet_minutes: int = 0
    unmet_bound_minutes: int = 0  # CP-SAT's lower bound on unmet minutes
    overtime_minutes: int = 0
    idle_minutes: int = 0
    scheduled_minutes: dict[str, int] = field(default_factory=dict)


def open_days(
    monday: date, cfg: ShiftsConfig, clinic: str | None = None
) -> list[tuple[str, date, int, int]]:
    """(weekday, date, opens, closes) of each open day of ``clinic`` (its own opening hours,
    else ``[shifts] opening``) in the week starting ``monday``."""
    opening = cfg.opening_of(clinic)
    out = []
    for k, name in enumerate(WEEKDAYS):
        if name in opening:
            start, end = span_minutes(opening[name])
            out.append((name, monday + timedelta(days=k), start, end))
    return out


def parts_of(day_open: tuple[int, int], cfg: ShiftsConfig) -> list[tuple[str, int, int]]:
    """(name, start, end) of each day part within the day's opening hours, in time order."""
    opens, closes = day_open
    out = []
    for name, span in cfg.day_parts.items():
        start, end = span_minutes(span)
        lo, hi = max(start, opens), min(end, closes)
        if hi > lo:
            out.append((name, lo, hi))
    return sorted(out, key=lambda p: p[1])


def part_targets(week: ClinicWeek, cfg: ShiftsConfig) -> dict[tuple[int, str, str], int]:
    """Target minutes per (day index, day part, skill), whole minutes summing to the week's.

    Each skill's week is shared over open days by ``day_weights`` (default: hours open), then
    over the day's parts by open minutes; rounding keeps the total (largest remainder).
    """
    days = open_days(week.monday, cfg, week.clinic_id)
    weights = [cfg.day_weights.get(name, float(end - start)) for name, _, start, end in days]
    total_weight = sum(weights)
    out: dict[tuple[int, str, str], int] = {}
    for skill, hours in week.target_hours.items():
        total = round(max(hours, 0.0) * 60)
        if total == 0 or total_weight <= 0:
            continue
        exact: dict[tuple[int, str, str], float] = {}
        for d, ((_, _, start, end), w) in enumerate(zip(days, weights, strict=True)):
            for name, lo, hi in parts_of((start, end), cfg):
                exact[(d, name, skill)] = total * (w / total_weight) * (hi - lo) / (end - start)
        floors = {k: int(v) for k, v in exact.items()}
        left = total - sum(floors.values())
        for k in sorted(exact, key=lambda k: (-(exact[k] - floors[k]), k))[:left]:
            floors[k] += 1
        out.update(floors)
    return out


def solve_clinic(week: ClinicWeek, cfg: ShiftsConfig, seed: int = 0) -> ClinicPlan:
    """The lexicographically best shift plan of one clinic-week (see the module docstring)."""
    days = open_days(week.monday, cfg, week.clinic_id)
    blocks = [span_minutes(b) for b in cfg.blocks]
    targets = part_targets(week, cfg)
    skills = sorted({k[2] for k in targets})
    m = cp_model.CpModel()

    # x[t, d, b]: therapist t works block b on day d; y[t, d, b, s]: ... with skill s
    x: dict[tuple[int, int, int], cp_model.IntVar] = {}
    y: dict[tuple[int, int, int, str], cp_model.IntVar] = {}
    for t, th in enumerate(week.therapists):
        usable = [s for s in skills if s in th.skills]
        if not usable or th.contract_hours <= 0:
            continue
        for d, (_, day, opens, closes) in enumerate(days):
            for b, (start, end) in enumerate(blocks):
                if start < opens or end > closes or not th.can_work(day, start, end):
                    continue
                x[t, d, b] = m.new_bool_var(f"x{t}_{d}_{b}")
                ys = [m.new_bool_var(f"y{t}_{d}_{b}_{s}") for s in usable]
                y.update({(t, d, b, s): v for s, v in zip(usable, ys, strict=True)})
                m.add(sum(ys) == x[t, d, b])

    overtime = []
    shortfall_share = m.new_int_var(0, 1000, "fair")
    for t, th in enumerate(week.therapists):
        mine = {(d, b): v for (tt, d, b), v in x.items() if tt == t}
        if not mine:
            continue
        for d in {d for d, _ in mine}:
            today = [(b, v) for (dd, b), v in mine.items() if dd == d]
            m.add(sum(v for _, v in today) <= cfg.max_blocks_per_day)
            for i, (b1, v1) in enumerate(today):
                for b2, v2 in today[i + 1 :]:
                    if blocks[b1][0] < blocks[b2][1] and blocks[b2][0] < blocks[b1][1]:
                        m.add(v1 + v2 <= 1)  # overlapping blocks: never both
        worked = sum((blocks[b][1] - blocks[b][0]) * v for (_, b), v in mine.items())
        contract = round(th.contract_hours * 60)
        m.add(worked <= contract + round(cfg.max_overtime_hours * 60))
        over = m.new_int_var(0, 7 * 24 * 60, f"over{t}")
        m.add(over >= worked - contract)
        overtime.append(over)
        # per mille of the contract (or of what the therapist can work, when less) left
        # unscheduled, the largest of them
        reachable = min(contract, _most_minutes(mine, blocks, cfg.max_blocks_per_day))
        if reachable > 0:
            m.add(shortfall_share * reachable >= 1000 * (reachable - worked))

    unmet, idle = [], []
    gap_vars: dict[tuple[int, str, str], cp_model.IntVar] = {}
    spans: dict[tuple[int, str], tuple[int, int]] = {}
    for d, (_, _, opens, closes) in enumerate(days):
        for name, lo, hi in parts_of((opens, closes), cfg):
            spans[d, name] = (lo, hi)
            for skill in skills:
                need = targets.get((d, name, skill), 0)
                terms = [
                    (min(hi, blocks[b][1]) - max(lo, blocks[b][0]), v)
                    for (t, dd, b, sk), v in y.items()
                    if dd == d and sk == skill
                ]
                terms = [(w, v) for w, v in terms if w > 0]
                cover = sum(w * v for w, v in terms) if terms else 0
                short = m.new_int_var(0, need, f"u{d}_{name}_{skill}")
                m.add(short >= need - cover)
                spare = m.new_int_var(0, sum(w for w, _ in terms), f"i{d}_{name}_{skill}")
                m.add(spare >= cover - need)
                unmet.append(short)
                idle.append(spare)
                gap_vars[d, name, skill] = short

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = cfg.time_limit_seconds
    solver.parameters.num_workers = 1  # clinics are solved one after another; deterministic
    solver.parameters.random_seed = seed
    solver.parameters.linearization_level = 2  # LP bounds: most clinics proven optimal fast
    plan = ClinicPlan(week.clinic_id, "no solution", target_minutes=sum(targets.values()))
    bound = None
    statuses = []
    for objective in (sum(unmet), sum(overtime), sum(idle), shortfall_share):
        m.minimize(objective)
        status = solver.solve(m)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        statuses.append(status)
        if bound is None:
            bound = int(round(solver.best_objective_bound))
        value = int(round(solver.objective_value))
        _hint(m, solver, [*x.values(), *y.values()])
        m.add(objective <= value)
    if not statuses:
        return plan
    plan.status = "optimal" if all(s == cp_model.OPTIMAL for s in statuses) else "feasible"
    plan.unmet_bound_minutes = bound or 0
    plan.unmet_minutes = int(sum(solver.value(v) for v in unmet))
    plan.overtime_minutes = int(sum(solver.value(v) for v in overtime))
    plan.idle_minutes = int(sum(solver.value(v) for v in idle))
    for (t, d, b, skill), v in sorted(y.items()):
        if solver.value(v):
            th = week.therapists[t]
            start, end = blocks[b]
            plan.shifts.append(Shift(th.therapist_id, days[d][1], start, end, skill))
            plan.scheduled_minutes[th.therapist_id] = (
                plan.scheduled_minutes.get(th.therapist_id, 0) + end - start
            )
    for (d, name, skill), v in sorted(gap_vars.items()):
        if solver.value(v):
            lo, hi = spans[d, name]
            plan.gaps.append(SlotGap(days[d][1], name, lo, hi, skill, int(solver.value(v))))
    return plan


def _most_minutes(
    mine: dict[tuple[int, int], cp_model.IntVar], blocks: list[tuple[int, int]], per_day: int
) -> int:
    """The most minutes a therapist can work in the week: per day, the longest set of at most
    ``per_day`` non-overlapping blocks open to them (at most 12 blocks a day tried whole)."""
    total = 0
    for d in {d for d, _ in mine}:
        spans = sorted(blocks[b] for dd, b in mine if dd == d)
        if len(spans) > 12:  # an upper bound instead: the longest blocks
            total += sum(sorted((e - s for s, e in spans), reverse=True)[:per_day])
            continue
        best = 0
        for k in range(1, per_day + 1):
            for chosen in combinations(spans, k):
                if all(a[1] <= b[0] for a, b in zip(chosen, chosen[1:], strict=False)):
                    best = max(best, sum(e - s for s, e in chosen))
        total += best
    return total


def _hint(m: cp_model.CpModel, solver: cp_model.CpSolver, variables: list) -> None:
    """Start the next objective from this solution (it stays feasible: only bounds are added)."""
    m.clear_hints()
    for v in variables:
        m.add_hint(v, solver.value(v))
