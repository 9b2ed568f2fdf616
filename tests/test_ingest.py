import json
from datetime import date

import pandas as pd
import pytest

from forecasting.config import IngestConfig
from forecasting.errors import InputError
from forecasting.ingest import discover, ingest, read_file, write_processed

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
        "2025-03-14;a;Facelift;completed;Ann Poe;M125;01/02/1982\n"
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
    assert proc.notes["procedures_counted_as_other"] == ["Facelift"]
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
    write_processed(ingest(raw, CFG, TODAY), a)
    write_processed(ingest(raw, CFG, TODAY), b)
    manifest = json.loads((a / "ingest_manifest.json").read_text())
    for f in manifest["files"]:
        assert f["rows_read"] == f["rows_accepted"] + f["rows_quarantined"]
        assert len(f["sha256"]) == 64
    for name in ("procedures_weekly.parquet", "sessions_weekly.parquet", "roster.parquet"):
        assert (a / name).read_bytes() == (b / name).read_bytes()


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
