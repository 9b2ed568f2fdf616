"""Care pathways learned from the clinics' own history.

Weekly MLD sessions of clinic ``c`` in week ``t`` are modelled as

    sessions[c, t] = base[c] + scale[c] * sum_p sum_k w[p, k] * procedures[c, p, t - k] + noise

where ``w[p, k]`` is the expected number of sessions per procedure of type ``p`` in week ``k``
after the surgery week (uptake included), ``base`` the non-surgical demand (lymphedema and other
clients) and ``scale`` a clinic's own adjustment (its uptake relative to the pool). The noise is
over-dispersed: its variance is ``dispersion`` times the mean (quasi-Poisson), plus
``excess_variance`` times the squared mean out of sample (pathway and level error, measured on
held-out recent weeks).

Estimation is a non-negative, weighted distributed-lag regression pooled across clinics, with
the configured pathway as a Gaussian prior (the ``demand.prior_sd`` setting) so that short or
collinear histories stay near the configured protocol, solved as non-negative least squares
(``scipy.optimize.nnls``, in its square normal-equations form). With fewer than
``demand.min_history_weeks`` usable clinic-weeks the configured pathways are used as they are.
A clinic's scale has the prior N(1, ``demand.clinic_scale_sd``^2), so it moves only as far as
that clinic's own data supports.

From weekly totals only the product uptake x sessions per patient is identifiable; the learned
pathway is shown as an implied uptake that assumes the configured course length per patient.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.linalg import solve_triangular
from scipy.optimize import nnls

from forecasting import columns as C
from forecasting.config import DemandConfig, Pathway
from forecasting.demand.history import ClinicHistory
from forecasting.demand.non_surgical import non_surgical_forecast

_MIN_DISPERSION_ROWS = 8  # fewer residual weeks than this: dispersion stays at its floor
_MIN_MEAN = 0.5  # floor of the expected sessions used as a regression weight
_LABEL = "MLD sessions per procedure"  # the summary line's head (a service names its own)


def padded_weights(
    pathways: Mapping[str, Pathway], length: int, drivers: Sequence[str] = C.PROCEDURE_TYPES
) -> np.ndarray:
    """Configured weights (uptake x sessions by week) as a (drivers, length) array."""
    out = np.zeros((len(drivers), length))
    for i, procedure in enumerate(drivers):
        w = np.asarray(pathways[procedure].weights, dtype=float)[:length]
        out[i, : len(w)] = w
    return out


def lagged(procedures: np.ndarray, length: int) -> np.ndarray:
    """Design matrix (weeks, types x length): column ``j * length + k`` is type j lagged k weeks.

    Weeks before the first row count as zero procedures.
    """
    n, types = procedures.shape
    out = np.zeros((n, types * length))
    for k in range(min(length, n)):
        out[k:, np.arange(types) * length + k] = procedures[: n - k]
    return out


@dataclass(frozen=True)
class LearnedPathways:
    """Pathway weights used for demand (of MLD, or of a service's drivers), and how.

    Attributes:
        weights: (drivers, lags) expected sessions per procedure by week since surgery (uptake
            included), rows in ``drivers`` order (``PROCEDURE_TYPES`` for MLD); pooled.
        configured: the configured weights, same shape (the prior).
        clinic_scale: per clinic multiplier of the pooled weights (1.0: no own adjustment).
        dispersion: variance / mean of weekly sessions around their expectation (>= 1).
        excess_variance: out-of-sample variance beyond that, per squared mean (pathway and
            non-surgical level error); session variance = dispersion x mean + this x mean^2.
        source: "learned" or "configured".
        reason: why the configured pathways were used, or None.
        weeks_used: clinic-weeks in the regression.
    """

    weights: np.ndarray
    configured: np.ndarray
    clinic_scale: dict[str, float] = field(default_factory=dict)
    dispersion: float = 1.0
    excess_variance: float = 0.0
    source: str = "configured"
    reason: str | None = None
    weeks_used: int = 0
    drivers: tuple[str, ...] = C.PROCEDURE_TYPES

    def clinic_weights(self, clinic: str) -> dict[str, np.ndarray]:
        """Weights per driver for ``clinic`` (pooled weights times its scale)."""
        scale = self.clinic_scale.get(clinic, 1.0)
        return {p: self.weights[i] * scale for i, p in enumerate(self.drivers)}

    def implied(self, history: ClinicHistory, clinic: str) -> np.ndarray:
        """Sessions implied by the clinic's past procedures in each past week."""
        lags = self.weights.shape[1]
        design = lagged(history.procedures, lags)
        return design @ self.weights.ravel() * self.clinic_scale.get(clinic, 1.0)

    def table(self, pathways: Mapping[str, Pathway]) -> pd.DataFrame:
        """Learned next to configured pathway, one row per procedure type.

        Columns: procedure, source, configured_uptake, learned_uptake (implied, assuming the
        configured sessions per taking patient), configured_sessions, learned_sessions
        (expected sessions per procedure, uptake included), configured_weights,
        learned_weights (per week since surgery, rounded).
        """
        rows = []
        for i, procedure in enumerate(self.drivers):
            cfg = pathways[procedure]
            course = float(sum(cfg.sessions_by_week))
            learned = float(self.weights[i].sum())
            last = int(np.flatnonzero(self.weights[i] > 0.005).max(initial=0)) + 1
            rows.append(
                {
                    C.PROCEDURE: procedure,
                    "source": self.source,
                    "configured_uptake": cfg.uptake,
                    "learned_uptake": min(learned / course, 1.0) if course > 0 else 0.0,
                    "configured_sessions": float(sum(cfg.weights)),
                    "learned_sessions": learned,
                    "configured_weights": [round(x, 2) for x in cfg.weights],
                    "learned_weights": [round(float(x), 2) for x in self.weights[i][:last]],
                }
            )
        return pd.DataFrame(rows)

    def summary(self, pathways: Mapping[str, Pathway], label: str = _LABEL) -> str:
        """One line for the report: sessions per procedure (driver), learned vs configured."""
        table = self.table(pathways)
        parts = [
            f"{r.procedure} {r.learned_sessions:.1f} (configured {r.configured_sessions:.1f})"
            for r in table.itertuples()
        ]
        head = (
            f"learned from {self.weeks_used} clinic-weeks"
            if self.source == "learned"
            else f"configured ({self.reason})"
        )
        return f"{label}, {head}: " + "; ".join(parts)


def configured_pathways(
    pathways: Mapping[str, Pathway],
    config: DemandConfig,
    reason: str,
    drivers: Sequence[str] = C.PROCEDURE_TYPES,
) -> LearnedPathways:
    """The configured pathways as they are (no learning)."""
    lags = _lags(pathways, config, drivers)
    prior = padded_weights(pathways, lags, drivers)
    return LearnedPathways(
        weights=prior,
        configured=prior,
        dispersion=config.min_dispersion,
        source="configured",
        reason=reason,
        drivers=tuple(drivers),
    )


def _lags(pathways: Mapping[str, Pathway], config: DemandConfig, drivers: Sequence[str]) -> int:
    longest = max((len(pathways[p].sessions_by_week) for p in drivers), default=1)
    return max(config.max_lag_weeks, longest)


def _usable_rows(history: ClinicHistory, lags: int) -> np.ndarray:
    """Week indices with session data and every procedure lag observed."""
    if history.first_procedure is None or history.first_session is None:
        return np.zeros(0, dtype=int)
    start = max(history.first_procedure + lags - 1, history.first_session)
    return np.arange(start, len(history.weeks))


def learn_pathways(
    histories: Mapping[str, ClinicHistory],
    pathways: Mapping[str, Pathway],
    config: DemandConfig,
    drivers: Sequence[str] = C.PROCEDURE_TYPES,
) -> LearnedPathways:
    """Estimate pathway weights, clinic scales and session dispersion from history.

    Args:
        histories: per clinic, aligned weekly history
            (:func:`forecasting.demand.history.clinic_histories`).
        pathways: configured pathway per procedure type (the prior and the fallback).
        config: demand settings (lags, prior strength, minimum history); ``drivers``: the
            histories' ``procedures`` columns (a service's drivers; MLD: procedure types).

    Returns:
        Learned pathways, or the configured ones (with the reason) when the usable history is
        shorter than ``config.min_history_weeks`` clinic-weeks.
    """
    lags = _lags(pathways, config, drivers)
    prior = padded_weights(pathways, lags, drivers).ravel()
    blocks = []
    for clinic, history in histories.items():
        rows = _usable_rows(history, lags)
        if len(rows):
            design = lagged(history.procedures, lags)[rows]
            blocks.append((clinic, design, history.sessions[rows]))
    used = sum(len(b[2]) for b in blocks)
    reason = None
    if not config.learn_pathways:
        reason = "demand.learn_pathways is false"
    elif used < config.min_history_weeks:
        reason = (
            f"only {used} clinic-weeks with sessions and procedures "
            f"(< demand.min_history_weeks = {config.min_history_weeks})"
        )
    if reason is not None:
        base = configured_pathways(pathways, config, reason, drivers)
        return LearnedPathways(
            weights=base.weights,
            configured=base.configured,
            dispersion=_dispersion(blocks, prior, config),
            source="configured",
            reason=base.reason,
            weeks_used=used,
            drivers=tuple(drivers),
        )
    weights, intercepts, phi = _fit_pooled(blocks, prior, config)
    scales, bases = _clinic_scales(blocks, weights, intercepts, phi, config)
    y = np.concatenate([b[2] for b in blocks])
    final = np.concatenate([d @ weights * scales[c] + bases[c] for c, d, _ in blocks])
    fitted = int(np.count_nonzero(weights)) + 2 * len(blocks)  # weights, bases and scales
    phi = _phi(y, np.maximum(final, _MIN_MEAN), config, fitted)
    return LearnedPathways(
        weights=weights.reshape(len(drivers), lags),
        configured=prior.reshape(len(drivers), lags),
        clinic_scale=scales,
        dispersion=phi,
        excess_variance=_excess_variance(blocks, prior, phi, config),
        source="learned",
        weeks_used=used,
        drivers=tuple(drivers),
    )


def _fit_pooled(
    blocks: list, prior: np.ndarray, config: DemandConfig
) -> tuple[np.ndarray, np.ndarray, float]:
    """Pooled pathway weights, per clinic intercepts and the dispersion of the fit.

    Pass 1 weights rows by the observed sessions; pass 2 by pass 1's fit, with the dispersion
    estimated from pass 1 so that the prior is weighed against the real noise.
    """
    pooled = _Pooled.stack(blocks)
    y = pooled.y
    mean = np.maximum(_fit(pooled, prior, 1.0, np.maximum(y, 1.0), config)[1], _MIN_MEAN)
    phi = _phi(y, mean, config, pooled.design.shape[1] + len(pooled.starts))
    coef, _ = _fit(pooled, prior, phi, mean, config)
    return coef[: len(prior)], coef[len(prior) :], phi


def _excess_variance(blocks: list, prior: np.ndarray, phi: float, config: DemandConfig) -> float:
    """Variance beyond ``phi x mean`` when the pathway is used out of sample, per mean^2.

    The last ``config.holdout_weeks`` weeks of every clinic are held out, the pathway is
    refitted on the rest and the held-out sessions are predicted from their actual procedures
    plus the non-surgical forecast made at the hold-out start (as a forecast would). The excess
    ``kappa`` solves sum(residual^2 - phi x mean) = kappa x sum(mean^2): it measures how far the
    learned pathway and the non-surgical level miss, which in-sample noise does not show.
    """
    holdout = config.holdout_weeks
    train = [(c, d[:-holdout], y[:-holdout]) for c, d, y in blocks if len(y) > holdout]
    if holdout == 0 or sum(len(b[2]) for b in train) < config.min_history_weeks:
        return 0.0
    weights, _, _ = _fit_pooled(train, prior, config)
    excess, scale = 0.0, 0.0
    for _, design, y in blocks:
        if len(y) <= holdout:
            continue
        implied = design @ weights
        base = non_surgical_forecast(
            y[:-holdout] - implied[:-holdout],
            holdout,
            lags=config.non_surgical_ar_lags,
            window=config.non_surgical_window_weeks,
        )
        mean = np.maximum(implied[-holdout:] + base, _MIN_MEAN)
        excess += float(np.sum((y[-holdout:] - mean) ** 2 - phi * mean))
        scale += float(np.sum(mean**2))
    return max(excess / scale, 0.0) if scale > 0 else 0.0


@dataclass(frozen=True)
class _Pooled:
    """Clinic blocks stacked: pathway design rows, sessions, and where each clinic starts.

    The pooled regression has the pathway columns plus one intercept (base) column per clinic,
    which is 1 on that clinic's rows only; that column is never materialised.
    """

    design: np.ndarray  # (rows, types x lags)
    y: np.ndarray  # (rows,)
    starts: np.ndarray  # first row of each clinic block
    clinic: np.ndarray  # block index of each row

    @classmethod
    def stack(cls, blocks: list) -> _Pooled:
        sizes = np.array([len(b[2]) for b in blocks], dtype=np.intp)
        return cls(
            design=np.vstack([b[1] for b in blocks]),
            y=np.concatenate([b[2] for b in blocks]),
            starts=np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp),
            clinic=np.repeat(np.arange(len(blocks)), sizes),
        )


def _fit(
    pooled: _Pooled,
    prior: np.ndarray,
    phi: float,
    mean: np.ndarray,
    config: DemandConfig,
) -> tuple[np.ndarray, np.ndarray]:
    """Non-negative MAP fit: rows scaled by 1/sqrt(phi x mean), prior rows by 1/prior_sd.

    The whitened least-squares problem min ||A x - b|| (x >= 0) has as many rows as
    clinic-weeks; it is solved in its equivalent square form min ||R x - d|| with R'R = A'A
    and R'd = A'b (the two objectives differ by a constant), so NNLS works on a
    (parameters x parameters) matrix. A'A is built block-wise: the intercept columns touch
    only their clinic's rows.
    """
    design, y, starts = pooled.design, pooled.y, pooled.starts
    n_prior = len(prior)
    scale = 1.0 / np.sqrt(phi * mean)
    a = design * scale[:, None]
    b = y * scale
    cross = np.add.reduceat(a * scale[:, None], starts, axis=0).T  # pathway x intercept
    gram = np.zeros((n_prior + len(starts),) * 2)
    gram[:n_prior, :n_prior] = a.T @ a + np.eye(n_prior) / config.prior_sd**2
    gram[:n_prior, n_prior:] = cross
    gram[n_prior:, :n_prior] = cross.T
    gram[n_prior:, n_prior:] = np.diag(np.add.reduceat(scale**2, starts))
    rhs = np.concatenate([a.T @ b + prior / config.prior_sd**2, np.add.reduceat(b * scale, starts)])
    try:
        lower = np.linalg.cholesky(gram)  # numpy's LAPACK: the BLAS of the products above
        coef = nnls(lower.T, solve_triangular(lower, rhs, lower=True))[0]
    except np.linalg.LinAlgError:  # numerically singular (an extreme prior_sd): solve the tall form
        intercepts = np.zeros((len(y), len(starts)))
        intercepts[np.arange(len(y)), pooled.clinic] = scale
        prior_rows = np.hstack([np.eye(n_prior), np.zeros((n_prior, len(starts)))])
        tall = np.vstack([np.hstack([a, intercepts]), prior_rows / config.prior_sd])
        coef = nnls(tall, np.concatenate([b, prior / config.prior_sd]))[0]
    return coef, design @ coef[:n_prior] + coef[n_prior:][pooled.clinic]


def _phi(y: np.ndarray, mean: np.ndarray, config: DemandConfig, n_params: int = 0) -> float:
    """Pearson dispersion sum((y - mean)^2 / mean) / (n - n_params), within its bounds."""
    if len(y) - n_params < _MIN_DISPERSION_ROWS:
        return config.min_dispersion
    pearson = float(np.sum((y - mean) ** 2 / mean) / (len(y) - n_params))
    return float(min(max(pearson, config.min_dispersion), 50.0))


def _dispersion(blocks: list, prior: np.ndarray, config: DemandConfig) -> float:
    """Dispersion around the configured pathway plus each clinic's median remainder."""
    ys, means = [], []
    for _, design, y in blocks:
        implied = design @ prior
        ys.append(y)
        means.append(np.maximum(implied + max(float(np.median(y - implied)), 0.0), _MIN_MEAN))
    if not ys:
        return config.min_dispersion
    return _phi(np.concatenate(ys), np.concatenate(means), config)


def _clinic_scales(
    blocks: list, weights: np.ndarray, intercepts: np.ndarray, phi: float, config: DemandConfig
) -> tuple[dict[str, float], dict[str, float]]:
    """Per clinic scale of the pooled pathway, shrunk towards 1, and the clinic's base level.

    Each clinic's sessions are regressed on its implied sessions with a base (weighted by the
    variance phi x mean) with the prior scale ~ N(1, clinic_scale_sd^2), scale and base both
    >= 0 (non-negative least squares on the whitened rows plus one prior row). With
    ``clinic_scale_sd = 0`` every scale is 1 and the pooled fit's intercepts are kept.
    """
    scales: dict[str, float] = {}
    bases: dict[str, float] = {}
    tau = config.clinic_scale_sd
    for i, (clinic, design, y) in enumerate(blocks):
        implied = design @ weights
        scales[clinic], bases[clinic] = 1.0, float(intercepts[i])
        if tau == 0 or len(y) < _MIN_DISPERSION_ROWS or implied.sum() <= 0:
            continue
        scale = 1.0 / np.sqrt(phi * np.maximum(implied + intercepts[i], _MIN_MEAN))
        a = np.vstack([np.column_stack([scale, implied * scale]), [0.0, 1.0 / tau]])
        b = np.concatenate([y * scale, [1.0 / tau]])
        bases[clinic], scales[clinic] = (float(v) for v in nnls(a, b)[0])
    return scales, bases
