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
