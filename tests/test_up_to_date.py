"""flows/up_to_date.py: an unchanged re-run is recognised; any changed input or output is not."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from flows import up_to_date
from forecasting.config import Config
from forecasting.layout import DataLayout

AS_OF, TODAY = date(2025, 6, 2), date(2025, 6, 3)


@pytest.fixture
def published(tmp_path: Path) -> tuple[DataLayout, str, Path]:
    layout = DataLayout(raw=tmp_path / "raw", processed=tmp_path / "p", reports=tmp_path / "r")
    layout.raw.mkdir()
    (layout.raw / "procedures_a.csv").write_text("date,clinic_id,procedure\n")
    layout.processed.mkdir()
    layout.procedures.write_bytes(b"parquet")
    report = layout.report_dir(AS_OF) / "index.html"
    report.parent.mkdir(parents=True)
    report.write_text("<html>")
    key = up_to_date.run_key(layout, Config(), None, AS_OF, TODAY)
    up_to_date.record(layout, key, AS_OF, report)
    return layout, key, report


def test_an_unchanged_rerun_finds_the_published_report(published) -> None:
    layout, key, report = published
    again = up_to_date.run_key(layout, Config(), None, AS_OF, TODAY)
    assert again == key
    assert up_to_date.published(layout, again, AS_OF) == report.resolve()


@pytest.mark.parametrize(
    "change",
    ["export", "setting", "cut-off", "day", "processed file", "report file", "report deleted",
     "failure notice", "stamp"],
)  # fmt: skip
def test_any_change_runs_again(published, change: str) -> None:
    layout, key, report = published
    config, as_of, today = Config(), AS_OF, TODAY
    if change == "export":
        (layout.raw / "procedures_a.csv").write_text("date,clinic_id,procedure\n2025-01-06,a,bbl\n")
    elif change == "setting":
        config = Config(horizon_weeks=13)
    elif change == "cut-off":
        as_of = date(2025, 6, 9)
    elif change == "day":
        today = date(2025, 6, 4)
    elif change == "processed file":
        layout.procedures.write_bytes(b"other")
    elif change == "report file":
        report.write_text("<html>edited")
    elif change == "report deleted":
        report.unlink()
    elif change == "failure notice":
        layout.failure_notice(AS_OF).write_text("failed")
    else:
        layout.run_stamp(AS_OF).write_text("{not json")
    key = up_to_date.run_key(layout, config, None, as_of, today)
    assert up_to_date.published(layout, key, as_of) is None
