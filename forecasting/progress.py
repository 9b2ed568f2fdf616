"""Progress of the long loops (ingest files, forecast series, backtest windows, report charts).

The library never prints: a loop reports to a :class:`Progress` (``on_start(stage, total,
unit)``, ``advance(n)``, ``on_end(detail)``), by default one that does nothing. The command
line gives its own (``lymphcast/progress.py``: a rich bar with an ETA on a terminal, one plain
line per stage in a log). Each loop takes it as an optional ``progress`` argument; when that is
None, the one set for the process by :func:`reporting` is used, so the tasks of a Prefect flow
that run in the process report without carrying it as a parameter. Work done in other
processes (worker pools, Dask) is counted where its results come back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

__all__ = [
    "NO_PROGRESS",
    "NoProgress",
    "Progress",
    "Stage",
    "begin",
    "current",
    "reporting",
    "stage",
]


class Progress(Protocol):
    """Receives the progress of one stage at a time (stages do not nest)."""

    def on_start(self, stage: str, total: int, unit: str) -> None:
        """A stage of ``total`` items (``unit``: "files", "series", ...) begins."""

    def advance(self, n: int = 1) -> None:
        """``n`` more items of the current stage are done."""

    def on_end(self, detail: str = "") -> None:
        """The current stage ended; ``detail`` adds a short summary ("6,400 rows read")."""


class NoProgress:
    """The default: reports nothing."""

    def on_start(self, stage: str, total: int, unit: str) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def on_end(self, detail: str = "") -> None:
        pass


NO_PROGRESS: Progress = NoProgress()
_current: Progress = NO_PROGRESS


def current() -> Progress:
    """The process's progress receiver (:data:`NO_PROGRESS` unless :func:`reporting` set one)."""
    return _current


@contextmanager
def reporting(progress: Progress) -> Iterator[Progress]:
    """Make ``progress`` the process's receiver while the block runs (the CLI's entry point)."""
    global _current
    previous, _current = _current, progress
    try:
        yield progress
    finally:
        _current = previous


class Stage:
    """A running stage: ``advance(n)`` as items finish, ``note(text)`` for the end summary,
    ``end()`` once (:func:`stage` ends it for a block)."""

    def __init__(self, progress: Progress, name: str, total: int, unit: str) -> None:
        self._progress = progress
        self._open = True
        self.detail = ""
        progress.on_start(name, total, unit)

    def advance(self, n: int = 1) -> None:
        if n and self._open:
            self._progress.advance(n)

    def note(self, detail: str) -> None:
        self.detail = detail

    def end(self, detail: str | None = None) -> None:
        if self._open:
            self._open = False
            self._progress.on_end(self.detail if detail is None else detail)


def begin(name: str, total: int, unit: str, progress: Progress | None = None) -> Stage:
    """Start a stage of ``total`` items on ``progress`` (default :func:`current`); call
    ``end()`` on it when done (a receiver ends a stage left open when the next one starts)."""
    return Stage(progress if progress is not None else _current, name, total, unit)


@contextmanager
def stage(name: str, total: int, unit: str, progress: Progress | None = None) -> Iterator[Stage]:
    """:func:`begin` for a block: the stage ends with it, with "stopped" after an exception."""
    running = begin(name, total, unit, progress)
    try:
        yield running
    except BaseException:
        running.end("stopped")
        raise
    running.end()
