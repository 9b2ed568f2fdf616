"""Fitted parameters kept between weekly runs, so next week's fits start warm.

After a weekly run, each Prophet fit's parameters (:meth:`ProphetModel.warm_state`) are written
to ``<processed>/models/warm_start.json`` with the run's first forecast week and a digest of the
settings they depend on. The next run starts each series' optimiser there (Prophet docs,
"Updating fitted models"): the same optimum in fewer iterations.

States are used only by a later cut-off with the same settings, so a replay of a past week
(``--as-of``) never starts from a fit that saw its future: replays fit cold. An unreadable or
foreign file is ignored (every fit is then cold) and replaced after the run.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from forecasting import io as atomic
from forecasting.config import Config
from forecasting.models import SeriesForecast
from forecasting.series import series_uid, split_uid

logger = logging.getLogger(__name__)

WARM_START_FILE = Path("models") / "warm_start.json"
_FORMAT = 1


def warm_start_path(processed_dir: Path) -> Path:
    return Path(processed_dir) / WARM_START_FILE


def settings_digest(config: Config) -> str:
    """Digest of what a fitted state depends on besides the data."""
    relevant = {
        "prophet": config.model.prophet.model_dump(mode="json", exclude={"warm_start"}),
        "holiday_country": config.holiday_country,
    }
    text = json.dumps(relevant, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_warm_starts(
    processed_dir: Path, cutoff_week: pd.Timestamp, config: Config
) -> dict[tuple[str, str], dict[str, Any]]:
    """States from an earlier run with the same settings and an earlier cut-off, per series.

    Returns an empty mapping when warm starts are off, the file is missing, unreadable, from
    other settings, or from this cut-off or a later one.
    """
    path = warm_start_path(processed_dir)
    if not config.model.prophet.warm_start or not path.is_file():
        return {}
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        usable = (
            stored.get("format") == _FORMAT
            and stored.get("settings") == settings_digest(config)
            and pd.Timestamp(stored["first_forecast_week"]) < pd.Timestamp(cutoff_week)
        )
        series = stored["series"] if usable else {}
        return {split_uid(uid): state for uid, state in series.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        logger.warning("Ignoring %s (%s): this week's fits start cold.", path, err)
        return {}


def save_warm_starts(
    processed_dir: Path,
    cutoff_week: pd.Timestamp,
    config: Config,
    forecasts: Mapping[tuple[str, str], SeriesForecast],
) -> Path | None:
    """Write this run's fitted states (atomically); None when warm starts are off.

    A state is kept only for the newest cut-off: a replay of an earlier week leaves the file
    of a later cut-off in place.
    """
    if not config.model.prophet.warm_start:
        return None
    path = warm_start_path(processed_dir)
    if path.is_file():
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            if pd.Timestamp(stored["first_forecast_week"]) > pd.Timestamp(cutoff_week):
                return path
        except (OSError, ValueError, KeyError, TypeError):
            pass  # unreadable: replaced below
    series = {
        series_uid(key): forecast.warm_state
        for key, forecast in sorted(forecasts.items())
        if forecast.warm_state is not None
    }
    record = {
        "format": _FORMAT,
        "first_forecast_week": pd.Timestamp(cutoff_week).date().isoformat(),
        "settings": settings_digest(config),
        "series": series,
    }
    return atomic.write_text(path, json.dumps(record, sort_keys=True) + "\n")
