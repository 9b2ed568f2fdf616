"""Clinic display names (the clinics export) in the index, clinic and region pages, PDF, XLSX."""

from __future__ import annotations

import pickle
from dataclasses import replace

import pandas as pd
from openpyxl import load_workbook

from forecasting.planning.regions import display_names
from forecasting.planning.week_plans import WeekPlans
from forecasting.report.clinic_ids import clinic_label, clinic_page_path
from forecasting.report.clinic_names import with_names
from forecasting.report.html import render_clinic_html, render_html
from forecasting.report.pdf import write_pdf
from forecasting.report.plan_views import RegionView
from forecasting.report.plans import with_plans
from forecasting.report.tables import Table
from forecasting.report.view import build_view
from forecasting.report.xlsx import write_staffing_xlsx
from tests.report_fixtures import AS_OF, report_data

# a name with markup and a right-to-left override; one a spreadsheet would run as a formula
NAMES = {"north": "North <b>Lymph</b> \u202eClinic", "south": '=HYPERLINK("x")'}


def test_display_names_come_from_the_clinics_export_only_when_they_say_something():
    clinics = pd.DataFrame(
        {"clinic_id": ["a", "b", "c", "d"], "region": ["", "", "", ""],
         "display_name": ["Alpha Clinic", "", "c", None]}
    )  # fmt: skip
    assert display_names(clinics) == {"a": "Alpha Clinic"}
    assert display_names(None) == {} and display_names(clinics.drop(columns="display_name")) == {}


def test_a_label_is_the_name_and_the_id_as_neutral_text():
    assert clinic_label("north", NAMES["north"]) == "North <b>Lymph</b> <U+202E>Clinic (north)"
    assert clinic_label("north", "") == "north" and clinic_label("north", "north") == "north"
    assert clinic_label("a\u202eb", "N\x07") == "N (a<U+202E>b)"  # control characters dropped
    label = clinic_label("x" * 50, "Long " * 20)
    assert len(label.short) < len(label) and label.short.endswith("\u2026)")  # type: ignore[attr-defined]
    again = pickle.loads(pickle.dumps(label))
    assert (again, again.short) == (label, label.short)


def _view():
    data = report_data()
    return data, with_plans(build_view(data), WeekPlans(names=NAMES), 4)


def test_the_pages_show_each_clinic_by_its_display_name_escaped():
    _, view = _view()
    shown = "North &lt;b&gt;Lymph&lt;/b&gt; &lt;U+202E&gt;Clinic (north)"
    index = render_html(view)
    assert shown in index and "<b>Lymph" not in index and "\u202e" not in index
    assert "=HYPERLINK(&#34;x&#34;) (south)" in index  # the index's network table
    north = next(c for c in view.clinics if c.name == "north")
    page = render_clinic_html(view, north)
    assert f"Clinic {shown}</h2>" in page and f"clinic {shown}</title>" in page
    region = RegionView("Coast", "regions/coast.html", [("north", clinic_page_path("north"))],
                        Table(header=["Week"], rows=[]))  # fmt: skip
    (region,) = with_names(replace(view, region_pages=[region]), NAMES).region_pages
    assert region.clinics == [(clinic_label("north", NAMES["north"]), clinic_page_path("north"))]
    # ids stay what the rest of the report keys on
    assert [c.name for c in view.clinics] == ["north", "south"]
    assert view.summary_record()["clinics"][0]["clinic_id"] == "north"


def test_the_pdf_and_the_xlsx_show_the_name_guarded(tmp_path):
    from pypdf import PdfReader

    data, view = _view()
    write_pdf(tmp_path / "report.pdf", view)
    pdf = "\n".join(p.extract_text() for p in PdfReader(tmp_path / "report.pdf").pages)
    assert "Clinic North <b>Lymph</b> <U+202E>Clinic (north)" in pdf
    path = tmp_path / "staffing.xlsx"
    write_staffing_xlsx(path, view, data.staffing, AS_OF, WeekPlans(names=NAMES))
    wb = load_workbook(path)
    clinics = [r[0] for r in wb["Summary"].iter_rows(values_only=True) if r and r[0]]
    assert '\'=HYPERLINK("x") (south)' in clinics
    assert "North <b>Lymph</b> <U+202E>Clinic (north)" in clinics
    staffing = list(wb["Staffing"].iter_rows(values_only=True))
    assert staffing[0][:3] == ("clinic_id", "display_name", "week")
    by_clinic = {r[0]: r[1] for r in staffing[1:]}
    assert by_clinic == {"north": NAMES["north"].replace("\u202e", "<U+202E>"),
                         "south": "'=HYPERLINK(\"x\")"}  # fmt: skip
    # without names the sheet is as it was
    write_staffing_xlsx(path, view, data.staffing, AS_OF, WeekPlans())
    assert next(load_workbook(path)["Staffing"].iter_rows(values_only=True))[:2] == (
        "clinic_id", "week",
    )  # fmt: skip
