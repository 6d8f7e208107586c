"""An ingestion body as items, each accepted as a record or rejected with the field that is
wrong. Pure: no I/O.

A body is one record (a JSON object) or a batch ``{"items": [ ... ]}`` of 1 to
:data:`MAX_ITEMS` records; the items of a batch are judged one by one, so the valid ones are
stored whatever is wrong with the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from systemprompt_analytics.platform.validation import Problem, parse

MAX_ITEMS = 1_000
BATCH_KEY = "items"


@dataclass(frozen=True, slots=True)
class Rejection:
    index: int | None  # None: the body as a whole
    field: str
    error: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "error": self.error}


class BatchShapeError(Exception):
    def __init__(self, status: int, field: str, problem: str) -> None:
        super().__init__(problem)
        self.status = status
        self.field = field
        self.problem = problem


@dataclass(slots=True)
class Items:
    accepted: list[tuple[int, Any]] = field(default_factory=list)  # (index, record)
    rejected: list[Rejection] = field(default_factory=list)


def items_of(payload: Any) -> list[Any]:
    """The items a body holds; :class:`BatchShapeError` when it is neither shape."""
    if not isinstance(payload, Mapping):
        raise BatchShapeError(400, "body", 'must be a JSON object: one record or {"items": [...]}')
    if BATCH_KEY not in payload:
        return [payload]
    extra = sorted(str(name) for name in payload if name != BATCH_KEY)
    if extra:
        raise BatchShapeError(400, extra[0], 'unknown field; a batch is exactly {"items": [...]}')
    items = payload[BATCH_KEY]
    if not isinstance(items, list) or not items:
        raise BatchShapeError(400, BATCH_KEY, f"must be an array of 1 to {MAX_ITEMS:,} records")
    if len(items) > MAX_ITEMS:
        raise BatchShapeError(
            413, BATCH_KEY, f"{len(items):,} records; send at most {MAX_ITEMS:,} per request"
        )
    return items


def judge(model: type[BaseModel], items: list[Any]) -> Items:
    """Each item as a valid record or a rejection naming the first field found wrong."""
    result = Items()
    for index, item in enumerate(items):
        outcome = parse(model, item)
        if isinstance(outcome, Problem):
            result.rejected.append(Rejection(index, outcome.field, outcome.error))
        else:
            result.accepted.append((index, outcome))
    return result
