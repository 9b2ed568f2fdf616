"""Cut-off sanity: a data cut-off (``--as-of``) before any history is refused in one sentence."""

from __future__ import annotations

from datetime import date

import pandas as pd

from forecasting import columns as C
from forecasting.calendar import week_start
from forecasting.errors import InputError

__all__ = ["check_cutoff", "refuse_early_cutoff"]


def check_cutoff(procedures: pd.DataFrame, sessions: pd.DataFrame, as_of: date) -> None:
    """Raise when no procedure or session week lies before the week of ``as_of``.

    Raises:
        InputError: ``as_of`` is before the first week of data; the message names that week.
    """
    weeks = pd.concat(
        [pd.to_datetime(procedures[C.WEEK]), pd.to_datetime(sessions[C.WEEK])], ignore_index=True
    )
    if weeks.empty:
        raise InputError("The processed data holds no weeks; run `lymphcast ingest` first.")
    refuse_early_cutoff(weeks.min(), as_of)


def refuse_early_cutoff(first: date | pd.Timestamp | None, as_of: date) -> None:
    """Raise when the first day (or week) of data ``first`` is not before the week of ``as_of``.

    Raises:
        InputError: one sentence naming the first week of data and the fix (exit 2).
    """
    if first is None:
        return
    start = week_start(pd.Timestamp(first))
    if start >= week_start(as_of):
        raise InputError(
            f"--as-of {as_of.isoformat()} is before the first week of data "
            f"({start.date().isoformat()}); pass a cut-off after that week."
        )
