"""The report as one self-contained HTML page (reports/<ISO week>/index.html), via Jinja2.

The page is self-contained (charts as base64 PNG data URIs, inline CSS, no script), so it
fetches nothing when opened. Every value reaches the HTML through Jinja2 with autoescape on.
The same ``ReportData`` gives byte-identical HTML: no timestamps, no random ids, sorted order.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

from forecasting.io import write_text
from forecasting.report.clinic_ids import display_id, neutralise_bidi
from forecasting.report.data import ReportData
from forecasting.report.view import ReportView, build_view

__all__ = ["render_html", "write_report"]


def render_html(data: ReportData | ReportView) -> str:
    """The report as one self-contained HTML page (same data, same bytes)."""
    view = data if isinstance(data, ReportView) else build_view(data)
    return _environment().get_template("report.html.j2").render(view=view)


def write_report(out_dir: Path, data: ReportData | ReportView) -> Path:
    """Write ``out_dir/index.html`` atomically and return its path."""
    return write_text(Path(out_dir) / "index.html", render_html(data))


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
    env.filters["shown_id"] = lambda value: display_id(str(value))[0]
    env.filters["full_id"] = lambda value: display_id(str(value))[1]
    return env
