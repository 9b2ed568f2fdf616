"""Fast paths that must give what the plain pandas computation gives (issue 13.5)."""

from __future__ import annotations

import datetime
import io

import numpy as np
import pandas as pd
import pypdf
import pytest
from PIL import Image

from forecasting import columns as C
from forecasting.calendar import iso_weeks
from forecasting.errors import InputError
from forecasting.models.base import validate_history
from forecasting.planning.shifts import SHIFT_COLUMNS, SUMMARY_COLUMNS, ShiftPlan
from forecasting.report.chart_figure import HEIGHT_IN, new_figure, png_bytes
from forecasting.report.pdf_canvas import PdfDocument
from forecasting.report.plans import clinic_shifts, shift_tables
from forecasting.series import histories_before, procedure_histories


def test_iso_weeks_equal_pandas_isocalendar_over_five_centuries() -> None:
    days = pd.date_range("1800-01-01", "2300-12-31", freq="D")
    expected = days.isocalendar().week.to_numpy(dtype=int)
    assert np.array_equal(iso_weeks(days), expected)
    assert np.array_equal(iso_weeks(pd.Series(days)), expected)
    # week 53 of 2026 and week 1 of 2027 from dates and text
    assert iso_weeks([datetime.date(2026, 12, 31), "2027-01-04"]).tolist() == [53, 1]


def _plan() -> ShiftPlan:
    shifts = pd.DataFrame(
        [
            ("a", "t2", "2027-01-05", "13:00", "17:00", "mld"),
            ("a", "t1", "2027-01-04", "13:00", "17:00", "deep_tissue"),
            ("a", "t1", "2027-01-04", "08:00", "12:00", "mld"),
            ("b", "t9", "2027-01-06", "08:00", "12:00", "mld"),
        ],
        columns=SHIFT_COLUMNS,
    )
    summary = pd.DataFrame(
        [
            ("a", "optimal", 16.0, 12.0, 4.0, 4.0, 0.0, 0.0),
            ("b", "optimal", 4.0, 4.0, 0.0, 0.0, 0.0, 0.0),
            ("c", "optimal", 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
        ],
        columns=SUMMARY_COLUMNS,
    )
    return ShiftPlan(shifts, summary, {"a": ["Tuesday afternoon short 4 h."]})


def test_shift_tables_give_each_clinic_its_own_rows_in_start_order() -> None:
    tables = shift_tables(_plan(), ["a", "b", "c", "unknown"])
    a = tables["a"]
    assert a is not None and a.table is not None
    assert a.table.header == ["Therapist", "Mon 01-04", "Tue 01-05"]
    assert [r.cells for r in a.table.rows] == [
        ["t1", "08:00-12:00 MLD, 13:00-17:00 deep tissue", "-"],
        ["t2", "-", "13:00-17:00 MLD"],
    ]
    assert a.sentences == ["Tuesday afternoon short 4 h."]
    assert a.summary.startswith("12 h scheduled for a target of 16 h; 4.0 h uncovered")
    b = tables["b"]
    assert b is not None and b.table is not None and b.table.header == ["Therapist", "Wed 01-06"]
    c = tables["c"]
    assert c is not None and c.table is None  # in the summary, no shifts
    assert tables["unknown"] is None and shift_tables(None, ["a"]) == {"a": None}
    assert clinic_shifts(_plan(), "a") == a


def test_histories_cut_at_an_origin_equal_histories_of_the_rows_known_then() -> None:
    weeks = pd.date_range("2024-01-01", periods=30, freq="W-MON")
    rows = pd.DataFrame(
        [("old", p, w, float(i % 4)) for i, w in enumerate(weeks) for p in ("liposuction", "other")]
        + [("new", "liposuction", w, 2.0) for w in weeks[20:]],  # opens after the origin
        columns=[C.CLINIC, C.PROCEDURE, C.WEEK, C.COMPLETED],
    )
    cutoff, origin = weeks[-1] + pd.Timedelta(weeks=1), weeks[12]
    cut = histories_before(procedure_histories(rows, cutoff), origin)
    expected = procedure_histories(rows.loc[rows[C.WEEK] < origin], origin)
    assert list(cut) == list(expected) and all(k[0] == "old" for k in cut)
    for key, frame in expected.items():
        pd.testing.assert_frame_equal(cut[key], frame, check_exact=True)


def test_pdf_embeds_a_chart_png_once_as_it_is_and_shows_the_same_pixels() -> None:
    fig = new_figure(HEIGHT_IN)
    fig.add_subplot().plot(range(10), np.arange(10) ** 1.5, color="#c0392b")
    png = png_bytes(fig)
    doc = PdfDocument(595, 842)
    doc.new_page()
    doc.image(png, 10, 10, 400, 180)
    doc.image(png, 10, 300, 400, 180)
    out = io.BytesIO()
    doc.save(out, {"Title": "t"})
    pdf = out.getvalue()
    assert pdf.count(b"/Subtype /Image") == 1 and b"/Predictor 15" in pdf
    (shown,) = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].images
    expected = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    assert np.array_equal(np.asarray(shown.image.convert("RGB")), expected)


def _history(ds: list) -> pd.DataFrame:
    return pd.DataFrame({"ds": pd.to_datetime(pd.Series(ds)), "y": [1.0] * len(ds)})


@pytest.mark.parametrize(
    ("days", "words"),
    [
        (["2026-11-30", "2026-12-07", "2026-12-14"], None),
        (["1969-12-29", "1970-01-05"], None),  # Mondays before 1970
        (["2026-11-30 10:00", "2026-12-07 10:00"], None),  # a Monday at 10:00 is a Monday
        (["2026-11-30"], None),
        (["2026-11-30", "2026-12-08"], "must hold Mondays; first bad date 2026-12-08"),
        (["2026-11-30", "2026-12-14"], "no gaps or duplicates"),
        (["2026-11-30", "2026-11-30"], "no gaps or duplicates"),
        (["2026-12-07", "2026-11-30"], "no gaps or duplicates"),
        (["2026-11-30", None], "must hold Mondays; first bad date NaT"),
    ],
)
def test_history_checks_say_what_pandas_checks_said(days: list, words: str | None) -> None:
    if words is None:
        validate_history(_history(days))
    else:
        with pytest.raises(InputError, match=words):
            validate_history(_history(days))
