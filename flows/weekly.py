"""The ``weekly-staffing`` flow: ingest -> forecast -> demand -> staffing -> report.

Each task wraps one library function. Reliability, from lymphcast.toml's ``[orchestration]``:

- retries with exponential backoff on the I/O tasks only (ingest, load, publish), and only for
  transient errors (``OSError``); a bad export or setting fails at once with its reason;
- a timeout per task (``[orchestration.timeouts]``);
- an on-failure hook that writes ``reports/<week>.FAILED.md`` and a Prefect artifact
  (:mod:`flows.notices`);
- one weekly run at a time per reports directory (a lock file the kernel releases even when the
  process is killed; deployments also carry a concurrency limit of 1, see prefect.yaml);
- outputs published atomically, so a run killed anywhere and started again ends with complete,
  consistent outputs; leftovers of a killed run are tidied at the next start;
- Prefect caching keyed on input hashes, config and code version with results persisted under
  ``<processed>/.cache`` (:mod:`flows.caching`): an unchanged re-run reuses every task, a new
  week of data refits only the series whose history changed;
- the task runner is threads, processes or Dask (:mod:`flows.runners`).

The pipeline's tasks run in the subflow ``weekly-staffing-tasks``, whose task runner is chosen
at run time from the configuration.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, Literal

from prefect import flow

from flows import caching
from flows.artifacts import publish_artifacts
from flows.delivery import deliver_report
from flows.notices import notice_path, write_failure_notice
from flows.runners import check_dask_scheduler, make_task_runner
from flows.weekly_steps import (
    _pause_point,
    _report_outputs,
    _Tasks,
    _transient,
    _within,
    progress,
)
from forecasting import week
from forecasting.calendar import iso_week_label
from forecasting.config import Config, OrchestrationConfig, load_config
from forecasting.errors import LymphcastError
from forecasting.ingest import discover, load_availability, load_clinics, skipped_paths
from forecasting.layout import DataLayout
from forecasting.models import SeriesForecast
from forecasting.models.warm_start import load_warm_starts, save_warm_starts
from forecasting.planning.week_plans import check_plans
from forecasting.progress import begin
from forecasting.report import load_archive
from forecasting.series import SeriesKey

__all__ = ["_transient", "weekly_staffing", "weekly_tasks"]


@flow(name="weekly-staffing-tasks", log_prints=False)
def weekly_tasks(
    as_of: date,
    config: Config,
    raw: str,
    processed: str,
    reports: str,
    config_path: str | None,
    scenarios: list[str] | None = None,
) -> str:
    """The pipeline's tasks (run as a subflow of ``weekly-staffing``); returns the report path."""
    tasks = _Tasks(config, Path(processed))
    layout = DataLayout(raw=Path(raw), processed=Path(processed), reports=Path(reports))
    code, settings = caching.code_version(), caching.config_digest(config)
    today = date.today()

    exports = caching.files_digest(discover(layout.raw))
    skipped = [f"{s.path}: {s.reason}" for s in skipped_paths(layout.raw)]  # in the manifest
    ingest_key = caching.digest("ingest", exports, *skipped, settings, today.isoformat(), code)
    stamp = layout.ingest_stamp
    fresh = caching.stamp_matches(stamp, ingest_key, layout.processed_outputs())
    manifest = tasks.ingest.with_options(refresh_cache=not fresh)(
        layout, config, today, cache_key=ingest_key
    )
    caching.write_stamp(stamp, ingest_key, layout.processed_outputs())

    inputs = tasks.load(layout, as_of)
    chosen = list(config.scenarios) if scenarios is None else list(scenarios)
    clinics = load_clinics(layout.processed)  # the optional clinics export: regions, names
    check_plans(inputs, config, chosen, clinics)  # a scenario that cannot apply: before any fit
    histories = inputs.histories(week.driver_types(config))  # procedures and referral types
    progress.info(
        "forecasting %d series (procedures, referrals) for %d clinics (%s, %d weeks, %d paths)",
        len(histories), len(inputs.clinics), config.model.name, config.horizon_weeks,
        config.n_paths,
    )  # fmt: skip
    keys = sorted(histories)
    selection = caching.selection_digest(config)
    prior = week.network_priors(config, histories)  # pooled: the network, once; else None
    if prior is not None:  # a changed network refits every series
        selection = caching.digest(selection, repr(prior))
    series_keys = {
        k: caching.digest(
            "forecast", *k, caching.frame_digest(histories[k]), settings, selection, code
        )
        for k in keys
    }
    warm = load_warm_starts(layout.processed, inputs.cutoff_week, config)
    by_clinic = week.by_clinic(keys)
    futures = {
        clinic: tasks.forecast.submit(
            clinic,
            {k: histories[k] for k in mine},
            config,
            {k: warm[k] for k in mine if k in warm},
            cache_key=caching.digest("forecast-clinic", *(series_keys[k] for k in mine)),
            prior=prior,
        )
        for clinic, mine in by_clinic.items()
    }
    forecasts: dict[SeriesKey, SeriesForecast] = {}
    running = begin("forecasts", len(keys), "series")  # a clinic's series once its task is read
    while futures:
        # Drop each future once read: on Dask its result is then freed on the worker (held
        # futures kept every clinic's paths in worker memory until the run ended).
        clinic = next(iter(futures))  # in submission order
        future = futures.pop(clinic)
        limit = tasks.forecast_timeout * len(by_clinic[clinic])
        forecasts.update(_within(future, limit, clinic, config.orchestration.dask_address))
        running.advance(len(by_clinic[clinic]))
        del future
    running.end()
    save_warm_starts(layout.processed, inputs.cutoff_week, config, forecasts)
    fallbacks = sum(1 for f in forecasts.values() if f.fallback_reason)
    warm_fits = sum(1 for f in forecasts.values() if f.warm_started)
    progress.info(
        "forecasts done (%d used the fallback model, %d fits started from last week's)",
        fallbacks, warm_fits,
    )  # fmt: skip

    frames = (inputs.procedures, inputs.sessions, inputs.roster, inputs.bookings, inputs.scheduled)
    archived = load_archive(layout.forecasts, before=as_of).forecasts
    calibration_key = caching.digest(
        "calibration", str(inputs.cutoff_week), *map(caching.frame_digest, frames),
        caching.frame_digest(archived), settings, selection, code,
    )  # fmt: skip
    calibration = tasks.calibrate(inputs, archived, config, cache_key=calibration_key)
    assemble_key = caching.digest(
        "assemble", str(inputs.cutoff_week), *map(caching.frame_digest, frames),
        *(series_keys[k] for k in keys), settings, code, str(calibration.manifest()),
        repr(sorted(inputs.rejected.items())),  # quarantined rows per clinic: its problems
    )  # fmt: skip
    result = tasks.assemble(
        inputs, forecasts, config, cache_key=assemble_key, calibration=calibration
    )

    availability = load_availability(layout.processed)  # optional: the shift plan's hours
    digests = [
        caching.frame_digest(f) if f is not None else "none" for f in (clinics, availability)
    ]
    plans_key = caching.digest("plans", assemble_key, *digests, *chosen)
    plans = tasks.plans(
        inputs, forecasts, result, config, cache_key=plans_key, scenarios=chosen,
        calibration=calibration, clinics=clinics, availability=availability,
    )  # fmt: skip

    final, archive = layout.report_dir(as_of), layout.forecast_archive(as_of)
    report_key = caching.digest(
        "report", plans_key, manifest.to_json(), str(config_path),
        str(final.resolve()), str(archive.resolve()), code,
    )  # fmt: skip
    report_stamp = layout.report_stamp(as_of)
    fresh = caching.stamp_matches(report_stamp, report_key, _report_outputs(final, archive))
    path = tasks.report.with_options(refresh_cache=not fresh)(
        cache_key=report_key,
        layout=layout,
        inputs=inputs,
        result=result,
        config=config,
        ingest_manifest=manifest,
        config_path=Path(config_path) if config_path else None,
        plans=plans,
    )
    _pause_point("after-publish")
    caching.write_stamp(report_stamp, report_key, _report_outputs(final, archive))
    publish_artifacts(path)  # decisions, staffing table and report link in the Prefect UI
    return str(path)


@contextmanager
def _run_lock(reports: Path, timeout: float) -> Iterator[None]:
    """Hold ``reports/.weekly-staffing.lock``; wait up to ``timeout`` s for another run."""
    reports.mkdir(parents=True, exist_ok=True)
    path = DataLayout(reports=reports).lock
    with path.open("a+") as fh:
        deadline, waiting = time.monotonic() + timeout, False
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fh.seek(0)
                fh.truncate()
                fh.write(f"{os.getpid()}\n")  # named in the waiting message of the next run
                fh.flush()
                break
            except BlockingIOError:
                if not waiting:
                    waiting = True
                    holder = path.read_text().strip() or "unknown"
                    progress.info(
                        "waiting up to %.0f s for the run holding %s (pid %s)",
                        timeout, path, holder,
                    )  # fmt: skip
                if time.monotonic() >= deadline:
                    raise LymphcastError(
                        f"Another weekly run is still writing to {reports} (it holds {path}); "
                        "wait for it to finish, or raise orchestration.lock_timeout_seconds."
                    ) from None
                time.sleep(min(2.0, max(timeout, 0.1)))
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _tidy(layout: DataLayout, label: str) -> None:
    """Remove what a killed run left behind; put back a report it had moved aside."""
    final, old = layout.reports / label, layout.reports / f".{label}.old"
    if old.is_dir() and not final.exists():
        os.replace(old, final)  # killed between the two renames of a publish
    for leftover in layout.leftovers(label):
        if leftover.is_dir():
            shutil.rmtree(leftover)  # staging folder of an unfinished publish
        else:
            leftover.unlink(missing_ok=True)  # temp file of an unfinished atomic write


@contextmanager
def _api_for_workers(orch: OrchestrationConfig) -> Iterator[None]:
    """Give worker processes this run's API URL.

    Without ``PREFECT_API_URL`` Prefect serves a temporary local API in this process; worker
    processes would each try to start their own. The URL travels in the settings context that
    Prefect sends with every task (processes and Dask alike).
    """
    from prefect.context import FlowRunContext
    from prefect.settings import PREFECT_API_URL, temporary_settings

    ctx = FlowRunContext.get()
    if orch.task_runner == "threads" or PREFECT_API_URL.value() or ctx is None:
        yield
        return
    with temporary_settings({PREFECT_API_URL: str(ctx.client.api_url).rstrip("/")}):
        yield


def _orchestration(
    config: Config, task_runner: str | None, dask_address: str | None
) -> OrchestrationConfig:
    updates: dict[str, Any] = {}
    if task_runner:
        updates["task_runner"] = task_runner
    if dask_address:
        updates["dask_address"] = dask_address
        updates.setdefault("task_runner", "dask")
    return config.orchestration.model_copy(update=updates)


@flow(
    name="weekly-staffing",
    log_prints=False,
    on_failure=[write_failure_notice],
    on_crashed=[write_failure_notice],
)
def weekly_staffing(
    as_of: date | None = None,
    config_path: str | None = None,
    raw: str = "data/raw",
    processed: str = "data/processed",
    reports: str = "reports",
    task_runner: Literal["threads", "processes", "dask"] | None = None,
    dask_address: str | None = None,
    scenarios: list[str] | None = None,
) -> str:
    """Weekly MLD session forecast and therapist staffing report; returns the report path.

    Args:
        as_of: Data cut-off (default today); the report is for its ISO week.
        config_path: lymphcast.toml; None for the built-in defaults.
        raw: Directory of raw clinic exports (read only).
        processed: Directory for validated weekly data (and the task cache).
        reports: Directory of weekly reports.
        task_runner: Overrides ``orchestration.task_runner``.
        dask_address: Overrides ``orchestration.dask_address`` (implies the Dask runner).
        scenarios: The ``[scenarios]`` to run beside the base plan; None: every configured one.
    """
    as_of = as_of or date.today()
    config = load_config(Path(config_path) if config_path else None)
    orch = _orchestration(config, task_runner, dask_address)
    config = config.model_copy(update={"orchestration": orch})
    if orch.task_runner == "dask" and orch.dask_address:
        check_dask_scheduler(orch.dask_address, orch.dask_connect_timeout_seconds)
    reports_dir, label = Path(reports), iso_week_label(as_of)
    with _run_lock(reports_dir, orch.lock_timeout_seconds):
        _tidy(DataLayout(processed=Path(processed), reports=reports_dir), label)
        run = weekly_tasks.with_options(task_runner=make_task_runner(orch))
        with _api_for_workers(orch):
            path = run(as_of, config, raw, processed, reports, config_path, scenarios)
        notice_path(reports_dir, as_of).unlink(missing_ok=True)
    deliver_report(config, path)  # [delivery] e-mails and webhook; never fails the run
    return path
