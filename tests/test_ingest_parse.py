"""Property-based tests (hypothesis) of the parsing of counts and dates at ingest."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasting.ingest.parse import (
    DAY_FIRST,
    MONTH_FIRST,
    date_order_evidence,
    parse_date,
    parse_dates,
    parse_number,
    parse_numbers,
    slash_readings,
)

MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
dates = st.dates(min_value=date(1950, 1, 1), max_value=date(2200, 12, 31))
pad = st.sampled_from(["", " ", "  ", "\t"])
FAST = settings(max_examples=150, deadline=None, database=None)  # no .hypothesis/ in the repo


@FAST
@given(n=st.integers(0, 10**9), left=pad, right=pad, plus=st.booleans(), zeros=st.integers(0, 3))
def test_whole_counts_round_trip(n, left, right, plus, zeros):
    text = f"{left}{'+' if plus else ''}{n}{'.' + '0' * zeros if zeros else ''}{right}"
    assert parse_number(text) == n


@FAST
@given(n=st.integers(1000, 10**12))
def test_thousands_separators(n):
    assert parse_number(f"{n:,}") == n


@FAST
@given(n=st.integers(1, 10**6), frac=st.integers(1, 99))
def test_negative_and_fractional_counts_keep_their_sign_and_fraction(n, frac):
    assert parse_number(f"-{n}") == -n
    value = parse_number(f"{n}.{frac:02d}")
    assert value == float(f"{n}.{frac:02d}") and not value.is_integer()


@FAST
@given(text=st.text(max_size=20))
def test_any_count_text_parses_or_is_nan(text):
    value = parse_number(text, default=1.0)
    if not text.strip():
        assert value == 1.0  # an empty count means one row, one procedure
    elif any(c.isalpha() for c in text):
        assert math.isnan(value)  # words, 'n/a', '1e3', 'inf' are never numbers
    else:
        assert math.isnan(value) or math.isfinite(value)


@FAST
@given(values=st.lists(st.sampled_from(["1", " 2", "x", "", "-3", "4.5", "1,000"]), max_size=30))
def test_vectorised_counts_equal_one_by_one(values):
    got = parse_numbers(pd.Series(values, dtype="str"), default=1.0).tolist()
    want = [parse_number(v, default=1.0) for v in values]
    assert [None if math.isnan(x) else x for x in got] == [
        None if math.isnan(x) else x for x in want
    ]


def _formats(d: date) -> dict[str, tuple[str, str]]:
    """The same date written in every accepted format -> (text, order)."""
    serial = (d - date(1899, 12, 30)).days
    out = {
        "iso": (d.isoformat(), MONTH_FIRST),
        "iso_time": (f"{d.isoformat()} 13:45:00", MONTH_FIRST),
        "us": (f"{d.month:02d}/{d.day:02d}/{d.year}", MONTH_FIRST),
        "us_short": (f"{d.month}/{d.day}/{d.year}", MONTH_FIRST),
        "day_first": (f"{d.day:02d}/{d.month:02d}/{d.year}", DAY_FIRST),
        "dotted": (f"{d.day:02d}.{d.month:02d}.{d.year}", DAY_FIRST),
        "named": (f"{d.day:02d}-{MONTHS[d.month - 1]}-{d.year}", MONTH_FIRST),
        "named_us": (f"{MONTHS[d.month - 1]} {d.day}, {d.year}", MONTH_FIRST),
        "compact": (d.strftime("%Y%m%d"), MONTH_FIRST),
    }
    if 1000 <= serial <= 99999:
        out["excel_serial"] = (str(serial), MONTH_FIRST)
    return out


@FAST
@given(d=dates, fmt=st.sampled_from(list(_formats(date(2024, 1, 1)))))
def test_every_format_round_trips(d, fmt):
    text, order = _formats(d).get(fmt, (d.isoformat(), MONTH_FIRST))
    assert parse_date(text, order) == d


@FAST
@given(d=st.dates(min_value=date(2000, 1, 1), max_value=date(2068, 12, 31)))
def test_two_digit_years_are_this_century(d):
    assert parse_date(f"{d.month}/{d.day}/{d.strftime('%y')}") == d


@FAST
@given(d=dates)
def test_slash_dates_are_ambiguous_exactly_when_both_fields_are_months(d):
    mf, df = slash_readings(f"{d.month:02d}/{d.day:02d}/{d.year}")
    assert mf
    assert df == (d.day <= 12)


@FAST
@given(y=st.integers(1950, 2200), m=st.integers(1, 12), day=st.integers(29, 35))
def test_impossible_dates_are_none(y, m, day):
    try:
        real = date(y, m, day)
    except ValueError:
        real = None
    assert parse_date(f"{y}-{m:02d}-{day:02d}") == real
    assert parse_date(f"{m:02d}/{day:02d}/{y}") == real


@FAST
@given(text=st.text(max_size=30))
def test_any_date_text_parses_or_is_none(text):
    for order in (MONTH_FIRST, DAY_FIRST):
        value = parse_date(text, order)
        assert value is None or isinstance(value, date)


@FAST
@given(
    days=st.lists(st.integers(0, 20000), max_size=40),
    junk=st.lists(st.sampled_from(["", "soon", "31/31/2020", "2999-12-31"]), max_size=5),
)
def test_vectorised_dates_equal_one_by_one(days, junk):
    texts = [(date(1990, 1, 1) + timedelta(days=n)).strftime("%m/%d/%Y") for n in days] + junk
    got = parse_dates(pd.Series(texts, dtype="str"))
    for text, value in zip(texts, got, strict=True):
        want = parse_date(text)
        assert (pd.isna(value) and want is None) or value.date() == want


@FAST
@given(
    texts=st.lists(
        st.one_of(
            st.tuples(st.integers(0, 9999), st.integers(0, 13), st.integers(0, 32)).map(
                lambda t: f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d}"
            ),
            st.tuples(st.integers(0, 13), st.integers(0, 32), st.integers(0, 9999)).map(
                lambda t: f"{t[0]:02d}/{t[1]:02d}/{t[2]:04d}"
            ),
            st.tuples(
                st.integers(0, 39),
                st.sampled_from(MONTHS + ["mAR", "Foo", "Mär"]),
                st.integers(0, 9999),
            ).map(lambda t: f"{t[0]:02d}-{t[1]}-{t[2]:04d}"),
            st.text(alphabet="0123456789/-.: TaMrJn٣", max_size=12),
        ),
        max_size=40,
    ),
    order=st.sampled_from([MONTH_FIRST, DAY_FIRST]),
)
def test_vectorised_date_shapes_equal_one_by_one(texts, order):
    # ISO, slash and 05-Mar-2024 dates are read at once (ingest_parse._date_shapes): the same
    # days as parse_date, and the same slash evidence as slash_readings, text by text.
    got = parse_dates(pd.Series(texts, dtype="str"), order)
    for text, value in zip(texts, got, strict=True):
        want = parse_date(text, order)
        assert (pd.isna(value) and want is None) or value.date() == want, text
    counts = [0, 0, 0]
    for text in set(texts):
        readings = slash_readings(text)
        if readings is not None:
            mf, df = readings
            counts = [
                counts[0] + (mf and not df),
                counts[1] + (df and not mf),
                counts[2] + (mf and df),
            ]
    assert date_order_evidence(pd.Series(texts, dtype="str")) == tuple(counts)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Suction-assisted lipectomy", "liposuction"),
        ("SAL (trunk)", "liposuction"),
        ("CPT 15877", "liposuction"),
        ("15879-59", "liposuction"),
        ("VASER lipo", "liposuction"),
        ("Abdominal lipectomy", "abdominoplasty"),
        ("Panniculectomy", "abdominoplasty"),
        ("15830", "abdominoplasty"),
        ("Reduction mammoplasty", "breast_reduction"),
        ("19318", "breast_reduction"),
        ("Gluteal fat transfer", "bbl"),
        ("Salpingectomy", "other"),  # "sal" is a whole word only
        ("158770", "other"),  # a code is a whole word only
        ("Rhinoplasty", "other"),
    ],
)
def test_medical_names_abbreviations_and_cpt_codes(name, expected) -> None:
    from forecasting.ingest.parse import map_procedures, procedure_synonyms

    mapped = map_procedures(pd.Series([name]), procedure_synonyms({}))
    assert mapped.iloc[0] == expected


def test_configured_short_names_are_whole_words() -> None:
    from forecasting.ingest.parse import map_procedures, procedure_synonyms

    synonyms = procedure_synonyms({"bbl": ["GFT", "Brazilian gluteoplasty"]})
    names = pd.Series(["GFT", "gft left", "GFTX", "Brazilian gluteoplasty (rev)"])
    assert map_procedures(names, synonyms).tolist() == ["bbl", "bbl", "other", "bbl"]


# One case list per procedure family: standard medical names, abbreviations, CPT codes and the
# common non-English names (see DEFAULT_PROCEDURE_SYNONYMS for the sources of the codes).
FAMILIES = {
    "liposuction": [
        "Suction-assisted lipectomy", "Liposuction, abdomen", "Tumescent liposuction",
        "Power-assisted liposuction (PAL)", "UAL flanks", "Laser-assisted lipo (LAL)", "RFAL",
        "BodyTite", "Water-jet assisted WAL", "VASER", "Lipoaspiration", "Fettabsaugung",
        "Lipoescultura", "CPT 15876", "15877", "15878-RT", "15879",
    ],
    "abdominoplasty": [
        "Abdominoplasty", "Mini tummy tuck", "Lipoabdominoplasty", "Panniculectomy",
        "Abdominal lipectomy", "Dermolipectomy", "Abdominoplastie", "Abdominoplastia",
        "Bauchdeckenstraffung", "15830", "CPT 15847",
    ],
    "bbl": [
        "BBL", "Brazilian butt lift", "Brazilian bum lift", "Gluteal fat grafting",
        "Gluteoplasty", "Buttock augmentation with fat", "Fat transfer to buttocks",
        "Fat grafting to the buttocks", "Buttock lipofilling", "Levantamiento de glúteos",
    ],
    "breast_reduction": [
        "Breast reduction", "Reduction mammaplasty", "Bilateral reduction mammoplasty",
        "Mammaplasty, reduction", "Mastopexy", "Breast lift", "Male breast reduction",
        "Gynecomastia excision", "Gynaecomastia", "Brustverkleinerung",
        "Réduction mammaire", "Mamoplastia de reducción", "19318", "19316", "CPT 19300",
    ],
    "other": [
        "Lipoma excision", "Liposarcoma resection", "Cryolipolysis", "CoolSculpting flanks",
        "Injection lipolysis", "Kybella", "Augmentation mammaplasty", "Rhinoplasty",
        "Brachioplasty", "Facelift", "Thigh lift", "Body lift", "Lower body lift",
        "Belt lipectomy", "Circumferential lipectomy", "CPT 15836", "Salpingectomy", "158770",
    ],
}  # fmt: skip


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_vocabulary_covers_each_family(family) -> None:
    from forecasting.ingest.parse import map_procedures, procedure_synonyms

    names = pd.Series(FAMILIES[family])
    mapped = map_procedures(names, procedure_synonyms({}))
    wrong = {n: m for n, m in zip(names, mapped, strict=True) if m != family}
    assert not wrong, wrong


def test_known_other_names_are_not_unknown() -> None:
    """A lipoma excision is `other` by the vocabulary; a made-up name is unknown (missing)."""
    from forecasting.ingest.parse import match_procedures, procedure_synonyms

    names = pd.Series(["Lipoma excision", "Zap Body Sculpt", "Nasal Zed"])
    matched = match_procedures(names, procedure_synonyms({"other": ["Nasal Zed"]}))
    assert matched.isna().tolist() == [False, True, False]
    assert matched.dropna().tolist() == ["other", "other"]


def test_configured_synonyms_win_over_built_in_ones() -> None:
    from forecasting.ingest.parse import map_procedures, procedure_synonyms

    synonyms = procedure_synonyms({"liposuction": ["Lipoma"], "bbl": ["Sculpt"]})
    names = pd.Series(["Lipoma excision", "Zap Body Sculpt"])
    assert map_procedures(names, synonyms).tolist() == ["liposuction", "bbl"]
