"""Ingest faults: rare unknown procedure names are counted, never written."""

import json
from datetime import date

from forecasting.config import IngestConfig
from forecasting.ingest.files import read_file


def _export(tmp_path, rare: int, common: int):
    lines = ["date,clinic_id,procedure"]
    lines += ["2025-03-03,north,Rhinoplasty Zed"] * rare
    lines += [f"2025-03-0{4 + i % 3},north,Facelift" for i in range(common)]
    path = tmp_path / "procedures_x.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_rare_other_names_are_counted_not_named(tmp_path):
    path = _export(tmp_path, rare=4, common=5)
    result = read_file(path, IngestConfig(), date(2025, 6, 1))
    assert result.notes["procedures_counted_as_other"] == ["Facelift"]
    assert result.notes["other_names_withheld"] == 1
    entry = json.dumps(result.manifest_entry().record())
    assert "Rhinoplasty" not in entry and "Facelift" in entry


def test_other_name_threshold_is_configuration(tmp_path):
    path = _export(tmp_path, rare=4, common=5)
    result = read_file(path, IngestConfig(other_name_min_rows=4), date(2025, 6, 1))
    assert result.notes["procedures_counted_as_other"] == ["Facelift", "Rhinoplasty Zed"]
    assert result.notes["other_names_withheld"] == 0


def test_nul_bytes_quarantine_only_their_rows(tmp_path):
    """A damaged write (NUL bytes) costs its rows, not the file; the quarantine keeps the
    export's name and the rows' readable values, without the NULs."""
    from forecasting.ingest import ingest, write_processed

    raw = tmp_path / "raw"
    raw.mkdir()
    body = b"date,clinic_id,procedure\n" + b"2025-03-03,north,BBL\n" * 4
    body += b"2025-03-04,north,Lipo\x00\x00\x00\n" + b"\x00" * 64 + b"\n2025-03-05,north,BBL\n"
    (raw / "procedures_a.csv").write_bytes(body)
    result = ingest(raw, IngestConfig(), date(2025, 6, 1))
    (f,) = result.files
    assert (f.status, f.rows_read, f.rows_accepted, f.rows_quarantined) == ("ok", 7, 5, 2)
    assert int(result.procedures_weekly["completed"].sum()) == 5
    write_processed(result, tmp_path / "processed")
    quarantine = (tmp_path / "processed" / "quarantine" / "procedures_a.csv").read_bytes()
    assert b"\x00" not in quarantine
    lines = quarantine.decode().splitlines()
    assert lines[1:] == [
        "6,2025-03-04,north,Lipo,row holds NUL bytes (damaged in the export)",
        "7,,,,row holds NUL bytes (damaged in the export)",
    ]
