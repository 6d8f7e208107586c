"""From an HTTP request to a decoded JSON body: media type, content encoding, size limit."""

from __future__ import annotations

import json
import zlib
from typing import Any

from fastapi import Request

JSON_MEDIA_TYPE = "application/json"


class BodyError(Exception):
    """The body cannot be read: ``status`` (400, 413, 415) says why to the client."""

    def __init__(self, status: int, field: str, problem: str) -> None:
        super().__init__(problem)
        self.status = status
        self.field = field
        self.problem = problem


def media_type(request: Request) -> str:
    """The request's media type, lower case, without parameters ("" when absent)."""
    value = request.headers.get("content-type", "")
    return value.split(";", 1)[0].strip().lower()


def check_charset(request: Request) -> None:
    for parameter in request.headers.get("content-type", "").split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
            "utf-8",
            "utf8",
        ):
            raise BodyError(415, "Content-Type", f"charset {value.strip()!r}: send UTF-8")


async def read_body(request: Request, limit: int) -> bytes:
    """The body, decompressed when ``Content-Encoding: gzip``; over ``limit`` bytes (before
    or after decompression) is a 413 as soon as it is known."""
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip"):
        raise BodyError(415, "Content-Encoding", f"{encoding!r} is not accepted; send gzip or none")
    too_large = BodyError(413, "body", f"larger than {limit:,} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise too_large
    if encoding == "identity":
        return bytes(raw)
    inflater = zlib.decompressobj(wbits=31)  # gzip framing
    try:
        body = inflater.decompress(bytes(raw), limit + 1)
    except zlib.error as exc:
        raise BodyError(400, "body", f"not valid gzip data ({exc})") from None
    if len(body) > limit or inflater.unconsumed_tail:
        raise too_large
    return body


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def decode_json(raw: bytes) -> Any:
    """Strict JSON in UTF-8 (no NaN/Infinity); :class:`BodyError` 400 otherwise."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyError(400, "body", f"not UTF-8 text (byte {exc.start})") from None
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise BodyError(
            400, "body", f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise BodyError(400, "body", f"not JSON this endpoint accepts: {exc}") from None
