"""View pieces of several services: the "Services and skills" table and its gap sentences."""

from __future__ import annotations

from dataclasses import dataclass, field

from forecasting.report.clinic_charts import Chart
from forecasting.report.tables import Table


@dataclass(frozen=True)
class ServicesView:
    """The network's or one clinic's services: a row per service with its skill's cover,
    then one sentence per skill short in some week (its largest gap and what closes it)."""

    table: Table
    gaps: list[str]
    note: str
    charts: list[Chart] = field(default_factory=list)  # a sessions fan per service
    summary: list[str] = field(default_factory=list)  # the network's: per skill, where short
