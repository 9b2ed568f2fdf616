"""[ingest]: how exports are read: names, synonyms, date orders, thresholds."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from forecasting.columns import PROCEDURE_TYPES, REFERRAL_TYPES
from forecasting.config.base import Strict


class IngestConfig(Strict):
    """How raw exports are read (see forecasting/ingest.py and DESIGN.md, "Raw exports")."""

    day_first: list[str] = Field(
        default_factory=list,
        description="raw file names (or glob patterns) whose slash dates are day-first",
    )
    month_first: list[str] = Field(
        default_factory=list,
        description="raw file names (or glob patterns) whose slash dates are month-first",
    )
    clinics: list[str] = Field(
        default_factory=list, description="known clinic ids; empty accepts any"
    )
    procedure_synonyms: dict[str, list[str]] = Field(
        default_factory=dict, description="extra names per procedure type (substrings)"
    )
    referral_synonyms: dict[str, list[str]] = Field(
        default_factory=dict,
        description="extra names per referral type (referrals exports), checked first",
    )
    column_synonyms: dict[
        Literal[
            "date", "clinic_id", "procedure", "count", "status", "booked_on", "service",
            "therapist_id", "weekly_hours", "start_date", "end_date", "skills",
            "referral_type", "immobilisation_end", "start_after",
        ],
        list[str],
    ] = Field(default_factory=dict, description="extra header names per field")  # fmt: skip
    extra_identifier_columns: list[str] = Field(default_factory=list)
    mld_services: list[str] = Field(
        default_factory=lambda: ["lymph", "mld", "drainage"],
        min_length=1,
        description="MLD's names in session exports: a service containing one of these (any "
        "case) is mld, unless a [services.<name>] names entry matched it first",
    )
    skill_synonyms: dict[str, list[str]] = Field(
        default_factory=lambda: {"mld": ["lymph", "drainage"]},
        description="roster skill -> other names for it (the skill's own name always matches); "
        "every service's skill is added",
    )
    min_year: int = Field(
        default=2000, ge=1900, le=2100, description="rows dated before this year are quarantined"
    )
    max_days_ahead: int = Field(
        default=730, ge=0, description="scheduled rows dated further ahead are quarantined"
    )
    max_count: int = Field(
        default=1000, ge=1, description="a row count above this is quarantined (typo guard)"
    )
    max_weekly_hours: float = Field(
        default=80, gt=0, le=168, description="roster hours outside 0..this are quarantined"
    )
    workers: int = Field(
        default=0,
        ge=0,
        le=256,
        description="raw files read at once (processes): 0 = one per CPU, 1 = in-process",
    )
    other_name_min_rows: int = Field(
        default=5,
        ge=1,
        description="a procedure name counted as other is named only with this many rows",
    )

    @field_validator("skill_synonyms")
    @classmethod
    def _skill_names(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        bad = sorted(k for k in v if not re.fullmatch(r"[a-z][a-z0-9_]*", k))
        if bad:
            raise ValueError(f"skill name(s) {bad}: use lower case, digits and underscores")
        return v

    @field_validator("procedure_synonyms", "referral_synonyms")
    @classmethod
    def _known_types(cls, v: dict[str, list[str]], info: ValidationInfo) -> dict[str, list[str]]:
        what, known = (
            ("procedure", PROCEDURE_TYPES)
            if info.field_name == "procedure_synonyms"
            else ("referral", REFERRAL_TYPES)
        )
        unknown = sorted(set(v) - set(known))
        if unknown:
            raise ValueError(f"unknown {what} type(s) {unknown}; use {list(known)}")
        return v
