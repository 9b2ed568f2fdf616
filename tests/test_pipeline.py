import numpy as np
import pytest

from forecasting.week import _horizon_total


def test_horizon_total_range_comes_from_summed_paths():
    # Two weeks, perfectly anti-correlated paths: each week's p10 is ~0 and p90 ~10,
    # but every path sums to 10, so the total has no spread at all.
    a = np.linspace(0, 10, 101)
    paths = np.column_stack([a, 10 - a])
    total = _horizon_total("c", paths)
    assert total["p10"] == pytest.approx(10.0) and total["p90"] == pytest.approx(10.0)
    assert total["mean"] == pytest.approx(10.0)
    summed_weekly_p90 = sum(np.quantile(paths[:, i], 0.9) for i in range(2))
    assert summed_weekly_p90 > 17  # what adding quantiles would have claimed
