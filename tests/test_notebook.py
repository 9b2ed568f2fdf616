"""The README's notebook example runs as written (on a small demo, in a scratch folder)."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow  # fits Prophet (the shipped configuration's model)


def _readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Use from a notebook", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "README's 'Use from a notebook' section has a python block"
    return match.group(1)


def test_readme_notebook_example_runs(demo_exports, tmp_path, monkeypatch) -> None:

    demo_exports(tmp_path / "data" / "raw", clinics=2, years=2, seed=3, end=date(2026, 11, 30))
    shutil.copy(ROOT / "lymphcast.toml", tmp_path / "lymphcast.toml")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(_readme_example(), "README.md", "exec"), namespace)  # noqa: S102
    result = namespace["result"]
    published = tmp_path / "reports" / "2026-W49"
    assert (published / "index.html").is_file()
    staffing = pd.read_csv(published / "staffing.csv")
    assert sorted(staffing["clinic_id"].unique()) == sorted(result.staffing["clinic_id"].unique())
    assert len(staffing) == 2 * 12  # two clinics, the default 12-week horizon
