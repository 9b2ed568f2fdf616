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

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting import columns as C
from forecasting.config import DemandConfig

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


def _booked_by_lead(known: pd.DataFrame, weeks: pd.DatetimeIndex, horizon: int):
    """Per clinic (sorted ids), procedures of ``weeks`` booked before Monday w - h weeks.

    Returns (clinic ids, array (clinics, horizon)): column h sums the counts of surgery weeks
    in ``weeks`` booked h + 1 or more weeks ahead.
    """
    codes, clinics = pd.factorize(known[C.CLINIC], sort=True)
    lead = ((known[C.WEEK] - known[BOOKED_WEEK]).dt.days // 7).to_numpy()
    ok = (weeks.get_indexer(known[C.WEEK]) >= 0) & (codes >= 0)
    counts = known[COUNT].to_numpy(dtype=float)
    out = np.zeros((len(clinics), horizon))
    for h in range(horizon):
        sel = ok & (lead >= h + 1)
        out[:, h] = np.bincount(codes[sel], weights=counts[sel], minlength=len(clinics))
    return [str(c) for c in clinics], out


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
    volumes = procs[C.COMPLETED].groupby(procs[C.CLINIC].astype(str)).sum()
    booked, final = {}, {}
    for clinic, by_lead in zip(*_booked_by_lead(known, weeks, horizon), strict=True):
        volume = volumes.get(clinic, 0)
        if volume <= 0:
            continue
        booked[clinic] = by_lead
        final[clinic] = float(volume)
    if not booked:
        return PickupCurve({}, np.zeros(horizon), len(weeks))
    pooled = np.clip(sum(booked.values()) / sum(final.values()), 0.0, 1.0)
    m = config.pickup_prior_procedures
    by_clinic = {
        c: np.clip((booked[c] + m * pooled) / (final[c] + m), 0.0, 1.0) for c in sorted(booked)
    }
    return PickupCurve(by_clinic, pooled, len(weeks))


@dataclass(frozen=True)
class WeeklyBooks:
    """Procedures on the books per clinic and procedure type in each forecast week.

    Built from a bookings-like frame in one pass (grouping once, rather than filtering the whole
    frame for every clinic and type).

    Attributes:
        weeks: the forecast weeks (Mondays).
        counts: per (clinic, procedure), counts in each of ``weeks`` (array (len(weeks),));
            pairs without rows are absent.
        totals: per clinic, the count over all of its rows, whatever their week.
    """

    weeks: pd.DatetimeIndex
    counts: dict[tuple[str, str], np.ndarray]
    totals: dict[str, float]

    @classmethod
    def of(cls, frame: pd.DataFrame, value: str, weeks: pd.DatetimeIndex) -> WeeklyBooks:
        """Sum ``value`` of ``frame`` (``clinic_id, procedure, week, <value>``) per week."""
        clinic = frame[C.CLINIC].astype(str)
        totals = {str(c): float(v) for c, v in frame[value].groupby(clinic).sum().items()}
        pos = weeks.get_indexer(pd.DatetimeIndex(frame[C.WEEK]))
        inside = pos >= 0
        sums = (
            frame.loc[inside, value]
            .groupby([clinic[inside], frame.loc[inside, C.PROCEDURE], pos[inside]])
            .sum()
        )
        counts: dict[tuple[str, str], np.ndarray] = {}
        for (c, procedure, i), v in sums.items():
            counts.setdefault((str(c), procedure), np.zeros(len(weeks)))[i] = v
        return cls(weeks, counts, totals)

    def get(self, clinic: str, procedure: str) -> np.ndarray:
        """Counts of ``clinic`` and ``procedure`` per forecast week (zeros when none; a copy)."""
        found = self.counts.get((clinic, procedure))
        return np.zeros(len(self.weeks)) if found is None else found.copy()


def booked_ahead(
    bookings: pd.DataFrame, clinic: str, procedure: str, weeks: pd.DatetimeIndex
) -> np.ndarray:
    """Procedures of ``clinic`` and ``procedure`` on the books for each forecast week.

    ``bookings`` must already be cut to what was known (:func:`known_bookings`).
    """
    return WeeklyBooks.of(bookings, COUNT, weeks).get(clinic, procedure)


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


def scheduled_share(
    scheduled: WeeklyBooks, means: Mapping[tuple[str, str], np.ndarray]
) -> np.ndarray:
    """Share of the final volume already scheduled at each horizon step, pooled over clinics.

    For exports with scheduled rows but no ``booked_on`` no pickup curve can be learned from
    the history; the network's scheduled procedures of each forecast week over the forecast
    means of the same (clinic, procedure) series estimate it at the cut-off (capped at 1).

    Args:
        scheduled: the scheduled snapshot per forecast week.
        means: per (clinic, procedure), the forecast mean per week (unconditional on bookings).
    """
    horizon = len(scheduled.weeks)
    booked, expected = np.zeros(horizon), np.zeros(horizon)
    for (clinic, procedure), mean in means.items():
        if scheduled.totals.get(clinic, 0.0) > 0:
            booked += scheduled.get(clinic, procedure)
            expected += np.asarray(mean, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(expected > 0, booked / expected, 0.0)
    return np.clip(share, 0.0, 1.0)


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
    known: pd.DataFrame | WeeklyBooks,
    pickup: PickupCurve,
    scheduled: pd.DataFrame | WeeklyBooks,
    rng: np.random.Generator,
    share: np.ndarray | None = None,
) -> tuple[dict[str, np.ndarray], str]:
    """Procedure paths of one clinic combined with what is on the books.

    Args:
        paths: per procedure type, forecast paths (n_paths, len(weeks)); not modified.
        clinic: clinic id.
        weeks: forecast weeks (Mondays).
        known: bookings known at the cut-off (:func:`known_bookings`), or the same as
            ``WeeklyBooks.of(known, COUNT, weeks)`` (built once when called for many clinics).
        pickup: learned pickup curve (:func:`pickup_curve`).
        scheduled: scheduled snapshot (:func:`scheduled_snapshot`), or the same as
            ``WeeklyBooks.of(scheduled, "scheduled", weeks)``.
        rng: random generator for the thinning.
        share: without a learned pickup curve, the network's scheduled share per forecast
            week (:func:`scheduled_share`): the scheduled procedures plus the paths thinned by
            one minus it ("scheduled"); None: the scheduled procedures are a floor.

    Returns:
        (paths, method) with method "pickup" (bookings combined with the forecast through the
        pickup curve), "scheduled" (scheduled procedures plus the thinned forecast), "floor"
        (scheduled procedures as a floor) or "none".
    """
    for books in (known, scheduled):
        if isinstance(books, WeeklyBooks) and not books.weeks.equals(weeks):
            raise ValueError("adjust_for_bookings: WeeklyBooks built for other weeks")
    shares = pickup.for_clinic(clinic)
    if shares is not None:
        if isinstance(known, pd.DataFrame):
            known = WeeklyBooks.of(known, COUNT, weeks)
        out = {
            p: combine_with_bookings(v, known.get(clinic, p), shares, rng) for p, v in paths.items()
        }
        return out, "pickup"
    if isinstance(scheduled, pd.DataFrame):
        scheduled = WeeklyBooks.of(scheduled, C.SCHEDULED, weeks)
    if scheduled.totals.get(clinic, 0.0) > 0 and share is not None:
        out = {
            p: combine_with_bookings(v, scheduled.get(clinic, p), share, rng)
            for p, v in paths.items()
        }
        return out, "scheduled"
    if scheduled.totals.get(clinic, 0.0) > 0:
        out = {p: scheduled_floor(v, scheduled.get(clinic, p)) for p, v in paths.items()}
        return out, "floor"
    return dict(paths), "none"
