"""Each clinic's aligned weekly history of procedures and MLD sessions before the cut-off."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting import columns as C


@dataclass(frozen=True)
class ClinicHistory:
    """One clinic's aligned weekly history before the cut-off.

    Attributes:
        weeks: Mondays from the clinic's first week with any data to the week before the cut-off.
        procedures: (weeks, procedure types) completed procedures, types in ``PROCEDURE_TYPES``.
        sessions: weekly sessions (0 where none were recorded), length ``len(weeks)``.
        first_procedure: index of the first week with procedure data, or None.
        first_session: index of the first week with session data, or None.
    """

    weeks: pd.DatetimeIndex
    procedures: np.ndarray
    sessions: np.ndarray
    first_procedure: int | None
    first_session: int | None


def clinic_histories(
    procedures: pd.DataFrame,
    sessions: pd.DataFrame,
    cutoff: pd.Timestamp,
    drivers: Sequence[str] = C.PROCEDURE_TYPES,
) -> dict[str, ClinicHistory]:
    """Aligned weekly procedure and session history per clinic, weeks before ``cutoff``.

    Args:
        procedures: ``clinic_id, procedure, week, completed`` (weekly completed procedures;
            for a service other than MLD, its drivers' weekly counts under these names).
        sessions: ``clinic_id, week, sessions`` (weekly MLD sessions, or a service's).
        cutoff: first forecast week (Monday); later rows are ignored.
        drivers: the columns of ``ClinicHistory.procedures``, in order.
    """
    procs = procedures.loc[pd.to_datetime(procedures[C.WEEK]) < cutoff]
    sess = sessions.loc[pd.to_datetime(sessions[C.WEEK]) < cutoff]
    # Rows are grouped by clinic once; each clinic's arrays are then filled by position.
    p_rows, s_rows = _rows_by_clinic(procs), _rows_by_clinic(sess)
    p_week = pd.DatetimeIndex(procs[C.WEEK])
    s_week = pd.DatetimeIndex(sess[C.WEEK])
    p_type = pd.Index(list(drivers)).get_indexer(procs[C.PROCEDURE])
    p_count = np.nan_to_num(procs[C.COMPLETED].to_numpy(dtype=float))  # a missing count adds 0
    s_count = np.nan_to_num(sess[C.SESSIONS].to_numpy(dtype=float))
    none = np.zeros(0, dtype=np.intp)
    out: dict[str, ClinicHistory] = {}
    if not (p_rows or s_rows):
        return out
    last = cutoff - pd.Timedelta(days=7)
    span = pd.date_range(min(w.min() for w in (p_week, s_week) if len(w)), last, freq="W-MON")
    for clinic in sorted(set(p_rows) | set(s_rows)):
        p, s = p_rows.get(clinic, none), s_rows.get(clinic, none)
        firsts = [week[rows].min() for week, rows in ((p_week, p), (s_week, s)) if len(rows)]
        weeks = _mondays(min(firsts), last, span)
        matrix = np.zeros((len(weeks), len(drivers)))
        pos, kind = weeks.get_indexer(p_week[p]), p_type[p]
        ok = (pos >= 0) & (kind >= 0)  # other weeks and unknown types are left out
        np.add.at(matrix, (pos[ok], kind[ok]), p_count[p][ok])
        y = np.zeros(len(weeks))
        pos = weeks.get_indexer(s_week[s])
        np.add.at(y, pos[pos >= 0], s_count[s][pos >= 0])
        out[clinic] = ClinicHistory(
            weeks=weeks,
            procedures=matrix,
            sessions=y,
            first_procedure=int(weeks.get_loc(p_week[p].min())) if len(p) else None,
            first_session=int(weeks.get_loc(s_week[s].min())) if len(s) else None,
        )
    return out


def _mondays(first: pd.Timestamp, last: pd.Timestamp, span: pd.DatetimeIndex):
    """``pd.date_range(first, last, freq="W-MON")``, as a slice of ``span`` when it can be."""
    i = int(span.searchsorted(first))
    if i < len(span) and span[i] == first and span.unit == first.unit:
        return span[i:]
    return pd.date_range(first, last, freq="W-MON")


def _rows_by_clinic(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Row positions of ``frame`` per clinic id (as text), in frame order."""
    groups = frame.groupby(frame[C.CLINIC].astype(str), sort=False).indices
    return {str(clinic): rows for clinic, rows in groups.items()}
