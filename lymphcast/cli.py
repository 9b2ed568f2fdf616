"""The ``lymphcast`` command line (Typer).

Expected failures print one sentence naming the file, row or setting and the fix; exit status
0 on success, 2 for bad arguments or configuration, 1 when a run failed, 3 when `weekly`
completed with warnings (a report was published, but some clinic needs attention: each is
printed as ``warning: <clinic>: <problem>; <fix>.``).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from flows.environment import apply_quiet_defaults
from forecasting.errors import ConfigError, LymphcastError

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


def _preflight(cfg: Any, processed: Path, reports: Path) -> None:
    """The folders a run writes, their free space and Prefect's home, before Prefect starts."""
    from lymphcast.preflight import check_free_space, check_writable, prefect_home

    check_writable(processed, "--processed")
    check_writable(reports, "--reports")
    for folder, option in ((processed, "--processed"), (reports, "--reports")):
        check_free_space(folder, cfg.orchestration.min_free_mb, option)
    note = prefect_home(processed.parent)
    if note:
        typer.secho(f"note: {note}", err=True, fg=typer.colors.YELLOW)


class _ExpectedFailureFilter(logging.Filter):
    """Keep Prefect's tracebacks of expected failures off the console.

    The CLI prints such a failure as one sentence; Prefect would also log it with a traceback
    (task and flow run loggers). Unexpected errors still show in full.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], LymphcastError):
            return False
        names = {cls.__name__ for cls in (LymphcastError, *_subclasses(LymphcastError))}
        return not any(f"{name}(" in record.getMessage() or f"{name}:" in record.getMessage()
                       for name in names)  # fmt: skip


def _subclasses(cls: type) -> list[type]:
    return [s for sub in cls.__subclasses__() for s in (sub, *_subclasses(sub))]


def _quiet_expected_failures() -> None:
    """Filter the loggers Prefect's engine reports run failures on (records they create)."""
    expected = _ExpectedFailureFilter()
    for name in ("prefect.flow_runs", "prefect.task_runs"):
        logging.getLogger(name).addFilter(expected)


def _progress_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("  %(message)s"))
    logger = logging.getLogger("lymphcast.progress")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False


def _spawn_server() -> Any:
    """Spawn Prefect's temporary server now, tied to this process (it dies with the run).

    Not waited for here: its start-up overlaps the imports of the flow (see
    :func:`_temporary_api`). None when the run has a Prefect API already.
    """
    from flows.server_guard import start_temporary_server

    try:
        return start_temporary_server()
    except OSError as err:
        raise LymphcastError(
            f"Prefect's temporary API server could not be started ({err}); start one with "
            "`prefect server start` and set PREFECT_API_URL."
        ) from None


@contextmanager
def _temporary_api(server: Any) -> Iterator[None]:
    """Wait for the spawned server, point Prefect at it for the block, stop it after."""
    if server is None:
        yield
        return
    from prefect.settings import PREFECT_API_URL, temporary_settings

    try:
        try:
            url = server.wait_ready()
        except RuntimeError as err:  # it exited, or did not answer in time
            raise LymphcastError(
                f"Prefect's temporary API server did not start ({str(err)[:300]}); start one "
                "with `prefect server start` and set PREFECT_API_URL, or raise "
                "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS."
            ) from None
        with temporary_settings({PREFECT_API_URL: url}):
            yield
    finally:
        server.stop()


def _drain_events() -> None:
    """Flush Prefect's queued events and logs while its server still runs (no exit noise)."""
    from flows.server_guard import drain_queued_events

    drain_queued_events()


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Where to write the exports.")] = Path(
        "data/raw"
    ),
    clinics: Annotated[int, typer.Option(help="Number of clinics (at least 1).")] = 6,
    years: Annotated[int, typer.Option(help="Years of weekly history.")] = 4,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same files.")] = 0,
    end: AsOf = None,
    services: Annotated[
        str,
        typer.Option(
            help="Services to write, comma-separated: mld and any of deep_tissue, post_injury "
            "(`--services mld`: the MLD-only demo, exactly as before services existed)."
        ),
    ] = "mld,deep_tissue,post_injury",
) -> None:
    """Write realistic synthetic clinic exports (procedures, referrals, sessions, roster)."""
    from forecasting.demo import generate_demo
    from lymphcast.checks import check_output_dir

    try:
        check_output_dir(out)
        result = generate_demo(
            out,
            clinics=clinics,
            years=years,
            seed=seed,
            end=end.date() if end else None,
            services=services.split(","),
        )
    except LymphcastError as err:
        raise _fail(err) from None
    total = sum(result.rows.values())
    typer.echo(f"wrote {len(result.files)} demo exports ({total:,} rows) to {out}")


def _print_ingest_table(files: list, skipped: list | tuple = ()) -> None:
    def clean(text: str) -> str:  # a file name must not drive the terminal
        return "".join(c if c.isprintable() else "?" for c in text)

    names = [clean(Path(f.path).name) for f in files]
    width = min(max([4, *map(len, names)]), 40)
    header = (
        f"{'file':<{width}}  {'kind':<10} {'read':>9} {'accepted':>9} {'quarantined':>11}  status"
    )
    typer.echo(header)
    typer.echo("-" * len(header))
    for name, f in zip(names, files, strict=True):
        typer.echo(
            f"{name[:width]:<{width}}  {f.kind or '?':<10} {f.rows_read:>9,} "
            f"{f.rows_accepted:>9,} {f.rows_quarantined:>11,}  {f.status}"
        )
    typer.echo("-" * len(header))
    ok = sum(1 for f in files if f.status == "ok")
    typer.echo(
        f"{'total':<{width}}  {f'{ok}/{len(files)} ok':<10} {sum(f.rows_read for f in files):>9,} "
        f"{sum(f.rows_accepted for f in files):>9,} "
        f"{sum(f.rows_quarantined for f in files):>11,}"
    )
    for f in files:
        if f.status != "ok" and f.error:
            typer.secho(f"skipped: {clean(f.error)}", err=True, fg=typer.colors.YELLOW)
    for s in skipped:  # paths that are not files to read (listed in the manifest)
        typer.secho(f"skipped: {clean(s.path)}: {s.reason}.", err=True, fg=typer.colors.YELLOW)


@app.command()
def ingest(raw: RawOpt = Path("data/raw"), processed: ProcessedOpt = Path("data/processed"),
           config: ConfigOpt = None) -> None:  # fmt: skip
    """Validate raw exports and aggregate them to ISO weeks; print a per-file table.

    Exit status 0 when at least one export was usable, 1 when none was, 2 for bad arguments.
    """
    from forecasting.config import load_config
    from forecasting.ingest import configured_services, write_processed
    from forecasting.ingest import ingest as run_ingest
    from forecasting.layout import DataLayout
    from lymphcast.checks import check_run_paths
    from lymphcast.progress import console_progress

    try:
        config = _default_config(config)
        check_run_paths(config, raw, processed)  # before any reading
        cfg = load_config(config)
        with console_progress():
            services = configured_services(cfg)
            result = run_ingest(raw, cfg.ingest, date.today(), services=services)
        _print_ingest_table(result.files, result.skipped)
        if not result.usable:
            raise LymphcastError(f"No export in {raw} could be used; see the reasons above.")
        manifest = write_processed(result, processed)
    except LymphcastError as err:
        raise _fail(err) from None
    quarantined = sum(f.rows_quarantined for f in result.files)
    if quarantined:
        folder = DataLayout(processed=processed).quarantine
        typer.echo(f"{quarantined:,} rows quarantined, with reasons: {folder}")
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
    task_runner: Annotated[
        str | None,
        typer.Option(
            "--task-runner",
            help="threads | processes | dask. Default: orchestration.task_runner (threads).",
        ),
    ] = None,
    dask_address: Annotated[
        str | None,
        typer.Option(
            "--dask-address",
            help="Scheduler of an existing Dask cluster, e.g. tcp://10.0.0.5:8786 (implies "
            "--task-runner dask). Default: a local cluster when the runner is dask.",
        ),
    ] = None,
    scenario: Annotated[
        list[str] | None,
        typer.Option(
            "--scenario",
            help="Run only this [scenarios.NAME] of lymphcast.toml beside the base plan "
            "(repeat for more). Default: every configured scenario.",
        ),
    ] = None,
) -> None:
    """The weekly job (Prefect flow `weekly-staffing`): ingest, forecast, staffing, report.

    Exit status: 0 done; 3 done with warnings (the report is published, but a clinic needs
    attention, e.g. it has no roster rows: each printed with its fix); 2 bad arguments or
    configuration, or --as-of before the first week of data (nothing runs); 1 the run failed
    (a failure notice is written).
    """
    from forecasting.config import load_config
    from forecasting.errors import ConfigError
    from forecasting.ingest import discover
    from forecasting.layout import DataLayout
    from lymphcast.checks import check_run_paths
    from lymphcast.progress import console_progress

    config = _default_config(config)
    apply_quiet_defaults()
    try:
        check_run_paths(config, raw, processed, reports)  # every path before any work
        cfg = load_config(config)  # refuse a bad config before Prefect starts
        discover(raw)
        if task_runner is not None and task_runner not in ("threads", "processes", "dask"):
            raise ConfigError(
                f"--task-runner {task_runner!r} is not known; use threads, processes or dask."
            )
        from forecasting.planning.scenarios import unknown_scenarios

        unknown_scenarios(list(scenario or []), cfg)
        if as_of is not None:  # a cut-off before any data: refused before anything is written
            from lymphcast.preflight import check_data_cutoff

            check_data_cutoff(raw, as_of.date(), cfg.ingest)
        _preflight(cfg, processed, reports)
        day = as_of.date() if as_of else date.today()
        from flows import up_to_date

        layout = DataLayout(raw=raw, processed=processed, reports=reports)
        run_key = up_to_date.run_key(layout, cfg, config, day, date.today(), scenario)
        current = up_to_date.published(layout, run_key, day)
        if current is not None:
            typer.echo(
                f"lymphcast weekly: nothing changed since the run that published this report "
                f"(same exports, settings, code and cut-off {day.isoformat()}); Prefect not "
                f"started. Delete {layout.run_stamp(day)} to run it again.",
                err=True,
            )
            _finish(current)
            return
        from flows.runners import check_dask_scheduler, check_prefect_api

        check_prefect_api()
        runner = task_runner or ("dask" if dask_address else cfg.orchestration.task_runner)
        address = dask_address or cfg.orchestration.dask_address
        if runner == "dask" and address:
            check_dask_scheduler(address, cfg.orchestration.dask_connect_timeout_seconds)
        server = _spawn_server()
    except LymphcastError as err:
        raise _fail(err) from None
    _progress_logging()
    typer.echo(f"lymphcast weekly: data cut-off {day.isoformat()} (starting Prefect)...", err=True)
    started = time.perf_counter()
    from flows.weekly import weekly_staffing  # imported while the server starts up

    _quiet_expected_failures()

    try:
        with _temporary_api(server):
            try:
                with console_progress():  # bars on a terminal, a line per stage in a log
                    path = weekly_staffing(
                        as_of=day,
                        config_path=str(config) if config else None,
                        raw=str(raw),
                        processed=str(processed),
                        reports=str(reports),
                        task_runner=task_runner,
                        dask_address=dask_address,
                        scenarios=list(scenario) if scenario else None,
                    )
            finally:
                _drain_events()  # while the server still runs
    except LymphcastError as err:
        from flows.notices import notice_path

        notice = notice_path(reports, day)
        if notice.is_file():
            typer.secho(f"failure notice: {notice.resolve()}", err=True)
        raise _fail(err) from None
    typer.echo(f"done in {time.perf_counter() - started:.0f} s", err=True)
    try:
        up_to_date.record(layout, run_key, day, Path(path))
    except (OSError, LymphcastError) as err:  # only the next re-run's shortcut is lost
        typer.secho(f"note: could not record this run for the next one ({err})", err=True)
    _finish(Path(path))


def _finish(path: Path) -> None:
    """Print the report's path and its clinic problems (exit 3 when there are any)."""
    typer.echo(f"report: {Path(path).resolve()}")
    from forecasting.staffing.problems import published_problems

    problems = published_problems(path)
    for sentence in problems:
        typer.echo(f"warning: {sentence}", err=True)
    if problems:
        typer.echo(f"completed with warnings: {len(problems)} clinic problem(s)", err=True)
        raise typer.Exit(3)


@app.command()
def report(
    week: Annotated[
        str | None,
        typer.Option("--week", help="ISO week of the report, e.g. 2026-W48. Default: the latest."),
    ] = None,
    reports: Annotated[
        Path, typer.Option("--reports", help="Directory that holds the weekly reports.")
    ] = Path("reports"),
    open_: Annotated[
        bool, typer.Option("--open", help="Also open the report in the default web browser.")
    ] = False,
) -> None:
    """Print the file:// link of a weekly report (index.html), and open it with --open."""
    import webbrowser

    from forecasting.report.folders import find_report
    from lymphcast.checks import check_input_dir

    try:
        check_input_dir(
            reports, "--reports", "run `lymphcast weekly` first, or pass --reports with the "
            "folder that holds the reports.",
        )  # fmt: skip
        path = find_report(reports, week)
    except LymphcastError as err:
        raise _fail(err) from None
    uri = path.resolve().as_uri()
    typer.echo(uri)
    for name in ("report.pdf", "staffing.xlsx"):
        if (path.parent / name).is_file():
            typer.echo(f"  {name}: {(path.parent / name).resolve()}", err=True)
    if open_ and not webbrowser.open(uri):
        typer.secho(
            "No web browser could be started here; open the link above on your desktop.",
            err=True,
            fg=typer.colors.YELLOW,
        )


@app.command()
def backtest(
    series: Annotated[
        Path | None,
        typer.Option(
            "--series",
            help="Long-format weekly CSV (unique_id, ds, y; extra columns may be regressors). "
            "Default: the processed procedure series (unique_id = clinic|procedure).",
        ),
    ] = None,
    horizon: Annotated[int, typer.Option(help="Weeks forecast from each cutoff.")] = 13,
    folds: Annotated[int, typer.Option(help="Scored cutoffs per series (rolling origin).")] = 8,
    selection_folds: Annotated[
        int,
        typer.Option(
            help="Extra older cutoffs, never scored, that auto/ensemble choose from at the "
            "first scored cutoff."
        ),
    ] = 1,
    step: Annotated[
        int | None, typer.Option(help="Weeks between cutoffs. Default: the horizon.")
    ] = None,
    season: Annotated[
        int, typer.Option(help="MASE scale: in-sample naive at this lag (1; 52 = seasonal).")
    ] = 1,
    models: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated models, e.g. prophet,ets,auto,ensemble. Default: the config's "
            "model.candidates plus auto and ensemble. seasonal_naive and historic_mean always run."
        ),
    ] = None,
    paths: Annotated[int, typer.Option(help="Sample paths per forecast.")] = 200,
    workers: Annotated[
        int | None, typer.Option(help="Processes. Default: one per CPU core.")
    ] = None,
    regressors: Annotated[
        str | None, typer.Option(help="Comma-separated --series columns used by Prophet.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed. Default: the config's.")] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Output directory, replaced whole. Default: the config's model.backtest_dir "
            "(read by auto/ensemble) for the processed series, backtests/<file name> for "
            "--series.",
        ),
    ] = None,
    as_of: Annotated[
        datetime | None,
        typer.Option(
            "--as-of",
            formats=["%Y-%m-%d"],
            help="Processed series only: use the weeks before the week of this date "
            "(YYYY-MM-DD). Default: up to the last week with completed procedures.",
        ),
    ] = None,
    config: ConfigOpt = None,
    processed: ProcessedOpt = Path("data/processed"),
    staffing: Annotated[
        bool,
        typer.Option(
            "--staffing",
            help="Decision backtest instead: replay --folds past weeks (every --step weeks, "
            "default 4) with only the data known then and compare the recommended therapist "
            "hours with a 4-week moving average, Prophet on session counts and the roster "
            "(shortage hours, idle hours, cost). Default --out: backtests/staffing.",
        ),
    ] = False,
) -> None:
    """Rolling-origin backtest: which model forecasts best on weeks it never saw.

    Writes leaderboards (csv, json, png), per-window metrics and forecasts under --out.
    """
    from forecasting.backtest import (
        format_leaderboard,
        load_procedure_series,
        load_series_csv,
        run_backtest,
        write_backtest,
    )
    from forecasting.backtest.engine import check_arguments
    from forecasting.config import load_config
    from forecasting.models.selection import MANIFEST_FILE
    from lymphcast.checks import (
        PROCESSED_FIX,
        check_config_file,
        check_input_dir,
        check_input_file,
        check_output_dir,
    )
    from lymphcast.progress import console_progress

    def names(text: str | None) -> list[str]:
        return [n.strip() for n in (text or "").split(",") if n.strip()]

    if staffing:
        _staffing_backtest(config, processed, folds, step, out)
        return
    try:  # every argument and path before any reading or computing
        config = _default_config(config)
        check_config_file(config)
        cfg = load_config(config)
        chosen = names(models) or [*cfg.model.candidates, "auto", "ensemble"]
        check_arguments(
            chosen, horizon=horizon, folds=folds, selection_folds=selection_folds, step=step,
            season=season, n_paths=paths,
        )  # fmt: skip
        if workers is not None and workers < 1:
            raise ConfigError(f"--workers must be at least 1 (got {workers}).")
        default = Path("backtests") / series.stem if series else Path(cfg.model.backtest_dir)
        target = out or default
        check_output_dir(target, replaced_unless=MANIFEST_FILE)
        if series is not None:
            check_input_file(series, "--series")
            frame = load_series_csv(series)
        else:
            check_input_dir(processed, "--processed", PROCESSED_FIX)
            frame = load_procedure_series(processed, as_of.date() if as_of else None)
        typer.echo(
            f"backtesting {frame['unique_id'].nunique()} series with {', '.join(chosen)}...",
            err=True,
        )
        with console_progress():
            result = run_backtest(
                frame,
                models=chosen,
                horizon=horizon,
                folds=folds,
                selection_folds=selection_folds,
                step=step,
                season=season,
                n_paths=paths,
                seed=cfg.seed if seed is None else seed,
                config=cfg.model,
                holiday_country=cfg.holiday_country,
                regressors=names(regressors),
                workers=workers,
            )
        files = write_backtest(result, target)
    except LymphcastError as err:
        raise _fail(err) from None
    typer.echo(format_leaderboard(result))
    typer.echo(f"leaderboard: {files['leaderboard'].resolve()}")
    typer.echo(f"drill-down: {files['forecasts'].resolve()}  chart: {files['chart'].resolve()}")


def _staffing_backtest(
    config: Path | None, processed: Path, folds: int, step: int | None, out: Path | None
) -> None:
    """`lymphcast backtest --staffing`: the decision backtest (forecasting.backtest.staffing)."""
    from forecasting.backtest.staffing import run_staffing_backtest, write_staffing_backtest
    from forecasting.config import load_config
    from forecasting.ingest import load_bookings, load_processed
    from lymphcast.checks import PROCESSED_FIX, check_config_file, check_input_dir, check_output_dir
    from lymphcast.progress import console_progress

    try:  # every argument and path before any reading or computing
        config = _default_config(config)
        check_config_file(config)
        cfg = load_config(config)
        for option, value in (("--folds", folds), ("--step", step)):
            if value is not None and value < 1:
                raise ConfigError(f"{option} must be at least 1 (got {value}).")
        target = out or Path("backtests") / "staffing"
        check_output_dir(target)
        check_input_dir(processed, "--processed", PROCESSED_FIX)
        procedures, sessions, roster = load_processed(processed)
        typer.echo(f"replaying {folds} past weeks (staffing decisions)...", err=True)
        with console_progress():
            result = run_staffing_backtest(
                procedures, sessions, roster, cfg, bookings=load_bookings(processed),
                folds=folds, step=step or 4,
            )  # fmt: skip
        files = write_staffing_backtest(result, target)
    except LymphcastError as err:
        raise _fail(err) from None
    typer.echo(result.summary.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    for path in files.values():
        typer.echo(f"wrote {Path(path).resolve()}")


@app.command()
def serve(
    config: ConfigOpt = None,
    prefect_yaml: Annotated[
        Path, typer.Option("--prefect-yaml", help="Deployments to serve (weekly, backtest).")
    ] = Path("prefect.yaml"),
    limit: Annotated[
        int | None, typer.Option(help="Flow runs at once in this process. Default: no limit.")
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Validate prefect.yaml and the API, then exit.")
    ] = False,
) -> None:
    """Serve the deployments (weekly run Monday 06:00, monthly backtest) on a Prefect server.

    Needs PREFECT_API_URL pointing at a running `prefect server start`.
    """
    from forecasting.config import load_config

    apply_quiet_defaults()
    try:
        cfg = load_config(_default_config(config))
        from flows.runners import check_prefect_api
        from flows.serve import build_deployments, read_deployments
        from flows.serve import serve as run_server

        specs = read_deployments(prefect_yaml)
        if check_prefect_api() is None:
            raise LymphcastError(
                "PREFECT_API_URL is not set; start a server with `prefect server start` and "
                "set PREFECT_API_URL=http://127.0.0.1:4200/api (or your server's address)."
            )
        if check:
            build_deployments(prefect_yaml, cfg)
            names = ", ".join(s.name for s in specs)
            typer.echo(f"{prefect_yaml}: {names} valid (timezone {cfg.timezone})")
            return
        typer.echo(f"serving {len(specs)} deployments (timezone {cfg.timezone})...", err=True)
        run_server(prefect_yaml, cfg, limit=limit)
    except LymphcastError as err:
        raise _fail(err) from None


def main() -> None:
    app()
