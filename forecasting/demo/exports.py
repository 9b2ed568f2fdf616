"""How each clinic's export looks: its columns, names, date format, identifiers and file type."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting.columns import PROCEDURE_TYPES
from forecasting.demo.world import Clinic
from forecasting.io import atomic_write

FIXED_TIME = datetime(2020, 1, 1, 0, 0, 0)
NAMES = {
    "liposuction": ("Liposuction", "Lipo 360", "VASER Liposuction", "SmartLipo"),
    "abdominoplasty": ("Tummy Tuck", "Abdominoplasty", "Mini Tummy Tuck"),
    "bbl": ("BBL", "Brazilian Butt Lift"),
    "breast_reduction": ("Breast Reduction", "Mastopexy", "Breast Lift"),
    "other": ("Arm Lift", "Facelift", "Thigh Lift", "Body Lift"),
}
FIRST_NAMES = (
    "Ana Maria Jessica Ashley Zoë Chloé Renée Sofia Emily Olivia Camila Priya Aisha".split()
)
LAST_NAMES = "Smith Johnson García Martinez Nguyen Brown Muñoz Patel Lee O'Brien Kim Müller".split()
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def date_table(first: np.datetime64, n: int, fmt: str) -> np.ndarray:
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
        [f"{b:02d}-{MONTHS[a - 1]}-{c}" for a, b, c in zip(m, d, y, strict=True)], dtype=object
    )


def procedure_frame(
    c: Clinic, p: dict[str, np.ndarray], origin: date, rng: np.random.Generator
) -> pd.DataFrame:
    """Raw procedure export of one clinic, in that clinic's own format."""
    n = len(p["day"])
    first = int(min(p["booked"].min(), 0)) if n else 0
    span = int(p["day"].max()) - first + 1 if n else 1
    table = date_table(np.datetime64(origin) + first, span, c.fmt)
    dos, booked = table[p["day"] - first], table[p["booked"] - first]
    name_tab = np.array(
        [[*NAMES[t], *[""] * (4 - len(NAMES[t]))] for t in PROCEDURE_TYPES], dtype=object
    )
    n_names = np.array([len(NAMES[t]) for t in PROCEDURE_TYPES])
    proc = name_tab[p["type"], (rng.random(n) * n_names[p["type"]]).astype(np.int64)]
    first_n = np.array(FIRST_NAMES, dtype=object)[rng.integers(0, len(FIRST_NAMES), n)]
    last_n = np.array(LAST_NAMES, dtype=object)[rng.integers(0, len(LAST_NAMES), n)]
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
            "DOB": date_table(dob_epoch, 365 * 45, "us")[dob_idx],
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
            "DOB": date_table(dob_epoch, 365 * 45, "dmy")[dob_idx],
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
            "DOB": date_table(dob_epoch, 365 * 45, "iso")[dob_idx],
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


class FixedTimeZip(zipfile.ZipFile):
    """ZipFile whose entries all carry one fixed timestamp (byte-identical XLSX)."""

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if isinstance(zinfo_or_arcname, str):
            zinfo = zipfile.ZipInfo(zinfo_or_arcname, date_time=FIXED_TIME.timetuple()[:6])
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


def write_xlsx(path: Path, frame: pd.DataFrame) -> Path:
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    def writer(tmp: Path) -> None:
        wb = Workbook()
        ws = wb.active
        ws.title = "Procedures"
        ws.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            ws.append(list(row))
        wb.properties.created = wb.properties.modified = FIXED_TIME
        wb.properties.creator = "lymphcast demo"
        buf = io.BytesIO()
        with FixedTimeZip(buf, "w", zipfile.ZIP_DEFLATED) as archive:
            ExcelWriter(wb, archive).write_data()
        tmp.write_bytes(buf.getvalue())

    return atomic_write(path, writer)


def write_procedures(out: Path, c: Clinic, frame: pd.DataFrame) -> Path:
    if c.fmt == "xlsx":
        return write_xlsx(out / f"procedures_{c.id}.xlsx", frame)
    path = out / f"procedures_{c.id}.csv"
    opts = {
        "us": {"sep": ";", "lineterminator": "\r\n"},
        "tab": {"sep": "\t"},
        "bom": {"encoding": "utf-8-sig"},
    }.get(c.fmt, {})
    opts = {"lineterminator": "\n", "encoding": "utf-8", **opts}
    return atomic_write(path, lambda p: frame.to_csv(p, index=False, **opts))
