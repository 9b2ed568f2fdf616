"""The ``lymphcast`` command line (Typer).

Expected failures print one sentence naming the file, row or setting and the fix; exit status
0 on success, 2 for bad arguments or configuration, 1 when a run failed.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from forecasting.errors import LymphcastError

app = typer.Typer(
    help=(
        "Forecast post-surgical lymphatic drainage (MLD) sessions per clinic and size therapist "
        "staffing.\n\nTypical use: `lymphcast demo` (example exports into data/raw), then "
        "`lymphcast weekly` (ingest, forecast, staffing, report)."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Prefect runs in local mode: no telemetry (no network here), quiet console.
_PREFECT_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_LOG_PRINTS": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
}

AsOf = Annotated[
    datetime | None,
    typer.Option(
        "--as-of",
        formats=["%Y-%m-%d"],
        help="Data cut-off (YYYY-MM-DD): rows dated on or after it are ignored, so a past week "
        "can be replayed. Default: today.",
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", help="lymphcast.toml (care pathways, staffing policy, models)."),
]
RawOpt = Annotated[Path, typer.Option("--raw", help="Directory of raw clinic exports (read only).")]
ProcessedOpt = Annotated[
    Path, typer.Option("--processed", help="Directory for validated weekly data and quarantine.")
]


def _fail(err: LymphcastError) -> typer.Exit:
    typer.secho(f"error: {err}", err=True, fg=typer.colors.RED)
    return typer.Exit(err.exit_code)


def _default_config(path: Path | None) -> Path | None:
    """--config if given, else ./lymphcast.toml when present, else built-in defaults."""
    if path is not None:
        return path
    local = Path("lymphcast.toml")
    return local if local.is_file() else None


def _progress_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("  %(message)s"))
    logger = logging.getLogger("lymphcast.progress")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Where to write the exports.")] = Path(
        "data/raw"
    ),
    clinics: Annotated[int, typer.Option(help="Number of clinics (at least 1).")] = 6,
    years: Annotated[int, typer.Option(help="Years of weekly history.")] = 4,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same files.")] = 0,
    end: AsOf = None,
) -> None:
    """Write realistic synthetic clinic exports (procedures, MLD sessions, roster)."""
    from forecasting.demo import generate_demo

    try:
        result = generate_demo(
            out, clinics=clinics, years=years, seed=seed, end=end.date() if end else None
        )
    except LymphcastError as err:
        raise _fail(err) from None
    total = sum(result.rows.values())
    typer.echo(f"wrote {len(result.files)} demo exports ({total:,} rows) to {out}")


def _print_ingest_table(files: list) -> None:
    header = f"{'file':<34} {'kind':<11} {'read':>8} {'accepted':>9} {'quarant.':>9}  status"
    typer.echo(header)
    typer.echo("-" * len(header))
    for f in files:
        typer.echo(
            f"{Path(f.path).name[:34]:<34} {f.kind or '?':<11} {f.rows_read:>8,} "
            f"{f.rows_accepted:>9,} {f.rows_quarantined:>9,}  {f.status}"
        )
    for f in files:
        if f.error:
            typer.secho(f"skipped: {f.error}", err=True, fg=typer.colors.YELLOW)


@app.command()
def ingest(raw: RawOpt = Path("data/raw"), processed: ProcessedOpt = Path("data/processed"),
           config: ConfigOpt = None) -> None:  # fmt: skip
    """Validate raw exports and aggregate them to ISO weeks; print a per-file table."""
    from forecasting.config import load_config
    from forecasting.ingest import ingest as run_ingest
    from forecasting.ingest import write_processed

    try:
        cfg = load_config(_default_config(config))
        result = run_ingest(raw, cfg.ingest, date.today())
        _print_ingest_table(result.files)
        if not result.usable:
            raise LymphcastError(f"No export in {raw} could be used; see the reasons above.")
        manifest = write_processed(result, processed)
    except LymphcastError as err:
        raise _fail(err) from None
    typer.echo(f"manifest: {manifest}")


@app.command()
def weekly(
    as_of: AsOf = None,
    config: ConfigOpt = None,
    raw: RawOpt = Path("data/raw"),
    processed: ProcessedOpt = Path("data/processed"),
    reports: Annotated[Path, typer.Option("--reports", help="Where reports are written.")] = Path(
        "reports"
    ),
) -> None:
    """The weekly job (Prefect flow `weekly-staffing`): ingest, forecast, staffing, report."""
    from forecasting.config import load_config
    from forecasting.ingest import discover

    config = _default_config(config)
    try:
        load_config(config)  # refuse a bad config before Prefect starts
        discover(raw)
    except LymphcastError as err:
        raise _fail(err) from None
    for key, value in _PREFECT_DEFAULTS.items():
        os.environ.setdefault(key, value)
    _progress_logging()
    day = as_of.date() if as_of else date.today()
    typer.echo(f"lymphcast weekly: data cut-off {day.isoformat()} (starting Prefect)...", err=True)
    started = time.perf_counter()
    from flows.weekly import weekly_staffing

    try:
        path = weekly_staffing(
            as_of=day,
            config_path=str(config) if config else None,
            raw=str(raw),
            processed=str(processed),
            reports=str(reports),
        )
    except LymphcastError as err:
        raise _fail(err) from None
    typer.echo(f"done in {time.perf_counter() - started:.0f} s", err=True)
    typer.echo(f"report: {Path(path).resolve()}")


def main() -> None:
    app()
