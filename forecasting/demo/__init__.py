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

By default the demo also writes the services referrals drive (``demo.services``): a referrals
export per clinic (fractures with their cast-removal dates, injuries), deep-tissue and
post-injury session rows, their truth per service and driver, and a roster of mixed skills with
some fixed working days (``demo.staff``). ``services=("mld",)`` writes the MLD-only demo of
before, byte for byte; adding a kind of export (an availability export, say) is one more
``emit(name, frame)`` in ``generate_demo``.
"""

from forecasting.demo.generate import DEMO_SERVICES, DemoResult, generate_demo
from forecasting.demo.world import MAX_CLINICS, MAX_YEARS

__all__ = ["DEMO_SERVICES", "MAX_CLINICS", "MAX_YEARS", "DemoResult", "generate_demo"]
