"""Ingest vocabulary: header synonyms, patient-identifier columns, file kinds.

Headers are compared case-, space-, punctuation- and accent-insensitively (``squash``). A column
is either one of the canonical fields of its file's kind, a patient identifier (dropped at read,
never written anywhere) or ignored.
"""

from __future__ import annotations

import re
import unicodedata
from fnmatch import fnmatchcase

from forecasting.config import IngestConfig

KINDS = ("procedures", "sessions", "roster", "clinics", "availability", "referrals")

_CLINIC = ("clinic_id", "clinic", "site", "location", "clinic_name", "site_id", "location_id")
_COUNT = ("count", "quantity", "qty", "n", "number", "cases")
# Canonical field -> accepted header names (compared after ``squash``), per kind.
FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "procedures": {
        "date": (
            "date", "procedure_date", "surgery_date", "date_of_service", "dos", "service_date",
            "date_of_surgery", "operation_date", "op_date",
        ),
        "clinic_id": _CLINIC,
        "procedure": (
            "procedure", "procedure_type", "procedure_name", "description", "surgery",
            "surgery_type", "procedure_description",
        ),
        "count": _COUNT,
        "status": ("status", "procedure_status", "case_status"),
        "booked_on": ("booked_on", "booking_date", "booked", "date_booked", "booked_date"),
    },
    "sessions": {
        "date": (
            "date", "appointment_date", "session_date", "date_of_service", "dos", "service_date",
            "visit_date", "appt_date",
        ),
        "clinic_id": _CLINIC,
        "service": (
            "service", "service_name", "treatment", "appointment_type", "service_type",
            "appt_type",
        ),
        "count": _COUNT,
        "status": ("status", "appointment_status", "appt_status", "attendance"),
    },
    "roster": {
        "clinic_id": _CLINIC,
        "therapist_id": ("therapist_id", "therapist", "staff_id", "employee_id", "staff"),
        "weekly_hours": ("weekly_hours", "hours", "contracted_hours", "hours_per_week"),
        "start_date": ("start_date", "start", "hire_date", "started"),
        "end_date": ("end_date", "end", "leaving_date", "termination_date"),
        "skills": (
            "skills", "skill", "qualifications", "certifications", "competencies", "trained_in",
            "services_given",
        ),
        "days": ("days", "available_days", "working_days", "workdays", "days_available"),
    },
    # referrals that drive services procedures do not (fracture_immobilisation, injury, ...)
    "referrals": {
        "date": (
            "date", "referral_date", "date_of_referral", "referred_on", "date_referred",
            "referred", "received_on", "date_received", "referral_received",
        ),
        "clinic_id": _CLINIC,
        "referral_type": (
            "referral_type", "referral_reason", "reason_for_referral", "reason", "indication",
            "diagnosis", "referral", "condition",
        ),
        "immobilisation_end": (
            "immobilisation_end", "immobilization_end", "immobilisation_end_date",
            "immobilization_end_date", "end_of_immobilisation", "end_of_immobilization",
            "cast_removal", "cast_removal_date", "cast_removed", "cast_off", "brace_off",
            "brace_removal", "splint_removal",
        ),
        "start_after": (
            "start_after", "earliest_start", "earliest_start_date", "start_from", "not_before",
            "start_no_earlier_than",
        ),
        "count": _COUNT,
    },
    # optional: which region a clinic belongs to, and the name the report shows
    "clinics": {
        "clinic_id": _CLINIC,
        "region": ("region", "area", "district", "territory", "group", "cluster"),
        "display_name": ("display_name", "clinic_display_name", "label", "title"),
    },
    # optional: the hours a therapist can work, per weekday or date (ingest/availability.py)
    "availability": {
        "clinic_id": _CLINIC,
        "therapist_id": ("therapist_id", "therapist", "staff_id", "employee_id", "staff"),
        "weekday": ("weekday", "day_of_week", "dow", "day", "days"),
        "date": ("date", "on_date", "available_on"),
        "start": ("start", "start_time", "from", "available_from", "time_from"),
        "end": ("end", "end_time", "to", "until", "available_until", "time_to"),
    },
}  # fmt: skip
REQUIRED = {
    "availability": ("clinic_id", "therapist_id", "start", "end"),
    "clinics": ("clinic_id",),
    "procedures": ("date", "clinic_id", "procedure"),
    "sessions": ("date", "clinic_id"),
    "roster": ("clinic_id", "therapist_id", "weekly_hours"),
    "referrals": ("date", "clinic_id", "referral_type"),
}
DATE_FIELDS = ("date", "booked_on", "start_date", "end_date", "immobilisation_end", "start_after")

# Patient identifiers: whole header names, and words that make any header an identifier.
_IDENTIFIER_NAMES = {
    "patient", "patientid", "patientname", "mrn", "medicalrecordnumber", "medicalrecord",
    "name", "fullname", "firstname", "lastname", "givenname", "familyname", "middlename",
    "forename", "surname", "initials", "dob", "dateofbirth", "birthdate", "birthday", "age",
    "phone", "phonenumber", "telephone", "tel", "mobile", "cell", "cellphone", "email",
    "emailaddress", "address", "streetaddress", "street", "zip", "zipcode", "postcode",
    "postalcode", "ssn", "socialsecuritynumber", "socialsecurity", "nhsnumber", "chartnumber",
    "insuranceid", "insurancenumber", "memberid", "accountnumber",
}  # fmt: skip
_IDENTIFIER_WORDS = {
    "patient", "pt", "mrn", "dob", "ssn", "name", "phone", "telephone", "tel", "mobile", "cell",
    "email", "mail", "address", "street", "zip", "postcode", "surname", "forename", "birth",
    "birthdate", "nhs", "insurance", "chart", "initials", "client",
}  # fmt: skip


def squash(name: object) -> str:
    """Header or label with accents, case, spaces and punctuation removed: ``'D.O.B.' -> 'dob'``."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^0-9a-z]+", "", text.lower())


def words_of(name: object) -> list[str]:
    """The lower-case words of a name, accents removed: ``'SAL (trunk)' -> ['sal', 'trunk']``."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    return [w for w in re.split(r"[^0-9a-z]+", text.lower()) if w]


class Vocabulary:
    """Header vocabulary of one configuration: synonyms per kind and identifier rules."""

    def __init__(self, config: IngestConfig) -> None:
        self.synonyms: dict[str, dict[str, set[str]]] = {}
        for kind, fields in FIELDS.items():
            table = {field: {squash(s) for s in names} for field, names in fields.items()}
            for field, extra in config.column_synonyms.items():
                if field in table:
                    table[field] |= {squash(s) for s in extra}
            self.synonyms[kind] = table
        self.known = set().union(*(s for t in self.synonyms.values() for s in t.values()))
        self.extra_identifiers = {squash(c) for c in config.extra_identifier_columns}

    def is_identifier(self, header: object) -> bool:
        """True for a header naming patient-identifying data (never for a known field name)."""
        key = squash(header)
        if key in self.extra_identifiers:
            return True
        if key in self.known:
            return False
        words = words_of(header)
        return (
            key in _IDENTIFIER_NAMES
            or key.startswith("patient")
            or any(w in _IDENTIFIER_WORDS for w in words)
            # "P.T. No.", "S.S.N.": single letters spelling an identifier word
            or "".join(w for w in words if len(w) == 1) in {"dob", "ssn", "mrn", "pt"}
        )

    def map_columns(self, headers: list[str], kind: str | None) -> dict[int, str]:
        """Column position -> canonical field, for the non-identifier headers that match.

        With ``kind=None`` every kind's fields are tried (used to keep a rejected file's
        recognised columns in quarantine). The first column matching a field wins.
        """
        table: dict[str, set[str]] = {}
        for k in (kind,) if kind else KINDS:
            for field, names in self.synonyms[k].items():
                table.setdefault(field, set()).update(names)
        out: dict[int, str] = {}
        for pos, header in enumerate(headers):
            key = squash(header)
            if key not in self.known or self.is_identifier(header):
                continue
            for field, names in table.items():
                if key in names and field not in out.values():
                    out[pos] = field
                    break
        return out

    def known_header_count(self, cells: list[str]) -> int:
        """How many cells of a candidate header row name a known field (any kind)."""
        return len({squash(c) for c in cells if str(c).strip()} & self.known)

    def detect_kind(self, stem: str, sheet: str | None, headers: list[str]) -> str | None:
        """Kind from the file name prefix, else the sheet name, else the columns (or None)."""
        for label in (stem, sheet or ""):
            key = squash(label)
            for kind in KINDS:
                # "clinics" by its whole name only: clinic_a_procedures.csv holds procedures
                singular = kind.rstrip("s") if kind != "clinics" else kind
                if key.startswith(kind) or key.startswith(singular):
                    return kind
        fields = {kind: set(self.map_columns(headers, kind).values()) for kind in KINDS}
        if {"therapist_id", "weekly_hours"} <= fields["roster"]:
            return "roster"
        if set(REQUIRED["procedures"]) <= fields["procedures"]:
            return "procedures"
        if {"date", "clinic_id", "service"} <= fields["sessions"]:
            return "sessions"
        if set(REQUIRED["referrals"]) <= fields["referrals"]:
            return "referrals"
        if {"clinic_id", "region"} <= fields["clinics"] and not fields["procedures"] - {
            "clinic_id"
        }:
            return "clinics"
        if {"therapist_id", "start", "end"} <= fields["availability"]:
            return "availability"
        return None


def matches(name: str, patterns: list[str]) -> bool:
    """True when the file name equals or glob-matches one of ``patterns``."""
    return any(name == p or fnmatchcase(name, p) for p in patterns)
