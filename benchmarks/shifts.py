"""Next week's shift plan at network size: 200 clinics x 1 week, solved against its lower bound.

    .venv/bin/python benchmarks/shifts.py                  # 200 clinics, the default [shifts]
    .venv/bin/python benchmarks/shifts.py --clinics 20
    .venv/bin/python benchmarks/shifts.py --no-availability   # the network without hours

A seeded network: 3-8 therapists a clinic with contracts of 16-40 h, one in five available on
3-4 weekdays only, one in four with available hours on their days (an availability export:
08:00-13:00 or 12:00-18:00; drawn from a second stream, so the rest of the network is the same
with --no-availability), every therapist MLD-trained and two in five also deep tissue; a week's
target of 60-110% of the clinic's MLD contract hours for MLD and 10-30% for deep tissue, so
some clinics are short. Prints the wall time, the unmet hours against CP-SAT's lower bound
(issue 15's bar: within 1% in under 60 s on 2 cores), overtime and idle hours, and how many
clinics were solved to optimality.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date, timedelta

import numpy as np

from forecasting.config import ShiftsConfig
from forecasting.config.shifts import WEEKDAYS
from forecasting.planning import ClinicWeek, Therapist, plan_shifts

MONDAY = date(2027, 1, 4)


def network(clinics: int, seed: int, availability: bool = True) -> list[ClinicWeek]:
    rng = np.random.default_rng(seed)
    hours_rng = np.random.default_rng(seed + 1000)  # its own stream: the rest stays the same
    out = []
    for c in range(clinics):
        team = []
        for t in range(int(rng.integers(3, 9))):
            days = WEEKDAYS[:5]
            if rng.random() < 0.2:
                days = tuple(sorted(rng.choice(WEEKDAYS[:5], int(rng.integers(3, 5)), False)))
            skills = {"mld", "deep_tissue"} if rng.random() < 0.4 else {"mld"}
            hours = float(rng.choice([16, 20, 24, 30, 32, 40]))
            spans = None
            if availability and hours_rng.random() < 0.25:
                start, end = ((480, 780), (720, 1080))[int(hours_rng.integers(2))]
                dates = [MONDAY + timedelta(days=WEEKDAYS.index(d)) for d in days]
                spans = tuple((d, start, end) for d in dates)
            team.append(Therapist(f"t{t}", hours, frozenset(days), frozenset(skills), spans))
        capacity = sum(t.contract_hours for t in team)
        targets = {
            "mld": round(capacity * rng.uniform(0.6, 1.1), 1),
            "deep_tissue": round(capacity * rng.uniform(0.1, 0.3), 1),
        }
        out.append(ClinicWeek(f"clinic-{c:03d}", MONDAY, tuple(team), targets))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clinics", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-availability", action="store_true", help="no available hours")
    args = parser.parse_args()
    weeks = network(args.clinics, args.seed, availability=not args.no_availability)
    cfg = ShiftsConfig()
    start = time.perf_counter()
    plan = plan_shifts(weeks, cfg, seed=args.seed)
    wall = time.perf_counter() - start
    s = plan.summary
    unmet, bound = s["unmet_hours"].sum(), s["unmet_lower_bound_hours"].sum()
    gap = (unmet - bound) / bound if bound > 0 else 0.0
    therapists = sum(len(w.therapists) for w in weeks)
    hours = sum(t.hours is not None for w in weeks for t in w.therapists)
    print(
        f"shift plan: {args.clinics} clinics, {therapists} therapists ({hours} with available "
        "hours), 1 week, 2 skills"
    )
    print(f"  wall {wall:.1f} s on {os.cpu_count()} cores (load {os.getloadavg()[0]:.1f})")
    print(
        f"  target {s['target_hours'].sum():,.0f} h, scheduled {s['scheduled_hours'].sum():,.0f} h"
    )
    print(f"  unmet {unmet:,.1f} h, lower bound {bound:,.1f} h: {100 * gap:.2f}% above the bound")
    print(f"  overtime {s['overtime_hours'].sum():,.1f} h, idle {s['idle_hours'].sum():,.1f} h")
    optimal = int((s["status"] == "optimal").sum())
    sentences = sum(map(len, plan.sentences.values()))
    print(f"  {optimal} of {len(s)} clinics optimal; {len(plan.shifts):,} shifts; "
          f"{sentences:,} gap sentences")  # fmt: skip


if __name__ == "__main__":
    main()
