"""Tests for forecasting.backtest: input checks, honest windows, selections, outputs, CLI,
and the weekly run's auto / ensemble reading the latest backtest."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from forecasting import week as pipeline
from forecasting.backtest import (
    FORECAST_COLUMNS,
    LEADERBOARD_COLUMNS,
    format_leaderboard,
    load_procedure_series,
    load_series_csv,
    run_backtest,
    validate_series,
    write_backtest,
)
from forecasting.columns import DS, UID, Y
from forecasting.config import Config, ModelConfig
from forecasting.errors import ConfigError, InputError
from lymphcast.cli import app

FAST = ["naive", "drift", "ets", "auto", "ensemble"]


def _panel(n_series: int = 3, weeks: int = 90, seed: int = 0) -> pd.DataFrame:
    """Weekly counts: a level per series, a yearly wave and noise."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2021-01-04", periods=weeks, freq="W-MON")
    wave = 1 + 0.3 * np.sin(2 * np.pi * np.arange(weeks) / 52.18)
    parts = [
        pd.DataFrame({UID: f"s{i}", DS: ds, Y: rng.poisson(10 * (i + 1) * wave).astype(float)})
        for i in range(n_series)
    ]
    return pd.concat(parts, ignore_index=True)


def _config(**kw) -> ModelConfig:
    return ModelConfig(min_history_weeks=26, **kw)


def _small(frame: pd.DataFrame, **kw):
    args = {
        "models": FAST,
        "horizon": 4,
        "folds": 3,
        "n_paths": 50,
        "workers": 1,
        "config": _config(),
        "holiday_country": None,
    } | kw
    return run_backtest(frame, **args)


@pytest.fixture(scope="module")
def result():
    return _small(_panel())


# --------------------------------------------------------------------------- input


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns=Y), r"lacks column\(s\) \['y'\]; it needs unique_id, ds, y"),
        (lambda f: f.assign(y=f[Y].where(f.index != 5)), "row 5 .* has y 'nan'; every y must be"),
        (lambda f: f.assign(y=f[Y].where(f.index != 7, np.inf)), "row 7 .* finite number"),
        (lambda f: f.assign(y=f[Y].where(f.index != 7, -1.0)), "row 7 .* >= 0"),
        (lambda f: pd.concat([f, f.iloc[[3]]]), "repeats a \\(unique_id, ds\\) pair"),
        (lambda f: f.drop(index=10), "misses the week of 2021-03-15; add a row"),
        (
            lambda f: f.assign(ds=f[DS].where(f.index != 4, f[DS] + pd.Timedelta(days=2))),
            "is not weekly: .* \\(9 days apart\\)",
        ),
        (
            lambda f: f.assign(ds=f[DS].astype(str).where(f.index != 2, "soon")),
            "row 2 .* has no readable date",
        ),
    ],
)
def test_bad_series_are_refused_in_one_sentence(change, message) -> None:
    frame = _panel(n_series=1, weeks=30)
    with pytest.raises(InputError, match=message) as info:
        validate_series(change(frame))
    assert str(info.value).count(". ") == 0  # one sentence


def test_validation_moves_dates_to_mondays_and_does_not_mutate() -> None:
    frame = _panel(n_series=1, weeks=10)
    frame[DS] = frame[DS] + pd.Timedelta(days=5)  # Saturdays
    before = frame.copy()
    clean = validate_series(frame)
    assert (clean[DS].dt.day_of_week == 0).all()
    pd.testing.assert_frame_equal(frame, before)


def test_csv_rows_are_numbered_as_in_the_file(tmp_path) -> None:
    frame = _panel(n_series=1, weeks=8)
    frame.loc[3, Y] = np.nan
    path = tmp_path / "series.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(InputError, match=r"series.csv row 5 "):
        load_series_csv(path)


def test_procedure_series_from_processed_data(tmp_path) -> None:
    weeks = pd.date_range("2024-01-01", periods=6, freq="W-MON")
    procedures = pd.DataFrame(
        {
            "clinic_id": ["a"] * 3 + ["b"] * 2,
            "procedure": ["bbl"] * 5,
            "week": [weeks[0], weeks[2], weeks[3], weeks[4], weeks[5]],
            "completed": [2, 3, 1, 4, 0],
            "scheduled": [0, 0, 0, 0, 5],
        }
    )
    procedures.to_parquet(tmp_path / "procedures_weekly.parquet")
    series = load_procedure_series(tmp_path)
    bbl = series.loc[series[UID] == "a|bbl"]
    assert bbl[Y].tolist() == [2, 0, 3, 1, 0]  # zero-filled to the last week with data
    assert series.loc[series[UID] == "b|liposuction", Y].tolist() == [0.0]
    assert set(series[UID].str.split("|").str[1]) == {
        "liposuction",
        "abdominoplasty",
        "bbl",
        "breast_reduction",
        "other",
    }
    cut = load_procedure_series(tmp_path, as_of=weeks[3].date())
    assert cut.loc[cut[UID] == "a|bbl", Y].tolist() == [2, 0, 3]
    with pytest.raises(InputError, match="run `lymphcast ingest` first"):
        load_procedure_series(tmp_path / "nothing")


# --------------------------------------------------------------------------- the engine


def test_leaderboard_and_windows(result) -> None:
    lb = result.leaderboard
    assert list(lb.columns) == LEADERBOARD_COLUMNS
    assert set(lb["model"]) == {*FAST, "seasonal_naive", "historic_mean"}
    assert (lb["windows"] == 9).all()  # 3 series x 3 folds, the same windows for every model
    assert lb["mase"].is_monotonic_increasing
    assert list(result.forecasts.columns) == FORECAST_COLUMNS
    assert len(result.forecasts) == 9 * 4 * len(lb)
    assert len(result.by_series) == 3 * len(lb)
    cutoffs = sorted(result.metrics["cutoff"].unique())
    assert [pd.Timestamp(c) for c in cutoffs] == list(
        pd.date_range("2022-06-27", periods=3, freq="4W-MON")  # last window ends the data
    )


def test_a_forecast_never_sees_the_weeks_after_its_cutoff() -> None:
    frame = _panel()
    first = _small(frame).forecasts
    cutoff = first["cutoff"].min()
    changed = frame.copy()
    changed.loc[changed[DS] > cutoff, Y] *= 50  # the future changes wildly
    second = _small(changed).forecasts
    keep = ["unique_id", "cutoff", "ds", "model", "mean", "p10", "p50", "p90"]
    window = lambda f: f.loc[f["cutoff"] == cutoff, keep].reset_index(drop=True)  # noqa: E731
    singles = ~first["model"].isin(["auto", "ensemble"])
    pd.testing.assert_frame_equal(window(first[singles]), window(second[singles]))


def test_auto_and_ensemble_choose_from_closed_windows_only(result) -> None:
    meta = result.metrics.loc[result.metrics["model"].isin(["auto", "ensemble"])]
    assert (meta["fallback_reason"] == "").all()  # the selection fold closed before cutoff 1
    assert meta.loc[meta["model"] == "ensemble", "selection"].str.count(r"\+").eq(2).all()
    no_history = _small(_panel(), selection_folds=0).metrics
    first = no_history.loc[no_history["cutoff"] == no_history["cutoff"].min()]
    auto = first.loc[first["model"] == "auto"]
    assert auto["fallback_reason"].str.contains("default ranking").all()
    assert (auto["selection"] == "ets").all()  # first of default_ranking that ran


def test_auto_is_the_chosen_models_forecast(result) -> None:
    metrics = result.metrics.set_index([UID, "cutoff", "model"])
    for (uid, cutoff, _), row in metrics.xs("auto", level="model", drop_level=False).iterrows():
        chosen = metrics.loc[(uid, cutoff, row["selection"])]
        assert row["mase"] == chosen["mase"]


def test_short_series_choose_among_baselines() -> None:
    frame = pd.concat(
        [_panel(n_series=2, weeks=90), _panel(n_series=1, weeks=20, seed=3).assign(unique_id="new")]
    )
    out = _small(frame, horizon=4, folds=2)
    metrics = out.metrics
    new = metrics.loc[metrics[UID] == "new"]
    assert (
        new.loc[new["model"] == "ets", "fallback_reason"]
        .str.startswith("seasonal_naive: only")
        .all()
    )
    chose = new.loc[new["model"] == "auto", "selection"]
    assert chose.str.contains("baselines only").all()
    assert (
        chose.str.split(" ")
        .str[0]
        .isin(["naive", "drift", "seasonal_naive", "historic_mean"])
        .all()
    )


def test_same_seed_same_result_and_bad_arguments() -> None:
    frame = _panel(n_series=2, weeks=60)
    a, b = _small(frame), _small(frame)
    pd.testing.assert_frame_equal(a.forecasts, b.forecasts)
    other = _small(frame, seed=1)
    assert not a.forecasts["p90"].equals(other.forecasts["p90"])
    with pytest.raises(ConfigError, match="Unknown model 'arima'; choose from auto, drift"):
        _small(frame, models=["arima"])
    with pytest.raises(ConfigError, match="--horizon 60 is not shorter than the longest series"):
        _small(frame, horizon=60)
    with pytest.raises(ConfigError, match="--folds must be at least 1"):
        _small(frame, folds=0)


@pytest.mark.slow
def test_processes_give_the_same_numbers_as_one_process() -> None:
    frame = _panel(n_series=2, weeks=70)
    models = ["prophet", "sarimax", "auto", "ensemble"]
    one = _small(frame, models=models, workers=1)
    two = _small(frame, models=models, workers=2)
    assert two.settings["workers"] == 2
    cols = ["unique_id", "cutoff", "ds", "model", "mean", "p10", "p50", "p90"]
    pd.testing.assert_frame_equal(one.forecasts[cols], two.forecasts[cols])
    assert one.metrics.loc[one.metrics["model"] == "prophet", "fallback_reason"].eq("").all()


# --------------------------------------------------------------------------- outputs


def test_write_backtest(result, tmp_path) -> None:
    files = write_backtest(result, tmp_path / "bt")
    assert all(path.is_file() for path in files.values())
    rows = json.loads(files["leaderboard_json"].read_text())
    assert [r["model"] for r in rows] == result.leaderboard["model"].tolist()
    assert set(rows[0]) == set(LEADERBOARD_COLUMNS)
    drill = pd.read_csv(files["forecasts"])
    assert list(drill.columns) == FORECAST_COLUMNS
    assert files["chart"].read_bytes().startswith(b"\x89PNG")
    write_backtest(result, tmp_path / "bt")  # an earlier backtest is replaced
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("keep me")
    with pytest.raises(ConfigError, match="is not a backtest directory"):
        write_backtest(result, tmp_path / "other")
    assert (tmp_path / "other" / "notes.txt").read_text() == "keep me"
    table = format_leaderboard(result)
    assert len(table.splitlines()) < 25 and "historic_mean" in table


# --------------------------------------------------------------------------- weekly run


@pytest.mark.slow  # the default ranking and ensemble start with Prophet
def test_weekly_run_uses_the_configured_selection(result, tmp_path) -> None:
    backtest_dir = tmp_path / "backtest"
    write_backtest(result, backtest_dir)
    history = _panel(n_series=1, weeks=90)[[DS, Y]]
    by_series = result.by_series.set_index([UID, "model"])
    for name in ("auto", "ensemble"):
        config = Config(n_paths=50, model=_config(name=name, backtest_dir=str(backtest_dir)))
        forecast = pipeline.forecast_one(("s0", ""), history, config)  # not backtested
        assert forecast.fallback_reason is None
        assert "series not backtested" in forecast.selection
    config = Config(
        n_paths=50,
        model=_config(name="auto", backtest_dir=str(backtest_dir), selection_prior_windows=0),
    )
    own = by_series.xs("s2", level=UID)
    singles = own.drop(index=["auto", "ensemble"])
    best = singles["mase"].idxmin()
    forecast = pipeline.forecast_one(("s2",), history, config)
    assert forecast.model == best
    assert forecast.selection.startswith("auto: lowest pooled backtest MASE on this series")
    missing = Config(n_paths=50, model=_config(name="ensemble", backtest_dir=str(tmp_path)))
    fallback = pipeline.forecast_one(("s0", "bbl"), history, missing)
    assert fallback.model.startswith("ensemble(")
    assert fallback.fallback_reason.startswith(f"no backtest in {tmp_path}")


# --------------------------------------------------------------------------- CLI

runner = CliRunner()


def test_cli_backtest_on_a_series_file(tmp_path) -> None:
    path = tmp_path / "weekly.csv"
    _panel(n_series=2, weeks=70).to_csv(path, index=False)
    out = tmp_path / "out"
    args = [
        "backtest",
        "--series",
        str(path),
        "--models",
        "naive,ets,auto",
        "--horizon",
        "4",
        "--folds",
        "2",
        "--paths",
        "50",
        "--workers",
        "1",
        "--out",
        str(out),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "MASE" in result.output and "leaderboard:" in result.output
    assert {p.name for p in out.iterdir()} >= {
        "leaderboard.csv",
        "leaderboard.json",
        "forecasts.csv",
        "leaderboard.png",
    }


@pytest.mark.parametrize(
    ("content", "extra", "needle"),
    [
        ("unique_id,ds\na,2024-01-01\n", [], "lacks column(s) ['y']"),
        ("unique_id,ds,y\na,2024-01-01,1\na,2024-01-03,1\n", [], "is not weekly"),
        ("unique_id,ds,y\na,2024-01-01,1\na,2024-01-01,2\n", [], "repeats a (unique_id, ds)"),
        (
            "unique_id,ds,y\na,2024-01-01,1\na,2024-01-08,2\n",
            ["--horizon", "5"],
            "--horizon 5 is not shorter than the longest series (2 weeks)",
        ),
        ("unique_id,ds,y\na,2024-01-01,1\n", ["--models", "arima"], "Unknown model 'arima'"),
    ],
)
def test_cli_bad_input_exits_2_with_one_sentence(tmp_path, content, extra, needle) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    result = runner.invoke(
        app, ["backtest", "--series", str(path), "--out", str(tmp_path / "o"), *extra]
    )
    assert result.exit_code == 2, result.output
    assert needle in result.output
    assert "Traceback" not in result.output
