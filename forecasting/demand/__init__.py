"""Session demand per clinic: bookings, clinic histories, care pathways, non-surgical level.

Procedure forecasts are combined with what is on the books (:mod:`~forecasting.demand.bookings`);
each clinic's aligned weekly history (:mod:`~forecasting.demand.history`) teaches the care
pathways (:mod:`~forecasting.demand.pathways`) and the non-surgical level
(:mod:`~forecasting.demand.non_surgical`); :mod:`~forecasting.demand.sessions` turns them into
session sample paths, and :class:`DemandSummary` records how.
"""

from forecasting.demand.bookings import (
    BOOKED_WEEK,
    BOOKINGS_COLUMNS,
    COUNT,
    PickupCurve,
    WeeklyBooks,
    adjust_for_bookings,
    booked_ahead,
    combine_with_bookings,
    empty_bookings,
    known_bookings,
    pickup_curve,
    scheduled_floor,
    scheduled_snapshot,
)
from forecasting.demand.history import ClinicHistory, clinic_histories
from forecasting.demand.non_surgical import clinic_non_surgical, non_surgical_forecast
from forecasting.demand.pathways import (
    LearnedPathways,
    configured_pathways,
    lagged,
    learn_pathways,
    padded_weights,
)
from forecasting.demand.sessions import (
    ClinicDemand,
    clinic_demand,
    committed_demand,
    forecast_driven_demand,
    implied_sessions,
    sample_counts,
    session_paths,
)
from forecasting.demand.summary import DemandSummary

__all__ = [
    "BOOKED_WEEK",
    "BOOKINGS_COLUMNS",
    "COUNT",
    "ClinicDemand",
    "ClinicHistory",
    "DemandSummary",
    "LearnedPathways",
    "PickupCurve",
    "WeeklyBooks",
    "adjust_for_bookings",
    "booked_ahead",
    "clinic_demand",
    "clinic_histories",
    "clinic_non_surgical",
    "combine_with_bookings",
    "committed_demand",
    "configured_pathways",
    "empty_bookings",
    "forecast_driven_demand",
    "implied_sessions",
    "known_bookings",
    "lagged",
    "learn_pathways",
    "non_surgical_forecast",
    "padded_weights",
    "pickup_curve",
    "sample_counts",
    "scheduled_floor",
    "scheduled_snapshot",
    "session_paths",
]
