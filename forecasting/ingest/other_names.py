"""Procedure names counted as other, per clinic: listed with enough rows, else only counted.

A name no synonym matches (``ingest.procedure_synonyms`` and the built-in vocabulary) is
counted as ``other``. Per export, the unknown names' completed and scheduled rows are reduced
to daily totals (clinic, name, date); across exports the re-export rule drops superseded days
(``aggregate.survivors``), so a re-exported row is counted once. Per clinic, a name seen in at
least ``ingest.other_name_min_rows`` rows is listed with its rows and procedures; a rarer name
may be a patient's name typed into the wrong column, so it is only counted, never written.
"""

from __future__ import annotations

import pandas as pd

from forecasting import columns as C
from forecasting.ingest import aggregate as agg
from forecasting.ingest.manifest import ClinicOtherNames, OtherName
from forecasting.ingest.schema import UNKNOWN_NAME

__all__ = ["NAME", "clinic_other_names", "unknown_daily"]

NAME = "procedure_name"
_COUNTED = ("completed", "scheduled")  # the statuses that feed the forecast
_KEYS = [C.CLINIC, NAME, "date"]
_EMPTY = pd.DataFrame(
    {C.CLINIC: [], NAME: [], "date": pd.Series(dtype="datetime64[s]")}
    | {agg.COUNT: pd.Series(dtype="float64"), agg.ROWS: pd.Series(dtype="int64")}
)  # never modified: frames are not mutated here or by the callers


def unknown_daily(accepted_rows: pd.DataFrame) -> pd.DataFrame:
    """Daily totals of one export's completed and scheduled rows under unknown names.

    Args:
        accepted_rows: The export's accepted, typed procedure rows (``clinic_id``,
            ``procedure_name``, ``date``, ``status``, ``count`` and the unknown-name flag).

    Returns:
        ``clinic_id, procedure_name, date, count, rows`` (one row per clinic, name and day).
    """
    keep = accepted_rows[UNKNOWN_NAME].to_numpy() & accepted_rows["status"].isin(_COUNTED)
    if not keep.any():  # the usual export: every name known
        return _EMPTY
    rows = accepted_rows.loc[keep, [*_KEYS, "count"]]
    grouped = rows.groupby(_KEYS, sort=True, observed=True)["count"]
    out = pd.DataFrame({agg.COUNT: grouped.sum(), agg.ROWS: grouped.size()}).reset_index()
    return out.astype({agg.COUNT: "float64", agg.ROWS: "int64"})


def clinic_other_names(
    unknown: pd.DataFrame, procedures: pd.DataFrame, min_rows: int
) -> list[ClinicOtherNames]:
    """Per clinic with unknown names, its names (rare ones withheld) and their share.

    Args:
        unknown: ``unknown_daily`` of the exports, re-exports resolved.
        procedures: The procedures' daily totals, re-exports resolved (``clinic_id, status,
            count``): the base of each clinic's share.
        min_rows: ``ingest.other_name_min_rows``.

    Returns:
        One entry per clinic that has unknown names, by clinic id.
    """
    if unknown.empty:
        return []
    counted = procedures.loc[procedures["status"].isin(_COUNTED)]
    totals = counted.groupby(C.CLINIC, sort=True)[agg.COUNT].sum()
    names = unknown.groupby([C.CLINIC, NAME], sort=True)[[agg.COUNT, agg.ROWS]].sum()
    out = []
    for clinic, rows in names.groupby(level=C.CLINIC, sort=True):
        rows = rows.droplevel(C.CLINIC)
        listed = rows[rows[agg.ROWS] >= min_rows]
        listed = listed.sort_values([agg.COUNT, agg.ROWS], ascending=False, kind="stable")
        rare = rows[rows[agg.ROWS] < min_rows]
        out.append(
            ClinicOtherNames(
                clinic_id=str(clinic),
                procedures=int(totals.get(clinic, 0)),
                unknown_procedures=int(rows[agg.COUNT].sum()),
                names=[
                    OtherName(name=str(name), rows=int(r[agg.ROWS]), procedures=int(r[agg.COUNT]))
                    for name, r in listed.iterrows()
                ],
                withheld_names=len(rare),
                withheld_rows=int(rare[agg.ROWS].sum()),
                withheld_procedures=int(rare[agg.COUNT].sum()),
            )
        )
    return out
