"""SHA-256 of a weekly run's outputs, to show a change of code leaves every number as it was.

Runs the command users run (``lymphcast demo`` then ``lymphcast weekly``) on a seeded demo
network in a scratch folder and prints one JSON object: per file of ``forecast.csv``,
``staffing.csv`` and ``data/processed/*.parquet`` its digest. Run it at two commits (e.g. from
a ``git worktree`` of the older one) and compare::

    python scripts/output_digests.py --clinics 6 > new.json
    python scripts/output_digests.py --compare old.json new.json

The cut-off and demo end date are fixed, so the digests do not depend on the day it runs.
``--services mld --config OLD.toml`` runs the MLD-only demo with a configuration without
``[services]`` tables, to compare with a commit from before services existed (whose demo wrote
MLD alone): ``git show <old>:lymphcast.toml > old.toml``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
END = "2026-11-30"  # demo: first day without history
AS_OF = "2026-11-30"  # the weekly run's cut-off


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def digests(
    clinics: int,
    years: int,
    seed: int,
    services: str | None = None,
    config: Path = ROOT / "lymphcast.toml",
) -> dict[str, str]:
    """Run demo + weekly in a scratch folder; return {relative path: sha256}.

    ``services``: the demo's ``--services`` (None: its default); ``config``: the weekly run's.
    """
    with tempfile.TemporaryDirectory(prefix="lymphcast-digests-") as tmp:
        work = Path(tmp)
        raw, processed, reports = work / "raw", work / "processed", work / "reports"
        cli = [sys.executable, "-m", "lymphcast"]
        demo = ["demo", "--out", str(raw), "--clinics", str(clinics), "--years", str(years)]
        demo += ["--services", services] if services else []
        quiet = {"cwd": ROOT, "check": True, "stdout": subprocess.DEVNULL}  # JSON alone on stdout
        subprocess.run([*cli, *demo, "--seed", str(seed), "--as-of", END], **quiet)
        weekly = [
            "weekly", "--as-of", AS_OF, "--config", str(Path(config).resolve()),
            "--raw", str(raw), "--processed", str(processed), "--reports", str(reports),
        ]  # fmt: skip
        subprocess.run([*cli, *weekly], **quiet)
        out: dict[str, str] = {}
        for report in sorted(reports.glob("*-W*/")):
            for name in ("forecast.csv", "staffing.csv"):
                out[f"reports/{report.name}/{name}"] = _sha(report / name)
        for parquet in sorted(processed.glob("*.parquet")):
            out[f"processed/{parquet.name}"] = _sha(parquet)
        for parquet in sorted((processed / "forecasts").glob("*.parquet")):
            out[f"processed/forecasts/{parquet.name}"] = _sha(parquet)
        return out


def compare(old: Path, new: Path) -> int:
    """0 when both files name the same outputs with the same digests, else 1 (and why)."""

    def read(path: Path) -> dict[str, str]:  # from the first "{": older runs printed progress
        text = path.read_text()
        return json.loads(text[text.index("{") :])

    a, b = read(old), read(new)
    differ = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
    for key in differ:
        print(f"differs: {key} ({a.get(key, 'missing')[:12]} vs {b.get(key, 'missing')[:12]})")
    same = sum(1 for k in a.keys() & b.keys() if a[k] == b[k])
    print(f"{same} of {len(a.keys() | b.keys())} identical")
    return 1 if differ else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clinics", type=int, default=6)
    parser.add_argument("--years", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--services", help="the demo's --services (default: its own)")
    parser.add_argument("--config", type=Path, default=ROOT / "lymphcast.toml")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("OLD", "NEW"))
    args = parser.parse_args()
    if args.compare:
        return compare(*args.compare)
    found = digests(args.clinics, args.years, args.seed, args.services, args.config)
    print(json.dumps(found, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
