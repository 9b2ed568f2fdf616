"""Sessions per service and staffing by skill, on replays of seeded networks of three services.

A proxy for issue 14's bars until the suite's networks (benchmarks/networks.py, which write raw
exports) carry services and referrals: this benchmark draws processed frames directly (the
files `service_sessions_weekly` and `referrals_weekly` of the data contract), so it does not
depend on the ingest of referrals exports.

Each network: clinics of different sizes; liposuction (seasonal, December peak) drives MLD;
fracture referrals (end of immobilisation; winter peak) drive deep tissue; injuries (summer
peak) and a share of the fracture patients drive post-injury massage. True pathways, uptakes
and base levels differ from the configured priors (lymphcast must learn them); base levels
drift; counts are over-dispersed (gamma-Poisson). Replays: cut-offs every ``--step`` weeks over
the last year, 12-week horizon, only data before each cut-off.

Per service it prints the p50 MASE of lymphcast's ``sessions:<service>`` and of Prophet fitted
on that service's weekly sessions (scale: the in-sample mean absolute week-on-week change),
and their ratio (issue 14's bar: at most 0.85), and the MASE of the generator's expected
sessions given the events that really happened (hindsight; the floor the count noise leaves).
Then staffing: with the same total paid hours
(lymphcast's hours needed, summed over services), skill-aware staffing gives each skill its
services' hours; skill-blind staffing splits the same total between the skills in proportion
to each service's share of the clinic's sessions over the last 13 weeks (the mix a planner who
forecasts the total would use). Realised unmet sessions = max(actual - capacity, 0) per service
and week (capacity = hours x productive share / hours per session). Bar: aware < blind.

``--oracle`` replaces every driver forecast (procedures and referrals) by Poisson paths around
the generator's true rates: what is left is the demand model's own error.

Usage: ``.venv/bin/python benchmarks/service_accuracy.py [--seeds 0,1,2] [--clinics 8] [--oracle]``
"""

from __future__ import annotations

import argparse
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from forecasting import columns as C  # noqa: E402
from forecasting.backtest.staffing import prophet_session_paths  # noqa: E402
from forecasting.config import Config, from_dict  # noqa: E402
from forecasting.metrics import mase_scale  # noqa: E402
from forecasting.models import SeriesForecast  # noqa: E402
from forecasting.staffing.skill_staffing import service_staffing  # noqa: E402
from forecasting.week import cut_inputs, run_week  # noqa: E402

WEEKS = 208  # four years of history
START = pd.Timestamp("2022-01-03")
SERVICES = {
    "deep_tissue": {"drivers": ["fracture_immobilisation"], "session_minutes": 45},
    "injury_massage": {"drivers": ["injury", "fracture_immobilisation"]},
}
# The generator's truth (sessions per event by week since the driver's week, uptake included):
# not the configured priors.
TRUE = {
    ("mld", "liposuction"): 0.6 * np.array([0.5, 2.0, 2.5, 2.0, 1.5, 1.0, 1.0, 0.5, 0.5, 0.5]),
    ("deep_tissue", "fracture_immobilisation"): 0.7
    * np.array([0.5, 1.5, 2.0, 2.0, 1.5, 1.0, 1.0, 0.5, 0.5, 0.5]),
    ("injury_massage", "injury"): 0.9 * np.array([2.0, 2.0, 1.5, 1.0, 0.5]),
    ("injury_massage", "fracture_immobilisation"): 0.15 * np.array([0, 1.0, 1.0, 1.0, 1.0]),
}
DRIVERS = {  # weekly rate at size 1, peak week of year, seasonal amplitude
    "liposuction": (6.0, 50, 0.25),
    "fracture_immobilisation": (3.0, 4, 0.35),
    "injury": (2.5, 28, 0.3),
}
BASE = {"mld": 3.0, "deep_tissue": 2.0, "injury_massage": 1.0}


def _seasonal(weeks: pd.DatetimeIndex, peak: int, amplitude: float) -> np.ndarray:
    woy = weeks.isocalendar().week.to_numpy(dtype=float)
    return 1.0 + amplitude * np.cos(2 * np.pi * (woy - peak) / 52.0)


def _counts(rng: np.random.Generator, mean: np.ndarray, shape: float = 8.0) -> np.ndarray:
    """Gamma-Poisson counts (variance mean + mean^2 / shape)."""
    return rng.poisson(rng.gamma(shape, np.clip(mean, 0, None) / shape)).astype(float)


def processed_frames(proc: list, sess: list, refs: list, svc: list, roster: list) -> dict:
    """The processed frames (procedures, sessions, referrals, service sessions, roster) of rows
    given as tuples in the processed files' column order."""
    return {
        "procedures": pd.DataFrame(proc, columns=[C.CLINIC, C.PROCEDURE, C.WEEK, C.COMPLETED,
                                                  C.SCHEDULED]),
        "sessions": pd.DataFrame(sess, columns=[C.CLINIC, C.WEEK, C.SESSIONS]),
        "referrals": pd.DataFrame(refs, columns=[C.CLINIC, C.REFERRAL_TYPE, C.WEEK, C.REFERRALS]),
        "service_sessions": pd.DataFrame(svc, columns=[C.CLINIC, C.SERVICE, C.WEEK, C.SESSIONS]),
        "roster": pd.DataFrame(roster, columns=[C.CLINIC, C.THERAPIST, C.WEEKLY_HOURS,
                                                C.START_DATE, C.END_DATE, C.SKILLS]),
    }  # fmt: skip


def network(seed: int, clinics: int) -> dict[str, pd.DataFrame]:
    """Processed frames of one seeded three-service network (see the module docstring)."""
    rng = np.random.default_rng(seed)
    weeks = pd.date_range(START, periods=WEEKS, freq="W-MON")
    n = len(weeks)
    proc, sess, refs, svc, roster, rates, truth = [], [], [], [], [], [], []
    for i in range(clinics):
        clinic, size = f"c{i:02d}", float(rng.lognormal(0.0, 0.4))
        expected = {
            d: rate * size * _seasonal(weeks, peak, amp) * rng.uniform(0.8, 1.2)
            for d, (rate, peak, amp) in DRIVERS.items()
        }
        events = {d: rng.poisson(v) for d, v in expected.items()}
        for d, v in expected.items():
            name = d if d in C.PROCEDURE_TYPES else C.referral_key(d)
            rates += [(clinic, name, w, x) for w, x in zip(weeks, v, strict=True)]
        for name, base in BASE.items():
            level = base * size * np.exp(np.cumsum(rng.normal(0, 0.03, n)))  # drifting base
            mean = level.copy()
            for (service, driver), w in TRUE.items():
                if service == name:
                    mean += np.convolve(events[driver], w)[:n]
            counts = _counts(rng, mean)
            svc += [(clinic, name, w, c) for w, c in zip(weeks, counts, strict=True)]
            truth += [(clinic, name, w, m) for w, m in zip(weeks, mean, strict=True)]
            if name == "mld":
                sess += [(clinic, w, c) for w, c in zip(weeks, counts, strict=True)]
        for d, values in events.items():
            if d in C.PROCEDURE_TYPES:
                proc += [(clinic, d, w, v, 0.0) for w, v in zip(weeks, values, strict=True)]
            else:
                refs += [(clinic, d, w, v) for w, v in zip(weeks, values, strict=True)]
        for t, skills in enumerate(["mld", "mld", "mld;deep_tissue", "deep_tissue",
                                    "injury_massage;deep_tissue"]):  # fmt: skip
            roster.append((clinic, f"{clinic}-t{t}", 30.0, pd.NaT, pd.NaT, skills))
    return {
        **processed_frames(proc, sess, refs, svc, roster),
        "rates": pd.DataFrame(rates, columns=[C.CLINIC, C.PROCEDURE, C.WEEK, "rate"]),
        # the expected sessions given the events that really happened (hindsight: no forecast
        # made at the cut-off knows them); the MASE floor the count noise leaves
        "truth": pd.DataFrame(truth, columns=[C.CLINIC, C.SERVICE, C.WEEK, C.SESSIONS]),
    }  # fmt: skip


def _oracle(rates: pd.DataFrame, cutoff: pd.Timestamp):
    """A forecaster giving every driver series Poisson paths around its true rate."""
    table = rates.set_index([C.CLINIC, C.PROCEDURE, C.WEEK])["rate"].sort_index()

    def forecast(key, history, config: Config) -> SeriesForecast:
        weeks = pd.date_range(cutoff, periods=config.horizon_weeks, freq="W-MON")
        try:
            mean = table.loc[key].reindex(weeks, fill_value=0.0).to_numpy()
        except KeyError:  # a procedure type the generator does not draw
            mean = np.zeros(len(weeks))
        rng = np.random.default_rng([zlib.crc32(f"{key}|{cutoff.date()}".encode())])
        paths = rng.poisson(mean, size=(config.n_paths, len(weeks))).astype(float)
        return SeriesForecast(paths, "oracle", None, 0.0)

    return forecast


def _series(frame: pd.DataFrame, clinic: str, service: str, weeks) -> np.ndarray:
    rows = frame.loc[(frame[C.CLINIC] == clinic) & (frame[C.SERVICE] == service)]
    return rows.set_index(C.WEEK)[C.SESSIONS].reindex(weeks, fill_value=0).to_numpy(float)


def replay(seed: int, args: argparse.Namespace, config: Config) -> pd.DataFrame:
    """One row per seed, cut-off, clinic, service and horizon week."""
    frames = network(seed, args.clinics)
    history = frames["service_sessions"]
    horizon = config.horizon_weeks
    end = START + pd.Timedelta(weeks=WEEKS)
    cutoffs = [end - pd.Timedelta(weeks=horizon + k * args.step) for k in range(args.folds)]
    out = []
    for cutoff in sorted(cutoffs):
        inputs = cut_inputs(
            frames["procedures"], frames["sessions"], frames["roster"], cutoff.date(),
            service_sessions=history, referrals=frames["referrals"],
        )  # fmt: skip
        oracle = _oracle(frames["rates"], cutoff) if args.oracle else None
        result = run_week(inputs, config, forecaster=oracle)
        weeks = inputs.forecast_weeks(horizon)
        past = pd.date_range(START, cutoff - pd.Timedelta(weeks=1), freq="W-MON")
        forecast = result.forecast.set_index([C.CLINIC, C.SERIES, C.WEEK])[C.P50]
        staffing = result.staffing.set_index(C.CLINIC)
        for clinic in inputs.clinics:
            recent = {s: _series(history, clinic, s, past[-13:]).sum() for s in config.services}
            recent["mld"] = _series(history, clinic, "mld", past[-13:]).sum()
            mix = {s: v / max(sum(recent.values()), 1e-9) for s, v in recent.items()}
            rows = staffing.loc[clinic]
            total_hours = rows["therapist_hours_needed"].to_numpy(float)
            for service in config.service_settings:
                actual = _series(history, clinic, service, weeks)
                insample = _series(history, clinic, service, past)
                rng = np.random.default_rng([seed, len(out)])
                frame = pd.DataFrame({C.DS: past, C.Y: insample})
                prophet = np.median(prophet_session_paths(frame, config, horizon, rng), axis=0)
                ours = forecast.loc[(clinic, C.service_series(service))].reindex(weeks).to_numpy()
                settings = service_staffing(config, service)
                per_hour = settings.productive_share / settings.hours_per_session
                aware = rows[f"therapist_hours_needed:{service}"].to_numpy(float)
                blind = total_hours * mix[service]
                out.append(pd.DataFrame({
                    "seed": seed, "cutoff": cutoff, C.CLINIC: clinic, "service": service,
                    C.WEEK: weeks, "actual": actual, "lymphcast": ours, "prophet": prophet,
                    "hindsight": _series(frames["truth"], clinic, service, weeks),
                    "scale": mase_scale(insample[-104:]),
                    "unmet_aware": np.clip(actual - aware * per_hour, 0, None),
                    "unmet_blind": np.clip(actual - blind * per_hour, 0, None),
                }))  # fmt: skip
    return pd.concat(out, ignore_index=True)


def _mase(frame: pd.DataFrame, point: str) -> float:
    err = frame.assign(e=(frame["actual"] - frame[point]).abs())
    keys = ["seed", "cutoff", C.CLINIC, "service"]
    per = err.groupby(keys).agg(mae=("e", "mean"), s=("scale", "first"))
    return float((per["mae"] / per["s"]).mean())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--clinics", type=int, default=8)
    parser.add_argument("--folds", type=int, default=6)
    parser.add_argument("--step", type=int, default=8)
    parser.add_argument(
        "--oracle", action="store_true", help="driver forecasts replaced by the true rates"
    )
    args = parser.parse_args(argv)
    config = from_dict(
        {"services": SERVICES, "calibration": {"origins": 0}, "n_paths": 300}
    )  # the shipped defaults otherwise (model `mixed`); p50 does not depend on calibration
    started, cpu = time.time(), time.process_time()
    rows = pd.concat([replay(int(s), args, config) for s in args.seeds.split(",")])
    print(f"{len(rows)} clinic-weeks x service; seeds {args.seeds}, {args.clinics} clinics, "
          f"{args.folds} cut-offs every {args.step} weeks; {time.time() - started:.0f} s wall, "
          f"{time.process_time() - cpu:.0f} CPU-s (this process)")  # fmt: skip
    print("| service | lymphcast MASE | Prophet MASE | ratio (bar <= 0.85) | hindsight MASE |")
    print("|---|---|---|---|---|")
    for service, frame in [*rows.groupby("service", sort=False), ("all", rows)]:
        ours, theirs = _mase(frame, "lymphcast"), _mase(frame, "prophet")
        floor = _mase(frame, "hindsight")
        print(f"| {service} | {ours:.3f} | {theirs:.3f} | {ours / theirs:.3f} | {floor:.3f} |")
    aware, blind = rows["unmet_aware"].sum(), rows["unmet_blind"].sum()
    weeks = len(rows.drop_duplicates(["seed", "cutoff", C.CLINIC, C.WEEK]))
    print("\nrealised unmet sessions per clinic-week, same total hours: "
          f"skill-aware {aware / weeks:.2f}, skill-blind {blind / weeks:.2f}, "
          f"ratio {aware / blind:.3f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
