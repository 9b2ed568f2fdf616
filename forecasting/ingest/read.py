"""Reading one raw export into a table of text cells, with its header found and rows numbered.

CSV: the encoding is UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252/Latin-1;
the delimiter (comma, semicolon, tab, pipe) and the header row are found together: the first of
the top rows that names at least two known columns. The body is parsed by pyarrow's CSV reader
(C++); a row whose number of fields differs from the header's is kept apart (``bad_rows``) so it
can be quarantined without its misaligned values. XLSX: the sheet named after the kind, else the
first sheet, title rows above the header skipped. A file that cannot be read raises ReadError
with one sentence naming the file and the fix.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from forecasting.errors import InputError
from forecasting.ingest.fields import KINDS, Vocabulary, squash

HEADER_SEARCH_ROWS = 30  # rows above the header (titles, notes) that may be skipped
_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_ZIP_MAGIC = b"PK\x03\x04"
_BLOCK_SIZE = 16 << 20  # pyarrow block: larger than any plausible single row
NUL = "\x00"


class ReadError(InputError):
    """A raw file that cannot be read at all (the message names the file and the fix)."""


@dataclass
class RawTable:
    """One export as text cells, before any interpretation.

    Attributes:
        headers: Header cells, stripped.
        cells: Data rows as an Arrow table of strings, column ``c<j>`` for header position
            ``j``; blank rows removed.
        lines: Source line (CSV) or sheet row (XLSX) of each row of ``cells``, 1-based.
        bad_rows: (line, number of fields, holds a NUL byte) of rows whose field count
            differs from the header's.
        nul: Per row of ``cells``, whether it held a NUL byte (removed from its cells): a
            damaged row, quarantined with its reason while the rest of the file is used.
        sheet: Sheet read (XLSX only).
        details: How the file was read (format, encoding, delimiter), for the manifest.
    """

    headers: list[str]
    cells: pa.Table
    lines: np.ndarray
    bad_rows: list[tuple[int, int, bool]] = field(default_factory=list)
    nul: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    sheet: str | None = None
    details: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return self.cells.num_rows

    def frame(self, positions: list[int]) -> pd.DataFrame:
        """The columns at ``positions`` as a pandas frame of str (columns named by position)."""
        frame = self.cells.select([f"c{j}" for j in positions]).to_pandas()
        return frame.set_axis(list(positions), axis=1)


def read_table(path: Path, data: bytes, vocab: Vocabulary) -> RawTable:
    """Text cells of one raw export; raises ReadError when the file cannot be read."""
    name = Path(path).name
    if data.startswith(_ZIP_MAGIC):
        return _read_xlsx(name, data, vocab)
    if Path(path).suffix.lower() == ".xlsx":
        raise ReadError(f"{name} is not a valid Excel workbook; re-save it as .xlsx or CSV.")
    text, encoding = _decode(name, data)
    return _read_csv(name, text, encoding, vocab)


# --------------------------------------------------------------------------- CSV


def _decode(name: str, data: bytes) -> tuple[str, str]:
    if not data.strip():
        raise ReadError(f"{name} is empty; re-export it with a header row and data rows.")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    head = data[:65536]
    controls = sum(head.count(bytes([b])) for b in (*range(1, 9), 11, 14, *range(16, 32)))
    # A few NUL bytes (a damaged write) cost only the rows that hold them (RawTable.nul);
    # NULs on most lines mean binary content (or UTF-16 without its BOM).
    lines = head.split(b"\n")
    nul_lines = sum(1 for line in lines if b"\x00" in line)
    if controls > len(head) // 100 or nul_lines > len(lines) // 2:
        raise ReadError(f"{name} is not a text CSV (binary content); export it as CSV or XLSX.")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def _find_header(name: str, rows_by_delim: dict[str, list[list[str]]], vocab: Vocabulary):
    """(delimiter, row index) of the header: most known column names, then earliest, then order."""
    best: tuple[int, int, int] | None = None
    for order, rows in enumerate(rows_by_delim.values()):
        for i, row in enumerate(rows):
            known = vocab.known_header_count(row) if len(row) > 1 else 0
            if known >= 2 and (best is None or (known, -i, -order) > best):
                best = (known, -i, -order)
    if best is None:
        raise ReadError(
            f"{name} has no header row naming at least two known columns (such as date, "
            f"clinic_id, procedure) in its first {HEADER_SEARCH_ROWS} rows; check the delimiter "
            "(comma, semicolon, tab or pipe) and the column names."
        )
    return list(rows_by_delim)[-best[2]], -best[1]


def _read_csv(name: str, text: str, encoding: str, vocab: Vocabulary) -> RawTable:
    if "\n" not in text and "\r" in text:
        text = text.replace("\r", "\n")  # classic Mac line endings
    end = -1
    for _ in range(HEADER_SEARCH_ROWS + 5):  # the top lines only (not a copy of the rest)
        end = text.find("\n", end + 1)
        if end < 0:
            break
    top = (text if end < 0 else text[:end]).split("\n")[: HEADER_SEARCH_ROWS + 5]
    top = [line.rstrip("\r") for line in top]
    rows_by_delim = {
        d: [next(csv.reader([line], delimiter=d), []) for line in top[:HEADER_SEARCH_ROWS]]
        for d in _DELIMITERS
    }
    delim, header_idx = _find_header(name, rows_by_delim, vocab)
    headers = _trim([c.replace(NUL, "").strip() for c in rows_by_delim[delim][header_idx]])
    start = 0
    for _ in range(header_idx + 1):
        nl = text.find("\n", start)
        start = len(text) if nl < 0 else nl + 1
    body = text[start:]
    n = len(headers)
    bad: list[tuple[int, int, str]] = []

    def on_bad_row(row) -> str:
        bad.append((row.number, row.actual_columns, row.text))
        return "skip"

    names = [f"c{j}" for j in range(n)]
    details = {"format": "csv", "encoding": encoding, "delimiter": _DELIMITER_NAMES[delim]}
    if not body or body.isspace():  # (isspace stops at the first character that is not)
        empty = pa.table({c: pa.array([], pa.string()) for c in names})
        return _finish(headers, empty, np.array([], dtype=np.int64), [], None, details, False)
    try:
        table = pacsv.read_csv(
            io.BytesIO(body.encode("utf-8")),
            read_options=pacsv.ReadOptions(
                column_names=names, use_threads=False, block_size=_BLOCK_SIZE
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delim,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=on_bad_row,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException) as err:
        raise ReadError(
            f"{name} could not be parsed as CSV ({str(err).splitlines()[0][:120]}); re-export it."
        ) from None
    kept, bad_rows, lines = _merge_bad_rows(table, bad, n, delim, header_idx + 1, body)
    return _finish(headers, kept, lines, bad_rows, None, details, NUL in body)


def _source_lines(cells: pa.Table, bad: list, body: str) -> dict[str, np.ndarray]:
    """Line of the body (1-based) on which each record starts: ``valid`` rows and ``bad`` ones.

    pyarrow numbers the records it hands to the bad-row handler (1-based, in records); the
    line breaks inside quoted values shift the lines of the records after them.
    """
    records = cells.num_rows + len(bad)
    is_bad = np.zeros(records, dtype=bool)
    is_bad[[b[0] - 1 for b in bad]] = True
    breaks = np.zeros(records, dtype=np.int64)
    if body.count("\n") + (0 if body.endswith("\n") else 1) != records:
        valid_breaks = np.zeros(cells.num_rows, dtype=np.int64)
        for col in cells.columns:
            valid_breaks += pc.count_substring(col, "\n").to_numpy(zero_copy_only=False)
        breaks[~is_bad] = valid_breaks
        breaks[is_bad] = [b[2].count("\n") for b in sorted(bad)]
    starts = 1 + np.arange(records) + np.concatenate([[0], np.cumsum(breaks)[:-1]])
    return {"valid": starts[~is_bad], "bad": starts[is_bad]}


def _merge_bad_rows(cells: pa.Table, bad: list, n: int, delim: str, header_line: int, body):
    """Repair rows that only carry extra empty fields; number every row by its source line.

    Blank lines are not rows; a row with missing fields, or extra non-empty ones, stays bad.
    """
    starts = _source_lines(cells, bad, body)
    lines = header_line + starts["valid"]
    repaired, repaired_lines, still_bad = [], [], []
    for (_, fields, text), start in zip(sorted(bad), starts["bad"], strict=True):
        if not text.strip():
            continue
        values = next(csv.reader([text], delimiter=delim), [])
        if fields > n and not "".join(values[n:]).strip():
            repaired.append(values[:n])
            repaired_lines.append(header_line + start)
        else:
            still_bad.append((int(header_line + start), fields, NUL in text))
    if repaired:
        extra = _table([list(col) for col in zip(*repaired, strict=True)], n)
        cells = pa.concat_tables([cells, extra])
        lines = np.concatenate([lines, np.array(repaired_lines, dtype=np.int64)])
        order = np.argsort(lines, kind="stable")
        cells, lines = cells.take(order), lines[order]
    return cells, still_bad, lines


def _table(columns: list[list[str]], n: int) -> pa.Table:
    """An Arrow table of ``n`` string columns named ``c<j>`` (rows padded/cut to ``n``)."""
    columns = (columns + [[]] * n)[:n]
    rows = max((len(c) for c in columns), default=0)
    return pa.table(
        {f"c{j}": pa.array(c + [""] * (rows - len(c)), pa.string()) for j, c in enumerate(columns)}
    )


# --------------------------------------------------------------------------- XLSX


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def _pick_sheet(names: list[str], stem: str) -> str:
    """The sheet named after the file's kind (or any kind), else the first sheet."""
    wanted = [k for k in KINDS if squash(stem).startswith(k.rstrip("s"))]
    for kind in wanted + list(KINDS):
        for sheet in names:
            if squash(sheet).startswith(kind.rstrip("s")):
                return sheet
    return names[0]


def _read_xlsx(name: str, data: bytes, vocab: Vocabulary) -> RawTable:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not book.sheet_names:
            raise ReadError(f"{name} has no worksheet; re-export it with the data sheet.")
        sheet = _pick_sheet(list(book.sheet_names), Path(name).stem)
        values = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    except CalamineError as err:
        raise ReadError(
            f"{name} could not be opened as an Excel workbook ({type(err).__name__}); "
            "re-save it as .xlsx or CSV."
        ) from None
    grid = [[_cell_text(v) for v in row] for row in values]
    if not any(any(c for c in row) for row in grid):
        raise ReadError(f"{name} is empty; re-export it with a header row and data rows.")
    header_idx = None
    best = 1
    for i, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        known = vocab.known_header_count(row)
        if known > best:
            header_idx, best = i, known
    if header_idx is None:
        raise ReadError(
            f"{name} (sheet {sheet!r}) has no header row naming at least two known columns "
            f"(such as date, clinic_id, procedure) in its first {HEADER_SEARCH_ROWS} rows; "
            "put the column names in one row above the data."
        )
    headers = _trim(grid[header_idx])
    n = len(headers)
    body = [(row + [""] * n)[:n] for row in grid[header_idx + 1 :]]
    cells = _table([list(col) for col in zip(*body, strict=True)] if body else [], n)
    lines = np.arange(header_idx + 2, header_idx + 2 + len(body), dtype=np.int64)
    # XML cannot hold a NUL character, so a sheet's cells never do
    return _finish(headers, cells, lines, [], sheet, {"format": "xlsx", "sheet": sheet}, False)


def _trim(headers: list[str]) -> list[str]:
    """Header cells without trailing empty ones (a trailing delimiter, unused sheet columns)."""
    end = len(headers)
    while end > 1 and not headers[end - 1]:
        end -= 1
    return list(headers[:end])


def _finish(headers, cells, lines, bad_rows, sheet, details, nul_possible) -> RawTable:
    """The RawTable, blank rows removed; ``nul_possible``: the text holds a NUL somewhere (only
    then are the cells searched for one)."""
    nul = np.zeros(cells.num_rows, dtype=bool)
    if cells.num_rows:
        for col in cells.columns if nul_possible else ():
            nul |= pc.match_substring(col, NUL).to_numpy(zero_copy_only=False)
        if nul.any():  # the rows are kept apart by their flag; their cells lose the NULs
            cells = pa.table(
                {c: pc.replace_substring(cells[c], NUL, "") for c in cells.column_names}
            )
        filled = pa.array(nul)
        for col in cells.columns:
            filled = pc.or_(filled, pc.not_equal(pc.utf8_trim_whitespace(col), ""))
        keep = filled.to_numpy(zero_copy_only=False)
        if not keep.all():
            cells, lines, nul = cells.filter(filled), lines[keep], nul[keep]
    return RawTable(
        headers=[str(h).strip() for h in headers],
        cells=cells,
        lines=np.asarray(lines, dtype=np.int64),
        bad_rows=bad_rows,
        nul=nul,
        sheet=sheet,
        details=details,
    )
