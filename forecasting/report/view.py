"""The report's view model: ``build_view`` turns a ``ReportData`` into a ``ReportView``.

A ``ReportView`` holds plain, already formatted values in reading order (decision first,
evidence second, trust last): sentences from ``text``, lazy charts from ``clinic_charts``, past
accuracy from ``accuracy``, tables as strings from ``tables``. The HTML page (``html``), the PDF
(``pdf``), the XLSX (``xlsx``) and the Prefect artifacts all lay out the same view, so they say
the same thing. The same data gives the same view.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from forecasting.calendar import week_start
from forecasting.columns import CLINIC, P10, P50, P90, SERIES, SESSIONS, WEEK, procedure_series
from forecasting.report import text as T
from forecasting.report.accuracy import accuracy, compare
from forecasting.report.clinic_charts import Chart, clinic_charts
from forecasting.report.clinic_ids import clinic_label, clinic_page_path
from forecasting.report.data import ReportData
from forecasting.report.frames import Frames
from forecasting.report.ingest_text import files_sentence
from forecasting.report.plan_views import ClinicShifts, RegionView, ScenarioView
from forecasting.report.service_views import ServicesView
from forecasting.report.stale import stale_action, stale_banner, weeks_old, without_advice
from forecasting.report.tables import (
    Row,
    Table,
    accuracy_table,
    freshness,
    ingest_table,
    model_table,
    staffing_table,
)
from forecasting.report.vocabulary import OtherNamesView, other_names_view
from forecasting.staffing import GAP_HOURS, HOURS_NEEDED, HOURS_ROSTERED, StaffingPlan, is_short

__all__ = ["ClinicView", "ReportView", "build_view"]

_PROCEDURE_PREFIX = procedure_series("")


@dataclass(frozen=True)
class ClinicView:
    """One clinic's section: the decision, then the evidence."""

    name: str
    anchor: str
    page: str  # its page, relative to index.html (clinic_ids.clinic_page_path)
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
    shifts: ClinicShifts | None = None  # next week's shift plan (report/plans.py)
    display_name: str = ""  # from the clinics export (report/clinic_names.py)
    services: ServicesView | None = None  # several services only (report/services.py)

    @property
    def label(self) -> str:
        """The display name and the id, or the id (clinic_ids.clinic_label)."""
        return clinic_label(self.name, self.display_name)

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
    other_names: OtherNamesView
    models: Table
    fallbacks: str
    ingest: Table
    archive_notes: list[str]
    settings: list[tuple[str, str]]
    what_if: list[ScenarioView] = field(default_factory=list)  # report/plans.py
    regions: Table | None = None  # region and network roll-ups, a row each linking its page
    region_pages: list[RegionView] = field(default_factory=list)
    services: ServicesView | None = None  # several services only (report/services.py)

    @property
    def title(self) -> str:
        what = "MLD sessions" if self.services is None else "Sessions"  # several services
        return f"{what} and therapist staffing, {self.iso_week}"

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
            ],  # with several services, per skill where it is short and what would close it
            **({"skills": [*self.services.summary, *self.services.gaps]} if self.services else {}),
        }


def build_view(data: ReportData) -> ReportView:
    """Format everything the report shows (same data, same view)."""
    as_of = pd.Timestamp(data.as_of)
    frames = Frames.of(data)
    names = sorted({*frames.clinics(), *data.problems})  # a clinic with no data has a problem
    horizon = int(data.settings.horizon_weeks or 0) or frames.max_horizon()
    comparison = compare(
        data.archive.forecasts,
        frames.sessions,
        week_start(as_of),
        data.options.accuracy_weeks,
    )
    fresh, stale = freshness(frames, names, as_of, data.options.max_missing_weeks)
    # data older than report.max_missing_weeks: a banner first, no staffing advice for the clinic
    old = {
        n: w for n, w in weeks_old(frames, names, as_of).items()
        if w > data.options.max_missing_weeks
    }  # fmt: skip
    clinics = [
        _clinic(data, frames, comparison, stale.get(name, []), name, f"clinic-{i}", as_of)
        for i, name in enumerate(names, start=1)
    ]
    clinics = [
        without_advice(c, stale_action(old[c.name]), "Export again") if c.name in old
        else without_advice(c, _sentence(data.problems[c.name][0]), "Fix its data")
        if _no_figures(c, data) else c
        for c in clinics
    ]  # fmt: skip
    banner = stale_banner(old)
    week = T.network_week([c.lead for c in clinics if c.lead is not None], as_of)
    network_header = ["Clinic", "Action", f"Sessions {week[0].lower()}{week[1:]}",
                      "Range p10–p90", "Hours needed", "Hours rostered", "Gap (hours)"]  # fmt: skip
    warnings = [f"{name}: {'; '.join(items)}." for name, items in sorted(stale.items())]
    attention = T.problems_sentence(data.problems)
    unknown = other_names_view(data.other_names, data.options.other_names_warn_share)
    return ReportView(
        iso_week=data.iso_week,
        as_of=T.day_month(as_of, None),
        summary=([banner] if banner else [])
        + T.network_sentences(names, [c.status for c in clinics], horizon)
        + ([attention] if attention else []),
        trust_line=_trust_line(stale, data.ingest, frames.models, unknown.trust),
        network=Table(
            header=network_header,
            rows=[c.summary for c in clinics],
            text_columns=frozenset({1}),
            labels=["Clinic", "Action", "Sessions", "Range", "Hours needed", "Rostered", "Gap"],
        ),
        network_note=(
            f"{T.service_note(data.settings.service_level)} Gap = hours needed minus "
            "hours rostered, for the week shown; the action names the first week with a gap."
        ),
        network_accuracy=_network_accuracy(comparison, data.options.accuracy_weeks),
        clinics=clinics,
        freshness=fresh,
        freshness_warnings=warnings,
        quarantine=files_sentence(data.ingest, data.skipped),
        other_names=unknown,
        models=model_table(frames.models),
        fallbacks=_fallback_sentence(frames.models),
        ingest=ingest_table(data.ingest),
        archive_notes=list(data.archive.unreadable),
        settings=[(name, _setting(value)) for name, value in data.settings.shown()],
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
    plan = StaffingPlan.of(frames.of_clinic(frames.staffing, name))

    weeks = [w for w in (_first(sessions_fc), _first(plan.rows)) if w is not None]
    lead = min(weeks) if weeks else None
    label = T.week_label(lead, as_of)
    lead_fc = sessions_fc[sessions_fc[WEEK] == lead] if lead is not None else sessions_fc
    lead_row = plan.rows.iloc[0] if not plan.rows.empty else None
    lead_committed = committed[committed[WEEK] == lead] if lead is not None else committed

    total = frames.of_clinic(frames.horizon_totals, name)
    total_row = total.iloc[0] if not total.empty else None
    decided = T.decision_text(label, lead_fc, lead_row, lead, plan, sessions_fc, as_of, total_row)
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
        page=clinic_page_path(name),
        status=decided.status,
        action=decided.action,
        lines=decided.lines,
        evidence=evidence,
        notes=_notes(data, frames, proc_fc, stale, name),
        charts=clinic_charts(
            frames, name, sessions_fc, proc_fc, committed, plan, as_of, data.options.history_weeks
        ),
        accuracy=accuracy_text,
        accuracy_table=accuracy_table(past, as_of) if score is not None else None,
        staffing=Table(header=header, rows=rows) if rows else None,
        staffing_note=(
            ""
            if rows
            else "No staffing figures for this clinic: the roster export may not list it, "
            "or there is no sessions forecast to size staff from."
        ),
        summary=_summary_row(name, clinic_page_path(name), lead_fc, lead_row, decided),
        lead=lead,
    )


def _no_figures(clinic: ClinicView, data: ReportData) -> bool:
    """A clinic with a problem and neither a sessions forecast nor staffing rows."""
    return clinic.name in data.problems and clinic.lead is None and clinic.staffing is None


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:] + "."


def _notes(
    data: ReportData, frames: Frames, proc_fc: pd.DataFrame, stale: list[str], name: str
) -> list[str]:
    # this clinic's problems first, each with its fix (forecasting/staffing/problems.py)
    out: list[str] = [s[0].upper() + s[1:] + "." for s in data.problems.get(name, [])]
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
    page: str,
    lead_fc: pd.DataFrame,
    lead_row: pd.Series | None,
    decided: T.DecisionText,
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
        gap_hours = float(lead_row[GAP_HOURS])
        needed = T.fmt_int(lead_row[HOURS_NEEDED])
        rostered = T.fmt_int(lead_row[HOURS_ROSTERED])
        gap = f"{T.fmt_int(gap_hours)} short" if is_short(gap_hours) else "none"
    mark = {"short": "short", "check": "warn"}.get(decided.status, "")
    return Row(
        cells=[name, decided.short_action, p50, rng, needed, rostered, gap],
        mark=mark,
        link=page,
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


def _trust_line(
    stale: dict[str, list[str]], ingest: Sequence[dict], models: pd.DataFrame, names: str | None
) -> str:
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
    if names:
        parts.append(names)
    fallbacks = int(_fallback_mask(models).sum()) if not models.empty else 0
    if fallbacks:
        parts.append(f"{fallbacks} of {len(models)} series on the fallback model")
    text = "; ".join(parts)
    return f"Data: {text} (see Data and models)."


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


def _setting(v: float | int | str) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)
