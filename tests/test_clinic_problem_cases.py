"""Issue 13.3: every clinic-level case is that clinic's problem; the other clinics are unchanged.

Each case breaks one clinic of a three-clinic demo network and compares the other clinics'
forecast and staffing with the network without that clinic at all: a broken clinic changes
nothing for the others beyond what its absence would.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from forecasting import columns as C
from forecasting.staffing.problems import (
    ALL_REJECTED,
    NO_DATA,
    NO_ROSTER,
    ONLY_BOOKINGS,
    SHORT_HISTORY,
    STALE_DATA,
)

_END = date(2025, 7, 1)
_AS_OF = date(2025, 6, 2)
_CUTOFF = pd.Timestamp("2025-06-02")


@pytest.fixture
def network(demo_exports, tmp_path):
    """(procedures, sessions, roster, bookings) of a 3-clinic demo, processed."""
    from forecasting.config import Config
    from forecasting.ingest.folder import ingest
    from forecasting.ingest.store import load_bookings, load_processed, write_processed

    demo_exports(tmp_path / "raw", clinics=3, years=2, seed=3, end=_END)
    write_processed(ingest(tmp_path / "raw", Config().ingest, _END), tmp_path / "processed")
    procedures, sessions, roster = load_processed(tmp_path / "processed")
    return procedures, sessions, roster, load_bookings(tmp_path / "processed")


def _config():
    from forecasting.config import Config

    return Config.model_validate({"model": {"name": "seasonal_naive"}, "n_paths": 100})


def _inputs(procedures, sessions, roster, bookings, **changes):
    from forecasting.week import cut_inputs

    inputs = cut_inputs(procedures, sessions, roster, _AS_OF, bookings=bookings)
    return replace(inputs, **changes) if changes else inputs


def _without(frame: pd.DataFrame, clinic: str) -> pd.DataFrame:
    return frame[frame[C.CLINIC] != clinic].reset_index(drop=True)


def _others(frame: pd.DataFrame, clinic: str) -> pd.DataFrame:
    return _without(frame, clinic).sort_values(list(frame.columns[:3])).reset_index(drop=True)


def _assert_others_unchanged(broken, absent, clinic: str) -> None:
    pd.testing.assert_frame_equal(
        _others(broken.forecast, clinic), _others(absent.forecast, clinic)
    )
    pd.testing.assert_frame_equal(
        _others(broken.staffing, clinic), _others(absent.staffing, clinic)
    )
    assert len(_others(absent.staffing, clinic)) > 0


def _absent(network, clinic: str):
    """The run of the network without ``clinic`` in any frame (roster included)."""
    from forecasting.week import run_week

    frames = [_without(f, clinic) for f in network]
    return run_week(_inputs(*frames), _config())


def _kinds(result) -> list[tuple[str, str]]:
    return [(p.clinic_id, p.kind) for p in result.problems]


def test_a_rostered_clinic_with_only_scheduled_rows_is_named_and_the_others_unchanged(
    network,
) -> None:
    from forecasting.week import run_week

    procedures, sessions, roster, bookings = network
    gone = sorted(roster[C.CLINIC].unique())[1]
    future = pd.DataFrame(
        {
            C.CLINIC: gone,
            C.PROCEDURE: "liposuction",
            C.WEEK: pd.date_range(_CUTOFF, periods=3, freq="W-MON"),
            C.SCHEDULED: [4.0, 3.0, 1.0],
        }
    )
    inputs = _inputs(
        _without(procedures, gone), _without(sessions, gone), roster, _without(bookings, gone)
    )
    inputs = replace(inputs, scheduled=pd.concat([inputs.scheduled, future], ignore_index=True))
    broken = run_week(inputs, _config())
    assert _kinds(broken) == [(gone, ONLY_BOOKINGS)]
    text = broken.problems[0].text()
    assert text.startswith(f"{gone}: the exports hold only scheduled (future) procedures")
    assert "export its completed procedures and attended sessions" in text
    assert gone not in set(broken.staffing[C.CLINIC])  # no figures, said in words instead
    _assert_others_unchanged(broken, _absent(network, gone), gone)


def test_a_clinic_whose_every_row_was_rejected_is_named_with_the_quarantine(network) -> None:
    from forecasting.week import run_week

    procedures, sessions, roster, bookings = network
    gone = sorted(roster[C.CLINIC].unique())[0]
    frames = [_without(f, gone) for f in (procedures, sessions)]
    broken = run_week(
        _inputs(*frames, roster, _without(bookings, gone), rejected={gone: 1234}), _config()
    )
    assert _kinds(broken) == [(gone, ALL_REJECTED)]
    assert "every export row of this clinic was rejected (1,234 rows in quarantine)" in (
        broken.problems[0].sentence
    )
    assert "quarantine folder" in broken.problems[0].fix
    _assert_others_unchanged(broken, _absent(network, gone), gone)


def test_a_rare_unrostered_rejected_id_is_a_typo_not_a_clinic(network) -> None:
    from forecasting.week import run_week

    result = run_week(_inputs(*network, rejected={"harbr": 2, "ghost": 40}), _config())
    assert _kinds(result) == [("ghost", ALL_REJECTED)]  # 2 rows (< 5): counted, never named


def test_a_rostered_clinic_in_no_export_is_named(network) -> None:
    from forecasting.week import run_week

    procedures, sessions, roster, bookings = network
    extra = roster.iloc[:1].assign(**{C.CLINIC: "newtown", C.THERAPIST: "t-new"})
    result = run_week(
        _inputs(procedures, sessions, pd.concat([roster, extra]), bookings), _config()
    )
    assert _kinds(result) == [("newtown", NO_DATA)]


def _young(frame: pd.DataFrame, clinic: str, weeks: int) -> pd.DataFrame:
    start = _CUTOFF - pd.Timedelta(weeks=weeks)
    keep = (frame[C.CLINIC] != clinic) | (pd.to_datetime(frame[C.WEEK]) >= start)
    return frame[keep].reset_index(drop=True)


def test_a_clinic_with_three_weeks_borrows_the_networks_shape_at_its_own_level(network) -> None:
    from forecasting.week import run_week

    procedures, sessions, roster, bookings = network
    young = sorted(roster[C.CLINIC].unique())[0]
    procedures, sessions = _young(procedures, young, 3), _young(sessions, young, 3)
    result = run_week(_inputs(procedures, sessions, roster, bookings), _config())
    assert _kinds(result) == [(young, SHORT_HISTORY)]
    assert "only 3 weeks of history (< model.min_clinic_weeks 13)" in result.problems[0].sentence
    models = result.models[result.models[C.CLINIC] == young]
    assert set(models["model"]) == {"pooled"}
    assert models["fallback_reason"].str.contains("min_clinic_weeks").all()
    # every other series keeps the configured model
    assert set(result.models.loc[result.models[C.CLINIC] != young, "model"]) == {"seasonal_naive"}
    from forecasting.week import forecast_one

    inputs = _inputs(procedures, sessions, roster, bookings)
    histories = {k: h for k, h in inputs.histories().items() if k[0] == young}
    own = sum(h[C.Y].sum() for h in histories.values()) / 3  # ~ procedures a week
    raw = sum(forecast_one(k, h, _config()).paths.mean() for k, h in histories.items())
    assert own > 20  # the demo clinic's volume
    assert 0.7 * own < raw < 1.3 * own  # its own level, not a collapse (2.2 a week before)


def test_a_young_clinic_can_opt_out_of_borrowing(network) -> None:
    from forecasting.config import Config
    from forecasting.week import run_week

    procedures, sessions, roster, bookings = network
    young = sorted(roster[C.CLINIC].unique())[0]
    frames = (_young(procedures, young, 3), _young(sessions, young, 3), roster, bookings)
    config = Config.model_validate(
        {"model": {"name": "seasonal_naive", "min_clinic_weeks": 1}, "n_paths": 100}
    )
    result = run_week(_inputs(*frames), config)
    assert result.problems == ()
    assert "pooled" not in set(result.models["model"])


def test_stale_data_is_the_clinics_problem_with_its_age(network) -> None:
    from forecasting.week import run_week

    procedures, sessions, roster, bookings = network
    old = sorted(roster[C.CLINIC].unique())[2]
    end = _CUTOFF - pd.Timedelta(weeks=5)  # newest week: cutoff - 6 -> 5 weeks behind

    def cut(frame: pd.DataFrame) -> pd.DataFrame:
        late = (frame[C.CLINIC] == old) & (pd.to_datetime(frame[C.WEEK]) >= end)
        return frame[~late].reset_index(drop=True)

    result = run_week(_inputs(cut(procedures), cut(sessions), roster, bookings), _config())
    assert _kinds(result) == [(old, STALE_DATA)]
    assert result.problems[0].sentence.startswith("its newest data is 5 weeks older")
    assert "report.max_missing_weeks 1" in result.problems[0].sentence
    assert old in set(result.staffing[C.CLINIC])  # still forecast; the report withholds advice


def test_several_problem_clinics_in_one_network(network) -> None:
    """No roster, only bookings, every row rejected, a new clinic and stale data at once."""
    from forecasting.week import run_week

    procedures, sessions, roster, bookings = network
    a, b, c = sorted(roster[C.CLINIC].unique())
    # a: three weeks old; b: stale (6 weeks behind) and off the roster; c: intact
    procedures, sessions = _young(procedures, a, 3), _young(sessions, a, 3)

    def stale(frame: pd.DataFrame) -> pd.DataFrame:
        late = (frame[C.CLINIC] == b) & (
            pd.to_datetime(frame[C.WEEK]) >= _CUTOFF - pd.Timedelta(weeks=6)
        )
        return frame[~late].reset_index(drop=True)

    procedures, sessions = stale(procedures), stale(sessions)
    # "booked": rostered, only future scheduled rows; "ghost": rostered, every row rejected
    extra = pd.concat(
        [roster.iloc[:1].assign(**{C.CLINIC: name, C.THERAPIST: f"t-{name}"})
         for name in ("booked", "ghost")]
    )  # fmt: skip
    inputs = _inputs(
        procedures, sessions, pd.concat([_without(roster, b), extra]), bookings,
        rejected={"ghost": 17},
    )  # fmt: skip
    future = pd.DataFrame(
        {C.CLINIC: "booked", C.PROCEDURE: "bbl", C.WEEK: [_CUTOFF], C.SCHEDULED: [2.0]}
    )
    inputs = replace(inputs, scheduled=pd.concat([inputs.scheduled, future], ignore_index=True))
    result = run_week(inputs, _config())
    expected = [
        (a, SHORT_HISTORY),
        (b, NO_ROSTER),
        (b, STALE_DATA),
        ("booked", ONLY_BOOKINGS),
        ("ghost", ALL_REJECTED),
    ]
    assert _kinds(result) == sorted(expected, key=lambda k: k[0])  # by clinic, stable
    # every clinic with data is forecast and staffed; the clinics without data change nothing
    assert set(result.staffing[C.CLINIC]) == {a, b, c}
    plain = run_week(_inputs(procedures, sessions, _without(roster, b), bookings), _config())
    assert _kinds(plain) == [(a, SHORT_HISTORY), (b, NO_ROSTER), (b, STALE_DATA)]
    pd.testing.assert_frame_equal(result.forecast, plain.forecast)
    pd.testing.assert_frame_equal(result.staffing, plain.staffing)


def test_rejected_rows_are_counted_per_clinic_from_the_quarantine(demo_exports, tmp_path) -> None:
    from forecasting.config import Config
    from forecasting.ingest.folder import ingest
    from forecasting.ingest.rejected import rejected_by_clinic
    from forecasting.ingest.store import write_processed

    raw = tmp_path / "raw"
    demo_exports(raw, clinics=1, years=1, seed=3, end=_END)
    rows = "\n".join(f"not a date,ghost,liposuction,{i}" for i in range(1, 8))
    (raw / "procedures_ghost.csv").write_text(f"date,clinic_id,procedure,count\n{rows}\n")
    (raw / "sessions_ghost.csv").write_text(
        "date,clinic_id,count\n2099-99-99,ghost,3\n2025-02-30, ghost ,1\n"
    )
    write_processed(ingest(raw, Config().ingest, _END), tmp_path / "processed")
    counts = rejected_by_clinic(tmp_path / "processed")
    assert counts.get("ghost") == 9
    assert rejected_by_clinic(tmp_path / "nothing") == {}


# ----------------------------------------------------------------------------------------------
# End to end: `lymphcast weekly` as operations run it


def _weekly(tmp_path, as_of: str):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    config = tmp_path / "fast.toml"
    config.write_text('[model]\nname = "seasonal_naive"\n[orchestration]\nmin_free_mb = 0\n')
    command = [sys.executable, "-m", "lymphcast", "weekly", "--as-of", as_of]
    command += ["--config", str(config), "--raw", str(tmp_path / "raw")]
    command += ["--processed", str(tmp_path / "p"), "--reports", str(tmp_path / "reports")]
    return subprocess.run(command, cwd=root, capture_output=True, text=True)


def _page_text(path) -> str:
    import html
    import re

    page = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", path.read_text(), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


@pytest.mark.slow
def test_weekly_with_problem_clinics_completes_for_the_others_and_exits_3(tmp_path) -> None:
    import json

    from forecasting.demo import generate_demo

    raw = tmp_path / "raw"
    generate_demo(raw, clinics=2, years=1, seed=3, end=date(2026, 11, 30), services=("mld",))
    roster = pd.read_csv(raw / "roster.csv", dtype=str)
    extra = roster.iloc[:2].assign(clinic_id=["booked", "ghost"], therapist_id=["tb", "tg"])
    pd.concat([roster, extra]).to_csv(raw / "roster.csv", index=False)
    bad = "\n".join(f"30/02/2026,ghost,liposuction,{i}" for i in range(6))
    (raw / "procedures_ghost.csv").write_text(f"date,clinic_id,procedure,count\n{bad}\n")
    (raw / "procedures_booked.csv").write_text(
        "date,clinic_id,procedure,status\n"
        "2026-12-08,booked,liposuction,scheduled\n2026-12-15,booked,bbl,scheduled\n"
    )
    done = _weekly(tmp_path, "2026-11-30")
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning:")]
    assert [w.split(":")[1].strip() for w in warnings] == ["booked", "ghost"], warnings
    assert "only scheduled (future) procedures" in warnings[0]
    assert "every export row of this clinic was rejected (6 rows in quarantine)" in warnings[1]
    folder = next((tmp_path / "reports").glob("2026-W*"))
    manifest = json.loads((folder / "run_manifest.json").read_text())
    kinds = [(p["clinic_id"], p["kind"]) for p in manifest["problems"]]
    assert kinds == [("booked", ONLY_BOOKINGS), ("ghost", ALL_REJECTED)]
    staffing = pd.read_csv(folder / "staffing.csv")
    assert set(staffing[C.CLINIC]) == {"bayview", "harbor"}  # the others, in full
    assert staffing.groupby(C.CLINIC).size().tolist() == [12, 12]
    text = _page_text(folder / "index.html")
    assert "2 clinics need attention: booked (the exports hold only scheduled" in text
    pages = {p.name.split("-")[0]: p for p in (folder / "clinics").glob("*.html")}
    assert set(pages) == {"bayview", "booked", "ghost", "harbor"}
    assert "Every export row of this clinic was rejected" in _page_text(pages["ghost"])
    assert not list((tmp_path / "reports").glob("*.FAILED.md"))


@pytest.mark.slow
def test_weekly_long_after_the_last_data_leads_with_stale_data_and_gives_no_advice(
    tmp_path,
) -> None:
    from forecasting.demo import generate_demo

    generate_demo(
        tmp_path / "raw", clinics=2, years=1, seed=3, end=date(2023, 11, 27), services=("mld",)
    )
    done = _weekly(tmp_path, "2026-12-14")  # 161 weeks after the last data
    assert done.returncode == 3, done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2 and all("weeks older than the last complete week" in w
                                      for w in warnings)  # fmt: skip
    folder = tmp_path / "reports" / "2026-W51"
    text = _page_text(folder / "index.html")
    summary = text[text.index("Network summary") :]
    assert summary.split(" ", 3)[2] == "Stale" or summary.startswith("Network summary Stale data")
    assert "roster covers" not in text
    for page in (folder / "clinics").glob("*.html"):
        clinic = _page_text(page)
        assert "Data is 159 weeks old: export again" in clinic and "roster covers" not in clinic


def test_a_clinic_that_opens_after_the_cutoff_is_no_problem(network) -> None:
    from forecasting.week import run_week

    procedures, sessions, roster, bookings = network
    later = roster.iloc[:1].assign(
        **{C.CLINIC: "opening", C.THERAPIST: "t-o", C.START_DATE: _CUTOFF + pd.Timedelta(weeks=2)}
    )
    inputs = _inputs(procedures, sessions, pd.concat([roster, later]), bookings)
    future = pd.DataFrame(
        {C.CLINIC: "opening", C.PROCEDURE: "bbl", C.WEEK: [_CUTOFF], C.SCHEDULED: [2.0]}
    )
    inputs = replace(inputs, scheduled=pd.concat([inputs.scheduled, future], ignore_index=True))
    assert run_week(inputs, _config()).problems == ()
