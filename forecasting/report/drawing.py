"""Drawing a view's charts: in a process pool for a large network, else in this process."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import replace
from itertools import accumulate

from forecasting.progress import Progress, stage
from forecasting.report.clinic_charts import Chart
from forecasting.report.view import ClinicView, ReportView
from forecasting.workers import process_pool, worker_count

__all__ = ["chart_pool", "draw_charts"]

# A worker process costs about a second to start (it imports pandas and matplotlib), the time
# to draw some 30 charts: fewer charts per worker than this are drawn in the running process.
_CHARTS_PER_WORKER = 40
_CHUNK = 8  # charts sent to a worker at a time: few messages, and the workers finish together


def draw_charts(
    view: ReportView, executor: Executor | None = None, progress: Progress | None = None
) -> ReportView:
    """The view with every chart drawn, by ``executor`` (e.g. ``chart_pool``) or in this process.

    Charts are lazy (``Chart.draw`` is a picklable call of a ``charts`` function on small
    frames), so a process pool can draw them; they come back in order, and each chart's bytes
    depend only on its own frames, so the view is the same whoever drew it. If the pool breaks
    (a worker killed), the charts it did not return are drawn here. ``progress`` hears of each
    clinic whose charts are drawn (stage "charts"; default ``forecasting.progress``'s receiver).
    """
    todo = [c.draw for clinic in view.clinics for c in _charts(clinic) if c.draw is not None]
    # Charts drawn once each clinic is done (a clinic without charts is done at once).
    ends = list(accumulate(sum(c.draw is not None for c in _charts(cl)) for cl in view.clinics))
    pngs: list[bytes] = []
    with stage("charts", len(view.clinics), "clinics", progress) as running:
        reported = bisect_right(ends, 0)
        running.advance(reported)

        def keep(png: bytes) -> None:
            nonlocal reported
            pngs.append(png)
            done = bisect_right(ends, len(pngs))
            running.advance(done - reported)
            reported = done

        if executor is not None and todo:
            try:
                for png in executor.map(_call, todo, chunksize=_CHUNK):
                    keep(png)
            except BrokenProcessPool:
                pass  # the charts returned before the pool broke are kept; the rest drawn here
        for draw in todo[len(pngs) :]:
            keep(draw())
    drawn = iter(pngs)

    def done(charts: list[Chart]) -> list[Chart]:
        return [ch.drawn(next(drawn)) if ch.draw is not None else ch for ch in charts]

    clinics = []
    for clinic in view.clinics:  # in _charts' order: the clinic's charts, then its services'
        ready = replace(clinic, charts=done(clinic.charts))
        if ready.services is not None:
            services = replace(ready.services, charts=done(ready.services.charts))
            ready = replace(ready, services=services)
        clinics.append(ready)
    return replace(view, clinics=clinics)


def _charts(clinic: ClinicView) -> list[Chart]:
    """A clinic's charts, then its services' (several services only)."""
    return clinic.charts + (clinic.services.charts if clinic.services is not None else [])


@contextmanager
def chart_pool(workers: int, charts: int) -> Iterator[Executor | None]:
    """A process pool to draw ``charts`` charts with, or None to draw them in this process.

    Args:
        workers: ``[report] chart_workers``: 0 = one per CPU this process may use, 1 = none.
        charts: how many charts there are: a small report is drawn in this process, since
            starting a worker costs about as much as drawing 30 charts.

    None, too, inside a daemonic process (a Dask worker's), which may not start processes.
    The pool forks its workers from a fork server, which is safe in a process with threads
    (a Prefect flow); scripts that draw a large report need the ``__main__`` guard. The
    workers start (and import matplotlib) at once, so entering the pool before building the
    view overlaps the two.
    """
    n = worker_count(workers, charts // _CHARTS_PER_WORKER)
    if n < 2:
        yield None
        return
    with process_pool(n) as pool:
        for _ in range(n):
            pool.submit(_ready)
        yield pool


def _call(draw: Callable[[], bytes]) -> bytes:
    return draw()


def _ready() -> None:
    """Nothing: a worker that runs it has started and imported this module (and matplotlib)."""
