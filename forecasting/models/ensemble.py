"""Ensembles: several models' sample paths combined into one set of paths.

Two combinations, both returning paths (never added quantiles):

- ``weighted``: a mixture. Each member contributes a share of the paths proportional to its
  weight (the backtest uses 1 / MASE), so the ensemble mean is the weighted mean of the members'
  means and its spread includes their disagreement.
- ``median``: the per-week median of the members' mean forecasts, with each member's own
  deviations from its mean (equal shares) around it: a robust centre with the members' spread.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from forecasting.errors import ConfigError
from forecasting.models.base import (
    MODEL_ERRORS,
    Model,
    check_sample_args,
    finish_paths,
    require_fitted,
)

Combine = Literal["weighted", "median"]


def _shares(weights: np.ndarray, n_paths: int) -> np.ndarray:
    """Paths per member: ``n_paths`` split by weight with the largest-remainder rule."""
    exact = weights / weights.sum() * n_paths
    counts = np.floor(exact).astype(int)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: n_paths - counts.sum()]] += 1
    return counts


def combine_paths(
    members: Sequence[np.ndarray],
    weights: Sequence[float] | None,
    method: Combine,
    rng: np.random.Generator,
) -> np.ndarray:
    """Combine the members' paths into ``n_paths`` paths.

    Args:
        members: Arrays ``(n_paths, horizon)``, one per member, all the same shape.
        weights: Positive weights per member (``weighted``); None for equal weights.
        method: "weighted" (mixture) or "median" (median centre, pooled deviations).
        rng: Shuffles the pooled rows, so paths stay exchangeable.

    Returns:
        Array ``(n_paths, horizon)``, clipped at zero.
    """
    if not members:
        raise ValueError("an ensemble needs at least one member")
    stack = np.stack([np.asarray(m, dtype=float) for m in members])
    k, n_paths, horizon = stack.shape
    w = np.ones(k) if weights is None else np.asarray(weights, dtype=float)
    if len(w) != k or not np.isfinite(w).all() or (w <= 0).any():
        raise ValueError(f"ensemble weights must be {k} positive numbers (got {list(w)})")
    if method == "median":
        w = np.ones(k)
    counts = _shares(w, n_paths)
    rows = [stack[i, :c] for i, c in enumerate(counts)]
    if method == "median":
        means = stack.mean(axis=1)
        centre = np.median(means, axis=0)
        rows = [r - means[i] + centre for i, r in enumerate(rows)]
    elif method != "weighted":
        raise ConfigError(f"Unknown ensemble combination {method!r}; use 'weighted' or 'median'.")
    pooled = np.concatenate(rows)[rng.permutation(n_paths)]
    return np.clip(pooled, 0.0, None)


class Ensemble:
    """Fits several models and combines their paths (see :func:`combine_paths`).

    Composed like scikit-learn's ``VotingRegressor``: the members are model instances, named
    (``Ensemble([("prophet", ProphetModel()), ("ets", ETS())])``); the registry's
    :func:`~forecasting.models.registry.make_model` builds them from names and settings. Each
    fit works on fresh copies of the members, so the instances passed in are never fitted and
    a refit (another series) shares no state with an earlier one.

    A member whose fit fails is dropped and named in ``dropped_``; if every member fails the
    ensemble's fit raises, so the runner falls back visibly.

    Args:
        members: ``(name, model)`` pairs; the names label the ensemble and its dropped members.
        combine: "weighted" or "median".
        weights: Positive weight per member, or None for equal weights.
    """

    def __init__(
        self,
        members: Sequence[tuple[str, Model]],
        combine: Combine = "weighted",
        weights: Sequence[float] | None = None,
    ) -> None:
        self.members = tuple((name, model) for name, model in members)
        self.combine = combine
        self.weights = None if weights is None else tuple(weights)

    @property
    def names(self) -> tuple[str, ...]:
        """The members' names, in order."""
        return tuple(name for name, _ in self.members)

    def fit(self, history: pd.DataFrame) -> Ensemble:
        """Fit a fresh copy of every member on ``history``; drop (and record) members that fail.

        Raises:
            ConfigError: No members, a member that is itself an ensemble, or weights that do
                not match the members.
            RuntimeError: Every member failed.
        """
        if not self.members or any(isinstance(m, Ensemble) for _, m in self.members):
            raise ConfigError("An ensemble needs one or more registered models, not 'ensemble'.")
        if self.weights is not None and len(self.weights) != len(self.members):
            raise ConfigError("Ensemble weights must match its members one to one.")
        weights = self.weights or (1.0,) * len(self.members)
        self.fitted_: list[tuple[str, Model, float]] = []
        self.dropped_: dict[str, str] = {}
        for (name, member), weight in zip(self.members, weights, strict=True):
            model = copy.deepcopy(member)
            try:
                self.fitted_.append((name, model.fit(history), weight))
            except MODEL_ERRORS as err:
                self.dropped_[name] = f"{type(err).__name__}: {err}"[:120]
        if not self.fitted_:
            raise RuntimeError(f"every ensemble member failed: {self.dropped_}")
        return self

    def sample(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        """Combined paths ``(n_paths, horizon)``; each member samples with its own child rng."""
        check_sample_args(horizon, n_paths)
        require_fitted(self, "fitted_")
        children = rng.spawn(len(self.fitted_) + 1)
        paths = [
            m.sample(horizon, n_paths, r)
            for (_, m, _), r in zip(self.fitted_, children[:-1], strict=True)
        ]
        weights = [w for _, _, w in self.fitted_]
        combined = combine_paths(paths, weights, self.combine, children[-1])
        return finish_paths(combined, n_paths, horizon)

    @property
    def label(self) -> str:
        """Name of the ensemble as recorded in manifests, e.g. ``ensemble(ets+prophet)``."""
        names = [n for n, _, _ in getattr(self, "fitted_", [])] or list(self.names)
        return f"ensemble({'+'.join(names)})"
