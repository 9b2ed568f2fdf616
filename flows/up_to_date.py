"""Whether `lymphcast weekly` would only republish what is already there (then skip Prefect).

A weekly run's outputs are a function of its raw exports, settings, code, cut-off and day (the
ingest's ``today``), and of what earlier runs left in processed/ (validated data, forecast
archives, warm starts, the backtest that ``auto`` / ``ensemble`` read). After a run the command
records a digest of those inputs with the digests of every file they produced
(``reports/.<YYYY>-W<ww>.run.json``). A later run whose inputs and files still match would
publish the same bytes again: the command says so and stops before starting Prefect, so an
unchanged re-run costs the hashing (under a second at 200 clinics) instead of Prefect's
start-up and the cached flow. Deleting or editing any output, or the stamp, runs it again.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from flows import caching
from forecasting import io as atomic
from forecasting.config import Config
from forecasting.ingest import discover
from forecasting.layout import DataLayout


def run_key(
    layout: DataLayout,
    config: Config,
    config_path: Path | None,
    as_of: date,
    today: date,
    scenarios: list[str] | None = None,
) -> str:
    """Digest of everything a weekly run reads besides its own earlier outputs (``scenarios``:
    the ``--scenario`` selection; None for every configured one)."""
    return caching.digest(
        json.dumps(sorted(scenarios) if scenarios else None),
        "weekly-run",
        caching.files_digest(discover(layout.raw)),
        caching.config_digest(config),
        caching.selection_digest(config),
        caching.code_version(),
        as_of.isoformat(),
        today.isoformat(),
        str(config_path.resolve() if config_path else None),
        str(layout.processed.resolve()),
        str(layout.reports.resolve()),
    )


def _files(layout: DataLayout, as_of: date) -> list[Path]:
    report = layout.report_dir(as_of)
    return [
        *layout.processed_outputs(),
        *sorted(layout.forecasts.glob("*.parquet")),
        layout.warm_starts,
        *(sorted(p for p in report.rglob("*") if p.is_file()) if report.is_dir() else []),
    ]


def published(layout: DataLayout, key: str, as_of: date) -> Path | None:
    """The report a run with ``key`` would publish again unchanged, or None (run it)."""
    if layout.failure_notice(as_of).exists():
        return None  # a later run failed: run again, so the notice tells the truth
    try:
        recorded = json.loads(layout.run_stamp(as_of).read_text(encoding="utf-8"))
        report = Path(recorded["report"])
        same = recorded["key"] == key and recorded["files"] == caching.files_digest(
            _files(layout, as_of)
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return report if same and report.is_file() else None


def record(layout: DataLayout, key: str, as_of: date, report: Path) -> None:
    """Note (atomically) that the run with ``key`` published ``report`` and these files."""
    stamp = {"key": key, "files": caching.files_digest(_files(layout, as_of)),
             "report": str(Path(report).resolve())}  # fmt: skip
    atomic.write_json(layout.run_stamp(as_of), stamp)
