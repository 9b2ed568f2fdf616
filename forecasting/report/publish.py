"""Publish a week: the report folder (page, PDF, workbook, CSVs, manifest) and the archive.

``publish_week`` writes ``reports/<YYYY>-W<ww>/`` whole or not at all, then archives the
forecast under ``processed/forecasts/`` for next weeks' accuracy section. run_manifest.json
holds what reproduces the run and nothing that differs between identical runs; the fits'
wall-clock times go to timings.json beside it.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
from pathlib import Path

import pandas as pd

from forecasting import columns as C
from forecasting import io as atomic
from forecasting.calendar import iso_week_label
from forecasting.config import Config
from forecasting.ingest.manifest import IngestManifest
from forecasting.layout import DataLayout
from forecasting.planning.week_plans import WeekPlans
from forecasting.report.accuracy import archived_forecast, load_archive
from forecasting.report.data import ReportData, ReportSettings
from forecasting.report.drawing import chart_pool, draw_charts
from forecasting.report.html import write_report
from forecasting.report.pdf import write_pdf
from forecasting.report.plans import with_plans
from forecasting.report.safe import neutralise_formulas
from forecasting.report.services import service_figures, with_services
from forecasting.report.view import build_view
from forecasting.report.xlsx import write_staffing_xlsx
from forecasting.staffing.problems import problem_texts
from forecasting.week import WeeklyInputs, WeeklyResult

FIT_SECONDS = "fit_seconds"  # a WeeklyResult.models column: wall time, so not in the manifest


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
    ingest_manifest: IngestManifest,
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
            {"path": f.path, "sha256": f.sha256, "kind": f.kind, "status": f.status}
            for f in ingest_manifest.files
        ],
        # per series the model and how it was chosen; the fits' wall times are in timings.json
        "models": _records(result.models.drop(columns=[FIT_SECONDS], errors="ignore")),
        "notes": result.notes,
        # one clinic's problems and their fix (the run went on for the others)
        "problems": [dataclasses.asdict(p) for p in result.problems],
        "demand": result.demand.manifest(),
        "pathways": result.pathways.to_dict(orient="records"),
        "versions": library_versions(),
    }


def plans_manifest(plans: WeekPlans) -> dict:
    """The scenarios as defined and compared, and the shift plan's totals per clinic."""
    return {
        "scenarios": {
            run.name: run.scenario.model_dump(mode="json", by_alias=True) for run in plans.scenarios
        },
        "comparison": _records(plans.comparison),
        "shift_plan": _records(plans.shifts.summary) if plans.shifts is not None else [],
        "regions": {c: r for c, r in sorted(plans.regions.items()) if r},
    }


def _write_plan_csvs(staging: Path, plans: WeekPlans) -> None:
    """shifts.csv, and regions.csv (staffing.csv's columns with ``area`` for the clinic)."""
    if plans.shifts is not None:
        atomic.write_csv(staging / "shifts.csv", neutralise_formulas(plans.shifts.shifts))
    if len(plans.region_staffing):
        columns = ["area", *(c for c in C.STAFFING_COLUMNS if c != C.CLINIC)]
        regions = _rounded(plans.region_staffing[columns])
        atomic.write_csv(staging / "regions.csv", neutralise_formulas(regions))


def run_timings(result: WeeklyResult) -> dict:
    """Wall-clock seconds of each series' fit (and their total): timings.json, kept apart
    from run_manifest.json so that identical runs write identical manifests."""
    columns = [C.CLINIC, C.PROCEDURE, FIT_SECONDS]
    fits = result.models.reindex(columns=columns)
    return {
        "total_fit_seconds": round(float(fits[FIT_SECONDS].sum()), 3),
        "series": _records(fits),
    }


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts (missing values as None)."""
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")


def report_settings(config: Config, result: WeeklyResult) -> ReportSettings:
    """The run settings the report shows."""
    return ReportSettings(
        service_level=config.staffing.target_quantile,
        horizon_weeks=config.horizon_weeks,
        hours_per_session=config.staffing.hours_per_session,
        productive_share=config.staffing.productive_share,
        fte_hours=config.staffing.fte_hours,
        seed=config.seed,
        block_hours=config.staffing.block_hours,
        # MLD's pathways, then each modelled service's line (a driver without data says so)
        pathways="; ".join([result.demand.pathways, *result.demand.services.values()]),
        calibration=result.demand.calibration_text or None,
    )


def _rounded(frame: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    out = frame.copy()
    if C.WEEK in out:
        out[C.WEEK] = pd.to_datetime(out[C.WEEK]).dt.strftime("%Y-%m-%d")
    numeric = out.select_dtypes("number").columns
    out[numeric] = out[numeric].round(digits)
    return out


def publish_week(
    layout: DataLayout,
    inputs: WeeklyInputs,
    result: WeeklyResult,
    config: Config,
    ingest_manifest: IngestManifest,
    config_path: Path | None = None,
    plans: WeekPlans | None = None,
) -> Path:
    """Publish reports/<YYYY>-W<ww>/ whole (or not at all) and archive the forecast.

    With ``plans`` (forecasting/planning/week_plans.py) the report gets its "What if" and
    region sections and each clinic its next-week shifts; the folder gets shifts.csv (and
    regions.csv when the clinics export names regions) and staffing.xlsx a sheet per scenario
    and a Shifts sheet.

    Returns the path of the report's index.html.
    """

    label = iso_week_label(inputs.as_of)
    final = layout.report_dir(inputs.as_of)
    data = ReportData(
        as_of=inputs.as_of,
        iso_week=label,
        procedures_history=inputs.procedures,
        sessions_history=inputs.total_sessions(config),  # the services' total, as `sessions`
        forecast=result.forecast,
        committed=result.committed,
        staffing=result.staffing,
        models=result.models,
        ingest=ingest_manifest.records(),
        # Past forecasts that can cover the last accuracy_weeks (horizons are at most 52 weeks).
        archive=load_archive(
            layout.forecasts,
            before=inputs.as_of,
            since=inputs.as_of - pd.Timedelta(weeks=config.report.accuracy_weeks + 52),
        ),
        notes=result.notes,
        options=config.report,
        horizon_totals=result.horizon_totals,
        problems=problem_texts(result.problems),
        settings=report_settings(config, result),
        other_names=ingest_manifest.other_names,
        skipped=ingest_manifest.skipped,
    )
    # Every chart drawn once (by worker processes for a large network, which start while the
    # view is built); the page and the PDF embed the same PNG bytes.
    # "Services and skills" (several services only): a sessions chart per service and clinic
    services = service_figures(inputs, result, config)
    per_clinic = 3 + (len(services.skills) if services is not None else 0)
    with chart_pool(config.report.chart_workers, per_clinic * len(inputs.clinics)) as pool:
        view = draw_charts(with_services(build_view(data), services, inputs.as_of), pool)
    view = with_plans(
        view, plans, config.horizon_weeks, inputs.sessions, inputs.as_of,
        config.report.history_weeks,
    )  # fmt: skip
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
        if plans is not None:
            manifest["plans"] = plans_manifest(plans)
            _write_plan_csvs(staging, plans)
        atomic.write_json(staging / "run_manifest.json", manifest)
        atomic.write_json(staging / "timings.json", run_timings(result))
        write_report(staging, view)
        write_pdf(staging / "report.pdf", view)
        write_staffing_xlsx(staging / "staffing.xlsx", view, result.staffing, inputs.as_of, plans)
    archived = archived_forecast(result.forecast, result.demand.calibration)
    atomic.write_parquet(layout.forecast_archive(inputs.as_of), archived)
    return final / "index.html"
