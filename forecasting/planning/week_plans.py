"""The week's plans beside the base plan: what-if scenarios, region roll-ups, next week's shifts."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from forecasting import columns as C
from forecasting.config import Config
from forecasting.demand.calibration import Calibration
from forecasting.errors import ConfigError
from forecasting.models.runner import SeriesForecast
from forecasting.planning.regions import (
    display_names,
    regions_of,
    rollup_service_tables,
    rollup_tables,
)
from forecasting.planning.scenarios import (
    ScenarioRun,
    check_scenario,
    run_scenario,
    unknown_scenarios,
)
from forecasting.planning.shifts import ShiftPlan, clinic_weeks, plan_shifts
from forecasting.series import SeriesKey
from forecasting.staffing import HOURS_NEEDED, is_short
from forecasting.staffing.hours import rostered_hours_by_clinic
from forecasting.staffing.skill_staffing import default_roster, default_staffing
from forecasting.staffing.skills import HOURS_NEEDED as SKILL_HOURS
from forecasting.staffing.skills import SKILL
from forecasting.week import WeeklyInputs, WeeklyResult

NETWORK_ROW = "(network)"
COMPARISON_COLUMNS = [
    "scenario", C.CLINIC, "hours_needed_base", "hours_needed", "hours_change",
    "fte_needed_base", "fte_needed", "gap_hours_base", "gap_hours", "weeks_short_base",
    "weeks_short",
]  # fmt: skip


@dataclass(frozen=True)
class WeekPlans:
    """Everything planned from the week's results (each part empty when not asked for)."""

    scenarios: tuple[ScenarioRun, ...] = ()
    comparison: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=COMPARISON_COLUMNS)
    )
    shifts: ShiftPlan | None = None
    regions: dict[str, str | None] = field(default_factory=dict)
    region_forecast: pd.DataFrame = field(default_factory=pd.DataFrame)
    region_staffing: pd.DataFrame = field(default_factory=pd.DataFrame)
    names: dict[str, str] = field(default_factory=dict)  # clinic -> display name (clinics export)


def _staffing_totals(staffing: pd.DataFrame, fte_hours: float) -> pd.DataFrame:
    """Per clinic over the horizon: hours needed, mean FTE needed, gap hours, weeks short."""
    gap = staffing[HOURS_NEEDED] - staffing["hours_rostered"]
    frame = staffing.assign(
        _gap=gap.clip(lower=0), _short=[is_short(g) for g in gap], _fte=staffing["fte_needed"]
    )
    per = frame.groupby(C.CLINIC, sort=True).agg(
        hours_needed=(HOURS_NEEDED, "sum"),
        fte_needed=("_fte", "mean"),
        gap_hours=("_gap", "sum"),
        weeks_short=("_short", "sum"),
    )
    network = pd.DataFrame(
        {
            "hours_needed": [per["hours_needed"].sum()],
            # the network's mean weekly FTE: the weekly hours of every clinic over FTE hours
            "fte_needed": [frame.groupby(C.WEEK)[HOURS_NEEDED].sum().mean() / fte_hours],
            "gap_hours": [per["gap_hours"].sum()],
            "weeks_short": [per["weeks_short"].sum()],
        },
        index=[NETWORK_ROW],
    )
    return pd.concat([network, per])


def compare(base: WeeklyResult, run: ScenarioRun, config: Config) -> pd.DataFrame:
    """One row per clinic (and the network first): the scenario's staffing beside the base's.

    Clinics whose numbers the scenario does not change are left out; a clinic the scenario
    opens has no base (0).
    """
    fte = config.staffing.fte_hours
    b = _staffing_totals(base.staffing, fte)
    s = _staffing_totals(run.result.staffing, fte)
    both = s.join(b, rsuffix="_base", how="left").fillna(0.0)
    both["hours_change"] = both["hours_needed"] - both["hours_needed_base"]
    now = both[["hours_needed", "gap_hours", "weeks_short"]].to_numpy()
    before = both[["hours_needed_base", "gap_hours_base", "weeks_short_base"]].to_numpy()
    changed = now != before
    keep = changed.any(axis=1) | (both.index == NETWORK_ROW)
    out = both[keep].rename_axis(C.CLINIC).reset_index()
    out.insert(0, "scenario", run.name)
    for col in ("weeks_short", "weeks_short_base"):
        out[col] = out[col].astype(int)
    return out[COMPARISON_COLUMNS]


def skill_needs(result: WeeklyResult) -> pd.DataFrame:
    """The hours needed per clinic, week and skill (``skill``, ``therapist_hours_needed``) from
    the week's skill cover (every service's hours by the skill it needs); without one, the
    staffing rows (the default service's hours, MLD)."""
    cover = result.skills.table if result.skills is not None else pd.DataFrame()
    if not len(cover):
        return result.staffing
    needs = cover[[C.CLINIC, C.WEEK, SKILL, SKILL_HOURS]]
    return needs.rename(columns={SKILL_HOURS: HOURS_NEEDED})


def check_plans(
    inputs: WeeklyInputs,
    config: Config,
    scenarios: Sequence[str] | None = None,
    clinics: pd.DataFrame | None = None,
) -> None:
    """Fail before any fit, in one sentence naming the key (ConfigError): a scenario that is not
    configured, a change that cannot apply to this run (its clinic, its region in the
    ``clinics`` export, its procedure type, therapist or date), or opening hours
    (``[shifts] clinic_opening``) of a clinic the run does not have."""
    names = list(config.scenarios) if scenarios is None else list(scenarios)
    unknown_scenarios(names, config)
    regions = regions_of(clinics, inputs.clinics)
    for name in names:
        check_scenario(name, config.scenarios[name], inputs, config, regions)
    for clinic in config.shifts.clinic_opening:
        if clinic not in inputs.clinics:
            raise ConfigError(
                f"[shifts] clinic_opening names '{clinic}', which is not a clinic of this run; "
                "correct the id or remove its line."
            )


def plan_week(
    inputs: WeeklyInputs,
    forecasts: Mapping[SeriesKey, SeriesForecast],
    result: WeeklyResult,
    config: Config,
    *,
    scenarios: Sequence[str] | None = None,
    clinics: pd.DataFrame | None = None,
    availability: pd.DataFrame | None = None,
    calibration: Calibration | None = None,
    on_step: Callable[[str], None] | None = None,
) -> WeekPlans:
    """Scenarios (every configured one, or those named), regions and next week's shifts.

    Args:
        inputs, forecasts, result, config, calibration: the week's run and its base plan.
        scenarios: names from ``[scenarios]`` to run; None: all of them.
        clinics: the ``clinics`` export (clinic_id, region, ...), or None (no regions).
        availability: the ``availability`` export (processed), or None: the shift plan keeps
            each therapist within their available hours.
        on_step: called with each step's name when it is done (progress).
    """
    step = on_step or (lambda _: None)
    names = list(config.scenarios) if scenarios is None else list(scenarios)
    regions = regions_of(clinics, inputs.clinics)
    runs = []
    for name in names:
        runs.append(
            run_scenario(name, config.scenarios[name], inputs, forecasts, config, regions,
                         calibration, base=result)
        )  # fmt: skip
        step(f"scenario {name}")
    comparison = (
        pd.concat([compare(result, run, config) for run in runs], ignore_index=True)
        if runs
        else pd.DataFrame(columns=COMPARISON_COLUMNS)
    )
    first_week = inputs.forecast_weeks(1)[0]
    shifts = plan_shifts(
        clinic_weeks(inputs.roster, skill_needs(result), first_week.date(), availability),
        config.shifts,
        seed=config.seed,
    )
    step("shifts")
    region_forecast = region_staffing = pd.DataFrame()
    session_paths = result.session_paths
    if session_paths and any(regions.values()):
        weeks = inputs.forecast_weeks(config.horizon_weeks)
        # the hours and settings the clinics' own staffing used (week/assembly.staff)
        if result.service_paths and len(config.service_settings) > 1:
            # each service's hours from its own summed paths and minutes, as week.assembly.staff
            region_forecast, region_staffing = rollup_service_tables(
                result.service_paths, regions, weeks, inputs.roster, config
            )
        else:
            roster = default_roster(inputs.roster, config)
            rostered = rostered_hours_by_clinic(roster, list(session_paths), weeks)
            region_forecast, region_staffing = rollup_tables(
                session_paths, regions, weeks, rostered, default_staffing(config)
            )
        step("regions")
    return WeekPlans(
        scenarios=tuple(runs),
        comparison=comparison,
        shifts=shifts,
        regions=regions,
        region_forecast=region_forecast,
        region_staffing=region_staffing,
        names=display_names(clinics),
    )
