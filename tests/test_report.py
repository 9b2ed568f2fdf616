"""The weekly HTML report: decision first, self-contained, escaped, deterministic."""

from __future__ import annotations

import base64
import dataclasses
import re
from datetime import date

import pandas as pd
import pytest

from forecasting.columns import STAFFING_COLUMNS, procedure_series
from forecasting.report import ReportData, render_html, write_report

AS_OF = date(2026, 11, 23)  # a Monday: ISO week 2026-W48
HISTORY = pd.date_range("2026-09-28", periods=8, freq="W-MON")  # up to 16 Nov
FUTURE = pd.date_range("2026-11-30", periods=4, freq="W-MON")  # 30 Nov .. 21 Dec
FTE_HOURS = 40.0
HOSTILE = "<script>alert(1)</script>"

# north is short every week (first gap 27 h on 30 Nov, largest 44 h on 14 Dec); south is covered.
NEEDED = {"north": [163.0, 170.0, 180.0, 150.0], "south": [100.0, 110.0, 105.0, 95.0]}
ROSTERED = {"north": 136.0, "south": 160.0}
SESSIONS_P50 = {"north": [84.0, 88.0, 93.0, 78.0], "south": [52.0, 57.0, 54.0, 49.0]}


def _history(clinics: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    procedures, sessions = [], []
    for i, clinic in enumerate(clinics):
        for k, week in enumerate(HISTORY):
            for proc, n in (("liposuction", 6 + k % 3 + i), ("bbl", 2 + k % 2)):
                procedures.append((clinic, proc, week, n, 0))
            sessions.append((clinic, week, 70 + 2 * k - 20 * i))
    return (
        pd.DataFrame(
            procedures, columns=["clinic_id", "procedure", "week", "completed", "scheduled"]
        ),
        pd.DataFrame(sessions, columns=["clinic_id", "week", "sessions"]),
    )


def _forecast(clinic: str, procedures: bool = True) -> pd.DataFrame:
    rows = []
    for k, week in enumerate(FUTURE):
        p50 = SESSIONS_P50[clinic][k]
        rows.append((clinic, week, "sessions", p50 + 1, p50 - 14, p50, p50 + 17))
        if procedures:
            rows.append((clinic, week, procedure_series("liposuction"), 7.0, 4.0, 7.0, 10.0))
            rows.append((clinic, week, procedure_series("bbl"), 2.5, 1.0, 2.0, 4.0))
    return pd.DataFrame(rows, columns=["clinic_id", "week", "series", "mean", "p10", "p50", "p90"])


def _staffing(clinic: str) -> pd.DataFrame:
    rows = []
    for k, week in enumerate(FUTURE):
        needed, rostered = NEEDED[clinic][k], ROSTERED[clinic]
        p50 = SESSIONS_P50[clinic][k]
        rows.append(
            {
                "clinic_id": clinic,
                "week": week,
                "sessions_p50": p50,
                "sessions_target": needed / 1.75,
                "therapist_hours_needed": needed,
                "fte_needed": needed / FTE_HOURS,
                "fte_rostered": rostered / FTE_HOURS,
                "fte_gap": (needed - rostered) / FTE_HOURS,
                "expected_unmet_sessions": max(needed - rostered, 0) / 2.5,
                "expected_idle_hours": max(rostered - needed, 0) * 0.8,
                "hours_rostered": rostered,
                "therapist_hours_p10": needed * 0.8,
                "therapist_hours_p90": needed * 1.15,
            }
        )
    return pd.DataFrame(rows)[
        [*STAFFING_COLUMNS, "hours_rostered", "therapist_hours_p10", "therapist_hours_p90"]
    ]


def _data(clinics: tuple[str, ...] = ("north", "south")) -> ReportData:
    procedures, sessions = _history(list(clinics))
    committed = pd.DataFrame(
        [(c, w, 40.0 / (k + 1)) for c in clinics for k, w in enumerate(FUTURE)],
        columns=["clinic_id", "week", "committed"],
    )
    models = pd.DataFrame(
        [
            ("north", "bbl", "seasonal_naive", "history shorter than 52 weeks"),
            ("north", "liposuction", "prophet", None),
            ("south", "bbl", "prophet", None),
            ("south", "liposuction", "prophet", None),
        ],
        columns=["clinic_id", "procedure", "model", "fallback_reason"],
    )
    ingest = [
        {
            "path": "data/raw/procedures_2026.csv",
            "kind": "procedures",
            "rows_read": 120,
            "rows_accepted": 118,
            "rows_quarantined": 2,
            "status": "ok",
            "error": None,
        },
        {
            "path": "data/raw/roster.xlsx",
            "kind": "roster",
            "rows_read": 9,
            "rows_accepted": 9,
            "rows_quarantined": 0,
            "status": "ok",
            "error": None,
        },
        {
            "path": "data/raw/broken.csv",
            "kind": None,
            "rows_read": 0,
            "rows_accepted": 0,
            "rows_quarantined": 0,
            "status": "rejected",
            "error": "no date column found",
        },
    ]
    return ReportData(
        as_of=AS_OF,
        iso_week="2026-W48",
        procedures_history=procedures,
        sessions_history=sessions,
        forecast=pd.concat([_forecast(c) for c in clinics], ignore_index=True),
        committed=committed,
        staffing=pd.concat([_staffing(c) for c in clinics], ignore_index=True),
        models=models,
        ingest=ingest,
        settings={
            "service_level": 0.8,
            "horizon_weeks": 4,
            "hours_per_session": 1.1667,
            "fte_hours": FTE_HOURS,
            "seed": 0,
        },
    )


def _sections(html: str) -> dict[str, str]:
    """Clinic section text keyed by the clinic's heading."""
    out = {}
    for chunk in html.split('<section class="clinic"')[1:]:
        chunk = chunk.split("</section>")[0]
        name = re.search(r"<h2[^>]*>Clinic (.*?)</h2>", chunk).group(1)
        out[name] = chunk
    return out


@pytest.fixture(scope="module")
def data() -> ReportData:
    return _data()


@pytest.fixture(scope="module")
def html(data: ReportData) -> str:
    return render_html(data)


def test_network_summary_comes_first_and_names_the_short_clinic(html: str) -> None:
    summary = html.split('<section class="clinic"')[0]
    assert "Network summary" in summary
    assert "1 of 2 clinics needs more therapist hours in the next 4 weeks: north." in summary
    assert "Add about 27 h (week of 30 November)" in summary
    assert "27 short" in summary  # next week's gap in hours
    assert "84</td>" in summary and "70–101" in summary


def test_each_clinic_has_a_section_with_a_headline_in_order(html: str) -> None:
    sections = _sections(html)
    assert list(sections) == ["north", "south"]
    for body in sections.values():
        assert '<p class="headline' in body
        assert "Staffing by week" in body


def test_gap_headline_is_worded_from_the_numbers(html: str) -> None:
    north = _sections(html)["north"]
    assert (
        "Next week: about 84 sessions (70–101). Needs 163 therapist hours (4.1 FTE); "
        "136 rostered. Add about 27 therapist hours in the week of 30 November; the largest "
        "gap is about 44 therapist hours (1.1 FTE) in the week of 14 December. "
        "Short in all of the next 4 weeks."
    ) in north
    assert "About 40 of next week&#39;s sessions are owed to patients already operated on" in north


def test_covered_headline_says_the_roster_covers(html: str) -> None:
    south = _sections(html)["south"]
    assert "Roster covers expected demand for the next 4 weeks." in south
    assert "Add about" not in south
    assert "Needs 100 therapist hours (2.5 FTE); 160 rostered." in south
    assert "expect no unmet sessions and about 48 idle therapist hours next week" in south


def test_a_later_single_gap_names_its_week() -> None:
    base = _data()
    staffing = base.staffing.copy()
    later = (staffing["clinic_id"] == "south") & (staffing["week"] == FUTURE[2])
    staffing.loc[later, "therapist_hours_needed"] = 170.4
    staffing.loc[later, "fte_gap"] = 10.4 / FTE_HOURS
    out = render_html(dataclasses.replace(base, staffing=staffing))
    south = _sections(out)["south"]
    assert (
        "Needs 100 therapist hours (2.5 FTE); 160 rostered. "
        "Add about 10 therapist hours in the week of 14 December.</p>"
    ) in south
    assert "2 of 2 clinics need more therapist hours in the next 4 weeks: north, south." in out


def test_charts_are_embedded_png_data_uris(html: str) -> None:
    uris = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(uris) == 6  # three charts per clinic
    assert all(base64.b64decode(u).startswith(b"\x89PNG\r\n\x1a\n") for u in uris)


def test_nothing_is_fetched_from_the_network(html: str) -> None:
    assert "http://" not in html and "https://" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert not re.search(r"<(script|link|iframe|object|embed)\b", html, re.I)
    assert "@import" not in html and "url(" not in html
    assert all(h.startswith("#") for h in re.findall(r'href="([^"]*)"', html))


def test_phone_and_print_css_present(html: str) -> None:
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert ".table-wrap { overflow-x: auto" in html
    assert "max-width: 100%" in html
    assert "@media print" in html and "break-before: page" in html


def test_trust_section_lists_freshness_models_and_ingest(html: str) -> None:
    trust = html.split('id="trust"')[1]
    assert "2026-11-16" in trust  # latest procedure and session week
    assert "Fallback: history shorter than 52 weeks" in trust
    assert "data/raw/broken.csv" in trust and "no date column found" in trust
    assert "rejected" in trust
    assert "129" in trust  # rows read in total


def test_render_is_deterministic(html: str) -> None:
    assert render_html(_data()) == html  # equal data built afresh: byte-identical page


def test_render_does_not_modify_its_inputs(data: ReportData, html: str) -> None:
    fresh = _data()
    for f in dataclasses.fields(ReportData):
        a, b = getattr(data, f.name), getattr(fresh, f.name)
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b)
        else:
            assert a == b


def test_write_report_writes_index_html(tmp_path, data: ReportData, html: str) -> None:
    path = write_report(tmp_path / "2026-W48", data)
    assert path == tmp_path / "2026-W48" / "index.html"
    assert path.read_text(encoding="utf-8") == html
    assert [p.name for p in path.parent.iterdir()] == ["index.html"]


def test_hostile_clinic_without_procedures_or_staffing_renders_as_text() -> None:
    base = _data()
    procedures, sessions = _history([HOSTILE])
    extra = _forecast("south", procedures=False).assign(clinic_id=HOSTILE)
    data = dataclasses.replace(
        base,
        procedures_history=pd.concat([base.procedures_history, procedures], ignore_index=True),
        sessions_history=pd.concat([base.sessions_history, sessions], ignore_index=True),
        forecast=pd.concat([base.forecast, extra], ignore_index=True),
    )
    out = render_html(data)
    assert "<script" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    hostile = _sections(out)["&lt;script&gt;alert(1)&lt;/script&gt;"]
    assert "No procedure forecast for this clinic" in hostile
    assert "No staffing figures for this clinic" in hostile
    assert "Next week: about 52 sessions (38–69)." in hostile
    assert hostile.count("data:image/png;base64,") == 2  # sessions, procedure history
    assert "No staffing figures for: &lt;script&gt;" in out
