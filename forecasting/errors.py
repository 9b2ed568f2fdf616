"""Project exceptions: each message names the file, row or setting and the fix."""

from __future__ import annotations


class LymphcastError(Exception):
    """An expected failure with a one-sentence, user-facing message."""

    exit_code = 1


class ConfigError(LymphcastError):
    """A bad argument or configuration value (exit status 2)."""

    exit_code = 2


class InputError(LymphcastError):
    """Input data that cannot be used at all (exit status 2 when nothing is usable)."""

    exit_code = 2
