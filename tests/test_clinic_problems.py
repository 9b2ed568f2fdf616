"""Clinic problems and cut-off sanity (issue 13 parts 3-4): a cut-off before the data is refused."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from forecasting import columns as C
from forecasting.demand.cutoff import check_cutoff
from forecasting.errors import InputError


def _frame(*weeks: str) -> pd.DataFrame:
    return pd.DataFrame({C.WEEK: pd.to_datetime(list(weeks))})


def test_cutoff_before_first_week_is_one_sentence_exit_2() -> None:
    with pytest.raises(InputError, match=r"--as-of 2023-01-02 is before .*2024-01-01") as info:
        check_cutoff(_frame("2024-01-01", "2024-01-08"), _frame("2024-01-15"), date(2023, 1, 2))
    assert info.value.exit_code == 2
    assert "\n" not in str(info.value)


def test_cutoff_in_the_first_week_is_refused_after_it_accepted() -> None:
    procedures, sessions = _frame("2024-01-01"), _frame("2024-01-08")
    with pytest.raises(InputError):
        check_cutoff(procedures, sessions, date(2024, 1, 3))  # same week: nothing before it
    check_cutoff(procedures, sessions, date(2024, 1, 8))


def test_no_weeks_at_all_asks_for_the_ingest() -> None:
    with pytest.raises(InputError, match="lymphcast ingest"):
        check_cutoff(_frame(), _frame(), date(2024, 1, 8))
