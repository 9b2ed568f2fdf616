"""A clinic's three charts as the view holds them: title, words, and a lazy PNG drawing.

``Chart.draw`` is a picklable call of a ``charts`` function on small frames, so a process pool
can draw the charts (``drawing.draw_charts``) and a view read only for its words never draws.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, partial

import pandas as pd

from forecasting.calendar import week_start
from forecasting.columns import (
    COMPLETED,
    PROCEDURE,
    PROCEDURE_TYPES,
    SERIES,
    WEEK,
    procedure_series,
)
from forecasting.report import charts
from forecasting.report.frames import Frames
from forecasting.staffing import StaffingPlan

_PROCEDURE_PREFIX = procedure_series("")

__all__ = ["Chart", "Drawn", "clinic_charts", "service_sessions_chart"]


@dataclass(frozen=True)
class Chart:
    """A chart, drawn as PNG bytes when first needed (a view read only for its words, as in
    the Prefect artifacts, never pays for drawing). ``draw`` is None when there is nothing
    to draw; ``note`` then says why."""

    title: str
    draw: Callable[[], bytes] | None = field(default=None, compare=False, repr=False)
    alt: str = ""
    caption: str = ""
    note: str = ""

    @cached_property
    def png(self) -> bytes:
        return self.draw() if self.draw is not None else b""

    @property
    def uri(self) -> str:
        return charts.to_data_uri(self.png) if self.png else ""

    def drawn(self, png: bytes) -> Chart:
        """This chart with its PNG already drawn (by ``drawing.draw_charts``)."""
        return replace(self, draw=Drawn(png))


@dataclass(frozen=True)
class Drawn:
    """The ``draw`` of a chart drawn already: returns its PNG bytes."""

    png: bytes = field(repr=False)

    def __call__(self) -> bytes:
        return self.png


def clinic_charts(
    frames: Frames,
    name: str,
    sessions_fc: pd.DataFrame,
    proc_fc: pd.DataFrame,
    committed: pd.DataFrame,
    plan: StaffingPlan,
    as_of: pd.Timestamp,
    history_weeks: int,
) -> list[Chart]:
    """The three charts of a clinic: sessions, procedures by type, hours needed vs rostered."""
    start = week_start(as_of) - pd.Timedelta(weeks=history_weeks)
    s_hist = _window(frames.of_clinic(frames.sessions, name), start, week_start(as_of))
    p_hist = _window(frames.of_clinic(frames.procedures, name), start, week_start(as_of))
    return [
        _sessions_chart(name, s_hist, sessions_fc, committed, as_of, history_weeks),
        _procedures_chart(name, p_hist, proc_fc, _procedure_order(p_hist, proc_fc)),
        _hours_chart(name, plan),
    ]


def _sessions_chart(
    name: str,
    hist: pd.DataFrame,
    fc: pd.DataFrame,
    committed: pd.DataFrame,
    as_of: pd.Timestamp,
    history_weeks: int,
) -> Chart:
    title = "Sessions per week"
    if hist.empty and fc.empty:
        return Chart(title, note="No session history or sessions forecast for this clinic.")
    return Chart(
        title,
        draw=partial(charts.sessions_chart, hist, fc, committed, as_of.date()),
        alt=f"Sessions per week at clinic {name}: last {history_weeks} weeks and forecast.",
        caption=(
            "Solid line: booked sessions (attended or no-show). Dashed line and shaded "
            "band: forecast median and p10–p90 range. Hatched area, dotted edge: "
            "sessions owed to patients already operated on. The vertical line marks the "
            "data cut-off."
        ),
    )


def service_sessions_chart(
    name: str,
    service: str,
    hist: pd.DataFrame,
    fc: pd.DataFrame,
    committed: pd.DataFrame,
    as_of: pd.Timestamp,
    history_weeks: int,
) -> Chart:
    """One service's sessions at a clinic (several services only): its history
    (``week, sessions``), its ``sessions:<service>`` forecast and its committed sessions."""
    title = f"{service} sessions per week"
    if hist.empty and fc.empty:
        return Chart(title, note=f"No {service} session history or forecast for this clinic.")
    return Chart(
        title,
        draw=partial(charts.sessions_chart, hist, fc, committed, as_of.date(), "committed"),
        alt=f"{service} sessions per week at clinic {name}: last {history_weeks} weeks and "
        "forecast.",
        caption=(
            f"Solid line: {service} sessions. Dashed line and shaded band: forecast median and "
            "p10–p90 range. Hatched area, dotted edge: sessions owed to patients whose driver "
            "(surgery, cast removal, injury or referral) is already past. The vertical line "
            "marks the data cut-off."
        ),
    )


def _procedures_chart(
    name: str, hist: pd.DataFrame, fc: pd.DataFrame, order: Sequence[str]
) -> Chart:
    title = "Procedures per week, by type"
    if not order:
        return Chart(title, note="No procedure history or procedure forecast for this clinic.")
    h = (
        hist.groupby([PROCEDURE, WEEK], as_index=False)[COMPLETED].sum()
        if not hist.empty
        else pd.DataFrame(columns=[PROCEDURE, WEEK, COMPLETED])
    )
    f = fc.assign(**{PROCEDURE: fc[SERIES].str.removeprefix(_PROCEDURE_PREFIX)})
    return Chart(
        title,
        draw=partial(charts.procedures_chart, h, f, list(order)),
        alt=f"Completed procedures per week by type at clinic {name}, with forecast.",
        caption=(
            "Solid line: completed procedures. Dashed line and shaded band: forecast median and "
            "p10–p90 range."
        ),
    )


def _hours_chart(name: str, plan: StaffingPlan) -> Chart:
    title = "Therapist hours needed vs rostered"
    if plan.rows.empty:
        return Chart(title, note="No staffing figures for this clinic, so no hours chart.")
    return Chart(
        title,
        draw=partial(charts.hours_chart, plan.rows),
        alt=f"Therapist hours needed and rostered per week at clinic {name}.",
        caption=(
            "Solid line with dots: paid hours needed at the service level; grey band: hours for "
            "p10–p90 demand. Dashed line with squares: rostered hours. Cross-hatched: shortfall."
        ),
    )


def _procedure_order(hist: pd.DataFrame, fc: pd.DataFrame) -> list[str]:
    present: set[str] = set()
    if not hist.empty:
        present.update(hist.loc[hist[COMPLETED] > 0, PROCEDURE].astype(str))
    if not fc.empty:
        present.update(fc[SERIES].str.removeprefix(_PROCEDURE_PREFIX))
    known = [p for p in PROCEDURE_TYPES if p in present]
    return known + sorted(present - set(PROCEDURE_TYPES))


def _window(frame: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    if frame.empty:
        return frame
    return frame[(frame[WEEK] >= start) & (frame[WEEK] < end)]
