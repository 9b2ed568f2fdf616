"""Procedures already on the books: a pickup curve learned from ``booked_on``, or a floor.

With bookings (``clinic_id, procedure, week, booked_week, count``: procedures per surgery week
and booking week, from exports that carry ``booked_on``), a forecast made with first forecast
week ``c`` knows the procedures booked before ``c``. For a target week ``h`` weeks after ``c``
the pickup share ``p(h)`` is how much of a week's final volume was on the books that early,
learned from past weeks. Each procedure is on the books early with probability ``p(h)``, so given
``B`` booked procedures the final volume is ``B`` plus the unbooked part of the forecast:
``B + Binomial(round(f), 1 - p(h))`` for each forecast path value ``f``.

Without bookings, procedures that a current export lists as scheduled are a floor under the
forecast paths (only when the export is not newer than the cut-off: in a replay of a past week
those scheduled counts were not known yet).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import columns as C
from .config import DemandConfig

BOOKED_WEEK = "booked_week"
COUNT = "count"
BOOKINGS_COLUMNS = [C.CLINIC, C.PROCEDURE, C.WEEK, BOOKED_WEEK, COUNT]


def empty_bookings() -> pd.DataFrame:
    """A bookings frame with no rows (the pipeline's default when there is no file)."""
    return pd.DataFrame(
        {
            C.CLINIC: pd.Series(dtype=str),
            C.PROCEDURE: pd.Series(dtype=str),
            C.WEEK: pd.Series(dtype="datetime64[ns]"),
            BOOKED_WEEK: pd.Series(dtype="datetime64[ns]"),
            COUNT: pd.Series(dtype="int64"),
        }
    )


def known_bookings(bookings: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Bookings made before the cut-off week (what a run at ``cutoff`` could see)."""
    if bookings is None or bookings.empty:
        return empty_bookings()
    missing = [c for c in BOOKINGS_COLUMNS if c not in bookings.columns]
    if missing:
        raise ValueError(f"bookings frame lacks column(s) {missing}")
    booked = pd.to_datetime(bookings[BOOKED_WEEK])
    out = bookings.loc[booked < cutoff, BOOKINGS_COLUMNS].copy()
    out[C.WEEK] = pd.to_datetime(out[C.WEEK])
    out[BOOKED_WEEK] = pd.to_datetime(out[BOOKED_WEEK])
    return out


@dataclass(frozen=True)
class PickupCurve:
    """Share of a week's final procedure volume booked before the forecast's first week.

    Attributes:
        by_clinic: per clinic with bookings, shares for horizon steps 0..H-1 (array (H,)).
        pooled: the same pooled over clinics (array (H,)), all zeros when there are none.
        weeks: number of past surgery weeks it was learned on.
    """

    by_clinic: dict[str, np.ndarray]
    pooled: np.ndarray
    weeks: int

    def for_clinic(self, clinic: str) -> np.ndarray | None:
        """Shares for ``clinic``, or None when its exports carry no ``booked_on``."""
        return self.by_clinic.get(clinic)


def _booked_by_lead(rows: pd.DataFrame, weeks: pd.DatetimeIndex, horizon: int) -> np.ndarray:
    """(weeks, horizon): procedures of surgery week w booked before Monday w - h weeks."""
    lead = ((rows[C.WEEK] - rows[BOOKED_WEEK]).dt.days // 7).to_numpy()
    pos = weeks.get_indexer(rows[C.WEEK])
    ok = pos >= 0
    out = np.zeros((len(weeks), horizon))
    counts = rows[COUNT].to_numpy(dtype=float)
    for h in range(horizon):
        sel = ok & (lead >= h + 1)
        np.add.at(out[:, h], pos[sel], counts[sel])
    return out


def pickup_curve(
    bookings: pd.DataFrame,
    procedures: pd.DataFrame,
    cutoff: pd.Timestamp,
    horizon: int,
    config: DemandConfig,
) -> PickupCurve:
    """Learn p(h), the share of final volume booked h + 1 or more weeks before surgery week.

    Uses surgery weeks in the ``config.pickup_history_weeks`` before ``cutoff`` (all of them
    complete, and every booking counted was made before ``cutoff``). Per clinic, shares are
    ratios of sums over weeks and procedure types, pulled towards the pooled share with
    ``config.pickup_prior_procedures`` pseudo-procedures.

    Args:
        bookings: ``clinic_id, procedure, week, booked_week, count``.
        procedures: ``clinic_id, procedure, week, completed`` (final weekly volumes).
        cutoff: first forecast week (Monday).
        horizon: forecast weeks.
        config: demand settings.
    """
    weeks = pd.date_range(
        cutoff - pd.Timedelta(weeks=config.pickup_history_weeks),
        cutoff - pd.Timedelta(days=7),
        freq="W-MON",
    )
    known = known_bookings(bookings, cutoff)
    if known.empty:
        return PickupCurve({}, np.zeros(horizon), len(weeks))
    procs = procedures.loc[pd.to_datetime(procedures[C.WEEK]).isin(weeks)]
    booked, final = {}, {}
    for clinic, rows in known.groupby(C.CLINIC):
        clinic = str(clinic)
        volume = procs.loc[procs[C.CLINIC].astype(str) == clinic, C.COMPLETED].sum()
        if volume <= 0:
            continue
        booked[clinic] = _booked_by_lead(rows, weeks, horizon).sum(axis=0)
        final[clinic] = float(volume)
    if not booked:
        return PickupCurve({}, np.zeros(horizon), len(weeks))
    pooled = np.clip(sum(booked.values()) / sum(final.values()), 0.0, 1.0)
    m = config.pickup_prior_procedures
    by_clinic = {
        c: np.clip((booked[c] + m * pooled) / (final[c] + m), 0.0, 1.0) for c in sorted(booked)
    }
    return PickupCurve(by_clinic, pooled, len(weeks))


def booked_ahead(
    bookings: pd.DataFrame, clinic: str, procedure: str, weeks: pd.DatetimeIndex
) -> np.ndarray:
    """Procedures of ``clinic`` and ``procedure`` on the books for each forecast week.

    ``bookings`` must already be cut to what was known (:func:`known_bookings`).
    """
    rows = bookings.loc[
        (bookings[C.CLINIC].astype(str) == clinic) & (bookings[C.PROCEDURE] == procedure)
    ]
    return rows.groupby(C.WEEK)[COUNT].sum().reindex(weeks, fill_value=0).to_numpy(dtype=float)


def combine_with_bookings(
    paths: np.ndarray, booked: np.ndarray, pickup: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Final-volume paths given the procedures already booked.

    Args:
        paths: forecast procedure paths (n_paths, horizon), unconditional on bookings.
        booked: procedures on the books per forecast week (horizon,).
        pickup: share of final volume on the books at each horizon step (horizon,).
        rng: random generator for the binomial thinning.

    Returns:
        ``booked + Binomial(round(path), 1 - pickup)`` per path and week (new array).
    """
    paths = np.asarray(paths, dtype=float)
    keep = np.clip(1.0 - np.asarray(pickup, dtype=float), 0.0, 1.0)
    trials = np.rint(np.clip(paths, 0.0, None)).astype(np.int64)
    return np.asarray(booked, dtype=float)[None, :] + rng.binomial(trials, keep[None, :])


def scheduled_floor(paths: np.ndarray, scheduled: np.ndarray) -> np.ndarray:
    """Paths raised to at least the scheduled procedures of each week (new array)."""
    return np.maximum(np.asarray(paths, dtype=float), np.asarray(scheduled, dtype=float)[None, :])


def scheduled_snapshot(procedures: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Procedures on the books for the cut-off week and later, when the export allows it.

    Returns ``clinic_id, procedure, week, scheduled`` for weeks >= ``cutoff`` (the cut-off week
    also counts procedures already completed in it), or no rows when the data holds completed
    procedures after the cut-off week: the export is newer than the cut-off (a replay), so its
    scheduled counts were not known at the cut-off.
    """
    weeks = pd.to_datetime(procedures[C.WEEK])
    future = procedures.loc[weeks >= cutoff]
    cols = [C.CLINIC, C.PROCEDURE, C.WEEK, C.SCHEDULED]
    later = pd.to_datetime(future[C.WEEK]) > cutoff
    if future.empty or (future.loc[later, C.COMPLETED] > 0).any():
        return pd.DataFrame({c: pd.Series(dtype=procedures[c].dtype) for c in cols})
    out = future.assign(scheduled=future[C.SCHEDULED] + future[C.COMPLETED].where(~later, 0))[cols]
    return out.reset_index(drop=True)


def adjust_for_bookings(
    paths: dict[str, np.ndarray],
    clinic: str,
    weeks: pd.DatetimeIndex,
    *,
    known: pd.DataFrame,
    pickup: PickupCurve,
    scheduled: pd.DataFrame,
    rng: np.random.Generator,
) -> tuple[dict[str, np.ndarray], str]:
    """Procedure paths of one clinic combined with what is on the books.

    Args:
        paths: per procedure type, forecast paths (n_paths, len(weeks)); not modified.
        clinic: clinic id.
        weeks: forecast weeks (Mondays).
        known: bookings known at the cut-off (:func:`known_bookings`).
        pickup: learned pickup curve (:func:`pickup_curve`).
        scheduled: scheduled snapshot (:func:`scheduled_snapshot`).
        rng: random generator for the thinning.

    Returns:
        (paths, method) with method "pickup" (bookings combined with the forecast through the
        pickup curve), "floor" (scheduled procedures as a floor) or "none".
    """
    shares = pickup.for_clinic(clinic)
    if shares is not None:
        out = {
            p: combine_with_bookings(v, booked_ahead(known, clinic, p, weeks), shares, rng)
            for p, v in paths.items()
        }
        return out, "pickup"
    rows = scheduled.loc[scheduled[C.CLINIC].astype(str) == clinic]
    if len(rows) and rows[C.SCHEDULED].sum() > 0:
        out = {}
        for p, v in paths.items():
            sel = rows.loc[rows[C.PROCEDURE] == p]
            floor = sel.groupby(C.WEEK)[C.SCHEDULED].sum().reindex(weeks, fill_value=0)
            out[p] = scheduled_floor(v, floor.to_numpy(dtype=float))
        return out, "floor"
    return dict(paths), "none"
