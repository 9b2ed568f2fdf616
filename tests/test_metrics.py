"""Tests for forecasting.metrics: hand-computed values, undefined cases, one signature."""

from __future__ import annotations

import math

import numpy as np
import pytest

from forecasting.metrics import (
    METRICS,
    bias,
    coverage_80,
    evaluate,
    mase,
    mase_scale,
    pinball,
    pinball_loss,
    smape,
    wape,
)

Y = np.array([10.0, 0.0, 6.0, 4.0])
FC = {
    "mean": np.array([8.0, 2.0, 6.0, 5.0]),
    "p10": np.array([5.0, 0.0, 4.0, 4.5]),
    "p50": np.array([8.0, 1.0, 6.0, 5.0]),
    "p90": np.array([12.0, 3.0, 9.0, 6.0]),
}
INSAMPLE = np.array([1.0, 3.0, 2.0, 6.0, 4.0])  # |diffs| 2, 1, 4, 2 -> one-step scale 2.25


def test_mase_scale_one_step_and_seasonal() -> None:
    assert mase_scale(INSAMPLE, 1) == pytest.approx(2.25)
    assert mase_scale(INSAMPLE, 2) == pytest.approx((1 + 3 + 2) / 3)
    assert math.isnan(mase_scale(INSAMPLE, 5))  # no in-sample seasonal difference
    assert math.isnan(mase_scale(np.full(6, 3.0), 1))  # a flat history has no scale


def test_mase() -> None:
    # mean |error| = (2 + 2 + 0 + 1) / 4 = 1.25
    assert mase(Y, FC, INSAMPLE, 1) == pytest.approx(1.25 / 2.25)


def test_smape_counts_zero_over_zero_as_zero() -> None:
    expected = 100 * np.mean([4 / 18, 4 / 2, 0.0, 2 / 9])  # 2 |y - f| / (|y| + |f|)
    assert smape(Y, FC, INSAMPLE) == pytest.approx(expected)
    zeros = np.zeros(3)
    assert smape(zeros, {"mean": zeros}, INSAMPLE) == 0.0


def test_wape_and_bias() -> None:
    assert wape(Y, FC, INSAMPLE) == pytest.approx(5 / 20)
    assert bias(Y, FC, INSAMPLE) == pytest.approx((21 - 20) / 20)
    zeros = np.zeros(2)
    assert math.isnan(wape(zeros, {"mean": np.ones(2)}, INSAMPLE))


def test_pinball() -> None:
    # q = 0.9, y = 10, f = 12: (0.9 - 1) * (10 - 12) = 0.2
    assert pinball_loss(np.array([10.0]), np.array([12.0]), 0.9) == pytest.approx(0.2)
    # q = 0.1, y = 10, f = 5: 0.1 * 5 = 0.5
    assert pinball_loss(np.array([10.0]), np.array([5.0]), 0.1) == pytest.approx(0.5)
    raw = np.mean(
        [pinball_loss(Y, FC[k], q) for k, q in (("p10", 0.1), ("p50", 0.5), ("p90", 0.9))]
    )
    assert pinball(Y, FC, INSAMPLE) == pytest.approx(raw / 2.25)


def test_coverage() -> None:
    # inside [p10, p90]: 10 in [5, 12], 0 in [0, 3], 6 in [4, 9]; 4 not in [4.5, 6]
    assert coverage_80(Y, FC, INSAMPLE) == pytest.approx(0.75)


def test_every_metric_has_the_one_signature() -> None:
    scores = evaluate(Y, FC, INSAMPLE, 1)
    assert list(scores) == list(METRICS)
    for name, fn in METRICS.items():
        assert fn(Y, FC, INSAMPLE, 1) == scores[name]


def test_shape_mismatch_is_refused() -> None:
    with pytest.raises(ValueError, match="equal 1-D arrays"):
        mase(Y, {"mean": Y[:2]}, INSAMPLE)
