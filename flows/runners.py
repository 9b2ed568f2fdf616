"""Task runners (threads, processes, Dask) and reachability checks of the services a run needs.

Each check raises :class:`~forecasting.errors.LymphcastError` with one sentence that names the
service and the fix, so an operator never reads a traceback for a server that is down.
"""

from __future__ import annotations

import asyncio
import os
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
