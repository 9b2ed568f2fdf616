"""How long staffing by skill takes: 200 clinics x 3 services x 12 weeks, one linear program.

Builds a seeded network (``--clinics``, ``--weeks``): per clinic 4-12 therapists with mixed
skills (MLD only, deep tissue only, scar massage only, or two of them), some starting or leaving
inside the horizon, and hours needed per week for MLD, deep tissue and scar massage drawn around
the clinic's capacity so that some skills are short while others sit idle. Times
``forecasting.staffing.skills.cover`` (building the LP, HiGHS solving it, the result tables) over
``--repeat`` runs in this process and prints the best and median wall time, the LP's size, and
how many short hours a skill-blind comparison (total hours needed vs total rostered) misses.
Then times the whole staffing step of several services (``staff_services``: from 500 session
paths per clinic, service and week to staffing.csv's frame, the LP included).
docs/demand-and-staffing.md records the figures. Bar: under 10 s on 2 cores.

Usage: ``.venv/bin/python benchmarks/skills.py [--clinics 200] [--weeks 12] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from forecasting import columns as C  # noqa: E402
from forecasting.calendar import weeks_from  # noqa: E402
from forecasting.config import from_dict  # noqa: E402
from forecasting.staffing.hours import rostered_hours_by_clinic  # noqa: E402
from forecasting.staffing.skill_staffing import staff_services  # noqa: E402
from forecasting.staffing.skills import cover  # noqa: E402

SERVICES = {
    "deep_tissue": {"drivers": ["fracture_immobilisation"]},
    "scar": {"drivers": ["post_surgical_scar"]},
}
SKILL_SETS = ["mld", "deep_tissue", "scar", "mld;deep_tissue", "mld;scar", "deep_tissue;scar"]
SKILL_SHARES = [0.45, 0.15, 0.1, 0.15, 0.1, 0.05]
SERVICE_SHARES = {"mld": 0.6, "deep_tissue": 0.25, "scar": 0.15}  # of a clinic's hours needed


def network(clinics: int, weeks: pd.DatetimeIndex, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(hours needed per clinic x week x service, roster with skills), seeded."""
    rng = np.random.default_rng(seed)
    rows, needed = [], []
    for c in range(clinics):
        clinic = f"c{c:04d}"
        n = int(rng.integers(4, 13))
        hours = rng.choice([16.0, 20.0, 24.0, 32.0, 40.0], size=n)
        for t in range(n):
            start = weeks[int(rng.integers(0, len(weeks)))] if rng.random() < 0.1 else pd.NaT
            end = weeks[int(rng.integers(0, len(weeks)))] if rng.random() < 0.1 else pd.NaT
            rows.append(
                {
                    C.CLINIC: clinic,
                    C.THERAPIST: f"{clinic}-t{t}",
                    C.WEEKLY_HOURS: hours[t],
                    C.START_DATE: start,
                    C.END_DATE: end,
                    C.SKILLS: rng.choice(SKILL_SETS, p=SKILL_SHARES),
                }
            )
        total = hours.sum() * rng.uniform(0.7, 1.2, size=len(weeks))
        for service, share in SERVICE_SHARES.items():
            wobble = rng.uniform(0.6, 1.4, size=len(weeks))
            for week, h in zip(weeks, np.round(total * share * wobble), strict=True):
                needed.append((clinic, week, service, float(h)))
    roster = pd.DataFrame(rows).astype(
        {C.START_DATE: "datetime64[ns]", C.END_DATE: "datetime64[ns]"}
    )
    return pd.DataFrame(needed, columns=[C.CLINIC, C.WEEK, "service", "hours_needed"]), roster


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clinics", type=int, default=200)
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    weeks = weeks_from(pd.Timestamp("2026-12-07"), args.weeks)
    services = from_dict({"services": SERVICES}).service_settings
    needed, roster = network(args.clinics, weeks, args.seed)
    times, result = [], None
    for _ in range(args.repeat):
        start = time.perf_counter()
        result = cover(needed, roster, services, weeks)
        times.append(time.perf_counter() - start)
    assert result is not None
    table = result.table
    by_week = table.groupby([C.CLINIC, C.WEEK])
    # skill-blind: the clinic's total hours needed against every therapist's hours, once each
    clinics = sorted(set(roster[C.CLINIC]))
    total = rostered_hours_by_clinic(roster, clinics, weeks)
    rostered = pd.Series(
        np.concatenate([total[c] for c in clinics]),
        index=pd.MultiIndex.from_product([clinics, weeks], names=[C.CLINIC, C.WEEK]),
    )
    blind = (by_week["hours_needed"].sum() - rostered).clip(lower=0)
    aware = by_week["gap_hours"].sum()
    status = table["status"].value_counts()
    config = from_dict({"services": SERVICES})
    rng = np.random.default_rng(args.seed)
    mean = needed.set_index([C.CLINIC, "service", C.WEEK])["hours_needed"].sort_index() * 0.6
    paths = {
        c: {n: rng.poisson(mean.loc[(c, n)].to_numpy(), size=(500, len(weeks))).astype(float)
            for n in services}
        for c in clinics
    }  # fmt: skip
    start = time.perf_counter()
    staff_services(paths, roster, config, weeks)
    whole = time.perf_counter() - start
    print(
        f"{args.clinics} clinics x {len(services)} services x {args.weeks} weeks, "
        f"{len(roster)} therapists: cover in {min(times):.2f} s best, "
        f"{statistics.median(times):.2f} s median of {args.repeat} (bar: 10 s)"
    )
    print(
        f"skill rows: {status.get('ok', 0)} ok, {status.get('short', 0)} short, "
        f"{status.get('uncovered', 0)} uncovered; short hours {aware.sum():.0f} by skill vs "
        f"{blind.sum():.0f} by total hours (a skill-blind check misses "
        f"{aware.sum() - blind.sum():.0f} h)"
    )
    print(f"staff_services (500 paths per clinic, service and week -> staffing.csv's frame, "
          f"the LP included): {whole:.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
