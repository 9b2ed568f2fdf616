"""Cost of the in-run rolling-origin calibration next to the run's own procedure forecasts.

    .venv/bin/python benchmarks/calibration_cost.py --clinics 200   # the scale network
    .venv/bin/python benchmarks/calibration_cost.py --clinics 6     # the demo's size

Generates demo exports once (not timed; kept in --workdir), ingests them, then times in this
process, without Prefect: (1) every procedure series forecast with the configured model, as
the weekly run's forecast stage does (one process; the flow spreads it over its task runner),
and (2) ``forecasting.week.session_calibration`` with no archive, i.e. the ``[calibration]
origins`` past cut-offs refitted for at most ``origin_clinics`` clinics each. The calibration
costs about origins x origin_clinics clinic forecasts whatever the network's size, plus a cut
of the whole network's data per origin.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

AS_OF = date(2025, 6, 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clinics", type=int, default=200)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/lymphcast-calibration-cost"))
    parser.add_argument("--config", type=Path, default=ROOT / "lymphcast.toml")
    args = parser.parse_args(argv)
    logging.getLogger("cmdstanpy").disabled = True
    from forecasting import DataLayout, ingest_exports, load_config, load_inputs
    from forecasting.demo import generate_demo, world
    from forecasting.models import run_prior
    from forecasting.week import by_clinic, forecast_clinic, session_calibration

    world.MAX_CLINICS = max(world.MAX_CLINICS, args.clinics)
    config = load_config(args.config)
    work = args.workdir / f"c{args.clinics}"
    raw = work / "raw"
    if not (raw / ".complete").exists():
        generate_demo(raw, clinics=args.clinics, seed=0, end=AS_OF + timedelta(days=28))
        (raw / ".complete").write_text("")
    layout = DataLayout(raw=raw, processed=work / "processed", reports=work / "reports")
    if not (work / "processed").is_dir():
        ingest_exports(layout, config, today=AS_OF + timedelta(days=28))
    inputs = load_inputs(layout, AS_OF)
    histories = inputs.histories()
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    prior = run_prior(config.model, histories)
    for keys in by_clinic(histories).values():
        forecast_clinic({k: histories[k] for k in keys}, config, None, prior)
    forecasts = time.perf_counter() - t0
    t1 = time.perf_counter()
    calibration = session_calibration(inputs, None, config)
    cost = time.perf_counter() - t1
    cal = config.calibration
    print(
        f"{len(inputs.clinics)} clinics, {len(histories)} series, model {config.model.name}, "
        f"{config.n_paths} paths; origins {cal.origins} x at most {cal.origin_clinics} clinics, "
        f"{min(cal.origin_paths, config.n_paths)} paths; load average {load_before:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after"
    )
    print(f"procedure forecasts, every series: {forecasts:.1f} s")
    print(f"in-run calibration: {cost:.1f} s = {cost / forecasts:.0%} of the forecasts")
    print(calibration.sentence())
    return 0


if __name__ == "__main__":
    sys.exit(main())
