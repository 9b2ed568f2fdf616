"""Argument checks the CLI runs before any work, so a bad --out is refused at once."""

from __future__ import annotations

import os
from pathlib import Path

from forecasting.errors import OutputError


def check_output_dir(path: Path, option: str = "--out") -> None:
    """Refuse ``path`` unless it is (or can become) a writable directory; one sentence why."""
    probe = path
    while not probe.exists():
        if probe.is_symlink():  # dangling link: mkdir would fail later
            raise OutputError(f"{option} {path}: {probe} is a dangling symbolic link; remove it.")
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        where = "is" if probe == path else f"would be inside {probe}, which is"
        raise OutputError(
            f"{option} {path} {where} a file, not a folder; "
            "pass a folder (it is created if missing) or move the file away."
        )
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputError(
            f"{option} {path}: the folder {probe} is not writable; "
            "choose another folder or fix its permissions."
        )
