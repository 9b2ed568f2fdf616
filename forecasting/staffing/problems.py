"""Clinic problems as data: one clinic's fault, its sentence and its fix."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from forecasting import columns as C

__all__ = ["NO_ROSTER", "ClinicProblem", "problem_texts", "published_problems", "unrostered"]

NO_ROSTER = "no_roster"


@dataclass(frozen=True)
class ClinicProblem:
    """A problem of one clinic: the run goes on for every other clinic."""

    clinic_id: str
    kind: str
    sentence: str
    fix: str

    def text(self) -> str:
        """The problem and its fix as one sentence for the report and the manifest."""
        return f"{self.clinic_id}: {self.sentence}; {self.fix}."


def unrostered(roster: pd.DataFrame, clinics: list[str]) -> list[ClinicProblem]:
    """A :data:`NO_ROSTER` problem for each clinic of ``clinics`` without a roster row."""
    listed = {str(c) for c in roster[C.CLINIC]} if len(roster) else set()
    return [
        ClinicProblem(
            clinic_id=c,
            kind=NO_ROSTER,
            sentence="the roster has no therapist for this clinic (staffing shows roster 0)",
            fix="add the clinic's therapists to the roster export (clinic_id, therapist_id, "
            "weekly_hours) and run again",
        )
        for c in clinics
        if c not in listed
    ]


def problem_texts(problems: Sequence[ClinicProblem]) -> dict[str, list[str]]:
    """Per clinic, its problems as ``sentence: fix`` for the report (in the order found)."""
    out: dict[str, list[str]] = {}
    for p in problems:
        out.setdefault(p.clinic_id, []).append(f"{p.sentence}: {p.fix}")
    return out


def published_problems(index_path: str | Path) -> list[str]:
    """The problems a published report names (its run_manifest.json), one sentence each."""
    manifest = Path(index_path).parent / "run_manifest.json"
    try:
        problems = json.loads(manifest.read_text(encoding="utf-8")).get("problems") or []
    except (OSError, ValueError):
        return []
    return [ClinicProblem(**p).text() for p in problems]
