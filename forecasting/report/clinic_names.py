"""Clinic display names (the clinics export) put on the report view wherever a clinic is named.

The CSVs keep the clinic id as it is; the pages, the PDF and the XLSX show "Display name (id)"
(``clinic_ids.clinic_label``): each clinic's heading and page title, the first cell of the
network, freshness and what-if tables, the region pages' clinic lists and the names-counted-as-
other headings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from forecasting.report.clinic_ids import clinic_label
from forecasting.report.plan_views import RegionView, ScenarioView
from forecasting.report.tables import Table
from forecasting.report.view import ClinicView, ReportView

__all__ = ["with_names"]


def _first_cells(table: Table, names: Mapping[str, str]) -> Table:
    """``table`` with a first cell that is a named clinic's id shown as its label."""
    rows = [
        replace(r, cells=[clinic_label(r.cells[0], names[r.cells[0]]), *r.cells[1:]])
        if r.cells and r.cells[0] in names
        else r
        for r in table.rows
    ]
    return replace(table, rows=rows)


def _clinic(c: ClinicView, names: Mapping[str, str]) -> ClinicView:
    if c.name not in names:
        return c
    named = replace(c, display_name=names[c.name])
    return replace(named, summary=replace(c.summary, cells=[named.label, *c.summary.cells[1:]]))


def _region(r: RegionView, names: Mapping[str, str]) -> RegionView:
    return replace(r, clinics=[(clinic_label(c, names.get(c, "")), page) for c, page in r.clinics])


def _scenario(s: ScenarioView, names: Mapping[str, str]) -> ScenarioView:
    return replace(s, table=_first_cells(s.table, names))


def with_names(view: ReportView, names: Mapping[str, str]) -> ReportView:
    """The view with each clinic that has a display name labelled by it (no names: ``view``)."""
    if not names:
        return view
    clinics = [_clinic(c, names) for c in view.clinics]
    other = view.other_names
    return replace(
        view,
        clinics=clinics,
        network=replace(view.network, rows=[c.summary for c in clinics]),
        freshness=_first_cells(view.freshness, names),
        what_if=[_scenario(s, names) for s in view.what_if],
        region_pages=[_region(r, names) for r in view.region_pages],
        other_names=replace(
            other,
            clinics=[
                replace(c, clinic=clinic_label(c.clinic, names.get(c.clinic, "")))
                for c in other.clinics
            ],
        ),
    )
