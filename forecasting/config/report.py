"""[report]: what the weekly report shows and how it is drawn."""

from __future__ import annotations

from pydantic import Field

from forecasting.config.base import Strict


class ReportConfig(Strict):
    """What the weekly report shows and when it warns (forecasting/report/)."""

    history_weeks: int = Field(
        default=52, ge=4, le=520, description="weeks of history drawn before the forecast"
    )
    accuracy_weeks: int = Field(
        default=8, ge=1, le=104, description="recent weeks compared with archived forecasts"
    )
    max_missing_weeks: int = Field(
        default=1,
        ge=0,
        le=52,
        description="warn when a clinic's latest data is more complete weeks behind the cut-off",
    )
    chart_workers: int = Field(
        default=0,
        ge=0,
        le=256,
        description="processes that draw the report's charts: 0 = one per CPU, 1 = in-process",
    )
    other_names_warn_share: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="warn when more of a clinic's procedures than this share have names the "
        "vocabulary does not know (counted as other)",
    )


# An address as SMTP sends it: no spaces, commas, angle brackets or line breaks (no header
