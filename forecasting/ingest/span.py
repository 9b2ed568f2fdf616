"""The earliest day of the raw exports' procedures and sessions, read cheaply (dates only)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np

from forecasting.config import IngestConfig
from forecasting.ingest.fields import Vocabulary
from forecasting.ingest.folder import discover
from forecasting.ingest.parse import DAY_FIRST, MONTH_FIRST, parse_dates
from forecasting.ingest.read import ReadError, read_table

__all__ = ["first_data_day"]

_DATED = ("procedures", "sessions")


HEAD_BYTES = 1 << 16
"""Bytes of each CSV export read first: exports run in date order, so their first rows are
usually enough to find a day before the cut-off (the whole file is read only when not)."""


def _earliest(path: Path, data: bytes, vocab: Vocabulary) -> np.datetime64 | None:
    """The earliest date of one export's rows in ``data``; None without a readable one."""
    try:
        table = read_table(path, data, vocab)
    except ReadError:
        return None
    kind = vocab.detect_kind(path.stem, table.sheet, table.headers)
    if kind not in _DATED or not len(table):
        return None
    where = [j for j, name in vocab.map_columns(table.headers, kind).items() if name == "date"]
    if not where:
        return None
    text = table.frame(where[:1])[where[0]]
    days = [parse_dates(text, order).dropna() for order in (MONTH_FIRST, DAY_FIRST)]
    found = [d.min().to_datetime64() for d in days if len(d)]
    return min(found) if found else None


def first_data_day(raw_dir: Path, config: IngestConfig, before: date | None = None) -> date | None:
    """The earliest ``date`` of any procedure or session row of the exports in ``raw_dir``.

    Only the date column is parsed; a slash date counts at its earlier reading (month-first or
    day-first), so the day returned is never later than the ingest's. Files the ingest would
    reject (unreadable, of unknown kind, without a date column) are passed over: the ingest
    names them. None when no row has a readable date.

    Args:
        before: Stop at the first day found before this one (then the day returned is before
            ``before`` but not necessarily the earliest): the first :data:`HEAD_BYTES` of each
            CSV export are read before any whole file.
    """
    vocab = Vocabulary(config)
    paths = discover(Path(raw_dir))
    limit = None if before is None else np.datetime64(before, "s")
    earliest: np.datetime64 | None = None
    if limit is not None:
        for path in paths:
            try:
                with path.open("rb") as fh:
                    head = fh.read(HEAD_BYTES)
            except OSError:
                continue
            if head.startswith(b"PK"):
                continue  # a workbook: read whole below
            whole = len(head) < HEAD_BYTES
            first = _earliest(path, head if whole else head[: head.rfind(b"\n") + 1], vocab)
            if first is not None and first < limit:
                return first.astype("datetime64[D]").item()
    for path in paths:
        try:
            first = _earliest(path, path.read_bytes(), vocab)
        except OSError:
            continue
        if first is not None and (earliest is None or first < earliest):
            earliest = first
            if limit is not None and earliest < limit:
                break
    return None if earliest is None else earliest.astype("datetime64[D]").item()
