"""Failure notices: what failed, which input, what to do; beside the reports and in Prefect.

The weekly flow's on-failure hook calls :func:`write_failure_notice`. The notice is a small
markdown file ``reports/<YYYY>-W<ww>.FAILED.md`` (the ISO week of the run's data cut-off; last
week's good report is never touched) and the same text as a Prefect markdown artifact with key
``weekly-staffing-failure``. A later successful run of that week removes the file.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from forecasting import io as atomic
from forecasting.calendar import iso_week_label
from forecasting.errors import ConfigError, LymphcastError
from forecasting.layout import DataLayout

logger = logging.getLogger("lymphcast.flows")

ARTIFACT_KEY = "weekly-staffing-failure"


def notice_path(reports: str | Path, as_of: date) -> Path:
    """Where the failure notice of the run for ``as_of`` is written."""
    return DataLayout(reports=Path(reports)).failure_notice(as_of)


def _what_to_do(err: BaseException | None, params: dict[str, Any], flow_run_id: str) -> str:
    rerun = "then run it again (`lymphcast weekly"
    if params.get("as_of"):
        rerun += f" --as-of {params['as_of']}"
    rerun += "`, or re-run the flow run in the Prefect UI)."
    if isinstance(err, ConfigError):
        return f"Fix the setting or argument named in the error, {rerun}"
    if isinstance(err, LymphcastError):
        return f"Do what the error says, {rerun}"
    if isinstance(err, TimeoutError) or type(err).__name__.endswith("TimeoutError"):
        return (
            "A task ran longer than its limit in [orchestration.timeouts] of lymphcast.toml: "
            f"check the machine's load or raise that limit, {rerun}"
        )
    if isinstance(err, OSError):
        return (
            "A file could not be read or written even after retries: check that the input "
            f"and output directories exist, are writable and have free space, {rerun}"
        )
    return (
        f"This is unexpected: read the logs of flow run {flow_run_id} in the Prefect UI (or the "
        f"console output) and report it to whoever maintains lymphcast; {rerun}"
    )


def _failed_tasks(flow_run_id: Any) -> list[str]:
    """Names of the failed or crashed task runs of the flow run and its subflow runs."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterId,
        FlowRunFilterParentFlowRunId,
        TaskRunFilter,
        TaskRunFilterState,
        TaskRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    with get_client(sync_client=True) as client:
        children = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[flow_run_id])
            )
        )
        ids = [flow_run_id, *(c.id for c in children)]
        failed = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)),
            task_run_filter=TaskRunFilter(
                state=TaskRunFilterState(
                    type=TaskRunFilterStateType(any_=[StateType.FAILED, StateType.CRASHED])
                )
            ),
        )
    return sorted({t.name for t in failed})


def failure_markdown(
    err: BaseException | None,
    params: dict[str, Any],
    as_of: date,
    flow_run_id: str,
    failed_tasks: list[str],
) -> str:
    """The notice's text (markdown): what failed, which input, what to do."""
    what = ", ".join(f"`{t}`" for t in failed_tasks) if failed_tasks else "the flow itself"
    error = f"{type(err).__name__}: {err}" if err is not None else "unknown (see the run logs)"
    inputs = [
        f"- data cut-off (as-of): {as_of.isoformat()}",
        f"- raw exports: `{params.get('raw', 'data/raw')}`",
        f"- processed data: `{params.get('processed', 'data/processed')}`",
        f"- config: `{params.get('config_path') or 'lymphcast.toml / defaults'}`",
    ]
    return "\n".join(
        [
            f"# The weekly staffing run for {iso_week_label(as_of)} failed",
            "",
            f"- when: {datetime.now(UTC).isoformat(timespec='seconds')}",
            f"- flow run: {flow_run_id}",
            f"- what failed: {what}",
            f"- error: {error}",
            "",
            "## Which input",
            *inputs,
            "",
            "## What to do",
            _what_to_do(err, params, flow_run_id),
            "",
            "No report was published for this week by this run; an earlier report stays as it was.",
            "",
        ]
    )


def write_failure_notice(flow: Any, flow_run: Any, state: Any) -> None:
    """Prefect on-failure hook: write the notice beside the reports and as an artifact."""
    params = dict(flow_run.parameters or {})
    as_of = params.get("as_of") or date.today()
    as_of = date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
    try:
        err = state.result(raise_on_failure=False)
    except Exception:  # noqa: BLE001 - the hook must not fail over a missing result
        err = None
    err = err if isinstance(err, BaseException) else None
    try:
        failed = _failed_tasks(flow_run.id)
    except Exception as exc:  # noqa: BLE001 - API trouble must not hide the notice
        logger.warning("could not list failed tasks: %s", exc)
        failed = []
    text = failure_markdown(err, params, as_of, str(flow_run.id), failed)
    path = notice_path(params.get("reports", "reports"), as_of)
    written = False
    try:
        atomic.write_text(path, text)
        written = True
    except (OSError, LymphcastError) as exc:
        # Say so, and print the notice itself so it is not lost.
        logger.error("could not write the failure notice %s (%s); it follows:\n%s", path, exc, text)
    try:
        from prefect.artifacts import create_markdown_artifact

        create_markdown_artifact(
            markdown=text,
            key=ARTIFACT_KEY,
            description=f"Why the weekly run for {iso_week_label(as_of)} failed",
        )
    except Exception as exc:  # noqa: BLE001 - the file notice is written already
        logger.warning("could not create the failure artifact: %s", exc)
    if written:
        logger.error("weekly run failed; notice written to %s", path)
    _deliver(flow, flow_run, params, text, path, iso_week_label(as_of))


def _deliver(flow: Any, flow_run: Any, params: dict, text: str, path: Path, week: str) -> None:
    """E-mail operations and post the webhook of [delivery] (flows.delivery), if enabled."""
    try:
        from prefect.logging.loggers import flow_run_logger

        from flows.delivery import deliver_failure

        deliver_failure(params, text, path, week, flow_run_logger(flow_run, flow))
    except Exception as exc:  # noqa: BLE001 - the notice is written already
        logger.warning("could not deliver the failure notice: %s", exc)
