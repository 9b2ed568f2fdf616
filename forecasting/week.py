"""One week's computation: processed data at a cut-off -> forecasts -> demand -> staffing.

``run_week(inputs, config)`` is the whole computation for a notebook, the staffing backtest
and the benchmarks; the Prefect flow runs the same steps as tasks (:func:`load_inputs`, one
:func:`forecast_clinic` per clinic, :func:`assemble`). Publishing is the report package's job
(:func:`forecasting.report.publish_week`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import pandas as pd

from forecasting import columns as C
from forecasting.calendar import week_start, weeks_from
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
from forecasting.demand.calibration import (
    Calibration,
    archive_scores,
    combine,
    origin_clinics,
    origin_scores,
    origin_weeks,
    rescale_paths,
)
from forecasting.demand.cutoff import check_cutoff
from forecasting.demand.history import clinic_histories
from forecasting.demand.pathways import learn_pathways
from forecasting.demand.sessions import clinic_demand
from forecasting.demand.summary import DemandSummary
from forecasting.ingest import load_bookings, load_processed
from forecasting.layout import DataLayout
from forecasting.models import (
    NetworkPrior,
    Selection,
    SeriesForecast,
    choose_model,
    forecast_series,
    load_selection,
    run_prior,
    summarise_paths,
)
from forecasting.progress import Progress, stage
from forecasting.series import SeriesKey, procedure_histories, series_rng, series_uid
from forecasting.staffing.hours import rostered_hours_by_clinic, staffing_table
from forecasting.staffing.problems import ClinicProblem, unrostered
from forecasting.staffing.skill_staffing import default_roster, default_staffing, staff_by_skill
from forecasting.staffing.skills import SkillCover

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

    Bookings (``forecasting.ingest.load_bookings``; optional) are kept when they were made
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


def load_inputs(layout: DataLayout, as_of: date) -> WeeklyInputs:
    """The processed data of ``layout`` cut at ``as_of`` (see :func:`cut_inputs`).

    Raises:
        InputError: the processed folder lacks a frame; run the ingest first; or ``as_of`` is
            before the first week of data (:func:`forecasting.demand.cutoff.check_cutoff`).
    """
    procedures, sessions, roster = load_processed(layout.processed)
    check_cutoff(procedures, sessions, as_of)
    return cut_inputs(procedures, sessions, roster, as_of, bookings=load_bookings(layout.processed))


def forecast_one(
    key: SeriesKey,
    history: pd.DataFrame,
    config: Config,
    selection: Selection | None = None,
    warm_start: dict | None = None,
    prior: NetworkPrior | None = None,
) -> SeriesForecast:
    """Sample paths for one procedure series with the configured model (or its fallback).

    With ``[model] name = "auto"`` or ``"ensemble"`` the model is chosen per series from the
    latest backtest (``selection``; when None, read from ``[model] backtest_dir``, once per
    process). Without a backtest ``[model] default_ranking`` is used, and ``fallback_reason``
    says so; ``SeriesForecast.selection`` records how each choice was made. ``warm_start`` is
    the series' state from an earlier run (:mod:`forecasting.models.warm_start`), or None;
    ``prior`` the run's network prior for ``pooled`` (:func:`forecasting.models.run_prior`).
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
        prior=prior,
    )


def forecast_clinic(
    histories: Mapping[SeriesKey, pd.DataFrame],
    config: Config,
    warm_starts: Mapping[SeriesKey, dict] | None = None,
    prior: NetworkPrior | None = None,
) -> dict[SeriesKey, SeriesForecast]:
    """Forecast a group of series (the flow's unit of work is one clinic's), in key order;
    ``prior``: the run's network prior (from every clinic's histories), or None."""
    warm = warm_starts or {}
    return {
        k: forecast_one(k, histories[k], config, warm_start=warm.get(k), prior=prior)
        for k in sorted(histories)
    }


def by_clinic(keys: Iterable[SeriesKey]) -> dict[str, list[SeriesKey]]:
    """Series keys grouped per clinic, each group sorted, clinics in first-seen order."""
    out: dict[str, list[SeriesKey]] = {}
    for key in sorted(keys):
        out.setdefault(key[0], []).append(key)
    return out


Forecaster = Callable[[SeriesKey, pd.DataFrame, Config], SeriesForecast]


def run_week(
    inputs: WeeklyInputs,
    config: Config,
    warm_starts: Mapping[SeriesKey, dict] | None = None,
    forecaster: Forecaster | None = None,
    progress: Progress | None = None,
    archived: pd.DataFrame | None = None,
) -> WeeklyResult:
    """Histories, forecasts, session demand and staffing for every clinic of ``inputs``.

    Args:
        inputs: Processed data cut at the run's cut-off (:func:`load_inputs`).
        config: The run's configuration (:func:`forecasting.config.load_config`).
        warm_starts: Per series, Prophet's state from an earlier cut-off
            (:func:`forecasting.models.warm_start.load_warm_starts`); None fits cold.
        forecaster: Replaces the configured model per series (a benchmark feeding known
            rates, say): ``forecaster(key, history, config) -> SeriesForecast``; its
            session intervals are then left as modelled (not calibrated).
        archived: Earlier runs' archived session forecasts for the calibration
            (:func:`session_calibration`); None: in-run rolling origins only.
        progress: Hears of each clinic's series forecast (stage "forecasts"; default
            ``forecasting.progress``'s receiver for the process).

    Returns:
        WeeklyResult: the forecast.csv and staffing.csv frames and how they were made.

    A clinic with data but no therapist on the roster is forecast all the same (its staffing
    rows show roster 0) and named in ``WeeklyResult.problems`` with its fix.
    """
    histories = inputs.histories()
    forecasts: dict[SeriesKey, SeriesForecast] = {}
    prior = run_prior(config.model, histories) if forecaster is None else None
    with stage("forecasts", len(histories), "series", progress) as running:
        for keys in by_clinic(histories).values():
            mine = {k: histories[k] for k in keys}
            if forecaster is not None:
                forecasts.update({k: forecaster(k, mine[k], config) for k in keys})
            else:
                forecasts.update(forecast_clinic(mine, config, warm_starts, prior))
            running.advance(len(keys))
    calibration = session_calibration(inputs, archived, config) if forecaster is None else None
    return assemble(inputs, forecasts, config, calibration)


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
    demand: DemandSummary = field(default_factory=DemandSummary)
    # per clinic: sessions over the whole horizon (clinic_id, mean, p10, p50, p90), from the
    # summed sample paths (quantiles of a total, never a sum of weekly quantiles)
    horizon_totals: pd.DataFrame = field(default_factory=pd.DataFrame)
    # one clinic's problems (forecasting/staffing/problems.py): the run goes on for the others
    problems: tuple[ClinicProblem, ...] = ()
    # per clinic x week x skill: hours needed, rostered, covered, gap, idle (staffing/skills.py)
    skills: SkillCover | None = None
    # per clinic: the session sample paths (n_paths, horizon) staffing read; regional roll-ups
    # and plans sum them (forecasting/planning/)
    session_paths: dict[str, np.ndarray] = field(default_factory=dict, compare=False, repr=False)


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


def session_calibration(
    inputs: WeeklyInputs, archived: pd.DataFrame | None, config: Config
) -> Calibration:
    """This run's session-interval calibration (forecasting/demand/calibration.py).

    Errors of earlier runs' archived forecasts (a) and of this run's own computation repeated
    at ``[calibration] origins`` past cut-offs on the data known then (b: the configured
    model, pathways and bookings as of each origin, ``origin_clinics`` clinics at most per
    origin), stacked with equal weight per error.

    Args:
        archived: ``forecasting.report.load_archive(layout.forecasts, before=as_of).forecasts``,
            or None when there is no archive (a notebook, a fresh clone).
    """
    horizon, cal = config.horizon_weeks, config.calibration
    archive = np.full((0, horizon), np.nan)
    if archived is not None:
        archive = archive_scores(archived, inputs.sessions, inputs.cutoff_week, horizon)
    weeks = pd.to_datetime(inputs.procedures[C.WEEK])
    first = weeks.min() if len(weeks) else inputs.cutoff_week
    origins = origin_weeks(inputs.cutoff_week, first, config.model.min_history_weeks, cal)
    cheaper = config.model_copy(update={"n_paths": min(config.n_paths, cal.origin_paths)})
    at_origins = {o: _forecast_at(inputs, o, i, cheaper) for i, o in enumerate(origins)}
    rolling = origin_scores(at_origins, inputs.sessions, inputs.cutoff_week, horizon)
    return combine(archive, rolling, cal, [o.date().isoformat() for o in origins])


def _forecast_at(
    inputs: WeeklyInputs, origin: pd.Timestamp, index: int, config: Config
) -> pd.DataFrame:
    """forecast.csv of the run's computation at a past cut-off, for a sample of clinics."""
    cut = cut_inputs(
        inputs.procedures, inputs.sessions, inputs.roster, origin.date(), bookings=inputs.bookings
    )
    clinics = set(origin_clinics(cut.clinics, index, config.seed, config.calibration))
    everyone = cut.histories()
    prior = run_prior(config.model, everyone)  # the network as of the origin
    mine = {k: h for k, h in everyone.items() if k[0] in clinics}
    forecasts = {k: forecast_one(k, h, config, prior=prior) for k, h in sorted(mine.items())}
    only = {
        name: frame.loc[frame[C.CLINIC].astype(str).isin(clinics)]
        for name, frame in (
            ("procedures", cut.procedures), ("sessions", cut.sessions), ("roster", cut.roster),
            ("bookings", cut.bookings), ("scheduled", cut.scheduled),
        )
    }  # fmt: skip
    return assemble(replace(cut, **only), forecasts, config).forecast


def _with_calibration(summary: DemandSummary, calibration: Calibration | None) -> DemandSummary:
    if calibration is None:
        return summary
    return replace(
        summary, calibration=calibration.manifest(), calibration_text=calibration.sentence()
    )


def assemble(
    inputs: WeeklyInputs,
    forecasts: Mapping[SeriesKey, SeriesForecast],
    config: Config,
    calibration: Calibration | None = None,
) -> WeeklyResult:
    """Session demand and staffing per clinic from the procedure forecasts.

    With a ``calibration`` (forecasting/demand/calibration.py) the session paths' spread
    around each week's median is rescaled before the summary and staffing read them.

    Pathways are learned from the history before the cut-off (:mod:`forecasting.demand.pathways`);
    procedure paths are combined with the bookings known at the cut-off
    (:mod:`forecasting.demand.bookings`); session paths are committed + forecast-driven +
    non-surgical demand with over-dispersed count noise (:mod:`forecasting.demand.sessions`);
    staffing comes from those paths (:mod:`forecasting.staffing`).

    A clinic with data but no therapist on the roster is forecast all the same (its staffing
    rows show roster 0) and named in ``WeeklyResult.problems`` with its fix.
    """
    horizon = config.horizon_weeks
    weeks = inputs.forecast_weeks(horizon)
    clinics = inputs.clinics
    problems = tuple(unrostered(inputs.roster, clinics))
    past = clinic_histories(inputs.procedures, inputs.sessions, inputs.cutoff_week)
    learned = learn_pathways(past, config.pathways, config.demand)
    pickup = pickup_curve(
        inputs.bookings, inputs.procedures, inputs.cutoff_week, horizon, config.demand
    )
    # Grouped once for all clinics (not filtered per clinic).
    known = WeeklyBooks.of(inputs.bookings, COUNT, weeks)
    scheduled = WeeklyBooks.of(inputs.scheduled, C.SCHEDULED, weeks)
    # hours of the therapists who give MLD (every therapist when the roster has no skills)
    roster_hours = rostered_hours_by_clinic(default_roster(inputs.roster, config), clinics, weeks)
    staffing_config = default_staffing(config)
    clinic_keys = by_clinic(forecasts)
    rows: list[dict] = []  # forecast.csv columns per series
    committed_rows: list[pd.DataFrame] = []
    staffing: list[pd.DataFrame] = []
    totals: list[dict] = []
    notes: dict[str, str] = {}
    booking_method: dict[str, str] = {}
    session_paths: dict[str, np.ndarray] = {}
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
        if calibration is not None:
            demand = replace(demand, paths=rescale_paths(demand.paths, calibration))
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
        session_paths[clinic] = demand.paths
        staffing.append(
            staffing_table(clinic, weeks, demand.paths, roster_hours[clinic], staffing_config)
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
    by_skill = staff_by_skill(staffing, inputs.roster, config, weeks)
    return WeeklyResult(
        forecast=forecast.sort_values([C.CLINIC, C.SERIES, C.WEEK]).reset_index(drop=True),
        committed=pd.concat(committed_rows, ignore_index=True)
        if committed_rows
        else pd.DataFrame(),
        staffing=by_skill.staffing,
        models=models,
        notes=notes,
        pathways=learned.table(config.pathways),
        horizon_totals=pd.DataFrame(totals, columns=[C.CLINIC, C.MEAN, C.P10, C.P50, C.P90]),
        demand=_with_calibration(
            DemandSummary.of(learned, config.pathways, booking_method), calibration
        ),
        problems=problems + by_skill.problems,
        skills=by_skill.cover,
        session_paths=session_paths,
    )
