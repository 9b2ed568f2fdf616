"""The ingest manifest: what each raw export gave, typed, and the text of its JSON file.

One :class:`FileEntry` per raw file (its accounting, status and how it was read), in file
order, inside an :class:`IngestManifest`, with the paths of the raw folder that were skipped
(:class:`SkippedPath`) and, per clinic, the procedure names counted as other
(:class:`ClinicOtherNames`; a name in fewer than ``ingest.other_name_min_rows`` rows is
counted, never written). ``IngestManifest.to_json()`` is the file's text:
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
        kind: procedures, sessions, referrals, roster or clinics; None when it could not be
            told.
        status: ``ok`` or ``rejected`` (then ``error`` says why, naming the fix).
        format, encoding, delimiter, sheet: How the file was read (csv: encoding and
            delimiter; xlsx: the sheet).
        identifier_columns_dropped: Patient-identifier columns never read into the outputs.
        columns_ignored: Named columns that are neither a field nor an identifier.
        date_order: ``month-first`` or ``day-first``: how its slash dates were read.
        procedures_counted_as_other: Procedure names not in the vocabulary seen in at least
            ``ingest.other_name_min_rows`` rows (procedures); rarer names are never written.
        other_names_withheld: How many rarer such names were counted but not named.
        rows_not_counted: Session rows that hold no therapist hour of a configured service
            (cancelled or scheduled, or of a service the configuration does not have).
        booked_on_ignored: Unreadable or after-surgery booking dates left out (procedures).
        rows_superseded: Accepted rows a later re-export replaced (files that were used).
        skills_unknown: Roster skill names that are no known skill (``ingest.skill_synonyms``
            and the services' skills), seen in at least ``ingest.other_name_min_rows`` rows;
            the row is kept with its known skills.
        skill_names_withheld: How many rarer such names were counted but not named.
        services_not_configured: Session rows (accepted, any status) per service the
            configuration does not have (``deep_tissue``, ``wellness``, ...): real services,
            not forecast or staffed.
        services_unknown: Session service names that name no service (rows quarantined), with
            their rows, for names with at least ``ingest.other_name_min_rows`` rows.
        service_names_withheld: How many rarer such names were counted but not named.
        referral_types_unknown, referral_type_names_withheld: The same for referral types.
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
    services_not_configured: dict[str, int] | None = None
    services_unknown: dict[str, int] | None = None
    service_names_withheld: int | None = None
    referral_types_unknown: dict[str, int] | None = None
    referral_type_names_withheld: int | None = None

    def record(self) -> dict[str, Any]:
        """The entry as the JSON file holds it (notes it did not get are left out)."""
        return {k: v for k, v in self.model_dump().items() if k in _ALWAYS or v is not None}


class SkippedPath(BaseModel):
    """A path in the raw folder that was not read: a dangling link, a folder named like an
    export, something that is not a regular file, a file that cannot be opened.

    Attributes:
        path: Relative to the raw folder (POSIX separators).
        reason: Why it was skipped and what to do, in one sentence.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str
    reason: str


class OtherName(BaseModel):
    """A procedure name the vocabulary does not know, as one clinic's exports hold it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    rows: int
    procedures: int


class ClinicOtherNames(BaseModel):
    """One clinic's procedures whose names no synonym matches (counted as ``other``).

    Completed and scheduled rows that survive the re-export rule. Names with at least
    ``ingest.other_name_min_rows`` rows are listed (most procedures first); the rarer ones
    (a patient's name typed into the wrong column, perhaps) are only counted.

    Attributes:
        clinic_id: The clinic.
        procedures: All of the clinic's completed and scheduled procedures (the share's base).
        unknown_procedures: Those under unknown names (named and withheld together).
        names: The unknown names with enough rows, with their rows and procedures.
        withheld_names, withheld_rows, withheld_procedures: The rarer names, counted only.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    clinic_id: str
    procedures: int
    unknown_procedures: int
    names: list[OtherName] = []
    withheld_names: int = 0
    withheld_rows: int = 0
    withheld_procedures: int = 0

    @property
    def share(self) -> float:
        """Share of the clinic's procedures under unknown names (0 with no procedures)."""
        return self.unknown_procedures / self.procedures if self.procedures else 0.0


class IngestManifest(BaseModel):
    """What one ingest read: one entry per raw file, in file-name order; skipped paths by
    name; clinics with unknown procedure names by id."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    files: list[FileEntry] = []
    skipped: list[SkippedPath] = []
    other_names: list[ClinicOtherNames] = []

    def records(self) -> list[dict[str, Any]]:
        """Each file's entry as plain JSON values (the report's ingest table)."""
        return [f.record() for f in self.files]

    def to_json(self) -> str:
        """The manifest file's text (``DataLayout.ingest_manifest``): same ingest, same bytes."""
        body = {
            "files": self.records(),
            "skipped": [s.model_dump() for s in self.skipped],
            "other_names": [c.model_dump() for c in self.other_names],
        }
        return json.dumps(body, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> IngestManifest:
        """The manifest that ``to_json`` wrote."""
        return cls.model_validate_json(text)
