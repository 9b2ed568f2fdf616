"""Calibrated session intervals: coverage on known error distributions, p50 unchanged."""

import numpy as np

from forecasting.config import CalibrationConfig
from forecasting.demand.calibration import archive_scores, calibrate, rescale_paths, scaled_errors

H = 12
EXACT = CalibrationConfig(level_offset=0.0)  # the plain conformal quantile at 0.8


def _too_narrow(rng, n_origins, sd_true=2.0, sd_model=1.0, n_paths=400):
    """Forecasts whose paths have sd 1 while the truth has sd 2 around the same centre."""
    centre = 50.0
    paths = centre + rng.normal(0, sd_model, size=(n_paths, H))
    q10, q50, q90 = np.quantile(paths, [0.1, 0.5, 0.9], axis=0)
    actual = centre + rng.normal(0, sd_true, size=(n_origins, H))
    return paths, q10, q50, q90, actual


def _coverage(paths, actual):
    q10, q90 = np.quantile(paths, [0.1, 0.9], axis=0)
    return float(np.mean((actual >= q10) & (actual <= q90)))


def test_calibrated_coverage_near_80_and_p50_unchanged():
    rng = np.random.default_rng(1)
    paths, q10, q50, q90, past = _too_narrow(rng, 200)
    scores = scaled_errors(past, q50, q10, q90)
    cal = calibrate(scores, "archive", EXACT)
    assert cal.calibrated and cal.n_errors == 200 * H
    assert all(1.6 < f < 2.4 for f in cal.factors)  # truth is twice as wide
    fresh = 50.0 + rng.normal(0, 2.0, size=(5000, H))
    assert _coverage(paths, fresh) < 0.6  # before: far too narrow
    new = rescale_paths(paths, cal)
    assert abs(_coverage(new, fresh) - 0.8) < 0.04
    np.testing.assert_allclose(np.median(new, axis=0), np.median(paths, axis=0))
    assert new is not paths and (new >= 0).all()


def test_too_wide_paths_are_narrowed():
    rng = np.random.default_rng(2)
    paths, q10, q50, q90, past = _too_narrow(rng, 300, sd_true=1.0, sd_model=2.0)
    cal = calibrate(scaled_errors(past, q50, q10, q90), "archive", EXACT)
    assert all(f < 0.7 for f in cal.factors)
    fresh = 50.0 + rng.normal(0, 1.0, size=(5000, H))
    assert abs(_coverage(rescale_paths(paths, cal), fresh) - 0.8) < 0.04


def test_too_few_errors_leaves_intervals_and_says_so():
    rng = np.random.default_rng(3)
    paths, q10, q50, q90, past = _too_narrow(rng, 2)  # 24 errors: under 30 even pooled
    cal = calibrate(scaled_errors(past, q50, q10, q90), "archive", CalibrationConfig())
    assert not cal.calibrated and cal.source == "none"
    assert cal.factors == (1.0,) * H
    np.testing.assert_array_equal(rescale_paths(paths, cal), paths)
    assert (
        cal.sentence() == "Session intervals are not calibrated: 24 past forecast errors, need 30."
    )
    assert cal.manifest()["calibrated"] is False


def test_too_few_errors_per_week_pools_weeks_into_bands():
    """5 origins x 12 weeks: 5 errors a week, pooled into the most bands of >= 30 (two of 6)."""
    rng = np.random.default_rng(3)
    paths, q10, q50, q90, past = _too_narrow(rng, 5)
    cal = calibrate(scaled_errors(past, q50, q10, q90), "archive", CalibrationConfig())
    assert cal.calibrated and cal.band_weeks == (6, 6) and cal.n_errors == 60
    assert len(set(cal.factors[:6])) == 1 and len(set(cal.factors[6:])) == 1
    assert all(1.4 < f < 2.8 for f in cal.factors)  # truth twice as wide, 30 errors a band
    assert cal.manifest()["weeks_per_band"] == [6, 6]
    assert "horizon weeks pooled into 2 bands" in cal.sentence()


def test_disabled_is_not_calibrated():
    rng = np.random.default_rng(4)
    _, q10, q50, q90, past = _too_narrow(rng, 100)
    cal = calibrate(scaled_errors(past, q50, q10, q90), "archive", CalibrationConfig(enabled=False))
    assert not cal.calibrated


def test_manifest_and_sentence_and_determinism():
    def run():
        rng = np.random.default_rng(5)
        _, q10, q50, q90, past = _too_narrow(rng, 100)
        return calibrate(scaled_errors(past, q50, q10, q90), "rolling_origin", CalibrationConfig())

    a, b = run(), run()
    assert a == b
    record = a.manifest()
    assert record["source"] == "rolling_origin" and record["n_errors"] == 1200
    assert len(record["factors_by_horizon_week"]) == H
    text = a.sentence()
    assert text.startswith("Session p10-p90 widened by ")
    assert "at week 12, from 1200 past forecast errors (in-run rolling origins)." in text


def test_nan_gaps_count_only_happened_weeks():
    scores = np.full((40, 3), np.nan)
    scores[:, 0] = 1.0
    scores[:35, 1] = 2.0
    scores[:10, 2] = 3.0  # week 3 has too few of its own: all three weeks share one band
    cal = calibrate(scores, "archive", CalibrationConfig())
    assert cal.calibrated and cal.n_errors == 85 and cal.band_weeks == (3,)
    scores[:, :] = np.nan
    scores[:29, 0] = 1.0
    cal = calibrate(scores, "archive", CalibrationConfig())
    assert not cal.calibrated and cal.n_errors == 29


def test_archive_scores_by_horizon_week_from_past_runs():
    import pandas as pd

    from forecasting.demand.calibration import ISSUED

    weeks = pd.date_range("2026-01-05", periods=3, freq="W-MON")
    archived = pd.DataFrame(
        {
            "clinic_id": "A",
            "week": weeks,
            ISSUED: pd.Timestamp("2026-01-02"),
            "p10": [8.0, 8.0, 8.0],
            "p50": [10.0, 10.0, 10.0],
            "p90": [12.0, 14.0, 12.0],
        }
    )
    sessions = pd.DataFrame({"clinic_id": "A", "week": weeks[:2], "sessions": [14.0, 6.0]})
    scores = archive_scores(archived, sessions, pd.Timestamp("2026-01-19"), horizon=3)
    # week 1: 4 above p50 over a half-width of 2; week 2: 4 below over 2; week 3 not yet known
    np.testing.assert_allclose(scores, [[2.0, 2.0, np.nan]])


def test_assemble_rescales_session_paths_keeps_p50():
    from forecasting.demand.calibration import Calibration

    cal = Calibration((2.0, 3.0), 100, "archive", True, 30)
    paths = np.array([[1.0, 1.0], [2.0, 2.0], [4.0, 6.0]])
    out = rescale_paths(paths, cal)
    np.testing.assert_allclose(out, [[0.0, 0.0], [2.0, 2.0], [6.0, 14.0]])
    np.testing.assert_allclose(paths, [[1.0, 1.0], [2.0, 2.0], [4.0, 6.0]])  # not mutated


def test_manifest_and_report_settings_carry_the_calibration():
    from forecasting.demand.calibration import Calibration
    from forecasting.demand.summary import DemandSummary
    from forecasting.week import _with_calibration

    cal = Calibration((1.3, 1.6), 240, "archive", True, 30)
    summary = _with_calibration(DemandSummary(), cal)
    assert summary.manifest()["calibration"]["factors_by_horizon_week"] == [1.3, 1.6]
    assert summary.calibration_text == (
        "Session p10-p90 widened by 1.3x at week 1 to 1.6x at week 2, "
        "from 240 past forecast errors (the forecast archive)."
    )
    assert "calibration" not in DemandSummary().manifest()  # manifests of old runs unchanged


def test_report_settings_show_the_sentence():
    from forecasting.report.data import ReportSettings

    shown = dict(ReportSettings(calibration="Session p10-p90 widened by 1.3x.").shown())
    assert shown["calibration"] == "Session p10-p90 widened by 1.3x."
    assert "calibration" not in dict(ReportSettings().shown())


def test_calibrated_archive_is_scored_on_the_modelled_scale(tmp_path):
    """An archived interval widened 2x is scored as if unwidened: the factors do not drift."""
    import pandas as pd

    from forecasting.report.accuracy import archived_forecast, load_archive

    weeks = pd.date_range("2026-01-05", periods=2, freq="W-MON")
    forecast = pd.DataFrame(
        {
            "clinic_id": "A",
            "week": list(weeks) * 2,
            "series": ["sessions", "sessions", "procedure:bbl", "procedure:bbl"],
            "mean": 10.0,
            "p10": [6.0, 6.0, 1.0, 1.0],
            "p50": 10.0,
            "p90": [14.0, 18.0, 3.0, 3.0],
        }
    )
    record = {"calibrated": True, "factors_by_horizon_week": [2.0, 4.0]}
    frame = archived_forecast(forecast, record)
    assert frame["spread_factor"].tolist() == [2.0, 4.0, 1.0, 1.0]
    assert archived_forecast(forecast, {})["spread_factor"].tolist() == [1.0] * 4
    frame.to_parquet(tmp_path / "2026-01-02.parquet")
    forecast.to_parquet(tmp_path / "2025-12-26.parquet")  # written before the column existed
    archived = load_archive(tmp_path, before=pd.Timestamp("2026-02-01").date()).forecasts
    assert set(archived["spread_factor"]) == {1.0, 2.0, 4.0}
    sessions = pd.DataFrame({"clinic_id": "A", "week": weeks, "sessions": [18.0, 2.0]})
    scores = archive_scores(archived, sessions, pd.Timestamp("2026-01-19"), horizon=2)
    # 2026-01-02 run: week 1 8 above over a calibrated half-width of 4 (x2: modelled 2): 2 x 2;
    # week 2 8 below over 4, x4. The older run was not calibrated: plain scores.
    np.testing.assert_allclose(sorted(scores[:, 0]), [2.0, 4.0])
    np.testing.assert_allclose(sorted(scores[:, 1]), [2.0, 8.0])


def _by_class(rng, n_young, n_mature, sd_young=3.0, sd_mature=1.0):
    """Model paths of sd 1 for every clinic; the truth has sd 3 for young, 1 for mature."""
    paths, q10, q50, q90, _ = _too_narrow(rng, 1)
    young = 50.0 + rng.normal(0, sd_young, size=(n_young, H))
    mature = 50.0 + rng.normal(0, sd_mature, size=(n_mature, H))
    scores = scaled_errors(np.vstack([young, mature]), q50, q10, q90)
    return paths, scores, ["young"] * n_young + ["mature"] * n_mature


def test_factors_per_clinic_class_cover_each_class_on_known_distributions():
    """Young errors three times the model's spread, mature ones equal to it: one network
    factor leaves young clinics too narrow and mature ones too wide; a factor per class covers
    80% of each, and p50 does not move."""
    rng = np.random.default_rng(7)
    paths, scores, labels = _by_class(rng, 100, 300)
    classes = {"Y": "young", "M": "mature", "S": "shifted"}
    cal = calibrate(scores, "rolling_origin", EXACT, row_classes=labels, clinic_class=classes)
    assert dict(cal.class_errors) == {"young": 100 * H, "mature": 300 * H}
    young, mature = dict(cal.by_class)["young"], dict(cal.by_class)["mature"]
    assert all(2.3 < f < 4.2 for f in young) and all(0.8 < f < 1.25 for f in mature)
    assert cal.factors_for("S") == cal.factors  # no errors of its own: the network's
    assert cal.factors_for("unknown") == cal.factors
    fresh = {k: 50.0 + rng.normal(0, sd, size=(5000, H)) for k, sd in (("Y", 3.0), ("M", 1.0))}
    network = rescale_paths(paths, calibrate(scores, "rolling_origin", EXACT))
    assert _coverage(network, fresh["Y"]) < 0.7 and _coverage(network, fresh["M"]) > 0.9
    for clinic in ("Y", "M"):
        mine = rescale_paths(paths, cal, clinic)
        assert abs(_coverage(mine, fresh[clinic]) - 0.8) < 0.04
        np.testing.assert_allclose(np.median(mine, axis=0), np.median(paths, axis=0))
    record = cal.manifest()
    assert record["class_by_clinic"] == {"M": "mature", "S": "shifted", "Y": "young"}
    assert set(record["factors_by_class"]) == {"young", "mature"}
    assert "; mature clinics 0.9x-1.2x; young clinics 2.6x-4.0x." in cal.sentence()


def test_level_offset_moves_coverage_by_its_size():
    rng = np.random.default_rng(8)
    paths, q10, q50, q90, past = _too_narrow(rng, 400)
    scores = scaled_errors(past, q50, q10, q90)
    fresh = 50.0 + rng.normal(0, 2.0, size=(5000, H))
    lower = calibrate(scores, "archive", CalibrationConfig(level_offset=-0.05))
    assert abs(_coverage(rescale_paths(paths, lower), fresh) - 0.75) < 0.03


def test_classes_none_and_small_classes_keep_the_network_factor():
    rng = np.random.default_rng(9)
    _, scores, labels = _by_class(rng, 2, 300)  # young: 24 errors, under min_errors
    cal = calibrate(scores, "archive", EXACT, row_classes=labels, clinic_class={"Y": "young"})
    assert "young" not in dict(cal.by_class) and cal.factors_for("Y") == cal.factors
    off = CalibrationConfig(level_offset=0.0, classes="none")
    assert calibrate(scores, "archive", off, row_classes=labels).by_class == ()


def test_archive_keeps_each_clinics_class_factor():
    import pandas as pd

    from forecasting.report.accuracy import archived_forecast

    week = pd.Timestamp("2026-01-05")
    forecast = pd.DataFrame(
        {"clinic_id": ["A", "B"], "week": week, "series": "sessions", "mean": 10.0,
         "p10": 6.0, "p50": 10.0, "p90": 14.0}
    )  # fmt: skip
    record = {
        "calibrated": True, "factors_by_horizon_week": [1.5],
        "factors_by_class": {"young": [3.0]}, "class_by_clinic": {"A": "young", "B": "mature"},
    }  # fmt: skip
    assert archived_forecast(forecast, record)["spread_factor"].tolist() == [3.0, 1.5]


def test_clinic_classes_by_age_and_level_shift():
    import pandas as pd

    from forecasting.demand.clinic_classes import clinic_classes

    cutoff = pd.Timestamp("2026-01-05")
    weeks = pd.date_range(end=cutoff - pd.Timedelta(weeks=1), periods=200, freq="W-MON")
    old = pd.DataFrame({"clinic_id": "old", "week": weeks, "sessions": 40.0})
    new = pd.DataFrame({"clinic_id": "new", "week": weeks[-50:], "sessions": 20.0})
    jump = old.assign(clinic_id="jump", sessions=np.where(np.arange(200) >= 190, 60.0, 40.0))
    sessions = pd.concat([old, new, jump], ignore_index=True)
    procedures = pd.DataFrame({"clinic_id": ["new"], "week": [weeks[-60]], "completed": [1]})
    config = CalibrationConfig()
    assert clinic_classes(procedures, sessions, cutoff, config) == {
        "jump": "mature", "new": "young", "old": "mature",
    }  # fmt: skip
    shift = CalibrationConfig(classes="age_shift")
    assert clinic_classes(procedures, sessions, cutoff, shift)["jump"] == "shifted"
    # 100 weeks earlier, "new" (first active 60 weeks before the cut-off) had no rows; the
    # others were active from the data's first week: opened before the export, so mature
    earlier = clinic_classes(procedures, sessions, cutoff - pd.Timedelta(weeks=100), config)
    assert earlier == {"jump": "mature", "old": "mature"}
    later = sessions.loc[sessions["clinic_id"] != "new"].assign(
        clinic_id=lambda f: f["clinic_id"].where(f["week"] > weeks[150], "late_" + f["clinic_id"])
    )  # "late_*" clinics active from the start, "old" and "jump" only in the last 49 weeks
    assert clinic_classes(procedures.iloc[:0], later, cutoff, config)["old"] == "young"
    assert clinic_classes(procedures, sessions, cutoff, config, clinics=["zzz"]) == {"zzz": "young"}
