"""The report's plans: the "What if" section, region roll-ups and each clinic's next-week shifts."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from functools import partial

import pandas as pd

from forecasting import columns as C
from forecasting.config.scenarios import Scenario
from forecasting.planning.regions import NETWORK
from forecasting.planning.shifts import ShiftPlan, skill_label
from forecasting.planning.week_plans import NETWORK_ROW, WeekPlans
from forecasting.report import charts
from forecasting.report.clinic_charts import Chart
from forecasting.report.clinic_ids import clinic_page_path, region_page_path
from forecasting.report.clinic_names import with_names
from forecasting.report.plan_views import ClinicShifts, RegionView, ScenarioView
from forecasting.report.tables import Row, Table
from forecasting.report.view import ReportView

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _from(start: date | int) -> str:
    return f"from forecast week {start}" if isinstance(start, int) else f"from {start}"


def describe(scenario: Scenario) -> str:
    """The scenario's changes in words: "liposuction x1.20 at bayview from 2027-01-04; ..."."""
    parts = [scenario.description] if scenario.description else []
    for s in scenario.scale:
        what = "every procedure type" if s.procedure == "all" else s.procedure
        parts.append(f"{what} x{s.factor:.2f} at {s.at} {_from(s.start)}")
    parts += [f"clinic {o.clinic} opens like {o.like} {_from(o.start)}" for o in scenario.open]
    parts += [f"{x.therapist} leaves {x.clinic} {_from(x.start)}" for x in scenario.leaves]
    parts += [
        f"a therapist of {j.hours:g} h joins {j.clinic} from {j.start}" for j in scenario.joins
    ]
    if scenario.session_minutes is not None:
        parts.append(f"sessions of {scenario.session_minutes:g} min")
    if scenario.service_level is not None:
        parts.append(f"service level {scenario.service_level:.0%}")
    return "; ".join(parts)


def _h(value: float) -> str:
    return f"{value:,.0f} h"


def _signed(value: float) -> str:
    return f"{value:+,.0f} h" if round(value) else "0 h"


def scenario_views(plans: WeekPlans | None, horizon_weeks: int) -> list[ScenarioView]:
    """One view per scenario, in the order they were run."""
    if plans is None:
        return []
    out = []
    for run in plans.scenarios:
        rows = plans.comparison[plans.comparison["scenario"] == run.name]
        network = rows[rows[C.CLINIC] == NETWORK_ROW].iloc[0]
        change = network["hours_change"]
        more = "more" if change > 0 else "fewer"
        sentence = (
            f"The network would need {_h(abs(change))} {more} over {horizon_weeks} weeks "
            f"({_h(network['hours_needed_base'])} -> {_h(network['hours_needed'])}); "
            f"clinic-weeks short: {network['weeks_short_base']} -> {network['weeks_short']}."
            if round(change)
            else f"The network's hours stay at {_h(network['hours_needed'])}; clinic-weeks "
            f"short: {network['weeks_short_base']} -> {network['weeks_short']}."
        )
        table = Table(
            header=["Clinic", "Hours needed (base)", "Hours needed", "Change",
                    "FTE needed (base)", "FTE needed", "Gap hours (base)", "Gap hours",
                    "Weeks short (base)", "Weeks short"],
            rows=[
                Row(
                    [
                        "Network" if r[C.CLINIC] == NETWORK_ROW else str(r[C.CLINIC]),
                        _h(r["hours_needed_base"]),
                        _h(r["hours_needed"]),
                        _signed(r["hours_change"]),
                        f"{r['fte_needed_base']:.1f}",
                        f"{r['fte_needed']:.1f}",
                        _h(r["gap_hours_base"]),
                        _h(r["gap_hours"]),
                        str(r["weeks_short_base"]),
                        str(r["weeks_short"]),
                    ],
                    mark="short" if r["weeks_short"] > r["weeks_short_base"] else "",
                )
                for r in rows.to_dict("records")
            ],
            text_columns=frozenset({0}),
        )  # fmt: skip
        out.append(ScenarioView(run.name, describe(run.scenario), sentence, table))
    return out


def clinic_shifts(plan: ShiftPlan | None, clinic: str) -> ClinicShifts | None:
    """The clinic's shift table (a row per therapist, a column per open day) and its gaps."""
    if plan is None:
        return None
    mine = plan.shifts[plan.shifts[C.CLINIC] == clinic]
    summary_rows = plan.summary[plan.summary[C.CLINIC] == clinic]
    if not len(summary_rows):
        return None
    s = summary_rows.iloc[0]
    summary = (
        f"{s['scheduled_hours']:,.0f} h scheduled for a target of {s['target_hours']:,.0f} h; "
        f"{s['unmet_hours']:,.1f} h uncovered, {s['overtime_hours']:,.0f} h overtime."
    )
    if not len(mine):
        return ClinicShifts(None, plan.sentences.get(clinic, []), summary)
    days = sorted(set(mine["date"]))
    header = ["Therapist"] + [
        f"{WEEKDAY_NAMES[date.fromisoformat(d).weekday()]} {d[5:]}" for d in days
    ]
    rows = []
    for therapist, shifts in mine.groupby("therapist_id", sort=True):
        cells = [str(therapist)]
        for day in days:
            today = shifts[shifts["date"] == day].sort_values("start")
            cells.append(
                ", ".join(f"{r.start}-{r.end} {skill_label(r.skill)}" for r in today.itertuples())
                or "-"
            )
        rows.append(Row(cells))
    table = Table(header=header, rows=rows, text_columns=frozenset(range(len(header))))
    return ClinicShifts(table, plan.sentences.get(clinic, []), summary)


def _region_rows(staffing: pd.DataFrame, forecast: pd.DataFrame) -> list[Row]:
    rows = []
    for r in staffing.to_dict("records"):
        f = forecast.loc[(r["area"], r[C.WEEK])]
        gap = r["therapist_hours_needed"] - r["hours_rostered"]
        rows.append(
            Row(
                [
                    pd.Timestamp(r[C.WEEK]).strftime("%d %b"),
                    f"{f[C.P50]:,.0f} ({f[C.P10]:,.0f}-{f[C.P90]:,.0f})",
                    _h(r["therapist_hours_needed"]),
                    _h(r["hours_rostered"]),
                    _signed(gap),
                ],
                mark="short" if gap >= 0.5 else "",
            )
        )
    return rows


_WEEK_HEADER = ["Week", "Sessions p50 (p10-p90)", "Hours needed", "Rostered", "Gap"]


def _region_charts(
    area: str,
    members: list[str],
    mine: pd.DataFrame,
    forecast: pd.DataFrame,
    sessions: pd.DataFrame | None,
    as_of: date | None,
    history_weeks: int,
) -> list[Chart]:
    """The area's sessions fan (its clinics' summed history, the summed paths' quantiles) and
    its hours needed against rostered, drawn as a clinic's are."""
    if sessions is None or as_of is None:
        return []
    start = pd.Timestamp(as_of) - pd.Timedelta(weeks=history_weeks)
    past = sessions[sessions[C.CLINIC].isin(members) & (pd.to_datetime(sessions[C.WEEK]) >= start)]
    hist = past.groupby(C.WEEK, as_index=False)[C.SESSIONS].sum()
    fc = forecast.loc[area].reset_index()[[C.WEEK, C.P10, C.P50, C.P90]]
    none_committed = pd.DataFrame({C.WEEK: [], "committed": []})  # per clinic only
    hours = mine[[C.WEEK, "therapist_hours_needed", "hours_rostered", "therapist_hours_p10",
                  "therapist_hours_p90"]]  # fmt: skip
    return [
        Chart(
            "Sessions per week",
            draw=partial(charts.sessions_chart, hist, fc, none_committed, as_of),
            alt=f"Sessions per week in {area}: its clinics together, history and forecast.",
            caption="Solid line: the clinics' sessions together. Dashed line and band: the "
            "median and p10-p90 of their summed sample paths. The vertical line marks the "
            "data cut-off.",
        ),
        Chart(
            "Therapist hours per week",
            draw=partial(charts.hours_chart, hours),
            alt=f"Therapist hours needed against rostered in {area}.",
            caption="Hours needed at the service level (band: p10-p90 of demand) against the "
            "hours the clinics roster together.",
        ),
    ]


def region_views(
    plans: WeekPlans | None,
    sessions: pd.DataFrame | None = None,
    as_of: date | None = None,
    history_weeks: int = 52,
) -> tuple[Table | None, list[RegionView]]:
    """The index's table (a row per region and the network, linking its page) and the pages
    (with charts when the sessions history and the cut-off are given)."""
    if plans is None or not len(plans.region_staffing):
        return None, []
    staffing, forecast = plans.region_staffing, plans.region_forecast.set_index(["area", C.WEEK])
    pages, rows = [], []
    for area, mine in staffing.groupby("area", sort=False):
        name = "Network" if area == NETWORK else str(area)
        members = sorted(c for c, r in plans.regions.items() if area == NETWORK or r == area)
        page = region_page_path(str(area))
        weeks = _region_rows(mine, forecast)
        pages.append(
            RegionView(
                name, page, [(c, clinic_page_path(c)) for c in members],
                Table(header=_WEEK_HEADER, rows=weeks, text_columns=frozenset({0, 1})),
                _region_charts(str(area), members, mine, forecast, sessions, as_of,
                               history_weeks),
            )
        )  # fmt: skip
        first = weeks[0]
        short = sum(1 for w in weeks if w.mark == "short")
        rows.append(
            Row([name, str(len(members)), *first.cells[1:], str(short)], mark=first.mark, link=page)
        )
    header = ["Area", "Clinics", "Sessions p50 (p10-p90), first week", "Hours needed",
              "Rostered", "Gap", "Weeks short"]  # fmt: skip
    return Table(header=header, rows=rows, text_columns=frozenset({0, 2})), pages


def with_plans(
    view: ReportView,
    plans: WeekPlans | None,
    horizon_weeks: int,
    sessions: pd.DataFrame | None = None,
    as_of: date | None = None,
    history_weeks: int = 52,
) -> ReportView:
    """The view with the "What if" section, the region pages, each clinic's shifts and the
    clinics' display names (the clinics export)."""
    if plans is None:
        return view
    clinics = [replace(c, shifts=clinic_shifts(plans.shifts, c.name)) for c in view.clinics]
    regions, region_pages = region_views(plans, sessions, as_of, history_weeks)
    planned = replace(
        view,
        what_if=scenario_views(plans, horizon_weeks),
        regions=regions,
        region_pages=region_pages,
        clinics=clinics,
    )
    return with_names(planned, plans.names)
