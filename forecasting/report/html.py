"""The report as HTML pages, via Jinja2: index.html plus one page per clinic under clinics/.

``index.html`` holds the network summary, a table linking each clinic's page
(``clinic_ids.clinic_page_path``) and the data-and-models section; no clinic charts, so its size
grows with the number of clinics only by a table row. Each clinic page holds that clinic's
decision, charts and tables and links back to ``../index.html``. Every page is self-contained
(charts as base64 PNG data URIs, inline CSS, no script), so it fetches nothing when opened.
Every value reaches the HTML through Jinja2 with autoescape on.
The same ``ReportData`` gives byte-identical HTML: no timestamps, no random ids, sorted order.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

from forecasting.io import write_text
from forecasting.report.clinic_ids import clinic_page_path, full_text, neutralise_bidi, shown_text
from forecasting.report.data import ReportData
from forecasting.report.view import ClinicView, ReportView, build_view

__all__ = ["render_clinic_html", "render_html", "write_report"]


def render_html(data: ReportData | ReportView) -> str:
    """The report's index page (same data, same bytes)."""
    view = _view(data)
    return _environment().get_template("report.html.j2").render(view=view)


def render_clinic_html(data: ReportData | ReportView, clinic: ClinicView) -> str:
    """One clinic's page (same data, same bytes)."""
    view = _view(data)
    return _environment().get_template("clinic.html.j2").render(view=view, c=clinic)


def write_report(out_dir: Path, data: ReportData | ReportView) -> Path:
    """Write ``out_dir/index.html`` and each clinic's page (atomically, file by file) and return
    the index's path. ``publish_week`` writes into a staging folder, so the set is atomic."""
    view = _view(data)
    out_dir = Path(out_dir)
    for clinic in view.clinics:
        write_text(out_dir / clinic_page_path(clinic.name), render_clinic_html(view, clinic))
    for region in view.region_pages:
        page = _environment().get_template("region.html.j2").render(view=view, r=region)
        write_text(out_dir / region.page, page)
    return write_text(out_dir / "index.html", render_html(view))


def _view(data: ReportData | ReportView) -> ReportView:
    return data if isinstance(data, ReportView) else build_view(data)


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("forecasting.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=neutralise_bidi,
    )
    env.filters["shown_id"] = shown_text
    env.filters["full_id"] = full_text
    return env
