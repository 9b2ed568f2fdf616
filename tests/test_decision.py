import numpy as np
import pandas as pd
import pytest

from forecasting.backtest.staffing import (
    WEEK_COLUMNS,
    costs,
    default_cutoffs,
    replay,
    run_staffing_backtest,
    write_staffing_backtest,
)
from forecasting.config import from_dict
from forecasting.models import SeriesForecast

WEEKS = pd.date_range("2023-01-02", periods=120, freq="W-MON")
CONFIG = from_dict({"horizon_weeks": 4, "n_paths": 200, "staffing": {"block_hours": 0}})


def _data(seed: int = 0):
    rng = np.random.default_rng(seed)
    lipo = rng.poisson(20, len(WEEKS))
    sessions = rng.poisson(np.convolve(lipo, [0.5, 2.0, 1.0])[: len(WEEKS)] + 4)
    procedures = pd.DataFrame(
        {"clinic_id": "a", "procedure": "liposuction", "week": WEEKS, "completed": lipo,
         "scheduled": 0}
    )  # fmt: skip
    sessions = pd.DataFrame({"clinic_id": "a", "week": WEEKS, "sessions": sessions})
    roster = pd.DataFrame(
        {"clinic_id": ["a"], "therapist_id": ["t1"], "weekly_hours": [120.0],
         "start_date": pd.NaT, "end_date": pd.NaT}
    )  # fmt: skip
    return procedures, sessions, roster


def _flat(key, history, config) -> SeriesForecast:
    """Forecast every procedure series at its last 8 weeks' mean (no model fit)."""
    level = history["y"].to_numpy()[-8:].mean()
    return SeriesForecast(np.full((config.n_paths, config.horizon_weeks), level), "flat", None, 0)


def test_costs_implied_by_service_level_or_configured():
    assert costs(from_dict({})) == pytest.approx((4.0, 1.0))  # 0.8 / 0.2
    cfg = from_dict({"staffing": {"cost_short": 2.5, "cost_idle": 1.5}})
    assert costs(cfg) == (2.5, 1.5)


def test_default_cutoffs_leave_a_full_horizon():
    _, sessions, _ = _data()
    cuts = default_cutoffs(sessions, horizon=4, folds=3, step=2)
    end = WEEKS[-1] + pd.Timedelta(weeks=1)
    assert cuts == [end - pd.Timedelta(weeks=w) for w in (8, 6, 4)]


def test_replay_sees_only_the_past():
    procedures, sessions, roster = _data()
    cutoff = WEEKS[100]
    spiked = sessions.assign(sessions=np.where(sessions.week >= cutoff, 10_000, sessions.sessions))
    a = replay(procedures, sessions, roster, CONFIG, cutoff, forecast=_flat)
    b = replay(procedures, spiked, roster, CONFIG, cutoff, forecast=_flat)
    pd.testing.assert_frame_equal(a.forecast, b.forecast)
    assert a.staffing.week.min() == cutoff


def test_backtest_arithmetic_and_methods():
    procedures, sessions, roster = _data()
    bt = run_staffing_backtest(
        procedures, sessions, roster, CONFIG, folds=2, step=4, forecast=_flat,
        methods=["lymphcast", "moving_average_4w", "roster"],
    )  # fmt: skip
    w = bt.weeks
    assert list(w.columns) == WEEK_COLUMNS
    assert len(w) == 3 * 2 * 4  # methods x cut-offs x weeks
    paid = CONFIG.staffing.hours_per_session / CONFIG.staffing.productive_share
    np.testing.assert_allclose(w.hours_needed, w.actual * paid)
    np.testing.assert_allclose(
        w.shortage_hours - w.idle_hours, w.hours_needed - w.hours_recommended
    )
    np.testing.assert_allclose(w.cost, 4.0 * w.shortage_hours + w.idle_hours)
    ma = w[w.method == "moving_average_4w"]
    first = bt.cutoffs[0]
    last4 = sessions.loc[sessions.week < first, "sessions"].to_numpy()[-4:].mean()
    assert (ma.loc[ma.cutoff == first, "p50"] == last4).all()
    assert (ma.loc[ma.cutoff == first, "sessions_target"] == np.ceil(last4)).all()
    assert (w.loc[w.method == "roster", "hours_recommended"] == 120.0).all()
    s = bt.summary.set_index("method")
    assert s.loc["lymphcast", "mase"] < s.loc["moving_average_4w", "mase"] * 1.5
    assert 0 <= s.loc["lymphcast", "coverage_80"] <= 1
    assert np.isnan(s.loc["roster", "mase"])
    mine = w[w.method == "lymphcast"]
    assert s.loc["lymphcast", "share_at_or_below_target"] == pytest.approx(
        (mine.actual <= mine.sessions_target).mean()
    )


@pytest.mark.slow
def test_prophet_on_sessions_alternative_runs():
    procedures, sessions, roster = _data()
    bt = run_staffing_backtest(
        procedures, sessions, roster, CONFIG, folds=1, forecast=_flat,
        methods=["prophet_sessions"],
    )  # fmt: skip
    w = bt.weeks
    assert len(w) == 4 and (w.p10 <= w.p50).all() and (w.p50 <= w.p90).all()
    assert w.p50.between(20, 120).all()  # sessions run about 4 + 3.5 x 20 = 74 a week


def test_replay_combines_bookings_known_at_the_cutoff():
    procedures, sessions, roster = _data()
    # every procedure is booked exactly three weeks ahead: weeks 0-2 are fully on the books
    bookings = procedures.assign(booked_week=procedures.week - pd.Timedelta(weeks=3))[
        ["clinic_id", "procedure", "week", "booked_week", "completed"]
    ].rename(columns={"completed": "count"})
    cutoff = WEEKS[100]
    result = replay(procedures, sessions, roster, CONFIG, cutoff, bookings=bookings, forecast=_flat)
    rows = result.forecast[result.forecast.series == "procedures:liposuction"]
    actual = procedures.set_index("week").completed.reindex(rows.week).to_numpy()
    np.testing.assert_array_equal(rows.p10.to_numpy()[:3], actual[:3])
    np.testing.assert_array_equal(rows.p90.to_numpy()[:3], actual[:3])
    assert result.demand.bookings == {"a": "pickup"}
    flat = replay(procedures, sessions, roster, CONFIG, cutoff, forecast=_flat)
    assert flat.demand.bookings == {"a": "none"}


def test_write_staffing_backtest(tmp_path):
    procedures, sessions, roster = _data()
    bt = run_staffing_backtest(
        procedures, sessions, roster, CONFIG, folds=1, forecast=_flat, methods=["lymphcast"]
    )
    paths = write_staffing_backtest(bt, tmp_path / "out")
    summary = pd.read_csv(paths["summary"])
    assert summary.method.tolist() == ["lymphcast"] and summary.cost_short.iloc[0] == 4.0
    weeks = pd.read_csv(paths["weeks"])
    assert len(weeks) == 4 and weeks.week.iloc[0] == bt.cutoffs[0].strftime("%Y-%m-%d")


def test_backtest_replays_mld_alone_whatever_other_services_are_configured():
    """The replay scores MLD's sessions: a config with another service gives the MLD-only
    figures (its deep-tissue therapist's hours are not counted as MLD's roster)."""
    procedures, sessions, _ = _data()
    roster = pd.DataFrame(
        {"clinic_id": ["a", "a"], "therapist_id": ["t1", "t2"], "weekly_hours": [120.0, 80.0],
         "start_date": pd.NaT, "end_date": pd.NaT, "skills": ["mld", "deep_tissue"]}
    )  # fmt: skip
    services = {"services": {"deep_tissue": {"drivers": ["fracture_immobilisation"]}}}
    both = CONFIG.model_copy(update={"services": from_dict(services).services})
    runs = [
        run_staffing_backtest(procedures, sessions, roster, cfg, folds=1, step=4, forecast=_flat,
                              methods=["lymphcast", "roster"]).weeks
        for cfg in (CONFIG, both)
    ]  # fmt: skip
    pd.testing.assert_frame_equal(runs[0], runs[1])
    assert (runs[0].loc[runs[0].method == "roster", "hours_recommended"] == 120).all()
