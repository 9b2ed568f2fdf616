"""The report's tables as text cells: staffing by week, freshness, models, files, accuracy.

A ``Table`` holds only formatted values, so the HTML template, the PDF and the XLSX lay out
the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from forecasting.calendar import week_start
from forecasting.columns import (
    CLINIC,
    COMPLETED,
    P10,
    P50,
    P90,
    PROCEDURE,
    SESSIONS,
    WEEK,
    procedure_series,
)
from forecasting.report import text as T
from forecasting.report.frames import Frames
from forecasting.staffing import GAP_HOURS, HOURS_NEEDED, HOURS_ROSTERED, StaffingPlan, is_short

HOURS_P10 = "therapist_hours_p10"
HOURS_P90 = "therapist_hours_p90"

__all__ = [
    "Row",
    "Table",
    "accuracy_table",
    "freshness",
    "ingest_table",
    "model_table",
    "staffing_table",
]


@dataclass(frozen=True)
class Row:
    """A table row of formatted cells; the first cell is the row's header.

    Attributes:
        cells: the cells as text.
        mark: ``""``, ``"short"`` (a staffing gap) or ``"warn"`` (needs a look).
        link: the relative URL the first cell links to, e.g. a clinic's page (``""``: no link).
    """

    cells: list[str]
    mark: str = ""
    link: str = ""


@dataclass(frozen=True)
class Table:
    """A table of text cells; columns not in ``text_columns`` are right-aligned numbers.

    ``labels`` are short column names shown beside each value where a narrow screen lays a
    row out as a card (default: the header).
    """

    header: list[str]
    rows: list[Row]
    text_columns: frozenset[int] = frozenset()
    footer: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)

    def is_text(self, column: int) -> bool:
        return column in self.text_columns

    def label(self, column: int) -> str:
        return (self.labels or self.header)[column]


def staffing_table(plan: StaffingPlan, as_of: pd.Timestamp) -> tuple[list[str], list[Row]]:
    """Header and rows of a clinic's week-by-week staffing table."""
    band = {HOURS_P10, HOURS_P90} <= set(plan.rows.columns)
    header = ["Week", "Sessions p50", "Sessions target", "Hours needed"]
    header += ["Hours p10–p90"] if band else []
    header += [
        "Hours rostered",
        "Gap (hours)",
        "FTE needed",
        "FTE rostered",
        "FTE gap",
        "Unmet sessions",
        "Idle hours",
    ]
    rows = []
    for r in plan.rows.itertuples(index=False):
        r = r._asdict()
        short = is_short(r[GAP_HOURS])
        cells = [
            T.day_month(r[WEEK], as_of, short_month=True),
            T.fmt_int(r["sessions_p50"]),
            T.fmt_int(r["sessions_target"]),
            T.fmt_int(r[HOURS_NEEDED]),
        ]
        cells += [f"{T.fmt_int(r[HOURS_P10])}{T.DASH}{T.fmt_int(r[HOURS_P90])}"] if band else []
        cells += [
            T.fmt_int(r[HOURS_ROSTERED]),
            f"{T.fmt_int(r[GAP_HOURS])} short" if short else "none",
            T.fmt_fte(r["fte_needed"]),
            T.fmt_fte(r["fte_rostered"]),
            T.fmt_signed(r["fte_gap"]),
            T.fmt_one(r["expected_unmet_sessions"]),
            T.fmt_int(r["expected_idle_hours"]),
        ]
        rows.append(Row(cells=cells, mark="short" if short else ""))
    return header, rows


def freshness(
    frames: Frames, names: Sequence[str], as_of: pd.Timestamp, max_missing: int
) -> tuple[Table, dict[str, list[str]]]:
    """Latest procedure and session week per clinic, and a warning per late export.

    The last complete week before the cut-off is expected; a clinic whose latest week with
    data is more than ``max_missing`` weeks before it (or that has none) is warned about.
    """
    expected = week_start(as_of) - pd.Timedelta(weeks=1)
    rows: list[Row] = []
    stale: dict[str, list[str]] = {}
    for name in names:
        cells = [name]
        for kind, frame, col in (
            ("procedures", frames.procedures, COMPLETED),
            ("sessions", frames.sessions, SESSIONS),
        ):
            clinic = frames.of_clinic(frame, name)
            clinic = clinic[clinic[WEEK] < week_start(as_of)]
            latest = _latest(clinic, col)
            if latest is None:
                cells += [T.NONE, "no data"]
                stale.setdefault(name, []).append(f"no {kind} data: check the {kind} export")
                continue
            behind = max((expected - latest).days // 7, 0)
            lag = f"{behind} week{'s' if behind != 1 else ''} behind"
            cells += [T.iso_date(latest), "up to date" if behind == 0 else lag]
            if behind > max_missing:
                stale.setdefault(name, []).append(
                    f"latest {kind} are from the week of {T.day_month(latest, as_of)}, "
                    f"{behind} weeks before the last complete week: check the {kind} export"
                )
        rows.append(Row(cells=cells, mark="warn" if name in stale else ""))
    header = ["Clinic", "Latest week with procedures", "", "Latest week with sessions", ""]
    return Table(header=header, rows=rows, text_columns=frozenset({2, 4})), stale


def model_table(models: pd.DataFrame) -> Table:
    """Model per clinic and procedure series, fallbacks flagged with their reason."""
    header = ["Clinic", "Series", "Model", "Fallback"]
    if models.empty:
        return Table(header=header, rows=[], text_columns=frozenset({1, 2, 3}))
    m = models.sort_values([CLINIC, PROCEDURE])
    reasons = m["fallback_reason"] if "fallback_reason" in m.columns else pd.Series(None, m.index)
    rows = []
    for (_, r), reason in zip(m.iterrows(), reasons, strict=True):
        fallback = not T.is_missing(reason) and str(reason).strip() != ""
        rows.append(
            Row(
                cells=[
                    str(r[CLINIC]),
                    procedure_series(str(r[PROCEDURE])),
                    _model_cell(r),
                    f"Fallback: {reason}" if fallback else "none",
                ],
                mark="warn" if fallback else "",
            )
        )
    return Table(header=header, rows=rows, text_columns=frozenset({1, 2, 3}))


def _model_cell(row: pd.Series) -> str:
    """The model, with how ``auto``/``ensemble`` chose it when they did."""
    selection = row.get("selection")
    if T.is_missing(selection) or not str(selection).strip():
        return str(row["model"])
    return f"{row['model']} ({selection})"


def ingest_table(ingest: Sequence[dict[str, Any]]) -> Table:
    """One row per raw file: rows read, accepted, quarantined, status and error; totals."""
    rows = []
    for item in ingest:
        status = str(item.get("status") or "")
        rows.append(
            Row(
                cells=[
                    str(item.get("path") or ""),
                    str(item.get("kind") or T.NONE),
                    T.fmt_count(item.get("rows_read")),
                    T.fmt_count(item.get("rows_accepted")),
                    T.fmt_count(item.get("rows_quarantined")),
                    status,
                    str(item.get("error") or ""),
                ],
                mark="warn" if status != "ok" or bool(item.get("rows_quarantined")) else "",
            )
        )

    def total(key: str) -> str:
        return T.fmt_count(sum(int(i.get(key) or 0) for i in ingest))

    return Table(
        header=["File", "Kind", "Rows read", "Accepted", "Quarantined", "Status", "Error"],
        rows=rows,
        text_columns=frozenset({1, 5, 6}),
        footer=[
            "Total",
            "",
            total("rows_read"),
            total("rows_accepted"),
            total("rows_quarantined"),
            "",
            "",
        ],  # fmt: skip
    )


def accuracy_table(past: pd.DataFrame, as_of: pd.Timestamp) -> Table:
    """A clinic's past forecasts, week by week, against what happened."""
    rows = []
    for r in past.sort_values(WEEK).itertuples(index=False):
        r = r._asdict()
        err = float(r[P50]) - float(r["actual"])
        inside = float(r[P10]) <= float(r["actual"]) <= float(r[P90])
        rows.append(
            Row(
                cells=[
                    T.day_month(r[WEEK], as_of, short_month=True),
                    T.day_month(r["issued"], as_of, short_month=True),
                    T.fmt_int(r[P50]),
                    f"{T.fmt_int(r[P10])}{T.DASH}{T.fmt_int(r[P90])}",
                    T.fmt_int(r["actual"]),
                    ("+" if T.whole(err) > 0 else "") + T.fmt_int(err),
                    "yes" if inside else "no",
                ],
                mark="" if inside else "warn",
            )
        )
    return Table(
        header=[
            "Week",
            "Forecast made",
            "Forecast p50",
            "Range p10–p90",
            "Actual",
            "Forecast − actual",
            "In range",
        ],
        rows=rows,
        text_columns=frozenset({6}),
    )


def _latest(frame: pd.DataFrame, col: str) -> pd.Timestamp | None:
    if frame.empty or col not in frame.columns:
        return None
    weeks = frame.loc[frame[col] > 0, WEEK]
    return None if weeks.empty else pd.Timestamp(weeks.max())
