"""What-if scenarios: the week's demand and staffing again, on the run's own sample paths.

A scenario (``[scenarios.<name>]``, forecasting/config/scenarios.py) changes the run's inputs,
procedure forecasts or settings and assembles the week again (:func:`forecasting.week.assemble`)
with the same seeds: no model is refitted, and every random draw that the change does not touch
is the base run's, so the comparison with the base plan is paired (a scenario that changes
nothing reproduces the base exactly).

- ``scale``: a procedure type's paths (or all types'), or a driver's (a referral type's series
  ``referral:<type>``, which feeds every service it drives), times ``factor`` from the week
  holding ``from``, at a clinic, a region (the ``clinics`` export) or the network;
- ``open``: a new clinic forecast like ``like`` from ``from`` (zero before; it has no history,
  so no committed or non-surgical sessions and no roster: its gap is the hiring need);
- ``leaves`` / ``joins``: a roster row ends the day before ``from`` / starts on ``from``;
- ``session_minutes``, ``service_level``: the staffing settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np
import pandas as pd

from forecasting import columns as C
from forecasting.config import Config
from forecasting.config.scenarios import NETWORK_SCOPE, Scenario
from forecasting.demand.calibration import Calibration
from forecasting.errors import ConfigError
from forecasting.models.runner import SeriesForecast
from forecasting.series import SeriesKey
from forecasting.week import WeeklyInputs, WeeklyResult, assemble, driver_types
from forecasting.week.assembly import demand_context, staff, week_problems


@dataclass(frozen=True)
class ScenarioRun:
    """A scenario's name, its definition and the week it gives."""

    name: str
    scenario: Scenario
    result: WeeklyResult


def unknown_scenarios(names: list[str], config: Config) -> None:
    """Raise ConfigError when a scenario asked for is not in ``[scenarios]``."""
    for name in names:
        if name not in config.scenarios:
            known = ", ".join(sorted(config.scenarios)) or "none"
            raise ConfigError(
                f"Scenario '{name}' is not in the configuration's [scenarios] (configured: "
                f"{known}); add [scenarios.{name}] to lymphcast.toml or name a configured one."
            )


def check_scenario(
    name: str,
    scenario: Scenario,
    inputs: WeeklyInputs,
    config: Config,
    regions: Mapping[str, str | None] | None = None,
) -> None:
    """Raise ConfigError, in one sentence naming the key and the fix, for a change that cannot
    apply: an unknown clinic, region, procedure type, driver or therapist, a date outside the
    horizon."""
    key = f"[scenarios.{name}]"
    clinics = set(inputs.clinics)
    areas = {r for r in (regions or {}).values() if r}
    weeks = inputs.forecast_weeks(config.horizon_weeks)
    first, last = weeks[0].date(), (weeks[-1] + pd.Timedelta(days=6)).date()

    def within(what: str, start: date | int) -> None:
        if isinstance(start, int):
            if start > len(weeks):
                raise ConfigError(
                    f"{key} {what} starts in forecast week {start}, after this run's "
                    f"{len(weeks)}-week horizon; give a week from 1 to {len(weeks)}."
                )
            return
        day = start
        if not first <= day <= last:
            raise ConfigError(
                f"{key} {what} starts on {day}, outside this run's horizon ({first} to {last}); "
                "give a date inside it."
            )

    for i, change in enumerate(scenario.scale):
        where = f"scale[{i}]"
        named = change.procedure
        if named != "all" and named not in (*C.PROCEDURE_TYPES, *C.REFERRAL_TYPES):
            raise ConfigError(
                f"{key} {where}.procedure '{named}' is not a procedure type or driver; use "
                f'one of {", ".join(C.PROCEDURE_TYPES)}, "all", or a driver '
                f"({', '.join(C.REFERRAL_TYPES)})."
            )
        if named in C.REFERRAL_TYPES and named not in driver_types(config):
            raise ConfigError(
                f"{key} {where}.procedure '{named}' is a driver no configured service uses, "
                "so scaling it changes nothing; add it to a [services.<name>] drivers list "
                "or remove the change."
            )
        if change.at != NETWORK_SCOPE and change.at not in clinics | areas:
            raise ConfigError(
                f"{key} {where}.at '{change.at}' is neither a clinic nor a region of this run; "
                'name one, or "network".'
            )
        within(where, change.start)
    roster = inputs.roster
    for i, opened in enumerate(scenario.open):
        if opened.clinic in clinics:
            raise ConfigError(
                f"{key} open[{i}].clinic '{opened.clinic}' already exists; give the new clinic "
                "a new id."
            )
        if opened.like not in clinics:
            raise ConfigError(
                f"{key} open[{i}].like '{opened.like}' is not a clinic of this run; name one."
            )
        within(f"open[{i}]", opened.start)
    for i, leaving in enumerate(scenario.leaves):
        mine = roster[
            (roster[C.CLINIC] == leaving.clinic) & (roster[C.THERAPIST] == leaving.therapist)
        ]
        if not len(mine):
            raise ConfigError(
                f"{key} leaves[{i}]: the roster has no therapist '{leaving.therapist}' at "
                f"'{leaving.clinic}'; name one from the roster export."
            )
        within(f"leaves[{i}]", leaving.start)
    opened_ids = {o.clinic for o in scenario.open}
    for i, joining in enumerate(scenario.joins):
        if joining.clinic not in clinics | opened_ids:
            raise ConfigError(
                f"{key} joins[{i}].clinic '{joining.clinic}' is not a clinic of this run; "
                "name one (or one the scenario opens)."
            )
        within(f"joins[{i}]", joining.start)


def apply_scenario(
    scenario: Scenario,
    inputs: WeeklyInputs,
    forecasts: Mapping[SeriesKey, SeriesForecast],
    config: Config,
    regions: Mapping[str, str | None] | None = None,
) -> tuple[WeeklyInputs, dict[SeriesKey, SeriesForecast], Config]:
    """The scenario's inputs, forecasts and config; the arguments are left unchanged."""
    weeks = inputs.forecast_weeks(config.horizon_weeks)
    out = dict(forecasts)
    regions = regions or {}
    for change in scenario.scale:
        from_week = _weeks_from(weeks, change.start)
        driver = change.procedure in C.REFERRAL_TYPES
        for key in forecasts:
            clinic, procedure = key
            if driver:
                # a driver scales its series (referral:<type>), whatever services it feeds
                if procedure != C.referral_key(change.procedure):
                    continue
            elif procedure.startswith(C.REFERRAL_PREFIX):
                continue  # a referral type's series is no procedure, nor part of "all"
            elif change.procedure not in ("all", procedure):
                continue
            if change.at not in (NETWORK_SCOPE, clinic, regions.get(clinic)):
                continue
            paths = out[key].paths.astype(float, copy=True)
            paths[:, from_week] *= change.factor
            out[key] = replace(out[key], paths=paths)
    procedures, sessions = inputs.procedures, inputs.sessions
    for opened in scenario.open:
        from_week = _weeks_from(weeks, opened.start)
        for (clinic, procedure), forecast in forecasts.items():
            if clinic != opened.like:
                continue
            paths = np.zeros_like(forecast.paths, dtype=float)
            paths[:, from_week] = forecast.paths[:, from_week]
            out[opened.clinic, procedure] = replace(
                forecast, paths=paths, model=f"like {opened.like}", warm_state=None
            )
        # one week of no procedures and no sessions makes it a clinic of the week
        last = inputs.cutoff_week - pd.Timedelta(days=7)
        procedures = pd.concat(
            [procedures, pd.DataFrame([{C.CLINIC: opened.clinic, C.PROCEDURE: p, C.WEEK: last,
                                        C.COMPLETED: 0.0} for p in C.PROCEDURE_TYPES])],
            ignore_index=True,
        )  # fmt: skip
        sessions = pd.concat(
            [sessions, pd.DataFrame([{C.CLINIC: opened.clinic, C.WEEK: last, C.SESSIONS: 0.0}])],
            ignore_index=True,
        )
    roster = _roster(inputs.roster, scenario, weeks)
    staffing = config.staffing
    if scenario.session_minutes is not None:
        staffing = staffing.model_copy(update={"session_minutes": scenario.session_minutes})
    if scenario.service_level is not None:
        staffing = staffing.model_copy(
            update={"service_level": scenario.service_level, "cost_short": None, "cost_idle": None}
        )
    new_inputs = replace(inputs, procedures=procedures, sessions=sessions, roster=roster)
    return new_inputs, out, config.model_copy(update={"staffing": staffing})


def start_date(weeks: pd.DatetimeIndex, start: date | int) -> date:
    """The day a change starts: ``start`` itself, or the Monday of forecast week ``start``."""
    return weeks[start - 1].date() if isinstance(start, int) else start


def _weeks_from(weeks: pd.DatetimeIndex, start: date | int) -> np.ndarray:
    """Mask of the forecast weeks on or after the week holding ``start``."""
    day = start_date(weeks, start)
    monday = pd.Timestamp(day - timedelta(days=day.weekday()))
    return np.asarray(weeks >= monday)


def _roster(roster: pd.DataFrame, scenario: Scenario, weeks: pd.DatetimeIndex) -> pd.DataFrame:
    out = roster.copy()
    for leaving in scenario.leaves:
        rows = (out[C.CLINIC] == leaving.clinic) & (out[C.THERAPIST] == leaving.therapist)
        last = pd.Timestamp(start_date(weeks, leaving.start) - timedelta(days=1))
        ends = pd.to_datetime(out.loc[rows, C.END_DATE])
        out.loc[rows, C.END_DATE] = ends.where(ends.notna() & (ends < last), last)
    joins = [
        {
            C.CLINIC: j.clinic,
            C.THERAPIST: f"{j.therapist} (scenario {k + 1})",
            C.WEEKLY_HOURS: j.hours,
            C.START_DATE: pd.Timestamp(start_date(weeks, j.start)),
            C.END_DATE: pd.NaT,
        }
        for k, j in enumerate(scenario.joins)
    ]
    if joins:
        out = pd.concat([out, pd.DataFrame(joins)], ignore_index=True)
    return out


def run_scenario(
    name: str,
    scenario: Scenario,
    inputs: WeeklyInputs,
    forecasts: Mapping[SeriesKey, SeriesForecast],
    config: Config,
    regions: Mapping[str, str | None] | None = None,
    calibration: Calibration | None = None,
    base: WeeklyResult | None = None,
) -> ScenarioRun:
    """Check the scenario against the run, apply it and assemble the week again.

    With the ``base`` result, a scenario that changes only the roster or the staffing settings
    keeps the base's session paths and sizes staffing again (the same numbers as assembling
    the week again, at a fraction of the cost).
    """
    check_scenario(name, scenario, inputs, config, regions)
    s_inputs, s_forecasts, s_config = apply_scenario(scenario, inputs, forecasts, config, regions)
    if base is not None and base.session_paths and not (scenario.scale or scenario.open):
        return ScenarioRun(name, scenario, restaff(base, s_inputs, s_config))
    # the history is the base's unless a clinic opens: what demand learned from it is too
    context = base.context if base is not None and not scenario.open else None
    result = assemble(s_inputs, s_forecasts, s_config, calibration, context=context)
    return ScenarioRun(name, scenario, result)


def restaff(base: WeeklyResult, inputs: WeeklyInputs, config: Config) -> WeeklyResult:
    """The base week's session paths staffed again with ``inputs``' roster and ``config``."""
    weeks = inputs.forecast_weeks(config.horizon_weeks)
    by_skill = staff(inputs, config, weeks, base.session_paths, base.service_paths)
    context = base.context or demand_context(inputs, config)
    problems = week_problems(inputs, config, weeks, context) + by_skill.problems
    return replace(base, staffing=by_skill.staffing, skills=by_skill.cover, problems=problems)
