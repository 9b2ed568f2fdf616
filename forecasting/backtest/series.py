"""Series a backtest runs on: validated long-format weekly frames (``unique_id, ds, y``).

Sources: any long-format weekly CSV (``lymphcast backtest --series FILE``) or the processed
procedure series (``unique_id`` = ``<clinic_id>|<procedure>``, as the weekly run forecasts them).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting import columns as C
from forecasting.columns import DS, UID, Y
from forecasting.errors import InputError
from forecasting.layout import DataLayout
from forecasting.series import long_format, procedure_histories


def validate_series(
    frame: pd.DataFrame, source: str = "series", row_offset: int = 0
) -> pd.DataFrame:
    """Check a long-format weekly frame and return a clean copy sorted by series and week.

    Each date moves to the Monday of its week. Other columns are kept (Prophet regressors).

    Args:
        frame: Columns ``unique_id``, ``ds`` (dates, one row per series and week, no missing
            weeks) and ``y`` (finite, >= 0). Not modified.
        source: Name used in messages (the file).
        row_offset: Added to the frame's position to name rows (2 for a CSV with a header).

    Raises:
        InputError: Missing columns, unreadable dates or values, NaN/infinite/negative ``y``,
            duplicate (unique_id, ds), dates that are not weekly, or missing weeks.
    """
    missing = [c for c in (UID, DS, Y) if c not in frame.columns]
    if missing:
        raise InputError(
            f"{source} lacks column(s) {missing}; it needs {UID}, {DS}, {Y} "
            "(one row per series and week)."
        )
    out = frame.reset_index(drop=True).copy()
    if out.empty:
        raise InputError(f"{source} has no rows; pass at least one weekly series.")
    out[UID] = out[UID].astype(str)
    ds = pd.to_datetime(out[DS], errors="coerce", format="mixed")
    y = pd.to_numeric(out[Y], errors="coerce")

    def row(i: int) -> str:
        return (
            f"{source} row {i + row_offset} ({UID} '{out.at[i, UID]}', {DS} '{frame[DS].iloc[i]}')"
        )

    bad = np.flatnonzero(ds.isna().to_numpy())
    if len(bad):
        raise InputError(f"{row(bad[0])} has no readable date; write dates as YYYY-MM-DD.")
    bad = np.flatnonzero(~np.isfinite(y.to_numpy(dtype=float)) | (y.to_numpy(dtype=float) < 0))
    if len(bad):
        raise InputError(
            f"{row(bad[0])} has {Y} '{frame[Y].iloc[bad[0]]}'; every {Y} must be a finite "
            "number >= 0: fill the week (0 if nothing happened) or drop the series."
        )
    out[DS], out[Y] = ds.dt.normalize(), y.astype(float)
    dup = np.flatnonzero(out.duplicated([UID, DS]).to_numpy())
    if len(dup):
        raise InputError(f"{row(dup[0])} repeats a ({UID}, {DS}) pair; keep one row per week.")
    out = out.sort_values([UID, DS], kind="stable", ignore_index=True)
    gaps = out.groupby(UID, sort=False)[DS].diff().dt.days
    odd = np.flatnonzero((gaps.notna() & (gaps % 7 != 0)).to_numpy())
    if len(odd):
        i = odd[0]
        raise InputError(
            f"{source} is not weekly: series {out.at[i, UID]!r} has dates "
            f"{out.at[i - 1, DS].date()} and {out.at[i, DS].date()} ({int(gaps[i])} days "
            "apart); pass one row per week, on the same weekday."
        )
    hole = np.flatnonzero((gaps > 7).to_numpy())
    if len(hole):
        i = hole[0]
        week = (out.at[i - 1, DS] + pd.Timedelta(weeks=1)).date()
        raise InputError(
            f"{source}: series {out.at[i, UID]!r} misses the week of {week}; add a row for "
            "every week (0 if nothing happened)."
        )
    out[DS] = out[DS] - pd.to_timedelta(out[DS].dt.day_of_week, unit="D")
    return out


def load_series_csv(path: Path) -> pd.DataFrame:
    """Read and validate a long-format weekly CSV (``unique_id, ds, y``; see validate_series).

    Raises:
        InputError: The file is missing or unreadable, or fails :func:`validate_series`.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"Series file {path} does not exist; pass --series with a CSV path.")
    try:
        frame = pd.read_csv(path, dtype={UID: str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise InputError(f"Series file {path} is not a readable CSV ({err}); fix it.") from None
    return validate_series(frame, source=str(path), row_offset=2)


def load_procedure_series(processed_dir: Path, as_of: date | None = None) -> pd.DataFrame:
    """The processed completed-procedure series in long format, as the weekly run sees them.

    ``unique_id`` is ``<clinic_id>|<procedure>``; each clinic's series start at its first week
    with any procedure and are zero-filled (:func:`forecasting.series.procedure_histories`).
    Weeks from the week of ``as_of`` on are dropped; by default the data end after the last
    week with any completed procedure.

    Raises:
        InputError: ``processed_dir`` has no procedure series (``DataLayout.procedures``).
    """
    path = DataLayout(processed=Path(processed_dir)).procedures
    if not path.is_file():
        raise InputError(f"{processed_dir} has no {path.name}; run `lymphcast ingest` first.")
    frame = pd.read_parquet(path)
    frame[C.WEEK] = pd.to_datetime(frame[C.WEEK])
    if as_of is not None:
        end = pd.Timestamp(as_of).normalize()
        end -= pd.Timedelta(days=end.weekday())
    else:
        done = frame.loc[frame[C.COMPLETED] > 0, C.WEEK]
        end = (done.max() if len(done) else frame[C.WEEK].min()) + pd.Timedelta(weeks=1)
    histories = procedure_histories(frame.loc[frame[C.WEEK] < end], end)
    if not histories:
        raise InputError(f"{path} has no procedure weeks before {end.date()}; check --as-of.")
    return long_format(histories)
