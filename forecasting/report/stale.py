"""Clinics without advice: how old stale data is, the report's banner and withheld actions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pandas as pd

from forecasting.calendar import week_start
from forecasting.report.frames import Frames
from forecasting.staffing.problems import weeks_old as clinic_weeks_old

__all__ = ["stale_action", "stale_banner", "weeks_old", "without_advice"]


def weeks_old(frames: Frames, names: Sequence[str], as_of: pd.Timestamp) -> dict[str, int]:
    """Per clinic with data: weeks between the last complete week before the cut-off and its
    newest week with procedures or sessions (0 when that week is the last complete one); the
    same count as the clinic problem ``stale_data`` (:func:`forecasting.staffing.problems`)."""
    old = clinic_weeks_old(frames.procedures, frames.sessions, week_start(as_of))
    return {name: old[name] for name in names if name in old}


def stale_action(weeks: int) -> str:
    """A stale clinic's action in place of staffing advice."""
    return f"Data is {weeks} weeks old: export again (no staffing advice from stale data)."


def stale_banner(old: dict[str, int]) -> str | None:
    """The report's lead sentence when some clinic's data is stale, else None."""
    if not old:
        return None
    parts = ", ".join(f"{name} {weeks} weeks" for name, weeks in sorted(old.items()))
    return (
        f"Stale data: the newest data is older than the last complete week ({parts}); "
        "export again and rerun before acting on this report."
    )


def without_advice(clinic: Any, action: str, cell: str) -> Any:
    """A report ``ClinicView`` whose staffing advice is withheld: ``action`` in its place
    (stale data, or a problem that left the clinic without figures) and ``cell`` as its
    action in the network table, marked for attention."""
    cells = list(clinic.summary.cells)
    cells[1] = cell
    return replace(
        clinic,
        status="check",
        action=action,
        summary=replace(clinic.summary, cells=cells, mark="warn"),
    )
