"""Cache keys for the weekly flow: input hashes + config + code version.

Prefect caches a task's result under the key its ``cache_key_fn`` returns. The flow computes
keys explicitly (a digest of exactly what the task's output depends on) and passes them to the
task as its ``cache_key`` argument, so a key can also be part of a later task's key (the
assemble task's key is made of the forecast keys). Orchestration settings (task runner,
retries, timeouts) are left out of every key: they never change a number.

Tasks whose real output is files (ingest writes data/processed, the report task publishes
reports/<week>) also leave a stamp beside those files: the key plus the files' digests. The
flow trusts a cached result only while its stamp still matches, and otherwise refreshes the
cache, so deleting or editing an output makes the next run rebuild it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import forecasting
from forecasting import io as atomic
from forecasting.config import Config

_CHUNK = 1 << 20


def digest(*parts: str) -> str:
    """sha256 of the parts (joined unambiguously), as hex."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode()
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, read in chunks."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def files_digest(paths: Iterable[Path]) -> str:
    """Digest of several files' names and contents ("missing" for an absent file).

    Files are hashed two at a time (hashlib releases the GIL on large buffers): the 388 MB of
    a 200-clinic network's exports take 0.3 s instead of 0.5.
    """
    ordered = sorted(Path(p) for p in paths)

    def one(path: Path) -> str:
        return file_sha256(path) if path.is_file() else "missing"

    with ThreadPoolExecutor(max_workers=2) as pool:
        hashes = list(pool.map(one, ordered))
    parts = []
    for path, sha in zip(ordered, hashes, strict=True):
        parts += [path.name, sha]
    return digest(*parts)


def frame_digest(frame: pd.DataFrame) -> str:
    """Digest of a frame's columns, dtypes and values (row order matters).

    Numeric and datetime columns are hashed as their raw bytes (a 208-week series in about
    20 us), others through pandas' value hashing.
    """
    h = hashlib.sha256()
    h.update(json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode())
    h.update(len(frame).to_bytes(8, "little"))
    for _, column in frame.items():
        values = column.to_numpy()
        if values.dtype.kind in "biufcmM":
            h.update(np.ascontiguousarray(values).tobytes())
        else:
            h.update(pd.util.hash_pandas_object(column, index=False).to_numpy().tobytes())
    return h.hexdigest()


# Settings that change how fast a run is, never what it writes: changing them refits nothing.
SPEED_ONLY: dict[str, Any] = {
    "orchestration": True,
    "ingest": {"workers"},
    "report": {"chart_workers"},
    "delivery": True,  # who gets the e-mail, never what the report says
}


def config_digest(config: Config) -> str:
    """Digest of every setting that can change an output (:data:`SPEED_ONLY` excluded)."""
    data = config.model_dump(mode="json", exclude=SPEED_ONLY)
    return digest(json.dumps(data, sort_keys=True))


@cache
def code_version() -> str:
    """Digest of the library's and the flows' source and templates (changes with any edit)."""
    roots = [Path(forecasting.__file__).parent, Path(__file__).parent]
    files = [
        p
        for root in roots
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.suffix in {".py", ".j2", ".css", ".html"}
    ]
    return digest(*(f"{p.parent.name}/{p.name}:{file_sha256(p)}" for p in files))


def selection_digest(config: Config) -> str:
    """``auto`` / ``ensemble`` pick models from the latest backtest: its files are an input."""
    if config.model.name not in ("auto", "ensemble"):
        return "fixed model"
    folder = Path(getattr(config.model, "backtest_dir", "data/processed/backtest"))
    if not folder.is_dir():
        return "no backtest"
    return files_digest(p for p in folder.iterdir() if p.suffix in {".csv", ".json"})


def key_from_argument(context: Any, parameters: dict[str, Any]) -> str:
    """Prefect ``cache_key_fn``: the task's own ``cache_key`` argument."""
    return str(parameters["cache_key"])


def stamp_matches(stamp: Path, key: str, files: Iterable[Path]) -> bool:
    """True when ``stamp`` records ``key`` and the files still have the recorded digests."""
    try:
        recorded = json.loads(Path(stamp).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return recorded == {"key": key, "files": files_digest(files)}


def write_stamp(stamp: Path, key: str, files: Iterable[Path]) -> None:
    """Record (atomically) that ``files`` are the outputs of the task run keyed ``key``."""
    atomic.write_json(Path(stamp), {"key": key, "files": files_digest(files)})
