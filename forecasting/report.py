"""The weekly HTML report (reports/<ISO week>/index.html): decision first, evidence second.

One self-contained page: a network summary (per clinic, next week's sessions, therapist hours
needed against rostered, and the action), then one section per clinic (a plain-language
headline worded from the numbers, charts, the staffing table), then the evidence a reader
needs to trust it (data freshness, model per series and fallbacks, the ingest table, settings).

Charts are embedded as base64 PNG data URIs and the CSS is inline, so the page fetches
nothing. Every value reaches the HTML through Jinja2 with autoescape on. The same
``ReportData`` gives byte-identical HTML: no timestamps, no random ids, sorted iteration.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from . import charts
from .columns import (
    CLINIC,
    COMPLETED,
    P10,
    P50,
    P90,
    PROCEDURE,
    PROCEDURE_TYPES,
    SERIES,
    SESSIONS,
    STAFFING_COLUMNS,
    WEEK,
    procedure_series,
)
from .io import write_text

# Columns the report reads beyond columns.py.
COMMITTED = "committed"
HOURS_ROSTERED = "hours_rostered"
HOURS_P10 = "therapist_hours_p10"
HOURS_P90 = "therapist_hours_p90"
HOURS_NEEDED = "therapist_hours_needed"
MODEL = "model"
FALLBACK_REASON = "fallback_reason"

HISTORY_WEEKS = 52
_REQUIRED_PROC = [CLINIC, PROCEDURE, WEEK, COMPLETED]
_PROCEDURE_PREFIX = procedure_series("")
# A gap that rounds to zero whole hours is no gap: nobody adds "about 0 hours".
_MIN_GAP_HOURS = 0.5
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DASH = "–"  # en dash for ranges
_NONE = "—"  # em dash for a missing value
_MINUS = "−"


@dataclass(frozen=True, eq=False)  # frames do not compare or hash as values
class ReportData:
    """Everything the weekly report shows; frames are read, never modified.

    Attributes:
        as_of: data cut-off of the run.
        iso_week: ISO week of ``as_of``, e.g. ``"2026-W48"``.
        procedures_history: ``clinic_id, procedure, week, completed, scheduled``
            (procedures per ISO week; ``week`` is the Monday, datetime64).
        sessions_history: ``clinic_id, week, sessions`` (attended MLD sessions per week).
        forecast: ``clinic_id, week, series, mean, p10, p50, p90``; ``series`` is
            ``"sessions"`` or ``"procedures:<type>"``.
        committed: ``clinic_id, week, committed``: mean sessions owed to patients already
            operated on (part of the ``sessions`` forecast).
        staffing: ``STAFFING_COLUMNS`` plus ``hours_rostered`` (paid hours on the roster) and
            optionally ``therapist_hours_p10``, ``therapist_hours_p90`` (paid hours needed for
            the 10th and 90th percentile of session demand).
        models: ``clinic_id, procedure, model, fallback_reason`` (None when no fallback).
        ingest: one dict per raw file: ``path, kind, rows_read, rows_accepted,
            rows_quarantined, status, error``.
        settings: run settings shown as they are, e.g. ``service_level``,
            ``horizon_weeks``, ``hours_per_session``, ``fte_hours``, ``seed``.
    """

    as_of: date
    iso_week: str
    procedures_history: pd.DataFrame
    sessions_history: pd.DataFrame
    forecast: pd.DataFrame
    committed: pd.DataFrame
    staffing: pd.DataFrame
    models: pd.DataFrame
    ingest: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)


def render_html(data: ReportData) -> str:
    """The report as one self-contained HTML page (same data, same bytes)."""
    return _environment().get_template("report.html.j2").render(**_context(data))


def write_report(out_dir: Path, data: ReportData) -> Path:
    """Write ``out_dir/index.html`` atomically and return its path."""
    return write_text(Path(out_dir) / "index.html", render_html(data))


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("forecasting", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


# ----------------------------------------------------------------------------------------------
# View models: plain values, already formatted; the template only lays them out.


@dataclass(frozen=True)
class _Chart:
    title: str
    uri: str = ""
    alt: str = ""
    caption: str = ""
    note: str = ""


@dataclass(frozen=True)
class _Plan:
    """Staffing facts of one clinic over the horizon."""

    rows: pd.DataFrame  # staffing rows, sorted by week, plus a gap_hours column
    horizon: int
    short: pd.DataFrame  # rows whose gap rounds to at least one hour


@dataclass(frozen=True)
class _Clinic:
    name: str
    anchor: str
    short: bool
    headline: str
    evidence: list[str]
    notes: list[str]
    charts: list[_Chart]
    staffing_header: list[str]
    staffing_rows: list[dict[str, Any]]
    staffing_note: str
    summary: dict[str, Any]
    lead: pd.Timestamp | None  # first forecast week


def _context(data: ReportData) -> dict[str, Any]:
    as_of = pd.Timestamp(data.as_of)
    frames = _Frames.of(data)
    names = frames.clinics()
    horizon = int(data.settings.get("horizon_weeks") or 0) or frames.max_horizon()
    clinics = [_clinic(frames, name, f"clinic-{i}", as_of) for i, name in enumerate(names, start=1)]
    return {
        "iso_week": data.iso_week,
        "as_of": _day_month(as_of, None),
        "summary": _network_sentences(clinics, horizon),
        "service_note": _service_note(data.settings),
        "network_week": _network_week(clinics, as_of),
        "network_rows": [c.summary for c in clinics],
        "clinics": clinics,
        "freshness": _freshness(frames, names, as_of),
        "models": _model_rows(frames.models),
        "ingest": _ingest_rows(data.ingest),
        "ingest_totals": _ingest_totals(data.ingest),
        "settings": [(str(k), _setting(v)) for k, v in sorted(data.settings.items())],
    }


@dataclass(frozen=True)
class _Frames:
    """Input frames with ``clinic_id`` as text and ``week`` as Timestamps (copies)."""

    procedures: pd.DataFrame
    sessions: pd.DataFrame
    forecast: pd.DataFrame
    committed: pd.DataFrame
    staffing: pd.DataFrame
    models: pd.DataFrame

    @classmethod
    def of(cls, data: ReportData) -> _Frames:
        return cls(
            procedures=_norm(data.procedures_history, "procedures_history", _REQUIRED_PROC),
            sessions=_norm(data.sessions_history, "sessions_history", [CLINIC, WEEK, SESSIONS]),
            forecast=_norm(data.forecast, "forecast", [CLINIC, WEEK, SERIES, P10, P50, P90]),
            committed=_norm(data.committed, "committed", [CLINIC, WEEK, COMMITTED]),
            staffing=_norm(data.staffing, "staffing", [*STAFFING_COLUMNS, HOURS_ROSTERED]),
            models=_norm(data.models, "models", [CLINIC, PROCEDURE, MODEL]),
        )

    def clinics(self) -> list[str]:
        ids: set[str] = set()
        for frame in (
            self.procedures,
            self.sessions,
            self.forecast,
            self.committed,
            self.staffing,
            self.models,
        ):
            ids.update(frame[CLINIC].tolist())
        return sorted(ids)

    def max_horizon(self) -> int:
        if self.staffing.empty:
            return 0
        return int(self.staffing.groupby(CLINIC)[WEEK].nunique().max())

    def of_clinic(self, frame: pd.DataFrame, clinic: str) -> pd.DataFrame:
        return frame[frame[CLINIC] == clinic]


def _norm(frame: pd.DataFrame, name: str, required: Sequence[str]) -> pd.DataFrame:
    """A copy with ``clinic_id`` as text and ``week`` as datetime64.

    An empty frame may lack columns (they are added); a non-empty one must have them all.
    """
    missing = [c for c in required if c not in frame.columns]
    if missing and not frame.empty:
        raise ValueError(f"ReportData.{name} lacks column(s) {missing}; it needs {list(required)}.")
    out = frame.copy()
    for col in missing:
        out[col] = pd.Series(dtype=object)
    out[CLINIC] = out[CLINIC].astype(str)
    if WEEK in out.columns:
        out[WEEK] = pd.to_datetime(out[WEEK])
    return out


def _clinic(frames: _Frames, name: str, anchor: str, as_of: pd.Timestamp) -> _Clinic:
    sessions_fc = frames.of_clinic(frames.forecast, name)
    proc_fc = sessions_fc[sessions_fc[SERIES].str.startswith(_PROCEDURE_PREFIX)]
    sessions_fc = sessions_fc[sessions_fc[SERIES] == SESSIONS].sort_values(WEEK)
    committed = frames.of_clinic(frames.committed, name).sort_values(WEEK)
    plan = _plan(frames.of_clinic(frames.staffing, name))
    start = _monday(as_of) - pd.Timedelta(weeks=HISTORY_WEEKS)
    s_hist = _window(frames.of_clinic(frames.sessions, name), start, as_of)
    p_hist = _window(frames.of_clinic(frames.procedures, name), start, as_of)
    models = frames.of_clinic(frames.models, name)

    weeks = [w for w in (_first(sessions_fc), _first(plan.rows)) if w is not None]
    lead = min(weeks) if weeks else None
    label = _week_label(lead, as_of)
    lead_fc = sessions_fc[sessions_fc[WEEK] == lead] if lead is not None else sessions_fc
    lead_row = plan.rows.iloc[0] if not plan.rows.empty else None

    headline, action = _headline(label, lead_fc, lead_row, lead, plan, as_of)
    evidence = _evidence(label, lead_fc, committed, lead, lead_row)
    notes = _notes(proc_fc, p_hist, s_hist, models, as_of)

    procs = _procedure_order(p_hist, proc_fc)
    chart_list = [
        _sessions_chart(name, s_hist, sessions_fc, committed, as_of),
        _procedures_chart(name, p_hist, proc_fc, procs),
        _hours_chart(name, plan),
    ]
    header, rows = _staffing_table(plan, as_of)
    return _Clinic(
        name=name,
        anchor=anchor,
        short=not plan.short.empty,
        headline=headline,
        evidence=evidence,
        notes=notes,
        charts=chart_list,
        staffing_header=header,
        staffing_rows=rows,
        staffing_note=(
            ""
            if rows
            else "No staffing figures for this clinic: the roster export may not list it, "
            "or there is no sessions forecast to size staff from."
        ),
        summary=_summary_row(name, anchor, lead_fc, lead_row, plan, action),
        lead=lead,
    )


def _plan(staffing: pd.DataFrame) -> _Plan:
    rows = staffing.sort_values(WEEK).reset_index(drop=True)
    if rows.empty:
        return _Plan(rows=rows.assign(gap_hours=[]), horizon=0, short=rows)
    rows = rows.assign(gap_hours=rows[HOURS_NEEDED] - rows[HOURS_ROSTERED])
    return _Plan(
        rows=rows,
        horizon=int(rows[WEEK].nunique()),
        short=rows[rows["gap_hours"] >= _MIN_GAP_HOURS],
    )


# ----------------------------------------------------------------------------------------------
# Words


def _headline(
    label: str,
    lead_fc: pd.DataFrame,
    lead_row: pd.Series | None,
    lead: pd.Timestamp | None,
    plan: _Plan,
    as_of: pd.Timestamp,
) -> tuple[str, str]:
    """The clinic's headline and the short action for the network table."""
    parts: list[str] = []
    if not lead_fc.empty:
        f = lead_fc.iloc[0]
        parts.append(f"{label}: about {_sessions(f[P50])} ({_int(f[P10])}{_DASH}{_int(f[P90])}).")
    elif lead_row is not None:
        parts.append(f"{label}: about {_sessions(lead_row['sessions_p50'])}.")
    if lead_row is None:
        parts.append(
            "No staffing figures for this clinic, so the roster cannot be checked; "
            "make sure the roster export lists it."
        )
        return " ".join(parts), "Check the roster export"
    prefix = (
        "Needs" if lead_row[WEEK] == lead else f"Week of {_day_month(lead_row[WEEK], as_of)}: needs"
    )
    parts.append(
        f"{prefix} {_int(lead_row[HOURS_NEEDED])} therapist hours "
        f"({_fte(lead_row['fte_needed'])} FTE); {_int(lead_row[HOURS_ROSTERED])} rostered."
    )
    horizon = _weeks_phrase(plan.horizon)
    if plan.short.empty:
        parts.append(f"Roster covers expected demand for {horizon}.")
        return " ".join(parts), f"None: roster covers {horizon}"
    first = plan.short.iloc[0]
    worst = plan.short.loc[plan.short["gap_hours"].idxmax()]
    sentence = (
        f"Add about {_hours(first['gap_hours'])} in the week of {_day_month(first[WEEK], as_of)}"
    )
    if worst[WEEK] != first[WEEK]:
        sentence += (
            f"; the largest gap is about {_hours(worst['gap_hours'])} "
            f"({_fte(worst['fte_gap'])} FTE) in the week of {_day_month(worst[WEEK], as_of)}"
        )
    parts.append(sentence + ".")
    if len(plan.short) == plan.horizon > 1:
        parts.append(f"Short in all of {horizon}.")
    elif len(plan.short) > 1:
        parts.append(f"Short in {len(plan.short)} of {horizon}.")
    action = f"Add about {_int(first['gap_hours'])} h (week of {_day_month(first[WEEK], as_of)})"
    if len(plan.short) > 1:
        action += f"; short in {len(plan.short)} of {plan.horizon} weeks"
    return " ".join(parts), action


def _evidence(
    label: str,
    lead_fc: pd.DataFrame,
    committed: pd.DataFrame,
    lead: pd.Timestamp | None,
    lead_row: pd.Series | None,
) -> list[str]:
    out: list[str] = []
    when = _when(label)
    lead_committed = committed[committed[WEEK] == lead] if lead is not None else committed
    if not lead_fc.empty and not lead_committed.empty:
        owed = _int(lead_committed.iloc[0][COMMITTED])
        whose = f"{when}'s" if when in ("next week", "this week") else f"the {when}'s"
        out.append(
            f"About {owed} of {whose} sessions are owed to patients already operated on; "
            "the rest depend on procedures still to come."
        )
    if lead_row is not None:
        unmet, idle = lead_row["expected_unmet_sessions"], lead_row["expected_idle_hours"]
        unmet_text = (
            "no unmet sessions"
            if not _missing(unmet) and float(unmet) < 0.05
            else f"about {_one(unmet)} unmet sessions"
        )
        idle_text = (
            "no idle therapist hours"
            if not _missing(idle) and _whole(idle) == 0
            else f"about {_counted(idle, 'idle therapist hour')}"
        )
        out.append(
            f"The hours needed are sized for {_int(lead_row['sessions_target'])} sessions, the "
            f"service-level target. With the current roster, expect {unmet_text} and "
            f"{idle_text} {_when(label, True)}."
        )
    return out


def _notes(
    proc_fc: pd.DataFrame,
    p_hist: pd.DataFrame,
    s_hist: pd.DataFrame,
    models: pd.DataFrame,
    as_of: pd.Timestamp,
) -> list[str]:
    out: list[str] = []
    if proc_fc.empty and not p_hist.empty:
        out.append(
            "No procedure forecast for this clinic: the procedures chart shows history only."
        )
    fallbacks = int(_fallback_mask(models).sum()) if not models.empty else 0
    if fallbacks:
        out.append(
            f"{fallbacks} procedure series {'uses' if fallbacks == 1 else 'use'} a fallback "
            "model (see Data and models)."
        )
    for what, frame, col in (("procedure", p_hist, COMPLETED), ("session", s_hist, SESSIONS)):
        latest = _latest(frame, col)
        behind = _weeks_behind(latest, as_of)
        if latest is None:
            out.append(f"No {what} data in the last {HISTORY_WEEKS} weeks.")
        elif behind >= 2:
            out.append(
                f"Latest {what} data is from the week of {_day_month(latest, as_of)}, "
                f"{behind} weeks before the cut-off: check the {what}s export."
            )
    return out


def _network_sentences(clinics: Sequence[_Clinic], horizon: int) -> list[str]:
    if not clinics:
        return ["No clinic has data for this week's report."]
    short = [c.name for c in clinics if c.short]
    missing = [c.name for c in clinics if not c.staffing_rows]
    n = len(clinics)
    if short:
        verb = "needs" if len(short) == 1 else "need"
        out = [
            f"{len(short)} of {n} clinics {verb} more therapist hours in "
            f"{_weeks_phrase(horizon)}: {', '.join(short)}."
        ]
    elif len(missing) == n:
        out = []
    elif missing:
        out = [f"No clinic with staffing figures is short in {_weeks_phrase(horizon)}."]
    else:
        out = [f"Every clinic's roster covers expected demand for {_weeks_phrase(horizon)}."]
    if missing:
        out.append(f"No staffing figures for: {', '.join(missing)}.")
    return out


def _network_week(clinics: Sequence[_Clinic], as_of: pd.Timestamp) -> str:
    """Label of the week the network table shows, e.g. ``Next week (1 Dec)``."""
    leads = sorted({c.lead for c in clinics if c.lead is not None})
    if not leads:
        return "Next week"
    label = _week_label(leads[0], as_of)
    if label.startswith("Week of"):
        return label
    return f"{label} ({_day_month(leads[0], as_of, short_month=True)})"


def _service_note(settings: dict[str, Any]) -> str:
    level = settings.get("service_level")
    text = (
        "Sessions are the median forecast with the p10–p90 range (8 weeks in 10 should fall "
        "inside it). "
    )
    if isinstance(level, int | float):
        text += (
            f"Therapist hours cover the {_ordinal(round(level * 100))} percentile of session "
            f"demand (service level {level:g}), so demand should fit the hours needed in about "
            f"{round(level * 10)} weeks in 10."
        )
    else:
        text += "Therapist hours cover the service-level quantile of session demand."
    return text


# ----------------------------------------------------------------------------------------------
# Tables


def _summary_row(
    name: str,
    anchor: str,
    lead_fc: pd.DataFrame,
    lead_row: pd.Series | None,
    plan: _Plan,
    action: str,
) -> dict[str, Any]:
    if not lead_fc.empty:
        f = lead_fc.iloc[0]
        p50, rng = _int(f[P50]), f"{_int(f[P10])}{_DASH}{_int(f[P90])}"
    elif lead_row is not None:
        p50, rng = _int(lead_row["sessions_p50"]), _NONE
    else:
        p50, rng = _NONE, _NONE
    row = {"name": name, "anchor": anchor, "p50": p50, "range": rng, "action": action}
    if lead_row is None:
        return {**row, "needed": _NONE, "rostered": _NONE, "gap": _NONE, "short": False}
    gap = float(lead_row["gap_hours"])
    return {
        **row,
        "needed": _int(lead_row[HOURS_NEEDED]),
        "rostered": _int(lead_row[HOURS_ROSTERED]),
        "gap": f"{_int(gap)} short" if gap >= _MIN_GAP_HOURS else "none",
        "short": not plan.short.empty,
    }


def _staffing_table(plan: _Plan, as_of: pd.Timestamp) -> tuple[list[str], list[dict[str, Any]]]:
    band = {HOURS_P10, HOURS_P90} <= set(plan.rows.columns)
    header = ["Week", "Sessions p50", "Sessions target", "Hours needed"]
    header += ["Hours p10–p90"] if band else []
    header += [
        "Hours rostered",
        "Gap (hours)",
        "FTE needed",
        "FTE rostered",
        "FTE gap",
        "Unmet sessions",
        "Idle hours",
    ]
    rows = []
    for r in plan.rows.itertuples(index=False):
        r = r._asdict()
        short = r["gap_hours"] >= _MIN_GAP_HOURS
        cells = [
            _day_month(r[WEEK], as_of, short_month=True),
            _int(r["sessions_p50"]),
            _int(r["sessions_target"]),
            _int(r[HOURS_NEEDED]),
        ]
        cells += [f"{_int(r[HOURS_P10])}{_DASH}{_int(r[HOURS_P90])}"] if band else []
        cells += [
            _int(r[HOURS_ROSTERED]),
            f"{_int(r['gap_hours'])} short" if short else "none",
            _fte(r["fte_needed"]),
            _fte(r["fte_rostered"]),
            _signed(r["fte_gap"]),
            _one(r["expected_unmet_sessions"]),
            _int(r["expected_idle_hours"]),
        ]
        rows.append({"cells": cells, "short": bool(short)})
    return header, rows


def _freshness(frames: _Frames, names: Sequence[str], as_of: pd.Timestamp) -> list[dict]:
    rows = []
    for name in names:
        cells = {"name": name}
        for key, frame, col in (
            ("procedures", frames.procedures, COMPLETED),
            ("sessions", frames.sessions, SESSIONS),
        ):
            latest = _latest(_window(frames.of_clinic(frame, name), None, as_of), col)
            behind = _weeks_behind(latest, as_of)
            cells[key] = _NONE if latest is None else _iso_date(latest)
            cells[f"{key}_behind"] = (
                "no data"
                if latest is None
                else "up to date"
                if behind <= 0
                else f"{behind} week{'s' if behind != 1 else ''} behind"
            )
            cells[f"{key}_stale"] = latest is None or behind >= 2
        rows.append(cells)
    return rows


def _model_rows(models: pd.DataFrame) -> list[dict[str, Any]]:
    if models.empty:
        return []
    m = models.sort_values([CLINIC, PROCEDURE])
    fallback = _fallback_mask(m)
    return [
        {
            "clinic": r[CLINIC],
            "series": procedure_series(str(r[PROCEDURE])),
            "model": str(r[MODEL]),
            "fallback": str(r[FALLBACK_REASON]) if fb else "",
        }
        for (_, r), fb in zip(m.iterrows(), fallback, strict=True)
    ]


def _ingest_rows(ingest: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for item in ingest:
        status = str(item.get("status") or "")
        rows.append(
            {
                "path": str(item.get("path") or ""),
                "kind": str(item.get("kind") or _NONE),
                "read": _count(item.get("rows_read")),
                "accepted": _count(item.get("rows_accepted")),
                "quarantined": _count(item.get("rows_quarantined")),
                "status": status,
                "error": str(item.get("error") or ""),
                "bad": status != "ok" or bool(item.get("rows_quarantined")),
            }
        )
    return rows


def _ingest_totals(ingest: Sequence[dict[str, Any]]) -> dict[str, str]:
    def total(key: str) -> str:
        return _count(sum(int(i.get(key) or 0) for i in ingest))

    return {k: total(f"rows_{k}") for k in ("read", "accepted", "quarantined")}


# ----------------------------------------------------------------------------------------------
# Charts


def _sessions_chart(
    name: str, hist: pd.DataFrame, fc: pd.DataFrame, committed: pd.DataFrame, as_of: pd.Timestamp
) -> _Chart:
    title = "Sessions per week"
    if hist.empty and fc.empty:
        return _Chart(title, note="No session history or sessions forecast for this clinic.")
    png = charts.sessions_chart(hist, fc, committed, as_of.date())
    return _Chart(
        title,
        uri=charts.to_data_uri(png),
        alt=f"Sessions per week at clinic {name}: last {HISTORY_WEEKS} weeks and forecast.",
        caption=(
            "Solid line: booked sessions (attended or no-show). Dashed line and shaded "
            "band: forecast median and p10–p90 range. Hatched area, dotted edge: "
            "sessions owed to patients already operated on. The vertical line marks the "
            "data cut-off."
        ),
    )


def _procedures_chart(
    name: str, hist: pd.DataFrame, fc: pd.DataFrame, order: Sequence[str]
) -> _Chart:
    title = "Procedures per week, by type"
    if not order:
        return _Chart(title, note="No procedure history or procedure forecast for this clinic.")
    h = (
        hist.groupby([PROCEDURE, WEEK], as_index=False)[COMPLETED].sum()
        if not hist.empty
        else pd.DataFrame(columns=[PROCEDURE, WEEK, COMPLETED])
    )
    f = fc.assign(**{PROCEDURE: fc[SERIES].str.removeprefix(_PROCEDURE_PREFIX)})
    png = charts.procedures_chart(h, f, order)
    return _Chart(
        title,
        uri=charts.to_data_uri(png),
        alt=f"Completed procedures per week by type at clinic {name}, with forecast.",
        caption=(
            "Solid line: completed procedures. Dashed line and shaded band: forecast median and "
            "p10–p90 range."
        ),
    )


def _hours_chart(name: str, plan: _Plan) -> _Chart:
    title = "Therapist hours needed vs rostered"
    if plan.rows.empty:
        return _Chart(title, note="No staffing figures for this clinic, so no hours chart.")
    png = charts.hours_chart(plan.rows)
    return _Chart(
        title,
        uri=charts.to_data_uri(png),
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


# ----------------------------------------------------------------------------------------------
# Small helpers


def _window(frame: pd.DataFrame, start: pd.Timestamp | None, end: pd.Timestamp) -> pd.DataFrame:
    if frame.empty:
        return frame
    keep = frame[WEEK] < end
    if start is not None:
        keep &= frame[WEEK] >= start
    return frame[keep]


def _first(frame: pd.DataFrame) -> pd.Timestamp | None:
    return None if frame.empty else pd.Timestamp(frame[WEEK].min())


def _latest(frame: pd.DataFrame, col: str) -> pd.Timestamp | None:
    if frame.empty or col not in frame.columns:
        return None
    weeks = frame.loc[frame[col] > 0, WEEK]
    return None if weeks.empty else pd.Timestamp(weeks.max())


def _weeks_behind(latest: pd.Timestamp | None, as_of: pd.Timestamp) -> int:
    """Whole weeks between ``latest`` and the last week that ends before the cut-off."""
    if latest is None:
        return 0
    expected = _monday(as_of - pd.Timedelta(days=1))
    return max((expected - latest).days // 7, 0)


def _fallback_mask(models: pd.DataFrame) -> pd.Series:
    if FALLBACK_REASON not in models.columns:
        return pd.Series(False, index=models.index)
    reason = models[FALLBACK_REASON]
    return reason.notna() & (reason.astype(str).str.strip() != "")


def _monday(ts: pd.Timestamp) -> pd.Timestamp:
    ts = pd.Timestamp(ts).normalize()
    return ts - pd.Timedelta(days=ts.weekday())


def _week_label(week: pd.Timestamp | None, as_of: pd.Timestamp) -> str:
    if week is None:
        return "Next week"
    this = _monday(as_of)
    if week == this + pd.Timedelta(weeks=1):
        return "Next week"
    if week == this:
        return "This week"
    return f"Week of {_day_month(week, as_of)}"


def _day_month(d: Any, as_of: pd.Timestamp | None, short_month: bool = False) -> str:
    """``1 December``; the year is added when it differs from the cut-off's (or always)."""
    ts = pd.Timestamp(d)
    month = _MONTHS[ts.month - 1]
    text = f"{ts.day} {month[:3] if short_month else month}"
    if as_of is None or ts.year != pd.Timestamp(as_of).year:
        text += f" {ts.year}"
    return text


def _iso_date(d: Any) -> str:
    return pd.Timestamp(d).date().isoformat()


def _when(label: str, adverbial: bool = False) -> str:
    """``Next week`` -> ``next week``; ``Week of 1 December`` -> ``week of 1 December``
    (``in the week of 1 December`` when ``adverbial``)."""
    if label in ("Next week", "This week"):
        return label.lower()
    return ("in the " if adverbial else "") + label[0].lower() + label[1:]


def _weeks_phrase(n: int) -> str:
    if n == 1:
        return "next week"
    return f"the next {n} weeks"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or bool(pd.isna(x))


def _whole(x: Any) -> int:
    """Round half away from zero (Python's round() rounds 26.5 to 26)."""
    x = float(x)
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def _int(x: Any) -> str:
    return _NONE if _missing(x) else f"{_whole(x):,}".replace("-", _MINUS)


def _count(x: Any) -> str:
    return _NONE if _missing(x) else f"{int(x):,}"


def _one(x: Any) -> str:
    if _missing(x):
        return _NONE
    text = f"{float(x):.1f}"
    return "0.0" if text == "-0.0" else text.replace("-", _MINUS)


def _fte(x: Any) -> str:
    return _one(x)


def _signed(x: Any) -> str:
    text = _one(x)
    if text in (_NONE, "0.0") or text.startswith(_MINUS):
        return text
    return "+" + text


def _counted(x: Any, noun: str) -> str:
    n = _int(x)
    return f"{n} {noun}{'' if n == '1' else 's'}"


def _sessions(x: Any) -> str:
    return _counted(x, "session")


def _hours(x: Any) -> str:
    return _counted(x, "therapist hour")


def _setting(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


__all__ = ["ReportData", "render_html", "write_report"]
