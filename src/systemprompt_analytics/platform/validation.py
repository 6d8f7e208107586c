"""Turning anything a host sends into a record, or into one problem that names the field.

Pure: no I/O. :func:`parse` never raises (the HTTP endpoints collect problems per item);
:func:`validated` raises :class:`InvalidInputError` (the Python API).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from systemprompt_analytics.errors import InvalidInputError

R = TypeVar("R", bound=BaseModel)

ITEM_FIELD = "item"


class FieldError(ValueError):
    """Raised by a record's cross-field check to name the field that is wrong."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(problem)
        self.field = field
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    error: str


def field_path(location: tuple[int | str, ...]) -> str:
    """``("traits", "plan")`` → ``traits.plan``; list positions as ``[0]``."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path or ITEM_FIELD


def _message(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind == "missing":
        return "required"
    if kind == "extra_forbidden":
        return "unknown field"
    message = error["msg"]
    # Pydantic prefixes the messages of ValueErrors raised by validators.
    return message.removeprefix("Value error, ")


def problem_of(exc: ValidationError) -> Problem:
    """The first problem pydantic found, with the field it belongs to."""
    error = exc.errors(include_url=False)[0]
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, FieldError):
        return Problem(cause.field, cause.problem)
    return Problem(field_path(tuple(error["loc"])), _message(error))


def parse(model: type[R], data: Any) -> R | Problem:
    """``data`` (a record or a mapping of its fields) as a valid ``model``, or the problem."""
    if isinstance(data, model):
        return data
    if not isinstance(data, Mapping):
        return Problem(ITEM_FIELD, "must be a JSON object")
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        return problem_of(exc)


def validated(model: type[R], data: Any) -> R:
    """Like :func:`parse`, raising :class:`InvalidInputError` that names the field."""
    outcome = parse(model, data)
    if isinstance(outcome, Problem):
        raise InvalidInputError(outcome.field, outcome.error)
    return outcome
