"""Services as configuration, the roster's skills and staffing by skill (issue 14, first half)."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from forecasting import columns as C
from forecasting.config import Config, from_dict
from forecasting.errors import ConfigError
from forecasting.ingest.folder import ingest
from forecasting.ingest.store import load_processed, write_processed
from forecasting.staffing.hours import rostered_hours_by_clinic, staffing_table
from forecasting.staffing.skill_staffing import default_roster, default_staffing, staff_by_skill
from forecasting.staffing.skills import UNCOVERED_SKILL, cover, skill_label, therapist_skills
from forecasting.week import cut_inputs, run_week

WEEKS = pd.DatetimeIndex(["2026-12-07", "2026-12-14"])
THREE = {
    "services": {
        "deep_tissue": {"drivers": ["fracture_immobilisation"], "session_minutes": 45},
        "scar": {"drivers": ["post_surgical_scar"]},
    }
}


def _roster(skills, hours, clinic="a"):
    n = len(hours)
    frame = pd.DataFrame(
        {
            C.CLINIC: [clinic] * n,
            C.THERAPIST: [f"t{i + 1}" for i in range(n)],
            C.WEEKLY_HOURS: [float(h) for h in hours],
            C.START_DATE: pd.Series([pd.NaT] * n, dtype="datetime64[ns]"),
            C.END_DATE: pd.Series([pd.NaT] * n, dtype="datetime64[ns]"),
        }
    )
    return frame if skills is None else frame.assign(**{C.SKILLS: skills})


def _needed(rows):
    return pd.DataFrame(rows, columns=[C.CLINIC, C.WEEK, "service", "hours_needed"])


def _row(table, week, skill):
    hit = table[(table[C.WEEK] == pd.Timestamp(week)) & (table["skill"] == skill)]
    assert len(hit) == 1
    return hit.iloc[0]


# --- configuration --------------------------------------------------------------------------


def test_mld_is_the_default_service_from_staffing_and_every_procedure_type():
    services = Config().service_settings
    assert list(services) == ["mld"]
    mld = services["mld"]
    assert mld.drivers == list(C.PROCEDURE_TYPES)
    assert (mld.session_minutes, mld.turnover_minutes, mld.skill) == (60, 10, "mld")
    assert mld.hours_per_session == Config().staffing.hours_per_session
    assert Config().ingest.skill_synonyms == {"mld": ["lymph", "drainage"]}


def test_configured_services_fill_in_from_staffing_and_register_their_skill():
    config = from_dict(THREE)
    services = config.service_settings
    assert list(services) == ["mld", "deep_tissue", "scar"]
    assert services["deep_tissue"].session_minutes == 45
    assert services["deep_tissue"].turnover_minutes == 10  # [staffing]'s
    assert services["scar"].skill == "scar" and services["scar"].drivers == ["post_surgical_scar"]
    # the ingest recognises every service's skill in a roster
    assert set(config.ingest.skill_synonyms) == {"mld", "deep_tissue", "scar"}


@pytest.mark.parametrize(
    ("services", "key"),
    [
        ({"x": {"drivers": ["knee"]}}, "services.x.drivers"),
        ({"Deep": {}}, "services"),
        ({"x": {"skill": "Deep Tissue"}}, "services.x.skill"),
        ({"x": {"session_minutes": 0}}, "services.x.session_minutes"),
    ],
)
def test_bad_service_settings_are_refused_with_their_key(services, key):
    with pytest.raises(ConfigError, match=f"setting '{key}'"):
        from_dict({"services": services})


def test_services_mld_changes_the_default_service_session_length():
    config = from_dict({"services": {"mld": {"session_minutes": 45}}})
    assert default_staffing(config).hours_per_session == pytest.approx(55 / 60)
    assert default_staffing(Config()) is Config().staffing


# --- the roster's skills at ingest ---------------------------------------------------------


def test_roster_skills_are_mapped_counted_and_kept(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    reiki = "\n".join(f"a,r{i},10,Reiki" for i in range(5))  # 5 rows: named in the manifest
    (raw / "roster_a.csv").write_text(
        "clinic_id,therapist_id,weekly_hours,Qualifications\n"
        "a,t1,40,MLD; Deep tissue\n"
        "a,t2,30,deep_tissue\n"
        "a,t3,20,\n"
        "a,t4,10,Manual lymph drainage / Hot stones\n" + reiki + "\n",
        encoding="utf-8",
    )
    (raw / "roster_b.csv").write_text("clinic_id,therapist_id,weekly_hours\nb,s1,40\n")
    config = from_dict(THREE)
    result = ingest(raw, config.ingest, date(2026, 12, 1))
    entry = {f.name: f.manifest_entry() for f in result.files}["roster_a.csv"]
    assert entry.rows_read == entry.rows_accepted == 9 and entry.rows_quarantined == 0
    assert entry.skills_unknown == ["Reiki"]  # 5 rows
    assert entry.skill_names_withheld == 1  # "Hot stones": one row, counted, never written
    roster = result.roster.set_index(C.THERAPIST)
    assert roster.loc["t1", C.SKILLS] == "mld;deep_tissue"
    assert roster.loc["t2", C.SKILLS] == "deep_tissue"
    assert pd.isna(roster.loc["t3", C.SKILLS])  # empty cell: the default skill
    assert roster.loc["t4", C.SKILLS] == "mld"
    assert roster.loc["r0", C.SKILLS] == ""  # no known skill: kept, gives no service
    assert pd.isna(roster.loc["s1", C.SKILLS])  # an export without the column
    held = dict(
        zip(result.roster[C.THERAPIST], therapist_skills(result.roster, "mld"), strict=True)
    )
    assert held["t3"] == held["s1"] == frozenset({"mld"}) and held["r0"] == frozenset()


def test_a_roster_without_skills_is_processed_as_before(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "roster.csv").write_text("clinic_id,therapist_id,weekly_hours\na,t1,40\n")
    result = ingest(raw, Config().ingest, date(2026, 12, 1))
    assert list(result.roster.columns) == C.ROSTER_COLUMNS
    assert "skills_unknown" not in result.files[0].manifest_entry().record()


# --- the cover, on paper --------------------------------------------------------------------


def test_two_skill_cover_hand_checked():
    # t1 MLD 20 h, t2 MLD + deep tissue 20 h, t3 deep tissue 30 h.
    # Week 1 needs MLD 36 h, deep tissue 16 h: t1 gives MLD 20, t2 MLD 16 (its other 4 h idle),
    # t3 deep tissue 16 (14 h idle). Nothing short; idle by skill: MLD 4 (t2), deep 4 + 14.
    # Week 2 needs MLD 50 h: at most t1 + t2 = 40 h have MLD, so 10 h short while t3 (deep
    # tissue only) has 30 - 16 = 14 h idle.
    roster = _roster(["mld", "mld;deep_tissue", "deep_tissue"], [20, 20, 30])
    needed = _needed(
        [
            ("a", WEEKS[0], "mld", 36.0),
            ("a", WEEKS[0], "deep_tissue", 16.0),
            ("a", WEEKS[1], "mld", 50.0),
            ("a", WEEKS[1], "deep_tissue", 16.0),
        ]
    )
    result = cover(needed, roster, from_dict(THREE).service_settings, WEEKS)
    t = result.table
    mld1, deep1 = _row(t, WEEKS[0], "mld"), _row(t, WEEKS[0], "deep_tissue")
    assert (mld1.hours_needed, mld1.hours_rostered, mld1.hours_covered) == (36, 40, 36)
    assert (mld1.gap_hours, mld1.idle_hours, mld1.status) == (0, 4, "ok")
    assert (deep1.hours_rostered, deep1.hours_covered, deep1.idle_hours) == (50, 16, 18)
    mld2, deep2 = _row(t, WEEKS[1], "mld"), _row(t, WEEKS[1], "deep_tissue")
    assert (mld2.hours_covered, mld2.gap_hours, mld2.idle_hours, mld2.status) == (
        40,
        10,
        0,
        "short",
    )
    assert (deep2.hours_covered, deep2.gap_hours, deep2.idle_hours) == (16, 0, 14)
    assert result.sentences(fte_hours=40)["a"] == [
        "MLD short 10 h in the week of 2026-12-14 while deep tissue has 14 h idle: one more "
        "MLD-certified therapist, or cross-training, covers it"
    ]
    wide = result.wide()
    assert list(wide.columns[:7]) == [
        C.CLINIC,
        C.WEEK,
        "hours_needed:mld",
        "hours_rostered:mld",
        "hours_covered:mld",
        "gap_hours:mld",
        "idle_hours:mld",
    ]
    assert wide["gap_hours:mld"].tolist() == [0, 10]


def test_a_skill_blind_roster_would_hide_the_gap():
    # 70 h rostered cover 66 h needed in total, yet MLD is short: the skills decide
    roster = _roster(["mld", "deep_tissue", "deep_tissue"], [20, 20, 30])
    needed = _needed([("a", WEEKS[0], "mld", 36.0), ("a", WEEKS[0], "deep_tissue", 30.0)])
    result = cover(needed, roster, from_dict(THREE).service_settings, WEEKS[:1])
    mld = _row(result.table, WEEKS[0], "mld")
    assert (mld.hours_covered, mld.gap_hours) == (20, 16)
    assert _row(result.table, WEEKS[0], "deep_tissue").idle_hours == 20
    services = result.services.set_index("service")
    assert services.loc["mld", "gap_hours"] == 16 and services.loc["deep_tissue", "gap_hours"] == 0


def test_a_skill_nobody_has_is_uncovered_not_a_crash():
    roster = _roster(["mld", "deep_tissue"], [20, 20])
    needed = _needed([("a", WEEKS[0], "mld", 10.0), ("a", WEEKS[1], "scar", 8.0)])
    result = cover(needed, roster, from_dict(THREE).service_settings, WEEKS)
    scar = _row(result.table, WEEKS[1], "scar")
    assert (scar.hours_rostered, scar.hours_covered, scar.gap_hours, scar.status) == (
        0,
        0,
        8,
        "uncovered",
    )
    assert "scar uncovered: 8 h needed" in result.sentences(40)["a"][0]
    (problem,) = result.problems(roster)
    assert (problem.clinic_id, problem.kind) == ("a", UNCOVERED_SKILL)
    assert "no therapist on the roster has the scar skill" in problem.text()
    # a clinic without any roster row is the no-roster problem, not this one
    assert result.problems(roster.iloc[0:0]) == []


def test_no_roster_and_no_need_are_empty_covers():
    services = from_dict(THREE).service_settings
    empty = cover(_needed([("a", WEEKS[0], "mld", 12.0)]), _roster(None, []), services, WEEKS)
    assert _row(empty.table, WEEKS[0], "mld").gap_hours == 12
    idle = cover(_needed([("a", WEEKS[0], "mld", 0.0)]), _roster(None, [30]), services, WEEKS)
    assert _row(idle.table, WEEKS[0], "mld").idle_hours == 30


# --- MLD only: today's numbers -----------------------------------------------------------------


def test_mld_only_staffing_is_unchanged():
    config = Config()
    rng = np.random.default_rng(3)
    paths = rng.poisson(30, size=(200, len(WEEKS))).astype(float)
    roster = _roster(None, [40, 25])
    for with_skills in (roster, roster.assign(**{C.SKILLS: ["mld", "mld;deep_tissue"]})):
        hours = rostered_hours_by_clinic(default_roster(with_skills, config), ["a"], WEEKS)
        table = staffing_table("a", WEEKS, paths, hours["a"], default_staffing(config))
        expected = staffing_table("a", WEEKS, paths, np.full(2, 65.0), config.staffing)
        pd.testing.assert_frame_equal(table, expected)
        out = staff_by_skill([table], with_skills, config, WEEKS)
        assert out.staffing is not None and out.staffing.equals(expected)  # no new column
        assert out.problems == ()
        mld = out.cover.table
        np.testing.assert_allclose(
            mld["hours_covered"], np.minimum(table.therapist_hours_needed, 65)
        )
        np.testing.assert_allclose(
            mld["gap_hours"], np.clip(table.therapist_hours_needed - 65, 0, None)
        )


def test_several_services_add_skill_columns_after_todays():
    config = from_dict(THREE)
    paths = np.full((50, len(WEEKS)), 30.0)
    roster = _roster(["mld", "deep_tissue"], [40, 30])
    hours = rostered_hours_by_clinic(default_roster(roster, config), ["a"], WEEKS)
    table = staffing_table("a", WEEKS, paths, hours["a"], default_staffing(config))
    assert table["hours_rostered"].tolist() == [40, 40]  # only the MLD therapist gives MLD
    out = staff_by_skill([table], roster, config, WEEKS)
    assert list(out.staffing.columns[: len(table.columns)]) == list(table.columns)
    pd.testing.assert_frame_equal(out.staffing[table.columns], table)
    assert "gap_hours:deep_tissue" in out.staffing and "idle_hours:scar" in out.staffing
    assert out.staffing["idle_hours:deep_tissue"].tolist() == [30, 30]  # no demand yet
    # no scar therapist, but scar needs nothing yet: no problem
    assert out.problems == ()


def test_skill_labels():
    assert skill_label("mld") == "MLD"
    assert skill_label("deep_tissue") == "deep tissue"


def test_a_clinic_without_an_mld_therapist_is_named_not_a_crash():
    config = Config()
    paths = np.full((50, len(WEEKS)), 10.0)
    roster = _roster(["deep_tissue", ""], [40, 30])  # "": a skills cell naming no known skill
    hours = rostered_hours_by_clinic(default_roster(roster, config), ["a"], WEEKS)
    table = staffing_table("a", WEEKS, paths, hours["a"], default_staffing(config))
    assert table["hours_rostered"].tolist() == [0, 0]
    out = staff_by_skill([table], roster, config, WEEKS)
    (problem,) = out.problems
    assert problem.kind == UNCOVERED_SKILL
    assert "no therapist on the roster has the MLD skill" in problem.sentence
    assert "add an MLD-certified therapist" in problem.fix


def test_run_week_with_mld_only_data_gives_todays_numbers(demo_exports, tmp_path):
    end, as_of = date(2025, 7, 1), date(2025, 6, 2)
    config = Config.model_validate({"model": {"name": "seasonal_naive"}, "n_paths": 100})
    demo_exports(tmp_path / "raw", clinics=2, years=2, seed=3, end=end)
    write_processed(ingest(tmp_path / "raw", config.ingest, end), tmp_path / "processed")
    procedures, sessions, roster = load_processed(tmp_path / "processed")
    assert C.SKILLS not in roster

    def week(roster_frame, cfg):
        return run_week(cut_inputs(procedures, sessions, roster_frame, as_of), cfg)

    today = week(roster, config)
    assert today.skills is not None and set(today.skills.table["skill"]) == {"mld"}
    every_mld = roster.assign(**{C.SKILLS: "mld"})
    pd.testing.assert_frame_equal(week(every_mld, config).staffing, today.staffing)
    three = week(every_mld, config.model_copy(update={"services": from_dict(THREE).services}))
    # the other services have no sessions and no referrals: `sessions` (their total) is MLD's,
    # and each service's own series follows it (MLD's equal to the total)
    per_service = three.forecast[C.SERIES].str.startswith("sessions:")
    pd.testing.assert_frame_equal(three.forecast[~per_service].reset_index(drop=True),
                                  today.forecast)  # fmt: skip
    of = three.forecast.set_index([C.CLINIC, C.WEEK, C.SERIES])[C.MEAN].unstack(C.SERIES)
    np.testing.assert_array_equal(of["sessions:mld"], of["sessions"])
    assert (of["sessions:deep_tissue"] == 0).all() and (of["sessions:scar"] == 0).all()
    pd.testing.assert_frame_equal(three.staffing[today.staffing.columns], today.staffing)
    extra = [c for c in three.staffing.columns if c not in today.staffing.columns]
    assert extra[:5] == [
        "hours_needed:mld",
        "hours_rostered:mld",
        "hours_covered:mld",
        "gap_hours:mld",
        "idle_hours:mld",
    ]
    np.testing.assert_allclose(
        three.staffing["hours_needed:mld"], today.staffing["therapist_hours_needed"]
    )
    np.testing.assert_allclose(
        three.staffing["hours_rostered:mld"], today.staffing["hours_rostered"]
    )


def _fewest_uncovered(need: dict[str, float], hours: list[float], held: list[set[str]]) -> float:
    """The least hours left uncovered, by a dense LP written out independently (no tie-break)."""
    from scipy.optimize import linprog

    skills = list(need)
    pairs = [(t, k) for t in range(len(hours)) for k in skills if k in held[t]]
    n = len(pairs) + len(skills)
    cost = np.r_[np.zeros(len(pairs)), np.ones(len(skills))]
    a_ub = np.zeros((len(hours), n))
    for j, (t, _) in enumerate(pairs):
        a_ub[t, j] = 1
    a_eq = np.zeros((len(skills), n))
    for j, (_, k) in enumerate(pairs):
        a_eq[skills.index(k), j] = 1
    for i in range(len(skills)):
        a_eq[i, len(pairs) + i] = 1
    result = linprog(cost, A_ub=a_ub, b_ub=hours, A_eq=a_eq, b_eq=list(need.values()))
    return float(result.fun)


def test_cover_leaves_the_fewest_hours_uncovered_on_random_clinics():
    rng = np.random.default_rng(7)
    services = from_dict(THREE).service_settings
    sets = [{"mld"}, {"deep_tissue"}, {"scar"}, {"mld", "deep_tissue"}, {"mld", "scar"}]
    rosters, rows, cases = [], [], []
    for c in range(30):
        n = int(rng.integers(1, 6))
        held = [sets[i] for i in rng.integers(0, len(sets), size=n)]
        hours = [float(h) for h in rng.choice([8, 16, 24, 40], size=n)]
        need = {k: float(rng.integers(0, 60)) for k in ("mld", "deep_tissue", "scar")}
        rosters.append(_roster([";".join(sorted(h)) for h in held], hours, clinic=f"c{c:02d}"))
        rows += [(f"c{c:02d}", WEEKS[0], k, v) for k, v in need.items()]
        cases.append((need, hours, held))
    result = cover(_needed(rows), pd.concat(rosters, ignore_index=True), services, WEEKS[:1])
    gaps = result.table.groupby(C.CLINIC)["gap_hours"].sum().to_numpy()
    expected = [_fewest_uncovered(*case) for case in cases]
    np.testing.assert_allclose(gaps, expected, atol=1e-6)
    assert (result.table["hours_covered"] <= result.table["hours_rostered"] + 1e-9).all()


def test_the_sentence_names_the_skill_whose_therapists_idle_most():
    # MLD 36 h needed, 20 h of MLD rostered: 16 h short; deep tissue (30 h) and scar (10 h)
    # therapists sit idle: the sentence names deep tissue's 30 h, not the 40 h of both
    roster = _roster(["mld", "deep_tissue", "scar"], [20, 30, 10])
    result = cover(
        _needed([("a", WEEKS[0], "mld", 36.0)]), roster, from_dict(THREE).service_settings, WEEKS
    )
    assert result.sentences(fte_hours=40)["a"] == [
        "MLD short 16 h in the week of 2026-12-07 while deep tissue has 30 h idle: one more "
        "MLD-certified therapist, or cross-training, covers it"
    ]
    # only 10 h idle elsewhere for a 16 h gap: cross-training covers part
    small = _roster(["mld", "scar"], [20, 10])
    partial = cover(
        _needed([("a", WEEKS[0], "mld", 36.0)]), small, from_dict(THREE).service_settings, WEEKS
    )
    assert partial.sentences(40)["a"][0].endswith(
        "while scar has 10 h idle: one more MLD-certified therapist, or cross-training "
        "(for 10 h), covers it"
    )
    # nobody idle: a certified therapist, with the FTE it takes
    alone = cover(
        _needed([("a", WEEKS[0], "mld", 100.0)]),
        _roster(["mld"], [20]),
        from_dict(THREE).service_settings,
        WEEKS,
    )
    assert alone.sentences(40)["a"] == [
        "MLD short 80 h in the week of 2026-12-07: 2 more MLD-certified therapists (2.0 FTE) "
        "cover it"
    ]
