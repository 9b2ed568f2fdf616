"""Stale data: how many weeks old a clinic's newest data is, the report's banner and action."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from forecasting.calendar import week_start
from forecasting.columns import COMPLETED, SESSIONS, WEEK
from forecasting.report.frames import Frames

__all__ = ["stale_action", "stale_banner", "weeks_old"]


def weeks_old(frames: Frames, names: Sequence[str], as_of: pd.Timestamp) -> dict[str, int]:
    """Per clinic with data: weeks between the last complete week before the cut-off and its
    newest week with procedures or sessions (0 when that week is the last complete one)."""
    cutoff = week_start(as_of)
    expected = cutoff - pd.Timedelta(weeks=1)
    out: dict[str, int] = {}
    for name in names:
        weeks: list[pd.Timestamp] = []
        for frame, col in ((frames.procedures, COMPLETED), (frames.sessions, SESSIONS)):
            rows = frames.of_clinic(frame, name)
            if rows.empty or col not in rows:
                continue
            seen = rows.loc[(rows[WEEK] < cutoff) & (rows[col] > 0), WEEK]
            if not seen.empty:
                weeks.append(pd.Timestamp(seen.max()))
        if weeks:
            out[name] = max((expected - max(weeks)).days // 7, 0)
    return out


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
