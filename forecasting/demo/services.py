"""The demo's services that referrals drive: deep tissue after immobilisation, post-injury massage.

Each clinic receives referrals at a daily rate (its size x the service's share x trend x the
service's season x weekday x holiday closures). A referral's driver date is the cast removal
(deep tissue: 4-8 weeks after the fracture, written as ``immobilisation_end``; some patients
are referred only when the cast comes off, so their referral date is the driver) or the day
massage may start (post-injury: 0-3 days after the injury, ``start_after`` on half the rows).
A share of the referred patients take a course of sessions by week since the driver week, plus
a small base of sessions no referral explains. The expectation of every week's sessions and
drivers is returned as truth (``expected_sessions_<service>``, ``expected_referrals_<type>``).

Figures (DOMAIN.md, "Other medical massage services"): deep tissue starts when the cast comes
off and runs 4-12 sessions over 4-14 weeks; here a course of about 6 sessions over 7 weeks, the
first in the week of the removal or the next. Early massage after an injury starts right away;
here about 4.5 sessions over 4 weeks from the week of the injury. Referral volumes, uptakes and
the session names are assumptions of the demo, not published figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from forecasting.columns import CLINIC
from forecasting.demo.exports import FIRST_NAMES, LAST_NAMES, date_table
from forecasting.demo.rows import pick_days, session_statuses
from forecasting.demo.world import SESSION_CANCEL_SHARE, Clinic

__all__ = ["ReferralService", "REFERRAL_SERVICES", "ServiceDraw", "draw_service"]

_REFERRAL_DOW = np.array([1.0, 1.0, 1.0, 1.0, 0.9, 0.3, 0.1])  # A&E and GP referrals, weekdays


@dataclass(frozen=True)
class ReferralService:
    """One service that referrals drive, as the demo simulates it.

    Attributes:
        name: the service (``[services.<name>]``).
        driver: the referral type that drives it.
        per_procedure: referrals a week per weekly procedure of the clinic (its size).
        season: monthly factors, mid-January to mid-December.
        delay_days: (low, high): the driver date is the referral date plus a whole number of
            days drawn uniformly from this range, on the rows that carry ``column``.
        column: the export column that carries the driver date.
        column_share: share of referrals with that column (else the referral day drives).
        uptake: share of referred patients who take the course.
        sessions_by_week: sessions per taking patient by week since the driver week.
        base: sessions a week no referral explains, as a share of the clinic's MLD base.
        hours_per_session: session and turnover, in hours (the shipped lymphcast.toml's).
        session_names: how session exports write it.
        referral_names: how referral exports write the referral type.
        letter: in patient ids, after the clinic's prefix.
    """

    name: str
    driver: str
    per_procedure: float
    season: tuple[float, ...]
    delay_days: tuple[int, int]
    column: str
    column_share: float
    uptake: float
    sessions_by_week: tuple[float, ...]
    base: float
    hours_per_session: float
    session_names: tuple[str, ...]
    referral_names: tuple[str, ...]
    letter: str

    def delay_pmf(self) -> np.ndarray:
        """Probability of each delay in days (0, 1, ...) between referral and driver."""
        lo, hi = self.delay_days
        pmf = np.zeros(hi + 1)
        pmf[lo : hi + 1] = self.column_share / (hi - lo + 1)
        pmf[0] += 1 - self.column_share
        return pmf


REFERRAL_SERVICES = (
    ReferralService(
        name="deep_tissue",
        driver="fracture_immobilisation",
        per_procedure=0.2,
        season=(1.25, 1.2, 1.05, 0.95, 0.9, 0.9, 0.95, 0.95, 0.95, 1.0, 1.05, 1.2),  # ice, falls
        delay_days=(28, 56),
        column="immobilisation_end",
        column_share=0.85,
        uptake=0.8,
        sessions_by_week=(0.5, 1.5, 1.2, 1.0, 0.8, 0.6, 0.4),
        base=0.3,
        hours_per_session=(45 + 10) / 60,
        session_names=("Deep tissue massage", "Myofascial release", "Deep Tissue"),
        referral_names=("Distal radius fracture", "Ankle fracture", "Cast removal", "Fracture"),
        letter="D",
    ),
    ReferralService(
        name="post_injury",
        driver="injury",
        per_procedure=0.15,
        season=(0.85, 0.9, 1.0, 1.1, 1.15, 1.1, 1.05, 1.0, 1.05, 1.0, 0.95, 0.85),  # sport
        delay_days=(0, 3),
        column="start_after",
        column_share=0.5,
        uptake=0.85,
        sessions_by_week=(1.5, 1.5, 1.0, 0.5),
        base=0.2,
        hours_per_session=(30 + 10) / 60,
        session_names=("Sports massage", "Post-injury massage", "Sports Massage"),
        referral_names=("Ankle sprain", "Whiplash", "Sports injury", "Hamstring strain"),
        letter="I",
    ),
)


@dataclass(frozen=True)
class ServiceDraw:
    """One clinic's draw of one service: its export rows and its expectations by week."""

    referrals: pd.DataFrame  # referral_date, clinic_id, referral_type, <column>, patient_id
    sessions: pd.DataFrame  # date, clinic_id, service, status, patient_id
    expected_sessions: np.ndarray  # by week, attended or no-show
    expected_drivers: np.ndarray  # by driver week


def draw_service(
    s: ReferralService,
    c: Clinic,
    days: dict[str, np.ndarray],
    first: int,
    end_idx: int,
    origin: date,
    rng: np.random.Generator,
) -> ServiceDraw:
    """Referrals and sessions of service ``s`` at clinic ``c`` (see the module docstring).

    Args:
        days: per simulated day ``pos`` (position in the year, months), ``closed`` (the
            session-day factor: 0 on holidays), ``trend`` (the clinic's growth) and
            ``weight`` (the session weekday pattern x closures).
        first, end_idx: the first written day and the first day without history.
    """
    n_days = len(days["pos"])
    n_weeks = n_days // 7
    season = np.interp(days["pos"], np.arange(12), np.array(s.season), period=12)
    rate = c.volume * s.per_procedure * days["trend"] * season / _REFERRAL_DOW.sum()
    rate = rate * _REFERRAL_DOW[np.arange(n_days) % 7] * days["closed"]
    rate[: c.open_day] = 0.0
    per_day = rng.poisson(rate)
    ref_day = np.repeat(np.arange(n_days), per_day)
    lo, hi = s.delay_days
    carries = rng.random(len(ref_day)) < s.column_share
    driver = ref_day + np.where(carries, rng.integers(lo, hi + 1, len(ref_day)), 0)
    prefix = c.id[:3].upper() + s.letter
    pid = np.array([f"{prefix}{k:05d}" for k in range(1, len(ref_day) + 1)], dtype=object)

    sbw = np.array(s.sessions_by_week)
    takers = np.flatnonzero((rng.random(len(ref_day)) < s.uptake) & (driver < n_days))
    counts = rng.poisson(np.broadcast_to(sbw, (len(takers), len(sbw))))
    flat = np.repeat(np.arange(counts.size), counts.ravel())
    who, k = takers[flat // len(sbw)], flat % len(sbw)
    weeks = driver[who] // 7 + k
    low = np.where(k == 0, driver[who] % 7, 0)  # week 0: from the driver day on
    ok = weeks < n_weeks
    s_day = pick_days(rng, weeks[ok], low[ok], days["weight"])
    base = c.base * s.base * np.ones(n_weeks)
    base[: c.open_day // 7] = 0.0
    b_weeks = np.repeat(np.arange(n_weeks), rng.poisson(base))
    b_day = pick_days(rng, b_weeks, np.zeros(len(b_weeks), dtype=np.int64), days["weight"])
    b_pid = [f"{prefix}B{j:03d}" for j in rng.integers(1, 60, len(b_day))]
    day = np.concatenate([s_day, b_day])
    patient = np.concatenate([pid[who[ok]], np.array(b_pid, dtype=object)])
    sessions = _session_frame(s, c, day, patient, first, end_idx, origin, rng)
    referrals = _referral_frame(s, c, ref_day, driver, carries, pid, first, end_idx, origin, rng)

    weekly_drivers = np.bincount(driver // 7, minlength=n_weeks)[:n_weeks].astype(float)
    conv = np.convolve(weekly_drivers * s.uptake, sbw)[:n_weeks]
    expected_sessions = (conv + base) * (1 - SESSION_CANCEL_SHARE)
    daily_drivers = np.convolve(rate, s.delay_pmf())[:n_days]
    expected_drivers = daily_drivers.reshape(n_weeks, 7).sum(axis=1)
    return ServiceDraw(referrals, sessions, expected_sessions, expected_drivers)


def _session_frame(s, c, day, patient, first, end_idx, origin, rng) -> pd.DataFrame:
    """Session rows of the written history: the service's names, statuses as MLD's."""
    keep = np.flatnonzero((day >= first) & (day < end_idx))
    status = session_statuses(rng, len(keep))
    names = np.array(s.session_names, dtype=object)
    service = names[rng.choice(len(names), size=len(keep), p=_name_shares(len(names)))]
    dates = date_table(np.datetime64(origin), end_idx, "iso")
    return pd.DataFrame(
        {
            "date": dates[day[keep]],
            CLINIC: c.id,
            "service": service,
            "status": status,
            "patient_id": patient[keep],
        }
    )


def _name_shares(n: int) -> np.ndarray:
    """Most rows under a clinic's main name, fewer under the others."""
    w = 0.5 ** np.arange(n)
    return w / w.sum()


def _referral_frame(s, c, ref_day, driver, carries, pid, first, end_idx, origin, rng):
    """Referral rows known before the end (their drivers may lie after it): one per patient."""
    keep = np.flatnonzero((ref_day >= first) & (ref_day < end_idx))
    fmt = "dmy" if c.fmt == "dmy" else "iso"
    last = int(max(driver.max(initial=0), end_idx)) + 1
    table = date_table(np.datetime64(origin), last, fmt)
    names = np.array(s.referral_names, dtype=object)
    # a referral made when the cast came off has no separate removal date: its name says so
    kind = rng.integers(0, len(names), len(keep))
    removal = np.flatnonzero(names == "Cast removal")
    if len(removal):
        kind = np.where(carries[keep], np.where(kind == removal[0], 0, kind), removal[0])
    first_n = np.array(FIRST_NAMES, dtype=object)[rng.integers(0, len(FIRST_NAMES), len(keep))]
    last_n = np.array(LAST_NAMES, dtype=object)[rng.integers(0, len(LAST_NAMES), len(keep))]
    return pd.DataFrame(
        {
            "referral_date": table[ref_day[keep]],
            CLINIC: c.id,
            "referral_type": names[kind],
            s.column: np.where(carries[keep], table[driver[keep]], ""),
            "patient_id": pid[keep],
            "patient_name": last_n + ", " + first_n,
        }
    )
