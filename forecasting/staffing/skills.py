"""Staffing by skill: the cheapest cover of every service's hours from the roster's skill mix.

Each service needs therapists with its skill (``[services.<name>] skill``); the roster's
optional ``skills`` column says who has which (no column, or an empty cell: the default
service's skill, MLD, as before skills existed). Per clinic and week, a therapist's paid hours
may be split between the skills they have. :func:`cover` chooses the split that leaves the
fewest hours needed uncovered, as one linear program over every clinic-week (HiGHS through
``scipy.optimize.milp``). Variables: ``x[t, k]`` hours therapist ``t`` gives skill ``k`` (only
for skills ``t`` has), ``u[k]`` hours of skill ``k`` left uncovered; per therapist
``sum_k x[t, k] <= hours[t]``; per skill ``sum_t x[t, k] + u[k] = needed[k]``; minimise
``sum_k u[k]`` plus a tie-break far below an hour (multi-skilled therapists, then later roster
rows, are used last, so their hours stay free and the answer is unique). It is a transport
problem: the relaxation is exact, so no integer variables are needed.

Per clinic x week x skill the result says the hours needed, rostered (therapists with the
skill), covered, the gap (needed - covered) and the idle hours of the therapists with the
skill (a therapist with two skills counts under both, so idle hours do not add up across
skills); a skill needed where no therapist on the clinic's roster has it is ``uncovered``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from forecasting import columns as C
from forecasting.config import DEFAULT_SERVICE, Service
from forecasting.staffing.decision import MIN_GAP_HOURS
from forecasting.staffing.hours import therapist_hours
from forecasting.staffing.problems import ClinicProblem
from forecasting.staffing.skill_hours import available_hours, largest_idle_lacking

__all__ = [
    "HOURS_AVAILABLE",
    "HOURS_NEEDED",
    "SERVICE",
    "SKILL",
    "SKILL_COLUMNS",
    "UNCOVERED_SKILL",
    "SkillCover",
    "cover",
    "skill_label",
    "skilled",
    "therapist_skills",
]

SKILL, SERVICE = "skill", "service"
HOURS_NEEDED, HOURS_ROSTERED, HOURS_COVERED = "hours_needed", "hours_rostered", "hours_covered"
GAP, IDLE, STATUS = "gap_hours", "idle_hours", "status"
SKILL_COLUMNS = [
    C.CLINIC, C.WEEK, SKILL, HOURS_NEEDED, HOURS_ROSTERED, HOURS_COVERED, GAP, IDLE, STATUS,
]  # fmt: skip
HOURS_AVAILABLE = "hours_available"
SERVICE_COLUMNS = [
    C.CLINIC, C.WEEK, SERVICE, SKILL, HOURS_NEEDED, HOURS_COVERED, GAP, HOURS_AVAILABLE,
]  # fmt: skip
UNCOVERED_SKILL = "uncovered_skill"  # ClinicProblem kind
# Tie-break costs per hour, far below the cost of an uncovered hour (1): a therapist's number
# of skills, then the roster row's rank. Not a staffing policy: it only picks among covers
# that leave the same hours uncovered.
_PER_SKILL_HELD, _PER_RANK = 1e-3, 1e-5


def therapist_skills(roster: pd.DataFrame, default_skill: str) -> list[frozenset[str]]:
    """Each roster row's skills: ``default_skill`` without a ``skills`` column or value, none
    for a value that names no known skill (the ingest keeps only known skills, ``;``-joined)."""
    if C.SKILLS not in roster:
        return [frozenset([default_skill])] * len(roster)
    out = []
    for value in roster[C.SKILLS]:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            out.append(frozenset([default_skill]))
        else:
            out.append(frozenset(s for s in str(value).split(";") if s))
    return out


def skilled(roster: pd.DataFrame, skill: str, default_skill: str) -> pd.DataFrame:
    """The roster rows of therapists who have ``skill`` (the roster itself when it has no
    ``skills`` column and ``skill`` is the default one)."""
    if C.SKILLS not in roster and skill == default_skill:
        return roster
    keep = [skill in held for held in therapist_skills(roster, default_skill)]
    return roster.loc[np.asarray(keep, dtype=bool)]


def skill_label(skill: str) -> str:
    """A skill as a sentence names it: ``mld`` -> ``MLD``, ``deep_tissue`` -> ``deep tissue``."""
    return skill.upper() if len(skill) <= 3 else skill.replace("_", " ")


@dataclass(frozen=True)
class SkillCover:
    """The chosen cover.

    Attributes:
        table: ``SKILL_COLUMNS``, one row per clinic x week x skill (skills in service order);
            ``status`` is ``ok``, ``short`` (gap of at least one whole hour) or ``uncovered``
            (hours needed and no therapist on the clinic's roster has the skill).
        services: ``SERVICE_COLUMNS``, one row per clinic x week x service; services sharing a
            skill share its cover in proportion to their hours needed. ``hours_available``:
            the paid hours the service can draw on if demand comes out above its target: its
            covered hours plus its share of the idle hours (each therapist's idle hours split
            equally over the skills they hold that some service needs that week, else over all
            they hold; a skill's among its services in proportion to their hours needed, or
            equally). Summed over services they are the roster's hours, none counted twice;
            for one skill they are its holders' rostered hours.
        idle_without: per table row, the other skill (``skill``) whose therapists lacking
            this row's skill have the most idle hours, and those hours (``idle_hours``): who
            cross-training could draw on.
    """

    table: pd.DataFrame
    services: pd.DataFrame
    idle_without: pd.DataFrame

    def wide(self) -> pd.DataFrame:
        """clinic_id, week, then per skill ``hours_needed:<skill>``, ``hours_rostered:<skill>``,
        ``hours_covered:<skill>``, ``gap_hours:<skill>``, ``idle_hours:<skill>``."""
        measures = [HOURS_NEEDED, HOURS_ROSTERED, HOURS_COVERED, GAP, IDLE]
        skills = list(dict.fromkeys(self.table[SKILL]))
        wide = self.table.pivot(index=[C.CLINIC, C.WEEK], columns=SKILL, values=measures)
        wide.columns = [f"{m}:{k}" for m, k in wide.columns]
        order = [f"{m}:{k}" for k in skills for m in measures]
        return wide[order].reset_index()

    def sentences(self, fte_hours: float) -> dict[str, list[str]]:
        """Per clinic, one sentence per skill short in some week: its largest gap and what
        would close it (a certified therapist, or cross-training where others sit idle)."""
        out: dict[str, list[str]] = {}
        for (clinic, skill), group in self.table.groupby([C.CLINIC, SKILL], sort=False):
            short = group[group[STATUS] != "ok"]
            if short.empty:
                continue
            out.setdefault(str(clinic), []).append(
                _sentence(skill, short, self.idle_without.loc[short.index], fte_hours)
            )
        return out

    def problems(self, roster: pd.DataFrame) -> list[ClinicProblem]:
        """An :data:`UNCOVERED_SKILL` problem per clinic and skill needed that no therapist
        on the clinic's roster has (a clinic without a roster is the ``no_roster`` problem,
        not this one)."""
        listed = {str(c) for c in roster[C.CLINIC]} if len(roster) else set()
        uncovered = self.table[(self.table[STATUS] == "uncovered")]
        out = []
        for (clinic, skill), group in uncovered.groupby([C.CLINIC, SKILL], sort=False):
            if str(clinic) not in listed:
                continue
            label = skill_label(str(skill))
            out.append(
                ClinicProblem(
                    clinic_id=str(clinic),
                    kind=UNCOVERED_SKILL,
                    sentence=f"no therapist on the roster has the {label} skill, so "
                    f"{group[GAP].sum():.0f} h of {label} over {len(group)} week"
                    f"{'s' * (len(group) != 1)} are uncovered",
                    fix=f"list the {label} therapists' skills in the roster export (skills "
                    f"column, e.g. {skill}) or add {_article(label)} {label}-certified therapist",
                )
            )
        return out


def _article(label: str) -> str:
    """``a`` or ``an`` before a label: "an MLD", "a deep tissue" (an abbreviation read letter by
    letter takes ``an`` before A, E, F, H, I, L, M, N, O, R, S, X)."""
    if label.isupper():
        return "an" if label[:1] in "AEFHILMNORSX" else "a"
    return "an" if label[:1] in "aeiou" else "a"


def _sentence(skill: str, short: pd.DataFrame, idle: pd.DataFrame, fte_hours: float) -> str:
    label = skill_label(skill)
    worst = short.loc[short[GAP].idxmax()]
    gap, week = float(worst[GAP]), pd.Timestamp(worst[C.WEEK]).date().isoformat()
    weeks = f" ({len(short)} weeks short)" if len(short) > 1 else ""
    if worst[STATUS] == "uncovered":
        return (
            f"{label} uncovered: {gap:.0f} h needed in the week of {week}{weeks} and no "
            f"therapist has the skill; {_article(label)} {label}-certified therapist, or training "
            "a colleague, "
            "covers it"
        )
    therapists = int(np.ceil(gap / fte_hours - 1e-9))
    more = "one more" if therapists == 1 else f"{therapists} more"
    plural = "s" * (therapists != 1)
    other = idle.loc[worst.name]
    spare = float(other[IDLE])
    if spare >= MIN_GAP_HOURS:
        where = skill_label(str(other[SKILL]))
        training = "cross-training" if spare >= gap else f"cross-training (for {spare:.0f} h)"
        return (
            f"{label} short {gap:.0f} h in the week of {week}{weeks} while {where} has "
            f"{spare:.0f} h idle: {more} {label}-certified therapist{plural}, or {training}, "
            "covers it"
        )
    return (
        f"{label} short {gap:.0f} h in the week of {week}{weeks}: {more} {label}-certified "
        f"therapist{plural} ({gap / fte_hours:.1f} FTE) cover{'s' * (therapists == 1)} it"
    )


def cover(
    needed: pd.DataFrame,
    roster: pd.DataFrame,
    services: dict[str, Service],
    weeks: pd.DatetimeIndex,
) -> SkillCover:
    """The cover of every service's hours that leaves the fewest hours uncovered.

    Args:
        needed: ``clinic_id``, ``week``, ``service``, ``hours_needed`` (paid hours at the service
            level); a service or clinic-week not listed needs nothing. Not modified.
        roster: the processed roster (optional ``skills`` column); not modified.
        services: resolved services (``Config.service_settings``), the default one first.
        weeks: the forecast weeks (Mondays).

    Returns:
        SkillCover with a row for every clinic of ``needed``, week and skill of ``services``.
    """
    default_skill = str(services[DEFAULT_SERVICE].skill if DEFAULT_SERVICE in services else "")
    service_skill = {name: str(s.skill) for name, s in services.items()}
    skills = list(dict.fromkeys(service_skill.values()))
    clinics = sorted({str(c) for c in needed[C.CLINIC]})
    n_c, n_w, n_k = len(clinics), len(weeks), len(skills)
    clinic_index = pd.Index(clinics)
    k_of = {k: i for i, k in enumerate(skills)}
    service_need = np.zeros((n_c, n_w, len(services)))
    ci = clinic_index.get_indexer(needed[C.CLINIC].astype(str))
    wi = pd.DatetimeIndex(weeks).get_indexer(pd.to_datetime(needed[C.WEEK]))
    si = pd.Index(list(services)).get_indexer(needed[SERVICE])
    inside = (wi >= 0) & (si >= 0)
    np.add.at(
        service_need,
        (ci[inside], wi[inside], si[inside]),
        needed[HOURS_NEEDED].to_numpy(dtype=float)[inside],
    )
    service_k = np.array([k_of[service_skill[n]] for n in services], dtype=int)
    need = np.zeros((n_c, n_w, n_k))
    for s, k in enumerate(service_k):
        need[:, :, k] += service_need[:, :, s]

    at = clinic_index.get_indexer(roster[C.CLINIC].astype(str)) if len(roster) else []
    mine = roster.loc[np.asarray(at) >= 0].reset_index(drop=True)
    hours = therapist_hours(mine, weeks) if len(mine) else np.zeros((0, n_w))
    held = therapist_skills(mine, default_skill)
    holds = np.array([[k in h for k in skills] for h in held], dtype=bool).reshape(-1, n_k)
    tc = clinic_index.get_indexer(mine[C.CLINIC].astype(str)) if len(mine) else np.zeros(0, int)
    x_used, uncovered = _solve(need, hours, holds, tc)

    used = x_used.sum(axis=2)  # (therapists, weeks)
    idle_t = hours - used
    rostered = np.zeros((n_c, n_w, n_k))
    idle = np.zeros((n_c, n_w, n_k))
    for k in range(n_k):
        np.add.at(rostered[:, :, k], tc, hours * holds[:, k : k + 1])
        np.add.at(idle[:, :, k], tc, idle_t * holds[:, k : k + 1])
    gap = uncovered
    covered = need - gap
    # nobody on the clinic's roster has the skill (whatever their dates): uncovered
    holds_any = np.zeros((n_c, n_k), dtype=bool)
    np.logical_or.at(holds_any, tc, holds)
    status = np.where(
        (need > 0) & ~holds_any[:, None, :] & (gap >= MIN_GAP_HOURS),
        "uncovered",
        np.where(gap >= MIN_GAP_HOURS, "short", "ok"),
    )
    index = pd.MultiIndex.from_product([clinics, weeks, skills], names=[C.CLINIC, C.WEEK, SKILL])
    table = pd.DataFrame(
        {
            HOURS_NEEDED: need.ravel(),
            HOURS_ROSTERED: rostered.ravel(),
            HOURS_COVERED: covered.ravel(),
            GAP: gap.ravel(),
            IDLE: idle.ravel(),
            STATUS: status.ravel(),
        },
        index=index,
    ).reset_index()[SKILL_COLUMNS]
    lacking, spare = largest_idle_lacking(idle_t, holds, tc, skills, (n_c, n_w))
    idle_without = pd.DataFrame({IDLE: spare.ravel(), SKILL: lacking.ravel()}, index=table.index)
    of_service = need[:, :, service_k]
    share = np.divide(
        covered[:, :, service_k], of_service, where=of_service > 0, out=np.ones_like(of_service)
    )
    s_index = pd.MultiIndex.from_product(
        [clinics, weeks, list(services)], names=[C.CLINIC, C.WEEK, SERVICE]
    )
    per_service = pd.DataFrame(
        {
            SKILL: np.tile(np.asarray(skills, dtype=object)[service_k], n_c * n_w),
            HOURS_NEEDED: service_need.ravel(),
            HOURS_COVERED: (service_need * share).ravel(),
        },
        index=s_index,
    ).reset_index()
    per_service[GAP] = per_service[HOURS_NEEDED] - per_service[HOURS_COVERED]
    per_service[HOURS_AVAILABLE] = available_hours(
        covered, idle_t, holds, tc, need, service_need, service_k
    ).ravel()
    return SkillCover(table=table, services=per_service[SERVICE_COLUMNS], idle_without=idle_without)


def _solve(
    need: np.ndarray, hours: np.ndarray, holds: np.ndarray, tc: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The LP of the module docstring over every clinic-week at once.

    Args:
        need: (clinics, weeks, skills) paid hours needed.
        hours: (therapists, weeks) paid hours rostered.
        holds: (therapists, skills) who has which skill.
        tc: (therapists,) each therapist's clinic index.

    Returns:
        (therapists, weeks, skills) hours given, and (clinics, weeks, skills) hours uncovered.
    """
    n_t, n_w = hours.shape
    n_k = need.shape[2]
    given = np.zeros((n_t, n_w, n_k))
    if n_t == 0 or not (need > 0).any():
        return given, need.copy()
    if n_k == 1:  # one skill (MLD alone): its holders' hours, filled up to the need
        capacity = np.zeros(need.shape[:2])
        np.add.at(capacity, tc, hours * holds[:, :1])
        fill = np.divide(need[:, :, 0], capacity, where=capacity > 0, out=np.zeros_like(capacity))
        given[:, :, 0] = hours * holds[:, :1] * np.minimum(fill, 1.0)[tc]
        return given, np.clip(need - capacity[:, :, None], 0, None)
    candidate = holds[:, None, :] & (hours[:, :, None] > 0) & (need[tc] > 0)
    xt, xw, xk = np.nonzero(candidate)
    uc, uw, uk = np.nonzero(need > 0)
    n_x, n_u = len(xt), len(uc)
    need_row = np.full(need.shape, -1, dtype=np.int64)
    need_row[uc, uw, uk] = np.arange(n_u)
    cap_key = xt * n_w + xw
    cap_keys, cap_row = np.unique(cap_key, return_inverse=True)
    n_cap = len(cap_keys)
    rows = np.concatenate([cap_row, n_cap + need_row[tc[xt], xw, xk], n_cap + np.arange(n_u)])
    cols = np.concatenate([np.arange(n_x), np.arange(n_x), n_x + np.arange(n_u)])
    matrix = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_cap + n_u, n_x + n_u)).tocsr()
    cap = hours[cap_keys // n_w, cap_keys % n_w]
    demand = need[uc, uw, uk]
    lower = np.concatenate([np.zeros(n_cap), demand])
    upper = np.concatenate([cap, demand])
    rank = np.arange(n_t) / max(n_t, 1)
    cost = np.concatenate(
        [_PER_SKILL_HELD * holds[xt].sum(axis=1) + _PER_RANK * rank[xt], np.ones(n_u)]
    )
    result = milp(
        cost,
        constraints=LinearConstraint(matrix, lower, upper),
        bounds=Bounds(np.zeros(n_x + n_u), np.concatenate([cap[cap_row], demand])),
    )
    if result.x is None:  # cannot happen: leaving every hour uncovered is always feasible
        raise ValueError(f"the skill cover LP failed: {result.message}")
    solution = np.clip(result.x, 0, None)
    given[xt, xw, xk] = solution[:n_x]
    uncovered = np.zeros(need.shape)
    uncovered[uc, uw, uk] = solution[n_x:]
    # the solver's tolerances aside, an hour is covered or not: snap what is within 1e-6
    return np.where(given < 1e-6, 0.0, given), np.where(uncovered < 1e-6, 0.0, uncovered)
