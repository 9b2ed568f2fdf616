"""The weekly report (reports/<ISO week>/index.html): decision first, evidence second, trust last.

``build_view`` turns a ``ReportData`` into a ``ReportView``: plain, already formatted values
(sentences from ``report_text``, chart PNGs from ``charts``, past accuracy from
``report_accuracy``, tables as strings). The HTML page (``render_html``), the PDF and the XLSX
(``exports``) and the Prefect artifacts all lay out the same view, so they say the same thing.

The page is self-contained (charts as base64 PNG data URIs, inline CSS, no script), so it
fetches nothing when opened. Every value reaches the HTML through Jinja2 with autoescape on.
The same ``ReportData`` gives byte-identical HTML: no timestamps, no random ids, sorted order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from forecasting.calendar import week_start
from forecasting.columns import CLINIC, P10, P50, P90, SERIES, SESSIONS, WEEK, procedure_series
from forecasting.config import ReportConfig
from forecasting.errors import ConfigError
from forecasting.io import write_text
from forecasting.report import text as T
from forecasting.report.accuracy import Archive, accuracy, compare
from forecasting.report.parts import (
    Chart,
    Frames,
    Row,
    Table,
    clinic_charts,
    freshness,
    ingest_table,
    model_table,
    staffing_table,
)
from forecasting.workers import process_pool, worker_count

__all__ = [
    "ClinicView",
    "ReportData",
    "ReportView",
    "build_view",
    "chart_pool",
    "draw_charts",
    "find_report",
    "render_html",
    "write_report",
]

_WEEK_DIR = re.compile(r"^\d{4}-W\d{2}$")
# A worker process costs about a second to start (it imports pandas and matplotlib), the time
# to draw some 30 charts: fewer charts per worker than this are drawn in the running process.
_CHARTS_PER_WORKER = 40
_CHUNK = 8  # charts sent to a worker at a time: few messages, and the workers finish together
_PROCEDURE_PREFIX = procedure_series("")


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
        archive: forecasts archived by earlier runs (``report_accuracy.load_archive``).
        notes: per clinic, why its forecast is less certain (shown under its headline).
        options: what the report shows and when it warns (``[report]`` in lymphcast.toml).
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
    archive: Archive = field(default_factory=Archive)
    notes: dict[str, str] = field(default_factory=dict)
    options: ReportConfig = field(default_factory=ReportConfig)
    horizon_totals: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass(frozen=True)
class ClinicView:
    """One clinic's section: the decision, then the evidence."""

    name: str
    anchor: str
    status: str  # short | ok | check
    action: str
    lines: list[str]
    evidence: list[str]
    notes: list[str]
    charts: list[Chart]
    accuracy: str
    accuracy_table: Table | None
    staffing: Table | None
    staffing_note: str
    summary: Row  # this clinic's row of the network table
    lead: pd.Timestamp | None

    @property
    def tag(self) -> str:
        return {"short": "Action", "ok": "Covered", "check": "Check"}[self.status]


@dataclass(frozen=True)
class ReportView:
    """The whole report as formatted values, in reading order."""

    iso_week: str
    as_of: str
    summary: list[str]
    trust_line: str
    network: Table
    network_note: str
    network_accuracy: str
    clinics: list[ClinicView]
    freshness: Table
    freshness_warnings: list[str]
    quarantine: str
    models: Table
    fallbacks: str
    ingest: Table
    archive_notes: list[str]
    settings: list[tuple[str, str]]

    @property
    def title(self) -> str:
        return f"MLD sessions and therapist staffing, {self.iso_week}"

    def summary_record(self) -> dict[str, Any]:
        """The decisions as plain JSON values (run manifest, Prefect artifacts)."""
        return {
            "iso_week": self.iso_week,
            "as_of": self.as_of,
            "headline": list(self.summary),
            "trust": self.trust_line,
            "accuracy": self.network_accuracy,
            "clinics": [
                {"clinic_id": c.name, "status": c.status, "action": c.action, "lines": c.lines}
                for c in self.clinics
            ],
        }


def build_view(data: ReportData) -> ReportView:
    """Format everything the report shows (same data, same view)."""
    as_of = pd.Timestamp(data.as_of)
    frames = Frames.of(data)
    names = frames.clinics()
    horizon = int(data.settings.get("horizon_weeks") or 0) or frames.max_horizon()
    comparison = compare(
        data.archive.forecasts,
        frames.sessions,
        week_start(as_of),
        data.options.accuracy_weeks,
    )
    fresh, stale = freshness(frames, names, as_of, data.options.max_missing_weeks)
    clinics = [
        _clinic(data, frames, comparison, stale.get(name, []), name, f"clinic-{i}", as_of)
        for i, name in enumerate(names, start=1)
    ]
    week = T.network_week([c.lead for c in clinics if c.lead is not None], as_of)
    network_header = [
        "Clinic",
        "Action",
        f"Sessions {week[0].lower()}{week[1:]}",
        "Range p10–p90",
        "Hours needed",
        "Hours rostered",
        "Gap (hours)",
    ]
    warnings = [f"{name}: {'; '.join(items)}." for name, items in sorted(stale.items())]
    return ReportView(
        iso_week=data.iso_week,
        as_of=T.day_month(as_of, None),
        summary=T.network_sentences(names, [c.status for c in clinics], horizon),
        trust_line=_trust_line(stale, data.ingest, frames.models),
        network=Table(
            header=network_header,
            rows=[c.summary for c in clinics],
            text_columns=frozenset({1}),
            labels=["Clinic", "Action", "Sessions", "Range", "Hours needed", "Rostered", "Gap"],
        ),
        network_note=(
            f"{T.service_note(data.settings.get('service_level'))} Gap = hours needed minus "
            "hours rostered, for the week shown; the action names the first week with a gap."
        ),
        network_accuracy=_network_accuracy(comparison, data.options.accuracy_weeks),
        clinics=clinics,
        freshness=fresh,
        freshness_warnings=warnings,
        quarantine=_quarantine_sentence(data.ingest),
        models=model_table(frames.models),
        fallbacks=_fallback_sentence(frames.models),
        ingest=ingest_table(data.ingest),
        archive_notes=list(data.archive.unreadable),
        settings=[(str(k), _setting(v)) for k, v in sorted(data.settings.items())],
    )


def draw_charts(view: ReportView, executor: Executor | None = None) -> ReportView:
    """The view with every chart drawn, by ``executor`` (e.g. ``chart_pool``) or in this process.

    Charts are lazy (``Chart.draw`` is a picklable call of a ``charts`` function on small
    frames), so a process pool can draw them; they come back in order, and each chart's bytes
    depend only on its own frames, so the view is the same whoever drew it. If the pool breaks
    (a worker killed), the charts it did not return are drawn here.
    """
    todo = [c.draw for clinic in view.clinics for c in clinic.charts if c.draw is not None]
    pngs: list[bytes] = []
    if executor is not None and todo:
        try:
            for png in executor.map(_call, todo, chunksize=_CHUNK):
                pngs.append(png)
        except BrokenProcessPool:
            pass  # the charts returned before the pool broke are kept; the rest are drawn here
    pngs.extend(draw() for draw in todo[len(pngs) :])
    drawn = iter(pngs)
    clinics = [
        replace(c, charts=[ch.drawn(next(drawn)) if ch.draw is not None else ch for ch in c.charts])
        for c in view.clinics
    ]
    return replace(view, clinics=clinics)


@contextmanager
def chart_pool(workers: int, charts: int) -> Iterator[Executor | None]:
    """A process pool to draw ``charts`` charts with, or None to draw them in this process.

    Args:
        workers: ``[report] chart_workers``: 0 = one per CPU this process may use, 1 = none.
        charts: how many charts there are: a small report is drawn in this process, since
            starting a worker costs about as much as drawing 30 charts.

    None, too, inside a daemonic process (a Dask worker's), which may not start processes.
    The pool forks its workers from a fork server, which is safe in a process with threads
    (a Prefect flow); scripts that draw a large report need the ``__main__`` guard. The
    workers start (and import matplotlib) at once, so entering the pool before building the
    view overlaps the two.
    """
    n = worker_count(workers, charts // _CHARTS_PER_WORKER)
    if n < 2:
        yield None
        return
    with process_pool(n) as pool:
        for _ in range(n):
            pool.submit(_ready)
        yield pool


def _call(draw: Callable[[], bytes]) -> bytes:
    return draw()


def _ready() -> None:
    """Nothing: a worker that runs it has started and imported this module (and matplotlib)."""


def render_html(data: ReportData | ReportView) -> str:
    """The report as one self-contained HTML page (same data, same bytes)."""
    view = data if isinstance(data, ReportView) else build_view(data)
    return _environment().get_template("report.html.j2").render(view=view)


def write_report(out_dir: Path, data: ReportData | ReportView) -> Path:
    """Write ``out_dir/index.html`` atomically and return its path."""
    return write_text(Path(out_dir) / "index.html", render_html(data))


def find_report(reports_dir: Path, week: str | None = None) -> Path:
    """``index.html`` of the report for ``week`` (``YYYY-Www``), or of the latest week.

    Raises:
        ConfigError: the week is malformed, or there is no such report (names the fix).
    """
    reports_dir = Path(reports_dir)
    if week is not None:
        if not _WEEK_DIR.match(week):
            raise ConfigError(
                f"--week {week!r} is not an ISO week; write it as YYYY-Www, e.g. 2026-W48."
            )
        path = reports_dir / week / "index.html"
        if not path.is_file():
            raise ConfigError(
                f"There is no report for {week} in {reports_dir}; run `lymphcast weekly "
                "--as-of <a date in that week>` to make it."
            )
        return path
    weeks = sorted(
        p.parent.name for p in reports_dir.glob("*/index.html") if _WEEK_DIR.match(p.parent.name)
    )
    if not weeks:
        raise ConfigError(
            f"There is no report in {reports_dir}; run `lymphcast weekly` first "
            "(or pass --reports with the directory that holds the reports)."
        )
    return reports_dir / weeks[-1] / "index.html"


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("forecasting.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


# ----------------------------------------------------------------------------------------------
# One clinic


def _clinic(
    data: ReportData,
    frames: Frames,
    comparison: pd.DataFrame,
    stale: list[str],
    name: str,
    anchor: str,
    as_of: pd.Timestamp,
) -> ClinicView:
    forecast = frames.of_clinic(frames.forecast, name)
    proc_fc = forecast[forecast[SERIES].str.startswith(_PROCEDURE_PREFIX)]
    sessions_fc = forecast[forecast[SERIES] == SESSIONS].sort_values(WEEK)
    committed = frames.of_clinic(frames.committed, name).sort_values(WEEK)
    plan = T.StaffingPlan.of(frames.of_clinic(frames.staffing, name))

    weeks = [w for w in (_first(sessions_fc), _first(plan.rows)) if w is not None]
    lead = min(weeks) if weeks else None
    label = T.week_label(lead, as_of)
    lead_fc = sessions_fc[sessions_fc[WEEK] == lead] if lead is not None else sessions_fc
    lead_row = plan.rows.iloc[0] if not plan.rows.empty else None
    lead_committed = committed[committed[WEEK] == lead] if lead is not None else committed

    total = frames.of_clinic(frames.horizon_totals, name)
    total_row = total.iloc[0] if not total.empty else None
    decided = T.decision(label, lead_fc, lead_row, lead, plan, sessions_fc, as_of, total_row)
    past = comparison[comparison[CLINIC] == name]
    score = accuracy(past)
    wanted = data.options.accuracy_weeks
    accuracy_text = (
        score.sentence(wanted, who="past forecasts")
        if score is not None
        else "No archived forecast covers a completed week yet for this clinic: this fills in "
        "as weekly runs are archived."
    )
    evidence = T.evidence(label, lead_fc, lead_committed, lead_row)
    if score is not None:
        evidence.append(accuracy_text)
    header, rows = staffing_table(plan, as_of)
    return ClinicView(
        name=name,
        anchor=anchor,
        status=decided.status,
        action=decided.action,
        lines=decided.lines,
        evidence=evidence,
        notes=_notes(data, frames, proc_fc, stale, name),
        charts=clinic_charts(
            frames, name, sessions_fc, proc_fc, committed, plan, as_of, data.options.history_weeks
        ),
        accuracy=accuracy_text,
        accuracy_table=_accuracy_table(past, as_of) if score is not None else None,
        staffing=Table(header=header, rows=rows) if rows else None,
        staffing_note=(
            ""
            if rows
            else "No staffing figures for this clinic: the roster export may not list it, "
            "or there is no sessions forecast to size staff from."
        ),
        summary=_summary_row(name, anchor, lead_fc, lead_row, decided),
        lead=lead,
    )


def _notes(
    data: ReportData, frames: Frames, proc_fc: pd.DataFrame, stale: list[str], name: str
) -> list[str]:
    out: list[str] = []
    note = data.notes.get(name)
    if note:
        out.append(note[0].upper() + note[1:] + ("" if note.endswith(".") else "."))
    if proc_fc.empty and not frames.of_clinic(frames.procedures, name).empty:
        out.append(
            "No procedure forecast for this clinic: the procedures chart shows history only."
        )
    models = frames.of_clinic(frames.models, name)
    fallbacks = int(_fallback_mask(models).sum()) if not models.empty else 0
    if fallbacks:
        out.append(
            f"{fallbacks} procedure series {'uses' if fallbacks == 1 else 'use'} a fallback "
            "model (see Data and models)."
        )
    out += [s[0].upper() + s[1:] + "." for s in stale]
    return out


def _summary_row(
    name: str,
    anchor: str,
    lead_fc: pd.DataFrame,
    lead_row: pd.Series | None,
    decided: T.Decision,
) -> Row:
    if not lead_fc.empty:
        f = lead_fc.iloc[0]
        p50, rng = T.fmt_int(f[P50]), f"{T.fmt_int(f[P10])}{T.DASH}{T.fmt_int(f[P90])}"
    elif lead_row is not None:
        p50, rng = T.fmt_int(lead_row["sessions_p50"]), T.NONE
    else:
        p50, rng = T.NONE, T.NONE
    if lead_row is None:
        needed = rostered = gap = T.NONE
    else:
        gap_hours = float(lead_row[T.GAP_HOURS])
        needed = T.fmt_int(lead_row[T.HOURS_NEEDED])
        rostered = T.fmt_int(lead_row[T.HOURS_ROSTERED])
        gap = f"{T.fmt_int(gap_hours)} short" if gap_hours >= T.MIN_GAP_HOURS else "none"
    mark = {"short": "short", "check": "warn"}.get(decided.status, "")
    return Row(
        cells=[name, decided.short_action, p50, rng, needed, rostered, gap],
        mark=mark,
        link=anchor,
    )


def _accuracy_table(past: pd.DataFrame, as_of: pd.Timestamp) -> Table:
    rows = []
    for r in past.sort_values(WEEK).itertuples(index=False):
        r = r._asdict()
        err = float(r[P50]) - float(r["actual"])
        inside = float(r[P10]) <= float(r["actual"]) <= float(r[P90])
        rows.append(
            Row(
                cells=[
                    T.day_month(r[WEEK], as_of, short_month=True),
                    T.day_month(r["issued"], as_of, short_month=True),
                    T.fmt_int(r[P50]),
                    f"{T.fmt_int(r[P10])}{T.DASH}{T.fmt_int(r[P90])}",
                    T.fmt_int(r["actual"]),
                    ("+" if T.whole(err) > 0 else "") + T.fmt_int(err),
                    "yes" if inside else "no",
                ],
                mark="" if inside else "warn",
            )
        )
    return Table(
        header=[
            "Week",
            "Forecast made",
            "Forecast p50",
            "Range p10–p90",
            "Actual",
            "Forecast − actual",
            "In range",
        ],
        rows=rows,
        text_columns=frozenset({6}),
    )


# ----------------------------------------------------------------------------------------------
# Network-wide sentences


def _network_accuracy(comparison: pd.DataFrame, wanted: int) -> str:
    score = accuracy(comparison)
    if score is None:
        return (
            "Past forecasts: none archived yet for a completed week, so their accuracy shows "
            "from a later run on."
        )
    clinics = comparison[CLINIC].nunique()
    weeks = comparison[WEEK].nunique()
    span = f"last {weeks} weeks" if weeks == wanted else f"{weeks} of the last {wanted} weeks"
    if score.wape is None:
        error = f"off by about {score.mean_abs_error:.0f} sessions a clinic-week on average"
    else:
        error = f"within {T.fmt_percent(score.wape)} of actual sessions on average"
    return (
        f"Past forecasts, {clinics} clinic{'s' if clinics != 1 else ''}, {span}: {error}; "
        f"{score.inside} of {score.weeks} clinic-weeks fell inside the p10–p90 range."
    )


def _trust_line(stale: dict[str, list[str]], ingest: Sequence[dict], models: pd.DataFrame) -> str:
    parts = []
    if stale:
        parts.append(f"late data for {', '.join(sorted(stale))}")
    else:
        parts.append("every clinic's data is up to date")
    quarantined = sum(int(i.get("rows_quarantined") or 0) for i in ingest)
    rejected = sum(1 for i in ingest if str(i.get("status") or "") != "ok")
    parts.append(f"{T.counted(quarantined, 'row')} quarantined")
    if rejected:
        parts.append(f"{T.counted(rejected, 'file')} rejected")
    fallbacks = int(_fallback_mask(models).sum()) if not models.empty else 0
    if fallbacks:
        parts.append(f"{fallbacks} of {len(models)} series on the fallback model")
    text = "; ".join(parts)
    return f"Data: {text} (see Data and models)."


def _quarantine_sentence(ingest: Sequence[dict]) -> str:
    if not ingest:
        return "No ingest records for this run."
    quarantined = sum(int(i.get("rows_quarantined") or 0) for i in ingest)
    with_rows = sum(1 for i in ingest if int(i.get("rows_quarantined") or 0))
    rejected = [i for i in ingest if str(i.get("status") or "") != "ok"]
    text = (
        f"{T.counted(quarantined, 'row')} quarantined this run"
        + (f", in {with_rows} of {len(ingest)} files" if quarantined else "")
        + "."
    )
    if rejected:
        text += f" {T.counted(len(rejected), 'file')} rejected whole (see the Error column)."
    if quarantined or rejected:
        text += " Quarantined rows are kept with their reason under data/processed/quarantine/."
    return text


def _fallback_sentence(models: pd.DataFrame) -> str:
    if models.empty:
        return "No model information for this run."
    fallbacks = int(_fallback_mask(models).sum())
    used = ", ".join(sorted({str(m) for m in models["model"]}))
    if not fallbacks:
        return f"{len(models)} procedure series, all on their configured model ({used})."
    verb = "uses" if fallbacks == 1 else "use"
    return (
        f"{fallbacks} of {len(models)} procedure series {verb} a fallback model, flagged below "
        "with the reason."
    )


# ----------------------------------------------------------------------------------------------
# Small helpers


def _first(frame: pd.DataFrame) -> pd.Timestamp | None:
    return None if frame.empty else pd.Timestamp(frame[WEEK].min())


def _fallback_mask(models: pd.DataFrame) -> pd.Series:
    if "fallback_reason" not in models.columns:
        return pd.Series(False, index=models.index)
    reason = models["fallback_reason"]
    return reason.notna() & (reason.astype(str).str.strip() != "")


def _setting(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, dict):
        return "; ".join(f"{k}: {_setting(x)}" for k, x in sorted(v.items())) or T.NONE
    if isinstance(v, list | tuple):
        return ", ".join(_setting(x) for x in v) or T.NONE
    return str(v)
