"""How the week's session demand was built: pathways, count noise and bookings, typed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from forecasting.config import Pathway
from forecasting.demand.pathways import LearnedPathways
from forecasting.demand.services import ServiceModel


@dataclass(frozen=True)
class DemandSummary:
    """The demand settings a weekly run used (``run_manifest.json``'s ``demand``).

    Attributes:
        pathways: One line: sessions per procedure, learned or configured
            (:meth:`LearnedPathways.summary`).
        session_dispersion: Variance / mean of weekly sessions around their expectation.
        session_excess_variance: Out-of-sample variance beyond that, per squared mean.
        clinic_pathway_scale: Per clinic multiplier of the pooled pathway.
        bookings: Per clinic how booked procedures entered its forecast
            (:func:`forecasting.demand.bookings.adjust_for_bookings`): "pickup", "scheduled",
            "floor" or "none".
        calibration: How session intervals were calibrated
            (:meth:`forecasting.demand.calibration.Calibration.manifest`); empty when not asked.
        calibration_text: The same in one sentence for the report; empty when not asked.
        services: Per modelled service (forecasting/demand/services.py), one line: sessions
            per driver event, learned or configured, and a driver without data; empty with
            MLD fed by procedures alone.
    """

    pathways: str = "configured"
    session_dispersion: float = 1.0
    session_excess_variance: float = 0.0
    clinic_pathway_scale: Mapping[str, float] = field(default_factory=dict)
    bookings: Mapping[str, str] = field(default_factory=dict)
    calibration: Mapping[str, Any] = field(default_factory=dict)
    calibration_text: str = ""
    services: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        learned: LearnedPathways,
        pathways: Mapping[str, Pathway],
        bookings: Mapping[str, str],
        services: Mapping[str, ServiceModel] | None = None,
    ) -> DemandSummary:
        """The summary of ``learned`` pathways (configured ones: ``pathways``), the
        bookings method per clinic and each modelled service's pathways."""
        return cls(
            services={n: m.summary() for n, m in (services or {}).items()},
            pathways=learned.summary(pathways),
            session_dispersion=learned.dispersion,
            session_excess_variance=learned.excess_variance,
            clinic_pathway_scale=dict(learned.clinic_scale),
            bookings=dict(bookings),
        )

    def manifest(self) -> dict[str, Any]:
        """The manifest's ``demand`` object (figures rounded as the manifest shows them)."""
        return {
            "pathways": self.pathways,
            "session_dispersion": round(self.session_dispersion, 3),
            "session_excess_variance": round(self.session_excess_variance, 5),
            "clinic_pathway_scale": {c: round(v, 3) for c, v in self.clinic_pathway_scale.items()},
            "bookings": dict(self.bookings),
            **({"calibration": dict(self.calibration)} if self.calibration else {}),
            **({"services": dict(self.services)} if self.services else {}),
        }
