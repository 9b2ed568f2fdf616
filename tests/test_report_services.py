"""The report with several services: "Services and skills" in the network summary, on each
clinic's page and in the PDF; MLD alone shows no such section."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from forecasting import (
    DataLayout,
    generate_demo,
    ingest_exports,
    load_config,
    load_inputs,
    publish_week,
    run_week,
)
from forecasting.report.clinic_ids import clinic_page_path

ROOT = Path(__file__).resolve().parents[1]
END = date(2025, 3, 17)  # a Monday
SECTION = "Services and skills"
GAP = re.compile(r"(MLD|Deep tissue|Post injury) (short \d+ h|uncovered: \d+ h needed) in the week")


def _publish(root: Path, services: tuple[str, ...]) -> Path:
    """A demo of 3 clinics published with the shipped lymphcast.toml (less its [services]
    tables for MLD alone), on a fast model."""
    generate_demo(root / "raw", clinics=3, years=2, seed=3, end=END, services=services)
    config = load_config(ROOT / "lymphcast.toml")
    config = config.model_copy(
        update={
            "n_paths": 200,
            "services": config.services if len(services) > 1 else {},
            "model": config.model.model_copy(update={"name": "seasonal_naive"}),
            "calibration": config.calibration.model_copy(update={"origins": 0}),
        }
    )
    layout = DataLayout(raw=root / "raw", processed=root / "processed", reports=root / "reports")
    ingested = ingest_exports(layout, config)
    inputs = load_inputs(layout, as_of=END)
    return publish_week(layout, inputs, run_week(inputs, config), config, ingested.manifest)


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _publish(tmp_path_factory.mktemp("three"), ("mld", "deep_tissue", "post_injury"))


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


def _services(page: str) -> tuple[dict[str, list[str]], list[str]]:
    """The "Services and skills" table's rows (service -> cells) and the sentences after it."""
    part = re.split(f">{SECTION}</h[23]>", page, maxsplit=1)[1]
    table, rest = part.split("</table>", 1)
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S)[1:]:
        cells = [_text(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)]
        rows[cells[0]] = cells[1:]
    sentences = re.findall(r'<p class="evidence">(.*?)</p>', rest.split('<p class="note">')[0])
    return rows, sentences


def _number(cell: str) -> float:
    return float(cell.replace(",", "").replace("\u2212", "-"))


def test_the_index_shows_each_service_its_skill_and_the_gaps(three: Path) -> None:
    index = three.read_text(encoding="utf-8")
    # its own section after the network's, whose table stays a row per clinic
    network = index.split('<section id="network"', 1)[1].split("</section>", 1)
    assert SECTION not in network[0] and network[1].lstrip().startswith('<section id="services"')
    assert "<h1>Sessions and therapist staffing</h1>" in index  # not MLD's alone
    rows, sentences = _services(index)
    assert list(rows) == ["MLD", "Deep tissue", "Post injury"]
    assert [cells[0] for cells in rows.values()] == ["MLD", "Deep tissue", "Post injury"]
    staffing = pd.read_csv(three.parent / "staffing.csv")
    first = staffing[staffing["week"] == staffing["week"].min()]
    for name, service in (("MLD", "mld"), ("Deep tissue", "deep_tissue")):
        needed, gap = _number(rows[name][3]), _number(rows[name][6])
        assert needed == pytest.approx(first[f"therapist_hours_needed:{service}"].sum(), abs=0.5)
        assert gap == pytest.approx(first[f"gap_hours:{service}"].sum(), abs=0.5)
        unmet = first[f"expected_unmet_sessions:{service}"].sum()
        assert _number(rows[name][8]) == pytest.approx(unmet, abs=0.05)
    # the services' sessions next week add up to about the clinics' total sessions
    total = sum(_number(cells[1]) for cells in rows.values())
    assert total == pytest.approx(first["sessions_p50"].sum(), rel=0.1)
    assert sentences and all(GAP.search(s) for s in sentences)
    clinics = {s.split(":")[0] for s in sentences}
    assert clinics <= set(staffing["clinic_id"].astype(str))
    # per skill, at how many clinics it is short in some week
    short = staffing.loc[staffing["gap_hours:mld"] >= 0.5, "clinic_id"].nunique()
    assert f"MLD short at {short} of 3 clinics in some forecast week" in index


def test_a_clinic_page_shows_its_own_services_and_gap_sentences(three: Path) -> None:
    staffing = pd.read_csv(three.parent / "staffing.csv")
    first = staffing[staffing["week"] == staffing["week"].min()]
    # the clinic with the largest MLD gap in the first week
    clinic = str(first.sort_values("gap_hours:mld").iloc[-1]["clinic_id"])
    page = (three.parent / clinic_page_path(clinic)).read_text(encoding="utf-8")
    rows, sentences = _services(page)
    assert list(rows) == ["MLD", "Deep tissue", "Post injury"]
    row = first[first["clinic_id"] == clinic].iloc[0]
    assert row["gap_hours:mld"] > 0
    assert _number(rows["MLD"][6]) == pytest.approx(row["gap_hours:mld"], abs=0.5)
    assert any(s.startswith("MLD short") for s in sentences)
    _, network = _services(three.read_text(encoding="utf-8"))
    assert {f"{clinic}: {s}" for s in sentences} <= set(network)
    # a sessions chart per service, drawn (the index has none)
    part = re.split(f">{SECTION}</h3>", page, maxsplit=1)[1]
    titles = re.findall(r'<figcaption class="title">(.*?)</figcaption>', part)
    assert titles == [f"{s} sessions per week" for s in ("MLD", "Deep tissue", "Post injury")]
    assert part.count('<img src="data:image/png;base64,') == 3


def test_the_manifest_and_the_summary_artifact_name_the_skill_gaps(three: Path) -> None:
    import json

    from flows.artifacts import summary_markdown

    record = json.loads((three.parent / "run_manifest.json").read_text())["report"]
    assert record["skills"][0].startswith("MLD short at ")
    _, sentences = _services(three.read_text(encoding="utf-8"))
    assert record["skills"][-len(sentences) :] == [s.replace("&#39;", "'") for s in sentences]
    markdown = summary_markdown(record)
    part = markdown.split("## Services and skills\n", 1)[1].split("\n\n", 1)[0]
    assert len([line for line in part.splitlines() if line.startswith("- ")]) == len(
        record["skills"]
    )


def test_the_pdf_has_the_services_table(three: Path) -> None:
    from pypdf import PdfReader

    text = " ".join(p.extract_text() for p in PdfReader(three.parent / "report.pdf").pages)
    text = re.sub(r"\s+", " ", text)
    assert text.count(SECTION) >= 1 + 3  # the network and each clinic
    assert GAP.search(text)


def test_mld_alone_shows_no_services_section(tmp_path: Path) -> None:
    index = _publish(tmp_path, ("mld",))
    assert SECTION not in index.read_text(encoding="utf-8")
    manifest = (index.parent / "run_manifest.json").read_text(encoding="utf-8")
    assert '"skills"' not in manifest
    assert "<h1>MLD sessions and therapist staffing</h1>" in index.read_text(encoding="utf-8")
    for page in (index.parent / "clinics").glob("*.html"):
        assert SECTION not in page.read_text(encoding="utf-8")


# ----------------------------------------------------------------------------------------------
# By hand: two clinics, two services on fixed figures (no run)


def _figures(clinics: tuple[str, ...] = ("north", "south")):
    import numpy as np
    from report_fixtures import report_data

    from forecasting.report.services import ServiceFigures

    data = report_data()
    staffing = data.staffing[data.staffing["clinic_id"].isin(clinics)].copy()
    north = staffing["clinic_id"] == "north"
    staffing["therapist_hours_needed:mld"] = np.where(north, 100.0, 60.0)
    staffing["therapist_hours_needed:deep_tissue"] = np.where(north, 30.0, 20.0)
    staffing["expected_unmet_sessions:mld"] = np.where(north, 2.25, 0.5)
    staffing["expected_unmet_sessions:deep_tissue"] = 0.0
    for skill, rostered, covered, idle in (("mld", 76, 76, 0), ("deep_tissue", 46, 30, 16)):
        staffing[f"hours_rostered:{skill}"] = float(rostered)
        staffing[f"hours_covered:{skill}"] = np.where(north, float(covered), 20.0)
        staffing[f"gap_hours:{skill}"] = np.where(
            north, 100.0 - covered if skill == "mld" else 0.0, 0.0
        )
        staffing[f"idle_hours:{skill}"] = float(idle)
    week = np.arange(1, 4)[:, None] * np.ones(4)  # paths 1, 2, 3 a week: p50 2, horizon p50 8
    paths = {
        "north": {"mld": 10 * week, "deep_tissue": week},
        "south": {"mld": week, "deep_tissue": week},
    }
    gap = (
        "MLD short 24 h in the week of 2026-11-30 while deep tissue has 16 h idle: "
        "one more MLD-certified therapist, or cross-training, covers it"
    )
    gaps = {"north": [gap]}
    skills = {"mld": "mld", "deep_tissue": "deep_tissue"}
    # MLD's forecast: the fixture's sessions rows (deep tissue has none, so no chart)
    mld = data.forecast[data.forecast["series"] == "sessions"].assign(series="sessions:mld")
    chosen = {c: paths[c] for c in clinics}
    return data, ServiceFigures(skills, staffing, chosen, gaps, forecast=mld)


def test_services_and_skills_add_up_by_hand() -> None:
    from forecasting.report import build_view
    from forecasting.report.services import with_services

    data, figures = _figures()
    view = with_services(build_view(data), figures, data.as_of)
    assert view.title.startswith("Sessions and therapist staffing")
    assert view.services is not None
    table = {r.cells[0]: r.cells[1:] for r in view.services.table.rows}
    assert list(table) == ["MLD", "Deep tissue"]
    # sessions: paths summed over clinics path by path (11, 22, 33 a week), so p50 22 and 88
    # over 4 weeks; hours, cover and unmet summed over the clinics' first week
    assert table["MLD"] == ["MLD", "22", "88", "160", "152", "96", "24", "0", "2.8"]
    assert table["Deep tissue"][:8] == ["Deep tissue", "4", "16", "50", "92", "50", "0", "32"]
    marks = [r.mark for r in view.services.table.rows]
    assert marks == ["short", ""]
    assert view.services.summary[0] == (
        "MLD short at 1 of 2 clinics in some forecast week; 24 h in the first forecast week."
    )
    assert view.services.gaps == [f"north: {figures.gaps['north'][0]}."]
    north, south = view.clinics
    assert north.services is not None and south.services is not None
    assert north.services.table.rows[0].cells[1:6] == ["MLD", "20", "80", "100", "76"]
    assert north.services.gaps == [figures.gaps["north"][0] + "."]
    assert south.services.gaps == [
        "Every skill this clinic needs is covered in every forecast week."
    ]
    # no service history in the fixture: a chart per service from the forecast rows alone
    assert [c.title for c in north.services.charts] == [
        "MLD sessions per week", "Deep tissue sessions per week"
    ]  # fmt: skip


def test_a_clinic_without_staffing_rows_says_so() -> None:
    from forecasting.report import build_view
    from forecasting.report.services import with_services

    data, figures = _figures(("north",))
    view = with_services(build_view(data), figures, data.as_of)
    south = next(c for c in view.clinics if c.name == "south")
    assert south.services is not None
    assert south.services.gaps == ["No staffing figures for this clinic, so no skill cover."]
    assert all(cell == "—" for cell in south.services.table.rows[0].cells[2:])
    assert build_view(data).services is None and "Sessions" not in build_view(data).title[:8]


def test_service_charts_are_drawn_with_the_others_in_order() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from forecasting.report import build_view
    from forecasting.report.clinic_charts import Drawn
    from forecasting.report.drawing import draw_charts
    from forecasting.report.services import with_services

    data, figures = _figures()
    view = with_services(build_view(data), figures, data.as_of)
    here = draw_charts(view)
    with ThreadPoolExecutor(2) as pool:
        pooled = draw_charts(view, pool)
    for a, b in zip(here.clinics, pooled.clinics, strict=True):
        assert a.services is not None and b.services is not None
        mld, deep = a.services.charts
        assert isinstance(mld.draw, Drawn) and mld.png[:4] == b"\x89PNG" and deep.draw is None
        assert [c.png for c in a.charts] == [c.png for c in b.charts]
        assert [c.png for c in a.services.charts] == [c.png for c in b.services.charts]
        assert mld.png not in [c.png for c in a.charts]  # its own chart, not a clinic's
