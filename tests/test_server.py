"""Integration with a real Prefect server: `prefect server start`, `lymphcast serve`, a worker.

For each database (SQLite, then PostgreSQL: Debian's postgresql on 127.0.0.1, which `make test`
installs; .ci/run starts a cluster and passes its URL in LYMPHCAST_TEST_POSTGRES_URL, otherwise
this module starts one with scripts/test-postgres.sh), the module starts `prefect server start`
on a free port with a temporary PREFECT_HOME, serves prefect.yaml's deployments with
`lymphcast serve`, triggers the weekly deployment through the API, waits for Completed and checks
the report and the artifacts through the API. On PostgreSQL it then takes the production path:
a process work pool, `prefect deploy --all` and `prefect worker start --run-once`. Then it stops
everything.

Each test names the databases it runs on: the database-independent paths (a failed run's
notice, the backtest, a served weekly run, whose report and artifacts the production path checks
again on PostgreSQL) run once, on SQLite; what the database could change (the deployments as
registered, a whole run through a worker) runs on both or on PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from flows.environment import QUIET_SERVER_ENV

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CONFIG = 'n_paths = 100\nhorizon_weeks = 6\ntimezone = "Europe/Berlin"\n'
POSTGRES_URL_ENV = "LYMPHCAST_TEST_POSTGRES_URL"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(check, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"{what} did not come up within {timeout:.0f} s")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _check_reachable(url: str) -> None:
    """Fail with one sentence when nothing listens at a PostgreSQL URL's host and port."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5432
    try:
        socket.create_connection((host, port), timeout=5).close()
    except OSError:
        raise AssertionError(
            f"{POSTGRES_URL_ENV} points at {host}:{port}, where no PostgreSQL answers; start it "
            "(.ci/run does) or unset the variable to let this test start its own cluster"
        ) from None


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """An empty PostgreSQL database for Prefect: LYMPHCAST_TEST_POSTGRES_URL when set (.ci/run
    starts the cluster), else a throw-away cluster started here by scripts/test-postgres.sh."""
    if url := os.environ.get(POSTGRES_URL_ENV):
        _check_reachable(url)
        yield url
        return
    script = ["bash", str(ROOT / "scripts" / "test-postgres.sh")]
    done = subprocess.run(
        [*script, "start", str(os.getpid())], capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr.strip()
    home = done.stdout.strip()
    try:
        yield (Path(home) / "url").read_text().strip()
    finally:
        subprocess.run([*script, "stop", home], check=True, timeout=120)


BOTH = pytest.mark.parametrize("server", ["sqlite", "postgres"], indirect=True)
SQLITE = pytest.mark.parametrize("server", ["sqlite"], indirect=True)
POSTGRES = pytest.mark.parametrize("server", ["postgres"], indirect=True)


@pytest.fixture(scope="module")
def server(demo_exports, request, tmp_path_factory) -> Iterator[dict]:
    """`prefect server start` + `lymphcast serve`; yields the API URL, a data directory, the
    environment the processes got and ``stop_serving`` (stops `lymphcast serve`)."""
    root = tmp_path_factory.mktemp(f"server-{request.param}")
    env = {**os.environ, **QUIET_SERVER_ENV, "PREFECT_HOME": str(root / "prefect-home")}
    for key in (
        "PREFECT_API_URL",
        "PREFECT_SERVER_DATABASE_CONNECTION_URL",
        "PREFECT_API_DATABASE_CONNECTION_URL",
    ):
        env.pop(key, None)
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = url
        env["PREFECT_API_DATABASE_CONNECTION_URL"] = url
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    started = time.monotonic()
    srv = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
         "--port", str(port)],
        env=env, start_new_session=True, stdout=subprocess.DEVNULL,
        stderr=open(root / "server.log", "wb"),
    )  # fmt: skip

    def healthy() -> bool:
        assert srv.poll() is None, (root / "server.log").read_text()[-3000:]
        try:
            return httpx.get(f"{api}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    runner = None

    def stop_serving() -> None:
        if runner is not None:
            _stop(runner)

    try:
        _wait(healthy, "prefect server")
        startup = time.monotonic() - started
        demo_exports(root / "raw", clinics=2, years=3, seed=2, end=date(2025, 7, 1))
        (root / "lymphcast.toml").write_text(CONFIG)
        runner = subprocess.Popen(
            [sys.executable, "-m", "lymphcast", "serve", "--config", str(root / "lymphcast.toml")],
            cwd=ROOT, env={**env, "PREFECT_API_URL": api}, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=open(root / "serve.log", "wb"),
        )  # fmt: skip
        yield {
            "api": api,
            "root": root,
            "db": request.param,
            "startup": startup,
            "env": env,
            "stop_serving": stop_serving,
        }
    finally:
        stop_serving()
        _stop(srv)


def _client(api: str):
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    class _Ctx:
        def __enter__(self):
            self._settings = temporary_settings({PREFECT_API_URL: api})
            self._settings.__enter__()
            self._client = get_client(sync_client=True)
            return self._client.__enter__()

        def __exit__(self, *exc):
            self._client.__exit__(*exc)
            self._settings.__exit__(*exc)

    return _Ctx()


def _deployment(client, name: str, timeout: float = 90):
    from prefect.exceptions import ObjectNotFound

    found = []

    def registered() -> bool:
        try:
            found.append(client.read_deployment_by_name(name))
        except ObjectNotFound:
            return False
        return True

    _wait(registered, f"deployment {name}", timeout)
    return found[-1]


def _run(client, deployment, parameters: dict, timeout: float = 240):
    from prefect.client.schemas.objects import StateType

    run = client.create_flow_run_from_deployment(deployment.id, parameters=parameters)
    final = {StateType.COMPLETED, StateType.FAILED, StateType.CRASHED, StateType.CANCELLED}

    def finished() -> bool:
        return client.read_flow_run(run.id).state.type in final

    _wait(finished, f"flow run {run.name}", timeout)
    return client.read_flow_run(run.id)


def _params(root: Path, **extra) -> dict:
    return {
        "as_of": "2025-06-02",
        "config_path": str(root / "lymphcast.toml"),
        "raw": str(root / "raw"),
        "processed": str(root / "processed"),
        "reports": str(root / "reports"),
        **extra,
    }


@BOTH
def test_served_deployments_have_schedule_timezone_and_limit(server):
    with _client(server["api"]) as client:
        weekly = _deployment(client, "weekly-staffing/weekly-staffing")
        backtest = _deployment(client, "monthly-backtest/monthly-backtest")
    cron = weekly.schedules[0].schedule
    assert cron.cron == "0 6 * * 1" and cron.timezone == "Europe/Berlin"  # from lymphcast.toml
    assert weekly.global_concurrency_limit.limit == 1  # two weekly runs never overlap
    assert weekly.concurrency_options.collision_strategy == "ENQUEUE"
    assert backtest.schedules[0].schedule.cron == "0 2 1 * *"


@SQLITE
def test_weekly_run_through_the_api_completes_with_report_and_artifacts(server):
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    root = server["root"]
    with _client(server["api"]) as client:
        weekly = _deployment(client, "weekly-staffing/weekly-staffing")
        run = _run(client, weekly, _params(root))
        assert run.state.is_completed(), (root / "serve.log").read_text()[-3000:]
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(like_="weekly-staffing"))
        )
    report = root / "reports" / "2025-W23"
    assert {"index.html", "forecast.csv", "staffing.csv"} <= {p.name for p in report.iterdir()}
    keys = {a.key for a in artifacts}
    assert "weekly-staffing-report" in keys, keys
    link = next(a for a in artifacts if a.key == "weekly-staffing-report")
    assert str(report.resolve()) in str(link.data)


@SQLITE  # the failure path is database-independent
def test_failed_run_leaves_a_notice_file_and_artifact(server):
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    root = server["root"]
    missing = root / "no-such-exports"
    with _client(server["api"]) as client:
        weekly = _deployment(client, "weekly-staffing/weekly-staffing")
        run = _run(client, weekly, _params(root, raw=str(missing), reports=str(root / "bad")))
        assert run.state.is_failed()
        # The runner's process may still be sending the artifact when the run reads Failed.
        deadline = time.monotonic() + 30
        while True:
            notices = client.read_artifacts(
                artifact_filter=ArtifactFilter(
                    key=ArtifactFilterKey(any_=["weekly-staffing-failure"])
                )
            )
            if any(str(missing) in str(a.data) for a in notices) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    text = (root / "bad" / "2025-W23.FAILED.md").read_text()
    assert str(missing) in text and "## What to do" in text
    assert any(str(missing) in str(a.data) for a in notices)


@SQLITE  # one backtest run is enough
def test_monthly_backtest_deployment_runs_and_publishes(server):
    root = server["root"]
    assert (root / "processed" / "procedures_weekly.parquet").is_file(), "weekly test ran first"
    params = {
        "config_path": str(root / "lymphcast.toml"),
        "processed": str(root / "processed"),
        "out": str(root / "backtest"),
        "models": ["seasonal_naive"],
        "horizon": 4,
        "folds": 2,
        "n_paths": 50,
    }
    with _client(server["api"]) as client:
        backtest = _deployment(client, "monthly-backtest/monthly-backtest")
        run = _run(client, backtest, params)
    assert run.state.is_completed(), (root / "serve.log").read_text()[-3000:]
    assert (root / "backtest" / "leaderboard.csv").is_file()


@POSTGRES  # the worker path is checked once, on PostgreSQL as in production
def test_prefect_deploy_and_a_process_worker_run_the_weekly_flow(server):
    """The production path in the README: a process work pool, `prefect deploy --all` of
    prefect.yaml, `prefect worker start`, on PostgreSQL. Runs last: it stops `lymphcast serve`,
    whose deployments have the same names, and deploys in their place."""
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    root, api = server["root"], server["api"]
    names = ("weekly-staffing/weekly-staffing", "monthly-backtest/monthly-backtest")
    with _client(api) as client:
        served = [_deployment(client, name) for name in names]
        server["stop_serving"]()
        for deployment in served:
            client.delete_deployment(deployment.id)
    env = {**server["env"], "PREFECT_API_URL": api, "LYMPHCAST_HOME": str(ROOT)}
    log = root / "worker.log"

    def prefect(*args: str, timeout: float = 120) -> None:
        with open(log, "ab") as out:
            done = subprocess.run(
                [sys.executable, "-m", "prefect", "--no-prompt", *args],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=timeout,
            )  # fmt: skip
        assert done.returncode == 0, f"prefect {' '.join(args)}:\n{log.read_text()[-3000:]}"

    prefect("work-pool", "create", "lymphcast", "--type", "process", "--overwrite")
    prefect("deploy", "--all")
    params = _params(root, processed=str(root / "w-processed"), reports=str(root / "w-reports"))
    with _client(api) as client:
        weekly, backtest = (client.read_deployment_by_name(name) for name in names)
        assert weekly.work_pool_name == backtest.work_pool_name == "lymphcast"
        assert weekly.pull_steps == [
            {"prefect.deployments.steps.set_working_directory": {"directory": str(ROOT)}}
        ]
        cron = weekly.schedules[0].schedule
        assert cron.cron == "0 6 * * 1" and cron.timezone == "America/New_York"  # prefect.yaml
        assert weekly.global_concurrency_limit.limit == 1
        run = client.create_flow_run_from_deployment(weekly.id, parameters=params)
    # --run-once: one poll of the pool, then the worker waits for the runs it started.
    prefect("worker", "start", "--pool", "lymphcast", "--run-once", timeout=300)
    with _client(api) as client:
        run = client.read_flow_run(run.id)
        assert run.state.is_completed(), f"{run.state!r}\n{log.read_text()[-3000:]}"
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["weekly-staffing-report"]))
        )
    report = root / "w-reports" / "2025-W23"
    assert {"index.html", "forecast.csv", "staffing.csv"} <= {p.name for p in report.iterdir()}
    assert any(str(report.resolve()) in str(a.data) for a in artifacts)
