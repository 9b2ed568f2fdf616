"""The weekly HTML report (index + a page per clinic): decision first, self-contained, escaped,
deterministic, golden."""

from __future__ import annotations

import base64
import dataclasses
import os
import re
from pathlib import Path

import pandas as pd
import pytest
from report_fixtures import FTE_HOURS, FUTURE, HOSTILE, forecast, history, report_data

from forecasting.config import ReportConfig
from forecasting.errors import ConfigError
from forecasting.report import (
    ReportData,
    ReportView,
    build_view,
    find_report,
    render_clinic_html,
    render_html,
    write_report,
)

GOLDEN = Path(__file__).parent / "golden" / "report.html"  # the index page
GOLDEN_CLINIC = Path(__file__).parent / "golden" / "clinic.html"  # the first clinic's page
_PNG = re.compile(r"data:image/png;base64,[A-Za-z0-9+/=]+")


def _sections(html: str) -> dict[str, str]:
    """Clinic section text keyed by the clinic's heading."""
    out = {}
    for chunk in html.split('<section class="clinic"')[1:]:
        chunk = chunk.split("</section>")[0]
        name = re.search(r"<h2[^>]*>Clinic (.*?)</h2>", chunk).group(1)
        out[name] = chunk
    return out


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))


@pytest.fixture(scope="module")
def data() -> ReportData:
    return report_data()


@pytest.fixture(scope="module")
def view(data: ReportData) -> ReportView:
    return build_view(data)


@pytest.fixture(scope="module")
def html(view: ReportView) -> str:
    return render_html(view)


def _all_pages(data: ReportData | ReportView) -> str:
    """The index followed by every clinic's page, for checks that span the whole report."""
    view = data if isinstance(data, ReportView) else build_view(data)
    return render_html(view) + "".join(render_clinic_html(view, c) for c in view.clinics)


@pytest.fixture(scope="module")
def pages(view: ReportView) -> str:
    return _all_pages(view)


@pytest.mark.parametrize("which", ["index", "clinic"])
def test_rendered_report_matches_the_golden_file(view: ReportView, which: str) -> None:
    """The index and the first clinic's page on fixed data; PNG bytes depend on library
    versions, so they are masked.

    After an intended change, rewrite the golden files with LYMPHCAST_UPDATE_GOLDEN=1 and review
    their diff.
    """
    page = render_html(view) if which == "index" else render_clinic_html(view, view.clinics[0])
    golden = GOLDEN if which == "index" else GOLDEN_CLINIC
    masked = _PNG.sub("data:image/png;base64,…", page)
    if os.environ.get("LYMPHCAST_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(masked, encoding="utf-8")
    assert masked == golden.read_text(encoding="utf-8")


def test_the_index_links_each_clinic_page_and_holds_no_clinic_charts(
    view: ReportView, html: str
) -> None:
    """The index's size grows by a table row per clinic, not by its charts."""
    assert "data:image/png" not in html and '<section class="clinic"' not in html
    for c in view.clinics:
        assert f'<a href="{c.page}" title="{c.name}">{c.name}</a>' in html
        page = render_clinic_html(view, c)
        assert '<a href="../index.html">' in page and page.count('<section class="clinic"') == 1


def test_network_summary_comes_first_with_each_clinics_action(html: str) -> None:
    summary = html.split('<section class="clinic"')[0]
    assert "1 of 2 clinics needs more therapist hours in the next 4 weeks: north." in summary
    links = re.findall(r'<th scope="row"><a href="clinics/([^"]+)" title="\w+">(\w+)</a>', summary)
    assert [name for _, name in links] == ["north", "south"]
    assert all(re.fullmatch(r"(north|south)-[0-9a-f]{10}\.html", page) for page, _ in links)
    row = summary.split(f'href="clinics/{links[0][0]}"')[1].split(">", 1)[1]
    north = _text(row.split("</tr>")[0])
    # the action comes right after the clinic's name, then next week's figures
    action = "Add about 27 h (week of 30 November); short in all 4 weeks"
    assert north.split() == f"north {action} 84 70–101 163 136 27 short".split()
    assert "None: roster covers the next 4 weeks" in summary
    assert '<th scope="col">Sessions next week (30 Nov)</th>' in summary
    assert 'data-label="Hours needed">163</td>' in summary  # short labels on phone cards
    assert (
        "Data: every clinic&#39;s data is up to date; 2 rows quarantined; 1 file rejected"
        in summary
    )
    assert (
        "Past forecasts, 2 clinics, last 4 weeks: within 9% of actual sessions on average"
        in summary
    )


def test_each_clinic_section_puts_the_decision_before_the_evidence(pages: str) -> None:
    sections = _sections(pages)
    assert list(sections) == ["north", "south"]
    for body in sections.values():
        order = [
            body.index(s)
            for s in ('class="action"', 'class="evidence"', "<figure", "Staffing by week")
        ]
        assert order == sorted(order)


def test_gap_decision_is_worded_from_the_numbers(pages: str) -> None:
    north = _text(_sections(pages)["north"])
    assert "Action: Add about 27 therapist hours in the week of 30 November." in north
    assert (
        "Next week: about 84 sessions (70–101). Needs 163 therapist hours (4.1 FTE); 136 rostered. "
        "Next 4 weeks: about 347 sessions in all (78–93 a week, medians). Short in all 4 weeks; "
        "the largest gap is about 44 therapist hours (1.1 FTE) in the week of 14 December."
    ) in north
    assert "About 40 of next week&#39;s sessions are owed to patients already operated on" in north


def test_covered_decision_says_the_roster_covers(pages: str) -> None:
    south = _text(_sections(pages)["south"])
    assert (
        "Covered: No change needed: the roster covers expected demand for the next 4 weeks."
        in south
    )
    assert "Add about" not in south
    assert "Needs 100 therapist hours (2.5 FTE); 160 rostered." in south
    assert "expect no unmet sessions and about 48 idle therapist hours next week" in south


def test_a_later_single_gap_names_its_week() -> None:
    base = report_data()
    staffing = base.staffing.copy()
    later = (staffing["clinic_id"] == "south") & (staffing["week"] == FUTURE[2])
    staffing.loc[later, "therapist_hours_needed"] = 170.4
    staffing.loc[later, "fte_gap"] = 10.4 / FTE_HOURS
    view = build_view(dataclasses.replace(base, staffing=staffing))
    south = view.clinics[1]
    assert south.status == "short"
    assert south.action == "Add about 10 therapist hours in the week of 14 December."
    assert south.lines[1] == "Next 4 weeks: about 216 sessions in all (49–57 a week, medians)."
    assert view.summary == [
        "2 of 2 clinics need more therapist hours in the next 4 weeks: north, south."
    ]


def test_past_forecasts_are_compared_with_what_happened(pages: str) -> None:
    north = _sections(pages)["north"]
    assert (
        "Last 4 weeks: past forecasts were within 4% of actual sessions on average; 3 of 4 weeks "
        "fell inside the forecast range (p10–p90); they ran 4% high."
    ) in north
    table = _text(north.split("Past forecasts vs what happened")[1].split("Staffing by week")[0])
    # the later run (9 Nov) wins for 9 and 16 Nov; 16 Nov's actual 84 is outside 86–94
    assert "16 Nov 9 Nov 90 86–94 84 +6 no" in table
    assert "26 Oct 26 Oct 80 72–88 78 +2 yes" in table
    south = _text(_sections(pages)["south"])
    assert "within 16% of actual sessions on average; 0 of 4 weeks" in south


def test_without_an_archive_the_accuracy_section_says_so() -> None:
    from forecasting.report.accuracy import Archive

    view = build_view(dataclasses.replace(report_data(), archive=Archive()))
    assert view.clinics[0].accuracy_table is None
    assert view.clinics[0].accuracy.startswith("No archived forecast covers a completed week")
    assert view.network_accuracy.startswith("Past forecasts: none archived yet")


def test_charts_are_embedded_png_data_uris(pages: str) -> None:
    uris = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', pages)
    assert len(uris) == 6  # three charts per clinic
    assert all(base64.b64decode(u).startswith(b"\x89PNG\r\n\x1a\n") for u in uris)


def test_nothing_is_fetched_from_the_network(pages: str) -> None:
    assert "http://" not in pages and "https://" not in pages
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", pages, re.I)
    assert not re.search(r"<(script|link|iframe|object|embed)\b", pages, re.I)
    assert "@import" not in pages and "url(" not in pages
    # links stay inside the report folder: the clinic pages and back to the index
    hrefs = re.findall(r'href="([^"]*)"', pages)
    inside = re.compile(r"(clinics/[a-z0-9-]+\.html|\.\./index\.html)")
    assert hrefs and all(inside.fullmatch(h) for h in hrefs)
    # and the browser is told so: only inline styles and data: images may load
    assert (
        "default-src &#39;none&#39;; img-src data:" in pages
        or "default-src 'none'; img-src data:" in pages
    )


def test_phone_and_print_css_present(html: str) -> None:
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert ".table-wrap { overflow-x: auto" in html
    assert "@media (max-width: 600px)" in html and "table.cards" in html
    assert "@media print" in html and "break-before: page" in html


def test_trust_section_lists_freshness_models_and_ingest(html: str) -> None:
    trust = _text(html.split('id="trust"')[1])
    assert "north 2026-11-16 up to date 2026-11-16 up to date" in trust
    assert "1 of 4 procedure series uses a fallback model" in trust
    assert "Fallback: history shorter than 52 weeks" in trust
    assert "2 rows quarantined this run, in 1 of 3 files. 1 file rejected whole" in trust
    assert "data/raw/broken.csv" in trust and "no date column found" in trust
    assert "Total 129 127 2" in trust


def test_late_exports_are_warned_about_as_configured() -> None:
    base = report_data()
    sessions = base.sessions_history
    late = sessions[
        (sessions["clinic_id"] == "north") | (sessions["week"] < FUTURE[0] - pd.Timedelta(weeks=3))
    ]
    stale = dataclasses.replace(base, sessions_history=late)
    view = build_view(stale)
    assert view.freshness_warnings == [
        "south: latest sessions are from the week of 2 November, 2 weeks before the last "
        "complete week: check the sessions export."
    ]
    assert "Latest sessions are from the week of 2 November" in " ".join(view.clinics[1].notes)
    assert view.trust_line.startswith("Data: late data for south;")
    lenient = build_view(dataclasses.replace(stale, options=ReportConfig(max_missing_weeks=2)))
    assert lenient.freshness_warnings == []


def test_render_is_deterministic(html: str) -> None:
    assert render_html(report_data()) == html  # equal data built afresh: byte-identical page


def test_render_does_not_modify_its_inputs(data: ReportData, html: str) -> None:
    fresh = report_data()
    for f in dataclasses.fields(ReportData):
        a, b = getattr(data, f.name), getattr(fresh, f.name)
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b)
        elif f.name == "archive":
            pd.testing.assert_frame_equal(a.forecasts, b.forecasts)
        else:
            assert a == b


def test_write_report_writes_index_html(tmp_path, view: ReportView, html: str) -> None:
    path = write_report(tmp_path / "2026-W48", view)
    assert path == tmp_path / "2026-W48" / "index.html"
    assert path.read_text(encoding="utf-8") == html
    assert sorted(p.name for p in path.parent.iterdir()) == ["clinics", "index.html"]
    written = sorted(p.relative_to(path.parent).as_posix() for p in path.parent.glob("clinics/*"))
    assert written == sorted(c.page for c in view.clinics)
    first = path.parent / view.clinics[0].page
    assert first.read_text(encoding="utf-8") == render_clinic_html(view, view.clinics[0])


def test_hostile_clinic_without_procedures_or_staffing_renders_as_text() -> None:
    base = report_data()
    procedures, sessions = history([HOSTILE])
    extra = forecast("south", procedures=False).assign(clinic_id=HOSTILE)
    data = dataclasses.replace(
        base,
        procedures_history=pd.concat([base.procedures_history, procedures], ignore_index=True),
        sessions_history=pd.concat([base.sessions_history, sessions], ignore_index=True),
        forecast=pd.concat([base.forecast, extra], ignore_index=True),
        notes={HOSTILE: "no session history: <b>bold</b>"},
    )
    out = _all_pages(data)
    assert "<script" not in out and "<b>bold" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    hostile = _sections(out)["&lt;script&gt;alert(1)&lt;/script&gt;"]
    assert "No procedure forecast for this clinic" in hostile
    assert "No staffing figures for this clinic" in hostile
    assert "Check the roster export" in hostile and 'class="headline check"' in hostile
    assert "Next week: about 52 sessions (38–69)." in hostile
    assert "No session history: &lt;b&gt;bold&lt;/b&gt;." in hostile
    assert hostile.count("data:image/png;base64,") == 2  # sessions, procedure history
    assert "No staffing figures for: &lt;script&gt;" in out


def test_find_report_picks_the_latest_week_or_the_named_one(tmp_path) -> None:
    for week in ("2026-W09", "2026-W10", "2025-W52"):
        (tmp_path / week).mkdir()
        (tmp_path / week / "index.html").write_text("x")
    (tmp_path / ".2026-W11.tmp").mkdir()  # an unfinished publish is not a report
    assert find_report(tmp_path) == tmp_path / "2026-W10" / "index.html"
    assert find_report(tmp_path, "2025-W52") == tmp_path / "2025-W52" / "index.html"
    with pytest.raises(ConfigError, match="no report for 2026-W01"):
        find_report(tmp_path, "2026-W01")
    with pytest.raises(ConfigError, match="YYYY-Www"):
        find_report(tmp_path, "W10")
    with pytest.raises(ConfigError, match="lymphcast weekly"):
        find_report(tmp_path / "empty")
