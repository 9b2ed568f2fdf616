"""The seeded generator of realistic synthetic raw clinic exports (``lymphcast demo``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting.columns import CLINIC, PROCEDURE_TYPES, WEEK
from forecasting.config import Pathway
from forecasting.demo.exports import write_procedures
from forecasting.demo.rows import procedure_rows, roster_frame, session_rows
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


@dataclass(frozen=True)
class DemoResult:
    """What :func:`generate_demo` wrote and what it meant.

    Attributes:
        files: Files written, sorted.
        rows: File name -> number of data rows.
        truth: clinic_id, week (Monday), expected_sessions (attended or no-show),
            expected_procedures_<type> for each procedure type; history and future weeks.
    """

    files: list[Path]
    rows: dict[str, int]
    truth: pd.DataFrame


def generate_demo(
    out: Path,
    *,
    clinics: int = 6,
    years: int = 4,
    seed: int = 0,
    end: date | None = None,
    pathways: dict[str, Pathway] | None = None,
    holiday_country: str = "US",
) -> DemoResult:
    """Write synthetic raw exports to ``out`` and return what they mean.

    Args:
        out: Directory for the exports (created if missing); only export files are written.
        clinics: Number of clinics (1 to 500).
        years: Years of completed history before ``end``.
        seed: Seed of the only random generator used; same arguments give identical bytes.
        end: First day without history (default today); scheduled procedures follow it.
        pathways: True care pathways per procedure type (default: the configured defaults).
        holiday_country: Country code of the holiday calendar (``holidays`` package).

    Returns:
        DemoResult with the files written, their row counts and the noise-free truth.

    Raises:
        ConfigError: An argument is out of range, naming the option.
    """
    end = check_arguments(clinics, years, seed, end, holiday_country)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file; pass a directory for the exports.")
    uptake, sbw = pathway_matrix(pathways)
    rng = np.random.default_rng(seed)

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

    files, rows, truth_parts = [], {}, []
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
            c, i, p_day, p_type, pid, base, uptake, sbw, day_weight, first, end_idx, origin, rng
        )
        files.append(write_csv(out / f"sessions_{c.id}.csv", sessions))
        rows[files[-1].name] = len(sessions)

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
        truth_parts.append(pd.DataFrame(part).iloc[max(c.open_day, first) // 7 :])

    truth = pd.concat(truth_parts, ignore_index=True)
    truth[WEEK] = truth[WEEK].astype("datetime64[ns]")
    recent = truth[(truth[WEEK] < pd.Timestamp(end_monday))].groupby(CLINIC)
    demand = recent["expected_sessions"].apply(lambda s: float(s.tail(8).mean())).to_dict()
    roster = roster_frame(table, demand, origin, end, rng)
    files.append(write_csv(out / "roster.csv", roster))
    rows["roster.csv"] = len(roster)
    listing = clinics_frame([c.id for c in table])  # regions for the report's roll-ups
    files.append(write_csv(out / "clinics.csv", listing))
    rows["clinics.csv"] = len(listing)
    return DemoResult(files=sorted(files), rows=rows, truth=truth)


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
