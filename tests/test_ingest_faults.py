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
