"""Prefect artifacts of a weekly run: the decisions, the staffing table and a link to the report.

Made from what the run published (reports/<ISO week>/run_manifest.json's ``report`` record and
staffing.csv), so the Prefect UI shows exactly what the report says. The keys are stable, so
the UI keeps each artifact's history across weekly runs.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import task
from prefect.artifacts import (
    create_link_artifact,
    create_markdown_artifact,
    create_table_artifact,
)

from forecasting.errors import LymphcastError

SUMMARY_KEY = "weekly-staffing-summary"
TABLE_KEY = "weekly-staffing-table"
LINK_KEY = "weekly-staffing-report"
WARNINGS_KEY = "weekly-staffing-warnings"  # only when a clinic has a problem (exit 3)

__all__ = [
    "LINK_KEY",
    "SUMMARY_KEY",
    "TABLE_KEY",
    "WARNINGS_KEY",
    "publish_artifacts",
    "summary_markdown",
    "warnings_markdown",
]

# Characters that start Markdown markup inside a line (links, emphasis, code, table cells).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def _md(text: Any) -> str:
    """Text that Markdown and HTML show as typed (a clinic name cannot inject markup)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(str(text), quote=False))


def summary_markdown(record: dict[str, Any]) -> str:
    """The network headline and each clinic's action as Markdown.

    Args:
        record: ``ReportView.summary_record()`` (``iso_week, as_of, headline, trust,
            accuracy, clinics: [{clinic_id, status, action, lines}]``, with several services
            ``skills``: sentences).
    """
    lines = [
        f"# Weekly staffing, {_md(record.get('iso_week', ''))}",
        "",
        f"Data up to {_md(record.get('as_of', ''))} (cut-off, not included).",
        "",
    ]
    lines += [f"**{_md(sentence)}**" for sentence in record.get("headline", [])]
    lines += ["", "| Clinic | Decision | Figures |", "|---|---|---|"]
    for clinic in record.get("clinics", []):
        figures = " ".join(clinic.get("lines", []))
        lines.append(f"| {_md(clinic['clinic_id'])} | {_md(clinic['action'])} | {_md(figures)} |")
    if record.get("skills"):  # several services: skill gaps and what would close them
        lines += ["", "## Services and skills", ""]
        lines += [f"- {_md(sentence)}" for sentence in record["skills"]]
    lines += ["", _md(record.get("trust", "")), "", _md(record.get("accuracy", ""))]
    return "\n".join(lines) + "\n"


def warnings_markdown(week: str, problems: list[dict[str, Any]]) -> str:
    """The clinics' problems (run_manifest.json ``problems``) as Markdown, one line each."""
    lines = [f"# Completed with warnings, {_md(week)}", ""]
    lines += [
        f"- **{_md(p['clinic_id'])}**: {_md(p['sentence'])}; {_md(p['fix'])}." for p in problems
    ]
    return "\n".join(lines) + "\n"


def _table(staffing: pd.DataFrame) -> list[dict[str, Any]]:
    records = staffing.astype(object).where(staffing.notna(), None).to_dict(orient="records")
    return [{str(k): v for k, v in r.items()} for r in records]


@task(name="publish-artifacts", retries=2, retry_delay_seconds=[1, 5])
def publish_artifacts(index_path: str | Path) -> dict[str, str]:
    """Create the run's markdown, table and link artifacts; return their ids by key.

    Args:
        index_path: the published report's ``index.html`` (its directory holds
            run_manifest.json and staffing.csv).
    """
    index = Path(index_path).resolve()
    folder = index.parent
    manifest_path = folder / "run_manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        record = manifest["report"]
        staffing = pd.read_csv(folder / "staffing.csv")
    except (OSError, KeyError, ValueError) as err:
        raise LymphcastError(
            f"The report in {folder} is incomplete ({type(err).__name__}: {err}); "
            "run `lymphcast weekly` again to publish it whole."
        ) from None
    week = record.get("iso_week", folder.name)
    ids = {
        SUMMARY_KEY: create_markdown_artifact(
            markdown=summary_markdown(record),
            key=SUMMARY_KEY,
            description=f"Decisions of the weekly staffing report {week}",
        ),
        TABLE_KEY: create_table_artifact(
            table=_table(staffing),
            key=TABLE_KEY,
            description=f"staffing.csv of {week}: therapist hours and FTE per clinic and week",
        ),
        LINK_KEY: create_link_artifact(
            link=index.as_uri(),
            link_text=f"Weekly staffing report {week}",
            key=LINK_KEY,
            description=f"The report of {week} (HTML; report.pdf and staffing.xlsx beside it)",
        ),
    }
    problems = manifest.get("problems") or []
    if problems:
        ids[WARNINGS_KEY] = create_markdown_artifact(
            markdown=warnings_markdown(week, problems),
            key=WARNINGS_KEY,
            description=f"Clinics that need attention in {week} (the run completed with warnings)",
        )
    return {k: str(v) for k, v in ids.items()}
