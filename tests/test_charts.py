"""Report charts: palette PNGs of a fixed size, the same bytes whatever was drawn before."""

from __future__ import annotations

import io
import threading
from datetime import date

import pandas as pd
import pytest
from PIL import Image

from forecasting.report import chart_scales, charts

WEEKS = pd.date_range("2025-06-02", periods=12, freq="W-MON")
HISTORY = pd.date_range("2024-06-03", periods=52, freq="W-MON")


def _sessions(history_weeks=HISTORY, forecast_weeks=WEEKS) -> bytes:
    hist = pd.DataFrame(
        {"week": history_weeks, "sessions": [150.0 + i % 9 for i in range(len(history_weeks))]}
    )
    fc = pd.DataFrame({"week": forecast_weeks, "p10": 120.0, "p50": 160.0, "p90": 190.0}).iloc[
        : len(forecast_weeks)
    ]
    committed = pd.DataFrame(
        {"week": forecast_weeks, "committed": [90.0 / (i + 1) for i in range(len(forecast_weeks))]}
    )
    return charts.sessions_chart(hist, fc, committed, date(2025, 6, 2))


def _procedures(order=("liposuction", "bbl", "other")) -> bytes:
    hist = pd.concat(
        pd.DataFrame(
            {
                "procedure": p,
                "week": HISTORY,
                "completed": [float((i * 7 + k) % 11) for i in range(52)],
            }
        )
        for k, p in enumerate(order)
    )
    fc = pd.concat(
        pd.DataFrame({"procedure": p, "week": WEEKS, "p10": 1.0, "p50": 4.0, "p90": 8.5})
        for p in order
    )
    return charts.procedures_chart(hist, fc, list(order))


def _hours(needed=(400.0, 340.0, 280.0, 410.0), rostered=384.0) -> bytes:
    weeks = WEEKS[: len(needed)]
    staffing = pd.DataFrame(
        {
            "week": weeks,
            "therapist_hours_needed": list(needed),
            "hours_rostered": rostered,
            "therapist_hours_p10": [n * 0.8 for n in needed],
            "therapist_hours_p90": [n * 1.05 for n in needed],
        }
    )
    return charts.hours_chart(staffing)


def _image(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


@pytest.mark.parametrize("draw", [_sessions, _procedures, _hours])
def test_charts_are_palette_pngs_without_metadata(draw) -> None:
    png = draw()
    image = _image(png)
    assert image.mode == "P" and image.width == 800
    assert not image.text  # no Software or date chunk: the same inputs give the same bytes
    assert b"tEXt" not in png and b"tIME" not in png
    extrema = image.convert("L").getextrema()
    assert extrema[0] < 60 and extrema[1] == 255  # dark ink on a white background


def test_small_multiples_grow_with_the_number_of_panels() -> None:
    one, three, five = (
        _image(_procedures(order)).height
        for order in (("bbl",), ("liposuction", "bbl", "other"), charts_all())
    )
    assert one == 362 and one < three < five


def charts_all() -> tuple[str, ...]:
    return ("liposuction", "abdominoplasty", "bbl", "breast_reduction", "other")


def test_the_bytes_do_not_depend_on_what_was_drawn_before_or_in_which_thread() -> None:
    """Each thread reuses a figure per chart height; what a chart draws never leaks into the
    next one."""
    first = [_sessions(), _procedures(), _hours(), _procedures(("bbl",))]
    again = [_hours(), _procedures(("bbl",)), _procedures(), _sessions()]
    assert again == [first[2], first[3], first[1], first[0]]
    fresh: list[bytes] = []
    thread = threading.Thread(target=lambda: fresh.extend([_procedures(), _sessions()]))
    thread.start()
    thread.join()
    assert fresh == [first[1], first[0]]


def test_unusual_shapes_still_draw() -> None:
    # only a forecast, one week of it; a shortfall that starts and ends between weeks; no
    # procedures at all in a panel's window; a flat zero series
    assert _image(_sessions(history_weeks=HISTORY[:0], forecast_weeks=WEEKS[:1])).width == 800
    assert _image(_hours(needed=(300.0, 420.0, 300.0, 430.0, 200.0))).width == 800
    assert _image(_hours(needed=(0.0, 0.0), rostered=0.0)).width == 800
    empty = pd.DataFrame(columns=["procedure", "week", "completed"])
    png = charts.procedures_chart(empty, pd.DataFrame(), ["other"])
    assert _image(png).height == 362


def test_date_ticks_name_months_and_the_year_at_january() -> None:
    import matplotlib.dates as mdates

    lo, hi = (float(v) for v in mdates.date2num([date(2024, 5, 20), date(2025, 8, 25)]))
    ticks, labels = chart_scales.date_ticks(lo, hi)
    assert labels == ["Jul", "Oct", "2025", "Apr", "Jul"]
    lo, hi = (float(v) for v in mdates.date2num([date(2025, 6, 2), date(2025, 6, 23)]))
    assert chart_scales.date_ticks(lo, hi)[1] == ["2 Jun", "9 Jun", "16 Jun", "23 Jun"]


def test_y_ticks_share_their_decimals_like_matplotlib() -> None:
    assert chart_scales.y_ticks(0, 8.4, 1.24, label_pt=10)[1] == ["0.0", "2.5", "5.0", "7.5"]
    assert chart_scales.y_ticks(0, 290, 2.2, label_pt=10)[1] == [
        "0",
        "50",
        "100",
        "150",
        "200",
        "250",
    ]
