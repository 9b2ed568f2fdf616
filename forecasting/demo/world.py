"""The simulated network: clinics, their sizes and export formats, seasonality and holidays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import holidays
import numpy as np

from forecasting.columns import PROCEDURE_TYPES
from forecasting.config import Pathway, default_pathways
from forecasting.errors import ConfigError

MAX_CLINICS = 500
MAX_YEARS = 50
FUTURE_WEEKS = 8
OPENED_WEEKS_AGO = 30
SESSION_CANCEL_SHARE = 0.08
SESSION_NO_SHOW_SHARE = 0.06
PROCEDURE_CANCEL_SHARE = 0.02
OTHER_SERVICE_SHARE = 0.11  # extra rows per MLD row: about 10% of all session rows
MINUTES_PER_SESSION = 70.0  # session + turnover, as the default config
PRODUCTIVE_SHARE = 0.6
# id, weekly completed procedures (recent), annual growth, export format, staffing ratio,
# non-surgical MLD sessions a week. "summit" opened recently; "westend" is the smallest (XLSX).
CLINICS = (
    ("bayview", 38.0, 0.06, "iso", 0.95, 6.0),
    ("harbor", 22.0, -0.04, "us", 1.35, 4.0),
    ("northgate", 14.0, 0.10, "dmy", 0.9, 3.0),
    ("riverside", 28.0, 0.03, "bom", 1.3, 5.0),
    ("summit", 10.0, 0.15, "tab", 1.1, 2.0),
    ("westend", 4.0, 0.0, "xlsx", 1.5, 1.5),
)
RECENT_CLINIC = "summit"
MIX = np.array([0.45, 0.20, 0.15, 0.12, 0.08])
# Mid-month seasonal anchors (DOMAIN.md); December before the Christmas closure is cut.
SEASON = np.array([0.82, 0.93, 1.0, 1.02, 1.02, 0.98, 0.92, 0.78, 0.95, 1.02, 1.08, 1.55])
CONTOURING = np.array([1.0, 1.06, 1.12, 1.14, 1.08, 1.0, 1.0, 0.96, 1.0, 1.0, 1.0, 1.0])
SURGERY_DOW = np.array([0.21, 0.22, 0.22, 0.21, 0.12, 0.02, 0.0])
SESSION_DOW = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.6, 0.05])


@dataclass(frozen=True)
class Clinic:
    id: str
    volume: float
    growth: float
    fmt: str
    staffing: float
    base: float
    open_day: int  # first day index with activity (0 = simulation origin)


def check_arguments(
    clinics: object, years: object, seed: object, end: object, country: str
) -> date:
    whole: dict[str, int] = {}
    for name, value in (("clinics", clinics), ("years", years), ("seed", seed)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
            raise ConfigError(f"--{name} must be a whole number (got {value!r}).")
        whole[name] = int(value)
    if not 1 <= whole["clinics"] <= MAX_CLINICS:
        raise ConfigError(f"--clinics must be at least 1 and at most {MAX_CLINICS}.")
    if not 1 <= whole["years"] <= MAX_YEARS:
        raise ConfigError(f"--years must be at least 1 and at most {MAX_YEARS}.")
    if whole["seed"] < 0:
        raise ConfigError("--seed must be a non-negative whole number.")
    if end is None:
        end = date.today()
    if not isinstance(end, date):
        raise ConfigError(f"--end must be a date (got {end!r}).")
    try:
        holidays.country_holidays(country)
    except (NotImplementedError, KeyError):
        raise ConfigError(
            f"--holiday-country {country!r} is not a known country code; use e.g. US or GB."
        ) from None
    return date(end.year, end.month, end.day)


def pathway_matrix(pathways: dict[str, Pathway] | None) -> tuple[np.ndarray, np.ndarray]:
    merged = dict(default_pathways())
    if pathways is not None:
        unknown = sorted(set(pathways) - set(PROCEDURE_TYPES))
        if unknown:
            raise ConfigError(f"pathways has unknown procedure type(s) {unknown}.")
        merged.update(pathways)
    k = max(len(p.sessions_by_week) for p in merged.values())
    sessions = np.zeros((len(PROCEDURE_TYPES), k))
    for i, t in enumerate(PROCEDURE_TYPES):
        sessions[i, : len(merged[t].sessions_by_week)] = merged[t].sessions_by_week
    uptake = np.array([merged[t].uptake for t in PROCEDURE_TYPES])
    return uptake, sessions


def clinic_table(n: int, rng: np.random.Generator, open_recent: int) -> list[Clinic]:
    out = []
    for i in range(n):
        if i < len(CLINICS):
            cid, vol, growth, fmt, staff, base = CLINICS[i]
        else:
            cid, fmt = f"clinic{i + 1:02d}", ("iso", "us", "dmy", "bom", "tab")[i % 5]
            vol, growth = float(rng.uniform(5, 40)), float(rng.uniform(-0.05, 0.15))
            staff, base = float(rng.uniform(0.8, 1.2)), float(rng.uniform(1, 6))
        out.append(
            Clinic(cid, vol, growth, fmt, staff, base, open_recent if cid == RECENT_CLINIC else 0)
        )
    return out


def day_factors(
    origin: date, n_days: int, country: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Day-of-year position, surgery closure factor and session-day factor per day."""
    days = np.datetime64(origin) + np.arange(n_days)
    month = days.astype("datetime64[M]")
    year = month.astype("datetime64[Y]")
    doy = (days - year).astype(int)
    pos = (doy + 0.5) / 365.25 * 12 - 0.5  # 0 = mid-January ... 11 = mid-December
    years = range(origin.year, int(year[-1].astype(int)) + 1971)
    hol = {np.datetime64(d) for d in holidays.country_holidays(country, years=years)}
    is_hol = np.isin(days, np.array(sorted(hol), dtype="datetime64[D]"))
    m = month.astype(int) % 12 + 1
    dom = (days - month).astype(int) + 1
    xmas = ((m == 12) & (dom >= 24)) | ((m == 1) & (dom <= 2))
    near = np.zeros(n_days, bool)
    near[1:] |= is_hol[:-1]
    near[:-1] |= is_hol[1:]
    surgery = np.where(is_hol, 0.0, np.where(xmas, 0.3, np.where(near, 0.7, 1.0)))
    session = np.where(is_hol, 0.0, np.where(xmas, 0.5, 1.0))
    return pos, surgery, session
