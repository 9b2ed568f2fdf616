"""The report's services and skills (several services only): a table per network and clinic.

With more than one ``[services]`` table the index's network summary and each clinic's page get
"Services and skills": a row per service with its sessions (p50 next week and over the
horizon, from the service's sample paths, so the network's are quantiles of summed paths),
its hours needed, its skill's rostered, covered, gap and idle hours (the skill cover,
``forecasting/staffing/skills.py``) and its expected unmet sessions; then one sentence per skill
short in some week, with what would close it (``SkillCover.sentences``). With MLD alone
nothing changes (:func:`service_figures` gives None).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import pandas as pd

from forecasting import columns as C
from forecasting.calendar import week_start
from forecasting.config import Config
from forecasting.report import text as T
from forecasting.report.clinic_charts import Chart, service_sessions_chart
from forecasting.report.service_views import ServicesView
from forecasting.report.tables import Row, Table
from forecasting.report.view import ReportView
from forecasting.staffing import is_short
from forecasting.staffing.skills import skill_label
from forecasting.week import WeeklyInputs, WeeklyResult

__all__ = ["ServiceFigures", "service_figures", "with_services"]

# staffing.csv's columns read here: `<measure>:<service>` and `<measure>:<skill>`
_SERVICE_HOURS, _SERVICE_UNMET = "therapist_hours_needed", "expected_unmet_sessions"
_SKILL_MEASURES = ("hours_rostered", "hours_covered", "gap_hours", "idle_hours")


@dataclass(frozen=True, eq=False)  # frames and arrays do not compare as values
class ServiceFigures:
    """What "Services and skills" is made from; read, never modified.

    Attributes:
        skills: each service's skill, services in configuration order (the default first).
        staffing: staffing.csv's frame with its ``<measure>:<service>`` and per-skill
            ``<measure>:<skill>`` columns (``skill_staffing.staff_services``).
        paths: per clinic, per service, session sample paths (n_paths, weeks).
        gaps: per clinic, one sentence per skill short in some week (``SkillCover.sentences``).
        forecast: forecast.csv's frame (its ``sessions:<service>`` series are charted).
        history: ``clinic_id, service, week, sessions`` before the cut-off (may be empty).
        committed: ``clinic_id, week, service, committed`` (may be empty).
        history_weeks: weeks of history each chart shows (``[report] history_weeks``).
    """

    skills: dict[str, str]
    staffing: pd.DataFrame
    paths: Mapping[str, Mapping[str, np.ndarray]]
    gaps: dict[str, list[str]]
    forecast: pd.DataFrame = field(default_factory=pd.DataFrame)
    history: pd.DataFrame = field(default_factory=pd.DataFrame)
    committed: pd.DataFrame = field(default_factory=pd.DataFrame)
    history_weeks: int = 52


def service_figures(
    inputs: WeeklyInputs, result: WeeklyResult, config: Config
) -> ServiceFigures | None:
    """The week's figures per service, or None with fewer than two services (or no paths)."""
    services = config.service_settings
    if len(services) < 2 or not result.service_paths:
        return None
    gaps = result.skills.sentences(config.staffing.fte_hours) if result.skills else {}
    return ServiceFigures(
        skills={name: str(s.skill) for name, s in services.items()},
        staffing=result.staffing,
        paths=result.service_paths,
        gaps=gaps,
        forecast=result.forecast,
        history=inputs.service_sessions if inputs.service_sessions is not None else pd.DataFrame(),
        committed=result.service_committed,
        history_weeks=config.report.history_weeks,
    )


def with_services(view: ReportView, figures: ServiceFigures | None, as_of: date) -> ReportView:
    """The view with "Services and skills" in the network summary and on each clinic's page,
    with a sessions chart per service there (the view as it is without figures); ``as_of`` is
    the data cut-off."""
    if figures is None:
        return view
    staffing = figures.staffing.copy()
    if len(staffing):
        staffing[C.CLINIC] = staffing[C.CLINIC].astype(str)
        staffing[C.WEEK] = pd.to_datetime(staffing[C.WEEK])
    first = pd.Timestamp(staffing[C.WEEK].min()) if len(staffing) else None
    lead = staffing[staffing[C.WEEK] == first] if first is not None else staffing
    horizon = int(staffing[C.WEEK].nunique()) if len(staffing) else 0
    note = _note(first, horizon)
    week = T.week_label(first, pd.Timestamp(as_of))
    week = f"{week[0].lower()}{week[1:]}"
    charts = _ServiceCharts.of(figures, pd.Timestamp(as_of))
    lead_of = _split(lead)  # each clinic's rows of the first forecast week
    network = ServicesView(
        table=_table(figures.skills, lead, _summed(figures.paths, figures.skills), horizon, week),
        gaps=_network_gaps(figures.gaps),
        note=note,
        summary=_skill_summary(figures.skills, staffing, lead, figures.gaps),
    )
    clinics = [
        replace(
            c,
            services=ServicesView(
                table=_table(
                    figures.skills,
                    lead_of.get(c.name, lead.iloc[0:0]),
                    figures.paths.get(c.name, {}),
                    horizon,
                    week,
                ),
                gaps=_clinic_gaps(figures.gaps.get(c.name, []), c.name in lead_of),
                note=note,
                charts=charts.of_clinic(c.name),
            ),
        )
        for c in view.clinics
    ]
    return replace(view, services=network, clinics=clinics)


def _summed(
    paths: Mapping[str, Mapping[str, np.ndarray]], skills: Mapping[str, str]
) -> dict[str, np.ndarray]:
    """Per service, its paths summed over the clinics (path by path)."""
    out: dict[str, np.ndarray] = {}
    for name in skills:
        mine = [np.asarray(p[name], dtype=float) for p in paths.values() if name in p]
        if mine:
            out[name] = np.sum(mine, axis=0)
    return out


def _table(
    skills: Mapping[str, str],
    lead: pd.DataFrame,
    paths: Mapping[str, np.ndarray],
    horizon: int,
    week: str,
) -> Table:
    """A row per service: sessions, hours needed, its skill's cover, expected unmet sessions
    (``lead``: the staffing rows of the first forecast week, summed when several clinics)."""
    rows = []
    for name, skill in skills.items():
        sessions = np.asarray(paths.get(name, np.zeros((0, 0))), dtype=float)
        drawn = sessions.size > 0
        next_p50 = np.median(sessions[:, 0]) if drawn else None
        total_p50 = np.median(sessions.sum(axis=1)) if drawn else None
        skill_cells = [_sum(lead, f"{m}:{skill}") for m in _SKILL_MEASURES]
        gap = skill_cells[2]
        rows.append(
            Row(
                cells=[
                    _capital(skill_label(name)),
                    _capital(skill_label(skill)),
                    T.fmt_int(next_p50),
                    T.fmt_int(total_p50),
                    T.fmt_int(_sum(lead, f"{_SERVICE_HOURS}:{name}")),
                    *(T.fmt_int(v) for v in skill_cells),
                    T.fmt_one(_sum(lead, f"{_SERVICE_UNMET}:{name}")),
                ],
                mark="short" if gap is not None and is_short(gap) else "",
            )
        )
    header = ["Service", "Skill", f"Sessions {week} (p50)", f"Sessions, {horizon} weeks (p50)",
              "Hours needed", "Skill rostered", "Covered", "Gap", "Idle",
              "Expected unmet sessions"]  # fmt: skip
    labels = ["Service", "Skill", "Sessions", f"{horizon} weeks", "Needed", "Rostered",
              "Covered", "Gap", "Idle", "Unmet"]  # fmt: skip
    # no text column: a narrow screen lays each row out as a card, every cell labelled
    return Table(header=header, rows=rows, labels=labels)


def _sum(frame: pd.DataFrame, column: str) -> float | None:
    """The column's total over ``frame``'s rows (None when the column or the rows are missing)."""
    if column not in frame or frame.empty:
        return None
    return float(frame[column].sum())


def _note(first: pd.Timestamp | None, horizon: int) -> str:
    week = f"the week of {T.iso_date(first)}" if first is not None else "the first forecast week"
    return (
        f"Hours, cover and unmet sessions for {week}; sessions over {horizon} weeks are the "
        "median of the summed sample paths. A skill's hours are those of the therapists who "
        "have it (a therapist with two skills counts under both, so idle hours do not add up "
        "across skills); services sharing a skill show the skill's figures on each row. Gap = "
        "hours needed that the skill's therapists cannot cover; expected unmet sessions are "
        "those the hours the cover leaves the service cannot give."
    )


def _skill_summary(
    skills: Mapping[str, str],
    staffing: pd.DataFrame,
    lead: pd.DataFrame,
    gaps: Mapping[str, list[str]],
) -> list[str]:
    """Per skill short at some clinic: at how many clinics, and its hours short in the first
    forecast week ("MLD short at 28 of 30 clinics in some forecast week; 1,256 h in the first
    forecast week.")."""
    if staffing.empty:
        return []
    clinics = staffing[C.CLINIC].nunique()
    out = []
    for skill in dict.fromkeys(skills.values()):
        column = f"gap_hours:{skill}"
        if column not in staffing:
            continue
        short = staffing.loc[staffing[column].map(is_short), C.CLINIC].nunique()
        if not short:
            continue
        label = _capital(skill_label(skill))
        first = _sum(lead, column) or 0.0
        out.append(
            f"{label} short at {short} of {clinics} clinics in some forecast week; "
            f"{T.fmt_int(first)} h in the first forecast week."
        )
    if out and gaps:
        out.append("Each clinic's largest gap per skill, and what would close it:")
    return out


def _clinic_gaps(gaps: list[str], staffed: bool) -> list[str]:
    """A clinic's skill-gap sentences, or why there are none."""
    if not staffed:
        return ["No staffing figures for this clinic, so no skill cover."]
    out = [_sentence(s) for s in gaps]
    return out or ["Every skill this clinic needs is covered in every forecast week."]


def _network_gaps(gaps: Mapping[str, list[str]]) -> list[str]:
    """Each clinic's skill-gap sentences, the clinic named first (clinics in id order)."""
    out = [f"{clinic}: {_sentence(s)}" for clinic in sorted(gaps) for s in gaps[clinic]]
    return out or ["Every service's skill is covered in every forecast week at every clinic."]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")


@dataclass(frozen=True)
class _ServiceCharts:
    """Each clinic's rows of the charted frames (split once, not once per clinic)."""

    figures: ServiceFigures
    as_of: pd.Timestamp
    history: dict[str, pd.DataFrame]
    forecast: dict[str, pd.DataFrame]
    committed: dict[str, pd.DataFrame]

    @classmethod
    def of(cls, figures: ServiceFigures, as_of: pd.Timestamp) -> _ServiceCharts:
        end = week_start(as_of)
        start = end - pd.Timedelta(weeks=figures.history_weeks)
        history = _weeks(figures.history)
        if len(history):
            history = history[(history[C.WEEK] >= start) & (history[C.WEEK] < end)]
        forecast = _weeks(figures.forecast)
        if len(forecast):
            forecast = forecast[forecast[C.SERIES].str.startswith(f"{C.SESSIONS}:")]
        return cls(
            figures, as_of, _split(history), _split(forecast), _split(_weeks(figures.committed))
        )

    def of_clinic(self, clinic: str) -> list[Chart]:
        """A sessions chart per service, in the services' order."""
        out = []
        for name in self.figures.skills:
            out.append(
                service_sessions_chart(
                    clinic,
                    _capital(skill_label(name)),
                    _rows(self.history, clinic, C.SERVICE, name)[[C.WEEK, C.SESSIONS]],
                    _rows(self.forecast, clinic, C.SERIES, f"{C.SESSIONS}:{name}")[
                        [C.WEEK, C.P10, C.P50, C.P90]
                    ],
                    _rows(self.committed, clinic, C.SERVICE, name)[[C.WEEK, "committed"]],
                    self.as_of,
                    self.figures.history_weeks,
                )
            )
        return out


def _weeks(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with ``clinic_id`` as text and ``week`` as datetime64 (an empty frame as it is)."""
    if frame.empty:
        return frame
    return frame.assign(
        **{C.CLINIC: frame[C.CLINIC].astype(str), C.WEEK: pd.to_datetime(frame[C.WEEK])}
    )


def _split(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    if frame.empty:
        return {}
    return {str(k): g for k, g in frame.groupby(C.CLINIC, sort=False)}


_COLUMNS = [C.WEEK, C.SESSIONS, C.P10, C.P50, C.P90, "committed"]


def _rows(by_clinic: Mapping[str, pd.DataFrame], clinic: str, key: str, value: str) -> pd.DataFrame:
    """The clinic's rows whose ``key`` is ``value`` (an empty frame with every column read)."""
    rows = by_clinic.get(clinic)
    if rows is None or key not in rows:
        return pd.DataFrame(columns=_COLUMNS)
    return rows[rows[key] == value].reindex(columns=_COLUMNS)
