"""The dashboard's stylesheet, served from the package with a strong ETag; its URL carries the
version, so browsers may keep it for a long time."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files

from systemprompt_analytics.web.collector.static import StaticFile

PACKAGE = "systemprompt_analytics.web.server.dashboard"
STATIC_PREFIX = "/dashboard/static"
CACHE_CONTROL = "public, max-age=31536000, immutable"
CSS_MEDIA_TYPE = "text/css; charset=utf-8"


@dataclass(frozen=True)
class Asset:
    name: str
    media_type: str
    file: StaticFile

    @property
    def url(self) -> str:
        return f"{STATIC_PREFIX}/{self.name}?v={self.file.etag.strip(chr(34))[:12]}"


def load_asset(name: str, media_type: str) -> Asset:
    body = files(PACKAGE).joinpath("static").joinpath(name).read_bytes()
    return Asset(name, media_type, StaticFile.of(body))


STYLESHEET = load_asset("dashboard.css", CSS_MEDIA_TYPE)
ASSETS = {STYLESHEET.name: STYLESHEET}
