"""Session intervals calibrated from past forecast errors (conformal factors per horizon week).

Errors come from two sources, stacked with equal weight per error: (a) earlier runs' archived
session forecasts that have come true, and (b) in-run rolling origins, the run's own
computation repeated at past cut-offs on the data known then (:func:`origin_weeks`,
:func:`origin_clinics`, :func:`origin_scores`; the forecasts themselves are made by
``forecasting.week``, which knows the models). Factors are per clinic class (young, mature,
optionally shifted; :mod:`forecasting.demand.clinic_classes`) when a class has enough errors of
its own, else the network's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.columns import CLINIC, P10, P50, P90, SERIES, SESSIONS, SPREAD_FACTOR, WEEK
from forecasting.config import CalibrationConfig

ISSUED = "issued"  # as-of date of the run that made an archived forecast (report.accuracy)
ARCHIVE, ROLLING_ORIGIN = "archive", "rolling_origin"
_SOURCE_TEXT = {
    ARCHIVE: "the forecast archive",
    ROLLING_ORIGIN: "in-run rolling origins",
    f"{ARCHIVE}+{ROLLING_ORIGIN}": "the forecast archive and in-run rolling origins",
}


@dataclass(frozen=True)
class Calibration:
    """Spread factors per horizon week (1..H) and what they rest on.

    ``factors[h - 1]`` multiplies the distance of every session path from its median in
    horizon week ``h``; 1.0 everywhere when not calibrated. ``band_weeks``: how many
    consecutive horizon weeks share each factor (all 1 when every week had ``needed`` errors
    of its own). ``errors``: errors per source; ``origins``: the in-run origins' first weeks.
    ``by_class``: factors of each clinic class that had ``needed`` errors of its own (the
    others use ``factors``); ``class_errors``: errors per class; ``clinic_class``: each
    clinic's class at this run's cut-off.
    """

    factors: tuple[float, ...]
    n_errors: int
    source: str  # "archive", "rolling_origin", "archive+rolling_origin", "none" or "disabled"
    calibrated: bool
    needed: int
    band_weeks: tuple[int, ...] = ()
    errors: tuple[tuple[str, int], ...] = ()
    origins: tuple[str, ...] = ()
    by_class: tuple[tuple[str, tuple[float, ...]], ...] = ()
    class_errors: tuple[tuple[str, int], ...] = ()
    clinic_class: tuple[tuple[str, str], ...] = ()

    def factors_for(self, clinic: str | None) -> tuple[float, ...]:
        """The factors of ``clinic``'s class when it has its own, else the network's."""
        klass = dict(self.clinic_class).get(str(clinic)) if clinic is not None else None
        return dict(self.by_class).get(klass, self.factors) if klass else self.factors

    def manifest(self) -> dict:
        """The run-manifest record of the calibration."""
        return {
            "calibrated": self.calibrated,
            "source": self.source,
            "n_errors": self.n_errors,
            "min_errors": self.needed,
            "factors_by_horizon_week": [round(f, 4) for f in self.factors],
            **({"weeks_per_band": list(self.band_weeks)} if self.band_weeks else {}),
            **({"errors_by_source": dict(self.errors)} if self.errors else {}),
            **({"rolling_origins": list(self.origins)} if self.origins else {}),
            **(
                {"factors_by_class": {k: [round(f, 4) for f in v] for k, v in self.by_class}}
                if self.by_class
                else {}
            ),
            **({"errors_by_class": dict(self.class_errors)} if self.class_errors else {}),
            **({"class_by_clinic": dict(self.clinic_class)} if self.clinic_class else {}),
        }

    def sentence(self) -> str:
        """One plain sentence for the report's "Data and models" section."""
        if self.source == "disabled":
            return "Session intervals are as modelled ([calibration] enabled = false)."
        if not self.calibrated:
            return (
                f"Session intervals are not calibrated: {self.n_errors} past forecast errors, "
                f"need {self.needed}."
            )
        first, last = self.factors[0], self.factors[-1]
        verb = "widened" if max(self.factors) > 1.0 else "narrowed"
        source = _SOURCE_TEXT.get(self.source, self.source)
        bands = len(self.band_weeks)
        pooled = (
            f", horizon weeks pooled into {bands} band{'s' if bands > 1 else ''}"
            if self.band_weeks and bands < len(self.factors)
            else ""
        )
        classes = "".join(  # only when classes differ: one class's factors are the network's
            f"; {name} clinics {min(f):.1f}x-{max(f):.1f}x"
            for name, f in (self.by_class if len(self.class_errors) > 1 else ())
        )
        return (
            f"Session p10-p90 {verb} by {first:.1f}x at week 1 to {last:.1f}x at week "
            f"{len(self.factors)}, from {self.n_errors} past forecast errors ({source}{pooled})"
            f"{classes}."
        )


def uncalibrated(
    horizon: int, n_errors: int, config: CalibrationConfig, errors: tuple = (), origins=()
) -> Calibration:
    """Intervals as modelled (factors 1.0), saying how many errors there were."""
    source = "none" if config.enabled else "disabled"
    return Calibration(
        (1.0,) * horizon, n_errors, source, False, config.min_errors, (), errors, tuple(origins)
    )


def scaled_errors(
    actual: np.ndarray, p50: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """Distance of the actual from p50 in units of the interval's half on that side.

    All arrays share a shape (errors x horizon weeks; NaN where nothing happened yet). A score
    of 1 means the actual sat on the forecast's p10 or p90; zero-width sides count as 1 session.
    """
    above = actual >= p50
    half = np.where(above, upper - p50, p50 - lower)
    half = np.maximum(half, 1.0)
    return np.abs(actual - p50) / half


def archive_scores(
    archived: pd.DataFrame, sessions: pd.DataFrame, cutoff_week: pd.Timestamp, horizon: int
) -> np.ndarray:
    """Scaled errors (forecasts x horizon weeks) of archived session forecasts that came true
    (:func:`score_table` without its index)."""
    return score_table(archived, sessions, cutoff_week, horizon).to_numpy(float)


def score_table(
    archived: pd.DataFrame, sessions: pd.DataFrame, cutoff_week: pd.Timestamp, horizon: int
) -> pd.DataFrame:
    """Scaled errors of archived session forecasts that came true, indexed by forecast.

    Args:
        archived: ``clinic_id, week, issued, p10, p50, p90`` of earlier runs' ``sessions``
            series (``forecasting.report.accuracy.load_archive``), optionally
            ``spread_factor``: the factor each archived interval was calibrated with; scores
            are multiplied by it, so they measure the modelled (uncalibrated) spread that this
            run's factors multiply (without it a calibrated archive would pull the next
            factors towards 1).
        sessions: ``clinic_id, week, sessions`` actuals; only weeks before ``cutoff_week``.
        cutoff_week: the current run's first forecast week.
        horizon: H; horizon week h of a forecast is its h-th week after its own first week.

    Returns:
        One row per (clinic_id, issued) forecast (the index), one column per horizon week
        (0..H-1), NaN where the week has not happened or has no known actual.
    """
    empty = pd.DataFrame(
        np.full((0, horizon), np.nan),
        index=pd.MultiIndex.from_tuples([], names=[CLINIC, ISSUED]),
        columns=range(horizon),
    )
    if archived.empty or sessions.empty:
        return empty
    frame = archived.assign(
        **{WEEK: pd.to_datetime(archived[WEEK]), CLINIC: archived[CLINIC].astype(str)}
    )
    first = frame.groupby(ISSUED)[WEEK].transform("min")
    frame = frame.assign(h=((frame[WEEK] - first).dt.days // 7).astype(int))
    frame = frame.loc[(frame["h"] < horizon) & (frame[WEEK] < cutoff_week)]
    actual = sessions.assign(
        **{CLINIC: sessions[CLINIC].astype(str), WEEK: pd.to_datetime(sessions[WEEK])}
    )
    actual = actual.loc[actual[WEEK] < cutoff_week, [CLINIC, WEEK, SESSIONS]]
    joined = frame.merge(actual, on=[CLINIC, WEEK], how="inner")
    if joined.empty:
        return empty
    score = scaled_errors(
        joined[SESSIONS].to_numpy(float),
        joined[P50].to_numpy(float),
        joined[P10].to_numpy(float),
        joined[P90].to_numpy(float),
    )
    if SPREAD_FACTOR in joined:  # archived intervals were calibrated: back to the modelled scale
        score = score * joined[SPREAD_FACTOR].fillna(1.0).to_numpy(float)
    table = joined.assign(score=score).pivot_table(
        index=[CLINIC, ISSUED], columns="h", values="score", aggfunc="first"
    )
    return table.reindex(columns=range(horizon)).astype(float)


def _quantile(scores: np.ndarray, level: float, method: str) -> float:
    n = scores.size
    if method == "conformal":
        # Split-conformal finite-sample quantile: the ceil((n + 1) * level)-th smallest score.
        rank = min(n, math.ceil((n + 1) * level))
        return float(np.sort(scores)[rank - 1])
    return float(np.quantile(scores, level))


def _bands(counts: np.ndarray, needed: int) -> list[np.ndarray] | None:
    """Horizon weeks split into the most consecutive bands that each hold ``needed`` errors
    (one band per week when every week does), or None when all weeks together hold fewer."""
    weeks = np.arange(counts.size)
    for n_bands in range(counts.size, 0, -1):
        bands = np.array_split(weeks, n_bands)
        if all(int(counts[band].sum()) >= needed for band in bands):
            return bands
    return None


def _banded(scores: np.ndarray, config: CalibrationConfig) -> tuple[np.ndarray, list] | None:
    """Factors per horizon week and the bands they rest on, or None with too few errors."""
    counts = np.sum(np.isfinite(scores), axis=0)
    bands = _bands(counts, config.min_errors) if scores.shape[1] else None
    if bands is None:
        return None
    level = min(max(config.coverage + config.level_offset, 0.01), 0.99)
    factors = np.ones(scores.shape[1])
    for band in bands:
        pooled = scores[:, band].ravel()
        q = _quantile(pooled[np.isfinite(pooled)], level, config.method)
        factors[band] = float(np.clip(q, config.min_factor, config.max_factor))
    return factors, bands


def calibrate(
    scores: np.ndarray,
    source: str,
    config: CalibrationConfig,
    errors: tuple[tuple[str, int], ...] = (),
    origins: Sequence[str] = (),
    row_classes: Sequence[str] | None = None,
    clinic_class: Mapping[str, str] | None = None,
) -> Calibration:
    """Spread factors per horizon week from scaled errors (errors x horizon weeks, NaN gaps).

    Each week's factor is the ``coverage + level_offset`` quantile of its scores, clipped to
    [min_factor, max_factor]. When a week has fewer than ``min_errors`` errors, consecutive
    horizon weeks are pooled into the most bands that each hold ``min_errors`` (all weeks
    share one factor at worst); with fewer than ``min_errors`` errors in all weeks together the
    run is not calibrated.

    ``row_classes``: the clinic class of each row of ``scores`` when its forecast was made
    (:mod:`forecasting.demand.clinic_classes`); each class with ``min_errors`` errors of its
    own gets its own factors the same way, the others keep the network's. ``clinic_class``:
    the classes at this run's cut-off, which :meth:`Calibration.factors_for` reads.
    """
    scores = np.asarray(scores, dtype=float)
    horizon = scores.shape[1]
    total = int(np.isfinite(scores).sum())
    network = _banded(scores, config) if config.enabled else None
    if network is None:
        return uncalibrated(horizon, total, config, errors, origins)
    factors, bands = network
    by_class, class_errors = [], []
    if row_classes is not None and config.classes != "none":
        labels = np.asarray(list(row_classes), dtype=object)
        for name in sorted(set(labels)):
            mine = scores[labels == name]
            class_errors.append((str(name), int(np.isfinite(mine).sum())))
            own = _banded(mine, config)
            if own is not None:
                by_class.append((str(name), tuple(float(f) for f in own[0])))
    return Calibration(
        tuple(float(f) for f in factors),
        total,
        source,
        True,
        config.min_errors,
        tuple(len(band) for band in bands),
        errors,
        tuple(origins),
        tuple(by_class),
        tuple(class_errors),
        tuple(sorted((str(k), str(v)) for k, v in (clinic_class or {}).items())),
    )


def rescale_paths(
    paths: np.ndarray, calibration: Calibration, clinic: str | None = None
) -> np.ndarray:
    """Session paths (paths x weeks) with their spread around each week's median rescaled
    by the factors of ``clinic``'s class (:meth:`Calibration.factors_for`).

    Returns a new array; the median of each week is unchanged, and paths stay >= 0 (a clip
    below zero cannot move a non-negative median). Staffing reads these paths.
    """
    if not calibration.calibrated:
        return paths.copy()
    factors = np.asarray(calibration.factors_for(clinic)[: paths.shape[1]], dtype=float)
    median = np.median(paths, axis=0)
    return np.maximum(median + (paths - median) * factors, 0.0)


def origin_weeks(
    cutoff_week: pd.Timestamp,
    first_week: pd.Timestamp,
    min_history_weeks: int,
    config: CalibrationConfig,
) -> list[pd.Timestamp]:
    """The in-run rolling origins: ``cutoff_week - k x origin_step_weeks`` for k = 1..origins,
    latest first, keeping those with at least ``min_history_weeks`` of data before them."""
    if not config.enabled:
        return []
    step = pd.Timedelta(weeks=config.origin_step_weeks)
    earliest = pd.Timestamp(first_week) + pd.Timedelta(weeks=min_history_weeks)
    candidates = [pd.Timestamp(cutoff_week) - k * step for k in range(1, config.origins + 1)]
    return [origin for origin in candidates if origin >= earliest]


def origin_clinics(
    clinics: Sequence[str], index: int, seed: int, config: CalibrationConfig
) -> list[str]:
    """The clinics forecast at origin number ``index``: all of them, or a seeded sample of
    ``origin_clinics`` (a different one at each origin) in a larger network."""
    ordered = sorted(clinics)
    if len(ordered) <= config.origin_clinics:
        return ordered
    rng = np.random.default_rng([seed, index, len(ordered)])
    chosen = rng.choice(len(ordered), size=config.origin_clinics, replace=False)
    return [ordered[i] for i in sorted(chosen)]


def origin_scores(
    forecasts: Mapping[pd.Timestamp, pd.DataFrame],
    sessions: pd.DataFrame,
    cutoff_week: pd.Timestamp,
    horizon: int,
) -> np.ndarray:
    """Scaled errors (clinics x origins, horizon weeks) of the in-run origins' forecasts
    (:func:`origin_table` without its index)."""
    return origin_table(forecasts, sessions, cutoff_week, horizon).to_numpy(float)


def origin_table(
    forecasts: Mapping[pd.Timestamp, pd.DataFrame],
    sessions: pd.DataFrame,
    cutoff_week: pd.Timestamp,
    horizon: int,
) -> pd.DataFrame:
    """Scaled errors of the in-run origins' forecasts, indexed by (clinic_id, issued = origin).

    Args:
        forecasts: per origin (its first forecast week), the ``forecast.csv`` frame the run's
            computation made with the data known then (only its ``sessions`` rows are read).
        sessions: ``clinic_id, week, sessions`` actuals before ``cutoff_week``.
    """
    parts = []
    for origin, frame in forecasts.items():
        rows = frame.loc[frame[SERIES] == SESSIONS, [CLINIC, WEEK, P10, P50, P90]]
        if not rows.empty:
            parts.append(rows.assign(**{ISSUED: origin, WEEK: pd.to_datetime(rows[WEEK])}))
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return score_table(frame, sessions, cutoff_week, horizon)


def combine(
    archive: np.ndarray,
    rolling: np.ndarray,
    config: CalibrationConfig,
    origins: Sequence[str],
    row_classes: Sequence[str] | None = None,
    clinic_class: Mapping[str, str] | None = None,
) -> Calibration:
    """The calibration from archive (a) and in-run rolling-origin (b) errors, stacked with equal
    weight per error (each is one clinic's forecast of one horizon week that came true).

    ``row_classes``: the class of each archive row, then of each rolling row, when each
    forecast was made; ``clinic_class``: the classes at this run's cut-off (:func:`calibrate`).
    """
    n_archive = int(np.isfinite(archive).sum())
    n_rolling = int(np.isfinite(rolling).sum())
    used = [name for name, n in ((ARCHIVE, n_archive), (ROLLING_ORIGIN, n_rolling)) if n]
    errors = ((ARCHIVE, n_archive), (ROLLING_ORIGIN, n_rolling))
    scores = np.vstack([archive, rolling])
    return calibrate(
        scores, "+".join(used) or "none", config, errors, origins, row_classes, clinic_class
    )
