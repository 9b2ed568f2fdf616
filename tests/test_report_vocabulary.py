"""The data section's procedure names counted as other, and skipped paths, end to end."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from forecasting.ingest import ClinicOtherNames, OtherName, SkippedPath
from forecasting.report.ingest_text import files_sentence
from forecasting.report.vocabulary import other_names_view

PLANTED = "Body contouring (trunk)"  # a name the vocabulary does not know
RARE = "Zelda Quixote"  # a patient's name in the procedure column: 3 rows


def test_view_shows_names_with_share_and_warns_above_the_setting() -> None:
    north = ClinicOtherNames(
        clinic_id="north", procedures=1000, unknown_procedures=84,
        names=[OtherName(name=PLANTED, rows=80, procedures=80)],
        withheld_names=3, withheld_rows=4, withheld_procedures=4,
    )  # fmt: skip
    south = ClinicOtherNames(
        clinic_id="south", procedures=1000, unknown_procedures=20,
        names=[OtherName(name="Zap", rows=20, procedures=20)],
    )  # fmt: skip
    view = other_names_view([north, south], warn_share=0.05)
    assert [c.clinic for c in view.clinics] == ["north", "south"]
    (warning,) = view.warnings  # south: 2%, under 5%
    assert warning.startswith("north: 8% of its procedures (84 of 1,000) have names")
    assert "[ingest.procedure_synonyms]" in warning
    n = view.clinics[0]
    assert n.table is not None and n.table.rows[0].cells == [PLANTED, "80", "80", "8%"]
    assert n.table.rows[0].mark == "warn"
    assert n.withheld == "And 3 rare names, 4 rows, not shown."
    assert view.clinics[1].warning == "" and view.clinics[1].table.rows[0].mark == ""
    assert view.trust == "unknown procedure names in north"
    assert other_names_view([south], warn_share=0.01).warnings  # the setting decides
    assert other_names_view([], warn_share=0.05).clinics == []


def test_only_withheld_names_are_counted_without_a_table() -> None:
    c = ClinicOtherNames(
        clinic_id="east", procedures=50, unknown_procedures=3, withheld_names=1,
        withheld_rows=3, withheld_procedures=3,
    )  # fmt: skip
    (entry,) = other_names_view([c], warn_share=0.05).clinics
    assert entry.table is None
    assert entry.withheld == "1 rare name, 3 rows, not shown."
    assert entry.warning.startswith("east: 6% of its procedures (3 of 50)")


def test_files_sentence_counts_skipped_paths() -> None:
    ingest = [{"rows_quarantined": 0, "status": "ok"}]
    assert "not read" not in files_sentence(ingest)
    skipped = [SkippedPath(path="a.csv", reason="x"), SkippedPath(path="b", reason="y")]
    text = files_sentence(ingest, skipped)
    assert "2 paths in the raw folder were not read" in text
    assert "ingest_manifest.json lists each with why" in text


def _texts(folder) -> dict[str, str]:
    """Every file under ``folder`` as text: PDF text, XLSX cells, parquet rows, raw bytes."""
    out = {}
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        if path.suffix == ".pdf":
            pages = PdfReader(io.BytesIO(path.read_bytes())).pages
            text = " ".join(p.extract_text() for p in pages)
        elif path.suffix == ".xlsx":
            book = load_workbook(path)
            text = " ".join(
                str(c.value) for s in book.worksheets for row in s.iter_rows() for c in row
            )
        elif path.suffix == ".parquet":
            text = pd.read_parquet(path).to_csv()
        else:
            text = path.read_text(encoding="utf-8", errors="replace")
        out[str(path)] = text
    return out


@pytest.fixture(scope="module")
def published(demo_exports, tmp_path_factory):
    """A demo clinic's week with a planted unknown name (>= 5 rows, above 5% of its
    procedures), a rare one (3 rows) and a dangling link in raw; seasonal naive, no Prophet."""
    from forecasting import week as pipeline
    from forecasting.config import Config
    from forecasting.ingest import ingest, load_processed, write_processed
    from forecasting.layout import DataLayout
    from forecasting.report import publish_week

    tmp = tmp_path_factory.mktemp("vocab")
    raw, processed, reports = tmp / "raw", tmp / "processed", tmp / "reports"
    demo = demo_exports(raw, clinics=1, years=1, seed=3, end=date(2026, 11, 30))
    (procedures,) = [p for p in demo.files if p.name.startswith("procedures")]
    clinic = procedures.stem.removeprefix("procedures_")
    # A later export of the last days (with a later last date, it wins the days it covers, as
    # a re-export does) with the planted names: 150 rows of PLANTED and 3 of RARE, in the
    # week before the cut-off.
    days = pd.date_range("2026-11-16", "2026-11-22").strftime("%Y-%m-%d").tolist()
    rows = [f"{days[i % 7]},{clinic},{PLANTED},completed" for i in range(150)]
    rows += [f"{days[i]},{clinic},{RARE},completed" for i in range(3)]
    rows += [f"2027-06-07,{clinic},Liposuction,scheduled"]  # after the demo's last booking
    (raw / "procedures_zz_reexport.csv").write_text(
        "date,clinic_id,procedure,status\n" + "\n".join(rows) + "\n"
    )
    (raw / "sessions_old.csv").symlink_to(tmp / "moved-away.csv")
    config = Config.model_validate({"model": {"name": "seasonal_naive"}, "n_paths": 50})
    result = ingest(raw, config.ingest, date(2026, 11, 30))
    write_processed(result, processed)
    inputs = pipeline.cut_inputs(*load_processed(processed), as_of=date(2026, 11, 23))
    weekly = pipeline.run_week(inputs, config)
    layout = DataLayout(processed=processed, reports=reports)
    index = publish_week(layout, inputs, weekly, config, result.manifest)
    return index, processed, result, clinic


def test_report_shows_the_planted_name_with_its_share_and_the_warning(published) -> None:
    index, _, result, clinic = published
    (entry,) = result.manifest.other_names
    assert entry.clinic_id == clinic and entry.share > 0.05
    assert [(n.name, n.rows) for n in entry.names] == [(PLANTED, 150)]
    assert (entry.withheld_names, entry.withheld_rows) == (1, 3)
    html = index.read_text(encoding="utf-8")
    share = f"{round(150 / entry.procedures * 100)}%"
    assert "Procedure names counted as other" in html
    assert f"<li>{clinic}: {round(entry.share * 100)}% of its procedures" in html
    assert PLANTED in html and f">{share}</td>" in html
    assert "1 rare name, 3 rows, not shown." in html
    assert "unknown procedure names in " + clinic in html  # the trust line, at the top
    assert "1 path in the raw folder was not read" in html
    pdf = " ".join(p.extract_text() for p in PdfReader(index.parent / "report.pdf").pages)
    assert "Procedure names counted as other" in pdf


def test_rare_name_is_written_nowhere(published) -> None:
    index, processed, result, _ = published
    texts = _texts(index.parent) | _texts(processed)
    assert any(PLANTED in t for t in texts.values())  # the search can find a name
    leaks = [path for path, text in texts.items() if "Zelda" in text or "Quixote" in text]
    assert leaks == []


def test_manifest_lists_the_dangling_link(published) -> None:
    _, processed, _, _ = published
    import json

    manifest = json.loads((processed / "ingest_manifest.json").read_text())
    assert [s["path"] for s in manifest["skipped"]] == ["sessions_old.csv"]
