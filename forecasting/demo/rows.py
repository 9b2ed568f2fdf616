"""What happens at one clinic, row by row: procedures, bookings, MLD sessions, the roster."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from forecasting.columns import CLINIC
from forecasting.demo.exports import date_table, procedure_frame
from forecasting.demo.world import (
    MINUTES_PER_SESSION,
    OTHER_SERVICE_SHARE,
    PROCEDURE_CANCEL_SHARE,
    PRODUCTIVE_SHARE,
    SESSION_CANCEL_SHARE,
    SESSION_NO_SHOW_SHARE,
    Clinic,
)


def lead_days(rng: np.random.Generator, n: int) -> np.ndarray:
    """Booking lead times: ~85% of next week's volume is booked, ~20% of week 8's."""
    short = rng.integers(1, 8, n)
    long_ = np.rint(np.exp(rng.normal(np.log(35.0), 0.7, n)))
    lead = np.where(rng.random(n) < 0.25, short, long_)
    return np.clip(lead, 1, 180).astype(np.int64)


def pick_days(
    rng: np.random.Generator, weeks: np.ndarray, lo: np.ndarray, day_weight: np.ndarray
) -> np.ndarray:
    """Day index for each event in ``weeks`` (week index), on weekday >= ``lo``."""
    w = day_weight.reshape(-1, 7)[weeks] * (np.arange(7) >= lo[:, None])
    total = w.sum(axis=1)
    empty = total <= 0
    w[empty, :] = np.arange(7) == lo[empty, None]
    cum = np.cumsum(w, axis=1) / w.sum(axis=1, keepdims=True)
    dow = (rng.random(len(weeks))[:, None] > cum).sum(axis=1)
    return weeks * 7 + np.minimum(dow, 6)


def procedure_rows(
    c: Clinic,
    rate: np.ndarray,
    done: np.ndarray,
    first: int,
    end_idx: int,
    origin: date,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.DataFrame]:
    """Patient-level procedures of one clinic: realised ones, cancellations, bookings.

    Returns the day and type of every realised procedure (history and future), its patient id
    and the raw export frame: from day ``first`` (earlier days are burn-in) up to ``end``, plus
    future procedures already booked before ``end``.
    """
    cancel = rng.poisson(rate[:end_idx] * PROCEDURE_CANCEL_SHARE / (1 - PROCEDURE_CANCEL_SHARE))
    d_day, d_type = np.nonzero(done)
    p_day, p_type = np.repeat(d_day, done[d_day, d_type]), np.repeat(d_type, done[d_day, d_type])
    x_day, x_type = np.nonzero(cancel)
    x_n = cancel[x_day, x_type]
    n_real = len(p_day)
    all_day = np.concatenate([p_day, np.repeat(x_day, x_n)])
    all_type = np.concatenate([p_type, np.repeat(x_type, x_n)])
    booked = all_day - lead_days(rng, len(all_day))
    status = np.where(np.arange(len(all_day)) < n_real, "completed", "cancelled")
    status = np.where(all_day >= end_idx, "scheduled", status).astype(object)
    order = np.lexsort((all_type, all_day))
    prefix = c.id[:3].upper()
    pid = np.empty(len(all_day), dtype=object)
    pid[order] = [f"{prefix}{k:06d}" for k in range(1, len(order) + 1)]
    shown = order[((all_day >= first) & ((all_day < end_idx) | (booked < end_idx)))[order]]
    cols = {
        "day": all_day[shown],
        "booked": booked[shown],
        "type": all_type[shown],
        "status": status[shown],
        "pid": pid[shown],
    }
    return p_day, p_type, pid[:n_real], procedure_frame(c, cols, origin, rng)


def session_rows(
    c: Clinic,
    index: int,
    p_day: np.ndarray,
    p_type: np.ndarray,
    pid: np.ndarray,
    base: np.ndarray,
    uptake: np.ndarray,
    sbw: np.ndarray,
    day_weight: np.ndarray,
    first: int,
    end_idx: int,
    origin: date,
    rng: np.random.Generator,
    other_names: tuple[str, str] = ("Swedish Massage", "Deep Tissue Massage"),
) -> pd.DataFrame:
    """Raw appointment export of one clinic: MLD after surgery, lymphedema base, other massage
    (about 10% of the rows, 60% under the first of ``other_names``, 40% the second)."""
    n_weeks = len(base)
    hist = np.flatnonzero(p_day < end_idx)
    takers = hist[rng.random(len(hist)) < uptake[p_type[hist]]]
    counts = rng.poisson(sbw[p_type[takers]])
    flat = np.repeat(np.arange(counts.size), counts.ravel())
    who, k = takers[flat // sbw.shape[1]], flat % sbw.shape[1]
    weeks = p_day[who] // 7 + k
    lo = np.where(k == 0, np.minimum(p_day[who] % 7 + 1, 6), 0)  # week 0: after the surgery day
    ok = weeks < n_weeks
    s_day = pick_days(rng, weeks[ok], lo[ok], day_weight)
    b_weeks = np.repeat(np.arange(n_weeks), rng.poisson(base))
    b_day = pick_days(rng, b_weeks, np.zeros(len(b_weeks), dtype=np.int64), day_weight)
    prefix = c.id[:3].upper()
    b_pid = [f"{prefix}L{k:04d}" for k in rng.integers(1, 40, len(b_day))]
    m_day = np.concatenate([s_day, b_day])
    m_pid = np.concatenate([pid[who[ok]], np.array(b_pid, dtype=object)])
    main, alt = ("Lymphatic Drainage Massage", "MLD")[:: 1 if index % 2 == 0 else -1]
    m_service = np.where(rng.random(len(m_day)) < 0.85, main, alt)
    past = m_day[(m_day >= first) & (m_day < end_idx)]
    o_n = int(rng.poisson(OTHER_SERVICE_SHARE * len(past))) if len(past) else 0
    o_day = past[rng.integers(0, max(len(past), 1), o_n)]
    o_service = np.where(rng.random(o_n) < 0.6, *other_names)
    o_pid = [f"{prefix}M{k:05d}" for k in rng.integers(1, 3000, o_n)]
    day = np.concatenate([m_day, o_day])
    service = np.concatenate([m_service, o_service]).astype(object)
    patient = np.concatenate([m_pid, np.array(o_pid, dtype=object)])
    status = session_statuses(rng, len(day))
    keep = np.flatnonzero((day >= first) & (day < end_idx))
    keep = keep[np.lexsort((patient[keep].astype(str), day[keep]))]
    dates = date_table(np.datetime64(origin), end_idx, "iso")
    return pd.DataFrame(
        {
            "date": dates[day[keep]],
            "clinic_id": c.id,
            "service": service[keep],
            "status": status[keep],
            "patient_id": patient[keep],
        }
    )


def session_statuses(rng: np.random.Generator, n: int) -> np.ndarray:
    """Attended, no-show or cancelled, at the demo's shares, for ``n`` appointments."""
    return rng.choice(
        np.array(["attended", "no_show", "cancelled"], dtype=object),
        size=n,
        p=[
            1 - SESSION_NO_SHOW_SHARE - SESSION_CANCEL_SHARE,
            SESSION_NO_SHOW_SHARE,
            SESSION_CANCEL_SHARE,
        ],
    )


def roster_frame(
    clinics: list[Clinic],
    demand: dict[str, float],
    origin: date,
    end: date,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Therapist roster sized near each clinic's recent demand times its staffing ratio."""
    rows: list[tuple[str, int, date | None, date | None]] = []
    for c in clinics:
        target = demand[c.id] * MINUTES_PER_SESSION / 60 / PRODUCTIVE_SHARE * c.staffing
        opened = origin + timedelta(days=c.open_day)
        hours: list[int] = []
        while sum(hours) < target or not hours:
            hours.append(int(rng.choice([16, 24, 32, 40], p=[0.15, 0.25, 0.3, 0.3])))
        if len(hours) > 1 and sum(hours) - target > hours[-1] / 2:
            hours.pop()
        for i, h in enumerate(hours):
            s = opened if c.open_day else None
            if not c.open_day and 0 < i == len(hours) - 1 and rng.random() < 0.6:
                s = end - timedelta(weeks=int(rng.integers(2, 12)))
            rows.append((c.id, h, s, None))
        if not c.open_day and rng.random() < 0.7:
            left = end - timedelta(weeks=int(rng.integers(8, 80)))
            rows.append((c.id, int(rng.choice([24, 32, 40])), None, left))
    frame = pd.DataFrame(rows, columns=[CLINIC, "weekly_hours", "start_date", "end_date"])
    frame.insert(
        1,
        "therapist_id",
        [
            f"{cid}-t{i + 1:02d}"
            for cid, i in zip(frame[CLINIC], frame.groupby(CLINIC).cumcount(), strict=True)
        ],
    )
    return frame
