"""The data section's sentence about the files: rows quarantined, files rejected, paths skipped,
session services and referral types the ingest did not know or the configuration does not have."""

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
    text += _names(ingest)
    if skipped:
        verb = "was" if len(skipped) == 1 else "were"
        text += (
            f" {T.counted(len(skipped), 'path')} in the raw folder {verb} not read (a broken "
            "link, a folder or a file that cannot be opened): data/processed/"
            "ingest_manifest.json lists each with why."
        )
    return text


def _summed(ingest: Sequence[dict], key: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for record in ingest:
        for name, rows in (record.get(key) or {}).items():
            out[str(name)] = out.get(str(name), 0) + int(rows)
    return out


def _listed(counts: dict[str, int], quoted: bool) -> str:
    by_rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = [(f'"{n}"' if quoted else n, r) for n, r in by_rows]
    return ", ".join(f"{n} ({T.counted(r, 'row')})" for n, r in shown)


def _names(ingest: Sequence[dict]) -> str:
    """Session service names and referral types no vocabulary knows (their rows quarantined;
    a name is shown only with ``ingest.other_name_min_rows`` rows in a file, the ingest never
    wrote a rarer one) and sessions of services the configuration does not have."""
    text = ""
    for what, key, fix in (
        ("service names no known service", "service", "add them to [services.<name>] names"),
        (
            "referral_type names no known referral type",
            "referral_type",
            "add them under [ingest.referral_synonyms]",
        ),
    ):
        listed = _summed(ingest, f"{key}s_unknown")
        rare = sum(int(r.get(f"{key}_names_withheld") or 0) for r in ingest)
        if not listed and not rare:
            continue
        parts = [_listed(listed, quoted=True)] if listed else []
        if rare:
            parts.append(f"{T.counted(rare, 'rarer name')} (not shown)")
        text += (
            f" Rows whose {what} are quarantined: {' and '.join(parts)}; {fix} in lymphcast.toml."
        )
    other = _summed(ingest, "services_not_configured")
    if other:
        text += (
            f" Sessions of services lymphcast.toml does not have are counted, not forecast or "
            f"staffed: {_listed(other, quoted=False)}; a [services.<name>] table staffs one."
        )
    return text
