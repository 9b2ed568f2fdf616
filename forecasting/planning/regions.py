"""Regional and network roll-ups: sum the clinics' sample paths, then take quantiles.

A region's p80 is the p80 of its clinics' summed paths (path i of every clinic added), never
the sum of their p80s: a sum of quantiles overstates what a region needs whenever clinics do
not all run high in the same weeks. Clinics without a region roll up to the network only.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from forecasting import columns as C
from forecasting.config import StaffingConfig
from forecasting.staffing import staffing_table

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
    forecast, staffing = [], []
    for area, area_paths in summed.items():
        members = [c for c in paths if area == NETWORK or regions.get(c) == area]
        hours = np.sum([np.asarray(rostered[c], dtype=float) for c in members], axis=0)
        mean = area_paths.mean(axis=0)
        p10, p50, p90 = np.quantile(area_paths, [0.1, 0.5, 0.9], axis=0)
        forecast.append(
            pd.DataFrame(
                {AREA: area, C.WEEK: weeks, C.MEAN: mean, C.P10: p10, C.P50: p50, C.P90: p90}
            )
        )
        table = staffing_table(area, weeks, area_paths, hours, config)
        staffing.append(table.rename(columns={C.CLINIC: AREA}))
    return pd.concat(forecast, ignore_index=True), pd.concat(staffing, ignore_index=True)
