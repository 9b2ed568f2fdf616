"""Prefect artifacts of a run: the decisions (markdown), staffing.csv (table), the report link."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from report_fixtures import report_data

from flows.artifacts import LINK_KEY, SUMMARY_KEY, TABLE_KEY, summary_markdown
from forecasting.columns import STAFFING_COLUMNS
from forecasting.report import build_view, write_report


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A report folder as write_outputs leaves it (index.html, staffing.csv, run_manifest)."""
    data = report_data()
    view = build_view(data)
    folder = tmp_path_factory.mktemp("reports") / "2026-W48"
    index = write_report(folder, view)
    data.staffing[STAFFING_COLUMNS].to_csv(folder / "staffing.csv", index=False)
    (folder / "run_manifest.json").write_text(json.dumps({"report": view.summary_record()}))
    return index, view


def test_summary_markdown_has_the_headline_and_each_action(published) -> None:
    _, view = published
    text = summary_markdown(view.summary_record())
    assert text.startswith("# Weekly staffing, 2026-W48\n")
    assert "**1 of 2 clinics needs more therapist hours in the next 4 weeks: north.**" in text
    assert "| north | Add about 27 therapist hours in the week of 30 November. |" in text
    assert "| south | No change needed: the roster covers" in text
    assert "Past forecasts, 2 clinics, last 4 weeks: within 9%" in text


def test_summary_markdown_shows_hostile_names_as_text() -> None:
    record = {
        "iso_week": "2026-W48",
        "clinics": [
            {"clinic_id": "<img src=x onerror=alert(1)>|[x](javascript:1)", "action": "*a*",
             "lines": []}
        ],
    }  # fmt: skip
    text = summary_markdown(record)
    assert "<img" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "\\|\\[x\\](javascript:1)" in text and "\\*a\\*" in text


@pytest.mark.slow
def test_a_run_creates_the_three_artifacts_with_stable_keys(published, prefect_harness) -> None:
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from flows.artifacts import publish_artifacts

    index, view = published

    @flow(name="artifacts-test")
    def run() -> dict[str, str]:
        return publish_artifacts(index)

    first, second = run(), run()  # two weekly runs: the same keys, a history of two
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=[SUMMARY_KEY, TABLE_KEY, LINK_KEY])
            )
        )
    by_id = {str(a.id): a for a in found}
    assert set(first) == set(second) == {SUMMARY_KEY, TABLE_KEY, LINK_KEY}
    for key in first:
        assert by_id[first[key]].key == by_id[second[key]].key == key
        assert first[key] != second[key]
    summary = by_id[second[SUMMARY_KEY]]
    assert summary.type == "markdown" and "Add about 27 therapist hours" in summary.data
    table = by_id[second[TABLE_KEY]]
    rows = json.loads(table.data) if isinstance(table.data, str) else table.data
    frame = pd.DataFrame(rows)
    assert list(frame.columns) == STAFFING_COLUMNS and len(frame) == 8
    link = by_id[second[LINK_KEY]]
    assert link.type == "markdown"  # Prefect stores a link artifact as a markdown link
    assert f"[Weekly staffing report 2026-W48]({index.resolve().as_uri()})" in link.data
