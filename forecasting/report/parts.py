"""Building blocks of the report view: tables as strings, charts as PNGs, input frames.

``report.build_view`` assembles these; they hold only formatted values, so the HTML template,
the PDF and the XLSX lay out the same thing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any

import pandas as pd

from forecasting.calendar import week_start
from forecasting.columns import (
    CLINIC,
    COMPLETED,
    P10,
    P50,
    P90,
    PROCEDURE,
    PROCEDURE_TYPES,
    SERIES,
    SESSIONS,
    STAFFING_COLUMNS,
    WEEK,
    procedure_series,
)
from forecasting.report import charts
from forecasting.report import text as T

if TYPE_CHECKING:
    from forecasting.report.view import ReportData

HOURS_P10 = "therapist_hours_p10"
HOURS_P90 = "therapist_hours_p90"
_PROCEDURE_PREFIX = procedure_series("")

__all__ = [
    "Chart",
    "Drawn",
    "Frames",
    "Row",
    "Table",
    "clinic_charts",
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
        link: anchor id the first cell links to (``""``: no link).
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


@dataclass(frozen=True)
class Chart:
    """A chart, drawn as PNG bytes when first needed (a view read only for its words, as in
    the Prefect artifacts, never pays for drawing). ``draw`` is None when there is nothing
    to draw; ``note`` then says why."""

    title: str
    draw: Callable[[], bytes] | None = field(default=None, compare=False, repr=False)
    alt: str = ""
    caption: str = ""
    note: str = ""

    @cached_property
    def png(self) -> bytes:
        return self.draw() if self.draw is not None else b""

    @property
    def uri(self) -> str:
        return charts.to_data_uri(self.png) if self.png else ""

    def drawn(self, png: bytes) -> Chart:
        """This chart with its PNG already drawn (by ``report.draw_charts``)."""
        return replace(self, draw=Drawn(png))


@dataclass(frozen=True)
class Drawn:
    """The ``draw`` of a chart drawn already: returns its PNG bytes."""

    png: bytes = field(repr=False)

    def __call__(self) -> bytes:
        return self.png


@dataclass(frozen=True)
class Frames:
    """Input frames with ``clinic_id`` as text and ``week`` as Timestamps (copies)."""

    procedures: pd.DataFrame
    sessions: pd.DataFrame
    forecast: pd.DataFrame
    committed: pd.DataFrame
    staffing: pd.DataFrame
    models: pd.DataFrame
    horizon_totals: pd.DataFrame

    @classmethod
    def of(cls, data: ReportData) -> Frames:
        return cls(
            procedures=_norm(
                data.procedures_history, "procedures_history", [CLINIC, PROCEDURE, WEEK, COMPLETED]
            ),
            sessions=_norm(data.sessions_history, "sessions_history", [CLINIC, WEEK, SESSIONS]),
            forecast=_norm(data.forecast, "forecast", [CLINIC, WEEK, SERIES, P10, P50, P90]),
            committed=_norm(data.committed, "committed", [CLINIC, WEEK, "committed"]),
            staffing=_norm(data.staffing, "staffing", [*STAFFING_COLUMNS, T.HOURS_ROSTERED]),
            models=_norm(data.models, "models", [CLINIC, PROCEDURE, "model"]),
            horizon_totals=_norm(data.horizon_totals, "horizon_totals", [CLINIC, "mean", P10, P90]),
        )

    def clinics(self) -> list[str]:
        ids: set[str] = set()
        for frame in (
            self.procedures,
            self.sessions,
            self.forecast,
            self.committed,
            self.staffing,
            self.models,
        ):
            ids.update(frame[CLINIC].tolist())
        return sorted(ids)

    def max_horizon(self) -> int:
        if self.staffing.empty:
            return 0
        return int(self.staffing.groupby(CLINIC)[WEEK].nunique().max())

    def of_clinic(self, frame: pd.DataFrame, clinic: str) -> pd.DataFrame:
        """The rows of ``clinic`` (in their order). Each frame of this object is split by
        clinic once, so a network of N clinics costs one pass over a frame, not N."""
        name = next((f.name for f in fields(self) if getattr(self, f.name) is frame), None)
        if name is None:
            return frame[frame[CLINIC] == clinic]
        rows = self._by_clinic(name).get(clinic)
        return rows if rows is not None else frame.iloc[0:0]

    def _by_clinic(self, name: str) -> dict[str, pd.DataFrame]:
        split = self.__dict__.setdefault("_split", {})  # a cache: the frames never change
        if name not in split:
            frame = getattr(self, name)
            split[name] = {str(k): g for k, g in frame.groupby(CLINIC, sort=False)}
        return split[name]


def _norm(frame: pd.DataFrame, name: str, required: Sequence[str]) -> pd.DataFrame:
    """A copy with ``clinic_id`` as text and ``week`` as datetime64.

    An empty frame may lack columns (they are added); a non-empty one must have them all.
    """
    missing = [c for c in required if c not in frame.columns]
    if missing and not frame.empty:
        raise ValueError(f"ReportData.{name} lacks column(s) {missing}; it needs {list(required)}.")
    out = frame.copy()
    for col in missing:
        out[col] = pd.Series(dtype=object)
    out[CLINIC] = out[CLINIC].astype(str)
    if WEEK in out.columns:
        out[WEEK] = pd.to_datetime(out[WEEK])
    return out


# ----------------------------------------------------------------------------------------------
# Tables


def staffing_table(plan: T.StaffingPlan, as_of: pd.Timestamp) -> tuple[list[str], list[Row]]:
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
        short = r[T.GAP_HOURS] >= T.MIN_GAP_HOURS
        cells = [
            T.day_month(r[WEEK], as_of, short_month=True),
            T.fmt_int(r["sessions_p50"]),
            T.fmt_int(r["sessions_target"]),
            T.fmt_int(r[T.HOURS_NEEDED]),
        ]
        cells += [f"{T.fmt_int(r[HOURS_P10])}{T.DASH}{T.fmt_int(r[HOURS_P90])}"] if band else []
        cells += [
            T.fmt_int(r[T.HOURS_ROSTERED]),
            f"{T.fmt_int(r[T.GAP_HOURS])} short" if short else "none",
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


# ----------------------------------------------------------------------------------------------
# Charts


def clinic_charts(
    frames: Frames,
    name: str,
    sessions_fc: pd.DataFrame,
    proc_fc: pd.DataFrame,
    committed: pd.DataFrame,
    plan: T.StaffingPlan,
    as_of: pd.Timestamp,
    history_weeks: int,
) -> list[Chart]:
    """The three charts of a clinic: sessions, procedures by type, hours needed vs rostered."""
    start = week_start(as_of) - pd.Timedelta(weeks=history_weeks)
    s_hist = _window(frames.of_clinic(frames.sessions, name), start, week_start(as_of))
    p_hist = _window(frames.of_clinic(frames.procedures, name), start, week_start(as_of))
    return [
        _sessions_chart(name, s_hist, sessions_fc, committed, as_of, history_weeks),
        _procedures_chart(name, p_hist, proc_fc, _procedure_order(p_hist, proc_fc)),
        _hours_chart(name, plan),
    ]


def _sessions_chart(
    name: str,
    hist: pd.DataFrame,
    fc: pd.DataFrame,
    committed: pd.DataFrame,
    as_of: pd.Timestamp,
    history_weeks: int,
) -> Chart:
    title = "Sessions per week"
    if hist.empty and fc.empty:
        return Chart(title, note="No session history or sessions forecast for this clinic.")
    return Chart(
        title,
        draw=partial(charts.sessions_chart, hist, fc, committed, as_of.date()),
        alt=f"Sessions per week at clinic {name}: last {history_weeks} weeks and forecast.",
        caption=(
            "Solid line: booked sessions (attended or no-show). Dashed line and shaded "
            "band: forecast median and p10–p90 range. Hatched area, dotted edge: "
            "sessions owed to patients already operated on. The vertical line marks the "
            "data cut-off."
        ),
    )


def _procedures_chart(
    name: str, hist: pd.DataFrame, fc: pd.DataFrame, order: Sequence[str]
) -> Chart:
    title = "Procedures per week, by type"
    if not order:
        return Chart(title, note="No procedure history or procedure forecast for this clinic.")
    h = (
        hist.groupby([PROCEDURE, WEEK], as_index=False)[COMPLETED].sum()
        if not hist.empty
        else pd.DataFrame(columns=[PROCEDURE, WEEK, COMPLETED])
    )
    f = fc.assign(**{PROCEDURE: fc[SERIES].str.removeprefix(_PROCEDURE_PREFIX)})
    return Chart(
        title,
        draw=partial(charts.procedures_chart, h, f, list(order)),
        alt=f"Completed procedures per week by type at clinic {name}, with forecast.",
        caption=(
            "Solid line: completed procedures. Dashed line and shaded band: forecast median and "
            "p10–p90 range."
        ),
    )


def _hours_chart(name: str, plan: T.StaffingPlan) -> Chart:
    title = "Therapist hours needed vs rostered"
    if plan.rows.empty:
        return Chart(title, note="No staffing figures for this clinic, so no hours chart.")
    return Chart(
        title,
        draw=partial(charts.hours_chart, plan.rows),
        alt=f"Therapist hours needed and rostered per week at clinic {name}.",
        caption=(
            "Solid line with dots: paid hours needed at the service level; grey band: hours for "
            "p10–p90 demand. Dashed line with squares: rostered hours. Cross-hatched: shortfall."
        ),
    )


def _procedure_order(hist: pd.DataFrame, fc: pd.DataFrame) -> list[str]:
    present: set[str] = set()
    if not hist.empty:
        present.update(hist.loc[hist[COMPLETED] > 0, PROCEDURE].astype(str))
    if not fc.empty:
        present.update(fc[SERIES].str.removeprefix(_PROCEDURE_PREFIX))
    known = [p for p in PROCEDURE_TYPES if p in present]
    return known + sorted(present - set(PROCEDURE_TYPES))


def _window(frame: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    if frame.empty:
        return frame
    return frame[(frame[WEEK] >= start) & (frame[WEEK] < end)]


def _latest(frame: pd.DataFrame, col: str) -> pd.Timestamp | None:
    if frame.empty or col not in frame.columns:
        return None
    weeks = frame.loc[frame[col] > 0, WEEK]
    return None if weeks.empty else pd.Timestamp(weeks.max())
