"""Past forecasts against what happened: archive reading, matching and plain-word errors."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from forecasting.report.accuracy import Accuracy, accuracy, compare, load_archive

CUTOFF = pd.Timestamp("2026-11-23")


def _forecast(weeks: list[str], p50: list[float], clinic: str = "north") -> pd.DataFrame:
    rows = []
    for week, mid in zip(weeks, p50, strict=True):
        rows.append((clinic, pd.Timestamp(week), "sessions", mid, mid - 5, mid, mid + 5))
        rows.append((clinic, pd.Timestamp(week), "procedures:bbl", 3.0, 1.0, 3.0, 5.0))
    return pd.DataFrame(rows, columns=["clinic_id", "week", "series", "mean", "p10", "p50", "p90"])


def test_load_archive_reads_earlier_session_forecasts_and_names_broken_files(tmp_path) -> None:
    _forecast(["2026-11-02", "2026-11-09"], [50, 52]).to_parquet(tmp_path / "2026-11-02.parquet")
    _forecast(["2026-11-09"], [60]).to_parquet(tmp_path / "2026-11-09.parquet")
    _forecast(["2026-11-23"], [99]).to_parquet(tmp_path / "2026-11-23.parquet")  # this run
    _forecast(["2026-01-05"], [1]).to_parquet(tmp_path / "2025-12-29.parquet")  # too old
    (tmp_path / "2026-11-16.parquet").write_bytes(b"not parquet")
    (tmp_path / "notes.parquet").write_bytes(b"not an archive file")

    archive = load_archive(tmp_path, before=date(2026, 11, 23), since=date(2026, 6, 1))
    got = archive.forecasts.sort_values(["issued", "week"])
    assert got["issued"].dt.strftime("%Y-%m-%d").tolist() == [
        "2026-11-02",
        "2026-11-02",
        "2026-11-09",
    ]
    assert got["p50"].tolist() == [50, 52, 60]  # sessions only
    assert len(archive.unreadable) == 1
    assert "2026-11-16.parquet could not be read" in archive.unreadable[0]
    assert "restore or delete it" in archive.unreadable[0]
    assert load_archive(tmp_path / "missing", before=date(2026, 11, 23)).forecasts.empty


def test_compare_uses_the_latest_forecast_before_each_week_and_known_actuals() -> None:
    archived = pd.DataFrame(
        [
            ("north", "2026-11-02", "2026-10-26", 40, 50, 60),
            ("north", "2026-11-09", "2026-10-26", 40, 50, 60),
            ("north", "2026-11-09", "2026-11-09", 50, 55, 58),  # later run wins
            ("north", "2026-11-16", "2026-11-09", 50, 55, 60),  # after north's last actual
            ("north", "2026-10-05", "2026-09-28", 1, 2, 3),  # outside the 4-week window
            ("south", "2026-11-09", "2026-11-02", 5, 10, 15),  # no session row: 0 sessions
        ],
        columns=["clinic_id", "week", "issued", "p10", "p50", "p90"],
    ).astype({"week": "datetime64[ns]", "issued": "datetime64[ns]"})
    sessions = pd.DataFrame(
        [
            ("north", "2026-11-02", 48),
            ("north", "2026-11-09", 60),
            ("south", "2026-11-02", 9),
            ("south", "2026-11-16", 11),
        ],
        columns=["clinic_id", "week", "sessions"],
    )
    got = compare(archived, sessions, CUTOFF, weeks=4)
    assert got[["clinic_id", "week", "p50", "actual"]].astype({"week": str}).values.tolist() == [
        ["north", "2026-11-02", 50, 48.0],
        ["north", "2026-11-09", 55, 60.0],
        ["south", "2026-11-09", 10, 0.0],
    ]
    assert got.loc[1, "issued"] == pd.Timestamp("2026-11-09")


def test_accuracy_in_plain_words() -> None:
    rows = pd.DataFrame(
        {
            "p10": [70.0, 70.0, 80.0, 86.0],
            "p50": [80.0, 80.0, 86.0, 90.0],
            "p90": [90.0, 90.0, 92.0, 94.0],
            "actual": [78.0, 80.0, 82.0, 84.0],
        }
    )
    score = accuracy(rows)
    assert score == Accuracy(weeks=4, wape=12 / 324, bias=12 / 324, inside=3, mean_abs_error=3.0)
    assert score.sentence(4) == (
        "Last 4 weeks: forecasts were within 4% of actual sessions on average; 3 of 4 weeks fell "
        "inside the forecast range (p10–p90); they ran 4% high."
    )
    assert score.sentence(8).startswith("The 4 of the last 8 weeks with an archived forecast:")
    low = accuracy(rows.assign(p50=rows["actual"] - 10))
    assert low.sentence(4).endswith("they ran 12% low.")
    assert accuracy(rows.iloc[:0]) is None


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        (0.0, "forecasts were off by about 3 sessions a week on average (no sessions happened"),
        (5.0, "the week fell outside the forecast range"),
    ],
)
def test_accuracy_of_one_quiet_week(actual: float, expected: str) -> None:
    score = accuracy(pd.DataFrame({"p10": [1.0], "p50": [3.0], "p90": [4.0], "actual": [actual]}))
    assert expected in score.sentence(8)
