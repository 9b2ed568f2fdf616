"""Seeded generator of realistic synthetic raw clinic exports (``lymphcast demo``).

The demo writes what clinics really hand over (see DESIGN.md, "Raw exports"): one patient-level
procedure export per clinic in a different shape per clinic (delimiters, date formats, header
names, a UTF-8 BOM, an XLSX workbook, patient identifiers), one MLD appointment export per clinic
(with no-shows, cancellations and non-MLD services mixed in) and a therapist roster.

Procedures follow a smooth daily rate per clinic and type: base volume x trend x seasonality
(December peak, slow January, body contouring rising in spring, August dip; DOMAIN.md) x weekday
pattern x holiday closures, realised with Poisson noise. Sessions come from the realised
procedures through the care pathways (uptake, sessions by week since surgery) plus a non-surgical
lymphedema base. The noise-free expectation is returned as ``DemoResult.truth`` (never written),
so a benchmark can score forecasts against what the generator really meant.
"""

from forecasting.demo.generate import DEMO_SERVICES, DemoResult, generate_demo
from forecasting.demo.world import MAX_CLINICS, MAX_YEARS

__all__ = ["DEMO_SERVICES", "MAX_CLINICS", "MAX_YEARS", "DemoResult", "generate_demo"]
