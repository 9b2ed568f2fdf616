"""Checks before Prefect starts: the data cut-off, the folders a run writes, Prefect's home.

A run that would fail on a read-only folder or a full disk fails here, in one sentence and in
a second, instead of after Prefect's start-up and a minute of work. An unusable Prefect home
(a read-only HOME, say) is replaced by one inside the project's data folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import date
from pathlib import Path

from forecasting.config import IngestConfig
from forecasting.errors import ConfigError, OutputError


def _unwritable(folder: Path) -> str | None:
    """Why ``folder`` cannot be written (created if missing), or None when it can."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".lymphcast-check-"):
            pass
    except OSError as err:
        return err.strerror or str(err)
    return None


def check_writable(folder: Path, option: str) -> None:
    """Raise ConfigError naming ``folder`` and ``option`` when the run could not write there."""
    reason = _unwritable(Path(folder))
    if reason:
        raise ConfigError(
            f"Cannot write to {folder} ({reason}); make it writable for this user or pass "
            f"{option} with a folder that is."
        )


def check_free_space(folder: Path, min_mb: float, option: str) -> None:
    """Raise OutputError when the disk of ``folder`` has less than ``min_mb`` MB free."""
    free = shutil.disk_usage(folder).free / 2**20
    if free < min_mb:
        raise OutputError(
            f"Only {free:.0f} MB free on the disk of {folder} (a run needs about {min_mb:.0f} "
            f"MB); free space there or pass {option} with another folder "
            "(orchestration.min_free_mb sets the threshold)."
        )


def prefect_home(data_dir: Path) -> str | None:
    """Make sure Prefect has a home it can write; return a note when a fallback is used.

    Prefect keeps its database and settings under ``PREFECT_HOME`` (default ``~/.prefect``).
    When that cannot be written, ``<data_dir>/.prefect`` is used instead (set in the
    environment before Prefect is imported).

    Raises:
        ConfigError: neither the Prefect home nor the fallback can be written.
    """
    configured = os.environ.get("PREFECT_HOME")
    try:
        home = Path(configured).expanduser() if configured else Path.home() / ".prefect"
        reason = _unwritable(home)
    except (OSError, RuntimeError) as err:  # no usable HOME at all
        home, reason = Path("~/.prefect"), str(err)
    if reason is None:
        return None
    fallback = (Path(data_dir) / ".prefect").resolve()
    if _unwritable(fallback):
        raise ConfigError(
            f"Prefect's home {home} cannot be written ({reason}) and neither can {fallback}; "
            "set PREFECT_HOME to a writable folder."
        )
    os.environ["PREFECT_HOME"] = str(fallback)
    if "MPLCONFIGDIR" not in os.environ:  # matplotlib's cache sits in HOME as well
        os.environ["MPLCONFIGDIR"] = str(fallback.parent / ".matplotlib")
    return f"Prefect's home {home} cannot be written ({reason}); using {fallback} instead."


def check_data_cutoff(raw: Path, as_of: date, config: IngestConfig) -> None:
    """Refuse a cut-off before the raw exports' first week of data, before Prefect starts.

    Reads only the date column of each procedures and sessions export
    (:func:`forecasting.ingest.span.first_data_day`), so nothing is ingested, published or
    noticed for a run that cannot have any history. The flow checks the processed data again
    (:func:`forecasting.demand.cutoff.check_cutoff`): rows dated before the cut-off that the
    ingest rejects are caught there.

    Raises:
        InputError: ``--as-of`` is before the first week of data (exit 2), in one sentence.
    """
    from forecasting.calendar import week_start
    from forecasting.demand.cutoff import refuse_early_cutoff
    from forecasting.ingest.span import first_data_day

    first = first_data_day(raw, config, before=week_start(as_of).date())
    refuse_early_cutoff(first, as_of)
