"""The benchmark suite's random clinic networks (benchmarks/networks.py)."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import networks as N  # noqa: E402
from forecasting.config import IngestConfig  # noqa: E402
from forecasting.ingest import ingest  # noqa: E402

SEEDS = (6, 5)  # small networks (5 and 7 clinics): the test stays fast


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = {}
    for seed in SEEDS:
        raw = tmp_path_factory.mktemp(f"net{seed}")
        out[seed] = (N.generate_network(seed, raw), raw)
    return out


def test_same_seed_same_network_and_bytes(written, tmp_path):
    truth, raw = written[SEEDS[0]]
    again = N.generate_network(SEEDS[0], tmp_path)
    assert again.clinics == truth.clinics and again.pathways == truth.pathways
    assert [p.name for p in again.files] == [p.name for p in truth.files]
    for a, b in zip(truth.files, again.files, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    cut = truth.cutoffs[0]
    assert truth.expected_sessions(cut).equals(again.expected_sessions(cut))
    assert N.draw_network(SEEDS[1]).clinics != truth.clinics


def test_structure_within_documented_ranges(written):
    for truth, _ in written.values():
        assert N.N_CLINICS[0] <= len(truth.clinics) <= N.N_CLINICS[1]
        assert truth.country in N.COUNTRIES
        assert N.FIRST_CUTOFF[0] <= truth.cutoffs[0] <= N.FIRST_CUTOFF[1]
        assert all(c.weekday() == 0 for c in truth.cutoffs)
        for p in truth.pathways.values():
            assert N.FIRST_WEEK[0] <= p.first_week <= N.FIRST_WEEK[1]
            assert N.PEAK_WEEK[0] <= p.peak_week <= N.PEAK_WEEK[1] or p.peak_week == p.first_week
            assert N.COURSE_WEEKS[0] <= p.course_weeks <= N.COURSE_WEEKS[1]
            assert N.UPTAKE[0] <= p.uptake <= N.UPTAKE[1]
            assert sum(p.by_week) == pytest.approx(p.sessions, abs=1e-2)
            assert all(v == 0 for v in p.by_week[: p.first_week])
        for c in truth.clinics:
            assert N.SIZE[0] <= c.size <= N.SIZE[1]
            assert N.GROWTH[0] <= c.growth <= N.GROWTH[1]
            assert N.NO_SHOW[0] <= c.no_show <= N.NO_SHOW[1]
            assert N.CANCEL[0] <= c.cancel <= N.CANCEL[1]
            assert N.NON_SURGICAL[0] <= c.non_surgical_share <= N.NON_SURGICAL[1]
            if c.new:
                weeks = (truth.cutoffs[0] - c.opened).days / 7
                assert N.OPENED_WEEKS[0] - 1 <= weeks <= N.OPENED_WEEKS[1]
                assert N.RAMP_WEEKS[0] <= c.ramp_weeks <= N.RAMP_WEEKS[1]
            for _, change in c.shifts:
                assert N.SHIFT_SIZE[0] <= abs(change) <= N.SHIFT_SIZE[1]
            for _, weeks in c.closures:
                assert N.CLOSURE_WEEKS[0] <= weeks <= N.CLOSURE_WEEKS[1]
            for t, names in c.style.names.items():
                assert set(names) <= set(N.NAMES[c.style.name_style][t])


def test_categories_young_and_shifted_appear(written):
    seen = set()
    for truth, _ in written.values():
        for cut in truth.cutoffs:
            seen |= set(truth.categories(cut).values())
        assert any(c.new for c in truth.clinics)
        assert any(c.shifts for c in truth.clinics)
    assert {"young", "shifted", "mature"} <= seen


def test_exports_are_accepted_by_ingest(written):
    for truth, raw in [written[SEEDS[0]]]:  # one network: ingest is the slow part
        cut = truth.cutoffs[-1]
        result = ingest(raw, IngestConfig(), cut)
        assert result.usable
        accepted = sum(f.rows_accepted for f in result.files)
        quarantined = sum(f.rows_quarantined for f in result.files)
        assert accepted > 0 and all(f.status == "ok" for f in result.files)
        assert quarantined <= 0.001 * accepted
        # ingested sessions are what the generator says happened, week by week
        real = truth.realised_sessions()
        real = real.loc[real["week"] < str(cut)].set_index(["clinic_id", "week"])["sessions"]
        got = result.sessions_weekly.set_index(["clinic_id", "week"])["sessions"]
        got = got.reindex(real.index, fill_value=0)
        assert np.array_equal(got.to_numpy(float), real.to_numpy(float))
        assert set(result.roster["clinic_id"]) == {c.id for c in truth.clinics}


def test_expected_demand_finite_and_non_negative(written):
    for truth, _ in written.values():
        for cut in truth.cutoffs:
            frame = truth.expected_sessions(cut)
            assert len(frame) == len(truth.clinics) * truth.horizon
            values = frame["expected"].to_numpy()
            assert np.isfinite(values).all() and (values >= 0).all() and values.sum() > 0
        # before any cut-off the expectation tracks what happened (same order of magnitude)
        cut = truth.cutoffs[0] - timedelta(weeks=30)
        exp = truth.expected_sessions(cut).groupby("clinic_id")["expected"].sum()
        real = truth.realised_sessions()
        weeks = real["week"].between(str(cut), str(cut + timedelta(weeks=truth.horizon - 1)))
        got = real.loc[weeks].groupby("clinic_id")["sessions"].sum()
        assert (got.sum() - exp.sum()) / exp.sum() == pytest.approx(0, abs=0.15)
