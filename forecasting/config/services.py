"""[services.<name>]: each massage service: the drivers that feed it, its session length, its skill.

MLD (lymphatic drainage after surgery) is the default service, named ``mld``: built from
``[staffing]`` (session and turnover minutes) and every procedure type, with the skill ``mld``.
A ``[services.mld]`` table changes its settings; other tables add services. A setting left out
takes ``[staffing]``'s value (minutes) or the service's name (skill).
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import Field, field_validator

from forecasting.columns import PROCEDURE_TYPES, REFERRAL_TYPES
from forecasting.config.base import Strict
from forecasting.config.pathways import (
    Pathway,
    default_driver_pathways,
    default_procedure_driver_pathway,
)
from forecasting.config.staffing import StaffingConfig

__all__ = [
    "DEFAULT_SERVICE",
    "NAME_PATTERN",
    "Service",
    "pathway_problem",
    "resolve_services",
    "service_pathways",
]

DEFAULT_SERVICE = "mld"
NAME_PATTERN = r"^[a-z][a-z0-9_]*$"  # service and skill names: lower case, digits, underscores
_DRIVERS = (*PROCEDURE_TYPES, *REFERRAL_TYPES)


class Service(Strict):
    """One service.

    Attributes:
        drivers: procedure types (``liposuction``, ...) and referral types
            (``fracture_immobilisation``, ``injury``, ``post_surgical_scar``; named now, read
            once referrals exports exist) whose patients take this service. None: every
            procedure type for ``mld``, none for another service.
        session_minutes, turnover_minutes: None: ``[staffing]``'s.
        skill: the roster skill a therapist needs to give it. None: the service's name.
        names: more names of it in session exports (the ``service`` column), checked before
            the built-in ones (forecasting/ingest/services.py; ``mld`` also has
            ``ingest.mld_services``): a name longer than 4 characters is a substring of the
            export's, a shorter one or a code a whole word.
        pathways: the pathway prior per driver (uptake, sessions by week since the driver's
            date: surgery, end of immobilisation, injury or referral). A driver left out takes
            ``default_driver_pathways()`` (a referral type) or
            ``default_procedure_driver_pathway()`` (a procedure type of a service other than
            MLD); MLD's procedure types take ``[pathways.<type>]``, never this table.
    """

    drivers: list[str] | None = None
    session_minutes: float | None = Field(default=None, gt=0, le=240)
    turnover_minutes: float | None = Field(default=None, ge=0, le=120)
    skill: str | None = Field(default=None, pattern=NAME_PATTERN)
    names: list[str] = Field(default_factory=list)
    pathways: dict[str, Pathway] | None = None

    @field_validator("pathways")
    @classmethod
    def _known_pathway_drivers(cls, v: dict[str, Pathway] | None) -> dict[str, Pathway] | None:
        unknown = sorted(set(v or {}) - set(_DRIVERS))
        if unknown:
            raise ValueError(f"pathway for unknown driver(s) {unknown}; use {list(_DRIVERS)}")
        return v

    @field_validator("drivers")
    @classmethod
    def _known_drivers(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        unknown = sorted(set(v) - set(_DRIVERS))
        if unknown:
            raise ValueError(f"unknown driver(s) {unknown}; use {list(_DRIVERS)}")
        return list(dict.fromkeys(v))

    @property
    def hours_per_session(self) -> float:
        """Therapist hours one session holds (session + turnover); needs a resolved service."""
        if self.session_minutes is None or self.turnover_minutes is None:
            raise ValueError("resolve the service first (resolve_services)")
        return (self.session_minutes + self.turnover_minutes) / 60.0


def resolve_services(services: dict[str, Service], staffing: StaffingConfig) -> dict[str, Service]:
    """Every service with each setting filled in: ``mld`` first, then the others by name.

    Args:
        services: the ``[services]`` tables as configured (``mld`` need not be among them).
        staffing: ``[staffing]``, whose minutes a service without its own takes.
    """
    names = [DEFAULT_SERVICE, *sorted(n for n in services if n != DEFAULT_SERVICE)]
    out: dict[str, Service] = {}
    for name in names:
        given = services.get(name, Service())
        default_drivers = list(PROCEDURE_TYPES) if name == DEFAULT_SERVICE else []
        drivers = given.drivers if given.drivers is not None else default_drivers
        out[name] = Service(
            drivers=drivers,
            session_minutes=given.session_minutes
            if given.session_minutes is not None
            else staffing.session_minutes,
            turnover_minutes=given.turnover_minutes
            if given.turnover_minutes is not None
            else staffing.turnover_minutes,
            skill=given.skill or name,
            names=list(given.names),
            pathways=_pathways(name, drivers, given.pathways or {}),
        )
    return out


def _pathways(
    name: str, drivers: list[str], configured: Mapping[str, Pathway]
) -> dict[str, Pathway]:
    """The pathway prior of each driver of a service (MLD's procedure types aside)."""
    defaults = default_driver_pathways()
    out = {}
    for driver in drivers:
        if name == DEFAULT_SERVICE and driver in PROCEDURE_TYPES:
            continue  # [pathways.<type>]
        fallback = defaults.get(driver) or default_procedure_driver_pathway()
        out[driver] = configured.get(driver, fallback)
    return out


def pathway_problem(name: str, service: Service) -> str | None:
    """Why a service's ``pathways`` table cannot be used (a driver it does not list, or an
    MLD procedure type, which ``[pathways.<type>]`` holds), or None."""
    drivers = (
        service.drivers
        if service.drivers is not None
        else (list(PROCEDURE_TYPES) if name == DEFAULT_SERVICE else [])
    )
    for driver in service.pathways or {}:
        if name == DEFAULT_SERVICE and driver in PROCEDURE_TYPES:
            return f"MLD's pathway of {driver} is [pathways.{driver}], not this table"
        if driver not in drivers:
            return f"{driver} is not among the service's drivers {drivers}; add it there"
    return None


def service_pathways(
    name: str, service: Service, procedure_pathways: Mapping[str, Pathway]
) -> dict[str, Pathway]:
    """The pathway prior of every driver of a resolved service, in its drivers' order: MLD's
    procedure types from ``[pathways]`` (``procedure_pathways``), the others from the
    service's own (resolved) ``pathways``."""
    own = service.pathways or {}
    return {
        d: procedure_pathways[d] if name == DEFAULT_SERVICE and d in PROCEDURE_TYPES else own[d]
        for d in service.drivers or []
    }
