"""Shared fixtures. Prefect's test harness (a temporary API on SQLite) starts once per session."""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from flows.environment import apply_quiet_defaults

# No telemetry (no network here) and a quiet console, before Prefect is imported anywhere.
apply_quiet_defaults()


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    # generous: on a loaded 2-core machine the server has taken more than 120 s to come up
    with prefect_test_harness(server_startup_timeout=300):
        yield


@pytest.fixture
def prefect_api_env(prefect_harness) -> dict[str, str]:
    """The environment for a `lymphcast` subprocess that reports to the session's test API
    instead of starting its own temporary server (about 12 s a run). For tests of a command's
    outcome (exit status, messages, outputs); the temporary server's own life cycle is tested
    without it (tests/test_orphans.py, tests/test_faults.py's read-only HOME)."""
    from prefect.settings import PREFECT_API_URL

    env = {k: v for k, v in os.environ.items() if not k.startswith("LYMPHCAST_FAULT")}
    env["PREFECT_API_URL"] = PREFECT_API_URL.value()
    return env


class ProphetInFastTest(BaseException):
    """A test without the ``slow`` marker fitted Prophet (a BaseException: no fallback hides it)."""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.call_failed = report.failed  # read by _no_prophet_fit_unless_slow
    return report


@pytest.fixture(autouse=True)
def _no_prophet_fit_unless_slow(request, monkeypatch):
    """The fast suite (``-m "not slow"``) fits no Prophet model: such a fit fails the test.

    Only fits in the test's own process are seen (not those of worker processes or
    subprocesses); tests that start those are marked slow anyway.
    """
    if request.node.get_closest_marker("slow") is not None:
        yield
        return
    from forecasting.models.prophet import quiet_prophet

    prophet_cls = quiet_prophet()  # Prophet itself: every fit in forecasting goes through it
    fits: list[str] = []

    def refuse(self, *args, **kwargs):
        fits.append(request.node.nodeid)
        raise ProphetInFastTest(f"{request.node.nodeid} fits Prophet: mark it slow")

    monkeypatch.setattr(prophet_cls, "fit", refuse)
    yield
    if fits and not getattr(request.node, "call_failed", False):  # the exception was swallowed
        pytest.fail(f"this test fits Prophet: mark it @pytest.mark.slow ({len(fits)} fit(s))")


@pytest.fixture(scope="session")
def demo_exports(tmp_path_factory):
    """``demo_exports(dest, *, clinics, years, seed, end, services=("mld",)) -> DemoResult``:
    demo raw exports in ``dest``, each distinct parameter set generated once per session and
    copied from there. MLD alone unless ``services`` says more (the tests written before
    services existed keep their data).

    Every test gets its own copy (runs write next to the raw folder); the returned DemoResult
    names the copied files and carries its own ``truth`` frame.
    """
    from forecasting.demo import DemoResult, generate_demo

    made: dict[tuple, DemoResult] = {}

    def demo(
        dest: Path,
        *,
        clinics: int,
        years: int,
        seed: int,
        end: date,
        services: tuple[str, ...] = ("mld",),
    ) -> DemoResult:
        key = (clinics, years, seed, end, services)
        if key not in made:
            folder = tmp_path_factory.mktemp(f"demo-c{clinics}-y{years}-s{seed}")
            made[key] = generate_demo(
                folder, clinics=clinics, years=years, seed=seed, end=end, services=services
            )
        source = made[key]
        dest = Path(dest)
        dest.mkdir(parents=True, exist_ok=True)
        files = [Path(shutil.copy2(path, dest / path.name)) for path in source.files]
        return replace(source, files=files, rows=dict(source.rows), truth=source.truth.copy())

    return demo
