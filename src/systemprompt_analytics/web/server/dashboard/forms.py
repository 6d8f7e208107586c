"""Reading the dashboard's forms: URL-encoded, UTF-8, small, with known fields only.

Errors are :class:`~systemprompt_analytics.web.ingestion.body.BodyError` (status, field,
problem), the same as the ingestion endpoints raise.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl

from fastapi import Request

from systemprompt_analytics.web.ingestion.body import (
    BodyError,
    check_charset,
    media_type,
    read_body,
)

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
MAX_FORM_BYTES = 4096
MAX_FIELDS = 8
# Field -> longest value accepted (characters).
FIELD_LIMITS = {"password": 1024, "csrf": 64}


def parse_form(body: bytes, limits: Mapping[str, int] = FIELD_LIMITS) -> dict[str, str]:
    """The known fields of a URL-encoded body (the first value of each; unknown fields are
    ignored). Raises BodyError naming the field that is not accepted."""
    if len(body) > MAX_FORM_BYTES:
        raise BodyError(413, "body", f"larger than {MAX_FORM_BYTES:,} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyError(400, "body", "not valid UTF-8") from None
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:
        raise BodyError(400, "body", f"more than {MAX_FIELDS} fields") from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in limits and name not in fields:
            if len(value) > limits[name]:
                raise BodyError(400, name, f"must be at most {limits[name]:,} characters")
            fields[name] = value
    return fields


async def read_form(request: Request) -> dict[str, str]:
    """The form of a POST: 415 unless URL-encoded UTF-8, 413 over :data:`MAX_FORM_BYTES`."""
    if media_type(request) != FORM_MEDIA_TYPE:
        raise BodyError(415, "Content-Type", f"send {FORM_MEDIA_TYPE}")
    check_charset(request)
    return parse_form(await read_body(request, MAX_FORM_BYTES))
