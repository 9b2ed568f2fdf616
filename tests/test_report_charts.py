"""Charts drawn ahead by a process pool: the same bytes as drawn in-process, and a fallback."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import pytest
from report_fixtures import report_data

from forecasting.report import ReportView, build_view, chart_pool, draw_charts, render_html


@pytest.fixture(scope="module")
def view() -> ReportView:
    return build_view(report_data())


def _pngs(view: ReportView) -> list[bytes]:
    return [chart.png for clinic in view.clinics for chart in clinic.charts]


def test_a_process_pool_draws_the_same_bytes_as_this_process(view: ReportView) -> None:
    here = draw_charts(view)
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        there = draw_charts(view, pool)
    assert _pngs(there) == _pngs(here)
    assert sum(1 for png in _pngs(here) if png) == 6  # three charts per clinic
    # the view passed in is not drawn into (draw_charts returns a new one) ...
    assert all("png" not in vars(c) for clinic in view.clinics for c in clinic.charts)
    # ... and renders to the same page when its charts are drawn lazily
    assert render_html(there) == render_html(here) == render_html(view)


class _BreaksAfter(Executor):
    """Returns ``n`` results, then fails as a pool whose worker was killed."""

    def __init__(self, n: int) -> None:
        self.n = n

    def map(self, fn: Callable, *iterables: Iterable, **_: object) -> Iterator:  # type: ignore[override]
        for i, args in enumerate(zip(*iterables, strict=True)):
            if i == self.n:
                raise BrokenProcessPool("a worker died")
            yield fn(*args)


def test_charts_a_broken_pool_did_not_return_are_drawn_here(view: ReportView) -> None:
    assert _pngs(draw_charts(view, _BreaksAfter(2))) == _pngs(draw_charts(view))


def test_a_pool_only_for_enough_charts_and_more_than_one_worker() -> None:
    with chart_pool(0, 18) as pool:  # a 6-clinic report: drawn here
        assert pool is None
    with chart_pool(1, 600) as pool:  # chart_workers = 1: drawn here
        assert pool is None
    with chart_pool(2, 600) as pool:
        assert isinstance(pool, ProcessPoolExecutor)
