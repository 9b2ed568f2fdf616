"""Seeded generator of realistic synthetic raw clinic exports (``lymphcast demo``).

The demo writes what clinics really hand over (see DESIGN.md, "Raw exports"): one patient-level
procedure export per clinic in a different shape per clinic (delimiters, date formats, header
names, a UTF-8 BOM, an XLSX workbook, patient identifiers), one MLD appointment export per clinic
(with no-shows, cancellations and non-MLD services mixed in) and a therapist roster.

Procedures follow a smooth daily rate per clinic and type: base volume x trend x seasonality
(December peak, slow January, body contouring rising in spring, August dip; DOMAIN.md) x weekday
pattern x holiday closures, realised with Poisson noise. Sessions come from the realised
procedures through the care pathways (uptake, sessions by week since surgery) plus a non-surgical
lymphedema base. The noise-free expectation is returned as ``DemoResult.truth`` (never written),
so a benchmark can score forecasts against what the generator really meant.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import holidays
import numpy as np
import pandas as pd

from forecasting.columns import CLINIC, PROCEDURE_TYPES, WEEK
from forecasting.config import Pathway, _default_pathways
from forecasting.errors import ConfigError
from forecasting.io import atomic_write, write_csv

MAX_CLINICS = 500
MAX_YEARS = 50
FUTURE_WEEKS = 8
OPENED_WEEKS_AGO = 30

SESSION_CANCEL_SHARE = 0.08
SESSION_NO_SHOW_SHARE = 0.06
PROCEDURE_CANCEL_SHARE = 0.02
OTHER_SERVICE_SHARE = 0.11  # extra rows per MLD row: about 10% of all session rows
_MINUTES_PER_SESSION = 70.0  # session + turnover, as the default config
_PRODUCTIVE_SHARE = 0.6
_FIXED_TIME = datetime(2020, 1, 1, 0, 0, 0)

# id, weekly completed procedures (recent), annual growth, export format, staffing ratio,
# non-surgical MLD sessions a week. "summit" opened recently; "westend" is the smallest (XLSX).
_CLINICS = (
    ("bayview", 38.0, 0.06, "iso", 0.95, 6.0),
    ("harbor", 22.0, -0.04, "us", 1.35, 4.0),
    ("northgate", 14.0, 0.10, "dmy", 0.9, 3.0),
    ("riverside", 28.0, 0.03, "bom", 1.3, 5.0),
    ("summit", 10.0, 0.15, "tab", 1.1, 2.0),
    ("westend", 4.0, 0.0, "xlsx", 1.5, 1.5),
)
_RECENT_CLINIC = "summit"
_MIX = np.array([0.45, 0.20, 0.15, 0.12, 0.08])
_NAMES = {
    "liposuction": ("Liposuction", "Lipo 360", "VASER Liposuction", "SmartLipo"),
    "abdominoplasty": ("Tummy Tuck", "Abdominoplasty", "Mini Tummy Tuck"),
    "bbl": ("BBL", "Brazilian Butt Lift"),
    "breast_reduction": ("Breast Reduction", "Mastopexy", "Breast Lift"),
    "other": ("Arm Lift", "Facelift", "Thigh Lift", "Body Lift"),
}
_FIRST = "Ana Maria Jessica Ashley Zoë Chloé Renée Sofia Emily Olivia Camila Priya Aisha".split()
_LAST = "Smith Johnson García Martinez Nguyen Brown Muñoz Patel Lee O'Brien Kim Müller".split()
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Mid-month seasonal anchors (DOMAIN.md); December before the Christmas closure is cut.
_SEASON = np.array([0.82, 0.93, 1.0, 1.02, 1.02, 0.98, 0.92, 0.78, 0.95, 1.02, 1.08, 1.55])
_CONTOURING = np.array([1.0, 1.06, 1.12, 1.14, 1.08, 1.0, 1.0, 0.96, 1.0, 1.0, 1.0, 1.0])
_SURGERY_DOW = np.array([0.21, 0.22, 0.22, 0.21, 0.12, 0.02, 0.0])
_SESSION_DOW = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.6, 0.05])


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


@dataclass(frozen=True)
class _Clinic:
    id: str
    volume: float
    growth: float
    fmt: str
    staffing: float
    base: float
    open_day: int  # first day index with activity (0 = simulation origin)


def _check(clinics: object, years: object, seed: object, end: object, country: str) -> date:
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


def _pathway_matrix(pathways: dict[str, Pathway] | None) -> tuple[np.ndarray, np.ndarray]:
    merged = dict(_default_pathways())
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


def _clinic_table(n: int, rng: np.random.Generator, open_recent: int) -> list[_Clinic]:
    out = []
    for i in range(n):
        if i < len(_CLINICS):
            cid, vol, growth, fmt, staff, base = _CLINICS[i]
        else:
            cid, fmt = f"clinic{i + 1:02d}", ("iso", "us", "dmy", "bom", "tab")[i % 5]
            vol, growth = float(rng.uniform(5, 40)), float(rng.uniform(-0.05, 0.15))
            staff, base = float(rng.uniform(0.8, 1.2)), float(rng.uniform(1, 6))
        out.append(
            _Clinic(cid, vol, growth, fmt, staff, base, open_recent if cid == _RECENT_CLINIC else 0)
        )
    return out


def _calendar(origin: date, n_days: int, country: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


def _lead_days(rng: np.random.Generator, n: int) -> np.ndarray:
    """Booking lead times: ~85% of next week's volume is booked, ~20% of week 8's."""
    short = rng.integers(1, 8, n)
    long_ = np.rint(np.exp(rng.normal(np.log(35.0), 0.7, n)))
    lead = np.where(rng.random(n) < 0.25, short, long_)
    return np.clip(lead, 1, 180).astype(np.int64)


def _pick_days(
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


def _date_table(first: np.datetime64, n: int, fmt: str) -> np.ndarray:
    """Date strings of ``n`` consecutive days from ``first`` in a file's own format."""
    days = first + np.arange(n)
    if fmt not in ("us", "dmy"):
        return np.datetime_as_string(days, unit="D").astype(object)
    y = days.astype("datetime64[Y]").astype(int) + 1970
    m = days.astype("datetime64[M]").astype(int) % 12 + 1
    d = (days - days.astype("datetime64[M]")).astype(int) + 1
    if fmt == "us":
        return np.array(
            [f"{a:02d}/{b:02d}/{c}" for a, b, c in zip(m, d, y, strict=True)], dtype=object
        )
    return np.array(
        [f"{b:02d}-{_MONTHS[a - 1]}-{c}" for a, b, c in zip(m, d, y, strict=True)], dtype=object
    )


def _procedure_frame(
    c: _Clinic, p: dict[str, np.ndarray], origin: date, rng: np.random.Generator
) -> pd.DataFrame:
    """Raw procedure export of one clinic, in that clinic's own format."""
    n = len(p["day"])
    first = int(min(p["booked"].min(), 0)) if n else 0
    span = int(p["day"].max()) - first + 1 if n else 1
    table = _date_table(np.datetime64(origin) + first, span, c.fmt)
    dos, booked = table[p["day"] - first], table[p["booked"] - first]
    name_tab = np.array(
        [[*_NAMES[t], *[""] * (4 - len(_NAMES[t]))] for t in PROCEDURE_TYPES], dtype=object
    )
    n_names = np.array([len(_NAMES[t]) for t in PROCEDURE_TYPES])
    proc = name_tab[p["type"], (rng.random(n) * n_names[p["type"]]).astype(np.int64)]
    first_n = np.array(_FIRST, dtype=object)[rng.integers(0, len(_FIRST), n)]
    last_n = np.array(_LAST, dtype=object)[rng.integers(0, len(_LAST), n)]
    full = first_n + " " + last_n
    dob_epoch = np.datetime64("1958-01-01")
    dob_idx = rng.integers(0, 365 * 45, n)
    phone = [
        f"(555) {a:03d}-{b:04d}"
        for a, b in zip(rng.integers(100, 1000, n), rng.integers(0, 10000, n), strict=True)
    ]
    status, pid = p["status"], p["pid"]
    title = np.array([s.capitalize() for s in status], dtype=object)
    if c.fmt == "iso":
        cols = {
            "date": dos,
            "clinic_id": c.id,
            "procedure": proc,
            "status": status,
            "booked_on": booked,
            "patient_id": pid,
            "patient_name": last_n + ", " + first_n,
        }
    elif c.fmt == "us":
        cols = {
            "Date of Service": dos,
            "Clinic": c.id,
            "Procedure Name": proc,
            "Status": title,
            "Booked On": booked,
            "MRN": pid,
            "First Name": first_n,
            "Last Name": last_n,
            "DOB": _date_table(dob_epoch, 365 * 45, "us")[dob_idx],
        }
    elif c.fmt == "dmy":
        cols = {
            "Surgery Date": dos,
            "Location": c.id,
            "Procedure Type": proc,
            "Status": title,
            "Booked On": booked,
            "Patient ID": pid,
            "Patient Name": full,
            "DOB": _date_table(dob_epoch, 365 * 45, "dmy")[dob_idx],
            "Phone": phone,
        }
    elif c.fmt == "bom":
        cols = {
            "DOS": dos,
            "Clinic ID": c.id,
            "Procedure": proc,
            "Qty": 1,
            "Status": status,
            "Booked On": booked,
            "Patient ID": pid,
            "Patient Name": full,
            "DOB": _date_table(dob_epoch, 365 * 45, "iso")[dob_idx],
            "Phone": phone,
        }
    elif c.fmt == "tab":
        email = [
            f"{a}.{b}@example.com".lower().replace("'", "")
            for a, b in zip(first_n, last_n, strict=True)
        ]
        cols = {
            "procedure_date": dos,
            "site": c.id,
            "procedure_type": proc,
            "status": status,
            "booked_on": booked,
            "patient_id": pid,
            "email": email,
            "phone": phone,
        }
    else:  # xlsx: real date cells
        day0 = np.datetime64(origin, "D")
        cols = {
            "Date": (day0 + p["day"]).astype(object),
            "Clinic": c.id,
            "Procedure": proc,
            "Status": status,
            "Booked On": (day0 + p["booked"]).astype(object),
            "Patient ID": pid,
            "Patient Name": full,
            "DOB": (dob_epoch + dob_idx).astype(object),
        }
    return pd.DataFrame(cols)


class _FixedTimeZip(zipfile.ZipFile):
    """ZipFile whose entries all carry one fixed timestamp (byte-identical XLSX)."""

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if isinstance(zinfo_or_arcname, str):
            zinfo = zipfile.ZipInfo(zinfo_or_arcname, date_time=_FIXED_TIME.timetuple()[:6])
            zinfo.compress_type = self.compression
            zinfo.external_attr = 0o600 << 16
            zinfo_or_arcname = zinfo
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        # openpyxl streams worksheets through temp files; keep their timestamp fixed too.
        self.writestr(
            arcname or Path(filename).name,
            Path(filename).read_bytes(),
            compress_type,
            compresslevel,
        )


def _write_xlsx(path: Path, frame: pd.DataFrame) -> Path:
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    def writer(tmp: Path) -> None:
        wb = Workbook()
        ws = wb.active
        ws.title = "Procedures"
        ws.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            ws.append(list(row))
        wb.properties.created = wb.properties.modified = _FIXED_TIME
        wb.properties.creator = "lymphcast demo"
        buf = io.BytesIO()
        with _FixedTimeZip(buf, "w", zipfile.ZIP_DEFLATED) as archive:
            ExcelWriter(wb, archive).write_data()
        tmp.write_bytes(buf.getvalue())

    return atomic_write(path, writer)


def _write_procedures(out: Path, c: _Clinic, frame: pd.DataFrame) -> Path:
    if c.fmt == "xlsx":
        return _write_xlsx(out / f"procedures_{c.id}.xlsx", frame)
    path = out / f"procedures_{c.id}.csv"
    opts = {
        "us": {"sep": ";", "lineterminator": "\r\n"},
        "tab": {"sep": "\t"},
        "bom": {"encoding": "utf-8-sig"},
    }.get(c.fmt, {})
    opts = {"lineterminator": "\n", "encoding": "utf-8", **opts}
    return atomic_write(path, lambda p: frame.to_csv(p, index=False, **opts))


def _roster(
    clinics: list[_Clinic],
    demand: dict[str, float],
    origin: date,
    end: date,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Therapist roster sized near each clinic's recent demand times its staffing ratio."""
    rows: list[tuple[str, int, date | None, date | None]] = []
    for c in clinics:
        target = demand[c.id] * _MINUTES_PER_SESSION / 60 / _PRODUCTIVE_SHARE * c.staffing
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


def _procedures(
    c: _Clinic,
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
    booked = all_day - _lead_days(rng, len(all_day))
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
    return p_day, p_type, pid[:n_real], _procedure_frame(c, cols, origin, rng)


def _sessions(
    c: _Clinic,
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
) -> pd.DataFrame:
    """Raw appointment export of one clinic: MLD after surgery, lymphedema base, other massage."""
    n_weeks = len(base)
    hist = np.flatnonzero(p_day < end_idx)
    takers = hist[rng.random(len(hist)) < uptake[p_type[hist]]]
    counts = rng.poisson(sbw[p_type[takers]])
    flat = np.repeat(np.arange(counts.size), counts.ravel())
    who, k = takers[flat // sbw.shape[1]], flat % sbw.shape[1]
    weeks = p_day[who] // 7 + k
    lo = np.where(k == 0, np.minimum(p_day[who] % 7 + 1, 6), 0)  # week 0: after the surgery day
    ok = weeks < n_weeks
    s_day = _pick_days(rng, weeks[ok], lo[ok], day_weight)
    b_weeks = np.repeat(np.arange(n_weeks), rng.poisson(base))
    b_day = _pick_days(rng, b_weeks, np.zeros(len(b_weeks), dtype=np.int64), day_weight)
    prefix = c.id[:3].upper()
    b_pid = [f"{prefix}L{k:04d}" for k in rng.integers(1, 40, len(b_day))]
    m_day = np.concatenate([s_day, b_day])
    m_pid = np.concatenate([pid[who[ok]], np.array(b_pid, dtype=object)])
    main, alt = ("Lymphatic Drainage Massage", "MLD")[:: 1 if index % 2 == 0 else -1]
    m_service = np.where(rng.random(len(m_day)) < 0.85, main, alt)
    past = m_day[(m_day >= first) & (m_day < end_idx)]
    o_n = int(rng.poisson(OTHER_SERVICE_SHARE * len(past))) if len(past) else 0
    o_day = past[rng.integers(0, max(len(past), 1), o_n)]
    o_service = np.where(rng.random(o_n) < 0.6, "Swedish Massage", "Deep Tissue Massage")
    o_pid = [f"{prefix}M{k:05d}" for k in rng.integers(1, 3000, o_n)]
    day = np.concatenate([m_day, o_day])
    service = np.concatenate([m_service, o_service]).astype(object)
    patient = np.concatenate([m_pid, np.array(o_pid, dtype=object)])
    status = rng.choice(
        np.array(["attended", "no_show", "cancelled"], dtype=object),
        size=len(day),
        p=[
            1 - SESSION_NO_SHOW_SHARE - SESSION_CANCEL_SHARE,
            SESSION_NO_SHOW_SHARE,
            SESSION_CANCEL_SHARE,
        ],
    )
    keep = np.flatnonzero((day >= first) & (day < end_idx))
    keep = keep[np.lexsort((patient[keep].astype(str), day[keep]))]
    dates = _date_table(np.datetime64(origin), end_idx, "iso")
    return pd.DataFrame(
        {
            "date": dates[day[keep]],
            "clinic_id": c.id,
            "service": service[keep],
            "status": status[keep],
            "patient_id": patient[keep],
        }
    )


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
    end = _check(clinics, years, seed, end, holiday_country)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file; pass a directory for the exports.")
    uptake, sbw = _pathway_matrix(pathways)
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
    table = _clinic_table(clinics, rng, max(open_recent, first))
    pos, surgery_f, session_f = _calendar(origin, n_days, holiday_country)
    day_weight = np.tile(_SESSION_DOW, n_weeks) * session_f
    dow = np.arange(n_days) % 7
    t_years = (np.arange(n_days) - end_idx) / 365.25
    general = np.interp(pos, np.arange(12), _SEASON, period=12)
    general /= np.interp(np.linspace(-0.5, 11.5, 365), np.arange(12), _SEASON, period=12).mean()
    contour = np.interp(pos, np.arange(12), _CONTOURING, period=12)

    files, rows, truth_parts = [], {}, []
    for i, c in enumerate(table):
        mix = rng.dirichlet(_MIX * 300)
        smooth = c.volume * (1 + c.growth) ** t_years * general ** rng.uniform(0.85, 1.1)
        smooth *= _SURGERY_DOW[dow] / _SURGERY_DOW.sum() * surgery_f
        smooth[: c.open_day] = 0.0
        rate = smooth[:, None] * mix[None, :]
        rate[:, [0, 2]] *= contour[:, None]  # liposuction, bbl
        done = rng.poisson(rate)  # (days, types): completed (after end: final) volume
        p_day, p_type, pid, frame = _procedures(c, rate, done, first, end_idx, origin, rng)
        files.append(_write_procedures(out, c, frame))
        rows[files[-1].name] = len(frame)

        base = c.base * (1 + 0.12 * np.cos(2 * np.pi * (pos[::7] - 6.5) / 12))
        base[: c.open_day // 7] = 0.0
        sessions = _sessions(
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
    roster = _roster(table, demand, origin, end, rng)
    files.append(write_csv(out / "roster.csv", roster))
    rows["roster.csv"] = len(roster)
    return DemoResult(files=sorted(files), rows=rows, truth=truth)
