"""Report charts as PNG bytes: matplotlib ``Figure`` objects on the Agg canvas.

No pyplot: each chart builds its own ``Figure`` and ``FigureCanvasAgg``, so charts can be drawn
from several threads at once and nothing lingers in a global figure registry. Colours come from
the Okabe-Ito palette (safe for colour-blind readers) and every series also differs by line
style, marker or hatching, so a black-and-white print stays readable. The same inputs give the
same bytes: fixed size and dpi, no ``Software`` stamp, and a deterministic palette re-encode
(Pillow, a matplotlib dependency) that leaves no metadata chunk in the PNG.

Frames passed in are already filtered to one clinic; ``week`` is the Monday of the ISO week.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence
from datetime import date, datetime

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from .columns import COMPLETED, P10, P50, P90, PROCEDURE, SESSIONS, WEEK

# Okabe-Ito
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
GREEN = "#009E73"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
GREY = "#999999"

# 800 x 362 px: sharp at desktop width, and big enough type (10-11 pt at 125 dpi) to stay
# legible when a phone scales the image down to its 370 px column.
WIDTH_IN = 6.4
HEIGHT_IN = 2.9
DPI = 125
_FONT = 11
_SMALL = 10
_LEGEND_COLUMNS = 2  # legends of long labels wrap to two columns rather than run off the side
# Month labels spelled out here, not via strftime, so the process locale cannot change them.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

__all__ = [
    "DPI",
    "hours_chart",
    "procedures_chart",
    "sessions_chart",
    "to_data_uri",
]


def to_data_uri(png: bytes) -> str:
    """``data:image/png;base64,...`` for an ``<img src>``: nothing is fetched at view time."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def sessions_chart(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    committed: pd.DataFrame,
    as_of: date,
) -> bytes:
    """Weekly MLD sessions: history, forecast fan and the committed part of the forecast.

    Args:
        history: ``week``, ``sessions`` (attended sessions per week), already cut to the
            weeks to show.
        forecast: ``week``, ``p10``, ``p50``, ``p90`` of the ``sessions`` series.
        committed: ``week``, ``committed``: mean sessions owed to patients already operated on.
        as_of: data cut-off, drawn as a vertical line where the forecast starts.
    """
    fig, ax = _figure(HEIGHT_IN)
    if not history.empty:
        h = history.sort_values(WEEK)
        ax.plot(_x(h[WEEK]), h[SESSIONS], color=BLACK, lw=1.6, ls="-", label="sessions (history)")
    if not forecast.empty:
        f = forecast.sort_values(WEEK)
        x = _x(f[WEEK])
        ax.fill_between(
            x, f[P10], f[P90], color=SKY_BLUE, alpha=0.35, lw=0, label="forecast p10–p90"
        )
        ax.plot(x, f[P50], color=BLUE, lw=1.8, ls="--", marker="o", ms=3, label="forecast p50")
    if not committed.empty:
        c = committed.sort_values(WEEK)
        x = _x(c[WEEK])
        ax.fill_between(
            x,
            0,
            c["committed"],
            facecolor="none",
            edgecolor=ORANGE,
            hatch="///",
            lw=0,
            label="committed (already operated on)",
        )
        ax.plot(x, c["committed"], color=ORANGE, lw=1.4, ls=":")
    ax.axvline(_x([as_of])[0], color=GREY, lw=1, ls="-.")
    _finish(fig, ax, "sessions per week")
    return _png(fig)


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
    fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, sharex=True, squeeze=False).ravel()
    for ax, proc in zip(axes, order, strict=False):
        h = history[history[PROCEDURE] == proc].sort_values(WEEK)
        f = forecast[forecast[PROCEDURE] == proc].sort_values(WEEK)
        if not h.empty:
            ax.plot(_x(h[WEEK]), h[COMPLETED], color=BLACK, lw=1.2, label="completed (history)")
        if not f.empty:
            x = _x(f[WEEK])
            ax.fill_between(
                x, f[P10], f[P90], color=SKY_BLUE, alpha=0.35, lw=0, label="forecast p10–p90"
            )
            ax.plot(x, f[P50], color=BLUE, lw=1.6, ls="--", label="forecast p50")
        ax.set_title(proc.replace("_", " "), fontsize=_FONT, loc="left")
        _style(ax)
    for j in range(len(order), len(axes)):
        axes[j].set_visible(False)
        if j >= ncols:  # the panel above an empty slot shows the dates itself
            axes[j - ncols].tick_params(labelbottom=True)
    handles: dict[str, object] = {}
    for ax in axes[: len(order)]:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    if handles:
        fig.legend(
            list(handles.values()),
            list(handles.keys()),
            loc="outside upper center",
            ncols=min(len(handles), 3),
            frameon=False,
            fontsize=_SMALL,
        )
    fig.supylabel("procedures per week", fontsize=_SMALL)
    return _png(fig)


def hours_chart(staffing: pd.DataFrame) -> bytes:
    """Therapist hours needed per week (with p10–p90 range if given) against rostered hours.

    Args:
        staffing: ``week``, ``therapist_hours_needed``, ``hours_rostered`` (paid hours), and
            optionally ``therapist_hours_p10`` and ``therapist_hours_p90``.
    """
    fig, ax = _figure(HEIGHT_IN)
    s = staffing.sort_values(WEEK)
    x = _x(s[WEEK])
    needed = s["therapist_hours_needed"].astype(float).to_numpy()
    rostered = s["hours_rostered"].astype(float).to_numpy()
    if {"therapist_hours_p10", "therapist_hours_p90"} <= set(s.columns):
        ax.fill_between(
            x,
            s["therapist_hours_p10"].astype(float),
            s["therapist_hours_p90"].astype(float),
            color=GREY,
            alpha=0.3,
            lw=0,
            label="hours for p10–p90 demand",
        )
    if (needed > rostered).any():
        ax.fill_between(
            x,
            rostered,
            needed,
            where=needed > rostered,
            interpolate=True,
            facecolor="none",
            edgecolor=VERMILLION,
            hatch="xxx",
            lw=0,
            label="shortfall",
        )
    ax.plot(x, needed, color=BLUE, lw=1.8, ls="-", marker="o", ms=4, label="hours needed")
    ax.plot(x, rostered, color=BLACK, lw=1.6, ls="--", marker="s", ms=3, label="hours rostered")
    _finish(fig, ax, "therapist hours per week")
    # Not from zero: the gap between two lines of similar height is the point of this chart.
    ax.set_ylim(auto=True)
    ax.autoscale(axis="y")
    _week_ticks(ax, x)
    return _png(fig)


def _figure(height: float) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _x(weeks: pd.Series | Sequence[date]) -> list[datetime]:
    # Plain datetimes: matplotlib's own date converter, whatever the pandas time unit.
    return [pd.Timestamp(w).to_pydatetime() for w in weeks]


def _week_ticks(ax: Axes, weeks: Sequence[datetime]) -> None:
    """One tick per week (every k-th week when there are many), labelled ``30 Nov``."""
    if not weeks:
        return
    step = max(1, math.ceil(len(weeks) / 7))
    shown = list(weeks)[::step]
    ax.set_xticks(shown, labels=[f"{d.day} {_MONTHS[d.month - 1]}" for d in shown])


def _style(ax: Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.tick_params(labelsize=_SMALL)
    ax.set_ylim(bottom=0)
    ax.grid(True, axis="y", color="#dddddd", lw=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _finish(fig: Figure, ax: Axes, ylabel: str) -> None:
    _style(ax)
    ax.set_ylabel(ylabel, fontsize=_SMALL)
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(
            handles,
            labels,
            loc="outside upper center",
            ncols=min(len(handles), _LEGEND_COLUMNS),
            frameon=False,
            fontsize=_SMALL,
        )


def _png(fig: Figure) -> bytes:
    """PNG bytes of ``fig``, re-encoded with a 256-colour palette.

    The charts use a handful of flat colours, so the palette is visually lossless and makes
    the file two to three times smaller than matplotlib's RGBA PNG (which matters once six
    clinics' charts are embedded in one page). Median-cut without dithering is deterministic.
    """
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None}, facecolor="white")
    finally:
        fig.clear()
    buf.seek(0)
    with Image.open(buf) as image:
        palette = image.convert("RGB").quantize(
            colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True)
    return out.getvalue()
