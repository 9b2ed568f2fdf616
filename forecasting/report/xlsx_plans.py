"""staffing.xlsx's cells and plan sheets: one sheet per what-if scenario, next week's shifts."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook

from forecasting.columns import STAFFING_COLUMNS, WEEK
from forecasting.planning.week_plans import WeekPlans
from forecasting.report.safe import neutralise_text

_BOLD = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="F2F2F2")


def add_plan_sheets(wb: Workbook, plans: WeekPlans | None) -> None:
    """A "What if <name>" sheet per scenario (its comparison, then its staffing rows) and a
    "Shifts" sheet (shifts.csv's rows)."""
    if plans is None:
        return
    used: set[str] = set(wb.sheetnames)
    for run in plans.scenarios:
        ws = wb.create_sheet(_sheet_name(f"What if {run.name}", used))
        rows = plans.comparison[plans.comparison["scenario"] == run.name]
        end = _write(ws, rows.drop(columns=["scenario"]), first_row=1)
        staffing = run.result.staffing
        _write(ws, staffing.reindex(columns=STAFFING_COLUMNS), first_row=end + 2)
    if plans.shifts is not None:
        _write(wb.create_sheet(_sheet_name("Shifts", used)), plans.shifts.shifts, first_row=1)


def _sheet_name(name: str, used: set[str]) -> str:
    """An Excel sheet name: no []:*?/\\ characters, at most 31 characters, unique."""
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:31]
    out, k = base, 1
    while out in used:
        k += 1
        out = f"{base[: 31 - len(str(k)) - 1]}~{k}"
    used.add(out)
    return out


def _write(ws: Any, frame: pd.DataFrame, first_row: int) -> int:
    """The frame as a header row and value rows from ``first_row``; returns the last row."""
    for j, name in enumerate(frame.columns, start=1):
        cell = ws.cell(row=first_row, column=j, value=str(name))
        cell.font, cell.fill = _BOLD, _HEAD_FILL
        ws.column_dimensions[get_column_letter(j)].width = max(11, len(str(name)) + 2)
    row = first_row
    for row, record in enumerate(frame.to_dict(orient="records"), start=first_row + 1):
        for j, (name, value) in enumerate(record.items(), start=1):
            ws.cell(row=row, column=j, value=cell_value(name, value))
    return row


def cell_value(name: str, value: Any) -> Any:
    """A frame value as a workbook cell: None for missing, datetimes for weeks, floats to 3
    decimals, text guarded against running as a formula (numbers stay numbers)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    if name == WEEK:
        return pd.Timestamp(value).to_pydatetime()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return round(value, 3)
    return neutralise_text(value)
