import numpy as np
import pandas as pd
import pytest

from forecasting.config import DemandConfig
from forecasting.demand.bookings import (
    WeeklyBooks,
    adjust_for_bookings,
    booked_ahead,
    combine_with_bookings,
    empty_bookings,
    known_bookings,
    pickup_curve,
    scheduled_snapshot,
)

CUTOFF = pd.Timestamp("2025-06-02")
SURGERY = pd.Timestamp("2025-05-19")  # two weeks before the cut-off


def _bookings(rows) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["clinic_id", "procedure", "week", "booked_week", "count"]
    ).astype({"week": "datetime64[ns]", "booked_week": "datetime64[ns]"})


def _procedures(rows) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["clinic_id", "procedure", "week", "completed", "scheduled"]
    ).astype({"week": "datetime64[ns]"})


def test_pickup_curve_hand_checked():
    # 10 procedures in the surgery week: 6 booked 3 weeks ahead, 2 one week ahead, 2 that week.
    weeks = lambda k: SURGERY - pd.Timedelta(weeks=k)  # noqa: E731
    bookings = _bookings(
        [("a", "liposuction", SURGERY, weeks(3), 6),
         ("a", "liposuction", SURGERY, weeks(1), 2),
         ("a", "liposuction", SURGERY, weeks(0), 2)]
    )  # fmt: skip
    procedures = _procedures([("a", "liposuction", SURGERY, 10, 0)])
    curve = pickup_curve(bookings, procedures, CUTOFF, 4, DemandConfig(pickup_prior_procedures=0))
    # p(h): share booked h + 1 or more weeks ahead
    np.testing.assert_allclose(curve.for_clinic("a"), [0.8, 0.6, 0.6, 0.0])
    np.testing.assert_allclose(curve.pooled, [0.8, 0.6, 0.6, 0.0])
    assert curve.for_clinic("b") is None
    shrunk = pickup_curve(bookings, procedures, CUTOFF, 4, DemandConfig())
    np.testing.assert_allclose(shrunk.for_clinic("a"), [0.8, 0.6, 0.6, 0.0])  # pool = itself


def test_only_bookings_made_before_the_cutoff_are_known():
    bookings = _bookings(
        [("a", "bbl", CUTOFF + pd.Timedelta(weeks=1), CUTOFF - pd.Timedelta(weeks=1), 3),
         ("a", "bbl", CUTOFF + pd.Timedelta(weeks=1), CUTOFF, 4)]
    )  # fmt: skip
    known = known_bookings(bookings, CUTOFF)
    assert known["count"].tolist() == [3]
    weeks = pd.date_range(CUTOFF, periods=3, freq="W-MON")
    np.testing.assert_array_equal(booked_ahead(known, "a", "bbl", weeks), [0, 3, 0])
    assert known_bookings(None, CUTOFF).empty and known_bookings(empty_bookings(), CUTOFF).empty


def test_combine_with_bookings():
    rng = np.random.default_rng(0)
    paths = np.full((20_000, 3), 10.0)
    booked = np.array([7.0, 2.0, 0.0])
    out = combine_with_bookings(paths, booked, np.array([1.0, 0.5, 0.0]), rng)
    assert (out[:, 0] == 7).all()  # everything is on the books
    assert out[:, 1].mean() == pytest.approx(2 + 5, rel=0.02)  # booked + unbooked half
    assert out[:, 1].var() == pytest.approx(10 * 0.25, rel=0.05)  # binomial thinning
    assert (out[:, 2] == 10).all()  # nothing booked that early: the forecast as is
    assert (paths == 10).all()


def test_scheduled_snapshot_only_when_export_is_not_newer():
    current = _procedures(
        [("a", "bbl", CUTOFF - pd.Timedelta(weeks=1), 4, 0),
         ("a", "bbl", CUTOFF, 1, 2),
         ("a", "bbl", CUTOFF + pd.Timedelta(weeks=1), 0, 5)]
    )  # fmt: skip
    snap = scheduled_snapshot(current, CUTOFF)
    assert snap["scheduled"].tolist() == [3, 5]  # cut-off week: completed so far + scheduled
    replay = current.assign(completed=[4, 1, 3])  # completed procedures after the cut-off week
    assert scheduled_snapshot(replay, CUTOFF).empty


def test_adjust_for_bookings_picks_pickup_then_floor_then_none():
    weeks = pd.date_range(CUTOFF, periods=2, freq="W-MON")
    paths = {"bbl": np.full((100, 2), 3.0)}
    rng = np.random.default_rng(0)
    known = _bookings([("a", "bbl", CUTOFF, CUTOFF - pd.Timedelta(weeks=2), 4)])
    procedures = _procedures([("a", "bbl", CUTOFF - pd.Timedelta(weeks=1), 4, 0)])
    curve = pickup_curve(known, procedures, CUTOFF, 2, DemandConfig())
    scheduled = _procedures([("b", "bbl", CUTOFF, 0, 6)])[
        ["clinic_id", "procedure", "week", "scheduled"]
    ]
    kwargs = {"known": known, "pickup": curve, "scheduled": scheduled, "rng": rng}
    out, method = adjust_for_bookings(paths, "a", weeks, **kwargs)
    assert method == "pickup" and out["bbl"].shape == (100, 2)
    assert (out["bbl"][:, 0] >= 4).all()
    out, method = adjust_for_bookings(paths, "b", weeks, **kwargs)
    assert method == "floor"
    np.testing.assert_array_equal(out["bbl"][0], [6.0, 3.0])
    out, method = adjust_for_bookings(paths, "c", weeks, **kwargs)
    assert method == "none" and (out["bbl"] == 3.0).all()


def test_weekly_books_group_once_like_booked_ahead_per_clinic():
    weeks = pd.date_range(CUTOFF, periods=3, freq="W-MON")
    later = CUTOFF + pd.Timedelta(weeks=5)  # beyond the forecast weeks
    known = _bookings(
        [("a", "bbl", CUTOFF, CUTOFF - pd.Timedelta(weeks=2), 4),
         ("a", "bbl", CUTOFF, CUTOFF - pd.Timedelta(weeks=1), 1),
         ("a", "liposuction", weeks[2], CUTOFF - pd.Timedelta(weeks=1), 2),
         ("b", "bbl", later, CUTOFF - pd.Timedelta(weeks=1), 7)]
    )  # fmt: skip
    books = WeeklyBooks.of(known, "count", weeks)
    for clinic in ("a", "b", "c"):
        for procedure in ("bbl", "liposuction", "other"):
            np.testing.assert_array_equal(
                books.get(clinic, procedure), booked_ahead(known, clinic, procedure, weeks)
            )
    np.testing.assert_array_equal(books.get("a", "bbl"), [5, 0, 0])
    assert books.totals == {"a": 7.0, "b": 7.0}  # every week counts in the totals
    books.get("a", "bbl")[0] = 99  # a copy: the books are not changed
    assert books.get("a", "bbl")[0] == 5


def test_adjust_for_bookings_takes_books_built_once():
    weeks = pd.date_range(CUTOFF, periods=2, freq="W-MON")
    paths = {"bbl": np.full((50, 2), 3.0)}
    known = _bookings([("a", "bbl", CUTOFF, CUTOFF - pd.Timedelta(weeks=2), 4)])
    procedures = _procedures([("a", "bbl", CUTOFF - pd.Timedelta(weeks=1), 4, 0)])
    curve = pickup_curve(known, procedures, CUTOFF, 2, DemandConfig())
    scheduled = _procedures([("b", "bbl", weeks[1], 0, 6)])[
        ["clinic_id", "procedure", "week", "scheduled"]
    ]
    frames = {"known": known, "pickup": curve, "scheduled": scheduled}
    books = {
        "known": WeeklyBooks.of(known, "count", weeks),
        "pickup": curve,
        "scheduled": WeeklyBooks.of(scheduled, "scheduled", weeks),
    }
    for clinic in ("a", "b", "c"):
        a = adjust_for_bookings(paths, clinic, weeks, rng=np.random.default_rng(1), **frames)
        b = adjust_for_bookings(paths, clinic, weeks, rng=np.random.default_rng(1), **books)
        assert a[1] == b[1]
        np.testing.assert_array_equal(a[0]["bbl"], b[0]["bbl"])
    with pytest.raises(ValueError, match="other weeks"):
        adjust_for_bookings(paths, "a", weeks[:1], rng=np.random.default_rng(1), **books)
