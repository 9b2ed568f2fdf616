"""Clinic classes for interval calibration: young, mature or shifted at a cut-off week.

A clinic is *young* when its first week with a completed procedure or a session is under
``[calibration] young_weeks`` before the cut-off and after the data's first week (a clinic
active from the start of the exports opened before them); a mature clinic is *shifted* (only when
``[calibration] classes = "age_shift"``) when its sessions of the last ``shift_weeks`` moved by
more than ``shift_change`` (relative) and ``shift_z`` Poisson standard errors from the year
before them (a surgeon joined or left); every other clinic is *mature*. The classes matter
because forecast errors differ by class: a young clinic's level is still moving, a mature
one's is not, so one network-wide spread factor leaves one too wide and the other too narrow.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.columns import CLINIC, COMPLETED, SESSIONS, WEEK
from forecasting.config import CalibrationConfig

YOUNG, MATURE, SHIFTED = "young", "mature", "shifted"
_YEAR = 52


def _first_active_weeks(procedures: pd.DataFrame, sessions: pd.DataFrame) -> pd.Series:
    """Per clinic, the first week with a completed procedure or a session (NaT-free)."""
    parts = []
    for frame, column in ((procedures, COMPLETED), (sessions, SESSIONS)):
        if len(frame) and column in frame:
            active = frame.loc[frame[column] > 0, [CLINIC, WEEK]]
            parts.append(active.assign(**{CLINIC: active[CLINIC].astype(str)}))
    if not parts:
        return pd.Series(dtype="datetime64[ns]")
    both = pd.concat(parts, ignore_index=True)
    return pd.to_datetime(both[WEEK]).groupby(both[CLINIC]).min()


def _shifted(weekly: np.ndarray, config: CalibrationConfig) -> bool:
    """A level shift in the last ``shift_weeks`` against the year before them."""
    recent, before = (
        weekly[-config.shift_weeks :],
        weekly[-config.shift_weeks - _YEAR : -config.shift_weeks],
    )
    if recent.size < config.shift_weeks or before.size < _YEAR:
        return False
    old, new = float(before.mean()), float(recent.mean())
    if old <= 0:
        return False
    change = new / old - 1.0
    z = (new - old) / np.sqrt(old / recent.size + old / before.size)
    return abs(change) > config.shift_change and abs(z) > config.shift_z


def clinic_classes(
    procedures: pd.DataFrame,
    sessions: pd.DataFrame,
    cutoff_week: pd.Timestamp,
    config: CalibrationConfig,
    clinics: list[str] | None = None,
) -> dict[str, str]:
    """Each clinic's class at ``cutoff_week`` from the rows before it.

    Args:
        procedures: ``clinic_id, week, completed`` (processed procedures; other columns ignored).
        sessions: ``clinic_id, week, sessions``.
        cutoff_week: the first forecast week; rows on or after it are ignored.
        clinics: the clinics to classify (default: every clinic in either frame); a clinic
            with no active week before the cut-off is young.

    Returns:
        ``{clinic_id: "young" | "mature" | "shifted"}``; every clinic is ``mature`` when
        ``config.classes`` is ``"none"``.
    """
    cutoff = pd.Timestamp(cutoff_week)
    before = {
        name: frame.loc[pd.to_datetime(frame[WEEK]) < cutoff] if len(frame) else frame
        for name, frame in (("procedures", procedures), ("sessions", sessions))
    }
    first = _first_active_weeks(before["procedures"], before["sessions"])
    names = sorted({str(c) for c in clinics} if clinics is not None else set(first.index))
    if config.classes == "none":
        return dict.fromkeys(names, MATURE)
    # active from the data's first week: opened before the export began, so not known young
    young_after = max(cutoff - pd.Timedelta(weeks=config.young_weeks), first.min())
    out = {c: YOUNG if c not in first.index or first[c] > young_after else MATURE for c in names}
    if config.classes == "age_shift" and len(before["sessions"]):
        frame = before["sessions"]
        weeks = pd.date_range(
            cutoff - pd.Timedelta(weeks=config.shift_weeks + _YEAR),
            periods=config.shift_weeks + _YEAR,
            freq="W-MON",
        )
        by_clinic = frame.assign(
            **{CLINIC: frame[CLINIC].astype(str), WEEK: pd.to_datetime(frame[WEEK])}
        )
        table = by_clinic.pivot_table(index=WEEK, columns=CLINIC, values=SESSIONS, aggfunc="sum")
        table = table.reindex(weeks).fillna(0.0)
        for clinic, klass in out.items():
            if (
                klass == MATURE
                and clinic in table
                and _shifted(table[clinic].to_numpy(float), config)
            ):
                out[clinic] = SHIFTED
    return out
