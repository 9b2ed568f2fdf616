"""Spreadsheet formula-injection guard: text cells that a spreadsheet would run made inert.

Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
apostrophe (in the CSVs and the XLSX); numbers stay numbers (a negative ``fte_gap`` is still a
number).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["neutralise_formulas", "neutralise_text"]

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
