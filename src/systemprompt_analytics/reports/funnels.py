"""Funnel figures: per step entered, continued, conversion, drop-off and time to the next step.

Definitions (units = sessions or visitors, per the funnel; one progress row each, which
records the unit's best attempt — see funnels/matcher.py):

- a unit is counted in the period in which it entered step 1 (``started_at``, half-open);
- **entered** step N: units that reached step N; **continued**: units that reached step N+1;
- **conversion rate** of step N: entered N / entered step 1; **drop-off rate**: (entered N -
  continued) / entered N; **overall conversion**: entered the last step / entered step 1;
- **time to the next step**: from reaching step N to reaching step N+1, over the units that
  continued — median (``percentile_cont`` semantics) and mean, in seconds; **time to convert**:
  step 1 to the last step over completed units;
- human units only by default (DESIGN §6, :func:`reports.definitions.human_session` on the
  session that last advanced the unit); ``include_bots`` counts everything.

For the human units of a funnel counted per session, counts and times come from the
``funnel_units`` and ``funnel_times`` rollups (storage/rollups/platform_specs.py): units per step
reached, and every time between steps in whole microseconds, turned into seconds here exactly as
``timedelta.total_seconds()`` does. Otherwise (a funnel counted per visitor, or bots included)
counts come from one grouped query over the progress rows, and times from the rows' step
timestamps (a JSON array) read here. Medians and means are computed in Python either way (the
very ``percentile_cont`` function SQLite's aggregate uses).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from statistics import fmean
from typing import Any

from sqlalchemy import Connection, Select, func, select

from systemprompt_analytics.funnels.definition import Unit, format_matcher, format_window
from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.definitions import human_session, in_period
from systemprompt_analytics.reports.rollup_facts import cuts, reader
from systemprompt_analytics.storage.engine import percentile_cont
from systemprompt_analytics.storage.repositories.funnels import StoredFunnel
from systemprompt_analytics.storage.rollups import RollupReader
from systemprompt_analytics.storage.rollups.platform_specs import TO_CONVERT
from systemprompt_analytics.storage.schema import funnel_progress, sessions

STEP_COLUMNS = (
    "step",
    "name",
    "matcher",
    "entered",
    "continued",
    "conversion_rate",
    "drop_off_rate",
    "median_seconds_to_next",
    "avg_seconds_to_next",
)


@dataclass(frozen=True)
class StepFigures:
    step: int  # 1-based
    name: str
    matcher: str
    entered: int
    continued: int | None  # None for the last step
    conversion_rate: float | None
    drop_off_rate: float | None
    median_seconds_to_next: float | None
    avg_seconds_to_next: float | None


@dataclass(frozen=True)
class FunnelReport:
    name: str
    mode: str
    unit: str
    window_seconds: int
    period: Period
    include_bots: bool
    steps: list[StepFigures]
    entered: int
    completed: int
    conversion_rate: float | None
    median_seconds_to_convert: float | None
    avg_seconds_to_convert: float | None

    def rows(self) -> list[dict[str, Any]]:
        return [asdict(step) for step in self.steps]

    def to_dict(self) -> dict[str, Any]:
        return {
            "funnel": {
                "name": self.name,
                "mode": self.mode,
                "unit": self.unit,
                "window": format_window(self.window_seconds),
                "window_seconds": self.window_seconds,
            },
            "period": self.period.to_dict(),
            "include_bots": self.include_bots,
            "entered": self.entered,
            "completed": self.completed,
            "conversion_rate": self.conversion_rate,
            "median_seconds_to_convert": self.median_seconds_to_convert,
            "avg_seconds_to_convert": self.avg_seconds_to_convert,
            "steps": self.rows(),
        }


def _units(stored: StoredFunnel, period: Period, include_bots: bool, *columns: Any) -> Select[Any]:
    progress = funnel_progress.c
    query = select(*columns).where(
        progress.funnel_id == stored.id,
        progress.current_step >= 0,
        in_period(progress.started_at, period),
    )
    if not include_bots:
        query = query.select_from(
            funnel_progress.join(sessions, sessions.c.id == progress.session_id)
        ).where(human_session())
    return query


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _median(values: list[float]) -> float | None:
    return percentile_cont(values, 0.5)


def _mean(values: list[float]) -> float | None:
    return fmean(values) if values else None


def _from_rollups(stored: StoredFunnel, include_bots: bool) -> bool:
    """The human units of a funnel counted per session come from rollups; a visitor's
    progress may have started in an earlier session than the one whose flags count."""
    return not include_bots and stored.funnel.unit is Unit.SESSION


def _units_by_step(
    conn: Connection,
    source: RollupReader,
    stored: StoredFunnel,
    period: Period,
    include_bots: bool,
) -> dict[int, int]:
    """Units started in the period per last step reached."""
    if not _from_rollups(stored, include_bots):
        progress = funnel_progress.c
        grouped = _units(stored, period, include_bots, progress.current_step, func.count())
        found = conn.execute(grouped.group_by(progress.current_step))
        return {int(step): int(units) for step, units in found}
    facts = source.facts("funnel_units", cuts(period))
    c = facts.c
    statement = (
        select(c.current_step, func.sum(c.units))
        .where(in_period(c.bucket_at, period), c.funnel_id == stored.id)
        .group_by(c.current_step)
    )
    return {int(step): int(units) for step, units in conn.execute(statement)}


def _times(
    conn: Connection,
    source: RollupReader,
    stored: StoredFunnel,
    period: Period,
    include_bots: bool,
) -> tuple[list[list[float]], list[float]]:
    """Seconds from each step to the next (per step) and from step 1 to the last, over the
    units started in the period that went that far."""
    count = len(stored.funnel.steps)
    gaps: list[list[float]] = [[] for _ in range(count)]
    to_convert: list[float] = []
    if _from_rollups(stored, include_bots):
        runs = source.values(
            "funnel_times",
            "gap_us_values",
            cuts(period),
            keys=("step",),
            where=lambda columns: columns["funnel_id"] == stored.id,
        )
        for run in runs:
            # Exactly what ``timedelta.total_seconds()`` gives for these microseconds.
            seconds = [micros / 1_000_000 for micros in run.values]
            (to_convert if run.key[0] == TO_CONVERT else gaps[run.key[0]]).extend(seconds)
        return gaps, to_convert
    progress = funnel_progress.c
    advanced = (
        _units(stored, period, include_bots, progress.step_timestamps)
        .where(progress.current_step >= 1)
        .execution_options(yield_per=2_000)
    )
    for (stamps,) in conn.execute(advanced):
        times = [datetime.fromisoformat(value) for value in stamps]
        for n in range(len(times) - 1):
            gaps[n].append((times[n + 1] - times[n]).total_seconds())
        if len(times) == count:
            to_convert.append((times[-1] - times[0]).total_seconds())
    return gaps, to_convert


def funnel_report(
    conn: Connection,
    stored: StoredFunnel,
    period: Period,
    *,
    include_bots: bool = False,
    use_rollups: bool = True,
) -> FunnelReport:
    funnel = stored.funnel
    count = len(funnel.steps)
    source = reader(conn, use_rollups)
    by_step = _units_by_step(conn, source, stored, period, include_bots)
    # entered[n] = units whose last step reached is n or later.
    entered = [sum(units for step, units in by_step.items() if step >= n) for n in range(count)]
    gaps, to_convert = _times(conn, source, stored, period, include_bots)
    steps = []
    for n, step in enumerate(funnel.steps):
        last = n == count - 1
        continued = None if last else entered[n + 1]
        steps.append(
            StepFigures(
                step=n + 1,
                name=step.name,
                matcher=format_matcher(step),
                entered=entered[n],
                continued=continued,
                conversion_rate=_share(entered[n], entered[0]),
                drop_off_rate=None
                if continued is None
                else _share(entered[n] - continued, entered[n]),
                median_seconds_to_next=None if last else _median(gaps[n]),
                avg_seconds_to_next=None if last else _mean(gaps[n]),
            )
        )
    return FunnelReport(
        name=funnel.name,
        mode=funnel.mode.value,
        unit=funnel.unit.value,
        window_seconds=funnel.window_seconds,
        period=period,
        include_bots=include_bots,
        steps=steps,
        entered=entered[0],
        completed=entered[-1],
        conversion_rate=_share(entered[-1], entered[0]),
        median_seconds_to_convert=_median(to_convert),
        avg_seconds_to_convert=_mean(to_convert),
    )
