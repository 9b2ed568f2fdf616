"""report.pdf's drawing surface: pages of text, filled rectangles and PNG images (ReportLab).

The report's PDF is mostly tables: a network of 200 clinics has some 90,000 text cells, which
matplotlib's PDF backend lays out glyph by glyph at about a millisecond each. ReportLab's canvas
places a string in microseconds. Text is DejaVu Sans (matplotlib's bundled font, so every
machine has the same metrics), embedded as a subset by ReportLab so the text stays searchable
and extractable; the charts are the HTML page's very PNGs.

Coordinates are in points from the bottom left of the page. Drawing calls are recorded per page
and replayed at :meth:`PdfDocument.save`, rectangles first (under the text and images). The
same calls give the same bytes: ReportLab's ``invariant`` mode writes no dates or random ids.
The charts' palette PNGs go into the PDF as they are (their compressed pixel rows are a PDF
image stream with a PNG predictor): ReportLab would decode each to RGB and compress it again,
some 10 CPU-seconds at 200 clinics.
"""

from __future__ import annotations

import hashlib
import io
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from matplotlib.font_manager import FontProperties, findfont
from reportlab import rl_config
from reportlab.lib.colors import HexColor
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFName, PDFObject, PDFStream
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

__all__ = ["PdfDocument", "PdfFont", "font"]

# Binary streams, not ASCII85 text: ReportLab's pure-Python ASCII85 encoder cost about 11 s of
# 23 on a 200-clinic report, and nothing needs a 7-bit-clean PDF.
rl_config.useA85 = 0


class PdfFont:
    """A TrueType font registered with ReportLab under ``name``."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.name = "LC-" + Path(path).stem.replace(" ", "")
        if self.name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(self.name, path))

    def width(self, text: str, size: float) -> float:
        """Width of ``text`` at ``size`` points, in points (advance widths, no kerning)."""
        return _width(self.name, text) * size


@lru_cache(maxsize=1 << 16)
def _width(name: str, text: str) -> float:
    """Width of ``text`` at 1 point (table cells repeat: measured once)."""
    return pdfmetrics.stringWidth(text, name, 1.0)


@cache
def font(bold: bool = False) -> PdfFont:
    """DejaVu Sans (bold): it ships with matplotlib, so every machine has the same metrics."""
    props = FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal")
    return PdfFont(findfont(props, fallback_to_default=False))


@dataclass
class _Page:
    background: list[Callable[[Canvas], None]] = field(default_factory=list)
    content: list[Callable[[Canvas], None]] = field(default_factory=list)


class PdfDocument:
    """Pages of ``width`` x ``height`` points; ``save`` writes them as one PDF."""

    def __init__(self, width: float, height: float) -> None:
        self.width, self.height = width, height
        self.pages: list[_Page] = []
        self._images: dict[bytes, ImageReader] = {}  # sha256 of the PNG -> decoded once

    def new_page(self) -> None:
        self.pages.append(_Page())

    def text(
        self, x: float, y: float, text: str, f: PdfFont, size: float, color: str = "#000000"
    ) -> None:
        """``text`` with its baseline's left end at ``(x, y)``."""
        if not text:
            return

        def draw(c: Canvas) -> None:
            c.setFont(f.name, size)
            c.setFillColor(HexColor(color))
            c.drawString(x, y, text)

        self.pages[-1].content.append(draw)

    def rect(self, x: float, y: float, w: float, h: float, color: str) -> None:
        """A filled rectangle, under the page's text and images."""

        def draw(c: Canvas) -> None:
            c.setFillColor(HexColor(color))
            c.rect(x, y, w, h, stroke=0, fill=1)

        self.pages[-1].background.append(draw)

    def image(self, png: bytes, x: float, y: float, w: float, h: float) -> None:
        """A PNG scaled to ``w`` x ``h`` points with its bottom left at ``(x, y)``; the same
        bytes placed twice are stored once."""
        key = hashlib.sha256(png).digest()
        palette = _palette_png(png)
        if palette is not None:
            name = "LCpng" + key.hex()[:24]

            def draw_png(c: Canvas) -> None:
                _draw_xobject(c, name, palette, x, y, w, h)

            self.pages[-1].content.append(draw_png)
            return
        reader = self._images.get(key)
        if reader is None:
            reader = self._images[key] = ImageReader(io.BytesIO(png))

        def draw(c: Canvas) -> None:
            c.drawImage(reader, x, y, width=w, height=h, mask="auto")

        self.pages[-1].content.append(draw)

    def save(self, out: io.BufferedIOBase | Any, metadata: dict[str, str]) -> None:
        """Write the document to the binary file ``out``."""
        canvas = Canvas(out, pagesize=(self.width, self.height), invariant=1, pageCompression=1)
        canvas.setTitle(metadata.get("Title", ""))
        canvas.setCreator(metadata.get("Creator", ""))
        canvas.setProducer(metadata.get("Creator", ""))
        for page in self.pages:
            for draw in (*page.background, *page.content):
                draw(canvas)
            canvas.showPage()
        canvas.save()


class _PaletteImage(PDFObject):
    """An 8-bit palette PNG's pixel rows as a PDF image: the IDAT zlib stream as it is, read
    with the PNG predictor, in an indexed RGB colour space holding the PNG's palette."""

    def __init__(self, width: int, height: int, palette: bytes, data: bytes) -> None:
        self.width, self.height, self.palette, self.data = width, height, palette, data

    def format(self, document: Any) -> bytes:
        stream = PDFStream(content=self.data)
        d = stream.dictionary
        d["Type"], d["Subtype"] = PDFName("XObject"), PDFName("Image")
        d["Width"], d["Height"], d["BitsPerComponent"] = self.width, self.height, 8
        lookup = b"<" + self.palette.hex().encode() + b">"
        d["ColorSpace"] = PDFArray(
            [PDFName("Indexed"), PDFName("DeviceRGB"), len(self.palette) // 3 - 1, lookup]
        )
        d["Filter"] = PDFName("FlateDecode")  # already compressed: no filter is applied again
        d["DecodeParms"] = PDFDictionary(
            {"Predictor": 15, "Colors": 1, "BitsPerComponent": 8, "Columns": self.width}
        )
        return stream.format(document)


def _palette_png(png: bytes) -> _PaletteImage | None:
    """The image of an 8-bit, non-interlaced palette PNG without transparency; else None."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    pos, header, palette, idat = 8, None, b"", []
    while pos + 8 <= len(png):
        length, kind = int.from_bytes(png[pos : pos + 4], "big"), png[pos + 4 : pos + 8]
        data = png[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", data)
        elif kind == b"PLTE":
            palette = data
        elif kind == b"IDAT":
            idat.append(data)
        elif kind == b"tRNS":
            return None  # transparency: ReportLab's soft mask
        elif kind == b"IEND":
            break
    if header is None or not palette or not idat:
        return None
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour != 3 or interlace:
        return None
    return _PaletteImage(width, height, palette, b"".join(idat))


def _draw_xobject(
    c: Canvas, name: str, image: _PaletteImage, x: float, y: float, w: float, h: float
) -> None:
    """Place ``image`` (stored once per document under ``name``) as ``Canvas.drawImage``
    places an image."""
    doc = c._doc
    reg = doc.getXObjectName(name)
    if doc.idToObject.get(reg) is None:
        image.name = name
        c._setXObjects(image)
        doc.Reference(image, reg)
        doc.addForm(name, image)
    c._currentPageHasImages = 1
    c.saveState()
    c.translate(x, y)
    c.scale(w, h)
    c._code.append(f"/{reg} Do")
    c.restoreState()
    c._formsinuse.append(name)
