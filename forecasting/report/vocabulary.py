"""The data section's procedure names counted as other: a warning line and a table per clinic.

From the ingest manifest's ``other_names`` (``forecasting.ingest.other_names``): per clinic,
the names no synonym matches that have enough rows to be shown, with their rows, procedures and
share of the clinic's procedures. A clinic whose unknown names (shown and withheld together)
are more than ``report.other_names_warn_share`` of its procedures gets a warning line above
its table. Rarer names were never written by the ingest: here they are only counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from forecasting.ingest.manifest import ClinicOtherNames
from forecasting.report import text as T
from forecasting.report.tables import Row, Table

__all__ = ["ClinicNames", "OtherNamesView", "other_names_view"]

_HEADER = ["Procedure name", "Rows", "Procedures", "Share of the clinic's procedures"]
_FIX = "map them in [ingest.procedure_synonyms] in lymphcast.toml (to other when none fits)"


@dataclass(frozen=True)
class ClinicNames:
    """One clinic's unknown names: its line, its warning (or ""), its table and what is withheld."""

    clinic: str
    line: str
    warning: str
    table: Table | None
    withheld: str


@dataclass(frozen=True)
class OtherNamesView:
    """The names counted as other, network-wide: intro, warnings first, one entry per clinic."""

    intro: str = ""
    warnings: list[str] = field(default_factory=list)
    clinics: list[ClinicNames] = field(default_factory=list)

    @property
    def trust(self) -> str | None:
        """The part of the report's trust line about them (None when no clinic is warned)."""
        warned = [c.clinic for c in self.clinics if c.warning]
        if not warned:
            return None
        return f"unknown procedure names in {', '.join(warned)}"


def other_names_view(clinics: Sequence[ClinicOtherNames], warn_share: float) -> OtherNamesView:
    """The view of the clinics' unknown procedure names (empty when there are none)."""
    if not clinics:
        return OtherNamesView()
    entries = [_clinic(c, warn_share) for c in clinics]
    intro = (
        "Procedure names that match no procedure type are counted as other (its own care "
        f"pathway), so their sessions may be under- or over-counted; {_FIX}. Names seen in "
        "fewer rows than ingest.other_name_min_rows are counted here but never shown: they "
        "may be a patient's name typed into the wrong column."
    )
    return OtherNamesView(
        intro=intro, warnings=[e.warning for e in entries if e.warning], clinics=entries
    )


def _clinic(c: ClinicOtherNames, warn_share: float) -> ClinicNames:
    share = T.fmt_percent(c.share)
    of = f"{T.fmt_count(c.unknown_procedures)} of {T.fmt_count(c.procedures)}"
    line = f"{share} of the clinic's procedures ({of}) have unknown names."
    warning = ""
    if c.share > warn_share:
        warning = (
            f"{c.clinic_id}: {share} of its procedures ({of}) have names the vocabulary does not "
            f"know and count as other, above the {T.fmt_percent(warn_share)} of "
            f"report.other_names_warn_share; {_FIX}."
        )
    rows = [
        Row(
            cells=[
                n.name,
                T.fmt_count(n.rows),
                T.fmt_count(n.procedures),
                T.fmt_percent(n.procedures / c.procedures) if c.procedures else T.NONE,
            ],
            mark="warn" if warning else "",
        )
        for n in c.names
    ]
    withheld = ""
    if c.withheld_names:
        names = "rare name" if c.withheld_names == 1 else "rare names"
        lead = "And " if rows else ""
        withheld = (
            f"{lead}{c.withheld_names} {names}, {T.counted(c.withheld_rows, 'row')}, not shown."
        )
        withheld = withheld[0].upper() + withheld[1:]
    table = Table(header=_HEADER, rows=rows, labels=["Name", "Rows", "Procedures", "Share"])
    return ClinicNames(
        clinic=c.clinic_id,
        line=line,
        warning=warning,
        table=table if rows else None,
        withheld=withheld,
    )
