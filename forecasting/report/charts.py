"""Report charts as PNG bytes: sessions, procedures by type, therapist hours needed vs rostered.

Colours come from the Okabe-Ito palette (safe for colour-blind readers) and every series also
differs by line style, marker or hatching, so a black-and-white print stays readable. The same
inputs give the same bytes: fixed size and dpi, and a deterministic palette encode (Pillow, a
matplotlib dependency) that leaves no metadata chunk in the PNG. The figure machinery is in
``chart_layout`` (panels, legend), ``chart_scales`` (ticks) and ``chart_figure`` (the PNG).

Frames passed in are already filtered to one clinic; ``week`` is the Monday of the ISO week.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

from forecasting.columns import COMPLETED, P10, P50, P90, PROCEDURE, SESSIONS, WEEK
from forecasting.report.chart_figure import HEIGHT_IN, new_figure, png_bytes
from forecasting.report.chart_layout import (
    BLACK,
    BLUE,
    GREY,
    LEGEND_COLUMNS,
    ORANGE,
    SKY_BLUE,
    VERMILLION,
    Panel,
    Series,
    grid_panels,
    grid_y_label,
    legend,
)
from forecasting.report.chart_scales import date_ticks, days, floats, week_ticks

__all__ = ["hours_chart", "procedures_chart", "sessions_chart", "to_data_uri"]


def to_data_uri(png: bytes) -> str:
    """``data:image/png;base64,...`` for an ``<img src>``: nothing is fetched at view time."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def sessions_chart(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    committed: pd.DataFrame,
    as_of: date,
    committed_label: str = "committed (already operated on)",
) -> bytes:
    """Weekly sessions: history, forecast fan and the committed part of the forecast.

    Args:
        history: ``week``, ``sessions`` (attended sessions per week), already cut to the
            weeks to show.
        forecast: ``week``, ``p10``, ``p50``, ``p90`` of the ``sessions`` series.
        committed: ``week``, ``committed``: mean sessions owed to patients already operated on.
        as_of: data cut-off, drawn as a vertical line where the forecast starts.
        committed_label: the committed band's legend entry.
    """
    cutoff = days([as_of])
    series = Series()
    if not history.empty:
        h = history.sort_values(WEEK)
        series.line(days(h[WEEK]), floats(h[SESSIONS]), "sessions (history)", color=BLACK, lw=1.6)
    if not forecast.empty:
        f = forecast.sort_values(WEEK)
        x = days(f[WEEK])
        series.band(
            x, floats(f[P10]), floats(f[P90]), "forecast p10–p90", color=SKY_BLUE, alpha=0.35
        )
        series.line(
            x, floats(f[P50]), "forecast p50", color=BLUE, lw=1.8, ls="--", marker="o", ms=3
        )
    if not committed.empty:
        c = committed.sort_values(WEEK)
        x = days(c[WEEK])
        owed = floats(c["committed"])
        series.band(
            x,
            np.zeros_like(owed),
            owed,
            committed_label,
            hatch="///",
            edgecolor=ORANGE,
        )
        series.line(x, owed, None, color=ORANGE, lw=1.4, ls=":")
    fig = new_figure(HEIGHT_IN)
    top = legend(fig, series.entries, LEGEND_COLUMNS)
    panel = Panel.single(fig, series, top, from_zero=True, extra_x=cutoff)
    panel.draw(series)
    panel.vline(cutoff[0], color=GREY, lw=1, ls="-.")
    panel.axes("sessions per week", *date_ticks(*panel.xlim))
    return png_bytes(fig)


def procedures_chart(history: pd.DataFrame, forecast: pd.DataFrame, order: Sequence[str]) -> bytes:
    """Small multiples, one panel per procedure type: completed history and forecast p50.

    Args:
        history: ``procedure``, ``week``, ``completed`` (procedures per week).
        forecast: ``procedure``, ``week``, ``p10``, ``p50``, ``p90``; may be empty.
        order: procedure types to draw, in panel order (at least one).
    """
    n = max(len(order), 1)
    ncols = 1 if n == 1 else 2
    nrows = math.ceil(n / ncols)
    height = HEIGHT_IN if n == 1 else 1.7 * nrows + 0.8
    hist = dict(iter(history.groupby(PROCEDURE, sort=False))) if not history.empty else {}
    fcst = dict(iter(forecast.groupby(PROCEDURE, sort=False))) if not forecast.empty else {}
    panels: list[Series] = []
    for proc in order:
        series = Series()
        h, f = hist.get(proc), fcst.get(proc)
        if h is not None and not h.empty:
            h = h.sort_values(WEEK)
            series.line(
                days(h[WEEK]), floats(h[COMPLETED]), "completed (history)", color=BLACK, lw=1.2
            )
        if f is not None and not f.empty:
            f = f.sort_values(WEEK)
            x = days(f[WEEK])
            series.band(
                x, floats(f[P10]), floats(f[P90]), "forecast p10–p90", color=SKY_BLUE, alpha=0.35
            )
            series.line(x, floats(f[P50]), "forecast p50", color=BLUE, lw=1.6, ls="--")
        panels.append(series)
    fig = new_figure(height)
    top = legend(fig, [e for s in panels for e in s.entries], 3)
    grid = grid_panels(fig, panels, top, ncols)
    ticks = date_ticks(*grid[0].xlim) if grid else ([], [])
    for i, (proc, series, panel) in enumerate(zip(order, panels, grid, strict=True)):
        panel.draw(series)
        # Dates under the bottom panel of each column (and a panel with an empty slot below).
        panel.axes(None, *ticks, x_labels=i + ncols >= len(order))
        panel.title(proc.replace("_", " "))
    grid_y_label(fig, top, "procedures per week")
    return png_bytes(fig)


def hours_chart(staffing: pd.DataFrame) -> bytes:
    """Therapist hours needed per week (with p10–p90 range if given) against rostered hours.

    Args:
        staffing: ``week``, ``therapist_hours_needed``, ``hours_rostered`` (paid hours), and
            optionally ``therapist_hours_p10`` and ``therapist_hours_p90``.
    """
    s = staffing.sort_values(WEEK)
    x = days(s[WEEK])
    needed = floats(s["therapist_hours_needed"])
    rostered = floats(s["hours_rostered"])
    series = Series()
    if {"therapist_hours_p10", "therapist_hours_p90"} <= set(s.columns):
        series.band(
            x,
            floats(s["therapist_hours_p10"]),
            floats(s["therapist_hours_p90"]),
            "hours for p10–p90 demand",
            color=GREY,
            alpha=0.3,
        )
    if (needed > rostered).any():
        series.band(
            x,
            rostered,
            needed,
            "shortfall",
            hatch="xxx",
            edgecolor=VERMILLION,
            where=needed > rostered,
        )
    series.line(x, needed, "hours needed", color=BLUE, lw=1.8, marker="o", ms=4)
    series.line(x, rostered, "hours rostered", color=BLACK, lw=1.6, ls="--", marker="s", ms=3)
    fig = new_figure(HEIGHT_IN)
    top = legend(fig, series.entries, LEGEND_COLUMNS)
    # Not from zero: the gap between two lines of similar height is the point of this chart.
    panel = Panel.single(fig, series, top, from_zero=False)
    panel.draw(series)
    panel.axes("therapist hours per week", *week_ticks(x))
    return png_bytes(fig)
