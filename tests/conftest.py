"""Shared fixtures. Prefect's test harness (a temporary API on SQLite) starts once per session."""

from __future__ import annotations

import pytest

from flows.environment import apply_quiet_defaults

# No telemetry (no network here) and a quiet console, before Prefect is imported anywhere.
apply_quiet_defaults()


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
