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


class OutputError(LymphcastError):
    """An output that cannot be written: a full disk or a folder without write permission."""

    exit_code = 1


_NO_SPACE = {28, 122}  # ENOSPC, EDQUOT
_NO_WRITE = {1, 13, 30}  # EPERM, EACCES, EROFS


def output_error(path: object, err: OSError) -> LymphcastError | OSError:
    """``err`` as one sentence naming ``path`` and the fix, when the fix is the user's.

    A full disk or a folder that may not be written becomes an :class:`OutputError` (no retry
    helps); any other OSError (a network file system's hiccup) is returned as it is.
    """
    reason = err.strerror or str(err)
    if err.errno in _NO_SPACE:
        return OutputError(
            f"Could not write {path}: {reason}; free space on that disk (or point the folder "
            "elsewhere with --processed / --reports) and run again."
        )
    if err.errno in _NO_WRITE:
        return OutputError(
            f"Could not write {path}: {reason}; make the folder writable for this user (or "
            "point it elsewhere with --processed / --reports) and run again."
        )
    return err
