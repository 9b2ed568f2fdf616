"""Row reasons and daily totals at ingest equal their straightforward pandas/pandera forms."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest

from forecasting.config import IngestConfig
from forecasting.ingest.aggregate import _reduce
from forecasting.ingest.schema import _MISSING, row_reasons, schema

TODAY = date(2025, 6, 30)


def _pandera_reasons(typed: pd.DataFrame, s: pa.DataFrameSchema) -> pd.Series:
    """Reasons from pandera's own lazy validation report (how row_reasons used to do it)."""
    reasons = pd.Series("", index=typed.index, dtype=object)
    try:
        s.validate(typed, lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases.dropna(subset=["index"])
        text = np.where(
            cases["check"].astype(str) == "not_nullable",
            cases["column"].map(lambda c: _MISSING.get(c, f"{c} is missing")),
            cases["check"].astype(str),
        )
        order: list[str] = []
        for name, col in s.columns.items():
            order += [_MISSING.get(name, f"{name} is missing")] + [str(c.error) for c in col.checks]
        order += [str(c.error) for c in s.checks]
        found = pd.DataFrame({"index": cases["index"].astype(np.int64).to_numpy(), "text": text})
        found = found.drop_duplicates().assign(rank=lambda f: f["text"].map(order.index))
        found = found.sort_values(["index", "rank"], kind="stable")
        joined = found.groupby("index", sort=True)["text"].agg("; ".join)
        reasons.loc[joined.index] = joined.to_numpy()
    return reasons


def _typed(kind: str, n: int, rng: np.random.Generator) -> pd.DataFrame:
    def pick(values, missing=0.05, dtype=None):
        out = pd.Series(np.array(values, dtype=object)[rng.integers(0, len(values), n)])
        out[rng.random(n) < missing] = None
        return out.astype(dtype) if dtype else out

    days = pd.to_datetime(["1999-06-01", "2024-01-01", "2025-06-29", "2025-07-10", "2028-01-01"])
    days = np.append(days.to_numpy().astype("datetime64[s]"), np.datetime64("NaT", "s"))

    def dates():
        return pd.Series(days[rng.integers(0, len(days), n)])

    typed = pd.DataFrame({"clinic_id": pick(["a", "b", "c", ""], dtype="str")})
    if kind != "roster":
        typed["date"] = dates()
        counts = np.array([1.0, 0.0, -1.0, 2.5, 5000.0, np.nan])
        typed["count"] = counts[rng.integers(0, len(counts), n)]
    if kind in ("procedures", "sessions"):
        typed["status"] = pick(["completed", "scheduled", "cancelled", "attended", "no_show"])
    if kind == "procedures":
        typed["procedure_name"] = pick(["Lipo", "", "BBL"], dtype="str")
        typed["procedure"] = "other"
        typed["booked_on"] = dates()
        typed["_duplicate"] = rng.random(n) < 0.1
    if kind == "sessions":
        typed["service_name"] = pick(["MLD", "", "Cupping"], dtype="str")
        typed["service"] = "mld"
        typed["_unknown_kind_name"] = rng.random(n) < 0.1
    if kind == "referrals":
        typed["referral_name"] = pick(["Fracture", "", "Knitting"], dtype="str")
        typed["_unknown_kind_name"] = rng.random(n) < 0.1
        typed["immobilisation_end"], typed["start_after"] = dates(), dates()
        typed["driver_date"] = typed["immobilisation_end"].fillna(typed["date"])
        for flag in ("_bad_immobilisation_end", "_bad_start_after", "_duplicate"):
            typed[flag] = rng.random(n) < 0.05
    if kind == "roster":
        typed["therapist_id"] = pick(["t1", "t2", "", "t3"], dtype="str")
        typed["weekly_hours"] = np.array([10.0, 40.0, 90.0, -1.0, np.nan])[rng.integers(0, 5, n)]
        typed["start_date"], typed["end_date"] = dates(), dates()
        typed["_bad_start_date"] = rng.random(n) < 0.05
        typed["_bad_end_date"] = rng.random(n) < 0.05
    return typed


@pytest.mark.parametrize("kind", ["procedures", "sessions", "referrals", "roster"])
@pytest.mark.parametrize("clinics", [[], ["a", "b"]])
def test_row_reasons_equal_pandera_lazy_validation(kind, clinics):
    typed = _typed(kind, 1500, np.random.default_rng(len(kind) + len(clinics)))
    s = schema(kind, IngestConfig(clinics=clinics), TODAY)
    got = row_reasons(typed, s)
    pd.testing.assert_series_equal(got, _pandera_reasons(typed, s))
    assert got.str.contains("; ").sum() > 100  # rows with several reasons, in schema order


def test_daily_totals_equal_a_pandas_groupby():
    rng = np.random.default_rng(1)
    n = 3000
    rows = pd.DataFrame(
        {
            "clinic_id": pd.Series(rng.choice(["b", "a"], n), dtype="str"),
            "procedure": pd.Series(rng.choice(["bbl", "other", "liposuction"], n), dtype="str"),
            "date": (np.datetime64("2024-01-01") + rng.integers(0, 400, n)).astype("M8[s]"),
            "status": pd.Series(rng.choice(["completed", "scheduled"], n), dtype="str"),
            "booked_week": pd.Series(
                np.where(rng.random(n) < 0.4, np.datetime64("NaT"), np.datetime64("2024-01-01"))
            ).astype("M8[us]"),
            "count": rng.integers(0, 4, n).astype(float),
        }
    )
    keys = ["clinic_id", "procedure", "date", "status", "booked_week"]
    want = (
        rows.groupby(keys, dropna=False, sort=True, observed=True)
        .agg(count=("count", "sum"), rows=("count", "size"))
        .reset_index()
    )
    pd.testing.assert_frame_equal(_reduce(rows, keys), want)
    assert _reduce(rows.iloc[:0], keys).empty
