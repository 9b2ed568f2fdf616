"""Task runners (threads, processes, Dask) and reachability checks of the services a run needs.

Each check raises :class:`~forecasting.errors.LymphcastError` with one sentence that names the
service and the fix, so an operator never reads a traceback for a server that is down.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from typing import Any

from forecasting.config import OrchestrationConfig
from forecasting.errors import ConfigError, LymphcastError

RUNNERS = ("threads", "processes", "dask")


def make_task_runner(orch: OrchestrationConfig) -> Any:
    """The Prefect task runner the settings ask for.

    Args:
        orch: ``task_runner`` picks threads (``ThreadPoolTaskRunner``), processes
            (``ProcessPoolTaskRunner``) or Dask (prefect-dask's ``DaskTaskRunner``: the cluster
            at ``dask_address``, or a ``distributed.LocalCluster`` of ``dask_workers`` workers).

    Returns:
        An unstarted task runner.
    """
    if orch.task_runner == "threads":
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner(max_workers=orch.max_workers)
    if orch.task_runner == "processes":
        from prefect.task_runners import ProcessPoolTaskRunner

        return ProcessPoolTaskRunner(max_workers=orch.max_workers)
    from prefect_dask import DaskTaskRunner

    _quiet_cancelled_reconnect()
    if orch.dask_address:
        return DaskTaskRunner(address=orch.dask_address)
    return DaskTaskRunner(
        cluster_class="distributed.LocalCluster",
        cluster_kwargs={
            "n_workers": orch.dask_workers,
            "threads_per_worker": orch.dask_threads_per_worker,
            "processes": orch.dask_processes,
            "dashboard_address": None,  # no web server nobody asked for
        },
    )


class _CancelledReconnect(logging.Filter):
    """Drop the traceback distributed's client logs when its reconnect loop is cancelled.

    With the scheduler gone, the client retries the connection until the run closes it; the
    cancelled retry is logged with a full traceback although the run has already said, in one
    sentence (:func:`lost_on_dask`), what was lost and what to do.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, asyncio.CancelledError)


def _quiet_cancelled_reconnect() -> None:
    logger = logging.getLogger("distributed.client")
    if not any(isinstance(f, _CancelledReconnect) for f in logger.filters):
        logger.addFilter(_CancelledReconnect())


def check_dask_scheduler(address: str, timeout: float) -> None:
    """Raise LymphcastError unless a Dask scheduler answers at ``address``."""
    from distributed.comm import connect
    from distributed.comm.addressing import parse_address

    try:
        parse_address(address, strict=True)
    except ValueError:
        raise ConfigError(
            f"Dask scheduler address {address!r} is not valid; use the form "
            "tcp://HOST:PORT (orchestration.dask_address or --dask-address)."
        ) from None

    async def _probe() -> None:
        comm = await connect(address, timeout=timeout)
        await comm.close()

    try:
        asyncio.run(_probe())
    except (OSError, TimeoutError) as err:
        raise LymphcastError(
            f"Dask scheduler at {address} is unreachable ({type(err).__name__}); start it "
            "(`dask scheduler`) or fix orchestration.dask_address / --dask-address."
        ) from None


def lost_on_dask(err: BaseException, what: str, address: str | None) -> LymphcastError | None:
    """One sentence for work a Dask cluster lost, or None when ``err`` is not such a loss.

    The scheduler gone (the client cancels every future: ``FutureCancelledError``, reason
    ``scheduler-connection-lost``), a task that took down worker after worker (``KilledWorker``)
    or a closed connection. One lost worker is not an error: the scheduler reruns its tasks on
    the others.
    """
    if "distributed" not in sys.modules:  # not a Dask run: the error is not Dask's
        return None
    from distributed.client import FutureCancelledError
    from distributed.comm.core import CommClosedError
    from distributed.scheduler import KilledWorker

    if isinstance(err, FutureCancelledError):
        reason = str(err.reason).replace("-", " ")
    elif isinstance(err, KilledWorker):
        reason = "every worker that ran it died"
    elif isinstance(err, CommClosedError):
        reason = "connection closed"
    else:
        return None
    where = f"at {address}" if address else "(local cluster)"
    return LymphcastError(
        f"The Dask cluster {where} lost {what} ({reason}); check that its scheduler and "
        "workers are running (`dask scheduler`, `dask worker`) and start the run again."
    )


def check_prefect_api(timeout: float = 10.0) -> str | None:
    """Raise LymphcastError when ``PREFECT_API_URL`` is set but its server does not answer.

    Returns:
        The API URL, or None when unset (Prefect then starts a temporary local server).
    """
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value() or os.environ.get("PREFECT_API_URL")
    if not url:
        return None
    import httpx

    try:
        response = httpx.get(f"{url.rstrip('/')}/health", timeout=timeout)
        response.raise_for_status()
    except httpx.HTTPError as err:
        raise LymphcastError(
            f"Prefect API at {url} is unreachable ({type(err).__name__}); start it with "
            "`prefect server start` or fix PREFECT_API_URL (unset it to run locally)."
        ) from None
    return url
