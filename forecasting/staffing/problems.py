"""Clinic problems as data: one clinic's fault, its sentence and its fix."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from forecasting import columns as C
from forecasting.config import Config
from forecasting.staffing.hours import rostered_hours_by_clinic

__all__ = [
    "ALL_REJECTED",
    "NO_DATA",
    "NO_ROSTER",
    "ONLY_BOOKINGS",
    "SHORT_HISTORY",
    "STALE_DATA",
    "ClinicProblem",
    "clinic_problems",
    "problem_texts",
    "published_problems",
    "unrostered",
    "weeks_old",
]

# kinds (docs/operations.md, "Clinic problems", has the table of sentence, fix and exit status)
NO_ROSTER = "no_roster"  # data but no therapist on the roster: forecast, roster 0
ONLY_BOOKINGS = "only_bookings"  # only scheduled (future) procedures: no forecast
ALL_REJECTED = "all_rejected"  # every export row quarantined: no forecast
NO_DATA = "no_data"  # on the roster, in no export: no forecast
SHORT_HISTORY = "short_history"  # a new clinic: a forecast borrowed from the network
STALE_DATA = "stale_data"  # newest data older than report.max_missing_weeks: no advice


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


def weeks_old(
    procedures: pd.DataFrame, sessions: pd.DataFrame, cutoff: pd.Timestamp
) -> dict[str, int]:
    """Per clinic with data: complete weeks between its newest week with completed procedures
    or sessions (before ``cutoff``, a Monday) and the last complete week (0: up to date)."""
    seen = [
        frame.loc[(pd.to_datetime(frame[C.WEEK]) < cutoff) & (frame[col] > 0), [C.CLINIC, C.WEEK]]
        for frame, col in ((procedures, C.COMPLETED), (sessions, C.SESSIONS))
        if col in frame and len(frame)
    ]
    if not seen:
        return {}
    newest = pd.concat(seen).assign(**{C.WEEK: lambda f: pd.to_datetime(f[C.WEEK])})
    expected = cutoff - pd.Timedelta(weeks=1)
    last = newest.groupby(C.CLINIC)[C.WEEK].max()
    return {str(c): max(int((expected - w).days // 7), 0) for c, w in last.items()}


def _missing(clinic: str, booked: set[str], rejected: Mapping[str, int]) -> ClinicProblem:
    """A clinic the run knows (roster, bookings, quarantine) that has no history to forecast."""
    none = "so it has no forecast or staffing figures"
    if rejected.get(clinic):
        return ClinicProblem(
            clinic, ALL_REJECTED,
            f"every export row of this clinic was rejected ({rejected[clinic]:,} rows in "
            f"quarantine), {none}",
            "read the reasons in the quarantine folder of the processed data, correct the "
            "exports and run again",
        )  # fmt: skip
    if clinic in booked:
        return ClinicProblem(
            clinic, ONLY_BOOKINGS,
            "the exports hold only scheduled (future) procedures for this clinic, no completed "
            f"procedures or attended sessions before the cut-off, {none}",
            "export its completed procedures and attended sessions and run again",
        )  # fmt: skip
    return ClinicProblem(
        clinic, NO_DATA,
        f"the roster lists this clinic but no export holds its procedures or sessions, {none}",
        "add its procedures and sessions exports to the raw folder (or take it off the "
        "roster) and run again",
    )  # fmt: skip


def clinic_problems(
    procedures: pd.DataFrame,
    sessions: pd.DataFrame,
    roster: pd.DataFrame,
    booked: set[str],
    rejected: Mapping[str, int],
    weeks: pd.DatetimeIndex,
    config: Config,
) -> list[ClinicProblem]:
    """Every clinic's problems at the cut-off, by clinic (the run goes on for the others).

    Args:
        procedures, sessions: Processed weekly rows before the first forecast week.
        roster: The roster; a clinic with rostered hours in the cut-off week but no history
            is named, as is a clinic with history and no roster row (:func:`unrostered`).
        booked: Clinics with scheduled or booked procedures for the forecast weeks (named
            when rostered in the cut-off week or not on the roster at all: a clinic whose
            therapists start later has not opened yet).
        rejected: Quarantined rows per clinic (:func:`forecasting.ingest.rejected_by_clinic`).
        weeks: The forecast weeks (the first is the cut-off week).
        config: ``model.min_clinic_weeks``, ``report.max_missing_weeks``,
            ``ingest.other_name_min_rows`` (an unrostered id rejected in fewer rows is a typo
            in some row, not a clinic).
    """
    cutoff = pd.Timestamp(weeks[0])
    have = sorted({str(c) for c in procedures[C.CLINIC]} | {str(c) for c in sessions[C.CLINIC]})
    listed = sorted({str(c) for c in roster[C.CLINIC]}) if len(roster) else []
    hours = rostered_hours_by_clinic(roster, listed, weeks)
    # rostered in the cut-off week: a clinic whose therapists start later has not opened yet
    rostered = {c for c in listed if hours[c][0] > 0}
    rare = config.ingest.other_name_min_rows
    named = {c for c, n in rejected.items() if n >= rare or c in rostered}
    named |= {c for c in booked if c in rostered or c not in listed}
    out = unrostered(roster, have)
    out += [_missing(c, booked, rejected) for c in sorted((rostered | named) - set(have))]
    firsts = procedures.groupby(C.CLINIC)[C.WEEK].min() if len(procedures) else pd.Series()
    for clinic, first in firsts.items():
        age = int((cutoff - pd.Timestamp(first)).days // 7)
        if age < config.model.min_clinic_weeks:
            out.append(
                ClinicProblem(
                    str(clinic),
                    SHORT_HISTORY,
                    f"only {age} weeks of history (< model.min_clinic_weeks "
                    f"{config.model.min_clinic_weeks}), so its procedures are forecast from the "
                    "network's seasonal pattern x its own recent level",
                    "check the forecast against its bookings; it firms up as weeks of data arrive",
                )  # fmt: skip
            )
    limit = config.report.max_missing_weeks
    for clinic, old in weeks_old(procedures, sessions, cutoff).items():
        if old > limit:
            out.append(
                ClinicProblem(
                    clinic,
                    STALE_DATA,
                    f"its newest data is {old} weeks older than the last complete week "
                    f"(report.max_missing_weeks {limit}), so no staffing advice is given",
                    "export its procedures and sessions again and run again",
                )  # fmt: skip
            )
    return sorted(out, key=lambda p: p.clinic_id)


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
