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
def test_weekly_with_a_cutoff_before_the_data_exits_2_before_prefect_and_writes_nothing(
    tmp_path,
) -> None:
    import subprocess
    import sys
    from pathlib import Path

    from forecasting.demo import generate_demo

    root = Path(__file__).resolve().parent.parent
    raw = tmp_path / "raw"
    generate_demo(raw, clinics=1, years=1, seed=3, end=date(2026, 11, 30), services=("mld",))
    config = tmp_path / "fast.toml"
    config.write_text('[model]\nname = "seasonal_naive"\n[orchestration]\nmin_free_mb = 0\n')
    reports, processed = tmp_path / "reports", tmp_path / "p"
    command = [sys.executable, "-m", "lymphcast", "weekly", "--as-of", "2020-01-06"]
    command += ["--config", str(config), "--raw", str(raw), "--processed", str(processed)]
    done = subprocess.run(
        [*command, "--reports", str(reports)], cwd=root, capture_output=True, text=True
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.splitlines()  # one sentence; Prefect never started (no "starting")
    assert len(lines) == 1 and lines[0].startswith("error: --as-of 2020-01-06 is before the ")
    assert lines[0].endswith("); pass a cut-off after that week.")
    assert not reports.exists() and not processed.exists()  # no report, no FAILED.md


def test_the_first_day_of_the_raw_exports_reads_only_dates(tmp_path) -> None:
    from forecasting.config import IngestConfig
    from forecasting.ingest.span import first_data_day
    from lymphcast.preflight import check_data_cutoff

    (tmp_path / "procedures_a.csv").write_text(
        "date,clinic_id,procedure\n03/04/2024,a,lipo\nnot a date,a,lipo\n2024-05-01,a,bbl\n"
    )
    (tmp_path / "sessions_a.csv").write_text("date,clinic_id\n2024-06-03,a\n")
    (tmp_path / "roster.csv").write_text(
        "clinic_id,therapist_id,weekly_hours,start_date\na,t1,30,2001-01-01\n"
    )
    (tmp_path / "notes.csv").write_text("just,text\n1,2\n")
    # 03/04/2024 is 4 March month-first, 3 April day-first: the earlier counts; the roster's
    # start dates are no data
    assert first_data_day(tmp_path, IngestConfig()) == date(2024, 3, 4)
    check_data_cutoff(tmp_path, date(2024, 3, 11), IngestConfig())  # the week after: fine
    with pytest.raises(InputError, match=r"--as-of 2024-03-06 is before .* \(2024-03-04\)"):
        check_data_cutoff(tmp_path, date(2024, 3, 6), IngestConfig())  # the same week


def test_a_clinic_without_roster_rows_is_a_problem_naming_it_and_the_fix() -> None:
    from forecasting.staffing.problems import NO_ROSTER, unrostered

    roster = pd.DataFrame({C.CLINIC: ["A", "A", "B"]})
    problems = unrostered(roster, ["A", "B", "C"])
    assert [(p.clinic_id, p.kind) for p in problems] == [("C", NO_ROSTER)]
    assert (
        problems[0].text().startswith("C: ") and "add the clinic's therapists" in problems[0].text()
    )
    assert [p.clinic_id for p in unrostered(roster.iloc[:0], ["A"])] == ["A"]


# ----------------------------------------------------------------------------------------------
# A clinic without roster rows: the run goes on, the clinic is named with its fix

_END = date(2025, 7, 1)
_AS_OF = date(2025, 6, 2)


def _week_frames(demo_exports, root):
    from forecasting.config import Config
    from forecasting.ingest.folder import ingest
    from forecasting.ingest.store import load_bookings, load_processed, write_processed

    demo_exports(root / "raw", clinics=3, years=2, seed=3, end=_END)
    write_processed(ingest(root / "raw", Config().ingest, _END), root / "processed")
    procedures, sessions, roster = load_processed(root / "processed")
    return procedures, sessions, roster, load_bookings(root / "processed")


def test_a_clinic_without_roster_rows_leaves_every_other_clinic_unchanged(
    demo_exports, tmp_path
) -> None:
    from forecasting.config import Config
    from forecasting.staffing import HOURS_NEEDED, HOURS_ROSTERED
    from forecasting.staffing.problems import NO_ROSTER
    from forecasting.week import cut_inputs, run_week

    config = Config.model_validate({"model": {"name": "seasonal_naive"}, "n_paths": 100})
    procedures, sessions, roster, bookings = _week_frames(demo_exports, tmp_path)
    clinics = sorted(roster[C.CLINIC].unique())
    gone = clinics[1]

    def run(r: pd.DataFrame):
        return run_week(cut_inputs(procedures, sessions, r, _AS_OF, bookings=bookings), config)

    whole = run(roster)
    without = run(roster[roster[C.CLINIC] != gone].reset_index(drop=True))
    assert whole.problems == ()
    assert [(p.clinic_id, p.kind) for p in without.problems] == [(gone, NO_ROSTER)]
    assert "roster" in without.problems[0].fix
    # the clinic is still forecast, like the others
    pd.testing.assert_frame_equal(whole.forecast, without.forecast)
    others = whole.staffing[C.CLINIC] != gone
    pd.testing.assert_frame_equal(
        whole.staffing[others].reset_index(drop=True),
        without.staffing[without.staffing[C.CLINIC] != gone].reset_index(drop=True),
    )
    mine = without.staffing[without.staffing[C.CLINIC] == gone]
    assert len(mine) == config.horizon_weeks and (mine[HOURS_ROSTERED] == 0).all()
    needed = whole.staffing.loc[~others, HOURS_NEEDED].to_numpy()
    assert (mine[HOURS_NEEDED].to_numpy() == needed).all() and needed.sum() > 0


def test_problems_sentence_names_each_clinic_once() -> None:
    from forecasting.report.text import problems_sentence

    assert problems_sentence({}) is None
    assert problems_sentence({"b": ["x: fix x"]}) == "1 clinic needs attention: b (x: fix x)."
    two = problems_sentence({"c": ["z: fz"], "a": ["x: fx", "y: fy"]})
    assert two == "2 clinics need attention: a (x: fx; y: fy), c (z: fz)."


@pytest.mark.slow
def test_weekly_with_an_unrostered_clinic_exits_3_and_names_it(tmp_path, prefect_api_env) -> None:
    import json
    import subprocess
    import sys
    from pathlib import Path

    from forecasting.demo import generate_demo

    root = Path(__file__).resolve().parent.parent
    raw = tmp_path / "raw"
    generate_demo(raw, clinics=2, years=1, seed=3, end=date(2026, 11, 30), services=("mld",))
    roster = pd.read_csv(raw / "roster.csv", dtype=str)
    roster[roster[C.CLINIC] != "harbor"].to_csv(raw / "roster.csv", index=False)
    config = tmp_path / "fast.toml"
    config.write_text('[model]\nname = "seasonal_naive"\n[orchestration]\nmin_free_mb = 0\n')
    reports = tmp_path / "reports"
    command = [sys.executable, "-m", "lymphcast", "weekly", "--as-of", "2026-11-30"]
    command += ["--config", str(config), "--raw", str(raw), "--processed", str(tmp_path / "p")]
    command += ["--reports", str(reports)]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, env=prefect_api_env)
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and warnings[0].startswith("warning: harbor: the roster has no")
    folder = next(reports.glob("2026-W*"))
    manifest = json.loads((folder / "run_manifest.json").read_text())
    assert [(p["clinic_id"], p["kind"]) for p in manifest["problems"]] == [("harbor", "no_roster")]
    page = (folder / "index.html").read_text()
    assert "1 clinic needs attention: harbor" in page
    assert "add the clinic&#39;s therapists to the roster export" in page or (
        "add the clinic's therapists to the roster export" in page
    )
    staffing = pd.read_csv(folder / "staffing.csv")
    assert set(staffing[C.CLINIC]) == {"bayview", "harbor"}
    assert not list(reports.glob("*.FAILED.md"))


# ----------------------------------------------------------------------------------------------
# The report: problems in the clinic's section and the summary; stale data leads the report


def test_report_view_shows_a_problem_in_its_clinic_and_the_summary() -> None:
    from dataclasses import replace

    from forecasting.report.view import build_view
    from tests.report_fixtures import report_data

    problem = "the roster has no therapist for this clinic: add its therapists to the roster"
    view = build_view(replace(report_data(), problems={"south": [problem]}))
    south, north = (next(c for c in view.clinics if c.name == n) for n in ("south", "north"))
    assert south.notes[0] == problem[0].upper() + problem[1:] + "."
    assert not any("roster has no" in note for note in north.notes)
    assert view.summary[-1] == f"1 clinic needs attention: south ({problem})."


def test_stale_data_leads_the_report_and_replaces_the_clinics_staffing_advice() -> None:
    from dataclasses import replace

    from forecasting.report.view import build_view
    from tests.report_fixtures import report_data

    data = report_data()
    fresh = build_view(data)
    assert not fresh.summary[0].startswith("Stale data")

    def older(frame: pd.DataFrame) -> pd.DataFrame:  # south's last 4 weeks missing
        late = (frame[C.CLINIC] == "south") & (frame[C.WEEK] >= pd.Timestamp("2026-10-26"))
        return frame[~late].reset_index(drop=True)

    view = build_view(
        replace(
            data,
            procedures_history=older(data.procedures_history),
            sessions_history=older(data.sessions_history),
        )
    )
    assert view.summary[0].startswith("Stale data") and "south 4 weeks" in view.summary[0]
    assert "north" not in view.summary[0]
    clinics = {c.name: c for c in view.clinics}
    before = {c.name: c for c in fresh.clinics}
    assert clinics["south"].action.startswith("Data is 4 weeks old: export again")
    assert clinics["north"].action == before["north"].action


def test_warnings_artifact_lists_each_problem_escaped() -> None:
    from flows.artifacts import warnings_markdown

    text = warnings_markdown(
        "2026-W49", [{"clinic_id": "<b>x</b>", "sentence": "no roster", "fix": "add *them*"}]
    )
    assert text.splitlines()[0] == "# Completed with warnings, 2026-W49"
    assert "- **&lt;b&gt;x&lt;/b&gt;**: no roster; add \\*them\\*." in text


def test_the_first_day_before_a_cutoff_is_found_in_the_head_or_else_in_the_whole_file(
    tmp_path,
) -> None:
    from datetime import timedelta

    from forecasting.config import IngestConfig
    from forecasting.ingest.span import HEAD_BYTES, first_data_day

    days = [date(2024, 1, 1) + timedelta(days=i % 300) for i in range(6000)]
    body = "".join(f"{d.isoformat()},a,liposuction\n" for d in days)
    assert len(body) > 2 * HEAD_BYTES
    sorted_file = tmp_path / "sorted" / "procedures_a.csv"
    sorted_file.parent.mkdir()
    sorted_file.write_text("date,clinic_id,procedure\n" + body)
    assert first_data_day(sorted_file.parent, IngestConfig(), before=date(2024, 2, 1)) < date(
        2024, 2, 1
    )
    # the only early row sits past the head: the whole file is read, and it is found
    late = tmp_path / "late" / "procedures_a.csv"
    late.parent.mkdir()
    rows = "".join(f"2025-06-{d % 28 + 1:02d},a,bbl\n" for d in range(6000))
    late.write_text("date,clinic_id,procedure\n" + rows + "2023-05-02,a,bbl\n")
    assert first_data_day(late.parent, IngestConfig(), before=date(2024, 1, 1)) == date(2023, 5, 2)
    assert first_data_day(late.parent, IngestConfig()) == date(2023, 5, 2)
