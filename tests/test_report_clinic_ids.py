"""Clinic ids made safe for display and for page file names."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from forecasting.report.clinic_ids import BIDI_CONTROLS, clinic_page_path, display_id

RLO_ID = "clinic\u202egpj.exe"


def test_long_id_shortened_with_full_id_kept() -> None:
    long_id = "x" * 10_000
    shown, full = display_id(long_id, max_chars=40)
    assert len(shown) == 40 and shown.endswith("\u2026")
    assert full == long_id


def test_bidi_controls_neutralised() -> None:
    for ch in BIDI_CONTROLS:
        shown, full = display_id(f"a{ch}b")
        assert not set(shown) & BIDI_CONTROLS and not set(full) & BIDI_CONTROLS
    shown, _ = display_id(RLO_ID)
    assert shown == "clinic<U+202E>gpj.exe"


def test_short_plain_id_unchanged() -> None:
    assert display_id("north-01") == ("north-01", "north-01")


def test_page_path_safe_and_stable() -> None:
    ids = ["../../etc/passwd", "a/b\\c", RLO_ID, "x" * 10_000, "", "Nörd Klinik", "\x00"]
    names = set()
    for clinic_id in ids:
        path = clinic_page_path(clinic_id)
        assert path == clinic_page_path(clinic_id)
        parts = PurePosixPath(path).parts
        assert parts[0] == "clinics" and len(parts) == 2
        stem = parts[1].removesuffix(".html")
        assert stem and all(c.isascii() and (c.isalnum() or c == "-") for c in stem)
        assert len(parts[1]) <= 60
        names.add(path)
    assert len(names) == len(ids)
    assert clinic_page_path("Nörd Klinik").startswith("clinics/nord-klinik-")


def test_ids_that_slug_alike_get_different_pages() -> None:
    assert clinic_page_path("A B") != clinic_page_path("a-b")


def test_rendered_page_shows_unsafe_ids_safely(monkeypatch) -> None:
    from forecasting.report import build_view, render_clinic_html, render_html
    from tests import report_fixtures as fx
    from tests.report_fixtures import report_data

    long_id = "L" * 10_000
    for table in (fx.NEEDED, fx.ROSTERED, fx.SESSIONS_P50):
        for new, old in ((RLO_ID, "north"), (long_id, "south")):
            monkeypatch.setitem(table, new, table[old])
    view = build_view(report_data((RLO_ID, long_id)))
    index = render_html(view)
    long_page = render_clinic_html(view, next(c for c in view.clinics if c.name == long_id))
    for html in (index, *(render_clinic_html(view, c) for c in view.clinics)):
        assert "\u202e" not in html
        # shown shortened; whole only on hover (title) and in a chart's alt text
        assert "L" * 41 not in re.sub(r'(title|alt)="[^"]*"', "", html)
    assert "clinic&lt;U+202E&gt;gpj.exe" in index
    # the index row links the page with the shortened id, the full id on hover
    assert f'<a href="{clinic_page_path(long_id)}" title="{long_id}">{"L" * 39}\u2026</a>' in index
    assert f'title="{long_id}">Clinic {"L" * 39}\u2026</h2>' in long_page


def test_neutralise_bidi_in_markup_stays_escaped() -> None:
    from markupsafe import Markup

    from forecasting.report.clinic_ids import neutralise_bidi

    assert neutralise_bidi(Markup("<b>a\u202eb</b>")) == Markup("<b>a&lt;U+202E&gt;b</b>")
    assert neutralise_bidi("a\u2067b") == "a<U+2067>b"
    assert neutralise_bidi(3.5) == 3.5
