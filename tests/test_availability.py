"""The availability export (read, checked, combined) and the shift plan within its hours."""

from datetime import date

import pandas as pd
import pytest

from forecasting.config import IngestConfig, ShiftsConfig
from forecasting.ingest import ingest, load_availability, write_processed
from forecasting.ingest.availability import parse_time
from forecasting.ingest.availability_roster import UNKNOWN_THERAPIST
from forecasting.planning import ClinicWeek, Therapist, clinic_weeks, plan_shifts
from forecasting.planning.shift_model import solve_clinic

TODAY = date(2026, 12, 1)
ROSTER = "clinic_id,therapist_id,weekly_hours\nharbor,t1,40\nharbor,t2,20\nbayview,t3,30\n"


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("08:00", 480), ("8", 480), ("8.30", 510), ("0830", 510), ("8:30 pm", 1230),
        ("12am", 0), ("12:15 PM", 735), ("08:30:00", 510), ("0.5", 720), ("24:00", 1440),
        ("25:00", 1500), ("", None), ("noon", None), ("8:75", None), ("13pm", None),
    ],
)  # fmt: skip
def test_times_of_day_read_as_minutes_after_midnight(text, minutes):
    got = parse_time(text)
    assert (pd.isna(got) and minutes is None) or got == minutes


def _ingest(tmp_path, availability: str, name: str = "availability_a.csv"):
    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    (raw / "roster.csv").write_text(ROSTER)
    (raw / name).write_text(availability)
    return ingest(raw, IngestConfig(), TODAY)


def test_bad_hours_and_unknown_therapists_are_quarantined_with_their_reason(tmp_path):
    result = _ingest(
        tmp_path,
        "Clinic,Therapist,Day,Date,From,To\n"
        "harbor,t1,Mon-Wed,,08:00,12:00\n"  # 2: kept, three weekdays
        "harbor,t1,tue,,11:00,14:00\n"  # 3: overlaps line 2's Tuesday
        "harbor,t1,thu,,14:00,12:00\n"  # 4: ends before it starts
        "harbor,t1,fri,,08:00,25:00\n"  # 5: outside the day
        "harbor,t2,funday,,08:00,12:00\n"  # 6: no weekday
        "harbor,t2,,,08:00,12:00\n"  # 7: no day at all
        "harbor,t2,,2026-12-08,,\n"  # 8: a day off on a date
        "harbor,t2,,2026-12-08,09:00,10:00\n"  # 9: overlaps line 8's day off
        "harbor,t2,mon,2026-12-08,09:00,10:00\n"  # 10: 8 December is a Tuesday
        "harbor,t2,wed,,noon,17:00\n"  # 11: unreadable start
        "harbor,nobody,wed,,08:00,12:00\n"  # 12: on no roster of harbor
        "bayview,t1,wed,,08:00,12:00\n"  # 13: t1 is harbor's, not bayview's
        "harbor,t2,wed,,12:00,16:00\n",  # 14: kept
    )
    file = next(f for f in result.files if f.name == "availability_a.csv")
    assert file.kind == "availability"
    assert (file.rows_read, file.rows_accepted, file.rows_quarantined) == (13, 3, 10)
    reasons = dict(zip(file.quarantined["line"], file.quarantined["reason"], strict=True))
    assert reasons == {
        3: "overlaps an earlier row of this therapist on the same day (merge them into one row)",
        4: "end is not after start (hours past midnight go in a second row for the next day)",
        5: "end is outside 00:00-24:00",
        6: "weekday names something that is no weekday (use mon, mon;thu or mon-fri)",
        7: "neither a weekday nor a date (name one: mon, mon-fri or 2026-12-14)",
        9: "overlaps an earlier row of this therapist on the same day (merge them into one row)",
        10: "weekday does not match the date (give one of them)",
        11: "start is missing or not a time (use HH:MM, such as 08:00)",
        12: UNKNOWN_THERAPIST,
        13: UNKNOWN_THERAPIST,
    }
    # the quarantine keeps the cells as read
    line_12 = file.quarantined.set_index("line").loc[12]
    assert (line_12["therapist_id"], line_12["weekday"], line_12["start"]) == ("nobody", "wed",
                                                                              "08:00")  # fmt: skip
    dates = result.availability["date"].map(lambda d: "" if pd.isna(d) else d.date().isoformat())
    rows = result.availability.assign(date=dates)
    assert rows.to_dict("records") == [
        {"clinic_id": "harbor", "therapist_id": "t1", "weekday": "mon", "date": "",
         "start": "08:00", "end": "12:00"},
        {"clinic_id": "harbor", "therapist_id": "t1", "weekday": "tue", "date": "",
         "start": "08:00", "end": "12:00"},
        {"clinic_id": "harbor", "therapist_id": "t1", "weekday": "wed", "date": "",
         "start": "08:00", "end": "12:00"},
        {"clinic_id": "harbor", "therapist_id": "t2", "weekday": "", "date": "2026-12-08",
         "start": "", "end": ""},
        {"clinic_id": "harbor", "therapist_id": "t2", "weekday": "wed", "date": "",
         "start": "12:00", "end": "16:00"},
    ]  # fmt: skip
    processed = tmp_path / "processed"
    write_processed(result, processed)
    assert load_availability(processed).equals(result.availability)
    assert "harbor,12,nobody" not in (processed / "quarantine" / "availability_a.csv").read_text()


def test_per_clinic_the_last_availability_file_wins_and_no_export_leaves_no_file(tmp_path):
    raw = tmp_path / "raw"
    result = _ingest(tmp_path, "clinic_id,therapist_id,weekday,start,end\nharbor,t1,mon,8,12\n")
    (raw / "availability_b.csv").write_text(
        "clinic_id,therapist_id,weekday,start,end\nharbor,t2,tue,13:00,17:00\n"
    )
    result = ingest(raw, IngestConfig(), TODAY)
    assert result.availability[["therapist_id", "weekday"]].values.tolist() == [["t2", "tue"]]
    notes = {f.name: f.notes.get("rows_superseded") for f in result.files}
    assert (notes["availability_a.csv"], notes["availability_b.csv"]) == (1, 0)
    processed = tmp_path / "processed"
    write_processed(result, processed)
    assert load_availability(processed) is not None
    for name in ("availability_a.csv", "availability_b.csv"):
        (raw / name).unlink()
    write_processed(ingest(raw, IngestConfig(), TODAY), processed)
    assert load_availability(processed) is None


def test_a_file_whose_therapists_are_all_unknown_is_rejected_with_one_sentence(tmp_path):
    result = _ingest(
        tmp_path, "clinic_id,therapist_id,weekday,start,end\nharbor,zed,mon,08:00,12:00\n"
    )
    file = next(f for f in result.files if f.name == "availability_a.csv")
    assert file.status == "rejected"
    assert file.error == (
        "availability_a.csv: none of its 1 rows passed validation; see "
        "quarantine/availability_a.csv for the reasons."
    )
    assert len(result.availability) == 0


def test_an_availability_file_is_known_by_its_columns(tmp_path):
    result = _ingest(
        tmp_path, "Site,Staff,Day of week,Start time,End time\nharbor,t1,Mon,08:00,12:00\n",
        name="export.csv",
    )  # fmt: skip
    file = next(f for f in result.files if f.name == "export.csv")
    assert (file.kind, file.rows_accepted) == ("availability", 1)


# --- the shift plan within the available hours (forecasting/planning/) ---

MONDAY = date(2027, 1, 4)


def _one_day(**over) -> ShiftsConfig:
    """Monday 08:00-16:00, two 4-hour blocks (its morning and its afternoon), no overtime."""
    cfg = {"opening": {"mon": "08:00-16:00"}, "blocks": ["08:00-12:00", "12:00-16:00"]}
    return ShiftsConfig(**{**cfg, "max_overtime_hours": 0, **over})


def test_availability_makes_the_plan_short_on_paper():
    """8 h of MLD on Monday: 4 h in the morning, 4 h in the afternoon. Therapist a (8 h) could
    cover both blocks; available only 08:00-12:00 she works the morning and the afternoon's 4 h
    stay uncovered, and the plan says nobody is available then (the lower bound is 4 h too)."""
    free = Therapist("a", 8)
    assert (
        solve_clinic(ClinicWeek("harbor", MONDAY, (free,), {"mld": 8.0}), _one_day()).unmet_minutes
        == 0
    )
    morning = Therapist("a", 8, hours=((MONDAY, 8 * 60, 12 * 60),))
    result = plan_shifts([ClinicWeek("harbor", MONDAY, (morning,), {"mld": 8.0})], _one_day())
    assert result.shifts[["therapist_id", "start", "end"]].values.tolist() == [
        ["a", "08:00", "12:00"]
    ]
    row = result.summary.iloc[0]
    assert (row["unmet_hours"], row["unmet_lower_bound_hours"]) == (4.0, 4.0)
    assert result.sentences["harbor"] == [
        "Monday afternoon at harbor: 4.0 h of MLD uncovered (12:00-16:00); "
        "nobody with MLD is available."
    ]


def test_touching_spans_join_and_a_limit_names_the_available_hours():
    # 08:00-10:00 and 10:00-12:00 hold the 08:00-12:00 block; 12:00-15:00 holds no block
    a = Therapist("a", 8, hours=((MONDAY, 480, 600), (MONDAY, 600, 720), (MONDAY, 720, 900)))
    assert a.can_work(MONDAY, 480, 720) and not a.can_work(MONDAY, 720, 960)
    result = plan_shifts([ClinicWeek("harbor", MONDAY, (a,), {"mld": 8.0})], _one_day())
    assert result.sentences["harbor"] == [
        "Monday afternoon at harbor: 4.0 h of MLD uncovered (12:00-16:00); the 1 therapist(s) "
        "with MLD available then are at their limit (contract + 0 h overtime, 2 shift(s) a day, "
        "their available hours, or already on another shift)."
    ]


def test_fairness_counts_what_a_therapist_can_work_not_a_contract_they_cannot_reach():
    """Three days of two blocks, 20 h of MLD: one block in each of the six parts. a (40 h) is
    available Monday morning only: she works it (else all of her 4 reachable hours stay
    unscheduled). b and c (16 h each) share the other five blocks 3 and 2: measured against a's
    contract instead, a would be 90% unscheduled whatever happens, and 4 and 1 would do."""
    days = {d: "08:00-16:00" for d in ("mon", "tue", "wed")}
    cfg = ShiftsConfig(opening=days, blocks=["08:00-12:00", "12:00-16:00"], max_overtime_hours=0)
    team = (Therapist("a", 40, hours=((MONDAY, 480, 720),)), Therapist("b", 16), Therapist("c", 16))
    plan = solve_clinic(ClinicWeek("c", MONDAY, team, {"mld": 20.0}), cfg)
    assert plan.unmet_minutes == 0
    assert plan.scheduled_minutes["a"] == 240
    assert sorted([plan.scheduled_minutes["b"], plan.scheduled_minutes["c"]]) == [480, 720]


def test_clinic_weeks_take_the_weekday_hours_a_dated_row_replaces_and_a_day_off():
    roster = pd.DataFrame(
        {"clinic_id": ["x", "x", "x"], "therapist_id": ["t1", "t2", "t3"],
         "weekly_hours": [40.0, 20.0, 10.0], "days": ["mon;tue", "", ""]}
    )  # fmt: skip
    staffing = pd.DataFrame(
        {"clinic_id": ["x"], "week": [pd.Timestamp(MONDAY)], "therapist_hours_needed": [30.0]}
    )
    availability = pd.DataFrame(
        {
            "clinic_id": ["x"] * 5,
            "therapist_id": ["t1", "t1", "t1", "t2", "t2"],
            "weekday": ["mon", "tue", "wed", "", ""],
            "date": pd.to_datetime([None, None, None, "2027-01-05", "2027-01-06"]),
            "start": ["08:00", "09:00", "08:00", "", "13:00"],
            "end": ["12:00", "17:00", "12:00", "", "17:00"],
        }
    )
    (week,) = clinic_weeks(roster, staffing, MONDAY, availability)
    t1, t2, t3 = week.therapists
    tuesday, wednesday = date(2027, 1, 5), date(2027, 1, 6)
    # t1: Monday and Tuesday by her weekday rows; Wednesday is off her roster days
    assert t1.hours == ((MONDAY, 480, 720), (tuesday, 540, 1020), (wednesday, 480, 720))
    assert not t1.can_work(wednesday, 480, 720)
    # t2 has only dated rows: off on Tuesday (no times), Wednesday afternoon
    assert t2.hours == ((wednesday, 780, 1020),)
    assert t3.hours is None and t3.can_work(MONDAY, 0, 1440)


def test_the_demo_availability_ingests_clean_and_keeps_part_timers_to_their_days(tmp_path):
    from forecasting.demo.availability import availability_frame

    roster = pd.DataFrame(
        {"clinic_id": ["harbor", "harbor", "harbor"], "therapist_id": ["h1", "h2", "h3"],
         "weekly_hours": [40, 16, 32]}
    )  # fmt: skip
    raw = tmp_path / "raw"
    raw.mkdir()
    roster.to_csv(raw / "roster.csv", index=False)
    availability_frame(roster).to_csv(raw / "availability.csv", index=False)
    result = ingest(raw, IngestConfig(), TODAY)
    assert sum(f.rows_quarantined for f in result.files) == 0
    days = result.availability.groupby("therapist_id")["weekday"].apply(list).to_dict()
    assert days == {"h2": ["tue", "thu"], "h3": ["mon", "tue", "wed", "thu"]}
    staffing = pd.DataFrame(
        {"clinic_id": ["harbor"], "week": [pd.Timestamp(MONDAY)], "therapist_hours_needed": [60.0]}
    )
    (week,) = clinic_weeks(result.roster, staffing, MONDAY, result.availability)
    plan = plan_shifts([week], ShiftsConfig())
    worked = plan.shifts.assign(day=pd.to_datetime(plan.shifts["date"]).dt.dayofweek)
    assert set(worked.loc[worked["therapist_id"] == "h2", "day"]) <= {1, 3}
    assert (worked.loc[worked["therapist_id"] == "h3", "end"] <= "18:00").all()
