"""Ingest benchmark: 5 million patient-level rows in 50 messy exports (issue 3).

Generates, seeded, into a temporary directory: 20 procedure exports (4 of them XLSX) and 30 MLD
appointment exports for 10 clinics (overlapping re-exports included), in the formats clinics hand
over (comma / semicolon + CRLF / tab / UTF-8 BOM / Latin-1, ISO / US / 05-Mar-2024 dates), with
patient identifier columns and about 0.1% bad rows. Then runs ``ingest`` + ``write_processed``
in a fresh child process per ``--workers`` setting (1: in-process; 0: ``[ingest] workers``'
default, one worker process per CPU) and prints its wall time, CPU time of the main process,
peak memory (max RSS of that process) and rows per second, and checks that every setting wrote
the same bytes.

    .venv/bin/python benchmarks/ingest_bench.py                 # 50 files, 5,000,000 rows
    .venv/bin/python benchmarks/ingest_bench.py --rows 500000   # a quicker look
    # existing exports, e.g. the 200-clinic network benchmarks/scale.py generates:
    .venv/bin/python benchmarks/ingest_bench.py --raw RAW_DIR --today 2025-06-02
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

TODAY = date(2025, 1, 31)
FIRST_DAY = np.datetime64("2021-01-04")
N_DAYS = 4 * 364
N_CLINICS = 10
XLSX_CLINICS = 4  # their second procedure export is an XLSX workbook
FORMATS = ("iso", "us", "tab", "bom", "dmy", "latin1")
_MONTHS = np.array("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), dtype=object)
_PROCEDURES = np.array(
    ["Liposuction", "Lipo 360", "Tummy Tuck", "BBL", "Breast Reduction", "Facelift", "Arm Lift"],
    dtype=object,
)
_SERVICES = np.array(["Lymphatic Drainage Massage", "MLD", "Swedish Massage"], dtype=object)
_FIRST = np.array("Ana José Zoë Renée Priya Aisha Chloé Olivia Emily Sofia".split(), dtype=object)
_LAST = np.array(
    "Smith García Muñoz Nguyen Patel O'Brien Müller Kim Lee Brown".split(), dtype=object
)


def _date_strings(days: np.ndarray, fmt: str) -> np.ndarray:
    """Day offsets from FIRST_DAY as text in one export's date format (vectorised)."""
    table_days = FIRST_DAY + np.arange(N_DAYS + 120)
    iso = np.datetime_as_string(table_days, unit="D").astype(object)
    if fmt == "xlsx":  # real date cells
        return table_days.astype("datetime64[D]").astype(object)[days]
    if fmt in ("us", "dmy"):
        y = table_days.astype("datetime64[Y]").astype(int) + 1970
        m = table_days.astype("datetime64[M]").astype(int) % 12 + 1
        d = (table_days - table_days.astype("datetime64[M]")).astype(int) + 1
        if fmt == "us":
            iso = np.array([f"{a:02d}/{b:02d}/{c}" for a, b, c in zip(m, d, y, strict=True)])
        else:
            iso = np.array(
                [f"{b:02d}-{_MONTHS[a - 1]}-{c}" for a, b, c in zip(m, d, y, strict=True)]
            )
    return np.asarray(iso, dtype=object)[days]


def _write_xlsx(path: Path, columns: dict[str, np.ndarray]) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Procedures")
    sheet.append(list(columns))
    for row in zip(*columns.values(), strict=True):
        sheet.append(row)
    book.save(path)


def _write(path: Path, columns: dict[str, np.ndarray], fmt: str) -> None:
    delimiter = {"us": ";", "tab": "\t"}.get(fmt, ",")
    table = pa.table(
        {k: pa.array(np.asarray(v, dtype=object).astype(str)) for k, v in columns.items()}
    )
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(delimiter=delimiter, quoting_style="needed"))
    data = sink.getvalue().to_pybytes()
    if fmt == "us":
        data = data.replace(b"\n", b"\r\n")
    elif fmt == "bom":
        data = b"\xef\xbb\xbf" + data
    elif fmt == "latin1":
        data = data.decode("utf-8").encode("latin-1")
    path.write_bytes(data)


def _people(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    pid = rng.integers(100000, 999999, n)
    return {
        "Patient ID": np.char.add("P", pid.astype(str)).astype(object),
        "Patient Name": _FIRST[rng.integers(0, 10, n)] + " " + _LAST[rng.integers(0, 10, n)],
        "DOB": np.datetime_as_string(
            np.datetime64("1950-01-01") + rng.integers(0, 20000, n), unit="D"
        ).astype(object),
        "Phone": np.char.add("(555) 01", rng.integers(10000, 99999, n).astype(str)).astype(object),
    }


def _span(k: int, parts: int) -> tuple[int, int]:
    """Days of the k-th of ``parts`` consecutive exports, each overlapping the next by 4 weeks."""
    width = N_DAYS // parts
    return max(0, k * width - 28), min(N_DAYS, (k + 1) * width)


def generate(out: Path, total_rows: int, seed: int) -> int:
    """Write 50 exports with ``total_rows`` rows in all; return the number of rows written."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    proc_rows = total_rows // 5 // 20
    sess_rows = (total_rows - proc_rows * 20) // 30
    written = 0
    for c in range(N_CLINICS):
        clinic = f"clinic{c:02d}"
        for k in range(2):
            fmt = "xlsx" if k == 1 and c < XLSX_CLINICS else FORMATS[(c + k) % len(FORMATS)]
            lo, hi = _span(k, 2)
            day = np.sort(rng.integers(lo, hi, proc_rows))
            status = np.where(rng.random(proc_rows) < 0.03, "cancelled", "completed")
            cols = {
                "Date of Service": _date_strings(day, fmt),
                "Clinic": np.full(proc_rows, clinic, dtype=object),
                "Procedure Name": _PROCEDURES[rng.integers(0, len(_PROCEDURES), proc_rows)],
                "Status": status,
                "Booked On": _date_strings(
                    np.maximum(day - rng.integers(0, 60, proc_rows), 0), fmt
                ),
                "Qty": np.where(rng.random(proc_rows) < 0.001, "n/a", "1").astype(object),
                **_people(rng, proc_rows),
            }
            if fmt == "xlsx":
                _write_xlsx(out / f"procedures_{clinic}_{k}.xlsx", cols)
            else:
                _write(out / f"procedures_{clinic}_{k}.csv", cols, fmt)
            written += proc_rows
        for k in range(3):
            fmt = FORMATS[(c + k + 3) % len(FORMATS)]
            lo, hi = _span(k, 3)
            day = np.sort(rng.integers(lo, hi, sess_rows))
            status = rng.choice(
                np.array(["attended", "no_show", "cancelled"], dtype=object),
                size=sess_rows,
                p=[0.86, 0.06, 0.08],
            )
            count = np.where(rng.random(sess_rows) < 0.001, "-1", "1").astype(object)
            cols = {
                "Appointment Date": _date_strings(day, fmt),
                "Site": np.full(sess_rows, clinic, dtype=object),
                "Service": _SERVICES[rng.choice(3, sess_rows, p=[0.75, 0.14, 0.11])],
                "Status": status,
                "Count": count,
                **_people(rng, sess_rows),
            }
            _write(out / f"sessions_{clinic}_{k}.csv", cols, fmt)
            written += sess_rows
    return written


def measure(raw: Path, processed: Path, workers: int, today: date) -> dict:
    """Run ingest + write_processed in this process; return its figures."""
    from forecasting.config import IngestConfig
    from forecasting.ingest import ingest, write_processed

    started, cpu = time.perf_counter(), time.process_time()
    result = ingest(raw, IngestConfig(workers=workers), today)
    ingested = time.perf_counter()
    write_processed(result, processed)
    done = time.perf_counter()
    rows = sum(f.rows_read for f in result.files)
    return {
        "files": len(result.files),
        "rows_read": rows,
        "rows_accepted": sum(f.rows_accepted for f in result.files),
        "rows_quarantined": sum(f.rows_quarantined for f in result.files),
        "rows_superseded": sum(f.notes.get("rows_superseded", 0) for f in result.files),
        "ingest_s": round(ingested - started, 2),
        "write_s": round(done - ingested, 2),
        "wall_s": round(done - started, 2),
        "cpu_s": round(time.process_time() - cpu, 2),  # this process (not its workers)
        "rows_per_s": round(rows / (done - started)),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def _digest(directory: Path) -> str:
    """One sha256 over every file written (names and bytes), to compare settings."""
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(path.relative_to(directory).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


def _run(raw: Path, tmp: Path, workers: list[int], today: date) -> None:
    digests = set()
    for n in workers:
        processed = tmp / f"processed-{n}"
        child = subprocess.run(
            [sys.executable, __file__, "--measure", str(raw), str(processed)]
            + ["--workers", str(n), "--today", today.isoformat()],
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        digests.add(_digest(processed))
        setting = "in-process" if n == 1 else f"workers={n or 'one per CPU'}"
        print(
            f"[{setting}] ingest + write_processed: {figures['wall_s']} s wall "
            f"(ingest {figures['ingest_s']} s, write {figures['write_s']} s), "
            f"main process CPU {figures['cpu_s']} s, RSS {figures['peak_rss_mb']:,} MB, "
            f"{figures['rows_per_s']:,} rows/s; load average {os.getloadavg()[0]:.2f}"
        )
    print(
        f"rows read {figures['rows_read']:,} = accepted {figures['rows_accepted']:,} "
        f"+ quarantined {figures['rows_quarantined']:,}; superseded by re-exports "
        f"{figures['rows_superseded']:,}; files {figures['files']}"
    )
    same = "the same bytes" if len(digests) == 1 else "DIFFERENT bytes"
    print(f"processed files, quarantine and manifest of every setting: {same}")
    print(f"machine: {os.cpu_count()} cores; load average (1 min) now {os.getloadavg()[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--raw", type=Path, help="ingest these exports instead of generating")
    parser.add_argument("--today", type=date.fromisoformat, default=TODAY)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 0])
    parser.add_argument("--measure", nargs=2, metavar=("RAW", "PROCESSED"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        raw, processed = (Path(p) for p in args.measure)
        print(json.dumps(measure(raw, processed, args.workers[0], args.today)))
        return
    with tempfile.TemporaryDirectory(prefix="ingest-bench-") as tmp:
        raw = args.raw
        if raw is None:
            raw = Path(tmp) / "raw"
            t0 = time.perf_counter()
            rows = generate(raw, args.rows, args.seed)
            size = sum(p.stat().st_size for p in raw.iterdir()) / 1e6
            took = time.perf_counter() - t0
            print(f"generated {rows:,} rows in 50 files ({size:,.0f} MB) in {took:.0f} s")
        _run(raw, Path(tmp), args.workers, args.today)


if __name__ == "__main__":
    main()
