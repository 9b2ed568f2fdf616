"""Diagnostic stages for the benchmark suite: swap one stage of the weekly run for the truth.

``python benchmarks/suite.py --quick --seeds dev --oracle procedures`` (or ``pathways``,
``non_surgical``, ``holidays``, comma-separated, or ``all``) runs the weekly computation with
the named stages taken from the generator (:class:`benchmarks.networks.NetworkTruth`) instead
of learned, everything else as shipped:

- ``procedures``: each procedure series' paths are Poisson draws around the generator's true
  expected rate over the horizon (its growth, season, ramp-up, shifts and closures) instead of
  the configured model's forecast; bookings still combine with them as in the weekly run.
- ``pathways``: the true care pathways (uptake x sessions by week since surgery) times the
  clinic's uptake factor, the share of sessions not cancelled and its mean holiday capacity,
  instead of the pathways learned from the history.
- ``non_surgical``: the generator's expected non-surgical sessions of each horizon week
  instead of the AR forecast of the session remainder.
- ``holidays``: the session mean of each horizon week scaled by the generator's holiday and
  closure capacity of that week over its mean (the weekly run has no session holiday effect).

Names: with any stage swapped, every procedure name the generator writes is taught to ingest
(``[ingest.procedure_synonyms]``) so that a series is one true type; ``--teach-names`` does the
same for a run without a swapped stage, to compare like with like.

Swapping is done by wrapping the library's functions for the duration of one run
(:func:`oracle_run`); the library has no hook for it and needs none.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd

from benchmarks.networks import NAMES, TYPES, NetworkTruth
from forecasting.config import Config

STAGES = ("procedures", "pathways", "non_surgical", "holidays")


def parse_stages(text: str | None) -> tuple[str, ...]:
    """``"pathways,procedures"`` -> the stages in STAGES order; ``all`` -> every stage."""
    if not text:
        return ()
    names = {s.strip() for s in text.split(",") if s.strip()}
    if "all" in names:
        return STAGES
    unknown = sorted(names - set(STAGES))
    if unknown:
        raise SystemExit(f"--oracle: unknown stage(s) {unknown}; use {list(STAGES)} or all")
    return tuple(s for s in STAGES if s in names)


def taught_names(config: Config) -> Config:
    """``config`` with every generator name of the four named types as a procedure synonym."""
    extra: dict[str, list[str]] = {}
    for style in NAMES.values():
        for procedure, names in style.items():
            if procedure != "other":
                extra.setdefault(procedure, []).extend(names)
    ingest = config.ingest.model_copy(update={"procedure_synonyms": extra})
    return config.model_copy(update={"ingest": ingest})


@dataclass(frozen=True)
class _TrueWeights:
    """Stand-in for LearnedPathways' per-clinic weights: the generator's, same interface."""

    learned: object
    weights_by_clinic: dict[str, np.ndarray]

    def clinic_weights(self, clinic: str) -> dict[str, np.ndarray]:
        w = self.weights_by_clinic.get(clinic)
        if w is None:
            return self.learned.clinic_weights(clinic)  # type: ignore[attr-defined]
        return {p: w[i] for i, p in enumerate(TYPES)}

    def __getattr__(self, name: str):
        return getattr(self.learned, name)


def _truth_arrays(truth: NetworkTruth, cutoff: date, horizon: int) -> dict[str, dict]:
    start = truth._week(cutoff)
    out = {}
    for c in truth.clinics:
        sim = truth.sims[c.id]
        sl = slice(start, start + horizon)
        hist = slice(max(0, start - 52), start)
        open_mean = sim.factor[hist][sim.factor[hist] > 0]
        mean_factor = float(open_mean.mean()) if open_mean.size else float(1 - c.cancel)
        out[c.id] = {
            "rate": sim.rate[sl],  # (horizon, types)
            "weights": sim.weights * mean_factor,  # (types, lags)
            "non_surgical": sim.base[sl] * sim.factor[sl],
            "capacity": sim.factor[sl] / mean_factor if mean_factor > 0 else np.ones(horizon),
        }
    return out


def oracle_run(
    raw_dir: Path,
    work_dir: Path,
    config: Config,
    as_of: date,
    truth: NetworkTruth,
    stages: tuple[str, ...],
    seed: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``suite.run_weekly`` with ``stages`` taken from ``truth`` (module docstring)."""
    import forecasting.demand.sessions as sessions
    import forecasting.week as week
    import forecasting.week.assembly as assembly  # where assemble looks these names up
    from forecasting import DataLayout, ingest_exports, load_inputs
    from forecasting.models.runner import SeriesForecast

    work = Path(work_dir)
    layout = DataLayout(raw=Path(raw_dir), processed=work / "processed", reports=work / "reports")
    ingest_exports(layout, config, today=as_of)
    inputs = load_inputs(layout, as_of)
    true = _truth_arrays(truth, inputs.cutoff_week.date(), config.horizon_weeks)
    rng = np.random.default_rng([seed, 7])

    def forecaster(key, history, cfg):
        clinic, procedure = key
        rate = true[clinic]["rate"][:, TYPES.index(procedure)]
        paths = rng.poisson(np.tile(rate, (cfg.n_paths, 1))).astype(float)
        return SeriesForecast(paths=paths, model="oracle", fallback_reason=None, fit_seconds=0.0)

    histories: dict = {}
    real_histories, real_learn, real_demand = (
        assembly.clinic_histories, assembly.learn_pathways, assembly.clinic_demand,
    )  # fmt: skip

    def record_histories(*args, **kwargs):
        out = real_histories(*args, **kwargs)
        histories.update(out)
        return out

    def true_pathways(*args, **kwargs):
        learned = real_learn(*args, **kwargs)
        return _TrueWeights(learned, {c: v["weights"] for c, v in true.items()})

    def demand(history, procedure_paths, weights, **kwargs):
        clinic = next((c for c, h in histories.items() if h is history), None)
        if clinic is None or clinic not in true:
            return real_demand(history, procedure_paths, weights, **kwargs)
        t = true[clinic]
        cap = t["capacity"] if "holidays" in stages else np.ones(len(t["capacity"]))
        with ExitStack() as stack:
            if "non_surgical" in stages:
                base = t["non_surgical"] / np.where(cap > 0, cap, 1.0)
                stack.enter_context(
                    mock.patch.object(sessions, "clinic_non_surgical", lambda *a, **k: base)
                )
            if "holidays" in stages:
                real_counts = sessions.sample_counts
                stack.enter_context(
                    mock.patch.object(
                        sessions,
                        "sample_counts",
                        lambda mean, *a, **k: real_counts(mean * cap[None, :], *a, **k),
                    )
                )
            return real_demand(history, procedure_paths, weights, **kwargs)

    with ExitStack() as stack:
        stack.enter_context(mock.patch.object(assembly, "clinic_histories", record_histories))
        stack.enter_context(mock.patch.object(assembly, "clinic_demand", demand))
        if "pathways" in stages:
            stack.enter_context(mock.patch.object(assembly, "learn_pathways", true_pathways))
        result = week.run_week(
            inputs, config, forecaster=forecaster if "procedures" in stages else None
        )
    return result.forecast, result.staffing
