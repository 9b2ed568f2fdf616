"""What a week's computation gives: ``WeeklyResult`` and the forecast.csv frame."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from forecasting import columns as C
from forecasting.demand.bookings import PickupCurve, WeeklyBooks
from forecasting.demand.calibration import Calibration
from forecasting.demand.history import ClinicHistory
from forecasting.demand.pathways import LearnedPathways
from forecasting.demand.services import ServiceModel
from forecasting.demand.summary import DemandSummary
from forecasting.models import (
    summarise_paths,
)
from forecasting.staffing.problems import ClinicProblem
from forecasting.staffing.skills import SkillCover

# WeeklyResult.models: per series the model used, why a fallback was used, the fit's wall time,
# how auto/ensemble chose, and whether the fit started from last week's parameters
MODEL_COLUMNS = [
    C.CLINIC, C.PROCEDURE, "model", "fallback_reason", "fit_seconds", "selection", "warm_started",
]  # fmt: skip


@dataclass(frozen=True, eq=False)
class DemandContext:
    """What demand needs from the history alone (no forecast): the same for every scenario
    that leaves the history and bookings as they are, so a scenario reuses the base's."""

    past: dict[str, ClinicHistory]
    learned: LearnedPathways
    pickup: PickupCurve
    known: WeeklyBooks
    scheduled: WeeklyBooks
    # per modelled service (forecasting/demand/services.py): its histories and pathways;
    # empty with MLD alone
    services: dict[str, ServiceModel] = field(default_factory=dict)
    # referrals on the books per (clinic, "referral:<type>") and forecast week; None: none
    scheduled_referrals: WeeklyBooks | None = None


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
    # per clinic and service, that service's session paths (several services only; their sum
    # is session_paths): the same driver paths fed every service, so they are correlated
    service_paths: dict[str, dict[str, np.ndarray]] = field(
        default_factory=dict, compare=False, repr=False
    )
    # per clinic, week and service: committed and base (non-surgical) expected sessions
    # (clinic_id, week, service, committed, non_surgical); several services only, else empty
    service_committed: pd.DataFrame = field(default_factory=pd.DataFrame)
    # per modelled service and driver, learned next to configured pathway (service, then
    # LearnedPathways.table's columns, `procedure` naming the driver); empty with MLD alone
    service_pathways: pd.DataFrame = field(default_factory=pd.DataFrame)
    # what demand learned from the history alone: a scenario that leaves the history as it
    # is reuses it instead of learning it again
    context: DemandContext | None = field(default=None, compare=False, repr=False)


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


def _with_calibration(summary: DemandSummary, calibration: Calibration | None) -> DemandSummary:
    if calibration is None:
        return summary
    return replace(
        summary, calibration=calibration.manifest(), calibration_text=calibration.sentence()
    )
