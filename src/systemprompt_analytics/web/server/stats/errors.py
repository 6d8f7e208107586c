"""``InvalidInputError`` from a report's own validation as an HTTP 422 naming the parameter,
in the shape of FastAPI's validation errors: ``{"detail": [{"loc": ["query", "since"], …}]}``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import Request
from fastapi.responses import JSONResponse

from systemprompt_analytics.errors import InvalidInputError

INVALID_INPUT = "invalid_input"


def parameter_name(field: str) -> str:
    """The API's name for a field the report validators name as CLI flags or arguments:
    ``--group-by`` → ``group_by``, ``NAME`` → ``name``, ``limit`` stays ``limit``."""
    return field.strip().lstrip("-").lower().replace("-", "_")


async def invalid_input_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidInputError)
    name = parameter_name(exc.field)
    location = "path" if name in request.path_params else "query"
    detail = {
        "type": INVALID_INPUT,
        "loc": [location, name],
        "msg": exc.problem,
        "input": request.path_params.get(name, request.query_params.get(name)),
    }
    return JSONResponse({"detail": [detail]}, status_code=422)


@contextmanager
def renamed(field: str, parameter: str) -> Iterator[None]:
    """Report an InvalidInputError about ``field`` as one about ``parameter`` (a report that
    names the CLI's NAME argument where the endpoint takes the name as ``tool=``)."""
    try:
        yield
    except InvalidInputError as exc:
        if exc.field != field:
            raise
        raise InvalidInputError(parameter, exc.problem) from None
