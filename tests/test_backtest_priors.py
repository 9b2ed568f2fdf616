"""The backtest gives network models (mixed, pooled) a network prior of each window's
training weeks only, so `mixed` is on the leaderboard as the weekly run would forecast."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.backtest import run_backtest
from forecasting.backtest.priors import prior_at, window_priors
from forecasting.columns import DS, UID, Y
from forecasting.config import ModelConfig
from forecasting.models import configured_prior


def _panel(weeks: int = 170, seed: int = 0) -> pd.DataFrame:
    """Three clinics' liposuction counts with a strong yearly wave (peak in spring)."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2021-01-04", periods=weeks, freq="W-MON")
    wave = 1 + 0.5 * np.sin(2 * np.pi * np.arange(weeks) / 52.18)
    return pd.concat(
        [
            pd.DataFrame({UID: f"c{i}|liposuction", DS: ds, Y: rng.poisson(8 * (i + 1) * wave)})
            for i in range(3)
        ],
        ignore_index=True,
    ).astype({Y: float})


def _run(frame: pd.DataFrame, models=("mixed",)):
    return run_backtest(
        frame, models=list(models), horizon=8, folds=3, n_paths=100, workers=1,
        config=ModelConfig(), holiday_country=None,
    )  # fmt: skip


def test_window_prior_is_the_networks_up_to_its_cutoff_only() -> None:
    frame = _panel()
    groups = {u: g.reset_index(drop=True) for u, g in frame.groupby(UID)}
    cutoff = pd.Timestamp("2023-06-26")
    priors = window_priors(groups, {cutoff}, ("mixed",), ModelConfig())
    prior = prior_at(priors, cutoff)
    assert prior is not None and prior_at(priors, cutoff + pd.Timedelta(weeks=1)) is None
    cut = {
        (f"c{i}", "liposuction"): groups[f"c{i}|liposuction"].loc[lambda g: g[DS] <= cutoff]
        for i in range(3)
    }
    expected = configured_prior(ModelConfig(), {k: v[[DS, Y]] for k, v in cut.items()})
    assert prior.seasonal_index == expected.seasonal_index
    assert max(prior.seasonal_index) > 1.3  # the network's spring peak, not a flat index
    assert window_priors(groups, {cutoff}, ("ets", "naive"), ModelConfig()) == ()


def test_mixed_never_sees_any_series_after_the_cutoff() -> None:
    frame = _panel()
    first = _run(frame).forecasts
    cutoff = first["cutoff"].min()
    changed = frame.copy()
    later = changed[DS] > cutoff
    changed.loc[later, Y] *= 20  # every series' future, the others' too, changes wildly
    second = _run(changed).forecasts
    keep = ["unique_id", "cutoff", "ds", "model", "mean", "p10", "p50", "p90"]
    window = lambda f: f.loc[f["cutoff"] == cutoff, keep].reset_index(drop=True)  # noqa: E731
    mixed = lambda f: f.loc[f["model"] == "mixed"]  # noqa: E731
    pd.testing.assert_frame_equal(window(mixed(first)), window(mixed(second)))


def test_mixed_follows_the_networks_season_in_the_backtest() -> None:
    """With the prior, mixed's forecast moves with the yearly wave; without one (flat
    index) a pooled level could not, so its error would be the wave's size."""
    result = _run(_panel(), models=("mixed", "historic_mean"))
    board = result.leaderboard.set_index("model")
    assert board.loc["mixed", "mase"] < board.loc["seasonal_naive", "mase"]
    assert board.loc["mixed", "mase"] < board.loc["historic_mean", "mase"]
    assert "mixed" in ModelConfig().candidates and "pooled" not in ModelConfig().candidates


def test_weekly_auto_and_ensemble_give_a_chosen_mixed_the_runs_prior() -> None:
    from forecasting.models import build_model, run_prior
    from forecasting.models.selection import ModelChoice

    frame = _panel()
    histories = {
        (u.split("|")[0], "liposuction"): g[[DS, Y]].reset_index(drop=True)
        for u, g in frame.groupby(UID)
    }
    auto = ModelConfig(name="auto")  # the default candidates include mixed
    prior = run_prior(auto, histories)
    assert prior is not None and max(prior.seasonal_index) > 1.3
    assert run_prior(ModelConfig(name="auto", candidates=["ets", "naive"]), histories) is None
    choice = ModelChoice(("mixed", "ets"), weights=(0.5, 0.5))
    ensemble = build_model(choice, auto, None, prior)
    member = dict(ensemble.members)["mixed"]
    assert member.prior is prior
