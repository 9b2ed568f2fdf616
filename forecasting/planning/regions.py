"""Regional and network roll-ups: sum the clinics' sample paths, then take quantiles.

A region's p80 is the p80 of its clinics' summed paths (path i of every clinic added), never
the sum of their p80s: a sum of quantiles overstates what a region needs whenever clinics do
not all run high in the same weeks. Clinics without a region roll up to the network only.
With several services, each service's paths are summed apart and staffed with its own session
minutes: the area's hours needed are the sum of its services' hours, as a clinic's are.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from forecasting import columns as C
from forecasting.config import Config, StaffingConfig
from forecasting.staffing import staffing_table
from forecasting.staffing.skill_staffing import staff_services

NETWORK = "network"
AREA = "area"  # the column that names a region (or "network") in roll-up frames


def regions_of(clinics: pd.DataFrame | None, clinic_ids: list[str]) -> dict[str, str | None]:
    """clinic -> its region from the ``clinics`` export (None: no region, network only)."""
    known: dict[str, str | None] = {c: None for c in clinic_ids}
    if clinics is None or not len(clinics):
        return known
    for clinic, region in zip(clinics[C.CLINIC], clinics["region"], strict=True):
        if str(clinic) in known and isinstance(region, str) and region.strip():
            known[str(clinic)] = region.strip()
    return known


def display_names(clinics: pd.DataFrame | None) -> dict[str, str]:
    """clinic -> the display name the ``clinics`` export gives it (only non-empty names that
    differ from the id)."""
    if clinics is None or "display_name" not in clinics or not len(clinics):
        return {}
    pairs = zip(clinics[C.CLINIC], clinics["display_name"], strict=True)
    return {
        str(c): n.strip()
        for c, n in pairs
        if isinstance(n, str) and n.strip() and n.strip() != str(c)
    }


def rollup_paths(
    paths: Mapping[str, np.ndarray], regions: Mapping[str, str | None]
) -> dict[str, np.ndarray]:
    """Area -> summed session paths (n_paths, horizon): each region, then the network.

    Every clinic's paths must have the same shape (one run's paths do).
    """
    if not paths:
        return {}
    shapes = {np.shape(p) for p in paths.values()}
    if len(shapes) != 1:
        raise ValueError(f"clinic paths have different shapes: {sorted(shapes)}")
    out: dict[str, np.ndarray] = {}
    for clinic, clinic_paths in paths.items():
        region = regions.get(clinic)
        if region is not None:
            out[region] = out.get(region, 0) + np.asarray(clinic_paths, dtype=float)
    out = dict(sorted(out.items()))
    out[NETWORK] = np.sum([np.asarray(p, dtype=float) for p in paths.values()], axis=0)
    return out


def rollup_tables(
    paths: Mapping[str, np.ndarray],
    regions: Mapping[str, str | None],
    weeks: pd.DatetimeIndex,
    rostered: Mapping[str, np.ndarray],
    config: StaffingConfig,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Forecast (area, week, mean, p10, p50, p90) and staffing rows of every area.

    Staffing is sized on the area's summed paths at the service level, against the summed
    rostered hours of its clinics (columns as staffing.csv, ``area`` in place of clinic_id).
    """
    summed = rollup_paths(paths, regions)
    staffing = []
    for area, area_paths in summed.items():
        members = _members(area, list(paths), regions)
        hours = np.sum([np.asarray(rostered[c], dtype=float) for c in members], axis=0)
        table = staffing_table(area, weeks, area_paths, hours, config)
        staffing.append(table.rename(columns={C.CLINIC: AREA}))
    return _forecast(summed, weeks), pd.concat(staffing, ignore_index=True)


def rollup_service_tables(
    service_paths: Mapping[str, Mapping[str, np.ndarray]],
    regions: Mapping[str, str | None],
    weeks: pd.DatetimeIndex,
    roster: pd.DataFrame,
    config: Config,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`rollup_tables` with several services (``WeeklyResult.service_paths``: per clinic,
    per configured service).

    Each service's paths are summed over the area's clinics and sized with that service's
    session minutes; the area's hours needed are the sum over services and its roster is
    every therapist of its clinics, whose hours are split between the skills they hold as a
    clinic's are (:func:`forecasting.staffing.skill_staffing.staff_services`). Columns as
    staffing.csv with several services, ``area`` in place of clinic_id.
    """
    clinics = list(service_paths)
    totals = {c: np.sum(list(service_paths[c].values()), axis=0) for c in clinics}
    areas = list(rollup_paths(totals, regions))
    names = list(config.service_settings)
    summed = {
        area: {
            n: np.sum(
                [np.asarray(service_paths[c][n], dtype=float)
                 for c in _members(area, clinics, regions)], axis=0,
            )
            for n in names
        }
        for area in areas
    }  # fmt: skip
    rows = []
    for area in areas:
        members = _members(area, clinics, regions)
        mine = roster.loc[roster[C.CLINIC].astype(str).isin(members)]
        # a therapist id is unique within a clinic only: keep the clinic in it
        therapist = mine[C.CLINIC].astype(str) + "/" + mine[C.THERAPIST].astype(str)
        rows.append(mine.assign(**{C.CLINIC: area, C.THERAPIST: therapist}))
    area_roster = pd.concat(rows, ignore_index=True) if rows else roster.iloc[:0]
    staffed = staff_services(summed, area_roster, config, weeks).staffing
    total = {a: np.sum(list(s.values()), axis=0) for a, s in summed.items()}
    return _forecast(total, weeks), staffed.rename(columns={C.CLINIC: AREA})


def _members(area: str, clinics: list[str], regions: Mapping[str, str | None]) -> list[str]:
    return [c for c in clinics if area == NETWORK or regions.get(c) == area]


def _forecast(summed: Mapping[str, np.ndarray], weeks: pd.DatetimeIndex) -> pd.DataFrame:
    """Area, week, mean, p10, p50, p90 of each area's summed session paths."""
    frames = []
    for area, area_paths in summed.items():
        mean = area_paths.mean(axis=0)
        p10, p50, p90 = np.quantile(area_paths, [0.1, 0.5, 0.9], axis=0)
        frames.append(
            pd.DataFrame(
                {AREA: area, C.WEEK: weeks, C.MEAN: mean, C.P10: p10, C.P50: p50, C.P90: p90}
            )
        )
    return pd.concat(frames, ignore_index=True)
