"""View pieces of the week's plans: a scenario in "What if" and a clinic's next-week shifts."""

from __future__ import annotations

from dataclasses import dataclass, field

from forecasting.report.clinic_charts import Chart
from forecasting.report.tables import Table


@dataclass(frozen=True)
class ScenarioView:
    """One scenario in the "What if" section: what it changes, the verdict, the table."""

    name: str
    changes: str
    sentence: str
    table: Table


@dataclass(frozen=True)
class ClinicShifts:
    """A clinic's "Next week's shifts": who works when, and what is left uncovered."""

    table: Table | None
    sentences: list[str] = field(default_factory=list)
    summary: str = ""


@dataclass(frozen=True)
class RegionView:
    """A region's (or the network's) page: its clinics and its weeks."""

    name: str
    page: str  # relative to index.html (clinic_ids.region_page_path)
    clinics: list[tuple[str, str]]  # (clinic id, its page relative to index.html)
    table: Table
    charts: list[Chart] = field(default_factory=list)  # sessions fan, hours
