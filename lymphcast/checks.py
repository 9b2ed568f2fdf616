"""Argument checks the CLI runs before any work: every path option refused at once, in one sentence.

A long command (``weekly``, ``ingest``, ``backtest``, ``demo``, ``report``) checks its folders
and files here before it reads data or starts Prefect: a file where a folder is expected, a
path under a file, a dangling symbolic link, a folder that cannot be read or written, an output
folder that would be replaced but holds something else. Each refusal is a ConfigError (exit
status 2) naming the option, the path and the fix.
"""

from __future__ import annotations

import os
from pathlib import Path

from forecasting.errors import ConfigError

__all__ = [
    "PROCESSED_FIX", "RAW_FIX", "check_config_file", "check_input_dir", "check_input_file",
    "check_not_inside", "check_output_dir", "check_run_paths",
]  # fmt: skip


def _dangling(path: Path) -> bool:
    return path.is_symlink() and not path.exists()


def _missing(path: Path, option: str, what: str, fix: str) -> ConfigError:
    if _dangling(path):
        target = os.readlink(path)
        return ConfigError(
            f"{option} {path} is a symbolic link to {target}, which does not exist; "
            f"fix or remove the link, or pass {option} with {what}."
        )
    parent = next((p for p in path.parents if p.exists()), None)
    if parent is not None and not parent.is_dir():
        return ConfigError(
            f"{option} {path} would be inside {parent}, which is a file; pass {option} with {what}."
        )
    return ConfigError(f"{option} {path} does not exist; {fix}")


def check_input_dir(path: Path, option: str, fix: str) -> None:
    """Refuse ``path`` unless it is a folder this user can list and read.

    Args:
        fix: what to do when it does not exist (one clause, ending with a full stop).
    """
    path = Path(path)
    if not path.exists():
        raise _missing(path, option, "an existing folder", fix)
    if not path.is_dir():
        raise ConfigError(f"{option} {path} is a file, not a folder; pass {option} with a folder.")
    if not os.access(path, os.R_OK | os.X_OK):
        raise ConfigError(
            f"{option} {path} cannot be read by this user; fix its permissions or pass {option} "
            "with another folder."
        )


def check_input_file(path: Path, option: str) -> None:
    """Refuse ``path`` unless it is a file this user can read."""
    path = Path(path)
    if not path.exists():
        raise _missing(path, option, "an existing file", f"pass {option} with an existing file.")
    if path.is_dir():
        raise ConfigError(f"{option} {path} is a folder, not a file; pass {option} with a file.")
    if not os.access(path, os.R_OK):
        raise ConfigError(
            f"{option} {path} cannot be read by this user; fix its permissions or pass {option} "
            "with another file."
        )


def check_config_file(path: Path | None) -> None:
    """``--config``: None (built-in defaults) or a readable file."""
    if path is not None:
        check_input_file(path, "--config")


def check_output_dir(path: Path, option: str = "--out", replaced_unless: str | None = None) -> None:
    """Refuse ``path`` unless it is (or can become) a writable directory; one sentence why.

    Args:
        replaced_unless: the folder is replaced whole: an existing, non-empty ``path`` must
            hold this file (it is then an earlier output of the same command).
    """
    path = Path(path)
    probe = path
    while not probe.exists():
        if probe.is_symlink():  # dangling link: mkdir would fail later
            raise ConfigError(
                f"{option} {path}: {probe} is a symbolic link to {os.readlink(probe)}, which does "
                "not exist; remove the link or make its target."
            )
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        where = "is" if probe == path else f"would be inside {probe}, which is"
        raise ConfigError(
            f"{option} {path} {where} a file, not a folder; "
            "pass a folder (it is created if missing) or move the file away."
        )
    if not os.access(probe, os.W_OK | os.X_OK):
        raise ConfigError(
            f"{option} {path}: the folder {probe} is not writable; "
            "choose another folder or fix its permissions."
        )
    if replaced_unless and probe == path and any(path.iterdir()):
        if not (path / replaced_unless).is_file():
            raise ConfigError(
                f"{option} {path} is not empty and holds no earlier output ({replaced_unless}), "
                "but it would be replaced whole; choose a new or empty folder."
            )


def check_not_inside(path: Path, option: str, raw: Path) -> None:
    """Refuse an output folder at or inside ``--raw``: the raw exports are only ever read."""
    out, source = Path(path).resolve(), Path(raw).resolve()
    if out == source or source in out.parents:
        raise ConfigError(
            f"{option} {path} is inside --raw {raw}, which is only ever read; pass {option} "
            "with a folder outside it."
        )


RAW_FIX = (
    "create it and put the clinic exports there, or run `lymphcast demo` to write example exports."
)
PROCESSED_FIX = "run `lymphcast ingest` first, or pass --processed with the folder it wrote."


def check_run_paths(
    config: Path | None, raw: Path, processed: Path, reports: Path | None = None
) -> None:
    """``ingest`` and ``weekly``: --config readable, --raw a readable folder, --processed (and
    --reports) folders that can be written and lie outside --raw."""
    check_config_file(config)
    check_input_dir(raw, "--raw", RAW_FIX)
    outputs = [("--processed", processed)] + ([("--reports", reports)] if reports else [])
    for option, folder in outputs:
        check_output_dir(folder, option)
        check_not_inside(folder, option, raw)
