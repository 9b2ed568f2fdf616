"""Ingest faults: rare unknown procedure names are counted, never written."""

import json
from datetime import date

from forecasting.config import IngestConfig
from forecasting.ingest.files import read_file


def _export(tmp_path, rare: int, common: int):
    lines = ["date,clinic_id,procedure"]
    lines += ["2025-03-03,north,Nasal Zed"] * rare
    lines += [f"2025-03-0{4 + i % 3},north,Contour Zed" for i in range(common)]
    path = tmp_path / "procedures_x.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_rare_other_names_are_counted_not_named(tmp_path):
    path = _export(tmp_path, rare=4, common=5)
    result = read_file(path, IngestConfig(), date(2025, 6, 1))
    assert result.notes["procedures_counted_as_other"] == ["Contour Zed"]
    assert result.notes["other_names_withheld"] == 1
    entry = json.dumps(result.manifest_entry().record())
    assert "Nasal" not in entry and "Contour Zed" in entry


def test_other_name_threshold_is_configuration(tmp_path):
    path = _export(tmp_path, rare=4, common=5)
    result = read_file(path, IngestConfig(other_name_min_rows=4), date(2025, 6, 1))
    assert result.notes["procedures_counted_as_other"] == ["Contour Zed", "Nasal Zed"]
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


def test_skipped_paths_are_listed_with_why(tmp_path, monkeypatch):
    """A dangling link, a folder named like an export, a pipe and a file that cannot be
    opened are listed in the manifest (relative to raw, with why); the rest is read."""
    import os

    from forecasting.ingest import folder, ingest, write_processed

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "procedures_a.csv").write_text("date,clinic_id,procedure\n2025-03-03,north,BBL\n")
    (raw / "procedures_b.csv").symlink_to(tmp_path / "gone.csv")
    (raw / "sessions_2025.csv").mkdir()
    (raw / "archive").mkdir()  # not named like an export: passed over without a word
    os.mkfifo(raw / "roster_pipe.csv")
    locked = raw / "sessions_locked.csv"
    locked.write_text("date,clinic_id\n2025-03-03,north\n")
    locked.chmod(0)  # root reads it anyway, so the permission check is what is tested
    monkeypatch.setattr(folder, "_readable", lambda p: p.name != "sessions_locked.csv")
    result = ingest(raw, IngestConfig(), date(2025, 6, 1))
    assert [f.name for f in result.files] == ["procedures_a.csv"]
    write_processed(result, tmp_path / "processed")
    manifest = json.loads((tmp_path / "processed" / "ingest_manifest.json").read_text())
    skipped = {s["path"]: s["reason"] for s in manifest["skipped"]}
    assert sorted(skipped) == [
        "procedures_b.csv", "roster_pipe.csv", "sessions_2025.csv", "sessions_locked.csv"
    ]  # fmt: skip
    assert "link whose target does not exist" in skipped["procedures_b.csv"]
    assert "a folder, not a file" in skipped["sessions_2025.csv"]
    assert "not a regular file" in skipped["roster_pipe.csv"]
    assert "cannot be opened" in skipped["sessions_locked.csv"]


def test_cli_ingest_names_skipped_paths(tmp_path):
    from typer.testing import CliRunner

    from lymphcast.cli import app

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "procedures_a.csv").write_text("date,clinic_id,procedure\n2025-03-03,north,BBL\n")
    (raw / "procedures_b.csv").symlink_to(tmp_path / "gone.csv")
    out = CliRunner().invoke(app, ["ingest", "--raw", str(raw), "--processed", str(tmp_path / "p")])
    assert out.exit_code == 0, out.output
    assert "skipped: procedures_b.csv: a link whose target does not exist" in out.output
    assert "Traceback" not in out.output


def _procedures(path, rows):
    path.write_text("date,clinic_id,procedure\n" + "".join(f"{d},north,{n}\n" for d, n in rows))


def test_other_names_per_clinic_follow_the_re_export_rule(tmp_path):
    """A re-exported unknown name counts once; a newer export without it wins its days."""
    from forecasting.ingest import ingest

    raw = tmp_path / "raw"
    raw.mkdir()
    old = [(f"2025-03-0{3 + i % 3}", "Contour Zed") for i in range(6)] + [("2025-03-03", "BBL")]
    _procedures(raw / "procedures_a.csv", old)
    _procedures(raw / "procedures_b.csv", old + [("2025-03-10", "BBL")])  # re-export, later
    (entry,) = ingest(raw, IngestConfig(), date(2025, 6, 1)).other_names
    assert (entry.clinic_id, entry.procedures, entry.unknown_procedures) == ("north", 8, 6)
    assert [(n.name, n.rows) for n in entry.names] == [("Contour Zed", 6)]
    _procedures(raw / "procedures_c.csv", [("2025-03-03", "BBL"), ("2025-03-17", "Lipo")])
    assert ingest(raw, IngestConfig(), date(2025, 6, 1)).other_names == []
