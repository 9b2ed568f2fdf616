"""The data section's sentence about the files: rows quarantined, files rejected, paths skipped."""

from __future__ import annotations

from collections.abc import Sequence

from forecasting.ingest.manifest import SkippedPath
from forecasting.report import text as T

__all__ = ["files_sentence"]


def files_sentence(ingest: Sequence[dict], skipped: Sequence[SkippedPath] = ()) -> str:
    """What the ingest kept out: quarantined rows, rejected files, skipped paths (counted;
    the ingest manifest lists each skipped path with why)."""
    if not ingest:
        return "No ingest records for this run."
    quarantined = sum(int(i.get("rows_quarantined") or 0) for i in ingest)
    with_rows = sum(1 for i in ingest if int(i.get("rows_quarantined") or 0))
    rejected = [i for i in ingest if str(i.get("status") or "") != "ok"]
    text = (
        f"{T.counted(quarantined, 'row')} quarantined this run"
        + (f", in {with_rows} of {len(ingest)} files" if quarantined else "")
        + "."
    )
    if rejected:
        text += f" {T.counted(len(rejected), 'file')} rejected whole (see the Error column)."
    if quarantined or rejected:
        text += " Quarantined rows are kept with their reason under data/processed/quarantine/."
    if skipped:
        verb = "was" if len(skipped) == 1 else "were"
        text += (
            f" {T.counted(len(skipped), 'path')} in the raw folder {verb} not read (a broken "
            "link, a folder or a file that cannot be opened): data/processed/"
            "ingest_manifest.json lists each with why."
        )
    return text
