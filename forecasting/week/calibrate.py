"""The week's session-interval calibration: archive errors and in-run rolling origins."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from forecasting import columns as C
from forecasting.config import Config
from forecasting.demand.calibration import (
    ISSUED,
    Calibration,
    combine,
    origin_clinics,
    origin_table,
    origin_weeks,
    score_table,
)
from forecasting.demand.clinic_classes import clinic_classes
from forecasting.week.assembly import assemble
from forecasting.week.forecasts import driver_types, forecast_one, network_priors
from forecasting.week.inputs import WeeklyInputs, cut_inputs


def session_calibration(
    inputs: WeeklyInputs, archived: pd.DataFrame | None, config: Config
) -> Calibration:
    """This run's session-interval calibration (forecasting/demand/calibration.py).

    Errors of earlier runs' archived forecasts (a) and of this run's own computation repeated
    at ``[calibration] origins`` past cut-offs on the data known then (b: the configured
    model, pathways and bookings as of each origin, ``origin_clinics`` clinics at most per
    origin), stacked with equal weight per error. Each error is labelled with its clinic's
    class when the forecast was made (young, mature, shifted:
    forecasting/demand/clinic_classes.py), so each class with enough errors gets its own
    factors; the clinics' classes at this cut-off say which factors they get.

    Args:
        archived: ``forecasting.report.load_archive(layout.forecasts, before=as_of).forecasts``,
            or None when there is no archive (a notebook, a fresh clone).
    """
    horizon, cal = config.horizon_weeks, config.calibration
    # forecast.csv's `sessions`: MLD's alone, or the total over the services
    sessions = inputs.total_sessions(config)
    archive = score_table(pd.DataFrame(), sessions, inputs.cutoff_week, horizon)
    if archived is not None:
        archive = score_table(archived, sessions, inputs.cutoff_week, horizon)
    weeks = pd.to_datetime(inputs.procedures[C.WEEK])
    first = weeks.min() if len(weeks) else inputs.cutoff_week
    origins = origin_weeks(inputs.cutoff_week, first, config.model.min_history_weeks, cal)
    cheaper = config.model_copy(update={"n_paths": min(config.n_paths, cal.origin_paths)})
    at_origins = {o: _forecast_at(inputs, o, i, cheaper) for i, o in enumerate(origins)}
    rolling = origin_table(at_origins, sessions, inputs.cutoff_week, horizon)
    labels = _row_classes(pd.concat([archive, rolling]), inputs, sessions, config)
    now = clinic_classes(
        inputs.procedures, sessions, inputs.cutoff_week, cal, clinics=inputs.clinics
    )
    return combine(
        archive.to_numpy(float),
        rolling.to_numpy(float),
        cal,
        [o.date().isoformat() for o in origins],
        row_classes=labels,
        clinic_class=now,
    )


def _row_classes(
    table: pd.DataFrame, inputs: WeeklyInputs, sessions: pd.DataFrame, config: Config
) -> list[str]:
    """The class of each error row's clinic at the week its forecast began (its ``issued``
    date's Monday for the archive, the origin itself for rolling origins)."""
    if table.empty:
        return []
    keys = table.index.to_frame(index=False)
    starts = pd.to_datetime(keys[ISSUED]).dt.to_period("W-SUN").dt.start_time
    by_start = {
        start: clinic_classes(inputs.procedures, sessions, start, config.calibration)
        for start in sorted(set(starts))
    }
    return [
        by_start[start].get(str(clinic), "young")
        for clinic, start in zip(keys[C.CLINIC], starts, strict=True)
    ]


def _forecast_at(
    inputs: WeeklyInputs, origin: pd.Timestamp, index: int, config: Config
) -> pd.DataFrame:
    """forecast.csv of the run's computation at a past cut-off, for a sample of clinics."""
    cut = cut_inputs(
        inputs.procedures, inputs.sessions, inputs.roster, origin.date(), bookings=inputs.bookings,
        service_sessions=inputs.service_sessions, referrals=inputs.referrals,
    )  # fmt: skip
    clinics = set(origin_clinics(cut.clinics, index, config.seed, config.calibration))
    everyone = cut.histories(driver_types(config))
    prior = network_priors(config, everyone)  # the network as of the origin
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
