"""tracker.js stays within its size budget, keeps its privacy promises and ships in the package."""

from __future__ import annotations

import gzip
import re
from importlib.resources import files
from pathlib import Path

from systemprompt_analytics.web.collector.contract import ENGAGEMENT_FIELDS, EVENT_TYPES

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "systemprompt_analytics" / "web" / "static" / "tracker.js"
BUDGET_GZIPPED_BYTES = 2048


def _tracker() -> str:
    return SOURCE.read_text(encoding="utf-8")


def test_gzipped_size_is_within_the_budget() -> None:
    size = len(gzip.compress(SOURCE.read_bytes(), compresslevel=9))
    assert size <= BUDGET_GZIPPED_BYTES, f"tracker.js is {size} bytes gzipped"


def test_sets_no_cookie_and_writes_no_storage() -> None:
    code = _tracker()
    assert "document.cookie" not in code
    assert "sessionStorage" not in code
    assert "indexedDB" not in code
    assert ".setItem" not in code
    # Reading localStorage (the opt-out flag) is fine; assigning to it is not.
    assert not re.search(r"localStorage(\.\w+|\[[^\]]*\])\s*=[^=]", code)


def test_is_one_readable_file_without_imports() -> None:
    code = _tracker()
    assert "import " not in code and "require(" not in code
    assert "sourceMappingURL" not in code
    longest = max(len(line) for line in code.splitlines())
    assert longest <= 100, "keep the tracker readable: no minified lines"


def test_speaks_the_collector_contract() -> None:
    code = _tracker()
    assert 'type: "text/plain"' in code  # sendBeacon's body type, no CORS preflight
    assert "keepalive: true" in code
    assert "{ events:" in code
    sent_types = set(re.findall(r'type: "([a-z_]+)"', code)) - {"text/plain"}
    assert sent_types == {"page_view", "engagement", "link_click"}
    assert 'custom("custom")' in code and 'custom("conversion")' in code
    assert sent_types | {"custom", "conversion"} <= set(EVENT_TYPES)


def test_sends_every_engagement_field_of_the_contract() -> None:
    snake_case_keys = set(re.findall(r"\b([a-z]+(?:_[a-z]+)+): ", _tracker()))
    assert snake_case_keys | {"clicks"} == set(ENGAGEMENT_FIELDS)


def test_the_packaged_resource_is_the_source_file() -> None:
    resource = files("systemprompt_analytics.web").joinpath("static", "tracker.js")
    assert resource.is_file()
    assert resource.read_text(encoding="utf-8") == _tracker()
