"""Faults operations meet, each as one sentence with the path and the fix (issue: unattended).

A read-only or missing place to write, a full disk while publishing, an unusable HOME. The
command is run as users run it (``python -m lymphcast weekly``, a subprocess) where Prefect is
involved; the folders are real read-only or tiny tmpfs mounts when the tests run as root (CI
does), and the same faults made without mounts otherwise.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from forecasting.errors import ConfigError, OutputError
from lymphcast import preflight

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2026-11-30"


def _mount(folder: Path, options: str) -> bool:
    """A tmpfs at ``folder`` (root only); False when it cannot be mounted here."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True
    )
    return done.returncode == 0


def _umount(folder: Path) -> None:
    subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@pytest.fixture
def read_only(tmp_path):
    folder = tmp_path / "read-only"
    mounted = _mount(folder, "size=1m,ro")
    if not mounted:  # not root: a path below a regular file cannot be written either
        (tmp_path / "a-file").write_text("x")
        folder = tmp_path / "a-file" / "reports"
    yield folder
    if mounted:
        _umount(tmp_path / "read-only")


def test_an_unwritable_reports_folder_is_refused_before_any_work(read_only) -> None:
    with pytest.raises(ConfigError) as err:
        preflight.check_writable(read_only, "--reports")
    message = str(err.value)
    assert str(read_only) in message and "--reports" in message and "\n" not in message


def test_too_little_free_space_is_refused(tmp_path) -> None:
    with pytest.raises(OutputError, match="orchestration.min_free_mb"):
        preflight.check_free_space(tmp_path, min_mb=1e12, option="--processed")
    preflight.check_free_space(tmp_path, min_mb=0, option="--processed")  # enough


def test_an_unusable_home_falls_back_to_a_prefect_home_in_the_data_folder(
    tmp_path, monkeypatch
) -> None:
    (tmp_path / "home-file").write_text("HOME is a file, not a folder")
    monkeypatch.setenv("HOME", str(tmp_path / "home-file"))
    monkeypatch.delenv("PREFECT_HOME", raising=False)
    monkeypatch.delenv("MPLCONFIGDIR", raising=False)
    note = preflight.prefect_home(tmp_path / "data")
    assert note and "using" in note
    assert os.environ["PREFECT_HOME"] == str((tmp_path / "data" / ".prefect").resolve())
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "usable"))
    assert preflight.prefect_home(tmp_path / "data") is None  # a usable home is left alone


def _weekly(tmp_path: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    config = tmp_path / "fast.toml"
    config.write_text(
        '[model]\nname = "seasonal_naive"\n[orchestration]\nio_retries = 0\nmin_free_mb = 0\n'
    )
    command = [sys.executable, "-m", "lymphcast", "weekly", "--as-of", AS_OF]
    command += ["--config", str(config), "--raw", str(tmp_path / "raw"), *args]
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, env={**os.environ, **(env or {})}
    )


@pytest.fixture(scope="module")
def small_raw(demo_exports, tmp_path_factory) -> Path:

    raw = tmp_path_factory.mktemp("faults") / "raw"
    demo_exports(raw, clinics=1, years=2, seed=3, end=date(2026, 11, 30))
    return raw


def _copy_raw(small_raw: Path, tmp_path: Path) -> None:
    (tmp_path / "raw").mkdir()
    for f in small_raw.iterdir():
        (tmp_path / "raw" / f.name).write_bytes(f.read_bytes())


@pytest.mark.slow
def test_weekly_with_a_read_only_reports_folder_exits_2_in_one_sentence(
    tmp_path, small_raw, read_only
) -> None:
    _copy_raw(small_raw, tmp_path)
    done = _weekly(tmp_path, "--processed", str(tmp_path / "p"), "--reports", str(read_only))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr + done.stdout
    assert "starting Prefect" not in done.stderr  # refused before Prefect starts
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and str(read_only) in errors[0]


@pytest.mark.slow
def test_a_disk_full_while_publishing_is_one_sentence_and_keeps_the_last_report(
    tmp_path, small_raw, prefect_api_env
) -> None:
    _copy_raw(small_raw, tmp_path)
    tiny = tmp_path / "tiny"
    if not _mount(tiny, "size=64k"):
        pytest.skip("needs root to mount a tiny tmpfs (CI runs as root)")
    try:
        last = tiny / "2026-W49"
        last.mkdir()
        (last / "index.html").write_text("last good report")
        out = ["--processed", str(tmp_path / "p"), "--reports", str(tiny)]
        done = _weekly(tmp_path, *out, env=prefect_api_env)
        assert done.returncode == 1, done.stderr[-2000:]
        assert "Traceback" not in done.stderr + done.stdout
        errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1
        assert "No space left on device" in errors[0] and "free space" in errors[0]
        assert str(last) in errors[0]  # the folder being published, not a staging copy
        assert (last / "index.html").read_text() == "last good report"
        assert not [p for p in tiny.iterdir() if p.name.startswith(".2026-W49.")]
    finally:
        _umount(tiny)


@pytest.mark.slow
def test_weekly_with_a_read_only_home_completes_with_a_note(tmp_path, small_raw) -> None:
    _copy_raw(small_raw, tmp_path)
    home = tmp_path / "home"
    mounted = _mount(home, "size=1m,ro")
    if not mounted:
        home = tmp_path / "home-file"
        home.write_text("not a folder")
    try:
        env = {"HOME": str(home)}
        env_clean = {k: v for k, v in os.environ.items() if k not in ("PREFECT_HOME",)}
        done = subprocess.run(
            [sys.executable, "-m", "lymphcast", "weekly", "--as-of", AS_OF, "--raw",
             str(tmp_path / "raw"), "--processed", str(tmp_path / "data" / "processed"),
             "--reports", str(tmp_path / "reports")],
            cwd=tmp_path, capture_output=True, text=True, env={**env_clean, **env},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        assert "Traceback" not in done.stderr
        assert "using" in done.stderr and ".prefect" in done.stderr
        assert (tmp_path / "reports" / "2026-W49" / "index.html").is_file()
    finally:
        if mounted:
            _umount(home)
