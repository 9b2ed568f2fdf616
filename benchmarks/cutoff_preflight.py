"""Cost of the --as-of check before Prefect starts (lymphcast/preflight.py), at network scale.

    .venv/bin/python benchmarks/cutoff_preflight.py                # 200 clinics
    .venv/bin/python benchmarks/cutoff_preflight.py --clinics 20   # a quick look

Generates demo exports once (not timed; kept in --workdir), then times reading the first day
of data from the raw exports' date columns (:func:`forecasting.ingest.span.first_data_day`):
as `lymphcast weekly --as-of` does before Prefect starts (stop at a day before the cut-off,
the first 64 KB of each export first) and in full (every date column, what a cut-off before
all data costs), next to the whole ingest; each the best of --repeat runs.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

AS_OF = date(2025, 6, 2)


def _raw(workdir: Path, clinics: int) -> Path:
    from forecasting import demo
    from forecasting.demo import world

    world.MAX_CLINICS = max(world.MAX_CLINICS, clinics)
    raw = workdir / f"raw-{clinics}"
    if not (raw / ".complete").exists():
        shutil.rmtree(raw, ignore_errors=True)
        demo.generate_demo(raw, clinics=clinics, seed=0, end=AS_OF + timedelta(days=28))
        (raw / ".complete").write_text("")
    return raw


def _best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clinics", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "lymphcast-bench"
    )
    args = parser.parse_args()
    from forecasting.config import Config
    from forecasting.ingest import ingest
    from forecasting.ingest.span import first_data_day

    raw = _raw(args.workdir, args.clinics)
    size = sum(p.stat().st_size for p in raw.iterdir()) / 1e6
    files = len([p for p in raw.iterdir() if not p.name.startswith(".")])
    print(f"{args.clinics} clinics: {files} exports, {size:,.0f} MB in {raw}")
    config = Config().ingest.model_copy(update={"workers": 1})
    quick, day = _best(lambda: first_data_day(raw, config, before=AS_OF), args.repeat)
    print(f"--as-of {AS_OF} (a day before it, first 64 KB of each export): {quick:.2f} s -> {day}")
    check, first = _best(lambda: first_data_day(raw, config), args.repeat)
    print(f"the first day of data (every date column, whole files):      {check:.2f} s -> {first}")
    whole, _ = _best(lambda: ingest(raw, config, AS_OF + timedelta(days=28)), 1)
    print(f"whole ingest, one process (for scale):      {whole:.2f} s")


if __name__ == "__main__":
    main()
