"""[demand] and [calibration]: sessions from procedures, and calibration of their intervals."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from forecasting.config.base import Probability, Strict


class DemandConfig(Strict):
    """How session demand is learned from history (see forecasting/pathways.py, bookings.py)."""

    learn_pathways: bool = Field(
        default=True, description="learn pathways from history; false: configured ones only"
    )
    max_lag_weeks: int = Field(
        default=12, ge=1, le=52, description="weeks since surgery a learned pathway may span"
    )
    min_history_weeks: int = Field(
        default=52, ge=4, description="clinic-weeks of usable history needed to learn pathways"
    )
    prior_sd: float = Field(
        default=0.5, gt=0, description="sessions/procedure/week a pathway may differ from config"
    )
    clinic_scale_sd: float = Field(
        default=0.2, ge=0, description="prior sd of a clinic's pathway scale; 0: pooled only"
    )
    non_surgical_window_weeks: int = Field(
        default=104, ge=4, le=520, description="weeks of remainder the non-surgical model sees"
    )
    non_surgical_ar_lags: int = Field(
        default=4, ge=0, le=12, description="autoregressive lags of the non-surgical remainder"
    )
    min_dispersion: float = Field(
        default=1.0, ge=1.0, le=50, description="floor of the variance/mean ratio of sessions"
    )
    holdout_weeks: int = Field(
        default=26, ge=0, le=104, description="recent weeks held out to size pathway error; 0: off"
    )
    pickup_history_weeks: int = Field(
        default=52, ge=4, le=520, description="past weeks the bookings pickup curve is learned on"
    )
    pickup_prior_procedures: float = Field(
        default=50, ge=0, description="pseudo-procedures pulling a clinic's pickup to the pool"
    )


class CalibrationConfig(Strict):
    """[calibration]: session intervals widened (or narrowed) from past forecast errors.

    The spread of the session paths around their median is rescaled per horizon week so that
    the central ``coverage`` interval (p10-p90 by default) would have held the past errors;
    p50 is unchanged. Errors come from earlier runs' archived forecasts and from ``origins``
    in-run rolling origins (the run's own model refitted at past cut-offs); horizon weeks are
    pooled into bands when a week has fewer than ``min_errors`` errors, and with fewer than
    ``min_errors`` in all weeks together the intervals stay as modelled.
    """

    enabled: bool = Field(default=True, description="calibrate session intervals")
    min_errors: int = Field(default=30, ge=1, description="errors needed per horizon week")
    origins: int = Field(
        default=4, ge=0, le=52, description="in-run rolling origins (past cut-offs); 0: off"
    )
    origin_step_weeks: int = Field(
        default=13, ge=1, le=104, description="weeks between in-run origins (cut-off - k x step)"
    )
    origin_clinics: int = Field(
        default=8, ge=1, description="clinics forecast at each origin at most (seeded sample)"
    )
    origin_paths: int = Field(
        default=200, ge=50, le=10000, description="sample paths of the origins' forecasts"
    )
    method: Literal["conformal", "empirical"] = "conformal"
    coverage: Probability = Field(default=0.8, description="central interval to calibrate")
    max_factor: float = Field(default=4.0, gt=1.0, description="largest widening allowed")
    min_factor: float = Field(default=0.5, gt=0.0, le=1.0, description="largest narrowing")
    level_offset: float = Field(
        default=-0.04,
        ge=-0.2,
        le=0.1,
        description="added to coverage for the quantile of the errors (origin forecasts saw "
        "less history than the run's own, so their errors run larger)",
    )
    classes: Literal["none", "age", "age_shift"] = Field(
        default="age",
        description="spread factors per clinic class: none (one for the network), age (young "
        "and mature clinics apart), age_shift (and mature clinics with a level shift)",
    )
    young_weeks: int = Field(
        default=104, ge=1, le=520, description="a clinic active for fewer weeks is young"
    )
    shift_weeks: int = Field(
        default=13, ge=4, le=52, description="recent weeks compared with the year before them"
    )
    shift_change: float = Field(
        default=0.25, gt=0.0, description="relative change of sessions that counts as a shift"
    )
    shift_z: float = Field(default=3.0, ge=0.0, description="... and its Poisson z-score")
