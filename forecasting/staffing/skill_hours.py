"""Hours of the skill cover per clinic-week: what each service can draw on, who idles."""

from __future__ import annotations

import numpy as np

__all__ = ["available_hours", "largest_idle_lacking"]


def available_hours(
    covered: np.ndarray,
    idle_t: np.ndarray,
    holds: np.ndarray,
    tc: np.ndarray,
    need: np.ndarray,
    service_need: np.ndarray,
    service_k: np.ndarray,
) -> np.ndarray:
    """(clinics, weeks, services) paid hours each service can draw on (``hours_available``)."""
    n_c, n_w, n_k = need.shape
    skill_hours = covered.copy()
    if len(tc):
        weight = holds[:, None, :] & (need[tc] > 0)  # (therapists, weeks, skills)
        weight = np.where(weight.any(axis=2, keepdims=True), weight, holds[:, None, :])
        total = weight.sum(axis=2, keepdims=True)
        share = np.divide(weight, total, where=total > 0, out=np.zeros(weight.shape))
        np.add.at(skill_hours, tc, idle_t[:, :, None] * share)
    of_skill = need[:, :, service_k]
    peers = np.bincount(service_k, minlength=n_k)[service_k]  # services sharing the skill
    fraction = np.divide(
        service_need, of_skill, where=of_skill > 0,
        out=np.broadcast_to(1.0 / peers, service_need.shape).copy(),
    )  # fmt: skip
    return skill_hours[:, :, service_k] * fraction


def largest_idle_lacking(
    idle_t: np.ndarray, holds: np.ndarray, tc: np.ndarray, skills: list[str], shape: tuple
) -> tuple[np.ndarray, np.ndarray]:
    """Per clinic x week x skill k: the other skill whose holders lacking k idle most, and
    those holders' idle hours (each therapist once)."""
    n_c, n_w = shape
    n_k = len(skills)
    # idle of therapists holding j and lacking k: (clinics, weeks, k, j)
    both = np.zeros((n_c, n_w, n_k, n_k))
    for k in range(n_k):
        for j in range(n_k):
            if j != k:
                weight = (holds[:, j] & ~holds[:, k])[:, None]
                np.add.at(both[:, :, k, j], tc, idle_t * weight)
    if n_k == 0:
        return np.empty((n_c, n_w, 0), dtype=object), np.zeros((n_c, n_w, 0))
    best = both.argmax(axis=3)
    spare = np.take_along_axis(both, best[..., None], axis=3)[..., 0]
    return np.asarray(skills, dtype=object)[best], spare
