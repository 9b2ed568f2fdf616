"""Random clinic networks for the benchmark suite (``benchmarks/suite.py``).

``generate_network(seed, out_dir)`` draws a network's structure from the ranges below (one
``numpy`` generator seeded with ``seed``, so a seed always gives the same network and the same
bytes), simulates it day by day and writes the raw exports a clinic would hand over on the
export date (README "Ingest", DESIGN.md "Raw exports"): ``procedures_<clinic>.csv``
(patient-level rows), ``sessions_<clinic>.csv`` (MLD and other appointments with attended,
no-show and cancelled statuses) and the roster. It returns a :class:`NetworkTruth`: the drawn
structure and, for any cut-off, the generator's expected weekly sessions.

Ranges (drawn uniformly and independently unless said; "n" = per network, "c" = per clinic):

| what | range | per |
|---|---|---|
| clinics | 5-30 | n |
| size: completed procedures a week (mature level at the first cut-off) | 3-60, log-uniform | c |
| growth | -5% to +20% a year | c |
| new clinics (at least one) | 30%, opened 3-30 months before the first cut-off | c |
| ramp-up of a new clinic, from 15% to 100% of its size | 2-9 months | c |
| level shifts: a surgeon joins or leaves (1) | 25% of the others: 1-2 shifts of +-20-40% | c |
| closures (no procedures, no sessions) | 30%: one of 1-4 weeks | c |
| procedure mix (lipo, tummy tuck, BBL, breast reduction, other) | Dirichlet ~45/20/15/12/8% | c |
| seasonality: DOMAIN.md's monthly profile (as demo.py) to the power | 0.5-1.5 | c |
| pathway: first session, weeks after the surgery week | 0-2 | n, type |
| pathway: peak week (not before the first) | 1-4 | n, type |
| pathway: course length | 4-12 weeks | n, type |
| pathway: sessions per course | 4-20 | n, type |
| pathway: uptake (share of patients taking MLD) | 0.3-0.9 | n, type |
| clinic uptake factor (x the network's uptake) | 0.85-1.15 | c |
| non-surgical share of sessions (lymphedema, other clients) | 5-35% | c |
| session no-show rate (holds a therapist hour) | 3-15% | c |
| session cancellation rate (does not) | 4-12% | c |
| procedure cancellation rate | 1-5% | c |
| holiday country (closed on holidays; fewer sessions in their weeks) | US 3/7; GB, CA, AU, DE | n |
| first cut-off (a Monday) | 2023-06-05 to 2025-06-02 | n |
| history of mature clinics before the first cut-off | 3 years | n |
| roster: hours x steady-state demand; therapists of 16-40 h | 0.8-1.3 | c |
| procedure names (2): plain / clinical / CPT codes, 1-3 names per type | 50 / 30 / 20% | c |
| procedure export (3): booked_on + scheduled / scheduled only / neither | 40 / 30 / 30% | c |
| future booked appointments (next 2 weeks) in the session export | 30% | c |
| export format (4) | see below | c |
| roster file: one `roster.csv` or `roster_<clinic>.csv` per clinic | 50 / 50% | n |

(1) dated from 18 months before the first cut-off to the end of the last cut-off's horizon, so
some fall inside a forecast horizon. (2) real names, abbreviations and CPT codes (``NAMES``);
the project's ingest vocabulary does not know all of them yet, and the suite reports how many
procedures fell into ``other``. (3) "neither": completed and cancelled rows only. (4) one of 5
header sets per kind, ISO / US / day-first slash / ``05-Mar-2024`` dates, ``,`` ``;`` tab ``|``
delimiters, UTF-8 / UTF-8 with BOM / Windows-1252, LF / CRLF, a title row above the header (15%),
patient identifier columns (dropped by ingest), about 10% non-MLD appointments.

Simulation: procedures are Poisson per day at the rate size x growth x season x ramp x shifts x
closures x weekday pattern x holiday closures. Every patient takes MLD with the type's uptake x
the clinic's factor; a taking patient books Poisson(sessions of week k) appointments in week k
after the surgery week. Holidays cost half of the appointments of the capacity they close (a
week with one holiday Monday keeps about 91%); non-surgical appointments are Poisson around a
clinic level. A session is an MLD appointment attended or missed (cancellations do not count).

Expected sessions at a cut-off (:meth:`NetworkTruth.expected_sessions`): the procedures
actually performed before the cut-off and the expected procedure rates from it on, through the
true pathways and the clinic's uptake factor, plus the non-surgical level, times the holiday
and closure factors and the attended-or-no-show share (as forecasting/demo.py's truth). It
knows the true structure (shifts, closures, pathways) but not the bookings.

Clinic category at a cut-off (:meth:`NetworkTruth.categories`): ``young`` when it opened under
24 months before the cut-off; else ``shifted`` when a level shift falls in the 52 weeks before
the cut-off or in its horizon; else ``mature``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

import holidays
import numpy as np
import pandas as pd

TYPES = ("liposuction", "abdominoplasty", "bbl", "breast_reduction", "other")  # columns.py order
N_CLINICS = (5, 30)
SIZE = (3.0, 60.0)
GROWTH = (-0.05, 0.20)
NEW_SHARE = 0.30
OPENED_WEEKS = (13, 130)  # 3-30 months before the first cut-off
RAMP_WEEKS = (9, 39)  # 2-9 months
SHIFT_SHARE = 0.25
SHIFT_SIZE = (0.20, 0.40)
SHIFT_FROM_WEEKS = 78  # shifts dated from 18 months before the first cut-off
CLOSURE_SHARE = 0.30
CLOSURE_WEEKS = (1, 4)
MIX = np.array([0.45, 0.20, 0.15, 0.12, 0.08])
SEASON_POWER = (0.5, 1.5)
FIRST_WEEK = (0, 2)
PEAK_WEEK = (1, 4)
COURSE_WEEKS = (4, 12)
COURSE_SESSIONS = (4.0, 20.0)
UPTAKE = (0.3, 0.9)
UPTAKE_FACTOR = (0.85, 1.15)
NON_SURGICAL = (0.05, 0.35)
NO_SHOW = (0.03, 0.15)
CANCEL = (0.04, 0.12)
PROCEDURE_CANCEL = (0.01, 0.05)
COUNTRIES = ("US", "US", "US", "GB", "CA", "AU", "DE")
FIRST_CUTOFF = (date(2023, 6, 5), date(2025, 6, 2))
HISTORY_WEEKS = 156
BURN_WEEKS = 16  # simulated before the history so mature clinics' sessions start at steady state
STAFFING = (0.8, 1.3)
OTHER_SERVICE_SHARE = 0.10
YOUNG_WEEKS = 104
SHIFT_WINDOW_WEEKS = 52

# DOMAIN.md seasonality (as forecasting/demo.py): mid-month anchors, January to December.
_SEASON = np.array([0.82, 0.93, 1.0, 1.02, 1.02, 0.98, 0.92, 0.78, 0.95, 1.02, 1.08, 1.55])
_CONTOURING = np.array([1.0, 1.06, 1.12, 1.14, 1.08, 1.0, 1.0, 0.96, 1.0, 1.0, 1.0, 1.0])
_SURGERY_DOW = np.array([0.21, 0.22, 0.22, 0.21, 0.12, 0.02, 0.0])
_SESSION_DOW = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.6, 0.05])
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Procedure names as exports write them, per style and type. Plain names are what the
# project's ingest vocabulary knows today; clinical terms and CPT codes partly are not.
NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "plain": {
        "liposuction": ("Liposuction", "Lipo", "Lipo 360", "VASER Liposuction", "Liposucción"),
        "abdominoplasty": ("Tummy Tuck", "Abdominoplasty", "Mini Tummy Tuck"),
        "bbl": ("BBL", "Brazilian Butt Lift", "Skinny BBL"),
        "breast_reduction": ("Breast Reduction", "Breast Lift", "Bilateral breast reduction"),
        "other": ("Arm Lift", "Facelift", "Thigh Lift", "Lower Body Lift", "Neck Lift"),
    },
    "clinical": {
        "liposuction": (
            "Suction-assisted lipectomy", "SAL", "Tumescent liposuction",
            "PAL (power-assisted liposuction)", "Liposuction - abdomen & flanks",
        ),
        "abdominoplasty": (
            "Extended abdominoplasty", "Fleur-de-lis abdominoplasty", "Lipoabdominoplasty", "TT",
        ),
        "bbl": (
            "Gluteal fat grafting", "Fat transfer to buttocks",
            "Autologous fat grafting - buttocks",
        ),
        "breast_reduction": ("Reduction mammaplasty", "Reduction mammoplasty", "Mastopexy"),
        "other": ("Brachioplasty", "Thighplasty", "Rhytidectomy", "Circumferential body lift"),
    },
    "cpt": {
        "liposuction": (
            "15877", "15879", "CPT 15877 Suction assisted lipectomy; trunk",
            "15878 - Suction assisted lipectomy, upper extremity",
        ),
        "abdominoplasty": (
            "15830", "15847", "CPT 15830 Excision, abdomen, infraumbilical panniculectomy",
        ),
        "bbl": ("15771", "CPT 15771 Fat grafting, trunk/buttocks", "BBL (15771)"),
        "breast_reduction": ("19318", "19316", "CPT 19318 Breast reduction"),
        "other": ("15836", "15832", "15828", "CPT 15836 Brachioplasty"),
    },
}  # fmt: skip
NAME_STYLES = (("plain", 0.5), ("clinical", 0.3), ("cpt", 0.2))
MLD_SERVICES = (
    "Lymphatic Drainage Massage", "MLD", "Manual Lymphatic Drainage", "MLD 60 min",
    "Lymph drainage (post-op)", "Manual lymph drainage - Vodder",
)  # fmt: skip
OTHER_SERVICES = ("Swedish Massage", "Deep Tissue Massage", "Sports Massage", "Scar tissue massage")
_PLACES = (
    "ashford bayside cedarhill dover elmwood fairview glenmore harbor ironbridge juniper "
    "kingsway lakeside midtown northgate oakridge parkview queensbury riverside southpoint "
    "thornbury uptown valleyview westend yarrow zenith brookfield clearwater eastgate "
    "highland millbrook"
).split()
_FIRST = "Ana Maria Jessica Ashley Zoë Chloé Renée Sofia Emily Olivia Camila Priya Aisha".split()
_LAST = "Smith Johnson García Martinez Nguyen Brown Muñoz Patel Lee O'Brien Kim Müller".split()

# Export header sets: canonical field -> header, plus patient columns (dropped at ingest).
_PROC_HEADERS = (
    {"date": "date", "clinic": "clinic_id", "procedure": "procedure", "status": "status",
     "booked_on": "booked_on", "pid": "patient_id", "name": "patient_name"},
    {"date": "Date of Service", "clinic": "Clinic", "procedure": "Procedure Name",
     "status": "Status", "booked_on": "Booked On", "pid": "MRN", "first": "First Name",
     "last": "Last Name"},
    {"date": "Surgery Date", "clinic": "Location", "procedure": "Procedure Type",
     "status": "Case Status", "booked_on": "Booking Date", "pid": "Patient ID",
     "name": "Patient Name"},
    {"date": "DOS", "clinic": "Site", "procedure": "Description", "status": "Status",
     "booked_on": "Date Booked", "count": "Qty", "pid": "Chart Number", "name": "Pt Name"},
    {"date": "procedure_date", "clinic": "site_id", "procedure": "procedure_description",
     "status": "procedure_status", "booked_on": "booked_date", "pid": "patient_id"},
)  # fmt: skip
_SESSION_HEADERS = (
    {"date": "date", "clinic": "clinic_id", "service": "service", "status": "status",
     "pid": "patient_id"},
    {"date": "Appointment Date", "clinic": "Clinic", "service": "Service Name",
     "status": "Appointment Status", "pid": "MRN", "name": "Client Name"},
    {"date": "Visit Date", "clinic": "Location", "service": "Treatment", "status": "Attendance",
     "pid": "Patient ID"},
    {"date": "appt_date", "clinic": "site", "service": "appt_type", "status": "appt_status",
     "pid": "Pt ID"},
    {"date": "Date", "clinic": "Clinic ID", "service": "Appointment Type", "status": "Status",
     "count": "Qty", "pid": "Patient", "name": "Patient Name"},
)  # fmt: skip
# (completed, scheduled, cancelled) and (attended, no-show, cancelled, booked) as written
_PROC_STATUS = (
    ("completed", "scheduled", "cancelled"), ("Completed", "Booked", "Cancelled"),
    ("Done", "Confirmed", "Canceled"), ("Performed", "Scheduled", "Cancelled"),
)  # fmt: skip
_SESSION_STATUS = (
    ("attended", "no_show", "cancelled", "scheduled"),
    ("Arrived", "DNA", "Cancelled", "Booked"),
    ("Checked Out", "No Show", "Canceled", "Confirmed"),
    ("Seen", "Missed", "Late cancel", "Booked"),
    ("Completed", "No-show", "Cancelled", "Scheduled"),
)  # fmt: skip
DATE_FORMATS = ("iso", "us", "dayfirst", "named")
DELIMITERS = (",", ";", "\t", "|")
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252")
BOOKING_VARIANTS = (("booked_on", 0.4), ("scheduled", 0.3), ("completed", 0.3))


@dataclass(frozen=True)
class TruePathway:
    """A procedure type's true care pathway (the pipeline is never told)."""

    first_week: int
    peak_week: int
    course_weeks: int
    sessions: float  # per taking patient over the course
    uptake: float
    by_week: tuple[float, ...]  # sessions per taking patient in week k after the surgery week


@dataclass(frozen=True)
class ExportStyle:
    """How one clinic's exports are written."""

    proc_headers: int
    session_headers: int
    proc_status: int
    session_status: int
    date_format: str
    delimiter: str
    encoding: str
    line_end: str
    title_row: bool
    names: dict[str, tuple[str, ...]]
    name_style: str
    bookings: str  # booked_on | scheduled | completed
    future_appointments: bool
    mld_services: tuple[int, ...]  # indices into MLD_SERVICES this clinic writes


@dataclass(frozen=True)
class ClinicSpec:
    """The drawn structure of one clinic."""

    id: str
    size: float
    growth: float
    opened: date  # first day with activity (the history start for mature clinics)
    new: bool
    ramp_weeks: int
    shifts: tuple[tuple[date, float], ...]  # (Monday, relative change)
    closures: tuple[tuple[date, int], ...]  # (Monday, weeks)
    mix: tuple[float, ...]
    season_power: float
    uptake_factor: float
    non_surgical_share: float
    no_show: float
    cancel: float
    procedure_cancel: float
    staffing_ratio: float
    style: ExportStyle

    def category(self, cutoff: date, horizon: int) -> str:
        """``young``, ``shifted`` or ``mature`` at ``cutoff`` (module docstring)."""
        if (cutoff - self.opened).days < YOUNG_WEEKS * 7:
            return "young"
        lo = cutoff - timedelta(weeks=SHIFT_WINDOW_WEEKS)
        hi = cutoff + timedelta(weeks=horizon)
        if any(lo <= day < hi for day, _ in self.shifts):
            return "shifted"
        return "mature"


@dataclass
class _Sim:
    """Simulated arrays of one clinic (weeks from the origin; days from the origin)."""

    done: np.ndarray  # (weeks, types) completed procedures
    rate: np.ndarray  # (weeks, types) expected procedures
    weights: np.ndarray  # (types, lags) expected sessions per procedure by week after surgery
    factor: np.ndarray  # (weeks,) holiday x closure x attended-or-no-show share
    base: np.ndarray  # (weeks,) non-surgical appointments expected
    counted: np.ndarray  # (weeks,) realised sessions (attended or no-show MLD)
    procedures: pd.DataFrame  # day, booked, type, cancelled, pid, first, last
    appointments: pd.DataFrame  # day, service, status (0 attended 1 no-show 2 cancelled), pid


@dataclass
class NetworkTruth:
    """What :func:`generate_network` drew and simulated.

    Attributes:
        seed: the network's seed.
        country: holiday country.
        cutoffs: the cut-offs (Mondays) the network was drawn around, oldest first.
        horizon: forecast weeks after each cut-off that were simulated.
        pathways: true care pathway per procedure type.
        clinics: per clinic its :class:`ClinicSpec`.
        origin: Monday of simulation day 0.
        roster_per_clinic: one roster file per clinic (else one ``roster.csv``).
        files: files written by the last :meth:`write_exports`.
    """

    seed: int
    country: str
    cutoffs: list[date]
    horizon: int
    pathways: dict[str, TruePathway]
    clinics: list[ClinicSpec]
    origin: date
    roster_per_clinic: bool
    roster: pd.DataFrame
    sims: dict[str, _Sim] = field(repr=False)
    files: list[Path] = field(default_factory=list)

    @property
    def history_start(self) -> date:
        return self.cutoffs[0] - timedelta(weeks=HISTORY_WEEKS)

    @property
    def weeks(self) -> pd.DatetimeIndex:
        n = len(next(iter(self.sims.values())).counted)
        return pd.date_range(pd.Timestamp(self.origin), periods=n, freq="W-MON")

    def _week(self, day: date) -> int:
        return (day - self.origin).days // 7

    def categories(self, cutoff: date) -> dict[str, str]:
        """Clinic id -> ``young`` / ``shifted`` / ``mature`` at ``cutoff``."""
        return {c.id: c.category(cutoff, self.horizon) for c in self.clinics}

    def realised_sessions(self) -> pd.DataFrame:
        """clinic_id, week, sessions: what happened (attended or no-show MLD), every week."""
        weeks = self.weeks
        parts = []
        for c in self.clinics:
            first = max(self._week(c.opened), self._week(self.history_start))
            sim = self.sims[c.id]
            parts.append(
                pd.DataFrame(
                    {"clinic_id": c.id, "week": weeks[first:], "sessions": sim.counted[first:]}
                )
            )
        return pd.concat(parts, ignore_index=True)

    def expected_sessions(self, cutoff: date, horizon: int | None = None) -> pd.DataFrame:
        """clinic_id, week, expected: expected sessions of the weeks from ``cutoff`` on.

        Procedures performed before ``cutoff`` as they happened, expected rates from it on.
        """
        horizon = self.horizon if horizon is None else horizon
        start = self._week(cutoff)
        weeks = self.weeks[start : start + horizon]
        parts = []
        for c in self.clinics:
            sim = self.sims[c.id]
            procs = sim.done.copy()
            procs[start:] = sim.rate[start:]
            out = np.zeros(len(weeks))
            lags = sim.weights.shape[1]
            for h in range(len(weeks)):
                w = start + h
                lo = max(0, w - lags + 1)
                window = procs[lo : w + 1][::-1]  # lag 0 first
                out[h] = np.einsum("lt,tl->", window, sim.weights[:, : len(window)])
            out = (out + sim.base[start : start + len(weeks)]) * sim.factor[
                start : start + len(weeks)
            ]
            parts.append(pd.DataFrame({"clinic_id": c.id, "week": weeks, "expected": out}))
        return pd.concat(parts, ignore_index=True)

    def completed_by_type(self, cutoff: date) -> pd.DataFrame:
        """clinic_id, procedure, completed: true completed procedures in the written history."""
        rows = []
        lo, hi = self._week(self.history_start), self._week(cutoff)
        for c in self.clinics:
            done = self.sims[c.id].done[lo:hi].sum(axis=0)
            rows += [(c.id, t, int(n)) for t, n in zip(TYPES, done, strict=True)]
        return pd.DataFrame(rows, columns=["clinic_id", "procedure", "completed"])

    def structure(self) -> pd.DataFrame:
        """One row per clinic: the drawn structure (for the suite's per-network CSV)."""
        return pd.DataFrame(
            [
                {
                    "clinic_id": c.id,
                    "size": round(c.size, 2),
                    "growth": round(c.growth, 3),
                    "opened": c.opened.isoformat(),
                    "new": c.new,
                    "ramp_weeks": c.ramp_weeks,
                    "shifts": ";".join(f"{d.isoformat()}:{v:+.2f}" for d, v in c.shifts),
                    "closures": ";".join(f"{d.isoformat()}:{n}w" for d, n in c.closures),
                    "uptake_factor": round(c.uptake_factor, 3),
                    "non_surgical_share": round(c.non_surgical_share, 3),
                    "no_show": round(c.no_show, 3),
                    "cancel": round(c.cancel, 3),
                    "name_style": c.style.name_style,
                    "bookings": c.style.bookings,
                    "date_format": c.style.date_format,
                }
                for c in self.clinics
            ]
        )

    def write_exports(self, out_dir: Path, as_of: date) -> list[Path]:
        """Write the exports as they stood on ``as_of`` (rows dated before it, plus what was
        on the books then) into ``out_dir``; returns the files written."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        day = (as_of - self.origin).days
        first = (self.history_start - self.origin).days
        files = []
        for c in self.clinics:
            sim = self.sims[c.id]
            files.append(_write_procedures(out, c, sim.procedures, self.origin, first, day))
            files.append(_write_sessions(out, c, sim.appointments, self.origin, first, day))
        files += _write_roster(out, self.roster, self.roster_per_clinic, as_of)
        self.files = sorted(files)
        return self.files


# --------------------------------------------------------------------------- drawing


def _pathway(rng: np.random.Generator) -> TruePathway:
    first = int(rng.integers(FIRST_WEEK[0], FIRST_WEEK[1] + 1))
    course = int(rng.integers(COURSE_WEEKS[0], COURSE_WEEKS[1] + 1))
    peak = int(rng.integers(max(first, PEAK_WEEK[0]), PEAK_WEEK[1] + 1))
    peak = min(peak, first + course - 1)
    total = float(rng.uniform(*COURSE_SESSIONS))
    uptake = float(rng.uniform(*UPTAKE))
    shape = np.zeros(first + course)
    last = first + course - 1
    for k in range(first, last + 1):
        if k < peak:
            shape[k] = 0.4 + 0.6 * (k - first + 1) / (peak - first + 1)
        elif k == peak:
            shape[k] = 1.0
        else:
            shape[k] = 1.0 - 0.8 * (k - peak) / (last - peak + 1)
    by_week = tuple(float(x) for x in np.round(shape / shape.sum() * total, 4))
    return TruePathway(first, peak, course, round(total, 3), round(uptake, 3), by_week)


def _pick(rng: np.random.Generator, options) -> object:
    return options[int(rng.integers(0, len(options)))]


def _style(rng: np.random.Generator) -> ExportStyle:
    styles, probs = zip(*NAME_STYLES, strict=True)
    name_style = str(rng.choice(styles, p=probs))
    names = {}
    for t in TYPES:
        pool = NAMES[name_style][t]
        k = int(rng.integers(1, min(3, len(pool)) + 1))
        names[t] = tuple(str(x) for x in rng.choice(pool, size=k, replace=False))
    variants, vprobs = zip(*BOOKING_VARIANTS, strict=True)
    return ExportStyle(
        proc_headers=int(rng.integers(0, len(_PROC_HEADERS))),
        session_headers=int(rng.integers(0, len(_SESSION_HEADERS))),
        proc_status=int(rng.integers(0, len(_PROC_STATUS))),
        session_status=int(rng.integers(0, len(_SESSION_STATUS))),
        date_format=str(_pick(rng, DATE_FORMATS)),
        delimiter=str(_pick(rng, DELIMITERS)),
        encoding=str(_pick(rng, ENCODINGS)),
        line_end=str(_pick(rng, ("\n", "\r\n"))),
        title_row=bool(rng.random() < 0.15),
        names=names,
        name_style=name_style,
        bookings=str(rng.choice(variants, p=vprobs)),
        future_appointments=bool(rng.random() < 0.3),
        mld_services=tuple(
            int(i) for i in rng.choice(len(MLD_SERVICES), int(rng.integers(1, 3)), replace=False)
        ),
    )


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _draw_clinics(
    rng: np.random.Generator, n: int, first_cut: date, last_cut: date, horizon: int
) -> list[ClinicSpec]:
    history_start = first_cut - timedelta(weeks=HISTORY_WEEKS)
    new = rng.random(n) < NEW_SHARE
    if not new.any():
        new[int(rng.integers(0, n))] = True
    old = np.flatnonzero(~new)
    shifted = set(old[rng.random(len(old)) < SHIFT_SHARE].tolist())
    if not shifted and len(old):
        shifted = {int(old[int(rng.integers(0, len(old)))])}
    ids = list(rng.permutation(_PLACES)[:n])
    ids = [f"{name}" if i < len(_PLACES) else f"{name}{i}" for i, name in enumerate(ids)]
    shift_lo = first_cut - timedelta(weeks=SHIFT_FROM_WEEKS)
    shift_hi = last_cut + timedelta(weeks=horizon - 1)
    out = []
    for i in range(n):
        size = float(np.exp(rng.uniform(np.log(SIZE[0]), np.log(SIZE[1]))))
        growth = float(rng.uniform(*GROWTH))
        if new[i]:
            opened = _monday(first_cut - timedelta(weeks=int(rng.integers(*OPENED_WEEKS))))
            opened += timedelta(days=int(rng.integers(0, 5)))  # opens on a weekday
            ramp = int(rng.integers(RAMP_WEEKS[0], RAMP_WEEKS[1] + 1))
        else:
            opened, ramp = history_start, 0
        shifts: list[tuple[date, float]] = []
        if i in shifted:
            span = (shift_hi - shift_lo).days // 7
            for _ in range(1 if rng.random() < 0.8 else 2):
                day = shift_lo + timedelta(weeks=int(rng.integers(0, span + 1)))
                sign = 1.0 if rng.random() < 0.5 else -1.0
                change = round(sign * float(rng.uniform(*SHIFT_SIZE)), 3)
                if all(abs((day - d).days) >= 91 for d, _ in shifts):  # 13+ weeks apart
                    shifts.append((day, change))
            shifts.sort()
        closures: list[tuple[date, int]] = []
        if rng.random() < CLOSURE_SHARE:
            lo = max(opened, history_start) + timedelta(weeks=26)
            span = max(1, (last_cut + timedelta(weeks=horizon) - lo).days // 7 - 4)
            start = _monday(lo + timedelta(weeks=int(rng.integers(0, span))))
            closures.append((start, int(rng.integers(CLOSURE_WEEKS[0], CLOSURE_WEEKS[1] + 1))))
        out.append(
            ClinicSpec(
                id=str(ids[i]),
                size=size,
                growth=growth,
                opened=opened,
                new=bool(new[i]),
                ramp_weeks=ramp,
                shifts=tuple(shifts),
                closures=tuple(closures),
                mix=tuple(float(x) for x in rng.dirichlet(MIX * 60)),
                season_power=float(rng.uniform(*SEASON_POWER)),
                uptake_factor=float(rng.uniform(*UPTAKE_FACTOR)),
                non_surgical_share=float(rng.uniform(*NON_SURGICAL)),
                no_show=float(rng.uniform(*NO_SHOW)),
                cancel=float(rng.uniform(*CANCEL)),
                procedure_cancel=float(rng.uniform(*PROCEDURE_CANCEL)),
                staffing_ratio=float(rng.uniform(*STAFFING)),
                style=_style(rng),
            )
        )
    return out


# --------------------------------------------------------------------------- simulation


@dataclass(frozen=True)
class _Calendar:
    n_days: int
    pos: np.ndarray  # month position per day (0 = mid-January)
    surgery: np.ndarray  # surgery factor per day (0 on holidays)
    session_day: np.ndarray  # session weekday weight x holiday factor per day
    capacity: np.ndarray  # per week: share of appointments kept (holidays)


def _calendar(origin: date, n_weeks: int, country: str) -> _Calendar:
    n_days = n_weeks * 7
    days = np.datetime64(origin) + np.arange(n_days)
    month = days.astype("datetime64[M]")
    year = month.astype("datetime64[Y]")
    doy = (days - year).astype(int)
    pos = (doy + 0.5) / 365.25 * 12 - 0.5
    years = range(origin.year, int(year[-1].astype(int)) + 1971)
    hol = np.array(sorted(holidays.country_holidays(country, years=years)), dtype="datetime64[D]")
    is_hol = np.isin(days, hol)
    m = month.astype(int) % 12 + 1
    dom = (days - month).astype(int) + 1
    xmas = ((m == 12) & (dom >= 24)) | ((m == 1) & (dom <= 2))
    surgery = np.where(is_hol, 0.0, np.where(xmas, 0.3, 1.0))
    session_day = np.tile(_SESSION_DOW, n_weeks) * np.where(is_hol, 0.0, np.where(xmas, 0.5, 1.0))
    kept = session_day.reshape(n_weeks, 7).sum(axis=1) / _SESSION_DOW.sum()
    capacity = 1.0 - 0.5 * (1.0 - kept)
    return _Calendar(n_days, pos, surgery, session_day, capacity)


def _weekly_level(c: ClinicSpec, origin: date, ref: date, n_weeks: int) -> np.ndarray:
    """Size x growth x ramp x shifts x closures per week (0 before the clinic opened)."""
    w = np.arange(n_weeks)
    level = c.size * (1.0 + c.growth) ** ((w - (ref - origin).days / 7) / 52.18)
    open_w = (c.opened - origin).days / 7
    if c.ramp_weeks:
        x = np.clip((w - open_w) / c.ramp_weeks, 0.0, 1.0)
        level *= 0.15 + 0.85 * (1 - np.cos(np.pi * x)) / 2
    for day, change in c.shifts:
        level[w >= (day - origin).days // 7] *= 1.0 + change
    return level


def _closed(c: ClinicSpec, origin: date, n_days: int) -> np.ndarray:
    closed = np.arange(n_days) < (c.opened - origin).days
    for day, weeks in c.closures:
        s = (day - origin).days
        closed[s : s + 7 * weeks] = True
    return closed


def _lead_days(rng: np.random.Generator, n: int) -> np.ndarray:
    """Booking lead times (days): a quarter within a week, the rest around five weeks."""
    short = rng.integers(1, 8, n)
    long_ = np.rint(np.exp(rng.normal(np.log(35.0), 0.7, n)))
    return np.clip(np.where(rng.random(n) < 0.25, short, long_), 1, 180).astype(np.int64)


def _pick_days(
    rng: np.random.Generator, weeks: np.ndarray, after: np.ndarray, day_weight: np.ndarray
) -> np.ndarray:
    """A day index in each of ``weeks``, weekday > ``after`` (-1: any), by ``day_weight``."""
    w = day_weight.reshape(-1, 7)[weeks] * (np.arange(7)[None, :] > after[:, None])
    empty = np.flatnonzero(w.sum(axis=1) <= 0)
    w[empty, np.minimum(after[empty] + 1, 6)] = 1.0  # a closed week: the next day anyway
    cum = np.cumsum(w, axis=1) / w.sum(axis=1, keepdims=True)
    dow = (rng.random(len(weeks))[:, None] > cum).sum(axis=1)
    return weeks * 7 + np.minimum(dow, 6)


def _simulate(
    c: ClinicSpec,
    pathways: dict[str, TruePathway],
    cal: _Calendar,
    origin: date,
    ref: date,
    n_weeks: int,
    rng: np.random.Generator,
) -> _Sim:
    n_days = cal.n_days
    closed = _closed(c, origin, n_days)
    level = _weekly_level(c, origin, ref, n_weeks)
    general = np.interp(cal.pos, np.arange(12), _SEASON, period=12)
    general /= np.interp(np.linspace(-0.5, 11.5, 365), np.arange(12), _SEASON, period=12).mean()
    contour = np.interp(cal.pos, np.arange(12), _CONTOURING, period=12)
    dow = np.arange(n_days) % 7
    daily = level[np.arange(n_days) // 7] * general**c.season_power
    daily *= _SURGERY_DOW[dow] / _SURGERY_DOW.sum() * cal.surgery * ~closed
    rate_d = daily[:, None] * np.array(c.mix)[None, :]
    rate_d[:, [0, 2]] *= contour[:, None]  # liposuction, bbl
    done_d = rng.poisson(rate_d)
    cancel_d = rng.poisson(rate_d * c.procedure_cancel / (1 - c.procedure_cancel))

    # Patient-level procedures (completed and cancelled), sorted by day.
    d_day, d_type = np.nonzero(done_d)
    p_day = np.repeat(d_day, done_d[d_day, d_type])
    p_type = np.repeat(d_type, done_d[d_day, d_type])
    x_day, x_type = np.nonzero(cancel_d)
    x_n = cancel_d[x_day, x_type]
    all_day = np.concatenate([p_day, np.repeat(x_day, x_n)])
    all_type = np.concatenate([p_type, np.repeat(x_type, x_n)])
    cancelled = np.arange(len(all_day)) >= len(p_day)
    order = np.lexsort((all_type, all_day))
    prefix = c.id[:3].upper()
    pid = np.array([f"{prefix}{k:06d}" for k in range(1, len(all_day) + 1)], dtype=object)
    procs = pd.DataFrame(
        {
            "day": all_day[order],
            "booked": all_day[order] - _lead_days(rng, len(all_day)),
            "type": all_type[order],
            "cancelled": cancelled[order],
            "pid": pid,
            "first": rng.integers(0, len(_FIRST), len(all_day)),
            "last": rng.integers(0, len(_LAST), len(all_day)),
        }
    )

    # Sessions of patients operated on (completed procedures only).
    real = procs.loc[~procs["cancelled"]]
    lags = max(len(p.by_week) for p in pathways.values())
    sbw = np.zeros((len(TYPES), lags))
    for j, t in enumerate(TYPES):
        sbw[j, : len(pathways[t].by_week)] = pathways[t].by_week
    uptake = np.clip(np.array([pathways[t].uptake for t in TYPES]) * c.uptake_factor, 0, 0.98)
    r_day, r_type = real["day"].to_numpy(), real["type"].to_numpy()
    takers = np.flatnonzero(rng.random(len(real)) < uptake[r_type])
    counts = rng.poisson(sbw[r_type[takers]])
    flat = np.repeat(np.arange(counts.size), counts.ravel())
    who, k = takers[flat // lags], flat % lags
    weeks = r_day[who] // 7 + k
    keep_w = weeks < n_weeks
    who, k, weeks = who[keep_w], k[keep_w], weeks[keep_w]
    closed_w = closed.reshape(n_weeks, 7).all(axis=1)
    factor_w = cal.capacity * ~closed_w
    kept = rng.random(len(weeks)) < factor_w[weeks]
    who, k, weeks = who[kept], k[kept], weeks[kept]
    after = np.where(k == 0, r_day[who] % 7, -1)
    s_day = _pick_days(rng, weeks, after, cal.session_day)
    s_pid = real["pid"].to_numpy()[who]

    # Non-surgical appointments around a clinic level (ramps with the clinic).
    steady = c.size * float(np.dot(c.mix, uptake * sbw.sum(axis=1)))
    share = c.non_surgical_share
    ramp = _weekly_level(replace(c, size=1.0, growth=0.0, shifts=()), origin, ref, n_weeks)
    season = 1 + 0.1 * np.cos(2 * np.pi * (cal.pos[::7] - 6.5) / 12)
    open_w = ~(np.arange(n_days) < (c.opened - origin).days).reshape(n_weeks, 7).all(axis=1)
    base = share / (1 - share) * steady * ramp * season * open_w
    b_weeks = np.repeat(np.arange(n_weeks), rng.poisson(base * factor_w))
    b_day = _pick_days(rng, b_weeks, np.full(len(b_weeks), -1), cal.session_day)
    b_pid = np.array([f"{prefix}L{x:04d}" for x in rng.integers(1, 60, len(b_day))], dtype=object)

    m_day = np.concatenate([s_day, b_day])
    m_pid = np.concatenate([s_pid, b_pid])
    m_service = np.array(c.style.mld_services)[
        rng.integers(0, len(c.style.mld_services), len(m_day))
    ]
    n_other = int(rng.poisson(OTHER_SERVICE_SHARE * len(m_day)))
    o_day = m_day[rng.integers(0, max(len(m_day), 1), n_other)] if len(m_day) else m_day[:0]
    o_service = len(MLD_SERVICES) + rng.integers(0, len(OTHER_SERVICES), n_other)
    o_pid = np.array([f"{prefix}M{x:05d}" for x in rng.integers(1, 5000, n_other)], dtype=object)
    a_day = np.concatenate([m_day, o_day])
    u = rng.random(len(a_day))
    status = np.where(u < c.cancel, 2, np.where(u < c.cancel + c.no_show, 1, 0))
    service = np.concatenate([m_service, o_service])
    appts = pd.DataFrame(
        {"day": a_day, "service": service, "status": status, "pid": np.concatenate([m_pid, o_pid])}
    )
    appts = appts.sort_values(["day", "pid"], kind="stable").reset_index(drop=True)
    is_mld = appts["service"].to_numpy() < len(MLD_SERVICES)
    counted = np.bincount(
        appts["day"].to_numpy()[is_mld & (appts["status"].to_numpy() < 2)] // 7, minlength=n_weeks
    )[:n_weeks]

    weekly_done = done_d.reshape(n_weeks, 7, len(TYPES)).sum(axis=1).astype(float)
    weekly_rate = rate_d.reshape(n_weeks, 7, len(TYPES)).sum(axis=1)
    return _Sim(
        done=weekly_done,
        rate=weekly_rate,
        weights=uptake[:, None] * sbw,
        factor=factor_w * (1 - c.cancel),
        base=base,
        counted=counted.astype(float),
        procedures=procs,
        appointments=appts,
    )


def _roster(
    clinics: list[ClinicSpec], pathways: dict[str, TruePathway], rng: np.random.Generator
) -> pd.DataFrame:
    rows = []
    for c in clinics:
        per_proc = sum(
            m * min(pathways[t].uptake * c.uptake_factor, 0.98) * pathways[t].sessions
            for m, t in zip(c.mix, TYPES, strict=True)
        )
        sessions = c.size * per_proc / (1 - c.non_surgical_share) * (1 - c.cancel)
        target = sessions * 70 / 60 / 0.6 * c.staffing_ratio
        hours: list[int] = []
        while sum(hours) < target or not hours:
            hours.append(int(rng.choice([16, 24, 32, 40])))
        start = c.opened.isoformat() if c.new else ""
        rows += [(c.id, f"{c.id}-t{i + 1:02d}", h, start, "") for i, h in enumerate(hours)]
    return pd.DataFrame(
        rows, columns=["clinic_id", "therapist_id", "weekly_hours", "start_date", "end_date"]
    )


def draw_network(
    seed: int, *, n_cutoffs: int = 4, step_weeks: int = 13, horizon: int = 12
) -> NetworkTruth:
    """Draw and simulate the network of ``seed`` (nothing written)."""
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative whole number (got {seed!r})")
    rng = np.random.default_rng([20261202, int(seed)])
    n = int(rng.integers(N_CLINICS[0], N_CLINICS[1] + 1))
    country = str(_pick(rng, COUNTRIES))
    span = (FIRST_CUTOFF[1] - FIRST_CUTOFF[0]).days // 7
    first_cut = FIRST_CUTOFF[0] + timedelta(weeks=int(rng.integers(0, span + 1)))
    cutoffs = [first_cut + timedelta(weeks=step_weeks * i) for i in range(n_cutoffs)]
    pathways = {t: _pathway(rng) for t in TYPES}
    clinics = _draw_clinics(rng, n, first_cut, cutoffs[-1], horizon)
    origin = first_cut - timedelta(weeks=HISTORY_WEEKS + BURN_WEEKS)
    n_weeks = (cutoffs[-1] - origin).days // 7 + horizon + 1
    cal = _calendar(origin, n_weeks, country)
    sims = {c.id: _simulate(c, pathways, cal, origin, first_cut, n_weeks, rng) for c in clinics}
    return NetworkTruth(
        seed=int(seed),
        country=country,
        cutoffs=cutoffs,
        horizon=horizon,
        pathways=pathways,
        clinics=clinics,
        origin=origin,
        roster_per_clinic=bool(rng.random() < 0.5),
        roster=_roster(clinics, pathways, rng),
        sims=sims,
    )


def generate_network(
    seed: int,
    out_dir: Path,
    *,
    as_of: date | None = None,
    n_cutoffs: int = 4,
    step_weeks: int = 13,
    horizon: int = 12,
) -> NetworkTruth:
    """Draw the network of ``seed`` and write its exports as of ``as_of`` into ``out_dir``.

    Args:
        seed: the network's seed (the same seed always gives the same network and files).
        out_dir: directory for the raw exports (created if missing).
        as_of: export date (default: the network's last cut-off); rows dated before it are
            written, plus the procedures and appointments on the books then.
        n_cutoffs: cut-offs the network is drawn around, ``step_weeks`` apart.
        horizon: weeks simulated after the last cut-off.
    """
    truth = draw_network(seed, n_cutoffs=n_cutoffs, step_weeks=step_weeks, horizon=horizon)
    truth.write_exports(Path(out_dir), as_of or truth.cutoffs[-1])
    return truth


# --------------------------------------------------------------------------- writing


def _date_strings(origin: date, first: int, last: int, fmt: str) -> np.ndarray:
    """Date text of day indices ``first``..``last - 1`` in the export's format."""
    days = np.datetime64(origin) + np.arange(first, last)
    if fmt == "iso":
        return np.datetime_as_string(days, unit="D").astype(object)
    y = days.astype("datetime64[Y]").astype(int) + 1970
    m = days.astype("datetime64[M]").astype(int) % 12 + 1
    d = (days - days.astype("datetime64[M]")).astype(int) + 1
    if fmt == "us":
        text = [f"{a:02d}/{b:02d}/{c}" for a, b, c in zip(m, d, y, strict=True)]
    elif fmt == "dayfirst":
        text = [f"{b:02d}/{a:02d}/{c}" for a, b, c in zip(m, d, y, strict=True)]
    else:
        text = [f"{b:02d}-{_MONTHS[a - 1]}-{c}" for a, b, c in zip(m, d, y, strict=True)]
    return np.array(text, dtype=object)


def _write_csv(path: Path, frame: pd.DataFrame, style: ExportStyle, title: str) -> Path:
    buf = io.StringIO()
    if style.title_row:
        buf.write(title + style.line_end)
    frame.to_csv(
        buf,
        index=False,
        sep=style.delimiter,
        lineterminator=style.line_end,
        quoting=csv.QUOTE_MINIMAL,
    )
    encoding = "utf-8-sig" if style.encoding == "utf-8-sig" else style.encoding
    path.write_bytes(buf.getvalue().encode(encoding, errors="replace"))
    return path


def _write_procedures(
    out: Path, c: ClinicSpec, procs: pd.DataFrame, origin: date, first: int, as_of: int
) -> Path:
    s = c.style
    day, booked = procs["day"].to_numpy(), procs["booked"].to_numpy()
    past = (day >= first) & (day < as_of)
    on_books = (day >= as_of) & (booked < as_of) & (s.bookings != "completed")
    rows = procs.loc[past | on_books]
    lo = int(min(rows["booked"].min(), first)) if len(rows) else first
    hi = int(rows["day"].max()) + 1 if len(rows) else first + 1
    table = _date_strings(origin, lo, hi, s.date_format)
    headers = _PROC_HEADERS[s.proc_headers]
    statuses = _PROC_STATUS[s.proc_status]
    r_day = rows["day"].to_numpy()
    status = np.where(
        r_day >= as_of,
        statuses[1],
        np.where(rows["cancelled"].to_numpy(), statuses[2], statuses[0]),
    ).astype(object)
    # each procedure's name: one of the clinic's names for its type, by patient
    names = np.empty(len(rows), dtype=object)
    r_type = rows["type"].to_numpy()
    pick = rows["pid"].str[-2:].astype(int).to_numpy()
    for j, t in enumerate(TYPES):
        sel = r_type == j
        options = np.array(s.names[t], dtype=object)
        names[sel] = options[pick[sel] % len(options)]
    first_n = np.array(_FIRST, dtype=object)[rows["first"].to_numpy()]
    last_n = np.array(_LAST, dtype=object)[rows["last"].to_numpy()]
    cols: dict[str, object] = {
        headers["date"]: table[r_day - lo],
        headers["clinic"]: c.id,
        headers["procedure"]: names,
        headers["status"]: status,
    }
    if s.bookings == "booked_on":
        cols[headers["booked_on"]] = table[rows["booked"].to_numpy() - lo]
    if "count" in headers:
        cols[headers["count"]] = 1
    cols[headers["pid"]] = rows["pid"].to_numpy()
    if "name" in headers:
        cols[headers["name"]] = first_n + " " + last_n
    if "first" in headers:
        cols[headers["first"]], cols[headers["last"]] = first_n, last_n
    frame = pd.DataFrame(cols)
    return _write_csv(out / f"procedures_{c.id}.csv", frame, s, f"Procedure export - {c.id}")


def _write_sessions(
    out: Path, c: ClinicSpec, appts: pd.DataFrame, origin: date, first: int, as_of: int
) -> Path:
    s = c.style
    day = appts["day"].to_numpy()
    past = (day >= first) & (day < as_of)
    future = (day >= as_of) & (day < as_of + 14) & s.future_appointments
    future &= appts["status"].to_numpy() < 2  # not yet cancelled on the books
    rows = appts.loc[past | future]
    r_day = rows["day"].to_numpy()
    table = _date_strings(
        origin, first, max(int(r_day.max()) + 1 if len(rows) else 0, first + 1), s.date_format
    )
    headers = _SESSION_HEADERS[s.session_headers]
    statuses = np.array(_SESSION_STATUS[s.session_status], dtype=object)
    status = np.where(r_day >= as_of, statuses[3], statuses[rows["status"].to_numpy()])
    services = np.array(MLD_SERVICES + OTHER_SERVICES, dtype=object)
    cols: dict[str, object] = {
        headers["date"]: table[r_day - first],
        headers["clinic"]: c.id,
        headers["service"]: services[rows["service"].to_numpy()],
        headers["status"]: status,
    }
    if "count" in headers:
        cols[headers["count"]] = 1
    cols[headers["pid"]] = rows["pid"].to_numpy()
    if "name" in headers:
        cols[headers["name"]] = "Client " + rows["pid"].str[-4:]
    frame = pd.DataFrame(cols)
    return _write_csv(out / f"sessions_{c.id}.csv", frame, s, f"Appointments - {c.id}")


def _write_roster(out: Path, roster: pd.DataFrame, per_clinic: bool, as_of: date) -> list[Path]:
    on = roster.loc[(roster["start_date"] == "") | (roster["start_date"] < as_of.isoformat())]
    if not per_clinic:
        path = out / "roster.csv"
        on.to_csv(path, index=False, lineterminator="\n")
        return [path]
    files = []
    for clinic, rows in on.groupby("clinic_id", sort=True):
        path = out / f"roster_{clinic}.csv"
        rows.rename(
            columns={
                "clinic_id": "Site", "therapist_id": "Staff ID", "weekly_hours": "Contracted Hours",
                "start_date": "Start", "end_date": "End",
            }
        ).to_csv(path, index=False, lineterminator="\n")  # fmt: skip
        files.append(path)
    return files
