"""Phase 2 of a backtest: ``auto`` and ``ensemble`` chosen at each cutoff from closed windows.

At each scored cutoff, ``auto`` and ``ensemble`` rank the models by the pooled score of
:func:`forecasting.models.selection.pooled_scores` over the windows of all series whose weeks
all lie before that cutoff, then take (auto) or combine (ensemble) those models' paths, read
back from phase 1's scratch files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from forecasting.backtest.windows import BacktestSpec, window_rng, window_row
from forecasting.columns import UID
from forecasting.models import combine_paths
from forecasting.models.selection import allowed_models, choose_members, pooled_scores


def meta_choices(
    windows: pd.DataFrame, spec: BacktestSpec
) -> dict[tuple[str, pd.Timestamp], tuple]:
    """Per (series, scored cutoff): the models allowed there (baselines only for a short
    history) and their pooled scores over the windows of all series that closed before it."""
    run = list(spec.models)
    windows = windows.loc[windows["model"].isin(run)]
    closes = windows["cutoff"] + pd.Timedelta(weeks=spec.horizon)
    out: dict[tuple[str, pd.Timestamp], tuple] = {}
    scored = windows.loc[windows["scored"], [UID, "cutoff", "end"]].drop_duplicates()
    for cutoff, rows in scored.groupby("cutoff", sort=True):
        closed = windows.loc[closes <= cutoff]
        per_series = closed.groupby([UID, "model"])["mase"].agg(["mean", "count"])
        overall = per_series["mean"].groupby(level="model").mean()
        for uid, end in zip(rows[UID], rows["end"], strict=True):
            allowed, short = allowed_models(spec.config, int(end))
            allowed = [m for m in allowed if m in run] or run
            own = pd.DataFrame({"mean": [], "count": []}, index=pd.Index([], name="model"))
            if uid in per_series.index.get_level_values(UID):
                own = per_series.xs(uid, level=UID)
            scores = pooled_scores(
                own["mean"], own["count"], overall, spec.config.selection_prior_windows
            )
            out[(uid, cutoff)] = (scores[scores.index.isin(allowed)], allowed, short)
    return out


def meta_rows(
    uid: str, frame: pd.DataFrame, rows: list[dict], spec: BacktestSpec, slot: int, choices: dict
) -> list[dict]:
    """Phase 2 for one series: auto and ensemble rows of its scored windows."""
    assert spec.scratch is not None, "phase 2 runs only with phase 1's scratch folder"
    paths = np.load(Path(spec.scratch) / f"{slot}.npy")  # (windows, models, n_paths, horizon)
    by_window: dict[pd.Timestamp, dict[str, dict]] = {}
    for r in rows:
        by_window.setdefault(r["cutoff"], {})[r["model"]] = r
    out = []
    for w, (cutoff, models) in enumerate(sorted(by_window.items())):
        first = models[spec.models[0]]
        if not first["scored"]:
            continue
        scores, allowed, short = choices[(uid, cutoff)]
        for meta in spec.meta:
            size = 1 if meta == "auto" else spec.config.ensemble_size
            note = ""
            members, weights = choose_members(scores, size)
            if not members:
                ranked = [m for m in spec.config.default_ranking if m in allowed] or allowed
                members, weights = tuple(ranked[:size]), None
                note = "default ranking (no closed window)"
            if len(members) == 1:
                row = {**models[members[0]], "model": meta}
            else:
                index = [spec.models.index(m) for m in members]
                rng = window_rng(spec.seed, uid, cutoff, meta)
                combined = combine_paths(
                    list(paths[w, index]), weights, spec.config.ensemble_combine, rng
                )
                end = first["end"]
                train = frame.iloc[:end]
                row = window_row(
                    uid, train, frame.iloc[end : end + spec.horizon], meta, combined, spec.season
                )
            seconds = sum(models[m]["fit_seconds"] for m in members)
            notes = [note] + [
                f"{m} used {models[m]['fallback_reason']}"
                for m in members
                if models[m]["fallback_reason"]
            ]
            note = "; ".join(n for n in notes if n)
            chose = "+".join(members) + (f" ({short})" if short else "")
            row |= {"fit_seconds": seconds, "fallback_reason": note, "selection": chose}
            out.append(row)
    return out
