"""The seeded generator of realistic synthetic raw clinic exports (``lymphcast demo``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting.columns import CLINIC, PROCEDURE_TYPES, WEEK
from forecasting.config import Pathway
from forecasting.demo.availability import availability_frame
from forecasting.demo.exports import write_procedures
from forecasting.demo.rows import procedure_rows, roster_frame, session_rows
from forecasting.demo.services import REFERRAL_SERVICES, draw_service
from forecasting.demo.staff import skills_roster_frame
from forecasting.demo.world import (
    CONTOURING,
    FUTURE_WEEKS,
    MIX,
    OPENED_WEEKS_AGO,
    SEASON,
    SESSION_CANCEL_SHARE,
    SESSION_DOW,
    SURGERY_DOW,
    check_arguments,
    clinic_table,
    day_factors,
    pathway_matrix,
)
from forecasting.errors import ConfigError
from forecasting.io import write_csv

DEMO_SERVICES = ("mld", *(s.name for s in REFERRAL_SERVICES))
# the demo's other massage rows (not a medical service): with deep tissue among the services
# its 40% share under "Deep Tissue Massage" would be deep-tissue sessions no referral explains
MLD_ONLY_OTHER = ("Swedish Massage", "Deep Tissue Massage")
WELLNESS_OTHER = ("Swedish Massage", "Hot Stone Massage")
_REFERRAL_HEADERS = {  # every other clinic writes its referrals under these names
    "referral_date": "Referral Date", CLINIC: "Clinic", "referral_type": "Reason",
    "immobilisation_end": "Cast Removal", "start_after": "Start After", "patient_id": "MRN",
    "patient_name": "Patient Name",
}  # fmt: skip


@dataclass(frozen=True)
class DemoResult:
    """What :func:`generate_demo` wrote and what it meant.

    Attributes:
        files: Files written, sorted.
        rows: File name -> number of data rows.
        truth: clinic_id, week (Monday), expected_sessions (MLD, attended or no-show),
            expected_procedures_<type> for each procedure type; with more services also
            expected_sessions_<service> and expected_referrals_<referral type> (drivers by
            driver week) for each of them; history and future weeks.
        services: The services written, ``mld`` first.
    """

    files: list[Path]
    rows: dict[str, int]
    truth: pd.DataFrame
    services: tuple[str, ...] = ("mld",)

    def expected_sessions(self, service: str) -> pd.Series:
        """The truth's expected weekly sessions of ``service`` (aligned with ``truth``)."""
        return self.truth[
            "expected_sessions" if service == "mld" else f"expected_sessions_{service}"
        ]


def check_services(services: Sequence[str]) -> tuple[str, ...]:
    """The demo services asked for, in the demo's order; ConfigError naming the option."""
    names = [str(s).strip() for s in services if str(s).strip()]
    unknown = [n for n in names if n not in DEMO_SERVICES]
    if unknown:
        raise ConfigError(
            f"--services: unknown service {unknown[0]!r}; use some of {', '.join(DEMO_SERVICES)}."
        )
    if "mld" not in names:
        raise ConfigError("--services must include mld (the demo's surgical care pathways).")
    return tuple(s for s in DEMO_SERVICES if s in names)


def generate_demo(
    out: Path,
    *,
    clinics: int = 6,
    years: int = 4,
    seed: int = 0,
    end: date | None = None,
    pathways: dict[str, Pathway] | None = None,
    holiday_country: str = "US",
    services: Sequence[str] = DEMO_SERVICES,
) -> DemoResult:
    """Write synthetic raw exports to ``out`` and return what they mean.

    Args:
        out: Directory for the exports (created if missing); only export files are written.
        clinics: Number of clinics (1 to 500).
        years: Years of completed history before ``end``.
        seed: Seed of the random generators; same arguments give identical bytes.
        end: First day without history (default today); scheduled procedures follow it.
        pathways: True care pathways per procedure type (default: the configured defaults).
        holiday_country: Country code of the holiday calendar (``holidays`` package).
        services: ``mld`` and any of ``deep_tissue``, ``post_injury`` (default: all three).
            ``("mld",)`` writes exactly the MLD-only demo of before services existed; the
            others add referrals exports, their session rows and a roster with skills, each
            from a random generator of its own, so procedures and MLD sessions are the same.

    Returns:
        DemoResult with the files written, their row counts and the noise-free truth.

    Raises:
        ConfigError: An argument is out of range, naming the option.
    """
    end = check_arguments(clinics, years, seed, end, holiday_country)
    chosen = check_services(services)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file; pass a directory for the exports.")
    uptake, sbw = pathway_matrix(pathways)
    rng = np.random.default_rng(seed)
    extra = [s for s in REFERRAL_SERVICES if s.name in chosen]
    extra_rngs = {
        s.name: np.random.default_rng([seed, i + 1]) for i, s in enumerate(REFERRAL_SERVICES)
    }

    end_monday = end - timedelta(days=end.weekday())
    start = end - timedelta(days=round(365.25 * years))
    start -= timedelta(days=start.weekday())  # first Monday of the written history
    burn_weeks = sbw.shape[1]  # simulated but not written, so sessions start at steady state
    origin = start - timedelta(weeks=burn_weeks)  # day index 0
    first, end_idx = burn_weeks * 7, (end - origin).days
    n_weeks = ((end_idx - 1) // 7) + 1 + FUTURE_WEEKS
    n_days = n_weeks * 7
    open_recent = (end_monday - timedelta(weeks=OPENED_WEEKS_AGO) - origin).days
    table = clinic_table(clinics, rng, max(open_recent, first))
    pos, surgery_f, session_f = day_factors(origin, n_days, holiday_country)
    day_weight = np.tile(SESSION_DOW, n_weeks) * session_f
    dow = np.arange(n_days) % 7
    t_years = (np.arange(n_days) - end_idx) / 365.25
    general = np.interp(pos, np.arange(12), SEASON, period=12)
    general /= np.interp(np.linspace(-0.5, 11.5, 365), np.arange(12), SEASON, period=12).mean()
    contour = np.interp(pos, np.arange(12), CONTOURING, period=12)

    files: list[Path] = []
    rows: dict[str, int] = {}

    def emit(name: str, frame: pd.DataFrame) -> None:  # one export file and its row count
        files.append(write_csv(out / name, frame))
        rows[name] = len(frame)

    truth_parts = []
    for i, c in enumerate(table):
        mix = rng.dirichlet(MIX * 300)
        smooth = c.volume * (1 + c.growth) ** t_years * general ** rng.uniform(0.85, 1.1)
        smooth *= SURGERY_DOW[dow] / SURGERY_DOW.sum() * surgery_f
        smooth[: c.open_day] = 0.0
        rate = smooth[:, None] * mix[None, :]
        rate[:, [0, 2]] *= contour[:, None]  # liposuction, bbl
        done = rng.poisson(rate)  # (days, types): completed (after end: final) volume
        p_day, p_type, pid, frame = procedure_rows(c, rate, done, first, end_idx, origin, rng)
        files.append(write_procedures(out, c, frame))
        rows[files[-1].name] = len(frame)

        base = c.base * (1 + 0.12 * np.cos(2 * np.pi * (pos[::7] - 6.5) / 12))
        base[: c.open_day // 7] = 0.0
        sessions = session_rows(
            c, i, p_day, p_type, pid, base, uptake, sbw, day_weight, first, end_idx, origin, rng,
            WELLNESS_OTHER if extra else MLD_ONLY_OTHER,
        )  # fmt: skip
        days = {"pos": pos, "closed": session_f, "weight": day_weight}
        days["trend"] = (1 + c.growth) ** t_years
        draws = [
            draw_service(s, c, days, first, end_idx, origin, extra_rngs[s.name]) for s in extra
        ]
        if draws:
            every = pd.concat([sessions, *(d.sessions for d in draws)], ignore_index=True)
            sessions = every.sort_values(["date", "patient_id"], kind="stable", ignore_index=True)
            emit(f"referrals_{c.id}.csv", _referral_export(i, [d.referrals for d in draws]))
        emit(f"sessions_{c.id}.csv", sessions)

        # Truth: realised weekly procedures convolved with the pathway weights, plus the base.
        n_types = len(PROCEDURE_TYPES)
        weekly_done = done.reshape(n_weeks, 7, n_types).sum(axis=1)
        weights = uptake[:, None] * sbw
        conv = np.zeros(n_weeks)
        for lag in range(min(weights.shape[1], n_weeks)):
            conv[lag:] += weekly_done[: n_weeks - lag] @ weights[:, lag]
        part = {
            CLINIC: c.id,
            WEEK: np.datetime64(origin) + np.arange(n_weeks) * 7,
            "expected_sessions": (conv + base) * (1 - SESSION_CANCEL_SHARE),
        }
        weekly_rate = rate.reshape(n_weeks, 7, n_types).sum(axis=1)
        for j, t in enumerate(PROCEDURE_TYPES):
            part[f"expected_procedures_{t}"] = weekly_rate[:, j]
        for s, d in zip(extra, draws, strict=True):
            part[f"expected_sessions_{s.name}"] = d.expected_sessions
        for s, d in zip(extra, draws, strict=True):
            part[f"expected_referrals_{s.driver}"] = d.expected_drivers
        truth_parts.append(pd.DataFrame(part).iloc[max(c.open_day, first) // 7 :])

    truth = pd.concat(truth_parts, ignore_index=True)
    truth[WEEK] = truth[WEEK].astype("datetime64[ns]")
    recent = truth[(truth[WEEK] < pd.Timestamp(end_monday))].groupby(CLINIC)

    def demand(column: str) -> dict[str, float]:  # recent expected weekly sessions per clinic
        return recent[column].apply(lambda s: float(s.tail(8).mean())).to_dict()

    if extra:
        by_service = {"mld": demand("expected_sessions")}
        by_service |= {s.name: demand(f"expected_sessions_{s.name}") for s in extra}
        roster = skills_roster_frame(table, by_service, extra, origin, end, rng)
        emit("roster.csv", roster)
        emit("availability.csv", availability_frame(roster))  # part-timers' days and hours
    else:
        emit("roster.csv", roster_frame(table, demand("expected_sessions"), origin, end, rng))
    emit("clinics.csv", clinics_frame([c.id for c in table]))  # regions for the roll-ups
    return DemoResult(files=sorted(files), rows=rows, truth=truth, services=chosen)


def _referral_export(index: int, frames: list[pd.DataFrame]) -> pd.DataFrame:
    """One clinic's referrals export: every service's referrals, by date and patient; every
    other clinic names its columns as a clinical system would (Referral Date, Reason, MRN)."""
    every = pd.concat(frames, ignore_index=True).fillna("")
    columns = [c for c in _REFERRAL_HEADERS if c in every]
    every = every[columns].sort_values(["referral_date", "patient_id"], kind="stable")
    every = every.reset_index(drop=True)
    return every.rename(columns=_REFERRAL_HEADERS) if index % 2 else every


def clinics_frame(ids: list[str]) -> pd.DataFrame:
    """The demo's clinics export: the named clinics in two regions (summit and westend in
    none, so the network has clinics outside every region), the others in three by turn."""
    named = {"bayview": "Coast", "harbor": "Coast", "northgate": "North", "riverside": "North"}
    cycle = ("Coast", "North", "Inland")
    regions = [
        named.get(c, "" if c in ("summit", "westend") else cycle[i % 3]) for i, c in enumerate(ids)
    ]
    names = [c.replace("-", " ").title() for c in ids]
    return pd.DataFrame({CLINIC: ids, "region": regions, "display_name": names})
