"""The ingest manifest: what each raw export gave, typed, and the text of its JSON file.

One :class:`FileEntry` per raw file (its accounting, status and how it was read), in file
order, inside an :class:`IngestManifest`. ``IngestManifest.to_json()`` is the file's text:
keys sorted, two-space indent, and the notes a file did not get (a rejected file was never
typed, a roster counts no "other" procedures) left out rather than written as null.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict

# Always written (``error`` and ``kind`` as null when there is none); the rest only when set.
_ALWAYS = frozenset(
    {"path", "sha256", "kind", "rows_read", "rows_accepted", "rows_quarantined", "status", "error"}
)


class FileEntry(BaseModel):
    """One raw export in the manifest: ``rows_read = rows_accepted + rows_quarantined``.

    Attributes:
        path: The raw file as given to the ingest.
        sha256: Hex digest of its bytes ("" when it could not be read).
        kind: procedures, sessions or roster; None when it could not be told.
        status: ``ok`` or ``rejected`` (then ``error`` says why, naming the fix).
        format, encoding, delimiter, sheet: How the file was read (csv: encoding and
            delimiter; xlsx: the sheet).
        identifier_columns_dropped: Patient-identifier columns never read into the outputs.
        columns_ignored: Named columns that are neither a field nor an identifier.
        date_order: ``month-first`` or ``day-first``: how its slash dates were read.
        procedures_counted_as_other: Procedure names not in the vocabulary seen in at least
            ``ingest.other_name_min_rows`` rows (procedures); rarer names are never written.
        other_names_withheld: How many rarer such names were counted but not named.
        rows_not_counted: Session rows that hold no therapist hour (sessions).
        booked_on_ignored: Unreadable or after-surgery booking dates left out (procedures).
        rows_superseded: Accepted rows a later re-export replaced (files that were used).
        skills_unknown: Roster skill names that are no known skill (``ingest.skill_synonyms``
            and the services' skills), seen in at least ``ingest.other_name_min_rows`` rows;
            the row is kept with its known skills.
        skill_names_withheld: How many rarer such names were counted but not named.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str
    sha256: str
    kind: str | None
    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    status: str
    error: str | None
    format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    identifier_columns_dropped: int | None = None
    columns_ignored: int | None = None
    date_order: str | None = None
    procedures_counted_as_other: list[str] | None = None
    other_names_withheld: int | None = None
    rows_not_counted: int | None = None
    booked_on_ignored: int | None = None
    rows_superseded: int | None = None
    skills_unknown: list[str] | None = None
    skill_names_withheld: int | None = None

    def record(self) -> dict[str, Any]:
        """The entry as the JSON file holds it (notes it did not get are left out)."""
        return {k: v for k, v in self.model_dump().items() if k in _ALWAYS or v is not None}


class IngestManifest(BaseModel):
    """What one ingest read: one entry per raw file, in file-name order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    files: list[FileEntry] = []

    def records(self) -> list[dict[str, Any]]:
        """Each file's entry as plain JSON values (the report's ingest table)."""
        return [f.record() for f in self.files]

    def to_json(self) -> str:
        """The manifest file's text (``DataLayout.ingest_manifest``): same ingest, same bytes."""
        return json.dumps({"files": self.records()}, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> IngestManifest:
        """The manifest that ``to_json`` wrote."""
        return cls.model_validate_json(text)
