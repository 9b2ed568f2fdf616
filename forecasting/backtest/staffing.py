"""Decision backtest: replay past weeks and compare staffing decisions with what was needed.

For each cut-off (a past week), every method sees only the data known then (weeks before the
cut-off, bookings made before it) and recommends paid therapist hours for each of the next
``horizon_weeks`` weeks, rounded to schedulable blocks like the weekly run. The hours that
were needed are the realised sessions x (session + turnover) / productive share. Per clinic-week:

- ``shortage_hours`` = max(needed - recommended, 0) (sessions that could not be served);
- ``idle_hours`` = max(recommended - needed, 0) (paid hours left unbooked);
- ``cost`` = c_short x shortage + c_idle x idle, with the configured costs, or, when only a
  service level q is configured, the costs it implies (c_idle = 1, c_short = q / (1 - q)).

Methods:

- ``lymphcast``: the weekly run (pathway demand from procedure forecasts, bookings, staffing at
  the target quantile of the session paths);
- ``moving_average_4w``: staff for the mean of the last 4 weeks' sessions;
- ``prophet_sessions``: Prophet fitted directly on weekly session counts, staffed at the same
  target quantile of its sample paths (seasonal naive when the history is shorter than a year);
- ``roster``: the hours on the roster, for reference.

Forecast accuracy is reported alongside: MASE of the p50 (scaled by the in-sample mean absolute
week-on-week change of the clinic's sessions before the cut-off), the share of weeks inside
p10..p90, and the share of weeks whose realised sessions were at or below the target.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting import columns as C
from forecasting.config import DEFAULT_SERVICE, Config
from forecasting.errors import ConfigError
from forecasting.metrics import mase_scale
from forecasting.models import make_model
from forecasting.progress import NO_PROGRESS, Progress, stage
from forecasting.series import series_rng
from forecasting.staffing.hours import recommended_hours
from forecasting.week import Forecaster, WeeklyResult, cut_inputs, run_week

METHODS = ("lymphcast", "moving_average_4w", "prophet_sessions", "roster")
_MA_WEEKS = 4
_MIN_PROPHET_WEEKS = 60  # shorter session histories use the seasonal-naive fallback

WEEK_COLUMNS = [
    "method", "cutoff", C.CLINIC, C.WEEK, "horizon", "actual", C.P10, C.P50, C.P90,
    "sessions_target", "hours_recommended", "hours_needed", "shortage_hours", "idle_hours",
    "cost", "scale",
]  # fmt: skip


@dataclass(frozen=True)
class StaffingBacktest:
    """Result of :func:`run_staffing_backtest`.

    Attributes:
        weeks: one row per method, cut-off, clinic and forecast week (``WEEK_COLUMNS``).
        summary: one row per method: ``mase``, ``coverage_80``, ``share_at_or_below_target``,
            ``shortage_hours``, ``idle_hours``, ``cost`` (means per clinic-week), ``weeks``.
        cutoffs: the first forecast week of each replay.
        cost_short: cost of one missing therapist-hour used in ``cost``.
        cost_idle: cost of one idle paid therapist-hour used in ``cost``.
    """

    weeks: pd.DataFrame
    summary: pd.DataFrame
    cutoffs: list[pd.Timestamp]
    cost_short: float
    cost_idle: float


def default_cutoffs(
    sessions: pd.DataFrame, horizon: int, folds: int, step: int
) -> list[pd.Timestamp]:
    """``folds`` cut-offs ``step`` weeks apart, the last one ``horizon`` weeks before the end.

    The end is the week after the latest week with sessions (assumed complete).
    """
    if folds < 1 or step < 1:
        raise ConfigError(f"folds and step must be >= 1 (got folds={folds}, step={step}).")
    if sessions.empty:
        raise ConfigError("The staffing backtest needs session history; none was found.")
    end = pd.Timestamp(sessions[C.WEEK].max()) + pd.Timedelta(weeks=1)
    last = end - pd.Timedelta(weeks=horizon)
    return [last - pd.Timedelta(weeks=step * i) for i in range(folds)][::-1]


def costs(config: Config) -> tuple[float, float]:
    """(c_short, c_idle): configured, or implied by the service level with c_idle = 1."""
    s = config.staffing
    if s.cost_short is not None and s.cost_idle is not None:
        return s.cost_short, s.cost_idle
    return s.service_level / (1.0 - s.service_level), 1.0


def _weekly_sessions(sessions: pd.DataFrame, clinic: str, weeks: pd.DatetimeIndex) -> np.ndarray:
    rows = sessions.loc[sessions[C.CLINIC].astype(str) == clinic]
    return rows.groupby(C.WEEK)[C.SESSIONS].sum().reindex(weeks, fill_value=0).to_numpy(float)


def _history(sessions: pd.DataFrame, clinic: str, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Zero-filled weekly sessions (``ds``, ``y``) from the clinic's first session week."""
    rows = sessions.loc[
        (sessions[C.CLINIC].astype(str) == clinic) & (pd.to_datetime(sessions[C.WEEK]) < cutoff)
    ]
    if rows.empty:
        return pd.DataFrame({C.DS: pd.DatetimeIndex([]), C.Y: np.zeros(0)})
    weeks = pd.date_range(rows[C.WEEK].min(), cutoff - pd.Timedelta(days=7), freq="W-MON")
    return pd.DataFrame({C.DS: weeks, C.Y: _weekly_sessions(rows, clinic, weeks)})


def prophet_session_paths(
    history: pd.DataFrame, config: Config, horizon: int, rng: np.random.Generator
) -> np.ndarray:
    """Sample paths of Prophet fitted directly on weekly session counts (n_paths, horizon).

    Falls back to the seasonal-naive model when the history is shorter than 60 weeks.
    """
    if len(history) == 0:
        return np.zeros((config.n_paths, horizon))
    if len(history) >= _MIN_PROPHET_WEEKS:
        model = make_model("prophet", holiday_country=config.holiday_country)
    else:
        model = make_model("seasonal_naive")
    return model.fit(history).sample(horizon, config.n_paths, rng)


def _rows(
    method: str,
    cutoff: pd.Timestamp,
    clinic: str,
    weeks: pd.DatetimeIndex,
    actual: np.ndarray,
    quantiles: tuple[np.ndarray, np.ndarray, np.ndarray],
    target: np.ndarray,
    hours: np.ndarray,
    scale: float,
    config: Config,
) -> pd.DataFrame:
    c_short, c_idle = costs(config)
    s = config.staffing
    needed = actual * s.hours_per_session / s.productive_share
    shortage = np.clip(needed - hours, 0, None)
    idle = np.clip(hours - needed, 0, None)
    return pd.DataFrame(
        {
            "method": method,
            "cutoff": cutoff,
            C.CLINIC: clinic,
            C.WEEK: weeks,
            "horizon": np.arange(1, len(weeks) + 1),
            "actual": actual,
            C.P10: quantiles[0],
            C.P50: quantiles[1],
            C.P90: quantiles[2],
            "sessions_target": target,
            "hours_recommended": hours,
            "hours_needed": needed,
            "shortage_hours": shortage,
            "idle_hours": idle,
            "cost": c_short * shortage + c_idle * idle,
            "scale": scale,
        }
    )


def _quantiles(paths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    q = np.quantile(paths, [0.1, 0.5, 0.9], axis=0)
    return q[0], q[1], q[2]


def replay(
    procedures: pd.DataFrame,
    sessions: pd.DataFrame,
    roster: pd.DataFrame,
    config: Config,
    cutoff: pd.Timestamp,
    *,
    bookings: pd.DataFrame | None = None,
    forecast: Forecaster | None = None,
) -> WeeklyResult:
    """The weekly run's demand and staffing at a past cut-off, with only the data known then.

    The replay is of MLD (``sessions`` are MLD's): services other than MLD in ``config`` are
    left out, so staffing is MLD's against the therapists who have its skill, as with MLD
    alone (with them, the run's totals would count every therapist's hours against MLD's
    sessions).
    """
    mld_only = {k: v for k, v in config.services.items() if k == DEFAULT_SERVICE}
    if mld_only != config.services:
        config = config.model_copy(update={"services": mld_only})
    inputs = cut_inputs(procedures, sessions, roster, cutoff.date(), bookings=bookings)
    return run_week(inputs, config, forecaster=forecast, progress=NO_PROGRESS)


def run_staffing_backtest(
    procedures: pd.DataFrame,
    sessions: pd.DataFrame,
    roster: pd.DataFrame,
    config: Config,
    *,
    bookings: pd.DataFrame | None = None,
    cutoffs: Sequence[date | pd.Timestamp] | None = None,
    folds: int = 8,
    step: int = 4,
    methods: Sequence[str] = METHODS,
    forecast: Forecaster | None = None,
    progress: Progress | None = None,
) -> StaffingBacktest:
    """Replay past cut-offs and score each method's staffing against realised sessions.

    Args:
        procedures: processed ``procedures_weekly`` (clinic_id, procedure, week, completed,
            scheduled).
        sessions: processed ``sessions_weekly`` (clinic_id, week, sessions).
        roster: processed roster.
        config: run configuration (horizon, paths, staffing policy, pathways, seed).
        bookings: processed bookings (``forecasting.ingest.load_bookings``), or None.
        cutoffs: first forecast weeks to replay (Mondays); default :func:`default_cutoffs`.
        folds: number of default cut-offs.
        step: weeks between default cut-offs.
        methods: subset of :data:`METHODS`.
        forecast: procedure forecaster (default: the weekly run's ``forecast_one``).
        progress: Hears of each replayed week (stage "replays"; default
            ``forecasting.progress``'s receiver for the process).

    Returns:
        Per clinic-week rows and a per-method summary.
    """
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        raise ConfigError(f"Unknown backtest method(s) {unknown}; choose from {list(METHODS)}.")
    horizon = config.horizon_weeks
    if cutoffs is None:
        cuts = default_cutoffs(sessions, horizon, folds, step)
    else:
        cuts = [pd.Timestamp(c) - pd.Timedelta(days=pd.Timestamp(c).weekday()) for c in cutoffs]
    end = pd.Timestamp(sessions[C.WEEK].max()) + pd.Timedelta(weeks=1)
    parts: list[pd.DataFrame] = []
    with stage("replays", len(cuts), "weeks", progress) as running:
        for cutoff in cuts:
            result = replay(
                procedures, sessions, roster, config, cutoff, bookings=bookings, forecast=forecast
            )
            weeks = pd.date_range(cutoff, periods=horizon, freq="W-MON")
            weeks = weeks[weeks < end]
            for clinic in sorted(result.staffing[C.CLINIC].unique()):
                parts += _clinic_rows(
                    methods, result, sessions, clinic, cutoff, weeks, config, horizon
                )
            running.advance()
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=WEEK_COLUMNS)
    c_short, c_idle = costs(config)
    return StaffingBacktest(frame, summarise(frame), cuts, c_short, c_idle)


def _clinic_rows(
    methods: Sequence[str],
    result: WeeklyResult,
    sessions: pd.DataFrame,
    clinic: str,
    cutoff: pd.Timestamp,
    weeks: pd.DatetimeIndex,
    config: Config,
    horizon: int,
) -> list[pd.DataFrame]:
    n = len(weeks)
    history = _history(sessions, clinic, cutoff)
    if n == 0 or history.empty:
        return []
    actual = _weekly_sessions(sessions, clinic, weeks)
    scale = mase_scale(history[C.Y].to_numpy(dtype=float), season=1)
    args = (cutoff, clinic, weeks, actual)
    staff = result.staffing.loc[result.staffing[C.CLINIC] == clinic].iloc[:n]
    out = []
    if "lymphcast" in methods:
        fc = result.forecast
        fc = fc.loc[(fc[C.CLINIC] == clinic) & (fc[C.SERIES] == C.SESSIONS)].iloc[:n]
        q = (fc[C.P10].to_numpy(), fc[C.P50].to_numpy(), fc[C.P90].to_numpy())
        target = staff["sessions_target"].to_numpy()
        hours = staff["therapist_hours_needed"].to_numpy()
        out.append(_rows("lymphcast", *args, q, target, hours, scale, config))
    if "moving_average_4w" in methods:
        level = float(history[C.Y].to_numpy()[-_MA_WEEKS:].mean())
        point = np.full(n, level)
        nan = np.full(n, np.nan)
        target = np.ceil(point - 1e-9)
        hours = recommended_hours(target, config.staffing)
        out.append(
            _rows("moving_average_4w", *args, (nan, point, nan), target, hours, scale, config)
        )
    if "prophet_sessions" in methods:
        rng = series_rng(config.seed, (clinic, "prophet_sessions", str(cutoff.date())))
        paths = prophet_session_paths(history, config, horizon, rng)[:, :n]
        target = np.ceil(np.quantile(paths, config.staffing.target_quantile, axis=0) - 1e-9)
        hours = recommended_hours(target, config.staffing)
        out.append(
            _rows("prophet_sessions", *args, _quantiles(paths), target, hours, scale, config)
        )
    if "roster" in methods:
        nan = np.full(n, np.nan)
        hours = staff["hours_rostered"].to_numpy()
        out.append(_rows("roster", *args, (nan, nan, nan), nan, hours, scale, config))
    return out


def summarise(weeks: pd.DataFrame) -> pd.DataFrame:
    """Per method: accuracy (MASE of p50, p10..p90 coverage, share <= target) and decisions.

    MASE is averaged over (cut-off, clinic) replays; the rest are means per clinic-week.
    """
    if weeks.empty:
        return pd.DataFrame(
            columns=["method", "mase", "coverage_80", "share_at_or_below_target",
                     "shortage_hours", "idle_hours", "cost", "weeks"]
        )  # fmt: skip
    frame = weeks.assign(abs_error=(weeks["actual"] - weeks[C.P50]).abs())
    rows = []
    for method, g in frame.groupby("method", sort=False):
        per_replay = g.groupby(["cutoff", C.CLINIC]).agg(
            mae=("abs_error", "mean"), s=("scale", "first")
        )
        inside = (g["actual"] >= g[C.P10]) & (g["actual"] <= g[C.P90])
        has_interval = g[C.P10].notna()
        rows.append(
            {
                "method": method,
                "mase": float((per_replay["mae"] / per_replay["s"]).mean()),
                "coverage_80": float(inside[has_interval].mean()) if has_interval.any() else np.nan,
                "share_at_or_below_target": float(
                    (g["actual"] <= g["sessions_target"])[g["sessions_target"].notna()].mean()
                )
                if g["sessions_target"].notna().any()
                else np.nan,
                "shortage_hours": float(g["shortage_hours"].mean()),
                "idle_hours": float(g["idle_hours"].mean()),
                "cost": float(g["cost"].mean()),
                "weeks": len(g),
            }
        )
    return pd.DataFrame(rows)


def write_staffing_backtest(result: StaffingBacktest, out_dir: Path) -> dict[str, Path]:
    """Write ``staffing_summary.csv`` and ``staffing_weeks.csv`` to ``out_dir`` (atomically).

    Returns:
        File role ("summary", "weeks") -> path written.
    """
    from forecasting import io as atomic

    out_dir = Path(out_dir)
    weeks = result.weeks.assign(
        cutoff=pd.to_datetime(result.weeks["cutoff"]).dt.strftime("%Y-%m-%d"),
        week=pd.to_datetime(result.weeks[C.WEEK]).dt.strftime("%Y-%m-%d"),
    )
    summary = result.summary.assign(cost_short=result.cost_short, cost_idle=result.cost_idle)
    return {
        "summary": atomic.write_csv(out_dir / "staffing_summary.csv", summary.round(4)),
        "weeks": atomic.write_csv(out_dir / "staffing_weeks.csv", weeks.round(3)),
    }
