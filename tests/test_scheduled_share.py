"""Scheduled rows without booked_on: scheduled + thinned forecast, not a floor (issue 12)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.demand.bookings import (
    PickupCurve,
    WeeklyBooks,
    adjust_for_bookings,
    empty_bookings,
    scheduled_share,
)

WEEKS = pd.date_range("2025-06-02", periods=3, freq="W-MON")


def _scheduled(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["clinic_id", "procedure", "week", "scheduled"])


def test_share_pools_scheduled_over_forecast_means_of_clinics_with_scheduled_rows() -> None:
    books = WeeklyBooks.of(
        _scheduled(
            [("a", "bbl", WEEKS[0], 8), ("a", "bbl", WEEKS[1], 2), ("b", "bbl", WEEKS[0], 4)]
        ),
        "scheduled",
        WEEKS,
    )
    means = {
        ("a", "bbl"): np.array([10.0, 10.0, 10.0]),
        ("a", "other"): np.array([2.0, 2.0, 2.0]),  # same clinic, nothing scheduled yet
        ("b", "bbl"): np.array([4.0, 4.0, 4.0]),
        ("c", "bbl"): np.array([50.0, 50.0, 50.0]),  # no scheduled rows: not in the share
    }
    share = scheduled_share(books, means)
    # hand-checked: week 0 (8 + 4) / (10 + 2 + 4) = 0.75, week 1 2 / 16, week 2 0
    np.testing.assert_allclose(share, [0.75, 2 / 16, 0.0])
    over = scheduled_share(books, {("a", "bbl"): np.array([1.0, 1.0, 1.0])})
    assert over[0] == 1.0  # capped


def test_scheduled_plus_thinned_forecast_keeps_the_mean_where_the_floor_raised_it() -> None:
    rng = np.random.default_rng(0)
    paths = {"bbl": rng.poisson(5.0, size=(20_000, 3)).astype(float)}
    scheduled = _scheduled([("a", "bbl", WEEKS[0], 4)])  # 80% of a mean of 5 on the books
    books = WeeklyBooks.of(scheduled, "scheduled", WEEKS)
    share = np.array([0.8, 0.0, 0.0])
    no_pickup = PickupCurve({}, np.zeros(3), 0)
    kwargs = {"known": empty_bookings(), "pickup": no_pickup, "scheduled": books}
    out, method = adjust_for_bookings(
        paths, "a", WEEKS, rng=np.random.default_rng(1), share=share, **kwargs
    )
    assert method == "scheduled"
    assert (out["bbl"][:, 0] >= 4).all()
    assert out["bbl"][:, 0].mean() == pytest.approx(4 + 5 * 0.2, abs=0.05)  # 5.0, unbiased
    np.testing.assert_array_equal(out["bbl"][:, 1:], paths["bbl"][:, 1:])  # share 0: unchanged
    floor, method = adjust_for_bookings(paths, "a", WEEKS, rng=np.random.default_rng(1), **kwargs)
    assert method == "floor" and floor["bbl"][:, 0].mean() > 5.35  # E[max(X, 4)], X ~ Poisson(5)
