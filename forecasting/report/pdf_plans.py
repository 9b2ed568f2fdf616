"""report.pdf's plan sections: "What if" and "Regions" after the network, each clinic's shifts."""

from __future__ import annotations

from forecasting.report.pdf_layout import MUTED, PageFlow
from forecasting.report.view import ClinicView, ReportView


def pdf_what_if(doc: PageFlow, view: ReportView) -> None:
    """Each scenario's changes, verdict and table; then the regions' week-by-week table."""
    if view.what_if:
        doc.text("What if", 13, bold=True, rule=True, keep=1.2)
        doc.text(
            "Each scenario re-runs demand and staffing on this week's own sample paths (no "
            "model refitted), so the difference from the base plan is the scenario's alone.",
            8.5,
            color=MUTED,
        )
        for s in view.what_if:
            doc.text(s.name, 10, bold=True, keep=1.0)
            doc.text(s.changes, 8.5, color=MUTED)
            doc.text(s.sentence, 9.5, bold=True)
            doc.table(s.table)
    if view.regions is not None:
        doc.text("Regions", 13, bold=True, rule=True, keep=1.2)
        doc.table(view.regions)


def pdf_shifts(doc: PageFlow, c: ClinicView) -> None:
    """The clinic's "Next week's shifts": totals, what is uncovered, who works when."""
    if c.shifts is None:
        return
    doc.text("Next week's shifts", 10, bold=True, keep=1.0)
    doc.text(c.shifts.summary, 9)
    for sentence in c.shifts.sentences:
        doc.text(f"• {sentence}", 9, color="#7a3200")
    if c.shifts.table is not None:
        doc.table(c.shifts.table, wrap={i: 22 for i in range(1, len(c.shifts.table.header))})
