"""report.pdf and staffing.xlsx open and say what the page says; no cell runs as a formula."""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from report_fixtures import report_data

from forecasting.report import (
    build_view,
    neutralise_formulas,
    neutralise_text,
    write_pdf,
    write_staffing_xlsx,
)

EVIL = '=HYPERLINK("http://x","$click$")'  # a formula, and mathtext if drawn unescaped


@pytest.fixture(scope="module")
def evil_data():
    """The fixed data with north renamed to a formula (and mathtext) clinic name."""
    base = report_data()

    def rename(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(clinic_id=frame["clinic_id"].replace("north", EVIL))

    archive = dataclasses.replace(base.archive, forecasts=rename(base.archive.forecasts))
    return dataclasses.replace(
        base,
        procedures_history=rename(base.procedures_history),
        sessions_history=rename(base.sessions_history),
        forecast=rename(base.forecast),
        committed=rename(base.committed),
        staffing=rename(base.staffing),
        models=rename(base.models),
        archive=archive,
    )


@pytest.fixture(scope="module")
def view(evil_data):
    return build_view(evil_data)


@pytest.fixture(scope="module")
def pdf(tmp_path_factory, view) -> PdfReader:
    path = write_pdf(tmp_path_factory.mktemp("pdf") / "report.pdf", view)
    return PdfReader(io.BytesIO(path.read_bytes()))


def test_neutralise_formulas_touches_text_cells_only() -> None:
    frame = pd.DataFrame(
        {
            "clinic_id": ["=1+1", "+cmd", "-x", "@sum", "\tTab", "north", None],
            "fte_gap": [-0.4, 0.2, -1.0, 0.0, 1.5, -2.25, 3.0],
            "sessions": [1, 2, 3, 4, 5, 6, 7],
        }
    )
    out = neutralise_formulas(frame)
    assert out["clinic_id"].tolist()[:6] == ["'=1+1", "'+cmd", "'-x", "'@sum", "'\tTab", "north"]
    assert out["clinic_id"].isna().tolist()[6]
    pd.testing.assert_series_equal(out["fte_gap"], frame["fte_gap"])  # negatives stay numbers
    pd.testing.assert_series_equal(out["sessions"], frame["sessions"])
    assert frame["clinic_id"].iloc[0] == "=1+1"  # the argument is not modified
    assert neutralise_text(-3.5) == -3.5 and neutralise_text("2026-11-30") == "2026-11-30"


def test_staffing_xlsx_reads_back_with_numbers_as_numbers(tmp_path, evil_data, view) -> None:
    path = write_staffing_xlsx(
        tmp_path / "staffing.xlsx", view, evil_data.staffing, date(2026, 11, 23)
    )
    wb = load_workbook(path)
    assert wb.sheetnames == ["Summary", "Staffing"]
    assert wb.properties.created == wb.properties.modified == datetime(2026, 11, 23)
    again = write_staffing_xlsx(
        tmp_path / "again.xlsx", view, evil_data.staffing, date(2026, 11, 23)
    )
    assert again.read_bytes() == path.read_bytes()  # no clock inside: same data, same bytes

    summary = [[c.value for c in row] for row in wb["Summary"].iter_rows()]
    assert summary[0] == [view.title, None, None, None, None]
    head = summary.index(["Clinic", "Status", "Action", "Figures", "Past forecasts"])
    rows = {r[0]: r for r in summary[head + 1 :]}
    assert (
        rows["south"][2]
        == "No change needed: the roster covers expected demand for the next 4 weeks."
    )
    assert rows["'" + EVIL][2] == "Add about 27 therapist hours in the week of 30 November."
    # a text cell that would start a formula is inert text, in both sheets
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    assert cell.value.startswith("=MAX(0,"), cell.value  # only our own formula

    sheet = wb["Staffing"]
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["clinic_id", "week", "sessions_p50", "sessions_target"]
    assert header[-2:] == ["planned_hours", "gap_after_plan"]
    records = [
        dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)
    ]
    assert len(records) == 8
    first = next(r for r in records if r["clinic_id"] == "'" + EVIL)
    assert first["week"] == datetime(2026, 11, 30)
    assert first["therapist_hours_needed"] == 163.0 and first["hours_rostered"] == 136.0
    assert first["planned_hours"] == 136.0
    assert first["gap_after_plan"] == "=MAX(0,E2-N2)"  # hours needed minus planned hours
    south = [r for r in records if r["clinic_id"] == "south"]
    assert all(isinstance(r["fte_gap"], float) and r["fte_gap"] < 0 for r in south)


def test_pdf_reads_back_with_the_decisions_first(pdf: PdfReader, view) -> None:
    assert pdf.metadata.title == view.title
    pages = [" ".join(page.extract_text().split()) for page in pdf.pages]
    assert len(pages) >= 4  # network summary, one page or more per clinic, data and models
    first = pages[0]
    assert "Network summary" in first
    assert "1 of 2 clinics needs more therapist hours in the next 4 weeks" in first
    assert "$click$" in first  # the clinic name as typed, not typeset as mathematics
    clinic_pages = {name: next(i for i, p in enumerate(pages) if f"Clinic {name}" in p)
                    for name in (EVIL, "south")}  # fmt: skip
    assert 0 < clinic_pages[EVIL] < clinic_pages["south"]
    north = pages[clinic_pages[EVIL]]
    assert north.index(
        "ACTION: Add about 27 therapist hours in the week of 30 November."
    ) < north.index("Sessions per week")
    south = pages[clinic_pages["south"]]
    assert "COVERED: No change needed" in south
    assert "Data and models" in " ".join(pages[clinic_pages["south"] + 1 :])
    assert "Fallback: history shorter than 52 weeks" in " ".join(pages)


def test_pdf_embeds_the_charts(pdf: PdfReader) -> None:
    images = {image.name for page in pdf.pages for image in page.images}
    assert len(images) == 6  # three charts per clinic


def test_write_outputs_publishes_pdf_xlsx_and_inert_csvs(demo_exports, tmp_path) -> None:
    """The weekly outputs end to end (seasonal naive: no Prophet, no Prefect), with a clinic
    whose id a spreadsheet would run as a formula."""
    from forecasting import week as pipeline
    from forecasting.config import Config
    from forecasting.ingest import ingest, load_processed, write_processed
    from forecasting.layout import DataLayout
    from forecasting.report import publish_week

    raw, processed, reports = tmp_path / "raw", tmp_path / "processed", tmp_path / "reports"
    demo_exports(raw, clinics=1, years=1, seed=3, end=date(2026, 11, 30))
    config = Config.model_validate({"model": {"name": "seasonal_naive"}, "n_paths": 50})
    result = ingest(raw, config.ingest, date(2026, 11, 30))
    write_processed(result, processed)
    frames = load_processed(processed)
    renamed = [f.assign(clinic_id="-1+1") for f in frames]  # the demo's one clinic
    inputs = pipeline.cut_inputs(*renamed, as_of=date(2026, 11, 23))
    weekly = pipeline.run_week(inputs, config)
    layout = DataLayout(processed=processed, reports=reports)
    index = publish_week(layout, inputs, weekly, config, result.manifest)
    out = index.parent
    assert {"index.html", "report.pdf", "staffing.xlsx", "forecast.csv", "staffing.csv",
            "run_manifest.json", "timings.json"} <= {p.name for p in out.iterdir()}  # fmt: skip
    staffing = pd.read_csv(out / "staffing.csv")
    assert "'-1+1" in set(staffing["clinic_id"]) and "-1+1" not in set(staffing["clinic_id"])
    assert pd.api.types.is_float_dtype(staffing["fte_gap"])  # numbers stay numbers
    forecast = pd.read_csv(out / "forecast.csv")
    assert "'-1+1" in set(forecast["clinic_id"])
    wb = load_workbook(out / "staffing.xlsx")
    ids = {row[0].value for row in wb["Staffing"].iter_rows(min_row=2)}
    assert "'-1+1" in ids
    assert len(PdfReader(out / "report.pdf").pages) >= 4
    manifest = json.loads((out / "run_manifest.json").read_text())
    assert [c["clinic_id"] for c in manifest["report"]["clinics"]] == ["-1+1"]  # JSON: as is
    assert manifest["report"]["headline"]


def test_identical_runs_write_identical_manifests_and_keep_timings_apart(
    demo_exports, tmp_path
) -> None:
    """run_manifest.json promises identical files for identical runs: the fits' wall-clock
    times, which differ run to run, are in timings.json instead."""
    from forecasting import week as pipeline
    from forecasting.config import Config
    from forecasting.ingest import ingest, load_processed, write_processed
    from forecasting.layout import DataLayout
    from forecasting.report import publish_week

    raw, processed = tmp_path / "raw", tmp_path / "processed"
    demo_exports(raw, clinics=1, years=1, seed=4, end=date(2026, 11, 30))
    config = Config.model_validate({"model": {"name": "seasonal_naive"}, "n_paths": 50})
    ingested = ingest(raw, config.ingest, date(2026, 11, 30))
    write_processed(ingested, processed)

    def run(reports: str) -> Path:
        inputs = pipeline.cut_inputs(*load_processed(processed), as_of=date(2026, 11, 23))
        weekly = pipeline.run_week(inputs, config)
        layout = DataLayout(processed=processed, reports=tmp_path / reports)
        return publish_week(layout, inputs, weekly, config, ingested.manifest).parent

    first, second = run("first"), run("second")
    manifest = (first / "run_manifest.json").read_bytes()
    assert (second / "run_manifest.json").read_bytes() == manifest
    models = json.loads(manifest)["models"]
    assert models and all("fit_seconds" not in m for m in models)
    timings = json.loads((first / "timings.json").read_text())
    assert [(t["clinic_id"], t["procedure"]) for t in timings["series"]] == [
        (m["clinic_id"], m["procedure"]) for m in models
    ]
    assert all(t["fit_seconds"] >= 0 for t in timings["series"])
    assert timings["total_fit_seconds"] == pytest.approx(
        sum(t["fit_seconds"] for t in timings["series"]), abs=1e-6
    )


def test_a_run_with_no_data_still_writes_readable_files(tmp_path) -> None:
    from forecasting.report import ReportData

    empty = pd.DataFrame()
    data = ReportData(
        as_of=date(2026, 11, 23),
        iso_week="2026-W48",
        procedures_history=empty,
        sessions_history=empty,
        forecast=empty,
        committed=empty,
        staffing=empty,
        models=empty,
    )
    view = build_view(data)
    assert view.summary == ["No clinic has data for this week's report."]
    pdf = PdfReader(write_pdf(tmp_path / "report.pdf", view))
    assert "No clinic has data" in pdf.pages[0].extract_text()
    wb = load_workbook(
        write_staffing_xlsx(tmp_path / "staffing.xlsx", view, empty, date(2026, 11, 23))
    )
    assert wb["Staffing"].max_row == 1  # the header only


def test_pdf_charts_are_the_pages_pngs_and_every_clinic_has_its_tables(pdf: PdfReader, view):
    """Each clinic's pages hold its three charts, pixel for pixel the PNGs of the HTML page
    (embedded as they are, not redrawn), and its staffing table."""
    from PIL import Image

    pages = [" ".join(page.extract_text().split()) for page in pdf.pages]
    starts = [next(i for i, p in enumerate(pages) if f"Clinic {c.name}" in p) for c in view.clinics]
    ends = [*starts[1:], next(i for i, p in enumerate(pages) if "Latest data per clinic" in p)]
    for clinic, start, end in zip(view.clinics, starts, ends, strict=True):
        text = " ".join(pages[start:end])
        assert "Staffing by week" in text and "Hours needed" in text and "FTE gap" in text
        embedded = [im.image.convert("RGB") for p in pdf.pages[start:end] for im in p.images]
        drawn = [Image.open(io.BytesIO(c.png)).convert("RGB") for c in clinic.charts]
        # (the PDF lists a page's images by resource name, not in drawing order)
        assert sorted(e.tobytes() for e in embedded) == sorted(d.tobytes() for d in drawn)


def test_pdf_is_byte_identical_for_the_same_view_and_keeps_unicode(tmp_path, view) -> None:
    first = write_pdf(tmp_path / "a.pdf", view).read_bytes()
    assert write_pdf(tmp_path / "b.pdf", view).read_bytes() == first
    base = report_data()
    renamed = dataclasses.replace(
        base,
        staffing=base.staffing.assign(
            clinic_id=base.staffing["clinic_id"].replace("south", "Zürich–Süd")
        ),
        forecast=base.forecast.assign(
            clinic_id=base.forecast["clinic_id"].replace("south", "Zürich–Süd")
        ),
    )
    text = " ".join(
        p.extract_text()
        for p in PdfReader(write_pdf(tmp_path / "c.pdf", build_view(renamed))).pages
    )
    assert "Clinic Zürich–Süd" in text
    assert "−" in text  # the real minus sign of a negative FTE gap


def test_pdf_images_other_than_palette_pngs_are_embedded_too() -> None:
    from PIL import Image

    from forecasting.report.pdf_canvas import PdfDocument

    buf = io.BytesIO()
    Image.new("RGBA", (4, 3), (200, 10, 10, 128)).save(buf, format="PNG")  # alpha: decoded
    doc = PdfDocument(200, 200)
    doc.new_page()
    doc.image(buf.getvalue(), 10, 10, 40, 30)
    out = io.BytesIO()
    doc.save(out, {"Title": "t"})
    (image,) = PdfReader(io.BytesIO(out.getvalue())).pages[0].images
    assert image.image.size == (4, 3)
