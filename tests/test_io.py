import errno
import os

import pytest

from forecasting.io import publish_dir, write_text


def test_write_text_leaves_no_temp_file(tmp_path):
    write_text(tmp_path / "a.txt", "hello")
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_failed_writer_keeps_previous_file(tmp_path):
    from forecasting.io import atomic_write

    target = tmp_path / "a.txt"
    target.write_text("old")

    def boom(path):
        path.write_text("half")
        raise RuntimeError("crash")

    with pytest.raises(RuntimeError):
        atomic_write(target, boom)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_publish_dir_is_all_or_nothing(tmp_path):
    final = tmp_path / "2025-W23"
    with publish_dir(final) as staging:
        (staging / "x.csv").write_text("1")
    assert (final / "x.csv").read_text() == "1"
    with pytest.raises(RuntimeError), publish_dir(final) as staging:
        (staging / "x.csv").write_text("2")
        raise RuntimeError("crash mid-report")
    assert (final / "x.csv").read_text() == "1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2025-W23"]


@pytest.mark.parametrize(
    ("code", "fix"),
    [(errno.ENOSPC, "free space on that disk"), (errno.EROFS, "make the folder writable")],
)
def test_a_full_disk_or_read_only_folder_is_one_sentence_with_path_and_fix(tmp_path, code, fix):
    from forecasting.errors import OutputError
    from forecasting.io import atomic_write, publish_dir

    def broken(path):
        raise OSError(code, os.strerror(code))

    target = tmp_path / "reports" / "staffing.csv"
    with pytest.raises(OutputError) as err:
        atomic_write(target, broken)
    assert str(target) in str(err.value) and fix in str(err.value)
    assert not target.exists() and list(target.parent.iterdir()) == []  # no temp file left
    (tmp_path / "reports" / "2026-W49").mkdir()
    (tmp_path / "reports" / "2026-W49" / "index.html").write_text("last good")
    with pytest.raises(OutputError, match="2026-W49"):
        with publish_dir(tmp_path / "reports" / "2026-W49") as staging:
            (staging / "half.csv").write_text("x")
            broken(staging / "index.html")
    kept = tmp_path / "reports" / "2026-W49" / "index.html"
    assert kept.read_text() == "last good"  # the last good report stays
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == ["2026-W49"]  # no staging


def test_other_os_errors_stay_os_errors_so_the_flow_retries_them(tmp_path):
    from forecasting.io import atomic_write

    def flaky(path):
        raise OSError(errno.EIO, "I/O error")

    with pytest.raises(OSError) as err:
        atomic_write(tmp_path / "a.csv", flaky)
    assert type(err.value) is OSError


def test_csv_has_no_negative_zero_and_keeps_every_other_value(tmp_path):
    import math

    import pandas as pd

    from forecasting.io import write_csv

    frame = pd.DataFrame(
        {
            "clinic_id": ["a", "b", "c", "d"],
            "gap": [-0.0, -0.4, 0.0, float("nan")],
            "n": [1, 2, 3, 4],
        }
    )
    before = frame.copy()
    write_csv(tmp_path / "x.csv", frame)
    text = (tmp_path / "x.csv").read_text()
    assert "-0.0" not in text and "-0.4" in text
    back = pd.read_csv(tmp_path / "x.csv")
    assert math.copysign(1.0, back["gap"][0]) == 1.0 and back["gap"][1] == -0.4
    assert back["gap"].isna().tolist() == [False, False, False, True]
    assert back["n"].tolist() == [1, 2, 3, 4]
    pd.testing.assert_frame_equal(frame, before)  # the argument is not changed
