"""Availability rows checked against the rosters and combined across exports.

Once every roster is read, an availability row whose therapist is on no roster of its clinic is
quarantined with a reason; then per clinic the availability export whose name sorts last wins
(as for rosters), one processed row per weekday or date (``AVAILABILITY_COLUMNS``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting import columns as C
from forecasting.ingest.availability import (
    AVAILABILITY_COLUMNS,
    DATE,
    START,
    WEEKDAY,
    WEEKDAYS,
    processed_rows,
)
from forecasting.ingest.files import LINE, REASON, FileResult
from forecasting.layout import DataLayout

__all__ = ["UNKNOWN_THERAPIST", "availability_of"]

UNKNOWN_THERAPIST = (
    "therapist_id is on no roster of this clinic (add them to its roster export or correct the id)"
)


def _unknown(result: FileResult, roster: pd.DataFrame) -> FileResult:
    """``result`` with its rows of therapists on no roster of their clinic quarantined."""
    accepted = result.accepted
    if accepted is None or not len(accepted):
        return result
    known = set(zip(roster[C.CLINIC].astype(str), roster[C.THERAPIST].astype(str), strict=True))
    pairs = zip(accepted[C.CLINIC], accepted[C.THERAPIST], strict=True)
    unknown = np.array([pair not in known for pair in pairs], dtype=bool)
    if not unknown.any():
        return result
    text_columns = [c for c in (result.quarantined.columns if result.quarantined is not None
                                else []) if c not in (LINE, REASON)]  # fmt: skip
    moved = accepted.loc[unknown].reindex(columns=[LINE, *text_columns]).fillna("")
    quarantined = (
        pd.concat([result.quarantined, moved.assign(**{REASON: UNKNOWN_THERAPIST})])
        .astype({LINE: "int64"})
        .sort_values(LINE, kind="stable", ignore_index=True)
    )
    out = replace(
        result,
        accepted=accepted.loc[~unknown],
        quarantined=quarantined,
        rows_quarantined=len(quarantined),
        rows_accepted=result.rows_read - len(quarantined),
    )
    if out.rows_accepted == 0:
        out = replace(
            out,
            status="rejected",
            error=f"{result.name}: none of its {result.rows_read} rows passed validation; see "
            f"{DataLayout(processed=Path()).quarantine_file(result.name)} for the reasons.",
        )
    return out


def availability_of(
    files: list[FileResult], roster: pd.DataFrame
) -> tuple[list[FileResult], pd.DataFrame]:
    """The files with unknown therapists' availability rows quarantined, and the processed
    availability (``AVAILABILITY_COLUMNS``): per clinic the file whose name sorts last wins."""
    checked = [
        _unknown(f, roster) if f.kind == "availability" and f.status == "ok" else f for f in files
    ]
    parts = {
        i: f.accepted
        for i, f in enumerate(checked)
        if f.kind == "availability" and f.status == "ok" and f.accepted is not None
    }
    latest: dict[str, str] = {}
    for i in sorted(parts, key=lambda i: checked[i].name):
        latest |= dict.fromkeys(parts[i][C.CLINIC].astype(str).unique(), checked[i].name)
    kept = []
    for i, accepted in parts.items():
        keep = accepted[C.CLINIC].map(latest).eq(checked[i].name).to_numpy()
        kept.append(processed_rows(accepted.loc[keep]))
        notes = {**checked[i].notes, "rows_superseded": int((~keep).sum())}
        checked[i] = replace(checked[i], notes=notes)
    frames = [k for k in kept if len(k)]
    if not frames:
        return checked, pd.DataFrame(columns=AVAILABILITY_COLUMNS).astype({DATE: "datetime64[ns]"})
    out = pd.concat(frames, ignore_index=True).astype({DATE: "datetime64[ns]"})
    order = out[WEEKDAY].map({d: i for i, d in enumerate(WEEKDAYS)})  # dated rows: NaN
    out = out.assign(_order=order).sort_values(
        [C.CLINIC, C.THERAPIST, DATE, "_order", START], kind="stable"
    )
    return checked, out.drop(columns="_order").reset_index(drop=True)
