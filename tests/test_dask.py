"""The weekly flow on a real dask.distributed LocalCluster (2 worker processes) equals threads."""

from __future__ import annotations

from datetime import date

import pytest

from forecasting.errors import LymphcastError

pytestmark = pytest.mark.slow

AS_OF = date(2025, 6, 2)
CONFIG = "n_paths = 100\nhorizon_weeks = 6\n[orchestration]\ndask_connect_timeout_seconds = 2\n"


@pytest.fixture(scope="module")
def data(demo_exports, tmp_path_factory):
    root = tmp_path_factory.mktemp("dask")
    demo_exports(root / "raw", clinics=2, years=3, seed=5, end=date(2025, 7, 1))
    (root / "lymphcast.toml").write_text(CONFIG)
    return root


def _run(root, name, **options):
    from flows.weekly import weekly_staffing

    return weekly_staffing(
        as_of=AS_OF,
        config_path=str(root / "lymphcast.toml"),
        raw=str(root / "raw"),
        processed=str(root / name / "processed"),
        reports=str(root / name / "reports"),
        **options,
    )


def test_dask_cluster_gives_the_same_outputs_as_threads(data, prefect_harness):
    from distributed import Client, LocalCluster

    _run(data, "threads")
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        _run(data, "dask", dask_address=cluster.scheduler_address)
        executed = client.run(lambda dask_worker: dask_worker.state.executed_count)
    assert len(executed) == 2
    assert sum(executed.values()) >= 2  # one forecast task per clinic (2 clinics) ran there
    for name in ("forecast.csv", "staffing.csv"):
        threads = (data / "threads" / "reports" / "2025-W23" / name).read_bytes()
        assert (data / "dask" / "reports" / "2025-W23" / name).read_bytes() == threads, name


def test_unreachable_scheduler_is_one_sentence_and_a_notice(data, prefect_harness):
    with pytest.raises(LymphcastError, match=r"Dask scheduler at tcp://127\.0\.0\.1:9 is unreach"):
        _run(data, "down", dask_address="tcp://127.0.0.1:9")
    notice = (data / "down" / "reports" / "2025-W23.FAILED.md").read_text()
    assert "Dask scheduler at tcp://127.0.0.1:9 is unreachable" in notice
    assert "## What to do" in notice and "Do what the error says" in notice
