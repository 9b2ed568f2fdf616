"""Next week's shift plan on cases small enough to check on paper (forecasting/planning/)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from pydantic import ValidationError

from forecasting.config import ShiftsConfig, from_dict
from forecasting.planning import ClinicWeek, Therapist, clinic_weeks, plan_shifts
from forecasting.planning.shift_model import part_targets, solve_clinic

MONDAY = date(2027, 1, 4)
# one open day, 08:00-16:00, two 4-hour blocks: its morning and its afternoon
ONE_DAY = {"opening": {"mon": "08:00-16:00"}, "blocks": ["08:00-12:00", "12:00-16:00"]}


def _cfg(**over) -> ShiftsConfig:
    return ShiftsConfig(**{**ONE_DAY, "max_overtime_hours": 0, **over})


def test_demand_is_shared_over_day_parts_in_whole_minutes_that_keep_the_total():
    week = ClinicWeek("c", MONDAY, (), {"mld": 8.0, "deep_tissue": 4.0})
    targets = part_targets(week, _cfg())
    assert targets == {
        (0, "morning", "mld"): 240,
        (0, "afternoon", "mld"): 240,
        (0, "morning", "deep_tissue"): 120,
        (0, "afternoon", "deep_tissue"): 120,
    }
    # five days open 08:00-18:00 by default: per day 84 min, shared by the open minutes of
    # the morning (4 h) and the afternoon (6 h); 7 h never lost to rounding
    odd = part_targets(ClinicWeek("c", MONDAY, (), {"mld": 7.0}), ShiftsConfig())
    assert sum(odd.values()) == 420
    assert sorted({odd[d, "morning", "mld"] for d in range(5)}) in ([33, 34], [34], [33])
    assert all(odd[d, "morning", "mld"] + odd[d, "afternoon", "mld"] == 84 for d in range(5))


def test_two_skill_cover_checked_on_paper():
    """Each hour needs 60 min of MLD and 30 of deep tissue; A (MLD, 4 h) and B (both, 8 h).

    A works one of the two blocks. In A's block A gives MLD and B deep tissue: nothing short.
    In the other block B alone gives one skill an hour: MLD leaves 30 min of deep tissue short
    an hour, deep tissue would leave 60 min of MLD short, so B gives MLD: 4 x 30 min = 2 h of
    deep tissue uncovered, and no plan does better (the lower bound is 2 h too).
    """
    a = Therapist("a", 4, skills=frozenset({"mld"}))
    b = Therapist("b", 8, skills=frozenset({"mld", "deep_tissue"}))
    week = ClinicWeek("harbor", MONDAY, (a, b), {"mld": 8.0, "deep_tissue": 4.0})
    plan = solve_clinic(week, _cfg())
    assert plan.status == "optimal"
    assert plan.unmet_minutes == 120 and plan.unmet_bound_minutes == 120
    assert plan.overtime_minutes == 0
    assert plan.scheduled_minutes == {"a": 240, "b": 480}
    by_block: dict[int, dict[str, str]] = {}
    for s in plan.shifts:
        by_block.setdefault(s.start, {})[s.therapist_id] = s.skill
    a_block = next(start for start, who in by_block.items() if "a" in who)
    other = next(start for start in by_block if start != a_block)
    assert by_block[a_block] == {"a": "mld", "b": "deep_tissue"}
    assert by_block[other] == {"b": "mld"}
    assert {g.skill for g in plan.gaps} == {"deep_tissue"}
    assert sum(g.minutes for g in plan.gaps) == 120


def test_overtime_closes_the_gap_before_anything_else_is_minimised():
    a = Therapist("a", 4, skills=frozenset({"mld"}))
    b = Therapist("b", 8, skills=frozenset({"mld", "deep_tissue"}))
    week = ClinicWeek("harbor", MONDAY, (a, b), {"mld": 8.0, "deep_tissue": 4.0})
    plan = solve_clinic(week, _cfg(max_overtime_hours=4))
    assert plan.unmet_minutes == 0
    assert plan.overtime_minutes == 240  # A's second block is the only way
    assert plan.idle_minutes == 8 * 30  # every hour B gives deep tissue 60 min, it needs 30


def test_no_one_with_the_skill_is_a_sentence_not_a_crash():
    a = Therapist("a", 8, skills=frozenset({"mld"}))
    week = ClinicWeek("harbor", MONDAY, (a,), {"mld": 4.0, "deep_tissue": 4.0})
    result = plan_shifts([week], _cfg())
    row = result.summary.iloc[0]
    assert row["unmet_hours"] == pytest.approx(4.0)
    sentences = result.sentences["harbor"]
    assert any(
        "Monday morning at harbor: 2.0 h of deep tissue uncovered" in s
        and "nobody with deep tissue is available" in s
        for s in sentences
    ), sentences
    assert any("Monday afternoon" in s for s in sentences)


def test_a_therapist_off_that_day_leaves_it_uncovered_and_says_why():
    cfg = ShiftsConfig(
        opening={"mon": "08:00-12:00", "tue": "08:00-12:00"},
        blocks=["08:00-12:00"],
        max_overtime_hours=0,
    )
    a = Therapist("a", 8, days=frozenset({"tue"}))
    week = ClinicWeek("harbor", MONDAY, (a,), {"mld": 8.0})
    result = plan_shifts([week], cfg)
    assert result.shifts[["therapist_id", "date", "start", "end", "skill"]].values.tolist() == [
        ["a", "2027-01-05", "08:00", "12:00", "mld"]
    ]
    assert result.sentences["harbor"] == [
        "Monday morning at harbor: 4.0 h of MLD uncovered (08:00-12:00); "
        "nobody with MLD is available."
    ]


def test_overlapping_blocks_are_never_worked_at_once_and_contracts_hold():
    cfg = ShiftsConfig(
        opening={"mon": "08:00-18:00"},
        blocks=["08:00-12:00", "10:00-14:00", "14:00-18:00"],
        max_blocks_per_day=3,
        max_overtime_hours=0,
    )
    a = Therapist("a", 8)
    plan = solve_clinic(ClinicWeek("c", MONDAY, (a,), {"mld": 10.0}), cfg)
    spans = sorted((s.start, s.end) for s in plan.shifts)
    assert all(e1 <= s2 for (_, e1), (s2, _) in zip(spans, spans[1:], strict=False))
    assert sum(e - s for s, e in spans) <= 8 * 60
    assert plan.unmet_minutes == 10 * 60 - 8 * 60


def test_fair_spread_gives_two_equal_therapists_equal_hours():
    # five days of 8 h, two 4-hour blocks: 40 h need one therapist in every block
    days = {d: "08:00-16:00" for d in ("mon", "tue", "wed", "thu", "fri")}
    cfg = ShiftsConfig(opening=days, blocks=["08:00-12:00", "12:00-16:00"], max_overtime_hours=0)
    team = (Therapist("a", 40), Therapist("b", 40))
    plan = solve_clinic(ClinicWeek("c", MONDAY, team, {"mld": 40.0}), cfg)
    assert plan.unmet_minutes == 0 and plan.idle_minutes == 0
    assert plan.scheduled_minutes == {"a": 1200, "b": 1200}


def test_clinic_weeks_read_the_roster_and_the_staffing_rows_of_the_week():
    roster = pd.DataFrame(
        {
            "clinic_id": ["x", "x", "x", "y"],
            "therapist_id": ["t1", "t2", "t3", "t4"],
            "weekly_hours": [40.0, 20.0, 30.0, 10.0],
            "start_date": [pd.NaT, pd.NaT, pd.Timestamp("2027-02-01"), pd.NaT],
            "end_date": [pd.NaT, pd.NaT, pd.NaT, pd.NaT],
            "days": ["mon;Tuesday", None, None, None],
            "skills": [None, "MLD; deep_tissue", None, None],
        }
    )
    staffing = pd.DataFrame(
        {
            "clinic_id": ["x", "x", "y"],
            "week": pd.to_datetime(["2027-01-04", "2027-01-11", "2027-01-04"]),
            "therapist_hours_needed": [52.0, 60.0, 8.0],
        }
    )
    weeks = {w.clinic_id: w for w in clinic_weeks(roster, staffing, MONDAY)}
    assert weeks["x"].target_hours == {"mld": 52.0}
    t1, t2 = weeks["x"].therapists  # t3 starts in February
    assert t1.days == frozenset({"mon", "tue"}) and t1.skills == frozenset({"mld"})
    assert t2.skills == frozenset({"mld", "deep_tissue"}) and len(t2.days) == 7
    assert [t.therapist_id for t in weeks["y"].therapists] == ["t4"]


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"opening": {"monday": "08:00-12:00"}}, "not a weekday"),
        ({"blocks": ["8-12"]}, "not a time span"),
        ({"blocks": ["12:00-08:00"]}, "ends before it starts"),
        ({"blocks": ["08:15-12:00"]}, "30-minute grid"),
        ({"day_parts": {"am": "00:00-13:00", "pm": "12:00-24:00"}}, "overlap"),
        ({"day_parts": {"am": "00:00-12:00"}}, "leave part of mon"),
        ({"day_weights": {"sun": 1.0}}, "not an open day"),
    ],
)
def test_bad_shift_settings_are_refused_in_words(settings, words):
    with pytest.raises(ValidationError, match=words):
        ShiftsConfig(**settings)
    assert from_dict({}).shifts == ShiftsConfig()


def test_a_clinic_with_its_own_opening_hours_is_planned_in_them():
    """harbor opens Saturday 09:00-13:00 only; bayview keeps the network's Monday."""
    cfg = ShiftsConfig(
        opening={"mon": "08:00-12:00"},
        clinic_opening={"harbor": {"sat": "09:00-13:00"}},
        blocks=["08:00-12:00", "09:00-13:00"],
        max_overtime_hours=0,
    )
    team = (Therapist("a", 8),)
    weeks = [ClinicWeek(c, MONDAY, team, {"mld": 4.0}) for c in ("bayview", "harbor")]
    plan = plan_shifts(weeks, cfg)
    got = plan.shifts[["clinic_id", "date", "start", "end"]].values.tolist()
    assert got == [["bayview", "2027-01-04", "08:00", "12:00"],
                   ["harbor", "2027-01-09", "09:00", "13:00"]]  # fmt: skip
    assert plan.summary["unmet_hours"].tolist() == [0.0, 0.0]


def test_clinic_opening_hours_are_checked_like_the_networks():
    with pytest.raises(ValidationError, match="clinic 'harbor': 'saturday' is not a weekday"):
        ShiftsConfig(clinic_opening={"harbor": {"saturday": "09:00-13:00"}})
    with pytest.raises(ValidationError, match="does not fall on the 30-minute grid"):
        ShiftsConfig(clinic_opening={"harbor": {"sat": "09:15-13:00"}})


def test_a_clinic_the_solver_found_no_plan_for_says_so_and_the_fix():
    from forecasting.planning.shift_model import ClinicPlan
    from forecasting.planning.shifts import gap_sentences

    week = ClinicWeek("harbor", MONDAY, (Therapist("a", 8),), {"mld": 8.0})
    plan = ClinicPlan("harbor", "no solution")
    assert gap_sentences(week, plan, _cfg(time_limit_seconds=2)) == [
        "No shift plan for harbor: the solver found none within 2 s; raise [shifts] "
        "time_limit_seconds."
    ]


def test_an_open_day_that_holds_no_block_is_refused():
    with pytest.raises(ValidationError, match=r"clinic_opening.harbor.sat \(09:00-13:00\) holds "
                       "none of the blocks"):  # fmt: skip
        ShiftsConfig(clinic_opening={"harbor": {"sat": "09:00-13:00"}})
