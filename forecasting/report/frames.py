"""The report's input frames, normalised (ids as text, weeks as Timestamps), split by clinic."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import pandas as pd

from forecasting.columns import (
    CLINIC,
    COMPLETED,
    P10,
    P50,
    P90,
    PROCEDURE,
    SERIES,
    SESSIONS,
    STAFFING_COLUMNS,
    WEEK,
)
from forecasting.report.data import ReportData
from forecasting.staffing import HOURS_ROSTERED

__all__ = ["Frames"]


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
            staffing=_norm(data.staffing, "staffing", [*STAFFING_COLUMNS, HOURS_ROSTERED]),
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
