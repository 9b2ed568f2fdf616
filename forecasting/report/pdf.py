"""report.pdf (A4): the network summary, one section per clinic, then the trust data.

It lays out the same ``ReportView`` as the HTML page, with the same words and the very PNGs of
the page's charts, so it says the same thing (``pdf_layout`` flows it onto pages).
"""

from __future__ import annotations

from pathlib import Path

from forecasting.io import atomic_write
from forecasting.report.pdf_layout import MUTED, PageFlow
from forecasting.report.pdf_plans import pdf_shifts, pdf_what_if
from forecasting.report.service_views import ServicesView
from forecasting.report.view import ClinicView, ReportView

__all__ = ["write_pdf"]

_STATUS = {"short": "#D55E00", "ok": "#009E73", "check": "#E69F00"}
_CHART_MAX_H = 4.6  # inches; the procedures chart's small multiples are the tallest


def write_pdf(path: Path, view: ReportView) -> Path:
    """Write report.pdf (A4): the network summary, one section per clinic, then the trust data.

    Same words and charts (the very PNGs of the HTML page) as the page; every clinic starts on
    a new page. Text is DejaVu Sans, embedded, so it can be searched and copied.
    """
    doc = PageFlow()
    _pdf_network(doc, view)
    pdf_what_if(doc, view)
    for clinic in view.clinics:
        doc.new_page()
        _pdf_clinic(doc, clinic)
        pdf_shifts(doc, clinic)
    doc.new_page()
    _pdf_trust(doc, view)
    metadata = {"Title": view.title, "Creator": "lymphcast"}

    def writer(tmp: Path) -> None:
        with tmp.open("wb") as out:
            doc.save(out, metadata)

    return atomic_write(Path(path), writer)


def _pdf_network(doc: PageFlow, view: ReportView) -> None:
    doc.text(view.title.rsplit(", ", 1)[0], 16, bold=True)
    doc.text(f"Week {view.iso_week} · data up to {view.as_of} (cut-off, not included)", 9,
             color=MUTED)  # fmt: skip
    doc.space(0.1)
    doc.text("Network summary", 13, bold=True, rule=True)
    for sentence in view.summary:
        doc.text(sentence, 11, bold=True)
    if view.network.rows:
        doc.table(view.network, wrap={1: 34})
    doc.text(view.trust_line, 9.5)
    doc.text(view.network_accuracy, 8.5, color=MUTED)
    doc.text(view.network_note, 8.5, color=MUTED)
    if view.services is not None:
        _pdf_services(doc, view.services)


def _pdf_clinic(doc: PageFlow, c: ClinicView) -> None:
    doc.text(f"Clinic {c.label}", 13, bold=True, rule=True)
    doc.text(f"{c.tag.upper()}: {c.action}", 11.5, bold=True, bar=_STATUS[c.status])
    for line in c.lines:
        doc.text(line, 10, bar=_STATUS[c.status])
    doc.space(0.05)
    for sentence in c.evidence:
        doc.text(sentence, 9.5)
    for note in c.notes:
        doc.text(f"• {note}", 9, color="#7a3200")
    for chart in c.charts:
        if chart.draw is not None:
            doc.keep(doc.image_height(chart.png, _CHART_MAX_H) + 0.3)
            doc.text(chart.title, 10, bold=True)
            doc.image(chart.png, max_height=_CHART_MAX_H)
            doc.text(chart.caption, 7.5, color=MUTED)
        else:
            doc.text(chart.title, 10, bold=True, keep=0.5)
            doc.text(chart.note, 8.5, color=MUTED)
    doc.text("Past forecasts vs what happened", 10, bold=True, keep=0.8)
    doc.text(c.accuracy, 9)
    if c.accuracy_table is not None:
        doc.table(c.accuracy_table)
    doc.text("Staffing by week", 10, bold=True, keep=1.0)
    if c.staffing is not None:
        doc.table(c.staffing)
    else:
        doc.text(c.staffing_note, 9, color=MUTED)
    if c.services is not None:
        _pdf_services(doc, c.services)


def _pdf_services(doc: PageFlow, s: ServicesView) -> None:
    """ "Services and skills" (several services only): the table, the gap sentences."""
    doc.text("Services and skills", 10, bold=True, keep=1.0)
    doc.table(s.table)
    for sentence in s.summary:
        doc.text(sentence, 9.5, bold=True)
    for sentence in s.gaps:
        doc.text(sentence, 9)
    for chart in s.charts:
        if chart.draw is not None:
            doc.keep(doc.image_height(chart.png, _CHART_MAX_H) + 0.3)
            doc.text(chart.title, 10, bold=True)
            doc.image(chart.png, max_height=_CHART_MAX_H)
            doc.text(chart.caption, 7.5, color=MUTED)
    doc.text(s.note, 8.5, color=MUTED)


def _pdf_trust(doc: PageFlow, view: ReportView) -> None:
    doc.text("Data and models", 13, bold=True, rule=True)
    doc.text("Latest data per clinic", 10, bold=True, keep=0.8)
    for warning in view.freshness_warnings:
        doc.text(f"• {warning}", 9, color="#7a3200")
    if view.freshness.rows:
        doc.table(view.freshness)
    doc.text("Model per series", 10, bold=True, keep=0.8)
    doc.text(view.fallbacks, 9)
    if view.models.rows:
        doc.table(view.models, wrap={3: 50})
    for note in view.archive_notes:
        doc.text(f"• {note}", 9, color="#7a3200")
    doc.text("Files ingested", 10, bold=True, keep=0.8)
    doc.text(view.quarantine, 9)
    if view.ingest.rows:
        doc.table(view.ingest, wrap={0: 30, 6: 40})
    if view.other_names.clinics:
        doc.text("Procedure names counted as other", 10, bold=True, keep=0.8)
        for warning in view.other_names.warnings:
            doc.text(f"• {warning}", 9, color="#7a3200")
        doc.text(view.other_names.intro, 8.5, color=MUTED)
        for c in view.other_names.clinics:
            doc.text(f"{c.clinic}: {c.line}", 9, bold=True, keep=0.5)
            if c.table is not None:
                doc.table(c.table, wrap={0: 40})
            if c.withheld:
                doc.text(c.withheld, 8.5, color=MUTED)
    if view.settings:
        doc.text("Settings", 10, bold=True, keep=0.8)
        for key, value in view.settings:
            doc.text(f"{key}: {value}", 8.5)
