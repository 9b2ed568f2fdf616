"""Clinic ids made safe for the report: shortened, bidi-neutral display text and a stable page path.

The CSVs keep a clinic id exactly as it is; only what the HTML shows and the file name of a
clinic's page go through here. ``clinic_page_path`` is the one place that names a clinic's page
(relative to the report's ``index.html``), so the index, delivery and anything else linking a
clinic agree.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from markupsafe import Markup

__all__ = [
    "BIDI_CONTROLS",
    "CLINICS_FOLDER",
    "ClinicLabel",
    "REGIONS_FOLDER",
    "region_page_path",
    "clinic_label",
    "clinic_page_path",
    "display_id",
    "full_text",
    "neutralise_bidi",
    "shown_text",
]

#: Bidirectional embedding/override/isolate/mark characters that can reorder displayed text.
BIDI_CONTROLS = frozenset(
    [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
    + ["\u200e", "\u200f", "\u061c"]
)

#: Folder beside ``index.html`` that holds one page per clinic.
CLINICS_FOLDER = "clinics"
REGIONS_FOLDER = "regions"

_SLUG_UNSAFE = re.compile(r"[^a-z0-9]+")


def neutralise_bidi(value: object) -> object:
    """A text with each bidi control shown as ``<U+202E>``; anything else returned unchanged.

    The HTML template applies this to every value it prints, so an id with a right-to-left
    override cannot reverse the text around it wherever the id appears.
    """
    if not isinstance(value, str) or BIDI_CONTROLS.isdisjoint(value):
        return value
    if isinstance(value, Markup):  # already HTML: the marker must be escaped here
        return Markup(
            "".join(f"&lt;U+{ord(c):04X}&gt;" if c in BIDI_CONTROLS else c for c in value)
        )
    return "".join(f"<U+{ord(c):04X}>" if c in BIDI_CONTROLS else c for c in value)


def _neutral(text: str) -> str:
    """``text`` with bidi controls shown as their code point and control characters dropped."""
    out = []
    for ch in text:
        if ch in BIDI_CONTROLS:
            out.append(f"<U+{ord(ch):04X}>")
        elif unicodedata.category(ch) == "Cc":
            continue
        else:
            out.append(ch)
    return "".join(out)


def display_id(clinic_id: str, max_chars: int = 40) -> tuple[str, str]:
    """``(shown, full)``: the id as the page shows it (at most ``max_chars`` characters plus an
    ellipsis, bidi controls neutralised) and the full neutralised id for the ``title`` attribute.

    Both are plain text; the template escapes them as it does any other text.
    """
    full = _neutral(str(clinic_id))
    shown = full if len(full) <= max_chars else full[: max(max_chars - 1, 1)] + "\u2026"
    return shown, full


class ClinicLabel(str):
    """A clinic's display name and id as one text (the whole label); ``short`` is what a page
    shows: the name and the id each cut to 40 characters (``display_id``)."""

    short: str

    def __new__(cls, full: str, short: str) -> ClinicLabel:
        label = super().__new__(cls, full)
        label.short = short
        return label

    def __reduce__(self) -> tuple[type[ClinicLabel], tuple[str, str]]:  # pickle, copy: keep short
        return ClinicLabel, (str(self), self.short)


def clinic_label(clinic_id: str, display_name: str = "") -> str:
    """'Bayview Lymphoedema Clinic (bayview)' (a :class:`ClinicLabel`): the clinics export's
    display name and the id as plain text, bidi controls shown as their code point and control
    characters dropped, so it reads the same in HTML (where it is also escaped), the PDF and
    the XLSX (where it is also formula-guarded). Without a name: the id as it is."""
    name = _neutral(str(display_name)).strip()
    if not name or name == str(clinic_id):
        return str(clinic_id)
    clinic_shown, clinic_full = display_id(str(clinic_id))
    return ClinicLabel(f"{name} ({clinic_full})", f"{display_id(name)[0]} ({clinic_shown})")


def shown_text(value: object) -> str:
    """What a page shows of a clinic id or label (the ``shown_id`` filter)."""
    return value.short if isinstance(value, ClinicLabel) else display_id(str(value))[0]


def full_text(value: object) -> str:
    """The whole neutral text of a clinic id or label (the ``full_id`` filter, a title)."""
    return str(value) if isinstance(value, ClinicLabel) else display_id(str(value))[1]


def region_page_path(region: str) -> str:
    """``regions/<slug>-<hash>.html``: a region's (or the network's) page, as a clinic's is."""
    return REGIONS_FOLDER + clinic_page_path(region)[len(CLINICS_FOLDER) :]


def clinic_page_path(clinic_id: str, slug_chars: int = 40, hash_chars: int = 10) -> str:
    """``clinics/<slug>-<hash>.html``: the page of ``clinic_id``, relative to ``index.html``.

    The slug keeps only ASCII letters and digits (lower case, ``-`` between runs), so no path
    separator, dot segment or control character reaches the file name; the hash of the exact id
    keeps ids that slug alike apart and makes the name stable from run to run.
    """
    text = str(clinic_id)
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _SLUG_UNSAFE.sub("-", ascii_text.lower()).strip("-")[:slug_chars].strip("-")
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:hash_chars]
    name = f"{slug}-{digest}" if slug else f"clinic-{digest}"
    return f"{CLINICS_FOLDER}/{name}.html"
