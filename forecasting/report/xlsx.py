"""staffing.xlsx: the decisions (Summary sheet) and the numbers, with a plan a manager can edit.

It lays out the same ``ReportView`` as the HTML page, so it says the same thing; no text cell
runs as a formula (``safe.neutralise_text``).
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from forecasting.columns import CLINIC, STAFFING_COLUMNS, WEEK
from forecasting.io import atomic_write
from forecasting.planning.week_plans import WeekPlans
from forecasting.report.clinic_ids import neutralise_bidi
from forecasting.report.safe import neutralise_text
from forecasting.report.view import ReportView
from forecasting.report.xlsx_plans import add_plan_sheets, cell_value

__all__ = ["add_service_sheets", "write_staffing_xlsx"]

_BOLD = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="F2F2F2")
_SHORT_FILL = PatternFill("solid", fgColor="FDF1E8")
_WARN_FILL = PatternFill("solid", fgColor="FFF6D6")
_WRAP = Alignment(wrap_text=True, vertical="top")
_EXTRA_STAFFING = ["hours_rostered", "therapist_hours_p10", "therapist_hours_p90"]
_WHOLE = {"sessions_target"}  # integer-valued columns
_INPUT = "planned_hours"
_NAME = "display_name"


def write_staffing_xlsx(
    path: Path,
    view: ReportView,
    staffing: pd.DataFrame,
    as_of: date,
    plans: WeekPlans | None = None,
) -> Path:
    """Write staffing.xlsx: a Summary sheet (the decisions) and a Staffing sheet (the numbers).

    The Staffing sheet holds staffing.csv's columns plus the paid hours rostered and the hour
    range, one row per clinic and week, with a ``planned_hours`` column a manager can edit
    (it starts at the rostered hours) and ``gap_after_plan`` computed from it by a formula.
    With several services, a sheet per service follows (:func:`add_service_sheets`).

    Args:
        path: where to write (atomically).
        view: the report view (``view.build_view``).
        staffing: ``STAFFING_COLUMNS`` plus ``hours_rostered`` and optionally
            ``therapist_hours_p10``/``therapist_hours_p90``; not modified.
        as_of: the run's cut-off, stored as the workbook's dates (never the clock), so the same
            data gives the same bytes.
        plans: the week's plans: a sheet per what-if scenario and a Shifts sheet
            (report/xlsx_plans.py); None: none.
    """
    wb = Workbook()
    summary = wb.active
    summary.title = "Summary"
    _summary_sheet(summary, view)
    _staffing_sheet(wb.create_sheet("Staffing"), staffing, plans.names if plans else {})
    add_service_sheets(wb, staffing)
    add_plan_sheets(wb, plans)
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
                neutralise_text(c.label),
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


def _staffing_sheet(ws: Any, staffing: pd.DataFrame, names: dict[str, str]) -> None:
    """The numbers; with display names (the clinics export) a display_name column after the
    clinic id (bidi controls shown as their code point, formula-guarded as any text)."""
    columns = [*STAFFING_COLUMNS, *(c for c in _EXTRA_STAFFING if c in staffing.columns)]
    frame = staffing.reindex(columns=columns)  # an empty frame may lack its columns
    frame = frame.sort_values([CLINIC, WEEK]) if not frame.empty else frame
    if names:
        shown = frame[CLINIC].astype(str).map(lambda c: neutralise_bidi(names.get(c, "")))
        frame = frame.assign(**{_NAME: shown})
        columns = [CLINIC, _NAME, *columns[1:]]
    header = [*columns, _INPUT, "gap_after_plan"]
    ws.append(header)
    for cell in ws[1]:
        cell.font, cell.fill = _BOLD, _HEAD_FILL
    needed = get_column_letter(columns.index("therapist_hours_needed") + 1)
    planned = get_column_letter(len(columns) + 1)
    for i, record in enumerate(frame[columns].to_dict(orient="records"), start=2):
        row = [cell_value(k, v) for k, v in record.items()]
        rostered = record.get("hours_rostered")
        row.append(cell_value(_INPUT, rostered))
        row.append(f"=MAX(0,{needed}{i}-{planned}{i})")  # our own formula, not data
        ws.append(row)
    for j, name in enumerate(header, start=1):
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = max(11, len(name) + 2)
        fmt = "yyyy-mm-dd" if name == WEEK else "0" if name in _WHOLE else "0.0"
        if name in (CLINIC, _NAME):
            continue
        for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
            cell.number_format = fmt
    ws.freeze_panes = "D2" if names else "C2"  # the clinic (and its name) and the week
    if ws.max_row > 1:
        ws.auto_filter.ref = ws.dimensions


# staffing.csv's per-service columns (several services only): `<measure>:<service>`
_SERVICE_MEASURES = (
    "sessions_p50", "sessions_target", "therapist_hours_needed", "hours_available",
    "expected_unmet_sessions", "expected_idle_hours",
)  # fmt: skip


def add_service_sheets(wb: Any, staffing: pd.DataFrame) -> None:
    """A sheet ``Service <name>`` per service of staffing.csv's per-service columns (none with
    one service): clinic, week and the service's sessions, hours needed, hours available from
    the skill cover, expected unmet sessions and idle hours."""
    prefix = "therapist_hours_needed:"
    services = [c.removeprefix(prefix) for c in staffing.columns if c.startswith(prefix)]
    for name in services:
        ws = wb.create_sheet(f"Service {name}"[:31])
        columns = [f"{m}:{name}" for m in _SERVICE_MEASURES]
        ws.append([CLINIC, WEEK, *_SERVICE_MEASURES])
        for cell in ws[1]:
            cell.font, cell.fill = _BOLD, _HEAD_FILL
        frame = staffing.sort_values([CLINIC, WEEK])
        for record in frame[[CLINIC, WEEK, *columns]].to_dict(orient="records"):
            ws.append([cell_value(k.split(":")[0], v) for k, v in record.items()])
        for j, head in enumerate([CLINIC, WEEK, *_SERVICE_MEASURES], start=1):
            ws.column_dimensions[get_column_letter(j)].width = max(11, len(head) + 2)
            fmt = "yyyy-mm-dd" if head == WEEK else "0" if head in _WHOLE else "0.0"
            if head == CLINIC:
                continue
            for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                cell.number_format = fmt
        ws.freeze_panes = "C2"
