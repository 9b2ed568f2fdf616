"""The charts' layout: palette, plot panels in inches, small-multiple grids and the legend.

A network of 200 clinics has 600 charts, so drawing is kept cheap. matplotlib's ``Axes`` (with
its tick objects, legend boxes and layout engine) cost several times the drawing itself, so the
charts are laid out in inches by ``Panel``: a plot area at a fixed place, linear scales from
data to inches, and a handful of plain artists (one line for all grid lines, one marker line
for all tick marks, a text per label). Ticks and margins are matplotlib's (``chart_scales``);
figures and their PNG encode are ``chart_figure``'s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.markers import TICKDOWN, TICKLEFT
from matplotlib.patches import Polygon
from matplotlib.text import Text
from matplotlib.transforms import Bbox, TransformedBbox

from forecasting.report.chart_figure import WIDTH_IN
from forecasting.report.chart_scales import margins, y_ticks

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

_FONT = 11  # pt: panel titles
_SMALL = 10  # pt: tick labels, axis labels, legend
LEGEND_COLUMNS = 2  # legends of long labels wrap to two columns rather than run off the side

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
    "BLACK",
    "BLUE",
    "GREEN",
    "GREY",
    "LEGEND_COLUMNS",
    "ORANGE",
    "PURPLE",
    "SKY_BLUE",
    "VERMILLION",
    "Panel",
    "Series",
    "grid_panels",
    "grid_y_label",
    "legend",
]


# ----------------------------------------------------------------------------------------------
# Series and panels


@dataclass
class Series:
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


class Panel:
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
        series: Series,
        top: float,
        from_zero: bool,
        extra_x: np.ndarray | None = None,
    ) -> Panel:
        """The one panel of a full-width chart, below a legend ``top`` inches high."""
        height = fig.get_size_inches()[1]
        span = series.x_range()
        xs = [v for v in (*(span or ()), *(extra_x if extra_x is not None else ())) if v == v]
        xlim = margins(min(xs), max(xs)) if xs else (0.0, 1.0)
        ylim = cls.y_range(series, from_zero)
        bottom = _PAD + _XTICKS
        ticks = y_ticks(*ylim, height - top - bottom, _SMALL)
        left = _YLABEL + _labels_width(ticks[1]) + 2 * _TICK
        w, h = WIDTH_IN - left - _RIGHT, height - top - bottom
        return cls(fig, left, bottom, w, h, xlim, ylim, ticks)

    @staticmethod
    def y_range(series: Series, from_zero: bool) -> tuple[float, float]:
        """matplotlib's autoscaling: the data range plus 5% each side; from zero if asked."""
        values = series.y_values()
        if not len(values):
            return (0.0, 1.0)
        lo, hi = margins(float(values.min()), float(values.max()))
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

    def draw(self, series: Series) -> None:
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
        tick: dict[str, Any] = {"ls": "none", "color": BLACK, "ms": 3.5, "mew": 0.8, "zorder": 2.5}
        self._add(Line2D(np.full(len(ypos), left), ypos, marker=TICKLEFT, **tick), clip=False)  # type: ignore[arg-type]
        self._add(Line2D(xpos, np.full(len(xpos), bottom), marker=TICKDOWN, **tick), clip=False)  # type: ignore[arg-type]
        for y, label in zip(ypos, ylabels, strict=True):
            _text(fig, left - 2 * _TICK, y, label, ha="right", va="center_baseline")
        for x, label in zip(xpos, xlabels if x_labels else [], strict=False):
            _text(fig, x, bottom - 2 * _TICK, label, ha="center", va="top")
        if ylabel:
            _y_label(fig, bottom + self.h / 2, ylabel)

    def title(self, text: str) -> None:
        _text(self.fig, self.x0, self.y0 + self.h + 6 * _PT, text, _FONT, ha="left", va="baseline")


def grid_panels(fig: Figure, panels: Sequence[Series], top: float, ncols: int) -> list[Panel]:
    """Small multiples: one panel per series in ``ncols`` columns, row by row, below a legend
    ``top`` inches high (and the panels' titles), with one x range for every panel (shared
    dates) and one tick label width for every column."""
    height = fig.get_size_inches()[1]
    nrows = math.ceil(max(len(panels), 1) / ncols)
    top = top + _TITLE
    xs = [r for r in (s.x_range() for s in panels) if r is not None]
    xlim = margins(min(lo for lo, _ in xs), max(hi for _, hi in xs)) if xs else (0.0, 1.0)
    gap_y = _XTICKS + _TITLE
    panel_h = (height - top - _XTICKS - _PAD - (nrows - 1) * gap_y) / nrows
    ylims = [Panel.y_range(s, from_zero=True) for s in panels]
    yticks = [y_ticks(lo, hi, panel_h, _SMALL) for lo, hi in ylims]
    label_w = max((_labels_width(labels) for _, labels in yticks), default=0.0)
    left = _YLABEL + label_w + 2 * _TICK
    gap_x = _COLUMN_GAP + label_w + 2 * _TICK
    width = (WIDTH_IN - left - _RIGHT - (ncols - 1) * gap_x) / ncols
    out = []
    for i in range(len(panels)):
        row, col = divmod(i, ncols)
        x0 = left + col * (width + gap_x)
        y0 = height - top - row * (panel_h + gap_y) - panel_h
        out.append(Panel(fig, x0, y0, width, panel_h, xlim, ylims[i], yticks[i]))
    return out


def grid_y_label(fig: Figure, top: float, text: str) -> None:
    """The y axis label of ``grid_panels``' panels, centred on them all."""
    height = fig.get_size_inches()[1]
    top = top + _TITLE
    _y_label(fig, (height - top + _XTICKS + _PAD) / 2, text)


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


def _y_label(fig: Figure, y: float, text: str) -> None:
    """An axis label turned upright along the left edge, centred on ``y`` inches."""
    _text(fig, _PAD, y, text, rotation=90, ha="center", va="top", rotation_mode="anchor")


def _text(fig: Figure, x: float, y: float, text: str, size: float = _SMALL, **style: Any) -> None:
    """``text`` at ``(x, y)`` inches from the bottom left of ``fig``."""
    fig.add_artist(Text(x, y, text, transform=fig.dpi_scale_trans, fontsize=size, **style))


def legend(fig: Figure, entries: Sequence[tuple[str, str, dict[str, Any]]], columns: int) -> float:
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
