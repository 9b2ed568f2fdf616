"""How good were past forecasts: archived session forecasts against what happened.

Every weekly run archives its forecast as ``data/processed/forecasts/<as-of>.parquet`` (columns
of forecast.csv). For each of the last few complete weeks this module takes the most recent
archived forecast made before the current run that covers that week (the shortest lead time,
the one a manager acted on) and compares its median and p10–p90 range with the sessions that
were actually booked. Errors are in plain words: the weighted absolute percentage error
("within 9% on average"), the bias (ran high or low) and how many weeks fell inside the range.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from forecasting.columns import CLINIC, P10, P50, P90, SERIES, SESSIONS, SPREAD_FACTOR, WEEK
from forecasting.report.text import fmt_percent

ISSUED = "issued"  # the as-of date of the run that made an archived forecast
ACTUAL = "actual"
COMPARISON_COLUMNS = [CLINIC, WEEK, ISSUED, P10, P50, P90, ACTUAL]

__all__ = [
    "ACTUAL",
    "Archive",
    "Accuracy",
    "COMPARISON_COLUMNS",
    "ISSUED",
    "accuracy",
    "compare",
    "load_archive",
]


@dataclass(frozen=True, eq=False)
class Archive:
    """Archived ``sessions`` forecasts and the archive files that could not be read.

    Attributes:
        forecasts: ``clinic_id, week, issued, p10, p50, p90`` (``issued``: the as-of date of
            the run, datetime64; ``week``: Monday, datetime64).
        unreadable: one sentence per archive file that was skipped, naming it and the fix.
    """

    forecasts: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=[CLINIC, WEEK, ISSUED, P10, P50, P90])
    )
    unreadable: list[str] = field(default_factory=list)


def load_archive(directory: Path, before: date, since: date | None = None) -> Archive:
    """Read the archived ``sessions`` forecasts made before ``before`` (and on/after ``since``).

    Files are named ``<as-of>.parquet``; other names are not archive files and are ignored. A
    file that cannot be read is skipped and named in ``Archive.unreadable`` (an old corrupt
    file must not stop this week's report).
    """
    directory = Path(directory)
    if not directory.is_dir():
        return Archive()
    frames: list[pd.DataFrame] = []
    unreadable: list[str] = []
    for path in sorted(directory.glob("*.parquet")):
        try:
            issued = date.fromisoformat(path.stem)
        except ValueError:
            continue
        if issued >= before or (since is not None and issued < since):
            continue
        try:
            names = pq.read_schema(path).names
            spread = [SPREAD_FACTOR] if SPREAD_FACTOR in names else []  # older: not calibrated
            frame = pd.read_parquet(path, columns=[CLINIC, WEEK, SERIES, P10, P50, P90, *spread])
        except (OSError, ValueError, pa.ArrowException) as err:
            unreadable.append(
                f"Archived forecast {path} could not be read ({type(err).__name__}); "
                "restore or delete it."
            )
            continue
        frame = frame.loc[frame[SERIES] == SESSIONS].drop(columns=SERIES)
        if not spread:
            frame = frame.assign(**{SPREAD_FACTOR: 1.0})
        frames.append(frame.assign(**{ISSUED: pd.Timestamp(issued)}))
    if not frames:
        return Archive(unreadable=unreadable)
    out = pd.concat(frames, ignore_index=True)
    out[CLINIC] = out[CLINIC].astype(str)
    out[WEEK] = pd.to_datetime(out[WEEK])
    columns = [CLINIC, WEEK, ISSUED, P10, P50, P90, SPREAD_FACTOR]
    return Archive(forecasts=out[columns], unreadable=unreadable)


def archived_forecast(forecast: pd.DataFrame, calibration: Mapping[str, Any]) -> pd.DataFrame:
    """The archive file's frame: ``forecast`` plus ``spread_factor``, per row the factor its
    session interval was calibrated with (``calibration``: the run manifest's record, whose
    ``factors_by_class`` and ``class_by_clinic`` give each clinic its class's factors; 1.0 for
    other series and uncalibrated runs), so a later run scores these errors on the modelled
    scale (forecasting/demand/calibration.py)."""
    factors = list(calibration.get("factors_by_horizon_week", ())) if calibration else []
    spread = np.ones(len(forecast))
    if factors and calibration.get("calibrated") and len(forecast):
        by_class = calibration.get("factors_by_class", {})
        klass = calibration.get("class_by_clinic", {})
        weeks = pd.to_datetime(forecast[WEEK])
        h = ((weeks - weeks.min()).dt.days // 7).to_numpy()
        on = (forecast[SERIES] == SESSIONS).to_numpy() & (h < len(factors))
        for clinic in forecast.loc[on, CLINIC].astype(str).unique():
            own = np.asarray(by_class.get(klass.get(clinic), factors), dtype=float)
            rows = on & (forecast[CLINIC].astype(str) == clinic).to_numpy()
            spread[rows] = own[h[rows]]
    return forecast.assign(**{SPREAD_FACTOR: spread})


def compare(
    archived: pd.DataFrame, sessions: pd.DataFrame, cutoff_week: pd.Timestamp, weeks: int
) -> pd.DataFrame:
    """Past forecasts against actual sessions for the last ``weeks`` complete weeks.

    Args:
        archived: ``Archive.forecasts`` (made before the current run).
        sessions: ``clinic_id, week, sessions``: actual weekly sessions (only weeks before
            ``cutoff_week`` are used).
        cutoff_week: Monday of the current run's first forecast week.
        weeks: how many complete weeks before ``cutoff_week`` to compare.

    Returns:
        ``COMPARISON_COLUMNS``, one row per clinic and week that has both an archived forecast
        and a known actual, sorted by clinic and week. A week after a clinic's latest session
        week has no known actual (its export may be late); a week missing inside the clinic's
        range of session weeks had none.
    """
    first = cutoff_week - pd.Timedelta(weeks=weeks)
    if archived.empty:
        return pd.DataFrame(columns=COMPARISON_COLUMNS)
    window = archived.loc[(archived[WEEK] >= first) & (archived[WEEK] < cutoff_week)]
    if window.empty:
        return pd.DataFrame(columns=COMPARISON_COLUMNS)
    latest = window.sort_values(ISSUED).drop_duplicates([CLINIC, WEEK], keep="last")
    actual = sessions.assign(
        **{CLINIC: sessions[CLINIC].astype(str), WEEK: pd.to_datetime(sessions[WEEK])}
    )
    actual = actual.loc[actual[WEEK] < cutoff_week]
    known_until = actual.groupby(CLINIC)[WEEK].max()
    merged = latest.merge(
        actual[[CLINIC, WEEK, SESSIONS]].groupby([CLINIC, WEEK], as_index=False).sum(),
        on=[CLINIC, WEEK],
        how="left",
    )
    until = merged[CLINIC].map(known_until)
    merged = merged.loc[until.notna() & (merged[WEEK] <= until)]
    merged = merged.assign(**{ACTUAL: merged[SESSIONS].fillna(0.0).astype(float)})
    return merged[COMPARISON_COLUMNS].sort_values([CLINIC, WEEK]).reset_index(drop=True)


@dataclass(frozen=True)
class Accuracy:
    """Error of past forecasts over some weeks.

    Attributes:
        weeks: weeks compared.
        wape: sum of |median - actual| / sum of actual (None when no sessions happened).
        bias: sum of (median - actual) / sum of actual (positive: forecasts ran high).
        inside: weeks whose actual fell inside the p10–p90 range.
        mean_abs_error: mean |median - actual| in sessions a week.
    """

    weeks: int
    wape: float | None
    bias: float | None
    inside: int
    mean_abs_error: float

    def sentence(self, wanted: int, who: str = "forecasts") -> str:
        """``Last 8 weeks: forecasts were within 9% of actual sessions on average; ...``."""
        span = (
            f"Last {self.weeks} weeks"
            if self.weeks == wanted
            else f"The {self.weeks} of the last {wanted} weeks with an archived forecast"
            if self.weeks > 1
            else f"The one week of the last {wanted} with an archived forecast"
        )
        if self.wape is None or self.bias is None:
            error = (
                f"{who} were off by about {self.mean_abs_error:.0f} sessions a week on average "
                "(no sessions happened, so no percentage)"
            )
        else:
            error = f"{who} were within {fmt_percent(self.wape)} of actual sessions on average"
        range_text = (
            f"{self.inside} of {self.weeks} weeks fell inside the forecast range (p10–p90)"
            if self.weeks > 1
            else "the week fell inside the forecast range (p10–p90)"
            if self.inside
            else "the week fell outside the forecast range (p10–p90)"
        )
        text = f"{span}: {error}; {range_text}"
        if self.bias is not None and round(abs(self.bias) * 100) >= 1:
            text += f"; they ran {fmt_percent(self.bias)} {'high' if self.bias > 0 else 'low'}"
        return text + "."


def accuracy(comparison: pd.DataFrame) -> Accuracy | None:
    """Accuracy of the rows of ``compare`` (one clinic, or pooled); None when there are none."""
    if comparison.empty:
        return None
    err = comparison[P50].astype(float) - comparison[ACTUAL].astype(float)
    total = float(comparison[ACTUAL].sum())
    inside = (comparison[ACTUAL] >= comparison[P10]) & (comparison[ACTUAL] <= comparison[P90])
    return Accuracy(
        weeks=len(comparison),
        wape=float(err.abs().sum()) / total if total > 0 else None,
        bias=float(err.sum()) / total if total > 0 else None,
        inside=int(inside.sum()),
        mean_abs_error=float(err.abs().mean()),
    )
