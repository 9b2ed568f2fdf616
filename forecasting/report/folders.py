"""The published report folders (reports/<YYYY>-W<ww>/): find a week's report, or the latest."""

from __future__ import annotations

import re
from pathlib import Path

from forecasting.errors import ConfigError

__all__ = ["find_report"]

_WEEK_DIR = re.compile(r"^\d{4}-W\d{2}$")


def find_report(reports_dir: Path, week: str | None = None) -> Path:
    """``index.html`` of the report for ``week`` (``YYYY-Www``), or of the latest week.

    Raises:
        ConfigError: the week is malformed, or there is no such report (names the fix).
    """
    reports_dir = Path(reports_dir)
    if week is not None:
        if not _WEEK_DIR.match(week):
            raise ConfigError(
                f"--week {week!r} is not an ISO week; write it as YYYY-Www, e.g. 2026-W48."
            )
        path = reports_dir / week / "index.html"
        if not path.is_file():
            raise ConfigError(
                f"There is no report for {week} in {reports_dir}; run `lymphcast weekly "
                "--as-of <a date in that week>` to make it."
            )
        return path
    weeks = sorted(
        p.parent.name for p in reports_dir.glob("*/index.html") if _WEEK_DIR.match(p.parent.name)
    )
    if not weeks:
        raise ConfigError(
            f"There is no report in {reports_dir}; run `lymphcast weekly` first "
            "(or pass --reports with the directory that holds the reports)."
        )
    return reports_dir / weeks[-1] / "index.html"
