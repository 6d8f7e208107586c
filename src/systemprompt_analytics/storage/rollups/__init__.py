"""Rollups: hourly and daily aggregates of the heavy tables, always equal to their raw rows.

- :mod:`.specs` — what each rollup holds (keys and measures from the metric definitions);
- :mod:`.compute` — computing buckets from raw rows, and days from hours;
- :mod:`.refresh` — rolling up settled hours and recomputing dirty ones (the periodic job,
  ``sp-analytics rollups refresh|rebuild``);
- :mod:`.marking` — the writer listener that marks hours changed after they were rolled up;
- :mod:`.source` — reading a report's window from days, hours and raw rows;
- :mod:`.values` — exact percentiles from sorted value lists.

docs/data-model.md ("Rollups") explains the design.
"""

from systemprompt_analytics.storage.rollups.refresh import (
    RefreshResult,
    mark_written,
    rebuild_rollups,
    refresh_rollups,
)
from systemprompt_analytics.storage.rollups.source import Plan, RollupReader, ValueRun
from systemprompt_analytics.storage.rollups.specs import ROLLUP_NAMES, rollup_specs

__all__ = [
    "ROLLUP_NAMES",
    "Plan",
    "RefreshResult",
    "RollupReader",
    "ValueRun",
    "mark_written",
    "rebuild_rollups",
    "refresh_rollups",
    "rollup_specs",
]
