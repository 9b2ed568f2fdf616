"""[shifts]: opening hours, shift blocks and limits of next week's shift plan."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from forecasting.config.base import Strict

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


def span_minutes(span: str) -> tuple[int, int]:
    """'08:00-12:30' -> (480, 750): minutes after midnight of the start and the end."""
    m = _SPAN.match(span.strip())
    if not m:
        raise ValueError(f"'{span}' is not a time span like '08:00-12:00'")
    start = int(m.group(1)) * 60 + int(m.group(2))
    end = int(m.group(3)) * 60 + int(m.group(4))
    if end <= start or end > 24 * 60:
        raise ValueError(f"'{span}' ends before it starts")
    return start, end


def _week_of_hours(value: dict[str, str]) -> dict[str, str]:
    """Opening hours by weekday, checked: weekday names, 'HH:MM-HH:MM' spans, a day at least."""
    for day, span in value.items():
        if day not in WEEKDAYS:
            raise ValueError(f"'{day}' is not a weekday; use one of {', '.join(WEEKDAYS)}")
        span_minutes(span)
    if not value:
        raise ValueError("name at least one open weekday")
    return value


class ShiftsConfig(Strict):
    """Next week's shift plan: who works which block on which day (forecasting/planning/)."""

    opening: dict[str, str] = Field(
        default_factory=lambda: {day: "08:00-18:00" for day in WEEKDAYS[:5]},
        description="weekday (mon..sun) -> opening hours 'HH:MM-HH:MM'; days not named are closed",
    )
    clinic_opening: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="clinic id -> its own opening hours (weekday -> 'HH:MM-HH:MM'), for a "
        "clinic that does not keep `opening`'s; days not named are closed",
    )
    blocks: list[str] = Field(
        default_factory=lambda: ["08:00-12:00", "12:00-16:00", "14:00-18:00"],
        min_length=1,
        description="the shifts a therapist can work ('HH:MM-HH:MM'; overlapping blocks allowed)",
    )
    day_parts: dict[str, str] = Field(
        default_factory=lambda: {"morning": "00:00-12:00", "afternoon": "12:00-24:00"},
        description="the parts of a day demand is planned in (sessions are booked within a "
        "part wherever a therapist is free); they must not overlap and must cover opening hours",
    )
    slot_minutes: int = Field(
        default=30, ge=5, le=240, description="time grain of opening hours and blocks"
    )
    max_blocks_per_day: int = Field(default=2, ge=1, le=6)
    max_overtime_hours: float = Field(
        default=4, ge=0, le=40, description="hours a therapist may work beyond contract a week"
    )
    time_limit_seconds: float = Field(
        default=5, gt=0, le=600, description="CP-SAT time per clinic and objective"
    )
    day_weights: dict[str, float] = Field(
        default_factory=dict,
        description="share of the week's demand per open day (default: by hours open)",
    )

    @field_validator("opening")
    @classmethod
    def _opening(cls, value: dict[str, str]) -> dict[str, str]:
        return _week_of_hours(value)

    @field_validator("clinic_opening")
    @classmethod
    def _clinic_opening(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for clinic, hours in value.items():
            try:
                _week_of_hours(hours)
            except ValueError as err:
                raise ValueError(f"clinic '{clinic}': {err}") from None
        return value

    def opening_of(self, clinic: str | None = None) -> dict[str, str]:
        """The opening hours of ``clinic``: its own (``clinic_opening``), else ``opening``."""
        return self.clinic_opening.get(clinic, self.opening) if clinic else self.opening

    @field_validator("blocks")
    @classmethod
    def _blocks(cls, value: list[str]) -> list[str]:
        for span in value:
            span_minutes(span)
        return value

    @model_validator(mode="after")
    def _weights_and_slots(self) -> ShiftsConfig:
        for day, weight in self.day_weights.items():
            if day not in self.opening:
                raise ValueError(f"day_weights names '{day}', which is not an open day")
            if weight < 0:
                raise ValueError(f"day_weights.{day} is negative ({weight})")
        parts = sorted(span_minutes(span) for span in self.day_parts.values())
        if any(a[1] > b[0] for a, b in zip(parts, parts[1:], strict=False)):
            raise ValueError("day_parts overlap; give each minute of the day to one part")
        weeks = [self.opening, *self.clinic_opening.values()]
        for day, span in (item for week in weeks for item in week.items()):
            start, end = span_minutes(span)
            covered = sum(max(0, min(end, e) - max(start, s)) for s, e in parts)
            if covered < end - start:
                raise ValueError(f"day_parts leave part of {day}'s opening hours out")
        for span in [*(s for week in weeks for s in week.values()), *self.blocks]:
            start, end = span_minutes(span)
            if start % self.slot_minutes or end % self.slot_minutes:
                raise ValueError(
                    f"'{span}' does not fall on the {self.slot_minutes}-minute grid (slot_minutes)"
                )
        blocks = [span_minutes(b) for b in self.blocks]
        named = [("opening", self.opening)] + [
            (f"clinic_opening.{c}", hours) for c, hours in self.clinic_opening.items()
        ]
        for key, hours in named:
            for day, span in hours.items():
                start, end = span_minutes(span)
                if not any(start <= s and e <= end for s, e in blocks):
                    raise ValueError(
                        f"{key}.{day} ({span}) holds none of the blocks, so nobody could work "
                        "that day; add a block inside it to blocks"
                    )
        return self
