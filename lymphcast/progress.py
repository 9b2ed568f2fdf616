"""Progress on the console: a rich bar with an ETA on a terminal, one plain line per stage in a log.

The library reports stages through ``forecasting.progress``; :func:`console_progress` gives it
the right receiver for stderr. On a terminal each stage is a bar (done/total, elapsed, ETA)
that stays on screen, finished, as one line; the ``lymphcast.progress`` log lines are printed
through the same rich console, above the bar, so the two never interleave. When stderr is not
a terminal (a log file, cron, CI) nothing moves: each stage writes one line when it ends, with
its counts and seconds, and no control character.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as RichBars

from forecasting.progress import Progress, reporting

__all__ = ["PlainProgress", "RichProgress", "console_progress", "stage_line"]

PROGRESS_LOGGER = "lymphcast.progress"


def stage_line(stage: str, done: int, total: int, unit: str, seconds: float, detail: str) -> str:
    """``ingest: 12/12 files in 8.1 s (6,400 rows read)``: a stage as one plain line."""
    count = f"{done:,}" if done == total else f"{done:,}/{total:,}"
    line = f"{stage}: {count} {unit} in {seconds:.1f} s"
    return f"{line} ({detail})" if detail else line


class PlainProgress:
    """One line per stage, written when the stage ends (for logs: no bar, no escapes)."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._stage: tuple[str, int, str, float] | None = None
        self._done = 0

    def on_start(self, stage: str, total: int, unit: str) -> None:
        with self._lock:
            self._stage, self._done = (stage, total, unit, time.perf_counter()), 0

    def advance(self, n: int = 1) -> None:
        with self._lock:
            self._done += n

    def on_end(self, detail: str = "") -> None:
        with self._lock:
            if self._stage is None:
                return
            stage, total, unit, started = self._stage
            self._stage = None
            seconds = time.perf_counter() - started
            line = stage_line(stage, self._done, total, unit, seconds, detail)
        self._stream.write(f"  {line}\n")
        self._stream.flush()


class RichProgress:
    """A rich progress bar per stage, left on screen as one finished line when it ends."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._lock = threading.Lock()
        self._bars: RichBars | None = None
        self._task: TaskID | None = None

    def _columns(self) -> tuple:
        return (
            TextColumn("  [bold]{task.description}[/]"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TextColumn("{task.fields[unit]}"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[detail]}"),
        )

    def on_start(self, stage: str, total: int, unit: str) -> None:
        with self._lock:
            self._stop()
            self._bars = RichBars(
                *self._columns(), console=self.console, transient=False, redirect_stdout=False
            )
            self._task = self._bars.add_task(stage, total=max(total, 0), unit=unit, detail="")
            self._bars.start()

    def advance(self, n: int = 1) -> None:
        with self._lock:
            if self._bars is not None and self._task is not None:
                self._bars.advance(self._task, n)

    def on_end(self, detail: str = "") -> None:
        with self._lock:
            if self._bars is not None and self._task is not None:
                self._bars.update(self._task, detail=detail)
            self._stop()

    def _stop(self) -> None:
        if self._bars is not None:
            self._bars.stop()
        self._bars, self._task = None, None


class _ConsoleHandler(logging.Handler):
    """Log records printed through a rich console, so they go above a live bar."""

    def __init__(self, console: Console) -> None:
        super().__init__()
        self._console = console

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._console.print(self.format(record), markup=False, highlight=False)
        except Exception:  # noqa: BLE001 - logging must not break the run
            self.handleError(record)


@contextmanager
def console_progress(stream: IO[str] | None = None) -> Iterator[Progress]:
    """Progress for ``stream`` (default stderr) while the block runs, set for the process.

    A rich bar when ``stream`` is a terminal; otherwise :class:`PlainProgress`. While a bar
    can be shown, the ``lymphcast.progress`` logger's handlers print through rich's console.
    A stage still open when the block ends (it raised) ends there, marked "stopped".
    """
    stream = stream if stream is not None else sys.stderr
    console = Console(file=stream)
    logger = logging.getLogger(PROGRESS_LOGGER)
    saved = logger.handlers[:]
    receiver: PlainProgress | RichProgress
    if not console.is_terminal or console.is_dumb_terminal:
        receiver = PlainProgress(stream)
    else:
        receiver = RichProgress(console)
        handler = _ConsoleHandler(console)
        handler.setFormatter(logging.Formatter("  %(message)s"))
        logger.handlers[:] = [handler]
    try:
        with reporting(receiver):
            yield receiver
    finally:
        receiver.on_end("stopped")  # a stage the run left open (it failed or was interrupted)
        logger.handlers[:] = saved
