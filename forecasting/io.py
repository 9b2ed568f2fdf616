"""Atomic writes: a crash never leaves a half-written file or report directory."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from forecasting.errors import OutputError, output_error


def atomic_write(path: Path, writer: Callable[[Path], object]) -> Path:
    """Call ``writer(tmp_path)`` then rename the temp file onto ``path``.

    The temp file sits in the destination directory so the rename is atomic on POSIX.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as err:
        raise output_error(path, err) from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        os.chmod(tmp_path, 0o644)  # mkstemp makes 0600; outputs are meant to be shared
        writer(tmp_path)
        os.replace(tmp_path, path)
    except OSError as err:
        raise output_error(path, err) from None
    finally:
        if tmp_path.exists():
            tmp_path.unlink()
    return path


def write_text(path: Path, text: str) -> Path:
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_bytes(path: Path, data: bytes) -> Path:
    return atomic_write(path, lambda p: p.write_bytes(data))


def write_json(path: Path, obj: Any) -> Path:
    text = json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n"
    return write_text(path, text)


def without_negative_zero(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose float columns hold 0.0 where they held -0.0 (rounding a small negative
    gives -0.0, which a CSV shows as "-0.0"); every other value, NaN included, is unchanged."""
    floats = frame.select_dtypes(include="float").columns
    if not len(floats):
        return frame
    clean = frame.copy()
    clean[floats] = clean[floats] + 0.0  # IEEE 754: -0.0 + 0.0 == +0.0
    return clean


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    """Write ``frame`` as CSV atomically, without an index and without negative zeros."""
    clean = without_negative_zero(frame)
    return atomic_write(path, lambda p: clean.to_csv(p, index=False, lineterminator="\n"))


def write_parquet(path: Path, frame: pd.DataFrame) -> Path:
    # No pandas metadata index and a fixed writer: identical frames give identical bytes.
    return atomic_write(path, lambda p: frame.to_parquet(p, index=False, engine="pyarrow"))


@contextmanager
def publish_dir(final: Path) -> Iterator[Path]:
    """Build a directory under a temporary name; move it into place whole on success.

    An existing directory at ``final`` is replaced only after the new one is complete.
    """
    final = Path(final)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
        os.chmod(staging, 0o755)
    except OSError as err:
        raise output_error(final, err) from None
    try:
        try:
            yield staging
            old = None
            if final.exists():
                old = final.parent / f".{final.name}.old"
                if old.exists():
                    shutil.rmtree(old)
                os.replace(final, old)
            os.replace(staging, final)
            if old is not None:
                shutil.rmtree(old)
        except OSError as err:  # a writer that does not go through atomic_write, or a rename
            raise output_error(final, err) from None
        except OutputError as err:  # name the folder being published, not its staging copy
            raise OutputError(str(err).replace(str(staging), str(final))) from None
    finally:
        if staging.exists():
            shutil.rmtree(staging)
