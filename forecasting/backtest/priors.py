"""Network priors of a backtest: one per window cutoff, from every series' training weeks only.

The weekly run's network models (``pooled``, ``mixed``) borrow a seasonal index and a ramp-up
curve from every series of the network (:func:`forecasting.models.configured_prior`). In a
backtest each window gets the prior of the weeks up to its cutoff, over every series of the
backtest, as a weekly run on that day would have had it; no week after the cutoff reaches it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from forecasting.columns import DS, Y
from forecasting.config import NETWORK_MODELS, ModelConfig
from forecasting.models import NetworkPrior, configured_prior
from forecasting.series import split_uid


def _key(uid: str) -> Any:
    """``(clinic_id, procedure)`` for a procedure series (the ramp-up groups series by clinic);
    any other series id is its own group."""
    try:
        return split_uid(uid)
    except ValueError:
        return uid


def window_priors(
    groups: Mapping[str, pd.DataFrame],
    cutoffs: set[pd.Timestamp],
    models: tuple[str, ...],
    config: ModelConfig,
) -> tuple[tuple[pd.Timestamp, NetworkPrior], ...]:
    """The prior at each window cutoff (the last training week), or () when no model in
    ``models`` borrows one. ``groups``: series id -> ``ds``, ``y`` frame; not modified."""
    if not any(m in NETWORK_MODELS for m in models):
        return ()
    out = []
    for cutoff in sorted(cutoffs):
        histories = {
            _key(uid): frame.loc[frame[DS] <= cutoff, [DS, Y]].reset_index(drop=True)
            for uid, frame in groups.items()
        }
        kept = {k: h for k, h in histories.items() if len(h)}
        out.append((pd.Timestamp(cutoff), configured_prior(config, kept)))
    return tuple(out)


def prior_at(
    priors: tuple[tuple[pd.Timestamp, NetworkPrior], ...], cutoff: pd.Timestamp
) -> NetworkPrior | None:
    """The prior of the window whose last training week is ``cutoff`` (None without one)."""
    return dict(priors).get(pd.Timestamp(cutoff))
