"""The weekly run's steps as plain functions (the Prefect flow in flows/ wraps them as tasks).

Steps: cut the processed data at ``as_of`` -> one weekly history per clinic and procedure type
-> forecast each as sample paths -> session demand per clinic -> staffing -> output frames.
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting import columns as C
from forecasting.calendar import iso_week_label, week_start, weeks_from
from forecasting.config import Config
from forecasting.demand.bookings import (
    COUNT,
    WeeklyBooks,
    adjust_for_bookings,
    empty_bookings,
    known_bookings,
    pickup_curve,
    scheduled_snapshot,
)
from forecasting.demand.pathways import clinic_histories, learn_pathways
from forecasting.demand.sessions import clinic_demand
from forecasting.models import (
    Selection,
    SeriesForecast,
    choose_model,
    forecast_series,
    load_selection,
    summarise_paths,
)
from forecasting.series import SeriesKey, procedure_histories, series_rng, series_uid
from forecasting.staffing.hours import check_roster, rostered_hours_by_clinic, staffing_table

# WeeklyResult.models: per series the model used, why a fallback was used, the fit's wall time,
# how auto/ensemble chose, and whether the fit started from last week's parameters
MODEL_COLUMNS = [
    C.CLINIC, C.PROCEDURE, "model", "fallback_reason", "fit_seconds", "selection", "warm_started",
]  # fmt: skip


@dataclass(frozen=True)
class WeeklyInputs:
    """Processed data cut at the run's data cut-off."""

    as_of: date
    cutoff_week: pd.Timestamp  # first forecast week
    procedures: pd.DataFrame  # weeks < cutoff_week
    sessions: pd.DataFrame  # weeks < cutoff_week
    roster: pd.DataFrame
    # procedures booked before cutoff_week (forecasting.demand.bookings.BOOKINGS_COLUMNS)
    bookings: pd.DataFrame = field(default_factory=empty_bookings)
    # clinic_id, procedure, week, scheduled for weeks >= cutoff_week, when known at the cut-off
    scheduled: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=[C.CLINIC, C.PROCEDURE, C.WEEK, C.SCHEDULED])
    )

    def histories(self) -> dict[SeriesKey, pd.DataFrame]:
        """Zero-filled weekly procedure history per series (:func:`series.procedure_histories`)."""
        return procedure_histories(self.procedures, self.cutoff_week)

    @property
    def clinics(self) -> list[str]:
        ids = set(self.procedures[C.CLINIC].unique()) | set(self.sessions[C.CLINIC].unique())
        return sorted(str(c) for c in ids)

    def forecast_weeks(self, horizon: int) -> pd.DatetimeIndex:
        return weeks_from(self.cutoff_week, horizon)


def cut_inputs(
    procedures: pd.DataFrame,
    sessions: pd.DataFrame,
    roster: pd.DataFrame,
    as_of: date,
    bookings: pd.DataFrame | None = None,
) -> WeeklyInputs:
    """Keep data of whole weeks before the week of ``as_of`` (a replay sees only that).

    Bookings (``forecasting.ingest.folder.load_bookings``; optional) are kept when they were made
    before the cut-off week, whatever the surgery week. Scheduled procedures of the
    processed export are kept for the cut-off week and later only when the export is not newer
    than the cut-off (see ``forecasting.demand.bookings.scheduled_snapshot``).
    """
    cutoff = week_start(as_of)
    return WeeklyInputs(
        as_of=as_of,
        cutoff_week=cutoff,
        procedures=procedures.loc[pd.to_datetime(procedures[C.WEEK]) < cutoff].copy(),
        sessions=sessions.loc[pd.to_datetime(sessions[C.WEEK]) < cutoff].copy(),
        roster=roster.copy(),
        bookings=known_bookings(bookings, cutoff),
        scheduled=scheduled_snapshot(procedures, cutoff),
    )


def forecast_one(
    key: SeriesKey,
    history: pd.DataFrame,
    config: Config,
    selection: Selection | None = None,
    warm_start: dict | None = None,
) -> SeriesForecast:
    """Sample paths for one procedure series with the configured model (or its fallback).

    With ``[model] name = "auto"`` or ``"ensemble"`` the model is chosen per series from the
    latest backtest (``selection``; when None, read from ``[model] backtest_dir``, once per
    process). Without a backtest ``[model] default_ranking`` is used, and ``fallback_reason``
    says so; ``SeriesForecast.selection`` records how each choice was made. ``warm_start`` is
    the series' state from an earlier run (:mod:`forecasting.models.warm_start`), or None.
    """
    if selection is None and config.model.name in ("auto", "ensemble"):
        selection = load_selection(config.model.backtest_dir)
    return forecast_series(
        history,
        config.model,
        horizon=config.horizon_weeks,
        n_paths=config.n_paths,
        rng=series_rng(config.seed, key),
        holiday_country=config.holiday_country,
        choice=choose_model(series_uid(key), config.model, selection, len(history)),
        warm_start=warm_start,
    )


@dataclass(frozen=True)
class WeeklyResult:
    forecast: pd.DataFrame  # DESIGN.md forecast.csv columns
    committed: pd.DataFrame  # clinic_id, week, committed, non_surgical (expected sessions)
    staffing: pd.DataFrame  # staffing.csv columns plus hour ranges and recommendation columns
    models: pd.DataFrame  # MODEL_COLUMNS: how each series was forecast
    notes: dict[str, str]  # per clinic: why its forecast is less certain
    # learned next to configured pathway per procedure (demand.pathways.LearnedPathways.table)
    pathways: pd.DataFrame = field(default_factory=pd.DataFrame)
    # how demand was built: pathway summary line, dispersion, bookings method per clinic
    demand: dict = field(default_factory=dict)
    # per clinic: sessions over the whole horizon (clinic_id, mean, p10, p50, p90), from the
    # summed sample paths (quantiles of a total, never a sum of weekly quantiles)
    horizon_totals: pd.DataFrame = field(default_factory=pd.DataFrame)


def _horizon_total(clinic: str, paths: np.ndarray) -> dict:
    total = np.asarray(paths, dtype=float).sum(axis=1)
    quantiles = {col: float(np.quantile(total, q)) for col, q in C.QUANTILES.items()}
    return {C.CLINIC: clinic, C.MEAN: float(total.mean()), **quantiles}


def _summary_rows(clinic: str, weeks: pd.DatetimeIndex, series: str, paths: np.ndarray) -> dict:
    """forecast.csv rows of one series, as columns (one frame is built from all of them)."""
    summary = summarise_paths(paths)
    return {
        C.CLINIC: [clinic] * len(weeks),
        C.WEEK: weeks,
        C.SERIES: [series] * len(weeks),
        **{col: summary[col] for col in (C.MEAN, C.P10, C.P50, C.P90)},
    }


def _forecast_frame(parts: list[dict]) -> pd.DataFrame:
    """One frame with FORECAST_COLUMNS from :func:`_summary_rows` parts."""
    if not parts:
        return pd.DataFrame([], columns=C.FORECAST_COLUMNS)
    return pd.DataFrame(
        {
            C.CLINIC: [c for part in parts for c in part[C.CLINIC]],
            C.WEEK: np.concatenate([part[C.WEEK].to_numpy() for part in parts]),
            C.SERIES: [s for part in parts for s in part[C.SERIES]],
            **{
                col: np.concatenate([part[col] for part in parts]).astype(float)
                for col in (C.MEAN, C.P10, C.P50, C.P90)
            },
        },
        columns=C.FORECAST_COLUMNS,
    )


def assemble(
    inputs: WeeklyInputs,
    histories: dict[SeriesKey, pd.DataFrame],
    forecasts: dict[SeriesKey, SeriesForecast],
    config: Config,
) -> WeeklyResult:
    """Session demand and staffing per clinic from the procedure forecasts.

    Pathways are learned from the history before the cut-off (forecasting/pathways.py);
    procedure paths are combined with the bookings known at the cut-off (forecasting/
    bookings.py); session paths are committed + forecast-driven + non-surgical demand with
    over-dispersed count noise (forecasting/demand.py); staffing comes from those paths.

    Raises:
        InputError: a clinic with data has no therapist on the roster.
    """
    del histories  # the aligned clinic histories below hold the same procedure counts
    horizon = config.horizon_weeks
    weeks = inputs.forecast_weeks(horizon)
    clinics = inputs.clinics
    check_roster(inputs.roster, clinics)
    past = clinic_histories(inputs.procedures, inputs.sessions, inputs.cutoff_week)
    learned = learn_pathways(past, config.pathways, config.demand)
    pickup = pickup_curve(
        inputs.bookings, inputs.procedures, inputs.cutoff_week, horizon, config.demand
    )
    # Grouped once for all clinics (not filtered per clinic).
    known = WeeklyBooks.of(inputs.bookings, COUNT, weeks)
    scheduled = WeeklyBooks.of(inputs.scheduled, C.SCHEDULED, weeks)
    roster_hours = rostered_hours_by_clinic(inputs.roster, clinics, weeks)
    clinic_keys: dict[str, list[SeriesKey]] = {}
    for key in sorted(forecasts):
        clinic_keys.setdefault(key[0], []).append(key)
    rows: list[dict] = []  # forecast.csv columns per series
    committed_rows: list[pd.DataFrame] = []
    staffing: list[pd.DataFrame] = []
    totals: list[dict] = []
    notes: dict[str, str] = {}
    booking_method: dict[str, str] = {}
    for clinic in clinics:
        keys = clinic_keys.get(clinic, [])
        paths, booking_method[clinic] = adjust_for_bookings(
            {k[1]: forecasts[k].paths for k in keys},
            clinic,
            weeks,
            known=known,
            pickup=pickup,
            scheduled=scheduled,
            rng=series_rng(config.seed, (clinic, "bookings")),
        )
        for procedure, values in paths.items():
            rows.append(_summary_rows(clinic, weeks, C.procedure_series(procedure), values))
        demand = clinic_demand(
            past[clinic],
            paths,
            learned.clinic_weights(clinic),
            n_paths=config.n_paths,
            horizon=horizon,
            dispersion=learned.dispersion,
            excess=learned.excess_variance,
            config=config.demand,
            rng=series_rng(config.seed, (clinic, "sessions")),
        )
        if demand.note:
            notes[clinic] = demand.note
        rows.append(_summary_rows(clinic, weeks, C.SESSIONS, demand.paths))
        committed_rows.append(
            pd.DataFrame(
                {
                    C.CLINIC: clinic,
                    C.WEEK: weeks,
                    "committed": demand.committed,
                    "non_surgical": demand.non_surgical,
                }
            )
        )
        totals.append(_horizon_total(clinic, demand.paths))
        staffing.append(
            staffing_table(clinic, weeks, demand.paths, roster_hours[clinic], config.staffing)
        )
    models = pd.DataFrame(
        [
            {
                C.CLINIC: k[0],
                C.PROCEDURE: k[1],
                "model": f.model,
                "fallback_reason": f.fallback_reason,
                "fit_seconds": round(f.fit_seconds, 3),
                "selection": f.selection,
                "warm_started": f.warm_started,
            }
            for k, f in sorted(forecasts.items())
        ],
        columns=MODEL_COLUMNS,
    )
    forecast = _forecast_frame(rows)
    return WeeklyResult(
        forecast=forecast.sort_values([C.CLINIC, C.SERIES, C.WEEK]).reset_index(drop=True),
        committed=pd.concat(committed_rows, ignore_index=True)
        if committed_rows
        else pd.DataFrame(),
        staffing=pd.concat(staffing, ignore_index=True) if staffing else pd.DataFrame(),
        models=models,
        notes=notes,
        pathways=learned.table(config.pathways),
        horizon_totals=pd.DataFrame(totals, columns=[C.CLINIC, C.MEAN, C.P10, C.P50, C.P90]),
        demand={
            "pathways": learned.summary(config.pathways),
            "session_dispersion": round(learned.dispersion, 3),
            "session_excess_variance": round(learned.excess_variance, 5),
            "clinic_pathway_scale": {c: round(v, 3) for c, v in learned.clinic_scale.items()},
            "bookings": booking_method,
        },
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
        "demand": result.demand,
        "pathways": result.pathways.to_dict(orient="records"),
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
    from forecasting import io as atomic
    from forecasting.report.accuracy import load_archive
    from forecasting.report.exports import neutralise_formulas, write_pdf, write_staffing_xlsx
    from forecasting.report.view import (
        ReportData,
        build_view,
        chart_pool,
        draw_charts,
        write_report,
    )

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
        # Past forecasts that can cover the last accuracy_weeks (horizons are at most 52 weeks).
        archive=load_archive(
            Path(processed_dir) / "forecasts",
            before=inputs.as_of,
            since=inputs.as_of - pd.Timedelta(weeks=config.report.accuracy_weeks + 52),
        ),
        notes=result.notes,
        options=config.report,
        horizon_totals=result.horizon_totals,
        settings={
            "service_level": config.staffing.target_quantile,
            "horizon_weeks": config.horizon_weeks,
            "hours_per_session": config.staffing.hours_per_session,
            "productive_share": config.staffing.productive_share,
            "fte_hours": config.staffing.fte_hours,
            "seed": config.seed,
            "block_hours": config.staffing.block_hours,
            "pathways": result.demand.get("pathways", "configured"),
        },
    )
    # Every chart drawn once (by worker processes for a large network, which start while the
    # view is built); the page and the PDF embed the same PNG bytes.
    with chart_pool(config.report.chart_workers, 3 * len(inputs.clinics)) as pool:
        view = draw_charts(build_view(data), pool)
    with atomic.publish_dir(final) as staging:
        # Text cells of the CSVs cannot run as spreadsheet formulas; numbers stay numbers.
        atomic.write_csv(staging / "forecast.csv", neutralise_formulas(_rounded(result.forecast)))
        # DESIGN.md's columns first, then the hour range, the unrounded hours and the expected
        # unmet sessions / idle hours if the recommendation were rostered.
        extra = [c for c in result.staffing.columns if c not in C.STAFFING_COLUMNS]
        staffing = (
            result.staffing[C.STAFFING_COLUMNS + extra] if len(result.staffing) else result.staffing
        )
        atomic.write_csv(staging / "staffing.csv", neutralise_formulas(_rounded(staffing)))
        manifest = run_manifest(inputs, result, config, ingest_manifest, config_path)
        # The decisions as published: the Prefect artifacts are made from this record.
        manifest["report"] = view.summary_record()
        atomic.write_json(staging / "run_manifest.json", manifest)
        write_report(staging, view)
        write_pdf(staging / "report.pdf", view)
        write_staffing_xlsx(staging / "staffing.xlsx", view, result.staffing, inputs.as_of)
    archive = Path(processed_dir) / "forecasts" / f"{inputs.as_of.isoformat()}.parquet"
    atomic.write_parquet(archive, result.forecast)
    return final / "index.html"
