"""Mixed procedure model: pooled for a young or shifted series, its own model once mature."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from forecasting.columns import DS, Y
from forecasting.models.base import Model, validate_history
from forecasting.models.network import NetworkPrior, flat_prior
from forecasting.models.pooled import PooledModel, series_age


class MixedModel:
    """Per series, by its age and recent level: the pooled model or an own-history model.

    A series is *young* when its clinic's first procedure (its own first non-zero week without
    a ``clinic_y`` column) is under ``young_weeks`` before its end:
    its own history is mostly a ramp-up, so it gets the pooled model (recent level x the
    network's seasonal index and ramp-up curve, :class:`PooledModel`) instead of a trend
    fitted to the ramp. A mature series whose deseasonalised level of the last
    ``level_weeks`` weeks moved by more than ``shift_change`` (relative) from the year before
    them, and by more than ``shift_z`` Poisson standard errors, is *shifted* (a surgeon
    joined or left) and gets the pooled model too, which follows the new level at once.
    Every other series gets ``mature``: by default the pooled model with a longer level
    (``mature_level_weeks``), or an own-history model such as Prophet.

    Args:
        mature: The model of mature series (built by the registry from its settings), or
            None: the pooled model with the longer level of ``mature_level_weeks`` weeks (a
            mature series' own level, less noisy, times the network's seasonal index).
        mature_name: Its registered name (shown in ``label``).
        prior: The run's network prior (seasonal index, ramp-up curve).
        level_weeks: Weeks in the pooled model's recent level and in the shift test.
        young_weeks: A series younger than this is young.
        shift_change: Relative change of the recent level that counts as a shift.
        shift_z: ... and its size in Poisson standard errors.
        closed_index: Passed to :class:`PooledModel`.
        mature_level_weeks: The level of the mature pooled model (``mature`` None).
        share_weeks: Passed to :class:`PooledModel` (a series' share of its clinic).
    """

    def __init__(
        self,
        mature: Model | None,
        mature_name: str = "pooled",
        prior: NetworkPrior | None = None,
        level_weeks: int = 8,
        young_weeks: int = 52,
        shift_change: float = 0.25,
        shift_z: float = 3.0,
        closed_index: float = 0.5,
        mature_level_weeks: int = 20,
        share_weeks: int = 0,
    ) -> None:
        if young_weeks < 0 or shift_change <= 0 or shift_z < 0:
            raise ValueError(
                "young_weeks must be >= 0, shift_change > 0 and shift_z >= 0 "
                f"(got {young_weeks}, {shift_change}, {shift_z})"
            )
        self.mature = mature
        self.mature_name = mature_name
        self.prior = prior if prior is not None else flat_prior()
        self.level_weeks = level_weeks
        self.young_weeks = young_weeks
        self.shift_change = shift_change
        self.shift_z = shift_z
        self.closed_index = closed_index
        self.mature_level_weeks = mature_level_weeks
        self.share_weeks = share_weeks

    def branch(self, history: pd.DataFrame) -> str:
        """``young``, ``shifted`` or ``mature`` for ``history`` (``ds``, ``y``)."""
        y = history[Y].to_numpy(dtype=float)
        if not (y > 0).any() or series_age(history) + 1 < self.young_weeks:
            return "young"
        n = self.level_weeks
        if len(y) < n + 52:
            return "mature"
        index = np.clip(self.prior.index_for(history[DS]), 1e-6, None)
        before = y[-n - 52 : -n].sum() / index[-n - 52 : -n].sum()
        expected = before * index[-n:].sum()  # recent weeks at the year before's level
        recent = y[-n:].sum()
        if expected <= 0:
            return "mature"
        change = recent / expected - 1.0
        z = (recent - expected) / np.sqrt(expected)
        shifted = abs(change) > self.shift_change and abs(z) > self.shift_z
        return "shifted" if shifted else "mature"

    def fit(self, history: pd.DataFrame, warm_start: dict[str, Any] | None = None) -> MixedModel:
        """Choose the branch and fit its model on ``history``; not modified.

        ``warm_start`` (an earlier fit's :meth:`warm_state`) reaches the mature model only.
        """
        validate_history(history)
        self.branch_ = self.branch(history)
        model: Model
        if self.branch_ == "mature" and self.mature is None:
            model = PooledModel(
                self.prior, self.mature_level_weeks, self.closed_index, self.share_weeks
            )
            model.fit(history)
        elif self.branch_ == "mature" and self.mature is not None:
            model = self.mature
            if warm_start is not None and hasattr(model, "warm_state"):
                model.fit(history, warm_start=warm_start)  # type: ignore[call-arg]
            else:
                model.fit(history)
        else:
            model = PooledModel(
                self.prior, self.level_weeks, self.closed_index, self.share_weeks
            ).fit(history)
        self._model = model
        return self

    @property
    def label(self) -> str:
        """``mixed(pooled)`` (young or shifted) or ``mixed(<mature model>)``, e.g.
        ``mixed(pooled-20w)``: what forecast this series."""
        if getattr(self, "branch_", "young") != "mature":
            return "mixed(pooled)"
        if self.mature is None:
            return f"mixed(pooled-{self.mature_level_weeks}w)"
        return f"mixed({self.mature_name})"

    @property
    def warm_started_(self) -> bool:
        return bool(getattr(getattr(self, "_model", None), "warm_started_", False))

    def warm_state(self) -> dict[str, Any] | None:
        """The mature model's fitted parameters (to warm-start next week), else None."""
        model = getattr(self, "_model", None)
        return model.warm_state() if hasattr(model, "warm_state") else None  # type: ignore[union-attr]

    def sample(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        """Paths ``(n_paths, horizon)`` of the chosen branch's model."""
        if not hasattr(self, "_model"):
            raise RuntimeError("MixedModel.sample called before fit")
        return self._model.sample(horizon, n_paths, rng)
