"""The report for print and for spreadsheets: report.pdf (``report_pdf``), staffing.xlsx.

Both lay out the same ``ReportView`` as the HTML page, so they say the same thing. Text cells
that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return) are neutralised with a leading apostrophe, in the XLSX here and in the CSVs
via ``neutralise_formulas``; numbers stay numbers (a negative ``fte_gap`` is still a number).
"""

from __future__ import annotations

import io
import re
import textwrap
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from PIL import Image

from forecasting.columns import CLINIC, STAFFING_COLUMNS, WEEK
from forecasting.io import atomic_write
from forecasting.report.parts import Table
from forecasting.report.pdf_doc import PdfDocument
from forecasting.report.pdf_doc import font as pdf_font
from forecasting.report.view import ReportView

__all__ = ["neutralise_formulas", "neutralise_text", "write_pdf", "write_staffing_xlsx"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_text(value: Any) -> Any:
    """``'=1+1`` for ``=1+1``: a text a spreadsheet would run as a formula, made inert.

    Anything that is not a string (numbers, dates, missing values) is returned unchanged.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot run as spreadsheet formulas.

    Only text columns are touched; numeric columns keep their values and dtype.
    """
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_string_dtype(out[col]) or out[col].dtype == object:
            out[col] = out[col].map(neutralise_text)
    return out


# ----------------------------------------------------------------------------------------------
# staffing.xlsx

_BOLD = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="F2F2F2")
_SHORT_FILL = PatternFill("solid", fgColor="FDF1E8")
_WARN_FILL = PatternFill("solid", fgColor="FFF6D6")
_WRAP = Alignment(wrap_text=True, vertical="top")
_EXTRA_STAFFING = ["hours_rostered", "therapist_hours_p10", "therapist_hours_p90"]
_WHOLE = {"sessions_target"}  # integer-valued columns
_INPUT = "planned_hours"


def write_staffing_xlsx(path: Path, view: ReportView, staffing: pd.DataFrame, as_of: date) -> Path:
    """Write staffing.xlsx: a Summary sheet (the decisions) and a Staffing sheet (the numbers).

    The Staffing sheet holds staffing.csv's columns plus the paid hours rostered and the hour
    range, one row per clinic and week, with a ``planned_hours`` column a manager can edit
    (it starts at the rostered hours) and ``gap_after_plan`` computed from it by a formula.

    Args:
        path: where to write (atomically).
        view: the report view (``report.build_view``).
        staffing: ``STAFFING_COLUMNS`` plus ``hours_rostered`` and optionally
            ``therapist_hours_p10``/``therapist_hours_p90``; not modified.
        as_of: the run's cut-off, stored as the workbook's dates (never the clock), so the same
            data gives the same bytes.
    """
    wb = Workbook()
    summary = wb.active
    summary.title = "Summary"
    _summary_sheet(summary, view)
    _staffing_sheet(wb.create_sheet("Staffing"), staffing)
    stamp = datetime(as_of.year, as_of.month, as_of.day)
    wb.properties.created = stamp
    wb.properties.title = view.title
    wb.properties.creator = "lymphcast"
    return atomic_write(Path(path), lambda p: p.write_bytes(_reproducible(wb, stamp)))


def _reproducible(wb: Workbook, stamp: datetime) -> bytes:
    """The workbook's bytes without the clock: openpyxl stamps the save time into
    docProps/core.xml and into every zip entry; both are set to ``stamp`` here."""
    raw = io.BytesIO()
    wb.save(raw)
    modified = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for entry in src.infolist():
            data = src.read(entry.filename)
            if entry.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(<)", rb"\g<1>" + modified + rb"\g<2>", data
                )
            fixed = zipfile.ZipInfo(entry.filename, date_time=stamp.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, data)
    return out.getvalue()


def _summary_sheet(ws: Any, view: ReportView) -> None:
    ws.append([view.title])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([f"Data up to {view.as_of} (cut-off, not included)"])
    for sentence in [*view.summary, view.trust_line, view.network_accuracy]:
        ws.append([neutralise_text(sentence)])
    ws.append([])
    header = ["Clinic", "Status", "Action", "Figures", "Past forecasts"]
    ws.append(header)
    head_row = ws.max_row
    for cell in ws[head_row]:
        cell.font, cell.fill = _BOLD, _HEAD_FILL
    for c in view.clinics:
        ws.append(
            [
                neutralise_text(c.name),
                c.tag,
                neutralise_text(c.action),
                neutralise_text(" ".join(c.lines)),
                neutralise_text(c.accuracy),
            ]
        )
        fill = {"short": _SHORT_FILL, "check": _WARN_FILL}.get(c.status)
        for cell in ws[ws.max_row]:
            cell.alignment = _WRAP
            if fill is not None:
                cell.fill = fill
    for letter, width in zip("ABCDE", (18, 10, 50, 70, 50), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = ws.cell(row=head_row + 1, column=1)


def _staffing_sheet(ws: Any, staffing: pd.DataFrame) -> None:
    columns = [*STAFFING_COLUMNS, *(c for c in _EXTRA_STAFFING if c in staffing.columns)]
    header = [*columns, _INPUT, "gap_after_plan"]
    ws.append(header)
    for cell in ws[1]:
        cell.font, cell.fill = _BOLD, _HEAD_FILL
    frame = staffing.reindex(columns=columns)  # an empty frame may lack its columns
    frame = frame.sort_values([CLINIC, WEEK]) if not frame.empty else frame
    needed = get_column_letter(columns.index("therapist_hours_needed") + 1)
    planned = get_column_letter(len(columns) + 1)
    for i, record in enumerate(frame[columns].to_dict(orient="records"), start=2):
        row = [_xlsx_value(k, v) for k, v in record.items()]
        rostered = record.get("hours_rostered")
        row.append(_xlsx_value(_INPUT, rostered))
        row.append(f"=MAX(0,{needed}{i}-{planned}{i})")  # our own formula, not data
        ws.append(row)
    for j, name in enumerate(header, start=1):
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = max(11, len(name) + 2)
        fmt = "yyyy-mm-dd" if name == WEEK else "0" if name in _WHOLE else "0.0"
        if name == CLINIC:
            continue
        for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
            cell.number_format = fmt
    ws.freeze_panes = "C2"
    if ws.max_row > 1:
        ws.auto_filter.ref = ws.dimensions


def _xlsx_value(name: str, value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return None
    if name == WEEK:
        return pd.Timestamp(value).to_pydatetime()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return round(value, 3)
    return neutralise_text(value)


# ----------------------------------------------------------------------------------------------
# report.pdf

_PAGE_W, _PAGE_H = 8.27, 11.69  # A4 portrait, inches
_MARGIN = 0.6
_WIDTH = _PAGE_W - 2 * _MARGIN
_INK, _MUTED = "#1a1a1a", "#555555"
_MARKS = {"short": "#fdf1e8", "warn": "#fff6d6"}
_STATUS = {"short": "#D55E00", "ok": "#009E73", "check": "#E69F00"}
_CHART_MAX_H = 4.6  # inches; the procedures chart's small multiples are the tallest
_HEADER_WRAP = 14  # characters per line of a table header


def write_pdf(path: Path, view: ReportView) -> Path:
    """Write report.pdf (A4): the network summary, one section per clinic, then the trust data.

    Same words and charts (the very PNGs of the HTML page) as the page; every clinic starts on
    a new page. Text is DejaVu Sans, embedded, so it can be searched and copied.
    """
    doc = _Doc()
    _pdf_network(doc, view)
    for clinic in view.clinics:
        doc.new_page()
        _pdf_clinic(doc, clinic)
    doc.new_page()
    _pdf_trust(doc, view)
    metadata = {"Title": view.title, "Creator": "lymphcast"}

    def writer(tmp: Path) -> None:
        with tmp.open("wb") as out:
            doc.pdf.save(out, metadata)

    return atomic_write(Path(path), writer)


def _pdf_network(doc: _Doc, view: ReportView) -> None:
    doc.text("MLD sessions and therapist staffing", 16, bold=True)
    doc.text(f"Week {view.iso_week} · data up to {view.as_of} (cut-off, not included)", 9,
             color=_MUTED)  # fmt: skip
    doc.space(0.1)
    doc.text("Network summary", 13, bold=True, rule=True)
    for sentence in view.summary:
        doc.text(sentence, 11, bold=True)
    if view.network.rows:
        doc.table(view.network, wrap={1: 34})
    doc.text(view.trust_line, 9.5)
    doc.text(view.network_accuracy, 8.5, color=_MUTED)
    doc.text(view.network_note, 8.5, color=_MUTED)


def _pdf_clinic(doc: _Doc, c: Any) -> None:
    doc.text(f"Clinic {c.name}", 13, bold=True, rule=True)
    doc.text(f"{c.tag.upper()}: {c.action}", 11.5, bold=True, bar=_STATUS[c.status])
    for line in c.lines:
        doc.text(line, 10, bar=_STATUS[c.status])
    doc.space(0.05)
    for sentence in c.evidence:
        doc.text(sentence, 9.5)
    for note in c.notes:
        doc.text(f"• {note}", 9, color="#7a3200")
    for chart in c.charts:
        if chart.draw is not None:
            doc.keep(doc.image_height(chart.png, _CHART_MAX_H) + 0.3)
            doc.text(chart.title, 10, bold=True)
            doc.image(chart.png, max_height=_CHART_MAX_H)
            doc.text(chart.caption, 7.5, color=_MUTED)
        else:
            doc.text(chart.title, 10, bold=True, keep=0.5)
            doc.text(chart.note, 8.5, color=_MUTED)
    doc.text("Past forecasts vs what happened", 10, bold=True, keep=0.8)
    doc.text(c.accuracy, 9)
    if c.accuracy_table is not None:
        doc.table(c.accuracy_table)
    doc.text("Staffing by week", 10, bold=True, keep=1.0)
    if c.staffing is not None:
        doc.table(c.staffing)
    else:
        doc.text(c.staffing_note, 9, color=_MUTED)


def _pdf_trust(doc: _Doc, view: ReportView) -> None:
    doc.text("Data and models", 13, bold=True, rule=True)
    doc.text("Latest data per clinic", 10, bold=True, keep=0.8)
    for warning in view.freshness_warnings:
        doc.text(f"• {warning}", 9, color="#7a3200")
    if view.freshness.rows:
        doc.table(view.freshness)
    doc.text("Model per series", 10, bold=True, keep=0.8)
    doc.text(view.fallbacks, 9)
    if view.models.rows:
        doc.table(view.models, wrap={3: 50})
    for note in view.archive_notes:
        doc.text(f"• {note}", 9, color="#7a3200")
    doc.text("Files ingested", 10, bold=True, keep=0.8)
    doc.text(view.quarantine, 9)
    if view.ingest.rows:
        doc.table(view.ingest, wrap={0: 30, 6: 40})
    if view.settings:
        doc.text("Settings", 10, bold=True, keep=0.8)
        for key, value in view.settings:
            doc.text(f"{key}: {value}", 8.5)


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


class _Doc:
    """A top-to-bottom flow of text, images and tables on A4 pages (inches from the top left;
    the PDF itself counts points from the bottom left)."""

    def __init__(self) -> None:
        self.pdf = PdfDocument(_PAGE_W * 72, _PAGE_H * 72)
        self.y = 0.0  # inches from the top of the page
        self.new_page()

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
