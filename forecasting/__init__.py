"""lymphcast's library: clinic exports in, session forecasts and staffing out (no Prefect).

The whole week from a notebook::

    from forecasting import (
        DataLayout, ingest_exports, load_config, load_inputs, publish_week, run_week,
    )

    config = load_config(Path("lymphcast.toml"))
    layout = DataLayout(raw=Path("data/raw"), processed=Path("data/processed"))
    ingested = ingest_exports(layout, config)
    inputs = load_inputs(layout, as_of=date(2026, 11, 30))
    result = run_week(inputs, config)          # forecasts, demand, staffing
    publish_week(layout, inputs, result, config, ingested.manifest)

Stage packages, upstream first: ``ingest`` -> ``models`` -> ``demand`` -> ``staffing`` ->
``week`` -> ``backtest`` and ``report``; shared modules (``columns``, ``config``, ``errors``,
``io``, ``calendar``, ``series``, ``layout``) sit below them all. docs/ARCHITECTURE.md says
what each may import. Names are loaded on first use, so ``import forecasting`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "load_config": "forecasting.config",
    "Config": "forecasting.config",
    "DataLayout": "forecasting.layout",
    "ingest_exports": "forecasting.ingest",
    "load_inputs": "forecasting.week",
    "run_week": "forecasting.week",
    "WeeklyInputs": "forecasting.week",
    "WeeklyResult": "forecasting.week",
    "publish_week": "forecasting.report",
    "run_backtest": "forecasting.backtest",
    "generate_demo": "forecasting.demo",
}
__all__ = [
    "Config",
    "DataLayout",
    "WeeklyInputs",
    "WeeklyResult",
    "generate_demo",
    "ingest_exports",
    "load_config",
    "load_inputs",
    "publish_week",
    "run_backtest",
    "run_week",
]

if TYPE_CHECKING:
    from forecasting.backtest import run_backtest
    from forecasting.config import Config, load_config
    from forecasting.demo import generate_demo
    from forecasting.ingest import ingest_exports
    from forecasting.layout import DataLayout
    from forecasting.report import publish_week
    from forecasting.week import WeeklyInputs, WeeklyResult, load_inputs, run_week


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'forecasting' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
