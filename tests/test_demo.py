"""Tests of the synthetic raw-export generator (forecasting.demo)."""

from __future__ import annotations

import re
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from forecasting.columns import PROCEDURE_TYPES
from forecasting.config import Pathway, default_pathways
from forecasting.demo import DemoResult, generate_demo
from forecasting.errors import ConfigError

END = date(2025, 3, 17)  # a Monday
MLD = {"MLD", "Lymphatic Drainage Massage"}
# clinic -> (separator, date column, date format, status column) of its procedure export
FORMATS = {
    "bayview": (",", "date", "%Y-%m-%d", "status"),
    "harbor": (";", "Date of Service", "%m/%d/%Y", "Status"),
    "northgate": (",", "Surgery Date", "%d-%b-%Y", "Status"),
    "riverside": (",", "DOS", "%Y-%m-%d", "Status"),
    "summit": ("\t", "procedure_date", "%Y-%m-%d", "status"),
    "westend": (None, "Date", None, "Status"),
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    """The MLD-only demo (tests/test_demo_services.py: the other services)."""
    out = tmp_path_factory.mktemp("raw")
    return generate_demo(out, clinics=6, years=2, seed=3, end=END, services=("mld",))


def _procedures(path: Path) -> pd.DataFrame:
    """Read one raw procedure export; columns date (datetime), status (lower case)."""
    clinic = path.stem.split("_", 1)[1]
    sep, date_col, fmt, status_col = FORMATS[clinic]
    if path.suffix == ".xlsx":
        frame = pd.read_excel(path)
        dates = pd.to_datetime(frame[date_col])
    else:
        frame = pd.read_csv(path, sep=sep, encoding="utf-8-sig", dtype=str)
        dates = pd.to_datetime(frame[date_col], format=fmt)
    return frame.assign(_date=dates, _status=frame[status_col].str.lower())


def _sessions(demo: DemoResult) -> pd.DataFrame:
    frames = [pd.read_csv(f) for f in demo.files if f.name.startswith("sessions_")]
    out = pd.concat(frames, ignore_index=True)
    return out.assign(date=pd.to_datetime(out["date"]))


def test_files_and_kinds(demo: DemoResult) -> None:
    names = [f.name for f in demo.files]
    assert names == sorted(names)
    kinds = {n.split("_")[0].split(".")[0] for n in names}
    assert kinds == {"procedures", "sessions", "roster", "clinics"}
    clinics = ["bayview", "harbor", "northgate", "riverside", "summit", "westend"]
    for c in clinics:
        assert f"sessions_{c}.csv" in names
    assert "procedures_westend.xlsx" in names
    assert sum(n.startswith("procedures_") for n in names) == 6
    assert "roster.csv" in names and "clinics.csv" in names  # clinics: the regions
    out = demo.files[0].parent
    assert sorted(p.name for p in out.iterdir()) == names  # truth is returned, never written
    assert set(demo.rows) == set(names)


def test_row_counts_match_files(demo: DemoResult) -> None:
    for f in demo.files:
        if f.suffix == ".csv":
            with f.open(encoding="utf-8-sig", newline="") as fh:
                lines = sum(1 for _ in fh) - 1
            assert demo.rows[f.name] == lines, f.name
        else:
            assert demo.rows[f.name] == len(pd.read_excel(f))


def test_procedure_files_keep_patient_identifiers(demo: DemoResult) -> None:
    for f in demo.files:
        if not f.name.startswith("procedures_"):
            continue
        frame = _procedures(f)
        normalised = {re.sub(r"[^a-z]", "", c.lower()) for c in frame.columns}
        ids = {"patientid", "mrn", "patientname", "firstname", "lastname", "dob", "phone", "email"}
        assert normalised & ids, f.name
        assert len(normalised & ids) >= 2, f.name


def test_formats_vary_per_clinic(demo: DemoResult) -> None:
    out = demo.files[0].parent
    riverside = (out / "procedures_riverside.csv").read_bytes()
    assert riverside.startswith(b"\xef\xbb\xbf")
    harbor = (out / "procedures_harbor.csv").read_bytes()
    assert harbor.startswith(b"Date of Service;Clinic;Procedure Name;Status;Booked On;MRN;")
    assert b"\r\n" in harbor
    # US month-first dates are recognisable: some day-of-month is above 12
    days = [int(m) for m in re.findall(rb"\n\d\d/(\d\d)/\d{4};", harbor)]
    assert max(days) > 12
    northgate = (out / "procedures_northgate.csv").read_text(encoding="utf-8")
    assert northgate.startswith("Surgery Date,Location,Procedure Type,")
    assert re.search(r"\n\d\d-[A-Z][a-z]{2}-\d{4},northgate,", northgate)
    assert (
        (out / "procedures_bayview.csv")
        .read_text()
        .startswith("date,clinic_id,procedure,status,booked_on,patient_id,patient_name\n")
    )
    assert "\t" in (out / "procedures_summit.csv").read_text().splitlines()[0]
    names = set()
    for f in demo.files:
        if f.name.startswith("procedures_"):
            frame = _procedures(f)
            col = [c for c in frame.columns if "proc" in c.lower()][0]
            names |= set(frame[col])
    assert {"Liposuction", "Lipo 360", "Tummy Tuck", "BBL", "Mastopexy", "Facelift"} <= names


def test_same_seed_identical_bytes_different_seed_differs(tmp_path: Path) -> None:
    kwargs = {"clinics": 6, "years": 1, "end": END}
    a = generate_demo(tmp_path / "a", seed=7, **kwargs)
    b = generate_demo(tmp_path / "b", seed=7, **kwargs)
    c = generate_demo(tmp_path / "c", seed=8, **kwargs)
    assert [f.name for f in a.files] == [f.name for f in b.files]
    for fa, fb in zip(a.files, b.files, strict=True):
        assert fa.read_bytes() == fb.read_bytes(), fa.name
    pd.testing.assert_frame_equal(a.truth, b.truth)
    # every export is drawn from the seed but the clinics list (names and regions, no draws)
    pairs = [(fa, fc) for fa, fc in zip(a.files, c.files, strict=True) if fa.name != "clinics.csv"]
    assert all(fa.read_bytes() != fc.read_bytes() for fa, fc in pairs)


def test_xlsx_has_fixed_timestamps(demo: DemoResult) -> None:
    path = next(f for f in demo.files if f.suffix == ".xlsx")
    with zipfile.ZipFile(path) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2020, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert "2020-01-01T00:00:00Z" in core


def test_recently_opened_clinic_has_no_earlier_rows(demo: DemoResult) -> None:
    out = demo.files[0].parent
    opened = pd.Timestamp(END - timedelta(weeks=30))
    summit = _procedures(out / "procedures_summit.csv")
    assert summit["_date"].min() >= opened
    assert summit["_date"].min() < opened + pd.Timedelta(days=7)
    sessions = _sessions(demo)
    assert sessions.loc[sessions["clinic_id"] == "summit", "date"].min() >= opened
    assert sessions.loc[sessions["clinic_id"] == "bayview", "date"].min() < opened
    truth = demo.truth[demo.truth["clinic_id"] == "summit"]
    assert truth["week"].min() == opened
    roster = pd.read_csv(out / "roster.csv")
    starts = pd.to_datetime(roster.loc[roster["clinic_id"] == "summit", "start_date"])
    assert (starts >= opened).all()


def test_december_busier_than_august(demo: DemoResult) -> None:
    frames = [_procedures(f) for f in demo.files if f.name.startswith("procedures_")]
    done = pd.concat(frames)
    done = done[done["_status"] == "completed"]
    month = done["_date"].dt.month
    per_year = done.groupby([done["_date"].dt.year, month]).size()
    december = per_year.xs(12, level=1).mean()
    august = per_year.xs(8, level=1).mean()
    assert december > 1.2 * august
    assert (done["_date"].dt.day_of_week == 6).sum() == 0  # no Sunday surgery
    christmas = done["_date"].dt.strftime("%m-%d").isin(["12-25", "01-01"])
    assert christmas.sum() == 0


def test_scheduled_procedures_are_booked_before_end(demo: DemoResult) -> None:
    out = demo.files[0].parent
    frame = pd.read_csv(out / "procedures_bayview.csv", parse_dates=["date", "booked_on"])
    end = pd.Timestamp(END)
    scheduled = frame[frame["status"] == "scheduled"]
    assert len(scheduled) > 0
    assert (scheduled["date"] >= end).all()
    assert (scheduled["booked_on"] < end).all()
    assert (frame.loc[frame["status"] != "scheduled", "date"] < end).all()
    assert (frame["booked_on"] < frame["date"]).all()
    assert 0.005 < (frame["status"] == "cancelled").mean() < 0.05
    ahead = (scheduled["date"] - end).dt.days // 7
    truth = demo.truth[(demo.truth["clinic_id"] == "bayview") & (demo.truth["week"] >= end)]
    expected = truth.filter(like="expected_procedures_").sum(axis=1).to_numpy()
    share = ahead.value_counts().sort_index().reindex(range(8), fill_value=0) / expected
    assert share.iloc[0] > 0.6 and share.iloc[7] < 0.4
    assert share.iloc[0] > share.iloc[7]


def test_sessions_have_statuses_and_other_services(demo: DemoResult) -> None:
    sessions = _sessions(demo)
    assert list(sessions.columns) == ["date", "clinic_id", "service", "status", "patient_id"]
    assert set(sessions["status"]) == {"attended", "no_show", "cancelled"}
    other = ~sessions["service"].isin(MLD)
    assert set(sessions.loc[other, "service"]) == {"Swedish Massage", "Deep Tissue Massage"}
    assert 0.05 < other.mean() < 0.15
    assert sessions["date"].max() < pd.Timestamp(END)
    # post-surgical sessions belong to patients from the procedure export
    out = demo.files[0].parent
    patients = set(pd.read_csv(out / "procedures_bayview.csv")["patient_id"])
    bay = sessions[(sessions["clinic_id"] == "bayview") & sessions["service"].isin(MLD)]
    assert bay["patient_id"].isin(patients).mean() > 0.9


def test_truth_columns_and_agreement_with_sessions(demo: DemoResult) -> None:
    truth = demo.truth
    expected_cols = ["clinic_id", "week", "expected_sessions"] + [
        f"expected_procedures_{t}" for t in PROCEDURE_TYPES
    ]
    assert list(truth.columns) == expected_cols
    assert pd.api.types.is_datetime64_any_dtype(truth["week"])
    assert (truth["week"].dt.day_of_week == 0).all()
    assert (truth["expected_sessions"] > 0).all()
    assert truth["week"].max() == pd.Timestamp(END + timedelta(weeks=7))
    assert not truth.duplicated(["clinic_id", "week"]).any()
    sessions = _sessions(demo)
    counted = sessions[sessions["service"].isin(MLD) & (sessions["status"] != "cancelled")]
    observed = len(counted)
    expected = truth.loc[truth["week"] < pd.Timestamp(END), "expected_sessions"].sum()
    assert observed == pytest.approx(expected, rel=0.05)


def test_roster_sized_near_demand(demo: DemoResult) -> None:
    out = demo.files[0].parent
    roster = pd.read_csv(out / "roster.csv")
    assert list(roster.columns) == [
        "clinic_id",
        "therapist_id",
        "weekly_hours",
        "start_date",
        "end_date",
    ]
    assert roster["therapist_id"].is_unique
    assert set(roster["weekly_hours"]) <= {16, 24, 32, 40}
    assert roster["end_date"].notna().any() and roster["end_date"].isna().mean() > 0.7
    active = roster[roster["end_date"].isna()].groupby("clinic_id")["weekly_hours"].sum()
    recent = demo.truth[demo.truth["week"] < pd.Timestamp(END)].groupby("clinic_id")
    needed = recent["expected_sessions"].apply(lambda s: s.tail(8).mean()) * 65 / 60 / 0.6
    ratio = (active / needed).dropna()
    assert ratio.between(0.5, 2.0).all()
    assert (ratio < 1).any() and (ratio > 1).any()


def test_pathways_argument_changes_truth_and_is_not_modified(tmp_path: Path) -> None:
    pathways = {"liposuction": Pathway(uptake=0.9, sessions_by_week=[1.0] * 12)}
    before = dict(pathways)
    custom = generate_demo(tmp_path / "a", clinics=1, years=1, end=END, pathways=pathways)
    default = generate_demo(tmp_path / "b", clinics=1, years=1, end=END)
    assert pathways == before
    assert custom.truth["expected_sessions"].sum() > default.truth["expected_sessions"].sum()
    explicit = generate_demo(
        tmp_path / "c", clinics=1, years=1, end=END, pathways=default_pathways()
    )
    pd.testing.assert_frame_equal(explicit.truth, default.truth)


@pytest.mark.parametrize(
    ("kwargs", "option"),
    [
        ({"clinics": 0}, "--clinics"),
        ({"clinics": 501}, "--clinics"),
        ({"years": 0}, "--years"),
        ({"seed": -1}, "--seed"),
        ({"clinics": 2.5}, "--clinics"),
        ({"holiday_country": "XX"}, "--holiday-country"),
        ({"pathways": {"lipo": Pathway(uptake=0.5, sessions_by_week=[1.0])}}, "pathways"),
        ({"services": ["mld", "hot_stone"]}, "--services: unknown service 'hot_stone'"),
        ({"services": ["deep_tissue"]}, "--services must include mld"),
    ],
)
def test_bad_arguments_raise_config_error(tmp_path: Path, kwargs: dict, option: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(option)):
        generate_demo(tmp_path, **kwargs)
    assert not any(tmp_path.iterdir())


def test_out_must_be_a_directory(tmp_path: Path) -> None:
    target = tmp_path / "file.csv"
    target.write_text("x\n")
    with pytest.raises(ConfigError, match="--out"):
        generate_demo(target, clinics=1, years=1, end=END)
