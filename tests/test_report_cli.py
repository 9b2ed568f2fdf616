"""`lymphcast report`: the file:// link of a weekly report, opened with --open."""

from __future__ import annotations

import webbrowser

import pytest
from typer.testing import CliRunner

from lymphcast.cli import app

runner = CliRunner()


@pytest.fixture
def reports(tmp_path):
    for week in ("2026-W47", "2026-W48"):
        (tmp_path / week).mkdir()
        (tmp_path / week / "index.html").write_text("<!doctype html>")
    (tmp_path / "2026-W48" / "report.pdf").write_bytes(b"%PDF")
    return tmp_path


def test_prints_the_link_of_the_latest_report(reports) -> None:
    result = runner.invoke(app, ["report", "--reports", str(reports)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (reports / "2026-W48" / "index.html").resolve().as_uri()
    assert "report.pdf" in result.stderr


def test_week_picks_that_report_and_open_opens_it(reports, monkeypatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda uri: opened.append(uri) or True)
    result = runner.invoke(
        app, ["report", "--reports", str(reports), "--week", "2026-W47", "--open"]
    )
    assert result.exit_code == 0, result.output
    assert opened == [(reports / "2026-W47" / "index.html").resolve().as_uri()]


def test_open_without_a_browser_still_prints_the_link(reports, monkeypatch) -> None:
    monkeypatch.setattr(webbrowser, "open", lambda uri: False)
    result = runner.invoke(app, ["report", "--reports", str(reports), "--open"])
    assert result.exit_code == 0
    assert result.stdout.startswith("file://") and "No web browser" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--week", "2026-W01"], "no report for 2026-W01"),
        (["--week", "48"], "YYYY-Www"),
    ],
)
def test_a_missing_or_malformed_week_exits_2(reports, args, message) -> None:
    result = runner.invoke(app, ["report", "--reports", str(reports), *args])
    assert result.exit_code == 2 and message in result.output
    assert "Traceback" not in result.output


def test_no_reports_yet_exits_2_and_says_what_to_run(tmp_path) -> None:
    result = runner.invoke(app, ["report", "--reports", str(tmp_path / "none")])
    assert result.exit_code == 2 and "lymphcast weekly" in result.output
