"""In-run rolling-origin calibration: a fresh run (no archive) calibrated from its own past."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from forecasting.config import Config
from forecasting.demand.calibration import origin_clinics, origin_weeks
from forecasting.ingest.folder import ingest
from forecasting.ingest.store import load_bookings, load_processed, write_processed
from forecasting.week import assembly, cut_inputs, run_week, session_calibration

END = date(2025, 7, 7)
AS_OF = END - timedelta(weeks=13)  # 12 realised weeks after the cut-off to score
SETTINGS = {"model": {"name": "seasonal_naive"}, "n_paths": 200}
SHRINK = 0.4  # the patched demand model's session paths: 2.5 times too close to their median


def _too_sure(real):
    """The session demand model with its paths' spread around each week's median shrunk."""

    def demand(*args, **kwargs):
        out = real(*args, **kwargs)
        median = np.median(out.paths, axis=0)
        return replace(out, paths=median + SHRINK * (out.paths - median))

    return demand


@pytest.fixture(scope="module")
def frames(demo_exports, tmp_path_factory) -> dict[str, pd.DataFrame]:
    root = tmp_path_factory.mktemp("origins")
    demo_exports(root / "raw", clinics=4, years=3, seed=5, end=END)
    write_processed(ingest(root / "raw", Config().ingest, END), root / "processed")
    procedures, sessions, roster = load_processed(root / "processed")
    return {
        "procedures": procedures, "sessions": sessions, "roster": roster,
        "bookings": load_bookings(root / "processed"),
    }  # fmt: skip


@pytest.fixture
def too_sure(monkeypatch):
    monkeypatch.setattr(assembly, "clinic_demand", _too_sure(assembly.clinic_demand))


def _run(frames, settings, as_of=AS_OF):
    inputs = cut_inputs(
        frames["procedures"],
        frames["sessions"],
        frames["roster"],
        as_of,
        bookings=frames["bookings"],
    )
    return run_week(inputs, Config.model_validate(settings))


def _coverage(result, sessions) -> float:
    fc = result.forecast.loc[result.forecast["series"] == "sessions"]
    actual = sessions.assign(week=pd.to_datetime(sessions["week"])).set_index(["clinic_id", "week"])
    realised = actual["sessions"].reindex(pd.MultiIndex.from_arrays([fc["clinic_id"], fc["week"]]))
    a = realised.to_numpy(float)
    assert np.isfinite(a).all()
    return float(np.mean((a >= fc["p10"].to_numpy()) & (a <= fc["p90"].to_numpy())))


def test_fresh_run_is_calibrated_from_its_own_origins(frames, too_sure):
    off = _run(frames, {**SETTINGS, "calibration": {"origins": 0}})
    on = _run(frames, SETTINGS)
    record = on.demand.calibration
    assert record["calibrated"] and record["source"] == "rolling_origin"
    assert record["errors_by_source"] == {"archive": 0, "rolling_origin": record["n_errors"]}
    assert record["rolling_origins"] == ["2025-01-06", "2024-10-07", "2024-07-08", "2024-04-08"]
    factors = record["factors_by_horizon_week"]
    assert min(factors) > 1.6 and np.mean(factors) > 2.0  # about 1 / SHRINK = 2.5
    assert "in-run rolling origins" in on.demand.calibration_text
    # every clinic's class at the cut-off is recorded; each class with 30 errors has factors
    assert sorted(record["class_by_clinic"]) == sorted(on.forecast["clinic_id"].unique())
    assert set(record.get("factors_by_class", {})) <= set(record["errors_by_class"])
    before, after = _coverage(off, frames["sessions"]), _coverage(on, frames["sessions"])
    assert before < 0.6  # 48 realised clinic-weeks: far too narrow as modelled
    assert abs(after - 0.8) < abs(before - 0.8) and after > 0.65  # towards 80%
    # p50 (and the mean of the procedure series) do not move; only the session spread does
    pd.testing.assert_series_equal(on.forecast["p50"], off.forecast["p50"])
    assert not off.demand.calibration["calibrated"]


def test_archive_and_origins_are_stacked(frames, too_sure):
    inputs = cut_inputs(
        frames["procedures"],
        frames["sessions"],
        frames["roster"],
        AS_OF,
        bookings=frames["bookings"],
    )
    settings = {**SETTINGS, "calibration": {"origins": 2}}
    config = Config.model_validate(settings)
    archived = _run(frames, settings, AS_OF - timedelta(weeks=12)).forecast
    archived = archived.loc[archived["series"] == "sessions"].assign(
        issued=AS_OF - timedelta(weeks=12)
    )
    both = session_calibration(inputs, archived, config)
    alone = session_calibration(inputs, None, config)
    assert both.source == "archive+rolling_origin"
    errors = dict(both.errors)
    assert errors["archive"] == 4 * 12 and errors["rolling_origin"] == alone.n_errors
    assert both.n_errors == alone.n_errors + 48


def test_too_little_history_says_not_calibrated(frames):
    """Fourteen months of data: no origin has a year of history before it, so no errors."""
    start = pd.Timestamp(END) - pd.Timedelta(weeks=60)
    short = {
        k: (f.loc[pd.to_datetime(f["week"]) >= start] if "week" in f else f)
        for k, f in frames.items()
    }
    result = _run(short, {"model": {"name": "seasonal_naive"}, "n_paths": 100})
    assert not result.demand.calibration["calibrated"]
    assert result.demand.calibration_text == (
        "Session intervals are not calibrated: 0 past forecast errors, need 30."
    )
    small = _run(frames, {"model": {"name": "seasonal_naive"}, "n_paths": 100,
                          "calibration": {"origins": 1, "min_errors": 100}})  # fmt: skip
    assert small.demand.calibration_text.startswith("Session intervals are not calibrated: ")
    assert small.demand.calibration_text.endswith("past forecast errors, need 100.")


def test_origins_need_history_and_sample_clinics_by_seed():
    config = Config().calibration
    cutoff, first = pd.Timestamp("2026-01-05"), pd.Timestamp("2025-01-06")
    weeks = origin_weeks(cutoff, first, 26, config)
    assert weeks == [cutoff - pd.Timedelta(weeks=13 * k) for k in (1, 2)]  # 3rd: under 26 weeks
    assert origin_weeks(cutoff, first, 26, config.model_copy(update={"enabled": False})) == []
    clinics = [f"C{i:03d}" for i in range(50)]
    a, b = origin_clinics(clinics, 0, 7, config), origin_clinics(clinics, 1, 7, config)
    assert len(a) == config.origin_clinics and a == sorted(a) and a != b
    assert a == origin_clinics(list(reversed(clinics)), 0, 7, config)
    assert origin_clinics(clinics[:3], 0, 7, config) == clinics[:3]
