"""The malformed-export corpus (tests/corpus): exact accounting, no leak, no traceback.

Each case is a directory of raw files under tests/corpus/ and/or a generator in
tests/corpus/generated.py (binary, encoding-sensitive and huge files); expected.toml holds the
exact accounting, messages and reasons of every file.
"""

from __future__ import annotations

import shutil
import sys
import tomllib
from collections import Counter
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from forecasting.config import IngestConfig
from forecasting.ingest import ingest, write_processed
from lymphcast.cli import app

CORPUS = Path(__file__).parent / "corpus"
sys.path.insert(0, str(CORPUS))
from generated import GENERATORS  # noqa: E402

EXPECTED: dict = tomllib.loads((CORPUS / "expected.toml").read_text(encoding="utf-8"))["cases"]
IDENTIFIERS = [
    line.strip()
    for line in (CORPUS / "identifiers.txt").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
]
TODAY = date(2025, 6, 30)
CASES = sorted({p.name for p in CORPUS.iterdir() if p.is_dir() and p.name[0].isalpha()})
CASES = sorted(set(CASES) | set(GENERATORS))
PROCESSED_FILES = {
    "procedures_weekly.parquet",
    "sessions_weekly.parquet",
    "roster.parquet",
    "bookings.parquet",
    "service_sessions_weekly.parquet",
    "referrals_weekly.parquet",
    "ingest_manifest.json",
}


def build(case: str, raw: Path) -> Path:
    """The raw files of one case (static and generated) in ``raw``."""
    raw.mkdir(parents=True, exist_ok=True)
    if (CORPUS / case).is_dir():
        for path in (CORPUS / case).iterdir():
            shutil.copy(path, raw / path.name)
    if case in GENERATORS:
        GENERATORS[case](raw)
    return raw


def test_corpus_is_complete():
    assert len(CASES) >= 25
    assert sorted(EXPECTED) == CASES  # every case has its expected accounting and vice versa


@pytest.mark.parametrize("case", CASES)
def test_corpus_case(case, tmp_path):
    spec = EXPECTED[case]
    result = ingest(build(case, tmp_path / "raw"), IngestConfig(**spec.get("config", {})), TODAY)
    files = {f.name: f for f in result.files}
    assert sorted(files) == sorted(spec["files"])
    for name, want in spec["files"].items():
        got = files[name]
        assert (got.kind or "") == want["kind"], name
        assert [got.rows_read, got.rows_accepted, got.rows_quarantined] == want["rows"], name
        assert got.rows_read == got.rows_accepted + got.rows_quarantined
        assert got.status == want["status"], name
        assert (got.error or "") == want.get("error", ""), name
        quarantined = got.quarantined if got.quarantined is not None else pd.DataFrame()
        assert dict(Counter(quarantined.get("reason", []))) == want.get("reasons", {}), name
        assert quarantined.get("line", pd.Series()).tolist() == want.get("lines", []), name
        for key, value in want.get("notes", {}).items():
            assert got.notes[key] == value, (name, key)

    totals = {
        "completed": int(result.procedures_weekly["completed"].sum()),
        "scheduled": int(result.procedures_weekly["scheduled"].sum()),
        "sessions": int(result.sessions_weekly["sessions"].sum()),
        "roster": len(result.roster),
        "bookings": int(result.bookings["count"].sum()),
    }
    assert totals == spec["totals"]
    for key, frame, column in (
        ("weeks", result.procedures_weekly, "completed"),
        ("session_weeks", result.sessions_weekly, "sessions"),
    ):
        if key in spec:
            by_week = frame.groupby("week")[column].sum()
            got_weeks = {str(w.date()): int(n) for w, n in by_week.items() if n}
            assert got_weeks == spec[key]

    processed = tmp_path / "processed"
    write_processed(result, processed)
    written = {p.relative_to(processed).as_posix() for p in processed.rglob("*") if p.is_file()}
    with_rows = {  # a CSV export keeps its name there, others get .csv appended
        f"quarantine/{f.name if f.name.lower().endswith('.csv') else f.name + '.csv'}"
        for f in result.files
        if f.rows_quarantined
    }
    assert not any(name.endswith(".csv.csv") for name in written)
    assert written == PROCESSED_FILES | with_rows  # nothing else, nowhere else
    assert sorted(p.name for p in tmp_path.iterdir()) == ["processed", "raw"]
    for path in with_rows:
        header = (processed / path).read_text(encoding="utf-8").splitlines()[0].split(",")
        allowed = {"line", "reason", "date", "clinic_id", "procedure", "count", "status"}
        allowed |= {"booked_on", "service", "therapist_id", "weekly_hours", "start_date"}
        assert set(header) <= allowed | {"end_date"}, header


def _merged_corpus(raw: Path) -> Path:
    """Every case's files in one raw directory (file names are unique across the corpus)."""
    names: list[str] = []
    for case in CASES:
        build(case, raw / case)
        names += [p.name for p in (raw / case).iterdir()]
    assert len(names) == len(set(names)), "corpus file names must be unique"
    merged = raw / "all"
    merged.mkdir()
    for case in CASES:
        for path in (raw / case).iterdir():
            shutil.move(path, merged / path.name)
    return merged


def _encodings(text: str) -> list[bytes]:
    return [text.encode(e) for e in ("utf-8", "latin-1", "utf-16-le") if _encodable(text, e)]


def _encodable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def test_corpus_cli_never_leaks_or_tracebacks(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # built-in defaults, not the working directory's lymphcast.toml
    raw = _merged_corpus(tmp_path / "raw")
    corpus_bytes = b"".join(p.read_bytes() for p in raw.iterdir())
    for secret in IDENTIFIERS:  # the list is meaningful: each one is planted in the raw corpus
        assert any(b in corpus_bytes for b in _encodings(secret)), secret

    raw_before = {p.name: p.read_bytes() for p in raw.iterdir()}
    processed = tmp_path / "processed"
    result = CliRunner().invoke(app, ["ingest", "--raw", str(raw), "--processed", str(processed)])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "skipped: procedures_garbage.csv is not a text CSV" in result.output
    for secret in IDENTIFIERS:
        assert secret not in result.output, secret

    tree = {p: p.read_bytes() for p in processed.rglob("*") if p.is_file()}
    assert len([p for p in tree if p.parent.name == "quarantine"]) >= 15
    for path, data in tree.items():
        for secret in IDENTIFIERS:
            for needle in _encodings(secret):
                assert needle not in data, (secret, path.name)

    again = CliRunner().invoke(app, ["ingest", "--raw", str(raw), "--processed", str(processed)])
    assert again.exit_code == 0
    assert {p: p.read_bytes() for p in processed.rglob("*") if p.is_file()} == tree  # identical
    assert {p.name: p.read_bytes() for p in raw.iterdir()} == raw_before  # raw never modified


def test_quarantine_csv_defuses_formulas(tmp_path):
    raw = build("clinic_html", tmp_path / "raw")
    write_processed(ingest(raw, IngestConfig(), TODAY), tmp_path / "p")
    text = (tmp_path / "p" / "quarantine" / "sessions_html.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK(" in text and ",-1," in text  # formula defused, negative count kept


def _visible_bytes(path: Path) -> bytes:
    """A file's bytes, with XLSX unzipped and PDF text extracted (compressed otherwise)."""
    if path.suffix == ".xlsx":
        import zipfile

        with zipfile.ZipFile(path) as z:
            return b"".join(z.read(n) for n in z.namelist())
    if path.suffix == ".pdf":
        from pypdf import PdfReader

        text = "".join(page.extract_text() or "" for page in PdfReader(path).pages)
        return path.read_bytes() + text.encode("utf-8")
    return path.read_bytes()


@pytest.mark.slow
def test_weekly_run_on_the_corpus_leaks_nothing_into_reports(
    demo_exports, tmp_path, prefect_harness
):
    """The whole corpus (plus a small demo) through the weekly flow: no identifier anywhere."""
    from flows.weekly import weekly_staffing

    raw = _merged_corpus(tmp_path / "raw")
    demo_exports(tmp_path / "demo", clinics=2, years=2, seed=3, end=date(2025, 7, 1))
    for path in (tmp_path / "demo").iterdir():
        shutil.move(path, raw / f"{path.stem}_demo{path.suffix}")
    accepted = ingest(raw, IngestConfig(), date.today())
    clinics = sorted(
        set(accepted.procedures_weekly["clinic_id"]) | set(accepted.sessions_weekly["clinic_id"])
    )
    roster = pd.DataFrame(
        {"clinic_id": clinics, "therapist_id": [f"t{i}" for i in range(len(clinics))],
         "weekly_hours": 40}
    )  # fmt: skip
    roster.to_csv(raw / "roster_zz_everyone.csv", index=False)
    config = tmp_path / "c.toml"
    config.write_text('n_paths = 60\nhorizon_weeks = 4\n[model]\nname = "seasonal_naive"\n')
    processed, reports = tmp_path / "processed", tmp_path / "reports"
    index = weekly_staffing(
        as_of=date(2025, 6, 30), config_path=str(config), raw=str(raw),
        processed=str(processed), reports=str(reports),
    )  # fmt: skip
    assert Path(index).is_file()
    outputs = [p for d in (processed, reports) for p in d.rglob("*") if p.is_file()]
    assert any(p.suffix == ".pdf" for p in outputs) and any(p.suffix == ".xlsx" for p in outputs)
    for path in outputs:
        data = _visible_bytes(path)
        for secret in IDENTIFIERS:
            for needle in _encodings(secret):
                assert needle not in data, (secret, path.name)
