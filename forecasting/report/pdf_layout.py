"""report.pdf's page flow: wrapped text, images and tables from the top of A4 pages down.

``PageFlow`` measures text in the report font, wraps it, breaks pages (a heading kept with what
follows it) and lays tables out to the page width; it draws on ``pdf_canvas.PdfDocument``.
Lengths are in inches from the top left of the page.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from typing import BinaryIO

from PIL import Image

from forecasting.report.pdf_canvas import PdfDocument
from forecasting.report.pdf_canvas import font as pdf_font
from forecasting.report.tables import Table

__all__ = ["MUTED", "PageFlow"]

_PAGE_W, _PAGE_H = 8.27, 11.69  # A4 portrait, inches
_MARGIN = 0.6
_WIDTH = _PAGE_W - 2 * _MARGIN
_INK = "#1a1a1a"
MUTED = "#555555"
_MARKS = {"short": "#fdf1e8", "warn": "#fff6d6"}
_HEADER_WRAP = 14  # characters per line of a table header


def _width_in(text: str, size: float, bold: bool = False) -> float:
    """Width of ``text`` in inches in the report font."""
    return pdf_font(bold).width(text, size) / 72.0


def _wrap(text: str, size: float, width: float, bold: bool = False) -> list[str]:
    """Greedy word wrap at a measured width (a word longer than a line is cut)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        while _width_in(word, size, bold) > width and len(word) > 1:
            cut = len(word) - 1
            while cut > 1 and _width_in(word[:cut], size, bold) > width:
                cut -= 1
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:cut])
            word = word[cut:]
        candidate = f"{line} {word}" if line else word
        if line and _width_in(candidate, size, bold) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    lines.append(line)
    return lines


class PageFlow:
    """A top-to-bottom flow of text, images and tables on A4 pages (inches from the top left;
    the PDF itself counts points from the bottom left)."""

    def __init__(self) -> None:
        self.pdf = PdfDocument(_PAGE_W * 72, _PAGE_H * 72)
        self.y = 0.0  # inches from the top of the page
        self.new_page()

    def save(self, out: BinaryIO, metadata: dict[str, str]) -> None:
        """Write the pages to the binary file ``out`` as one PDF."""
        self.pdf.save(out, metadata)

    def new_page(self) -> None:
        self.pdf.new_page()
        self.y = _MARGIN

    def _need(self, height: float) -> None:
        if self.y + height > _PAGE_H - _MARGIN and self.y > _MARGIN + 1e-6:
            self.new_page()

    def _put(
        self,
        x: float,
        baseline: float,
        text: str,
        size: float,
        bold: bool = False,
        color: str = _INK,
        right: bool = False,
    ) -> None:
        font = pdf_font(bold)
        x_pt = x * 72 - (font.width(text, size) if right else 0.0)
        self.pdf.text(x_pt, (_PAGE_H - baseline) * 72, text, font, size, color)

    def space(self, height: float) -> None:
        self.y += height

    def keep(self, height: float) -> None:
        """Start a new page unless ``height`` inches still fit on this one."""
        self._need(height)

    def text(
        self,
        text: str,
        size: float,
        bold: bool = False,
        color: str = _INK,
        rule: bool = False,
        bar: str | None = None,
        keep: float = 0.0,
    ) -> None:
        """A wrapped paragraph; ``rule`` underlines it, ``bar`` draws a coloured left bar,
        ``keep`` inches below it stay on the same page (a heading kept with what follows)."""
        indent = 0.15 if bar else 0.0
        if keep:
            self._need(keep)
        line_h = size * 1.3 / 72
        lines = _wrap(text, size, _WIDTH - indent, bold)
        for i, line in enumerate(lines):
            self._need(line_h + (0.08 if rule else 0))
            top = self.y
            self._put(_MARGIN + indent, self.y + size / 72, line, size, bold, color)
            self.y += line_h
            if bar:
                self._rect(_MARGIN, top, 0.06, line_h, bar)
            if rule and i == len(lines) - 1:
                self._rect(_MARGIN, self.y, _WIDTH, 0.015, _INK)
                self.y += 0.05
        self.y += size * 0.35 / 72

    def _rect(self, x: float, top: float, w: float, h: float, color: str) -> None:
        self.pdf.rect(x * 72, (_PAGE_H - top - h) * 72, w * 72, h * 72, color)

    @staticmethod
    def _image_size(png: bytes, max_height: float) -> tuple[float, float]:
        w_px, h_px = _png_size(png)
        width = min(_WIDTH, max_height * w_px / h_px)
        return width, width * h_px / w_px

    def image_height(self, png: bytes, max_height: float) -> float:
        return self._image_size(png, max_height)[1]

    def image(self, png: bytes, max_height: float) -> None:
        """A PNG at the full text width (or smaller, to fit ``max_height``)."""
        width, height = self._image_size(png, max_height)
        self._need(height)
        self.pdf.image(png, _MARGIN * 72, (_PAGE_H - self.y - height) * 72, width * 72,
                       height * 72)  # fmt: skip
        self.y += height + 0.03

    def table(self, t: Table, size: float = 7.5, wrap: dict[int, int] | None = None) -> None:
        """A table; text columns named in ``wrap`` wrap at that many characters."""
        wrap = wrap or {}
        pad = 0.06
        body = [*(r.cells for r in t.rows)] + ([t.footer] if t.footer else [])
        marks = ["head", *(r.mark for r in t.rows)] + (["foot"] if t.footer else [])
        cells = [[_cell_lines(h, _HEADER_WRAP) for h in t.header]]
        cells += [[_cell_lines(c, wrap.get(j)) for j, c in enumerate(row)] for row in body]
        widths = [
            max(_width_in(line, size, bold=True) for row in cells for line in row[j]) + 2 * pad
            for j in range(len(t.header))
        ]
        if sum(widths) > _WIDTH:  # shrink the type to fit the page width
            scale = _WIDTH / sum(widths)
            size *= scale
            widths = [w * scale for w in widths]
        line_h = size * 1.3 / 72
        for row, mark in zip(cells, marks, strict=True):
            height = line_h * max(len(c) for c in row) + 0.03
            self._need(height)
            top = self.y
            fill = "#f2f2f2" if mark == "head" else _MARKS.get(mark)
            if fill:
                self._rect(_MARGIN, top, sum(widths), height, fill)
            x = _MARGIN
            for j, (lines, w) in enumerate(zip(row, widths, strict=True)):
                right = j > 0 and not t.is_text(j)
                bold = mark in ("head", "foot") or j == 0
                for k, line in enumerate(lines):
                    self._put(
                        x + w - pad if right else x + pad,
                        top + line_h * k + size / 72 + 0.01,
                        line,
                        size,
                        bold,
                        _INK,
                        right,
                    )
                x += w
            self.y += height
            self._rect(_MARGIN, self.y, sum(widths), 0.005, "#d4d4d4")
        self.y += 0.08


def _png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels, from the PNG header (or by opening the image)."""
    if png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR":
        return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    with Image.open(io.BytesIO(png)) as im:
        return im.size


def _cell_lines(text: str, wrap_at: int | None) -> Sequence[str]:
    if wrap_at is None or len(text) <= wrap_at:
        return [text]
    return textwrap.wrap(text, width=wrap_at, break_long_words=True) or [""]
