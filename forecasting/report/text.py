"""Words of the weekly report: numbers formatted for people, and sentences worded from them.

Every sentence a clinic manager reads (the action, the headline, the evidence, the network
summary) is built here from the numbers, so the HTML page, the PDF, the XLSX summary sheet and
the Prefect artifacts all say the same thing. Nothing here reads files or draws charts; the
rule that picks a clinic's action is ``forecasting.staffing.decide``, worded here.

Conventions: whole numbers with thousands separators, one decimal for FTE, a real minus sign
(U+2212) for negative numbers, an en dash for ranges, ``1 December`` dates with the year only
when it differs from the cut-off's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from forecasting.columns import P10, P50, P90, WEEK
from forecasting.report.formats import (  # text.py's names, as before the split
    DASH,
    MINUS,
    NONE,
    _when,
    counted,
    day_month,
    fmt_count,
    fmt_fte,
    fmt_int,
    fmt_one,
    fmt_percent,
    fmt_signed,
    is_missing,
    iso_date,
    ordinal,
    week_label,
    weeks_phrase,
    whole,
)
from forecasting.staffing import (
    GAP_HOURS,
    HOURS_NEEDED,
    HOURS_ROSTERED,
    Action,
    Decision,
    StaffingPlan,
    decide,
)

__all__ = [
    "DASH",
    "DecisionText",
    "MINUS",
    "NONE",
    "counted",
    "day_month",
    "decision_text",
    "evidence",
    "fmt_count",
    "fmt_fte",
    "fmt_int",
    "fmt_one",
    "fmt_percent",
    "fmt_signed",
    "is_missing",
    "iso_date",
    "network_sentences",
    "ordinal",
    "problems_sentence",
    "service_note",
    "week_label",
    "weeks_phrase",
    "whole",
]


# ----------------------------------------------------------------------------------------------
# A clinic's decision, worded (the rule itself: forecasting.staffing.decide)


@dataclass(frozen=True)
class DecisionText:
    """What a clinic manager should do, worded from the numbers.

    Attributes:
        status: ``short`` (add hours), ``ok`` (roster covers) or ``check`` (no staffing figures).
        action: the decision as one sentence, e.g. ``Add about 27 therapist hours in the week
            of 30 November.``
        short_action: the same, short enough for the network table.
        lines: the numbers behind it: the lead week, then the horizon.
    """

    status: str
    action: str
    short_action: str
    lines: list[str]


def decision_text(
    label: str,
    lead_fc: pd.DataFrame,
    lead_row: pd.Series | None,
    lead: pd.Timestamp | None,
    plan: StaffingPlan,
    horizon_fc: pd.DataFrame,
    as_of: pd.Timestamp,
    total: pd.Series | None = None,
) -> DecisionText:
    """The action for one clinic (``staffing.decide``), then the lead week's and the
    horizon's numbers.

    Args:
        label: the lead week as ``Next week``/``This week``/``Week of ...``.
        lead_fc: the lead week's ``sessions`` forecast row (``p10, p50, p90``), or empty.
        lead_row: the lead week's staffing row (of ``plan.rows``), or None.
        lead: Monday of the lead week.
        plan: the clinic's staffing plan.
        horizon_fc: the clinic's ``sessions`` forecast over the horizon (``mean, p50``).
        as_of: data cut-off.
    """
    decided = decide(plan)
    horizon = weeks_phrase(plan.horizon)
    if decided.action is Action.CHECK_ROSTER:
        action = (
            "Check the roster export: there are no staffing figures for this clinic, so the "
            "roster cannot be compared with demand."
        )
        short_action = "Check the roster export"
    elif decided.action is Action.NO_CHANGE:
        action = f"No change needed: the roster covers expected demand for {horizon}."
        short_action = f"None: roster covers {horizon}"
    else:
        first = decided.first_short
        assert first is not None, "an ADD decision always names its first short week"
        when = day_month(first[WEEK], as_of)
        action = f"Add about {counted(first[GAP_HOURS], 'therapist hour')} in the week of {when}."
        short_action = f"Add about {fmt_int(first[GAP_HOURS])} h (week of {when})"
        if decided.short_every_week:
            short_action += f"; short in all {plan.horizon} weeks"
        elif decided.short_weeks > 1:
            short_action += f"; short in {decided.short_weeks} of {plan.horizon} weeks"
    return DecisionText(
        status=decided.action.value,
        action=action,
        short_action=short_action,
        lines=[
            line
            for line in (
                _lead_line(label, lead_fc, lead_row, lead, as_of),
                _horizon_line(decided, horizon_fc, as_of, total),
            )
            if line
        ],
    )


def _lead_line(
    label: str,
    lead_fc: pd.DataFrame,
    lead_row: pd.Series | None,
    lead: pd.Timestamp | None,
    as_of: pd.Timestamp,
) -> str:
    parts: list[str] = []
    if not lead_fc.empty:
        f = lead_fc.iloc[0]
        parts.append(
            f"{label}: about {counted(f[P50], 'session')} ({fmt_int(f[P10])}{DASH}"
            f"{fmt_int(f[P90])})."
        )
    elif lead_row is not None:
        parts.append(f"{label}: about {counted(lead_row['sessions_p50'], 'session')}.")
    if lead_row is not None:
        prefix = (
            "Needs"
            if lead_row[WEEK] == lead
            else f"Week of {day_month(lead_row[WEEK], as_of)}: needs"
        )
        parts.append(
            f"{prefix} {fmt_int(lead_row[HOURS_NEEDED])} therapist hours "
            f"({fmt_fte(lead_row['fte_needed'])} FTE); {fmt_int(lead_row[HOURS_ROSTERED])} "
            "rostered."
        )
    return " ".join(parts)


def _horizon_line(
    decided: Decision,
    horizon_fc: pd.DataFrame,
    as_of: pd.Timestamp,
    total: pd.Series | None = None,
) -> str:
    parts: list[str] = []
    n = int(horizon_fc[WEEK].nunique()) if not horizon_fc.empty else 0
    if n > 1 and total is not None:
        # The range of the total comes from the summed sample paths (pipeline.assemble).
        parts.append(
            f"Next {n} weeks: about {counted(total['mean'], 'session')} in all "
            f"({fmt_int(total[P10])}{DASH}{fmt_int(total[P90])}, p10{DASH}p90)."
        )
    elif n > 1:
        # Means add up; quantiles do not, so the total is the sum of weekly means and the
        # range is the spread of the weekly medians.
        total = horizon_fc["mean"].sum()
        low, high = horizon_fc[P50].min(), horizon_fc[P50].max()
        spread = (
            f"{fmt_int(low)}{DASH}{fmt_int(high)} a week"
            if fmt_int(low) != fmt_int(high)
            else f"about {fmt_int(low)} a week"
        )
        parts.append(
            f"Next {n} weeks: about {counted(total, 'session')} in all ({spread}, medians)."
        )
    if decided.first_short is not None and decided.largest_short is not None:
        first, worst = decided.first_short, decided.largest_short
        n_short, horizon = decided.short_weeks, decided.plan.horizon
        if decided.short_every_week:
            parts.append(f"Short in all {horizon} weeks")
        elif n_short > 1:
            parts.append(f"Short in {n_short} of {horizon} weeks")
        if worst[WEEK] != first[WEEK]:
            largest = (
                f"the largest gap is about {counted(worst[GAP_HOURS], 'therapist hour')} "
                f"({fmt_fte(worst['fte_gap'])} FTE) in the week of {day_month(worst[WEEK], as_of)}."
            )
            if n_short > 1:
                parts[-1] += "; " + largest
            else:
                parts.append(largest[0].upper() + largest[1:])
        elif n_short > 1:
            parts[-1] += "."
    return " ".join(parts)


def evidence(
    label: str,
    lead_fc: pd.DataFrame,
    lead_committed: pd.DataFrame,
    lead_row: pd.Series | None,
) -> list[str]:
    """Sentences behind the decision: committed demand and the roster's expected outcome."""
    out: list[str] = []
    when = _when(label)
    if not lead_fc.empty and not lead_committed.empty:
        owed = fmt_int(lead_committed.iloc[0]["committed"])
        whose = f"{when}'s" if when in ("next week", "this week") else f"the {when}'s"
        out.append(
            f"About {owed} of {whose} sessions are owed to patients already operated on; "
            "the rest depend on procedures still to come."
        )
    if lead_row is not None:
        unmet, idle = lead_row["expected_unmet_sessions"], lead_row["expected_idle_hours"]
        unmet_text = (
            "no unmet sessions"
            if not is_missing(unmet) and float(unmet) < 0.05
            else f"about {fmt_one(unmet)} unmet sessions"
        )
        idle_text = (
            "no idle therapist hours"
            if not is_missing(idle) and whole(idle) == 0
            else f"about {counted(idle, 'idle therapist hour')}"
        )
        out.append(
            f"The hours needed are sized for {fmt_int(lead_row['sessions_target'])} sessions, "
            f"the service-level target. With the current roster, expect {unmet_text} and "
            f"{idle_text} {_when(label, True)}."
        )
    return out


# ----------------------------------------------------------------------------------------------
# The network


def network_sentences(names: Sequence[str], statuses: Sequence[str], horizon: int) -> list[str]:
    """The network headline: which clinics need more hours (or that none does)."""
    if not names:
        return ["No clinic has data for this week's report."]
    short = [n for n, s in zip(names, statuses, strict=True) if s == "short"]
    missing = [n for n, s in zip(names, statuses, strict=True) if s == "check"]
    n = len(names)
    if short:
        verb = "needs" if len(short) == 1 else "need"
        out = [
            f"{len(short)} of {n} clinics {verb} more therapist hours in "
            f"{weeks_phrase(horizon)}: {', '.join(short)}."
        ]
    elif len(missing) == n:
        out = []
    elif missing:
        out = [f"No clinic with staffing figures is short in {weeks_phrase(horizon)}."]
    else:
        out = [f"Every clinic's roster covers expected demand for {weeks_phrase(horizon)}."]
    if missing:
        out.append(f"No staffing figures for: {', '.join(missing)}.")
    return out


def problems_sentence(problems: dict[str, list[str]]) -> str | None:
    """``2 clinics need attention: C (...), D (...).`` or None when no clinic has a problem."""
    named = {name: items for name, items in sorted(problems.items()) if items}
    if not named:
        return None
    verb = "needs" if len(named) == 1 else "need"
    parts = [f"{name} ({'; '.join(items)})" for name, items in named.items()]
    clinics = "clinic" if len(named) == 1 else "clinics"
    return f"{len(named)} {clinics} {verb} attention: {', '.join(parts)}."


def network_week(leads: Sequence[pd.Timestamp], as_of: pd.Timestamp) -> str:
    """Label of the week the network table shows, e.g. ``Next week (30 Nov)``."""
    if not leads:
        return "Next week"
    first = min(leads)
    label = week_label(first, as_of)
    if label.startswith("Week of"):
        return label
    return f"{label} ({day_month(first, as_of, short_month=True)})"


def service_note(level: Any) -> str:
    """How to read the ranges and the hours needed (the service level in words)."""
    text = (
        "Sessions are the median forecast with the p10–p90 range (8 weeks in 10 should fall "
        "inside it). "
    )
    if isinstance(level, int | float) and not isinstance(level, bool):
        text += (
            f"Therapist hours cover the {ordinal(round(level * 100))} percentile of session "
            f"demand (service level {level:g}), so demand should fit the hours needed in about "
            f"{round(level * 10)} weeks in 10."
        )
    else:
        text += "Therapist hours cover the service-level quantile of session demand."
    return text
