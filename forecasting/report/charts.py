"""Report charts as PNG bytes, drawn with matplotlib artists on the Agg canvas.

No pyplot: each chart builds its own ``Figure`` and ``FigureCanvasAgg``, so charts can be drawn
from several threads or processes at once and nothing lingers in a global figure registry.
Colours come from the Okabe-Ito palette (safe for colour-blind readers) and every series also
differs by line style, marker or hatching, so a black-and-white print stays readable. The same
inputs give the same bytes: fixed size and dpi, and a deterministic palette encode (Pillow, a
matplotlib dependency) that leaves no metadata chunk in the PNG.

A network of 200 clinics has 600 charts, so drawing is kept cheap. matplotlib's ``Axes`` (with
its tick objects, legend boxes and layout engine) cost several times the drawing itself, so the
charts here are laid out in inches by ``_Panel``: a plot area at a fixed place, linear scales
from data to inches, and a handful of plain artists (one line for all grid lines, one marker
line for all tick marks, a text per label). Ticks are chosen as matplotlib would (``MaxNLocator``
for counts; month starts, the year at January, for dates), and the PNG is encoded from the
canvas' pixels without a round trip through a second PNG.

Frames passed in are already filtered to one clinic; ``week`` is the Monday of the ISO week.
"""

from __future__ import annotations

import base64
import io
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.markers import TICKDOWN, TICKLEFT
from matplotlib.patches import Polygon
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Bbox, TransformedBbox
from PIL import Image

from forecasting.columns import COMPLETED, P10, P50, P90, PROCEDURE, SESSIONS, WEEK

# Okabe-Ito
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
GREEN = "#009E73"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
GREY = "#999999"
_GRID = "#dddddd"

# 800 x 362 px: sharp at desktop width, and big enough type (10-11 pt at 125 dpi) to stay
# legible when a phone scales the image down to its 370 px column.
WIDTH_IN = 6.4
HEIGHT_IN = 2.9
DPI = 125
_FONT = 11
_SMALL = 10
_LEGEND_COLUMNS = 2  # legends of long labels wrap to two columns rather than run off the side
_MAX_DATE_TICKS = 6
# Month labels spelled out here, not via strftime, so the process locale cannot change them.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_STEPS = (1, 2, 3, 4, 6, 12, 24, 60, 120)
_MINUS = "\N{MINUS SIGN}"

# Layout, in inches (type sizes and tick lengths are in points: 1 pt = 1/72 in).
_PT = 1 / 72
_PAD = 0.08  # figure edge to the outermost text
_TICK = 3.5 * _PT  # tick length, and the gap between a tick and its label
_YLABEL = _PAD + _SMALL * _PT + 4 * _PT  # figure edge to the tick labels, past the axis label
_XTICKS = 2 * _TICK + 1.25 * _SMALL * _PT  # ticks and date labels under a panel
_TITLE = 6 * _PT + 1.3 * _FONT * _PT  # an 11 pt panel title above its panel
_LEGEND_ROW = 1.5 * _SMALL * _PT  # one row of the legend: text plus half a line of spacing
_RIGHT = 0.22  # half of a date label centred on a tick at the right edge
_COLUMN_GAP = 0.35  # between the two columns of small multiples, besides the tick labels

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
    cutoff = _x([as_of])
    series = _Series()
    if not history.empty:
        h = history.sort_values(WEEK)
        series.line(_x(h[WEEK]), _y(h[SESSIONS]), "sessions (history)", color=BLACK, lw=1.6)
    if not forecast.empty:
        f = forecast.sort_values(WEEK)
        x = _x(f[WEEK])
        series.band(x, _y(f[P10]), _y(f[P90]), "forecast p10–p90", color=SKY_BLUE, alpha=0.35)
        series.line(x, _y(f[P50]), "forecast p50", color=BLUE, lw=1.8, ls="--", marker="o", ms=3)
    if not committed.empty:
        c = committed.sort_values(WEEK)
        x = _x(c[WEEK])
        owed = _y(c["committed"])
        series.band(
            x,
            np.zeros_like(owed),
            owed,
            "committed (already operated on)",
            hatch="///",
            edgecolor=ORANGE,
        )
        series.line(x, owed, None, color=ORANGE, lw=1.4, ls=":")
    fig = _new_figure(HEIGHT_IN)
    top = _legend(fig, series.entries, _LEGEND_COLUMNS)
    panel = _Panel.single(fig, series, top, from_zero=True, extra_x=cutoff)
    panel.draw(series)
    panel.vline(cutoff[0], color=GREY, lw=1, ls="-.")
    panel.axes("sessions per week", *_date_ticks(*panel.xlim))
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
    hist = dict(iter(history.groupby(PROCEDURE, sort=False))) if not history.empty else {}
    fcst = dict(iter(forecast.groupby(PROCEDURE, sort=False))) if not forecast.empty else {}
    panels: list[_Series] = []
    for proc in order:
        series = _Series()
        h, f = hist.get(proc), fcst.get(proc)
        if h is not None and not h.empty:
            h = h.sort_values(WEEK)
            series.line(_x(h[WEEK]), _y(h[COMPLETED]), "completed (history)", color=BLACK, lw=1.2)
        if f is not None and not f.empty:
            f = f.sort_values(WEEK)
            x = _x(f[WEEK])
            series.band(x, _y(f[P10]), _y(f[P90]), "forecast p10–p90", color=SKY_BLUE, alpha=0.35)
            series.line(x, _y(f[P50]), "forecast p50", color=BLUE, lw=1.6, ls="--")
        panels.append(series)
    fig = _new_figure(height)
    entries = [e for s in panels for e in s.entries]
    top = _legend(fig, entries, 3) + _TITLE
    # One x range for every panel (shared dates), one tick label width for every column.
    xs = [s.x_range() for s in panels if s.x_range() is not None]
    xlim = _margins(min(lo for lo, _ in xs), max(hi for _, hi in xs)) if xs else (0.0, 1.0)
    gap_y = _XTICKS + _TITLE
    panel_h = (height - top - _XTICKS - _PAD - (nrows - 1) * gap_y) / nrows
    ylims = [_Panel.y_range(s, from_zero=True) for s in panels]
    yticks = [_y_ticks(lo, hi, panel_h) for lo, hi in ylims]
    label_w = max((_labels_width(labels) for _, labels in yticks), default=0.0)
    left = _YLABEL + label_w + 2 * _TICK
    gap_x = _COLUMN_GAP + label_w + 2 * _TICK
    width = (WIDTH_IN - left - _RIGHT - (ncols - 1) * gap_x) / ncols
    date_ticks = _date_ticks(*xlim)
    for i, (proc, series) in enumerate(zip(order, panels, strict=True)):
        row, col = divmod(i, ncols)
        x0 = left + col * (width + gap_x)
        y0 = height - top - row * (panel_h + gap_y) - panel_h
        panel = _Panel(fig, x0, y0, width, panel_h, xlim, ylims[i], yticks[i])
        panel.draw(series)
        # Dates under the bottom panel of each column (and a panel with an empty slot below).
        panel.axes(None, *date_ticks, x_labels=i + ncols >= len(order))
        panel.title(proc.replace("_", " "))
    _y_label(fig, (height - top + _XTICKS + _PAD) / 2, "procedures per week")
    return _png(fig)


def hours_chart(staffing: pd.DataFrame) -> bytes:
    """Therapist hours needed per week (with p10–p90 range if given) against rostered hours.

    Args:
        staffing: ``week``, ``therapist_hours_needed``, ``hours_rostered`` (paid hours), and
            optionally ``therapist_hours_p10`` and ``therapist_hours_p90``.
    """
    s = staffing.sort_values(WEEK)
    x = _x(s[WEEK])
    needed = _y(s["therapist_hours_needed"])
    rostered = _y(s["hours_rostered"])
    series = _Series()
    if {"therapist_hours_p10", "therapist_hours_p90"} <= set(s.columns):
        series.band(
            x,
            _y(s["therapist_hours_p10"]),
            _y(s["therapist_hours_p90"]),
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
    fig = _new_figure(HEIGHT_IN)
    top = _legend(fig, series.entries, _LEGEND_COLUMNS)
    # Not from zero: the gap between two lines of similar height is the point of this chart.
    panel = _Panel.single(fig, series, top, from_zero=False)
    panel.draw(series)
    panel.axes("therapist hours per week", *_week_ticks(x))
    return _png(fig)


# ----------------------------------------------------------------------------------------------
# Series and panels


@dataclass
class _Series:
    """What one panel shows: lines and bands (``x`` in day numbers), with legend labels."""

    items: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    entries: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def line(self, x: np.ndarray, y: np.ndarray, label: str | None, **style: Any) -> None:
        self.items.append(("line", {"x": x, "y": y, **style}))
        if label:
            self.entries.append((label, "line", style))

    def band(
        self,
        x: np.ndarray,
        lo: np.ndarray,
        hi: np.ndarray,
        label: str,
        where: np.ndarray | None = None,
        **style: Any,
    ) -> None:
        self.items.append(("band", {"x": x, "lo": lo, "hi": hi, "where": where, **style}))
        self.entries.append((label, "band", style))

    def x_range(self) -> tuple[float, float] | None:
        xs = [i["x"] for _, i in self.items if len(i["x"])]
        if not xs:
            return None
        return min(float(x.min()) for x in xs), max(float(x.max()) for x in xs)

    def y_values(self) -> np.ndarray:
        parts = [i[k] for kind, i in self.items for k in ("y", "lo", "hi") if k in i]
        values = np.concatenate(parts) if parts else np.array([], dtype=float)
        return values[np.isfinite(values)]


class _Panel:
    """A plot area ``w`` x ``h`` inches at ``(x0, y0)`` (from the bottom left) of ``fig``, with
    linear scales from data to inches; what it draws is clipped to the area, like an Axes."""

    def __init__(
        self,
        fig: Figure,
        x0: float,
        y0: float,
        w: float,
        h: float,
        xlim: tuple[float, float],
        ylim: tuple[float, float],
        yticks: tuple[list[float], list[str]],
    ) -> None:
        self.fig, self.x0, self.y0, self.w, self.h = fig, x0, y0, w, h
        self.xlim, self.ylim, self.yticks = xlim, ylim, yticks
        self.trans = fig.dpi_scale_trans
        self.clip = TransformedBbox(Bbox.from_bounds(x0, y0, w, h), self.trans)

    @classmethod
    def single(
        cls,
        fig: Figure,
        series: _Series,
        top: float,
        from_zero: bool,
        extra_x: np.ndarray | None = None,
    ) -> _Panel:
        """The one panel of a full-width chart, below a legend ``top`` inches high."""
        height = fig.get_size_inches()[1]
        span = series.x_range()
        xs = [v for v in (*(span or ()), *(extra_x if extra_x is not None else ())) if v == v]
        xlim = _margins(min(xs), max(xs)) if xs else (0.0, 1.0)
        ylim = cls.y_range(series, from_zero)
        bottom = _PAD + _XTICKS
        ticks = _y_ticks(*ylim, height - top - bottom)
        left = _YLABEL + _labels_width(ticks[1]) + 2 * _TICK
        w, h = WIDTH_IN - left - _RIGHT, height - top - bottom
        return cls(fig, left, bottom, w, h, xlim, ylim, ticks)

    @staticmethod
    def y_range(series: _Series, from_zero: bool) -> tuple[float, float]:
        """matplotlib's autoscaling: the data range plus 5% each side; from zero if asked."""
        values = series.y_values()
        if not len(values):
            return (0.0, 1.0)
        lo, hi = _margins(float(values.min()), float(values.max()))
        if from_zero:
            lo = 0.0
            if hi <= 0:
                hi = 1.0
        return lo, hi

    def X(self, x: Any) -> np.ndarray:  # noqa: N802 - data to inches, as in a transform
        lo, hi = self.xlim
        return self.x0 + (np.asarray(x, dtype=float) - lo) / (hi - lo) * self.w

    def Y(self, y: Any) -> np.ndarray:  # noqa: N802
        lo, hi = self.ylim
        return self.y0 + (np.asarray(y, dtype=float) - lo) / (hi - lo) * self.h

    def _add(self, artist: Artist, clip: bool = True) -> None:
        artist.set_transform(self.trans)
        if clip:
            artist.set_clip_box(self.clip)
        self.fig.add_artist(artist)

    def draw(self, series: _Series) -> None:
        """Bands under lines, each in the order given (as matplotlib's z-order would)."""
        for kind, item in series.items:
            if kind == "band":
                for poly in _between(item["x"], item["lo"], item["hi"], item["where"]):
                    self._add(
                        _band_patch(np.column_stack([self.X(poly[:, 0]), self.Y(poly[:, 1])]), item)
                    )
        for kind, item in series.items:
            if kind == "line":
                style = {k: v for k, v in item.items() if k not in ("x", "y")}
                self._add(Line2D(self.X(item["x"]), self.Y(item["y"]), zorder=2, **style))

    def vline(self, x: float, **style: Any) -> None:
        px = float(self.X(x))
        self._add(Line2D([px, px], [self.y0, self.y0 + self.h], zorder=2, **style))

    def axes(
        self,
        ylabel: str | None,
        xticks: Sequence[float],
        xlabels: Sequence[str],
        x_labels: bool = True,
    ) -> None:
        """Left and bottom spines, y grid, ticks and their labels, and the y axis label."""
        fig = self.fig
        ys, ylabels = self.yticks
        ypos = self.Y(ys)
        xpos = self.X(xticks)
        left, bottom = self.x0, self.y0
        if len(ypos):
            grid = np.full((3 * len(ypos), 2), np.nan)
            grid[0::3] = np.column_stack([np.full(len(ypos), left), ypos])
            grid[1::3] = np.column_stack([np.full(len(ypos), left + self.w), ypos])
            self._add(Line2D(grid[:, 0], grid[:, 1], color=_GRID, lw=0.6, zorder=0.5))
        spines = Line2D(
            [left, left, left + self.w],
            [bottom + self.h, bottom, bottom],
            color=BLACK,
            lw=0.8,
            zorder=2.5,
            solid_joinstyle="miter",
            solid_capstyle="projecting",
        )
        self._add(spines, clip=False)
        tick = {"ls": "none", "color": BLACK, "ms": 3.5, "mew": 0.8, "zorder": 2.5}
        self._add(Line2D(np.full(len(ypos), left), ypos, marker=TICKLEFT, **tick), clip=False)
        self._add(Line2D(xpos, np.full(len(xpos), bottom), marker=TICKDOWN, **tick), clip=False)
        for y, label in zip(ypos, ylabels, strict=True):
            _text(fig, left - 2 * _TICK, y, label, ha="right", va="center_baseline")
        for x, label in zip(xpos, xlabels if x_labels else [], strict=False):
            _text(fig, x, bottom - 2 * _TICK, label, ha="center", va="top")
        if ylabel:
            _y_label(fig, bottom + self.h / 2, ylabel)

    def title(self, text: str) -> None:
        _text(self.fig, self.x0, self.y0 + self.h + 6 * _PT, text, _FONT, ha="left", va="baseline")


def _band_patch(vertices: np.ndarray, item: dict[str, Any]) -> Polygon:
    if item.get("hatch"):
        return Polygon(
            vertices,
            closed=True,
            facecolor="none",
            edgecolor=item["edgecolor"],
            hatch=item["hatch"],
            lw=0,
            zorder=1,
        )
    return Polygon(
        vertices, closed=True, facecolor=item["color"], alpha=item["alpha"], lw=0, zorder=1
    )


def _between(
    x: np.ndarray, lo: np.ndarray, hi: np.ndarray, where: np.ndarray | None
) -> list[np.ndarray]:
    """Polygons filling between ``lo`` and ``hi`` (as ``fill_between``); with ``where``, one per
    run of True, widened to the interpolated crossings of the two curves at its ends."""
    if len(x) == 0:
        return []
    if where is None:
        return [np.column_stack([np.r_[x, x[::-1]], np.r_[hi, lo[::-1]]])]
    polys = []
    idx = np.flatnonzero(where)
    runs = np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1) if len(idx) else []
    for run in runs:
        i, j = int(run[0]), int(run[-1])
        xs, top, bot = list(x[i : j + 1]), list(hi[i : j + 1]), list(lo[i : j + 1])
        if i > 0:
            xc = _crossing(x[i - 1], x[i], hi[i - 1] - lo[i - 1], hi[i] - lo[i])
            yc = lo[i - 1] + (lo[i] - lo[i - 1]) * (xc - x[i - 1]) / (x[i] - x[i - 1])
            xs, top, bot = [xc, *xs], [yc, *top], [yc, *bot]
        if j < len(x) - 1:
            xc = _crossing(x[j], x[j + 1], hi[j] - lo[j], hi[j + 1] - lo[j + 1])
            yc = lo[j] + (lo[j + 1] - lo[j]) * (xc - x[j]) / (x[j + 1] - x[j])
            xs, top, bot = [*xs, xc], [*top, yc], [*bot, yc]
        polys.append(np.column_stack([np.r_[xs, xs[::-1]], np.r_[top, bot[::-1]]]))
    return polys


def _crossing(x0: float, x1: float, d0: float, d1: float) -> float:
    """Where a difference going linearly from ``d0`` at ``x0`` to ``d1`` at ``x1`` is zero."""
    return float(x0 if d0 == d1 else x0 + (x1 - x0) * d0 / (d0 - d1))


# ----------------------------------------------------------------------------------------------
# Legend, ticks, text


_FIGURES = threading.local()


def _y_label(fig: Figure, y: float, text: str) -> None:
    """An axis label turned upright along the left edge, centred on ``y`` inches."""
    _text(fig, _PAD, y, text, rotation=90, ha="center", va="top", rotation_mode="anchor")


def _text(fig: Figure, x: float, y: float, text: str, size: float = _SMALL, **style: Any) -> None:
    """``text`` at ``(x, y)`` inches from the bottom left of ``fig``."""
    fig.add_artist(Text(x, y, text, transform=fig.dpi_scale_trans, fontsize=size, **style))


def _new_figure(height: float) -> Figure:
    """An empty figure ``height`` inches high, reused by this thread's later charts of that
    height: its canvas keeps its renderer, and so matplotlib's cache of text sizes."""
    figures = _FIGURES.__dict__.setdefault("by_height", {})
    fig = figures.get(height)
    if fig is None:
        fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI, facecolor="white")
        FigureCanvasAgg(fig)
        figures[height] = fig
    return fig


def _legend(fig: Figure, entries: Sequence[tuple[str, str, dict[str, Any]]], columns: int) -> float:
    """A frameless legend at the top centre, filled column by column as matplotlib's; returns
    the height it and the gap under it take, in inches."""
    unique: dict[str, tuple[str, dict[str, Any]]] = {}
    for label, kind, style in entries:
        unique.setdefault(label, (kind, style))
    if not unique:
        return _PAD + 0.1
    ncols = min(len(unique), columns)
    nrows = math.ceil(len(unique) / ncols)
    items = list(unique.items())
    cols = [items[c * nrows : (c + 1) * nrows] for c in range(ncols)]
    em = _SMALL * _PT  # matplotlib's legend spacing is in font sizes
    handle_w, handle_h, text_pad, col_gap = 2.0 * em, 0.7 * em, 0.8 * em, 2.0 * em
    widths = [max(handle_w + text_pad + _text_width(label, _SMALL) for label, _ in c) for c in cols]
    x = (WIDTH_IN - sum(widths) - col_gap * (ncols - 1)) / 2
    top = fig.get_size_inches()[1] - _PAD
    for col, width in zip(cols, widths, strict=True):
        for r, (label, (kind, style)) in enumerate(col):
            y = top - (r + 0.5) * _LEGEND_ROW
            if kind == "line":  # a stretch of the line, with its marker in the middle
                handle: Artist = Line2D(
                    [x, x + handle_w / 2, x + handle_w], [y, y, y], markevery=[1], **style
                )
            else:
                left, bottom, right, up = x, y - handle_h / 2, x + handle_w, y + handle_h / 2
                box = np.array([(left, bottom), (right, bottom), (right, up), (left, up)])
                handle = _band_patch(box, style)
            handle.set_transform(fig.dpi_scale_trans)
            fig.add_artist(handle)
            _text(fig, x + handle_w + text_pad, y, label, ha="left", va="center_baseline")
        x += width + col_gap
    return _PAD + nrows * _LEGEND_ROW + 0.12


def _margins(lo: float, hi: float) -> tuple[float, float]:
    """matplotlib's default 5% margins on each side (and a unit range around a single value)."""
    if hi == lo:
        return (lo - 1.0, hi + 1.0) if lo == 0 else (lo - abs(lo) * 0.05, hi + abs(hi) * 0.05)
    pad = 0.05 * (hi - lo)
    return lo - pad, hi + pad


def _y_ticks(lo: float, hi: float, height_in: float) -> tuple[list[float], list[str]]:
    """Tick values in [lo, hi] as matplotlib's default locator picks them for an axis
    ``height_in`` tall, with labels of one number of decimals (``0.0, 2.5, 5.0``)."""
    nbins = int(np.clip(math.floor(height_in * 72 / (2 * _SMALL)), 1, 9))
    locator = MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10])
    span = hi - lo
    inside = [v for v in locator.tick_values(lo, hi) if lo - 1e-9 * span <= v <= hi + 1e-9 * span]
    ticks = [float(v) for v in inside]
    decimals = 0
    for v in ticks:
        while decimals < 6 and abs(round(v, decimals) - v) > 1e-9 * max(1.0, abs(v)):
            decimals += 1
    labels = []
    for v in ticks:
        text = f"{v:.{decimals}f}"
        if float(text) == 0:
            text = text.lstrip("-")
        labels.append(text.replace("-", _MINUS))
    return ticks, labels


def _date_ticks(lo: float, hi: float) -> tuple[list[float], list[str]]:
    """Ticks on month starts (every k-th month, at most six), labelled ``Jul`` or, in January,
    with the year; one tick per week when the window holds fewer than two month starts."""
    first = mdates.num2date(lo).date()
    last = mdates.num2date(hi).date()
    months = []
    y, m = first.year, first.month
    if first.day != 1:
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    while date(y, m, 1) <= last:
        months.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    if len(months) < 2:
        monday = mdates.date2num(np.datetime64(first, "D") - np.timedelta64(first.weekday(), "D"))
        weeks = np.arange(monday, hi + 1e-9, 7.0)
        return _week_ticks(weeks[weeks >= lo - 1e-9])
    shown = months
    for step in _MONTH_STEPS:
        shown = [
            d
            for d in months
            if (step < 12 and (d.month - 1) % step == 0)
            or (step >= 12 and d.month == 1 and d.year % (step // 12) == 0)
        ]
        if len(shown) <= _MAX_DATE_TICKS:
            break
    labels = [str(d.year) if d.month == 1 else _MONTHS[d.month - 1] for d in shown]
    return [float(v) for v in mdates.date2num(shown)], labels


def _week_ticks(weeks: Sequence[float] | np.ndarray) -> tuple[list[float], list[str]]:
    """One tick per week (every k-th week when there are many), labelled ``30 Nov``."""
    if len(weeks) == 0:
        return [], []
    step = max(1, math.ceil(len(weeks) / 7))
    shown = [float(w) for w in list(weeks)[::step]]
    days = [mdates.num2date(d).date() for d in shown]
    return shown, [f"{d.day} {_MONTHS[d.month - 1]}" for d in days]


def _labels_width(labels: Sequence[str]) -> float:
    return max((_text_width(label, _SMALL) for label in labels), default=0.0)


@cache
def _renderer() -> RendererAgg:
    return RendererAgg(10, 10, 72)  # at 72 dpi, a width in pixels is a width in points


@cache
def _text_width(text: str, size: float) -> float:
    """Width of ``text`` in inches, in matplotlib's default font."""
    font = FontProperties(size=size)
    width, _, _ = _renderer().get_text_width_height_descent(text, font, ismath=False)
    return width / 72.0


def _x(weeks: pd.Series | Sequence[date]) -> np.ndarray:
    """Weeks as matplotlib day numbers (whatever the pandas time unit)."""
    return mdates.date2num(pd.DatetimeIndex(pd.to_datetime(list(weeks))).as_unit("s").to_numpy())


def _y(values: pd.Series) -> np.ndarray:
    return values.astype(float).to_numpy()


# ----------------------------------------------------------------------------------------------
# PNG


def _png(fig: Figure) -> bytes:
    """PNG bytes of ``fig``, encoded with a 256-colour palette.

    The charts use a handful of flat colours, so the palette is visually lossless (no pixel
    off by more than 15 of 255, the average by about 1) and makes the file three times smaller
    than an RGB PNG (which matters once hundreds of clinics' charts are embedded in one page).
    Octree quantisation without dithering is deterministic, about eight times faster than
    median cut and gives smaller files; zlib level 6 is about ten times faster than
    ``optimize``.
    """
    try:
        fig.canvas.draw()
        width, height = fig.canvas.get_width_height()
        rgba = Image.frombuffer(
            "RGBA", (width, height), bytes(fig.canvas.buffer_rgba()), "raw", "RGBA", 0, 1
        )
    finally:
        fig.clear()  # for the next chart of this size (it holds only this chart's artists)
    indexed = rgba.convert("RGB").quantize(
        colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
    )
    # The octree averages each bucket, which turns the white background into 254-grey: snap
    # the near-white entries back to white.
    palette = indexed.getpalette() or []
    for i in range(0, len(palette) - 2, 3):
        if min(palette[i : i + 3]) >= 250:
            palette[i : i + 3] = [255, 255, 255]
    indexed.putpalette(palette)
    out = io.BytesIO()
    indexed.save(out, format="PNG", compress_level=6)
    return out.getvalue()
