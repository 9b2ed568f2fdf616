"""The week's session-interval calibration: archive errors and in-run rolling origins."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from forecasting import columns as C
from forecasting.config import Config
from forecasting.demand.calibration import (
    Calibration,
    archive_scores,
    combine,
    origin_clinics,
    origin_scores,
    origin_weeks,
)
from forecasting.models import (
    run_prior,
)
from forecasting.series import SeriesKey, histories_before
from forecasting.week.assembly import assemble
from forecasting.week.forecasts import forecast_one
from forecasting.week.inputs import WeeklyInputs, cut_inputs


def session_calibration(
    inputs: WeeklyInputs, archived: pd.DataFrame | None, config: Config
) -> Calibration:
    """This run's session-interval calibration (forecasting/demand/calibration.py).

    Errors of earlier runs' archived forecasts (a) and of this run's own computation repeated
    at ``[calibration] origins`` past cut-offs on the data known then (b: the configured
    model, pathways and bookings as of each origin, ``origin_clinics`` clinics at most per
    origin), stacked with equal weight per error.

    Args:
        archived: ``forecasting.report.load_archive(layout.forecasts, before=as_of).forecasts``,
            or None when there is no archive (a notebook, a fresh clone).
    """
    horizon, cal = config.horizon_weeks, config.calibration
    archive = np.full((0, horizon), np.nan)
    if archived is not None:
        archive = archive_scores(archived, inputs.sessions, inputs.cutoff_week, horizon)
    weeks = pd.to_datetime(inputs.procedures[C.WEEK])
    first = weeks.min() if len(weeks) else inputs.cutoff_week
    origins = origin_weeks(inputs.cutoff_week, first, config.model.min_history_weeks, cal)
    cheaper = config.model_copy(update={"n_paths": min(config.n_paths, cal.origin_paths)})
    histories = inputs.histories() if origins else {}  # once; each origin's is a cut of it
    at_origins = {o: _forecast_at(inputs, o, i, cheaper, histories) for i, o in enumerate(origins)}
    rolling = origin_scores(at_origins, inputs.sessions, inputs.cutoff_week, horizon)
    return combine(archive, rolling, cal, [o.date().isoformat() for o in origins])


def _forecast_at(
    inputs: WeeklyInputs,
    origin: pd.Timestamp,
    index: int,
    config: Config,
    histories: dict[SeriesKey, pd.DataFrame],
) -> pd.DataFrame:
    """forecast.csv of the run's computation at a past cut-off, for a sample of clinics."""
    cut = cut_inputs(
        inputs.procedures, inputs.sessions, inputs.roster, origin.date(), bookings=inputs.bookings
    )
    clinics = set(origin_clinics(cut.clinics, index, config.seed, config.calibration))
    everyone = histories_before(histories, origin)  # == cut.histories(), cheaper
    prior = run_prior(config.model, everyone)  # the network as of the origin
    mine = {k: h for k, h in everyone.items() if k[0] in clinics}
    forecasts = {k: forecast_one(k, h, config, prior=prior) for k, h in sorted(mine.items())}
    only = {
        name: frame.loc[frame[C.CLINIC].astype(str).isin(clinics)]
        for name, frame in (
            ("procedures", cut.procedures), ("sessions", cut.sessions), ("roster", cut.roster),
            ("bookings", cut.bookings), ("scheduled", cut.scheduled),
        )
    }  # fmt: skip
    return assemble(replace(cut, **only), forecasts, config).forecast
