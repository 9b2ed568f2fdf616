"""Session demand and staffing per clinic from the week's procedure forecasts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np
import pandas as pd

from forecasting import columns as C
from forecasting.config import Config
from forecasting.demand.bookings import (
    COUNT,
    WeeklyBooks,
    adjust_for_bookings,
    pickup_curve,
    scheduled_share,
)
from forecasting.demand.calibration import (
    Calibration,
    rescale_paths,
)
from forecasting.demand.history import clinic_histories
from forecasting.demand.pathways import learn_pathways
from forecasting.demand.sessions import ClinicDemand, clinic_demand
from forecasting.demand.summary import DemandSummary
from forecasting.models import (
    SeriesForecast,
)
from forecasting.series import SeriesKey, series_rng
from forecasting.staffing.hours import rostered_hours_by_clinic, staffing_table
from forecasting.staffing.problems import ClinicProblem, clinic_problems
from forecasting.staffing.skill_staffing import (
    SkillStaffing,
    default_roster,
    default_staffing,
    staff_by_skill,
    staff_services,
)
from forecasting.week.forecasts import by_clinic, is_referral
from forecasting.week.inputs import WeeklyInputs
from forecasting.week.results import (
    MODEL_COLUMNS,
    DemandContext,
    WeeklyResult,
    _forecast_frame,
    _horizon_total,
    _summary_rows,
    _with_calibration,
)
from forecasting.week.services import (
    ClinicServices,
    clinic_services,
    referral_share,
    service_context,
    several,
)


def demand_context(inputs: WeeklyInputs, config: Config) -> DemandContext:
    """Clinic histories, learned pathways, booking pickup and the booked counts of the week."""
    horizon = config.horizon_weeks
    weeks = inputs.forecast_weeks(horizon)
    past = clinic_histories(inputs.procedures, inputs.sessions, inputs.cutoff_week)
    return DemandContext(
        **service_context(inputs, config, weeks),
        past=past,
        learned=learn_pathways(past, config.pathways, config.demand),
        pickup=pickup_curve(
            inputs.bookings, inputs.procedures, inputs.cutoff_week, horizon, config.demand
        ),
        # Grouped once for all clinics (not filtered per clinic).
        known=WeeklyBooks.of(inputs.bookings, COUNT, weeks),
        scheduled=WeeklyBooks.of(inputs.scheduled, C.SCHEDULED, weeks),
    )


def week_problems(
    inputs: WeeklyInputs, config: Config, weeks: pd.DatetimeIndex, context: DemandContext
) -> tuple[ClinicProblem, ...]:
    """Each clinic's problems with its fix (forecasting/staffing/problems.py)."""
    books = (context.known, context.scheduled)
    booked = {c for b in books for (c, _), n in b.counts.items() if n.any()}
    return tuple(
        clinic_problems(inputs.procedures, inputs.sessions, inputs.roster, booked,
                        inputs.rejected, weeks, config)
    )  # fmt: skip


def staff(
    inputs: WeeklyInputs,
    config: Config,
    weeks: pd.DatetimeIndex,
    session_paths: Mapping[str, np.ndarray],
    service_paths: Mapping[str, Mapping[str, np.ndarray]] | None = None,
) -> SkillStaffing:
    """Staffing rows of each clinic from its session paths, against the hours of the therapists
    who give MLD (every therapist when the roster has no skills), and the skill cover; with
    ``service_paths`` (several services: per clinic, per service) each service's hours from
    its own paths (:func:`forecasting.staffing.skill_staffing.staff_services`)."""
    if service_paths and len(config.service_settings) > 1:
        return staff_services(service_paths, inputs.roster, config, weeks)
    clinics = list(session_paths)
    hours = rostered_hours_by_clinic(default_roster(inputs.roster, config), clinics, weeks)
    settings = default_staffing(config)
    tables = [staffing_table(c, weeks, session_paths[c], hours[c], settings) for c in clinics]
    return staff_by_skill(tables, inputs.roster, config, weeks)


def assemble(
    inputs: WeeklyInputs,
    forecasts: Mapping[SeriesKey, SeriesForecast],
    config: Config,
    calibration: Calibration | None = None,
    context: DemandContext | None = None,
) -> WeeklyResult:
    """Session demand and staffing per clinic from the procedure forecasts.

    ``context``: :func:`demand_context` of these inputs and config, when already at hand (a
    scenario reuses its base week's, ``WeeklyResult.context``); None computes it.

    With a ``calibration`` (forecasting/demand/calibration.py) the session paths' spread
    around each week's median is rescaled before the summary and staffing read them.

    Pathways are learned from the history before the cut-off (:mod:`forecasting.demand.pathways`);
    procedure paths are combined with the bookings known at the cut-off
    (:mod:`forecasting.demand.bookings`); session paths are committed + forecast-driven +
    non-surgical demand with over-dispersed count noise (:mod:`forecasting.demand.sessions`);
    staffing comes from those paths (:mod:`forecasting.staffing`).

    Each clinic's problems, with their fix, are in ``WeeklyResult.problems``
    (:func:`forecasting.staffing.problems.clinic_problems`): a clinic without roster rows is
    forecast with roster 0; one without history before the cut-off (only bookings, every row
    rejected, on the roster only) gets no rows; the others' figures do not change.
    """
    horizon = config.horizon_weeks
    weeks = inputs.forecast_weeks(horizon)
    clinics = inputs.clinics
    context = context or demand_context(inputs, config)
    past, learned, pickup = context.past, context.learned, context.pickup
    known, scheduled = context.known, context.scheduled
    procedure_keys = {k for k in forecasts if not is_referral(k)}
    share = scheduled_share(
        scheduled, {k: f.paths.mean(axis=0) for k, f in forecasts.items() if k in procedure_keys}
    )
    per_service = several(config, context)
    r_share = referral_share(context, forecasts) if per_service else None
    problems = week_problems(inputs, config, weeks, context)
    clinic_keys = by_clinic(forecasts)
    rows: list[dict] = []  # forecast.csv columns per series
    committed_rows: list[pd.DataFrame] = []
    service_rows: list[pd.DataFrame] = []  # the same per service (several services only)
    totals: list[dict] = []
    notes: dict[str, str] = {}
    booking_method: dict[str, str] = {}
    session_paths: dict[str, np.ndarray] = {}
    service_paths: dict[str, dict[str, np.ndarray]] = {}
    for clinic in clinics:
        keys = [k for k in clinic_keys.get(clinic, []) if k in procedure_keys]
        paths, booking_method[clinic] = adjust_for_bookings(
            {k[1]: forecasts[k].paths for k in keys},
            clinic,
            weeks,
            known=known,
            pickup=pickup,
            scheduled=scheduled,
            rng=series_rng(config.seed, (clinic, "bookings")),
            share=share,
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
        if per_service:
            mine = {k: forecasts[k] for k in clinic_keys.get(clinic, []) if is_referral(k)}
            got = clinic_services(clinic, paths, mine, demand, context, config, r_share,
                                  calibration)  # fmt: skip
            demand = _summed(got)
            service_paths[clinic] = {n: d.paths for n, d in got.demands.items()}
            service_rows += [
                pd.DataFrame({C.CLINIC: clinic, C.WEEK: weeks, C.SERVICE: name,
                              "committed": d.committed, "non_surgical": d.non_surgical})
                for name, d in got.demands.items()
            ]  # fmt: skip
            for kind, values in got.referrals.items():
                rows.append(_summary_rows(clinic, weeks, C.referral_series(kind), values))
            if len(got.demands) > 1:
                for name, part in got.demands.items():
                    rows.append(_summary_rows(clinic, weeks, C.service_series(name), part.paths))
        elif calibration is not None:
            demand = replace(demand, paths=rescale_paths(demand.paths, calibration, clinic))
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
    by_skill = staff(inputs, config, weeks, session_paths, service_paths)
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
            DemandSummary.of(learned, config.pathways, booking_method, context.services),
            calibration,
        ),
        problems=problems + by_skill.problems,
        skills=by_skill.cover,
        session_paths=session_paths,
        service_paths=service_paths,
        service_committed=pd.concat(service_rows, ignore_index=True)
        if service_rows
        else pd.DataFrame(),
        service_pathways=_service_pathways(context),
        context=context,
    )


def _summed(got: ClinicServices) -> ClinicDemand:
    """One clinic's demand over every service: paths summed path by path, committed and base
    levels summed (MLD's note kept)."""
    parts = list(got.demands.values())
    if len(parts) == 1:
        return parts[0]
    return ClinicDemand(
        committed=np.sum([d.committed for d in parts], axis=0),
        paths=got.paths,
        non_surgical=np.sum([d.non_surgical for d in parts], axis=0),
        note=parts[0].note,
    )


def _service_pathways(context: DemandContext) -> pd.DataFrame:
    """Learned next to configured pathway per modelled service and driver."""
    parts = [
        m.learned.table(m.pathways).assign(**{C.SERVICE: name})
        for name, m in context.services.items()
        if m.drivers
    ]
    if not parts:
        return pd.DataFrame()
    frame = pd.concat(parts, ignore_index=True)
    return frame[[C.SERVICE, *(c for c in frame.columns if c != C.SERVICE)]]
