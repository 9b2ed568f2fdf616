"""The weekly run's steps as plain functions (the Prefect flow in flows/ wraps them as tasks).

Steps: cut the processed data at ``as_of`` -> one weekly history per clinic and procedure type
-> forecast each as sample paths -> session demand per clinic -> staffing -> output frames.
"""

from __future__ import annotations

import importlib.metadata
import zlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from . import columns as C
from .config import Config
from .demand import implied_sessions, non_surgical_level, session_paths
from .models import SeriesForecast, forecast_series, summarise_paths
from .staffing import rostered_hours, staffing_table

SeriesKey = tuple[str, str]  # (clinic_id, procedure)


def week_start(day: date) -> pd.Timestamp:
    """Monday of the ISO week that contains ``day``."""
    ts = pd.Timestamp(day).normalize()
    return ts - pd.Timedelta(days=ts.weekday())


def iso_week_label(day: date) -> str:
    """ISO week of ``day`` as ``YYYY-Www`` (the report directory name)."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def series_rng(seed: int, key: SeriesKey) -> np.random.Generator:
    """Generator for one series, independent of the order or process series run in."""
    return np.random.default_rng([seed, zlib.crc32("|".join(key).encode())])


@dataclass(frozen=True)
class WeeklyInputs:
    """Processed data cut at the run's data cut-off."""

    as_of: date
    cutoff_week: pd.Timestamp  # first forecast week
    procedures: pd.DataFrame  # weeks < cutoff_week
    sessions: pd.DataFrame  # weeks < cutoff_week
    roster: pd.DataFrame

    @property
    def clinics(self) -> list[str]:
        ids = set(self.procedures[C.CLINIC]) | set(self.sessions[C.CLINIC])
        return sorted(str(c) for c in ids)

    def forecast_weeks(self, horizon: int) -> pd.DatetimeIndex:
        return pd.date_range(self.cutoff_week, periods=horizon, freq="W-MON")


def cut_inputs(
    procedures: pd.DataFrame, sessions: pd.DataFrame, roster: pd.DataFrame, as_of: date
) -> WeeklyInputs:
    """Keep data of whole weeks before the week of ``as_of`` (a replay sees only that)."""
    cutoff = week_start(as_of)
    return WeeklyInputs(
        as_of=as_of,
        cutoff_week=cutoff,
        procedures=procedures.loc[pd.to_datetime(procedures[C.WEEK]) < cutoff].copy(),
        sessions=sessions.loc[pd.to_datetime(sessions[C.WEEK]) < cutoff].copy(),
        roster=roster.copy(),
    )


def _weekly_range(first: pd.Timestamp, cutoff: pd.Timestamp) -> pd.DatetimeIndex:
    return pd.date_range(first, cutoff - pd.Timedelta(days=7), freq="W-MON")


def procedure_histories(inputs: WeeklyInputs) -> dict[SeriesKey, pd.DataFrame]:
    """Zero-filled weekly completed-procedure history (``ds``, ``y``) per clinic and type.

    A clinic's series start at its first week with any procedure, so a recently opened clinic
    has a short history rather than years of zeros.
    """
    out: dict[SeriesKey, pd.DataFrame] = {}
    frame = inputs.procedures
    for clinic, rows in frame.groupby(C.CLINIC, sort=True):
        weeks = _weekly_range(pd.Timestamp(rows[C.WEEK].min()), inputs.cutoff_week)
        for procedure in C.PROCEDURE_TYPES:
            counts = rows.loc[rows[C.PROCEDURE] == procedure].set_index(C.WEEK)[C.COMPLETED]
            y = counts.reindex(weeks, fill_value=0).astype(float).to_numpy()
            out[(str(clinic), procedure)] = pd.DataFrame({C.DS: weeks, C.Y: y})
    return out


def forecast_one(key: SeriesKey, history: pd.DataFrame, config: Config) -> SeriesForecast:
    """Sample paths for one procedure series with the configured model (or its fallback)."""
    return forecast_series(
        history,
        config.model,
        horizon=config.horizon_weeks,
        n_paths=config.n_paths,
        rng=series_rng(config.seed, key),
        holiday_country=config.holiday_country,
    )


@dataclass(frozen=True)
class WeeklyResult:
    forecast: pd.DataFrame  # DESIGN.md forecast.csv columns
    committed: pd.DataFrame  # clinic_id, week, committed
    staffing: pd.DataFrame  # staffing.csv columns plus hour ranges
    models: pd.DataFrame  # clinic_id, procedure, model, fallback_reason, fit_seconds
    notes: dict[str, str]  # per clinic: why its forecast is less certain


def _summary_rows(clinic: str, weeks: pd.DatetimeIndex, series: str, paths: np.ndarray) -> list:
    summary = summarise_paths(paths)
    return [
        {
            C.CLINIC: clinic,
            C.WEEK: week,
            C.SERIES: series,
            **{col: float(summary[col][i]) for col in (C.MEAN, C.P10, C.P50, C.P90)},
        }
        for i, week in enumerate(weeks)
    ]


def assemble(
    inputs: WeeklyInputs,
    histories: dict[SeriesKey, pd.DataFrame],
    forecasts: dict[SeriesKey, SeriesForecast],
    config: Config,
) -> WeeklyResult:
    """Session demand and staffing per clinic from the procedure forecasts."""
    horizon = config.horizon_weeks
    weeks = inputs.forecast_weeks(horizon)
    rows: list[dict] = []
    committed_rows: list[pd.DataFrame] = []
    staffing: list[pd.DataFrame] = []
    notes: dict[str, str] = {}
    sessions = inputs.sessions
    for clinic in inputs.clinics:
        keys = [k for k in forecasts if k[0] == clinic]
        history = {k[1]: histories[k][C.Y].to_numpy() for k in keys}
        paths = {k[1]: forecasts[k].paths for k in keys}
        for key in keys:
            rows += _summary_rows(clinic, weeks, C.procedure_series(key[1]), paths[key[1]])
        past = sessions.loc[sessions[C.CLINIC] == clinic].set_index(C.WEEK)[C.SESSIONS]
        if keys:
            first = histories[keys[0]][C.DS].iloc[0] if len(histories[keys[0]]) else weeks[0]
            past = past.reindex(_weekly_range(first, inputs.cutoff_week), fill_value=0)
            implied = sum(implied_sessions(history[p], config.pathways[p].weights) for p in history)
            base = non_surgical_level(past.to_numpy(), np.asarray(implied))
            if past.sum() == 0:
                notes[clinic] = (
                    "no session history: demand comes from procedures and the configured "
                    "pathway only"
                )
        else:
            paths = {"other": np.zeros((config.n_paths, horizon))}
            base = float(np.median(past.to_numpy()[-26:])) if len(past) else 0.0
            notes[clinic] = (
                "no procedure history: sessions are forecast from the recent session level only"
            )
        rng = series_rng(config.seed, (clinic, "sessions"))
        committed, demand = session_paths(history, paths, config.pathways, base_level=base, rng=rng)
        rows += _summary_rows(clinic, weeks, C.SESSIONS, demand)
        committed_rows.append(
            pd.DataFrame({C.CLINIC: clinic, C.WEEK: weeks, "committed": committed})
        )
        hours = rostered_hours(inputs.roster, clinic, weeks)
        staffing.append(staffing_table(clinic, weeks, demand, hours, config.staffing))
    models = pd.DataFrame(
        [
            {
                C.CLINIC: k[0],
                C.PROCEDURE: k[1],
                "model": f.model,
                "fallback_reason": f.fallback_reason,
                "fit_seconds": round(f.fit_seconds, 3),
            }
            for k, f in sorted(forecasts.items())
        ],
        columns=[C.CLINIC, C.PROCEDURE, "model", "fallback_reason", "fit_seconds"],
    )
    forecast = pd.DataFrame(rows, columns=C.FORECAST_COLUMNS)
    return WeeklyResult(
        forecast=forecast.sort_values([C.CLINIC, C.SERIES, C.WEEK]).reset_index(drop=True),
        committed=pd.concat(committed_rows, ignore_index=True)
        if committed_rows
        else pd.DataFrame(),
        staffing=pd.concat(staffing, ignore_index=True) if staffing else pd.DataFrame(),
        models=models,
        notes=notes,
    )


def library_versions() -> dict[str, str]:
    names = ("lymphcast", "pandas", "numpy", "prophet", "statsmodels", "prefect", "matplotlib")
    out = {}
    for name in names:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def run_manifest(
    inputs: WeeklyInputs,
    result: WeeklyResult,
    config: Config,
    ingest_manifest: dict,
    config_path: Path | None,
) -> dict:
    """Everything needed to reproduce the run (no timestamps: identical runs, identical file)."""
    return {
        "as_of": inputs.as_of.isoformat(),
        "first_forecast_week": inputs.cutoff_week.date().isoformat(),
        "seed": config.seed,
        "config_file": str(config_path) if config_path else None,
        "config": config.model_dump(mode="json"),
        "inputs": [
            {k: f[k] for k in ("path", "sha256", "kind", "status")}
            for f in ingest_manifest.get("files", [])
        ],
        "models": result.models.astype(object)
        .where(result.models.notna(), None)
        .to_dict(orient="records"),
        "notes": result.notes,
        "versions": library_versions(),
    }


def _rounded(frame: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    out = frame.copy()
    if C.WEEK in out:
        out[C.WEEK] = pd.to_datetime(out[C.WEEK]).dt.strftime("%Y-%m-%d")
    numeric = out.select_dtypes("number").columns
    out[numeric] = out[numeric].round(digits)
    return out


def write_outputs(
    *,
    reports_dir: Path,
    processed_dir: Path,
    inputs: WeeklyInputs,
    result: WeeklyResult,
    config: Config,
    ingest_manifest: dict,
    config_path: Path | None,
) -> Path:
    """Publish reports/<YYYY>-W<ww>/ whole (or not at all) and archive the forecast.

    Returns the path of the report's index.html.
    """
    from . import io as atomic
    from .report import ReportData, write_report

    label = iso_week_label(inputs.as_of)
    final = Path(reports_dir) / label
    data = ReportData(
        as_of=inputs.as_of,
        iso_week=label,
        procedures_history=inputs.procedures,
        sessions_history=inputs.sessions,
        forecast=result.forecast,
        committed=result.committed,
        staffing=result.staffing,
        models=result.models,
        ingest=ingest_manifest.get("files", []),
        settings={
            "service_level": config.staffing.target_quantile,
            "horizon_weeks": config.horizon_weeks,
            "hours_per_session": config.staffing.hours_per_session,
            "productive_share": config.staffing.productive_share,
            "fte_hours": config.staffing.fte_hours,
            "seed": config.seed,
            "notes": result.notes,
        },
    )
    with atomic.publish_dir(final) as staging:
        atomic.write_csv(staging / "forecast.csv", _rounded(result.forecast))
        staffing = result.staffing[C.STAFFING_COLUMNS] if len(result.staffing) else result.staffing
        atomic.write_csv(staging / "staffing.csv", _rounded(staffing))
        manifest = run_manifest(inputs, result, config, ingest_manifest, config_path)
        atomic.write_json(staging / "run_manifest.json", manifest)
        write_report(staging, data)
    archive = Path(processed_dir) / "forecasts" / f"{inputs.as_of.isoformat()}.parquet"
    atomic.write_parquet(archive, result.forecast)
    return final / "index.html"
