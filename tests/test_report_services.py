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


def test_the_pdf_has_the_services_table(three: Path) -> None:
    from pypdf import PdfReader

    text = " ".join(p.extract_text() for p in PdfReader(three.parent / "report.pdf").pages)
    text = re.sub(r"\s+", " ", text)
    assert text.count(SECTION) >= 1 + 3  # the network and each clinic
    assert GAP.search(text)


def test_mld_alone_shows_no_services_section(tmp_path: Path) -> None:
    index = _publish(tmp_path, ("mld",))
    assert SECTION not in index.read_text(encoding="utf-8")
    assert "<h1>MLD sessions and therapist staffing</h1>" in index.read_text(encoding="utf-8")
    for page in (index.parent / "clinics").glob("*.html"):
        assert SECTION not in page.read_text(encoding="utf-8")
