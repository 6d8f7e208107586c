"""The tracker script as the collector serves it: bytes, a strong ETag, conditional GETs."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib.resources import files

TRACKER_RESOURCE = ("systemprompt_analytics.web", "static/tracker.js")
CACHE_CONTROL = "public, max-age=3600"
MEDIA_TYPE = "application/javascript; charset=utf-8"


@dataclass(frozen=True, slots=True)
class StaticFile:
    body: bytes
    etag: str  # quoted, as sent in the ETag header

    @classmethod
    def of(cls, body: bytes) -> StaticFile:
        return cls(body, f'"{hashlib.sha256(body).hexdigest()[:32]}"')

    def is_current(self, if_none_match: str | None) -> bool:
        """Whether the client's ``If-None-Match`` names this version (weak comparison,
        as RFC 9110 prescribes for If-None-Match), so a 304 will do."""
        if not if_none_match:
            return False
        tags = (tag.strip() for tag in if_none_match.split(","))
        return any(tag == "*" or tag.removeprefix("W/") == self.etag for tag in tags)


def load_tracker() -> StaticFile:
    """``web/static/tracker.js`` from the installed package."""
    package, name = TRACKER_RESOURCE
    return StaticFile.of(files(package).joinpath(name).read_bytes())
