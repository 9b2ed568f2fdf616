import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from forecasting.config import IngestConfig
from forecasting.errors import InputError
from forecasting.ingest import (
    BOOKINGS_COLUMNS,
    IngestManifest,
    discover,
    ingest,
    load_bookings,
    load_processed,
    read_file,
    write_processed,
)
from forecasting.ingest.fields import Vocabulary
from forecasting.layout import DataLayout

TODAY = date(2025, 6, 30)
CFG = IngestConfig()


def _write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def raw(tmp_path):
    d = tmp_path / "raw"
    d.mkdir()
    _write(
        d / "procedures_a.csv",
        "Date of Service;Clinic;Procedure Name;Status;Patient Name;MRN;DOB\n"
        "03/05/2025;a;Lipo 360;completed;Jane Roe;M123;01/02/1980\n"
        "03/13/2025;a;Tummy Tuck;;John Doe;M124;01/02/1981\n"
        "2025-03-14;a;Contour Zed;completed;Ann Poe;M125;01/02/1982\n"
        "14/14/2025;a;BBL;completed;Bad Date;M126;01/02/1983\n"
        "07/01/2026;a;BBL;completed;Future;M127;01/02/1983\n"
        "07/08/2025;a;BBL;scheduled;Booked;M128;01/02/1983\n",
    )
    _write(
        d / "sessions_a.csv",
        "date,clinic_id,service,status,patient_id,count\n"
        "2025-03-10,a,Lymphatic Drainage Massage,attended,P1,1\n"
        "2025-03-11,a,MLD,no_show,P2,1\n"
        "2025-03-12,a,MLD,cancelled,P3,1\n"
        "2025-03-12,a,Swedish Massage,attended,P4,1\n"
        "2025-03-13,a,MLD,attended,P5,-2\n"
        "2025-03-13,a,MLD,attended,P6,two\n",
    )
    _write(
        d / "roster.csv",
        "clinic_id,therapist_id,weekly_hours,start_date,end_date\n"
        "a,t1,40,,\na,t2,24,2025-01-06,\na,t2,30,,\na,t3,95,,\n",
    )
    return d


def test_ingest_aggregates_and_quarantines(raw, tmp_path):
    result = ingest(raw, CFG, TODAY)
    by_name = {f.path.rsplit("/", 1)[-1]: f for f in result.files}
    proc = by_name["procedures_a.csv"]
    assert (proc.rows_read, proc.rows_accepted, proc.rows_quarantined) == (6, 4, 2)
    reasons = proc.quarantined["reason"].tolist()
    assert any("date" in r for r in reasons)
    assert "completed procedure dated in the future" in reasons
    assert proc.quarantined["line"].tolist() == [5, 6]  # source lines of the raw file
    assert proc.notes["procedures_counted_as_other"] == []  # one row: counted, never named
    assert proc.notes["other_names_withheld"] == 1
    weekly = result.procedures_weekly.set_index(["procedure", "week"])
    assert weekly.loc[("liposuction", pd.Timestamp("2025-03-03")), "completed"] == 1
    assert weekly.loc[("abdominoplasty", pd.Timestamp("2025-03-10")), "completed"] == 1
    assert weekly.loc[("other", pd.Timestamp("2025-03-10")), "completed"] == 1
    assert weekly.loc[("bbl", pd.Timestamp("2025-07-07")), "scheduled"] == 1

    sess = by_name["sessions_a.csv"]
    assert (sess.rows_accepted, sess.rows_quarantined) == (4, 2)
    assert result.sessions_weekly["sessions"].tolist() == [2]  # attended + no-show MLD only

    roster = by_name["roster.csv"]
    assert roster.rows_quarantined == 2  # duplicate t2, 95 hours
    assert sorted(result.roster["therapist_id"]) == ["t1", "t2"]


def test_no_identifier_leaves_raw(raw, tmp_path):
    processed = tmp_path / "processed"
    before = {p.name: p.read_bytes() for p in raw.iterdir()}
    write_processed(ingest(raw, CFG, TODAY), processed)
    assert {p.name: p.read_bytes() for p in raw.iterdir()} == before  # raw untouched
    blob = b"".join(p.read_bytes() for p in processed.rglob("*") if p.is_file())
    for secret in (b"Jane Roe", b"M123", b"1980", b"P1", b"Patient", b"MRN"):
        assert secret not in blob


def test_manifest_invariant_and_reproducible(raw, tmp_path):
    a, b = tmp_path / "p1", tmp_path / "p2"
    result = ingest(raw, CFG, TODAY)
    write_processed(result, a)
    write_processed(ingest(raw, CFG, TODAY), b)
    layout_a, layout_b = DataLayout(processed=a), DataLayout(processed=b)
    text = layout_a.ingest_manifest.read_text(encoding="utf-8")
    manifest = IngestManifest.from_json(text)
    assert manifest == result.manifest and manifest.to_json() == text  # typed, round trip
    assert [f["path"] for f in json.loads(text)["files"]] == [f.path for f in manifest.files]
    for f in manifest.files:
        assert f.rows_read == f.rows_accepted + f.rows_quarantined
        assert len(f.sha256) == 64
    for one, two in zip(layout_a.frames, layout_b.frames, strict=True):
        assert one.read_bytes() == two.read_bytes()
    assert layout_a.ingest_manifest.read_bytes() == layout_b.ingest_manifest.read_bytes()


def test_manifest_leaves_out_notes_a_file_did_not_get(tmp_path):
    d = tmp_path / "raw"
    d.mkdir()
    _write(d / "procedures_a.csv", "date,clinic_id,procedure\n2025-03-03,a,Liposuction\n")
    _write(d / "notes.txt", "")
    (entry, ok) = ingest(d, CFG, TODAY).manifest.records()
    assert entry["status"] == "rejected" and entry["kind"] is None and "error" in entry
    assert "date_order" not in entry and "rows_superseded" not in entry
    assert ok["date_order"] == "month-first" and ok["rows_superseded"] == 0
    assert "sheet" not in ok and ok["format"] == "csv"


def test_overlapping_reexport_is_not_double_counted(tmp_path):
    d = tmp_path / "raw"
    d.mkdir()
    rows = "date,clinic_id,procedure\n" + "2025-03-03,a,Liposuction\n" * 3
    _write(d / "procedures_march.csv", rows)
    _write(d / "procedures_march_again.csv", rows + "2025-03-10,a,Liposuction\n")
    result = ingest(d, CFG, TODAY)
    assert result.procedures_weekly["completed"].sum() == 4
    assert result.files[0].notes["rows_superseded"] == 3


def test_latin1_semicolon_and_unreadable_files(tmp_path):
    d = tmp_path / "raw"
    d.mkdir()
    _write(
        d / "procedures_b.csv",
        "date;clinic;procedure\n2025-03-03;Clínica Sur;Liposucción\n",
        "latin-1",
    )
    (d / "sessions_garbage.csv").write_bytes(b"\x00\x01\x02binary\xff")
    _write(d / "procedures_empty.csv", "")
    result = ingest(d, CFG, TODAY)
    by_name = {f.path.rsplit("/", 1)[-1]: f for f in result.files}
    assert by_name["procedures_b.csv"].status == "ok"
    assert result.procedures_weekly["clinic_id"].tolist() == ["Clínica Sur"]
    assert by_name["sessions_garbage.csv"].status == "rejected"
    assert "sessions_garbage.csv" in by_name["sessions_garbage.csv"].error
    assert by_name["procedures_empty.csv"].status == "rejected"


def test_xlsx_with_title_row(tmp_path):
    d = tmp_path / "raw"
    d.mkdir()
    frame = pd.DataFrame(
        [["Export of procedures", None, None], ["Surgery Date", "Site", "Procedure Type"],
         [pd.Timestamp("2025-03-04"), "c", "BBL"]]
    )  # fmt: skip
    frame.to_excel(d / "procedures_c.xlsx", header=False, index=False)
    result = ingest(d, CFG, TODAY)
    assert result.files[0].rows_read == 1
    assert result.procedures_weekly[["procedure", "completed"]].values.tolist() == [["bbl", 1]]


def test_missing_or_empty_raw_dir(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        discover(tmp_path / "nope")
    with pytest.raises(InputError, match="no .csv or .xlsx"):
        discover(tmp_path)


def test_missing_required_column_rejects_file(tmp_path):
    path = _write(tmp_path / "procedures_x.csv", "clinic,procedure\na,Lipo\n")
    result = read_file(path, CFG, TODAY)
    assert result.status == "rejected" and "date" in result.error
    assert result.rows_read == result.rows_accepted + result.rows_quarantined


def test_bookings_file_is_aggregated_and_loadable(raw, tmp_path):
    _write(
        raw / "procedures_booked.csv",
        "date,clinic_id,procedure,status,booked_on,patient_id\n"
        "2025-07-02,b,BBL,scheduled,2025-06-10,P9\n"
        "2025-07-03,b,BBL,scheduled,2025-06-11,P8\n"
        "2025-07-03,b,BBL,cancelled,2025-06-11,P7\n"
        "2025-06-02,b,Lipo,completed,,P6\n",
    )
    processed = tmp_path / "processed"
    assert load_bookings(processed).columns.tolist() == BOOKINGS_COLUMNS  # absent: empty frame
    write_processed(ingest(raw, CFG, TODAY), processed)
    bookings = load_bookings(processed)
    assert bookings.columns.tolist() == BOOKINGS_COLUMNS
    row = bookings.loc[bookings["clinic_id"] == "b"]
    assert row[["procedure", "count"]].values.tolist() == [["bbl", 2]]  # cancelled, no date: out
    assert row["week"].tolist() == [pd.Timestamp("2025-06-30")]
    assert row["booked_week"].tolist() == [pd.Timestamp("2025-06-09")]
    assert str(bookings["week"].dtype) == "datetime64[ns]"
    procedures, sessions, roster = load_processed(processed)
    assert procedures.columns.tolist() == [
        "clinic_id", "procedure", "week", "completed", "scheduled"
    ]  # fmt: skip


def test_quarantine_is_rebuilt_and_an_interrupted_write_keeps_old_files(raw, tmp_path, monkeypatch):
    processed = tmp_path / "processed"
    write_processed(ingest(raw, CFG, TODAY), processed)
    assert (processed / "quarantine" / "sessions_a.csv").is_file()
    (raw / "sessions_a.csv").unlink()
    before = {p.name: p.read_bytes() for p in processed.iterdir() if p.is_file()}

    import forecasting.io as atomic_io

    def crash(frame, path, *args, **kwargs):
        Path(path).write_bytes(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(atomic_io.pd.DataFrame, "to_parquet", crash)
    with pytest.raises(OSError):
        write_processed(ingest(raw, CFG, TODAY), processed)
    after = {p.name: p.read_bytes() for p in processed.iterdir() if p.is_file()}
    assert after == before  # no temp file left, no file half-written
    monkeypatch.undo()
    write_processed(ingest(raw, CFG, TODAY), processed)
    assert not (processed / "quarantine" / "sessions_a.csv").exists()  # stale one gone


@pytest.mark.parametrize(
    ("header", "identifier"),
    [
        ("Pt Name", True), ("Patient Full Name", True), ("D.O.B.", True), ("Mobile #", True),
        ("E-mail", True), ("Home Address", True), ("SSN", True), ("MRN", True), ("Zip", True),
        ("Clinic Name", False), ("Procedure Name", False), ("Service Name", False),
        ("Date of Service", False), ("Qty", False), ("Room", False),
    ],
)  # fmt: skip
def test_identifier_headers(header, identifier):
    assert Vocabulary(CFG).is_identifier(header) is identifier


def test_configured_synonyms_identifiers_and_day_first_patterns(tmp_path):
    d = tmp_path / "raw"
    d.mkdir()
    _write(
        d / "procedures_uk_2025-03.csv",
        "OP Datum;Standort;Eingriff;Krankenkasse\n"
        "03/04/2025;berlin;Fettabsaugung;AOK-123\n"
        "04/04/2025;berlin;Body contouring;AOK-456\n",
    )
    config = IngestConfig(
        day_first=["procedures_uk_*.csv"],
        column_synonyms={
            "date": ["OP Datum"],
            "clinic_id": ["Standort"],
            "procedure": ["Eingriff"],
        },  # fmt: skip
        procedure_synonyms={"liposuction": ["Fettabsaugung", "body contouring"]},
        extra_identifier_columns=["Krankenkasse"],
    )
    result = ingest(d, config, TODAY)
    (f,) = result.files
    assert (f.status, f.rows_accepted, f.notes["identifier_columns_dropped"]) == ("ok", 2, 1)
    assert f.notes["date_order"] == "day-first"
    weekly = result.procedures_weekly
    assert weekly[["procedure", "week", "completed"]].values.tolist() == [
        ["liposuction", pd.Timestamp("2025-03-31"), 2]
    ]


def test_ingest_cli_table_and_exit_codes(raw, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from lymphcast.cli import app

    monkeypatch.chdir(tmp_path)  # built-in defaults, not the working directory's lymphcast.toml
    runner = CliRunner()
    out = runner.invoke(app, ["ingest", "--raw", str(raw), "--processed", str(tmp_path / "p")])
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()  # the table; stderr has the progress line
    assert lines[0].split() == ["file", "kind", "read", "accepted", "quarantined", "status"]
    row = next(line.split() for line in lines if line.startswith("sessions_a.csv"))
    assert row == ["sessions_a.csv", "sessions", "6", "4", "2", "ok"]
    assert "total" in out.output and "rows quarantined, with reasons" in out.output
    missing = runner.invoke(app, ["ingest", "--raw", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_worker_processes_give_the_same_result(raw, tmp_path, monkeypatch):
    import forecasting.ingest.folder as ingest_module

    # Worker processes only pay off on large exports: let these small ones use them.
    monkeypatch.setattr(ingest_module, "_BYTES_PER_WORKER", 1)
    one, two = tmp_path / "one", tmp_path / "two"
    write_processed(ingest(raw, IngestConfig(workers=1), TODAY), one)
    result = ingest(raw, IngestConfig(workers=2), TODAY)
    write_processed(result, two)
    assert [f.name for f in result.files] == sorted(p.name for p in raw.iterdir())
    for path in sorted(p for p in one.rglob("*") if p.is_file()):
        assert path.read_bytes() == (two / path.relative_to(one)).read_bytes(), path.name


def test_a_clinics_export_gives_regions_and_a_repeated_clinic_is_quarantined(tmp_path):
    """clinics_*.csv (clinic_id, region, display name): per clinic the last file by name wins;
    a file named clinic_<x>_... is not taken for a clinics list."""
    from forecasting.config import IngestConfig
    from forecasting.ingest import ingest, load_clinics, write_processed

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "clinics_a.csv").write_text(
        "Clinic,Region,Display name\nbayview,Coast,Bayview\nharbor,Coast,Harbor\nbayview,X,dup\n"
    )
    (raw / "clinics_b.csv").write_text("clinic_id,area\nharbor,North\n")
    (raw / "clinic_bayview_procedures.csv").write_text(
        "date,clinic_id,procedure\n2026-11-02,bayview,Liposuction\n"
    )
    result = ingest(raw, IngestConfig(), date(2026, 12, 1))
    kinds = {f.name: f.kind for f in result.files}
    assert kinds == {"clinics_a.csv": "clinics", "clinics_b.csv": "clinics",
                     "clinic_bayview_procedures.csv": "procedures"}  # fmt: skip
    a = next(f for f in result.files if f.name == "clinics_a.csv")
    assert a.rows_quarantined == 1
    assert a.quarantined["reason"].tolist() == ["duplicate clinic_id (an earlier row has it)"]
    assert result.clinics.to_dict("records") == [
        {"clinic_id": "bayview", "region": "Coast", "display_name": "Bayview"},
        {"clinic_id": "harbor", "region": "North", "display_name": ""},
    ]
    write_processed(result, tmp_path / "processed")
    assert load_clinics(tmp_path / "processed").equals(result.clinics)


def test_roster_days_are_kept_as_weekdays_and_a_wrong_day_quarantines_its_row(tmp_path):
    from forecasting.config import IngestConfig
    from forecasting.ingest import ingest

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "roster.csv").write_text(
        "clinic_id,therapist_id,weekly_hours,days\n"
        "bayview,t1,40,Mon-Fri\nbayview,t2,24,tuesday; Thurs\nbayview,t3,16,\nbayview,t4,8,funday\n"
    )
    result = ingest(raw, IngestConfig(), date(2026, 12, 1))
    days = dict(zip(result.roster["therapist_id"], result.roster["days"], strict=True))
    assert days == {"t1": "mon;tue;wed;thu;fri", "t2": "tue;thu", "t3": ""}
    (file,) = result.files
    assert file.quarantined["reason"].tolist() == [
        "days names something that is no weekday (use mon;tue;thu or mon-fri)"
    ]
