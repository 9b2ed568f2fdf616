"""The report in a real browser: Debian's headless Chromium at phone (390 px) and desktop
(1280 px) widths, driven by Playwright's Python package over the DevTools protocol (no browser
download: Playwright launches /usr/bin/chromium).

Checks what a manager sees on the index: the network decision and every clinic's action on
screen first and not cut off, each row linking a clinic page; and on every clinic page (opened
through the index's link): the decision above its charts, charts decoded and inside the page, a
link back to the index. Nothing is fetched from the network and no script runs on either kind of
page; print starts each clinic on a new page.

Screenshots go to a temporary directory, or to $LYMPHCAST_SCREENSHOTS when set. Set
$LYMPHCAST_REPORT to an index.html (e.g. the demo report) to run the same checks on it.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest
from report_fixtures import HOSTILE, forecast, history, report_data

from forecasting.report import write_report

pytestmark = pytest.mark.slow

WIDTHS = (390, 1280)
_HEIGHT = 900


def _chromium() -> str:
    path = os.environ.get("LYMPHCAST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if Path(path).is_file():
        return path
    message = (
        "CHROMIUM NOT FOUND: the real-browser test of the report did NOT run. Install Debian's "
        "chromium package (scripts/system-deps.sh, which `make test` runs)."
    )
    if os.environ.get("CI"):
        pytest.fail(message)  # CI installs chromium: its absence there is a failure
    warnings.warn(message, stacklevel=2)
    pytest.skip(message)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    given = os.environ.get("LYMPHCAST_REPORT")
    if given:
        return Path(given).resolve()
    base = report_data()
    procedures, sessions = history([HOSTILE])
    extra = forecast("south", procedures=False).assign(clinic_id=HOSTILE)
    data = dataclasses.replace(
        base,
        procedures_history=pd.concat([base.procedures_history, procedures], ignore_index=True),
        sessions_history=pd.concat([base.sessions_history, sessions], ignore_index=True),
        forecast=pd.concat([base.forecast, extra], ignore_index=True),
    )
    return write_report(tmp_path_factory.mktemp("report") / "2026-W48", data).resolve()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = os.environ.get("LYMPHCAST_SCREENSHOTS")
    out = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


def _open(browser, report: Path, width: int):
    """A page showing ``report``; every request is recorded, and all but the file aborted."""
    context = browser.new_context(viewport={"width": width, "height": _HEIGHT})
    requests: list[str] = []
    dialogs: list[str] = []

    def route(r) -> None:
        requests.append(r.request.url)
        if r.request.url == report.as_uri():
            r.continue_()
        else:
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("request", lambda req: requests.append(req.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(report.as_uri(), wait_until="load")
    return context, page, requests, dialogs


def _clinic_pages(browser, report: Path) -> list[Path]:
    """The clinic pages the index links, resolved as the browser resolves the links."""
    context, page, _, _ = _open(browser, report, WIDTHS[-1])
    try:
        hrefs = page.locator("#network tbody th a").evaluate_all("es => es.map(e => e.href)")
    finally:
        context.close()
    return [Path(href.removeprefix("file://")) for href in hrefs]


@pytest.mark.parametrize("width", WIDTHS)
def test_manager_sees_the_decision_first_at(width, browser, report, shots) -> None:
    context, page, requests, dialogs = _open(browser, report, width)
    try:
        page.screenshot(path=str(shots / f"report-{width}-first-screen.png"))
        page.screenshot(path=str(shots / f"report-{width}-full.png"), full_page=True)

        # nothing but the file itself was requested, and no script ran (hostile names included)
        assert set(requests) == {report.as_uri()}
        assert dialogs == []
        # the page fits the screen: no sideways scrolling of the page itself
        assert page.evaluate("document.documentElement.scrollWidth") <= width

        headline = page.locator("#network .decision").first
        assert headline.is_visible()
        assert headline.bounding_box()["y"] < _HEIGHT  # on the first screen
        rows = page.locator("#network tbody tr")
        assert rows.count() >= 2
        assert page.locator("section.clinic").count() == 0  # clinics have their own pages
        assert page.locator("img").count() == 0  # so the index stays small
        for i in range(rows.count()):
            assert rows.nth(i).locator("th a").get_attribute("href").startswith("clinics/")
            action = rows.nth(i).locator("td.text")
            assert action.is_visible() and action.inner_text().strip()
            box = action.bounding_box()
            assert 0 <= box["x"] and box["x"] + box["width"] <= width, (i, box)  # not cut off
        # no hidden column: the network table always fits; on a desktop every table does
        wraps = page.locator("#network .table-wrap" if width < 1000 else ".table-wrap")
        for i in range(wraps.count()):
            assert wraps.nth(i).evaluate("e => e.scrollWidth <= e.clientWidth"), i
    finally:
        context.close()
    for name in (f"report-{width}-first-screen.png", f"report-{width}-full.png"):
        assert (shots / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("width", WIDTHS)
def test_each_clinic_page_puts_its_decision_above_its_charts_at(
    width, browser, report, shots
) -> None:
    pages = _clinic_pages(browser, report)
    assert len(pages) >= 2 and all(p.is_file() for p in pages)  # every link opens a page
    for n, clinic_page in enumerate(pages):
        context, page, requests, dialogs = _open(browser, clinic_page, width)
        try:
            if n == 0:
                page.screenshot(path=str(shots / f"clinic-{width}-full.png"), full_page=True)
            assert set(requests) == {clinic_page.as_uri()} and dialogs == []
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            back = page.locator('a[href="../index.html"]')
            assert back.is_visible() and back.evaluate("e => e.href") == report.as_uri()
            sections = page.locator("section.clinic")
            assert sections.count() == 1
            section = sections.first
            assert section.locator("h2").is_visible()
            action = section.locator(".headline .action")
            assert action.is_visible() and action.inner_text().strip()
            images = section.locator("figure img")
            assert images.count() >= 1
            top_of_evidence = section.locator("figure").first.bounding_box()["y"]
            assert action.bounding_box()["y"] < top_of_evidence  # decision above the charts
            for j in range(images.count()):
                image = images.nth(j)
                image.scroll_into_view_if_needed()
                assert image.is_visible()
                assert image.evaluate("e => e.complete && e.naturalWidth > 0")  # decoded PNG
                box = image.bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= width
            page.emulate_media(media="print")
            assert section.evaluate("e => getComputedStyle(e).breakBefore") == "page"
        finally:
            context.close()
