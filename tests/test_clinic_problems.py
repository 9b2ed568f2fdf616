"""Clinic problems and cut-off sanity (issue 13 parts 3-4): a cut-off before the data is refused."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from forecasting import columns as C
from forecasting.demand.cutoff import check_cutoff
from forecasting.errors import InputError


def _frame(*weeks: str) -> pd.DataFrame:
    return pd.DataFrame({C.WEEK: pd.to_datetime(list(weeks))})


def test_cutoff_before_first_week_is_one_sentence_exit_2() -> None:
    with pytest.raises(InputError, match=r"--as-of 2023-01-02 is before .*2024-01-01") as info:
        check_cutoff(_frame("2024-01-01", "2024-01-08"), _frame("2024-01-15"), date(2023, 1, 2))
    assert info.value.exit_code == 2
    assert "\n" not in str(info.value)


def test_cutoff_in_the_first_week_is_refused_after_it_accepted() -> None:
    procedures, sessions = _frame("2024-01-01"), _frame("2024-01-08")
    with pytest.raises(InputError):
        check_cutoff(procedures, sessions, date(2024, 1, 3))  # same week: nothing before it
    check_cutoff(procedures, sessions, date(2024, 1, 8))


def test_no_weeks_at_all_asks_for_the_ingest() -> None:
    with pytest.raises(InputError, match="lymphcast ingest"):
        check_cutoff(_frame(), _frame(), date(2024, 1, 8))


@pytest.mark.slow
def test_weekly_with_a_cutoff_before_the_data_exits_2_and_publishes_no_report(tmp_path) -> None:
    import subprocess
    import sys
    from pathlib import Path

    from forecasting.demo import generate_demo

    root = Path(__file__).resolve().parent.parent
    raw = tmp_path / "raw"
    generate_demo(raw, clinics=1, years=1, seed=3, end=date(2026, 11, 30))
    config = tmp_path / "fast.toml"
    config.write_text('[model]\nname = "seasonal_naive"\n[orchestration]\nmin_free_mb = 0\n')
    reports = tmp_path / "reports"
    command = [sys.executable, "-m", "lymphcast", "weekly", "--as-of", "2020-01-06"]
    command += ["--config", str(config), "--raw", str(raw), "--processed", str(tmp_path / "p")]
    done = subprocess.run(
        [*command, "--reports", str(reports)], cwd=root, capture_output=True, text=True
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "--as-of 2020-01-06 is before" in errors[0]
    published = [p for p in reports.rglob("*") if p.is_file()] if reports.exists() else []
    report = [p for p in published if not p.name.startswith(".")]  # the run's lock aside
    assert all(p.name.endswith("FAILED.md") for p in report), report  # a notice, no report


def test_a_clinic_without_roster_rows_is_a_problem_naming_it_and_the_fix() -> None:
    from forecasting.staffing.problems import NO_ROSTER, unrostered

    roster = pd.DataFrame({C.CLINIC: ["A", "A", "B"]})
    problems = unrostered(roster, ["A", "B", "C"])
    assert [(p.clinic_id, p.kind) for p in problems] == [("C", NO_ROSTER)]
    assert (
        problems[0].text().startswith("C: ") and "add the clinic's therapists" in problems[0].text()
    )
    assert [p.clinic_id for p in unrostered(roster.iloc[:0], ["A"])] == ["A"]
