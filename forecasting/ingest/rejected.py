"""Rejected rows per clinic, read back from the quarantine folder (for the clinic problems)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecasting import columns as C
from forecasting.layout import DataLayout

__all__ = ["rejected_by_clinic"]


def rejected_by_clinic(processed_dir: Path) -> dict[str, int]:
    """Quarantined rows per clinic id (as exported, stripped) over every quarantine file.

    Only the ``clinic_id`` column is read; a file without one (its clinic column could not be
    told) counts for no clinic. An unreadable file is skipped: this is a count for the report,
    never a reason to stop a run.
    """
    counts: dict[str, int] = {}
    for path in sorted(DataLayout(processed=Path(processed_dir)).quarantine.glob("*.csv")):
        try:
            ids = pd.read_csv(path, usecols=[C.CLINIC], dtype=str, keep_default_na=False)
        except (OSError, ValueError):  # no clinic_id column, or not readable as CSV
            continue
        for clinic, n in ids[C.CLINIC].str.strip().value_counts().items():
            if clinic:
                counts[str(clinic)] = counts.get(str(clinic), 0) + int(n)
    return counts
