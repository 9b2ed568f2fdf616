"""Series the backtest benchmarks run on: the demo clinics and a public weekly set.

Public set: Mauna Loa weekly atmospheric CO2 (Keeling & Whorf, SIO flask samples, 1958-2001,
2,284 weeks; public domain), shipped inside statsmodels as ``statsmodels.datasets.co2`` and read
offline. It is cut into non-overlapping 208-week (4-year) segments, one series each
(``co2_<first year>``); the 59 missing weeks are filled by linear interpolation in time before
cutting (NaN never reaches a model), and each Saturday date becomes the Monday of its week.

Second public set: Google (GOOG) daily share volume, 2004-08-19 to 2008-10-14 (Yahoo Finance),
shipped inside matplotlib as ``sample_data/goog.npz`` and read offline: summed to weeks
(Monday to Friday; the first and last, partial weeks dropped), in millions of shares, one
series (``goog_volume``, 216 weeks): a real count-like weekly series with no yearly cycle and
level shifts, unlike CO2.

    .venv/bin/python benchmarks/backtest_data.py public data/public/co2_weekly.csv
    .venv/bin/python benchmarks/backtest_data.py goog data/public/goog_volume.csv
    .venv/bin/python benchmarks/backtest_data.py demo data/public/demo_100.csv --clinics 20
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import date
from pathlib import Path

import pandas as pd

from forecasting.backtest import load_procedure_series
from forecasting.config import IngestConfig
from forecasting.demo import generate_demo
from forecasting.ingest import ingest, write_processed
from forecasting.io import write_csv

SEGMENT_WEEKS = 208
DEMO_END = date(2025, 6, 2)  # fixed, so the demo series do not move with today's date


def co2_segments(weeks: int = SEGMENT_WEEKS) -> pd.DataFrame:
    """Weekly Mauna Loa CO2 cut into non-overlapping ``weeks``-long series (long format)."""
    from statsmodels.datasets import co2

    data = co2.load_pandas().data["co2"].interpolate(method="time")
    frame = pd.DataFrame({"ds": data.index, "y": data.to_numpy(dtype=float)})
    frame["ds"] = frame["ds"] - pd.to_timedelta(frame["ds"].dt.day_of_week, unit="D")
    parts = []
    for start in range(0, len(frame) - weeks + 1, weeks):
        part = frame.iloc[start : start + weeks].copy()
        part.insert(0, "unique_id", f"co2_{part['ds'].iloc[0].year}")
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def goog_volume() -> pd.DataFrame:
    """Weekly GOOG share volume (millions) from matplotlib's sample data (long format)."""
    from matplotlib import cbook

    data = cbook.get_sample_data("goog.npz")["price_data"]  # an opened NpzFile
    days = pd.DataFrame({"day": pd.to_datetime(data["date"]), "volume": data["volume"] / 1e6})
    days["ds"] = days["day"] - pd.to_timedelta(days["day"].dt.day_of_week, unit="D")
    weekly = days.groupby("ds").agg(y=("volume", "sum"), days=("volume", "size")).reset_index()
    weekly = weekly.iloc[1:-1]  # the first and last weeks are partial
    return pd.DataFrame({"unique_id": "goog_volume", "ds": weekly["ds"], "y": weekly["y"]})


def demo_series(clinics: int = 6, years: int = 4, seed: int = 0) -> pd.DataFrame:
    """The demo clinics' completed-procedure series (unique_id = clinic|procedure)."""
    with tempfile.TemporaryDirectory(prefix="lymphcast-bench-") as tmp:
        raw, processed = Path(tmp) / "raw", Path(tmp) / "processed"
        generate_demo(raw, clinics=clinics, years=years, seed=seed, end=DEMO_END)
        write_processed(ingest(raw, IngestConfig(), DEMO_END), processed)
        return load_procedure_series(processed, DEMO_END)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["public", "goog", "demo"])
    parser.add_argument("out", type=Path)
    parser.add_argument("--clinics", type=int, default=6)
    args = parser.parse_args()
    if args.kind == "public":
        frame = co2_segments()
    else:
        frame = goog_volume() if args.kind == "goog" else demo_series(args.clinics)
    frame = frame.assign(ds=frame["ds"].dt.strftime("%Y-%m-%d"))
    write_csv(args.out, frame)
    print(f"wrote {frame['unique_id'].nunique()} series, {len(frame)} rows to {args.out}")


if __name__ == "__main__":
    main()
