"""The environment every lymphcast process gives Prefect (no Prefect import here).

No telemetry (the machines have no internet and Prefect's attempts fail loudly) and a quiet
console. Set before Prefect is imported; values already in the environment win.
"""

from __future__ import annotations

import os

QUIET_PREFECT_ENV = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_LOG_PRINTS": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
}

# A `prefect server start` launched by a test or benchmark needs no web UI either.
QUIET_SERVER_ENV = {**QUIET_PREFECT_ENV, "PREFECT_UI_ENABLED": "false"}


def apply_quiet_defaults() -> None:
    """Put QUIET_PREFECT_ENV into os.environ where a value is not already set."""
    for key, value in QUIET_PREFECT_ENV.items():
        os.environ.setdefault(key, value)
