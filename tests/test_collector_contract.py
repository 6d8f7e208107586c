"""The collector contract as pure code: every rejection rule, normalisation, the JSON Schema,
and property tests (valid events round-trip; arbitrary JSON never raises)."""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from systemprompt_analytics.ingest.recent_ids import RecentIds
from systemprompt_analytics.ingest.request_kind import request_kind
from systemprompt_analytics.storage.schema import SESSION_COUNTERS, client_events, engagement_events
from systemprompt_analytics.web.collector.contract import (
    EVENT_TYPES,
    FIELDS,
    MAX_EVENTS,
    READING_PATTERNS,
    SHAPES,
)
from systemprompt_analytics.web.collector.cors import CorsPolicy
from systemprompt_analytics.web.collector.decode import decode_json, media_type_error
from systemprompt_analytics.web.collector.json_schema import event_schema, render
from systemprompt_analytics.web.collector.normalise import event_time, page_path, referrer_url
from systemprompt_analytics.web.collector.rows import event_activity, event_row, is_conversion
from systemprompt_analytics.web.collector.static import StaticFile
from systemprompt_analytics.web.collector.validate import (
    AcceptedEvent,
    Engagement,
    ParseResult,
    Rejection,
    parse_payload,
)

ROOT = Path(__file__).resolve().parent.parent
RECEIVED = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
RECEIVED_MS = int(RECEIVED.timestamp() * 1000)
HOUR_MS = 3_600_000

VALID: dict[str, dict[str, Any]] = {
    "page_view": {"type": "page_view", "url": "https://example.com/docs/?q=1#top"},
    "engagement": {
        "type": "engagement", "url": "/docs", "time_on_page_ms": 5000, "visible_ms": 4000,
        "engaged_ms": 3000, "first_interaction_ms": None, "scroll_depth": 80, "clicks": 3,
        "rage_clicks": 1, "dead_clicks": 0, "reading_pattern": "scan",
    },
    "link_click": {"type": "link_click", "url": "/docs", "target": "https://github.com/x"},
    "scroll": {"type": "scroll", "url": "/docs", "scroll_depth": 50},
    "conversion": {"type": "conversion", "name": "signup"},
    "custom": {"type": "custom", "name": "copy_code", "props": {"lang": "python"}},
}  # fmt: skip


def parse(event: Any) -> AcceptedEvent | Rejection:
    """The outcome of one event sent alone."""
    result = parse_payload(event, RECEIVED)
    assert len(result.accepted) + len(result.rejected) == 1
    return result.accepted[0] if result.accepted else result.rejected[0]


def rejection(event: Any) -> Rejection:
    outcome = parse(event)
    assert isinstance(outcome, Rejection), outcome
    return outcome


def accepted(event: Any) -> AcceptedEvent:
    outcome = parse(event)
    assert isinstance(outcome, AcceptedEvent), outcome
    return outcome


def with_(base: str, **changes: Any) -> dict[str, Any]:
    return {**VALID[base], **changes}


def without(base: str, name: str) -> dict[str, Any]:
    return {key: value for key, value in VALID[base].items() if key != name}


# -- the valid events -------------------------------------------------------------------------


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_the_minimal_event_of_every_type_is_accepted(event_type: str) -> None:
    event = accepted(VALID[event_type])
    assert event.type == event_type
    assert event.index == 0 and event.occurred_at == RECEIVED


def test_every_type_has_a_shape_whose_fields_the_contract_defines() -> None:
    assert set(SHAPES) == set(EVENT_TYPES)
    for shape in SHAPES.values():
        assert set(shape.fields) <= set(FIELDS)
        assert "type" in shape.required


def test_a_page_view_is_normalised_for_storage() -> None:
    event = accepted(
        with_(
            "page_view", id="evt-0001.a:b_c", v=1, ts=RECEIVED_MS - HOUR_MS,
            referrer="https://user:pw@www.google.com/search?q=secret#x", title="Docs",
        )
    )  # fmt: skip
    assert event.path == "/docs"
    assert event.client_event_id == "evt-0001.a:b_c"
    assert event.occurred_at == RECEIVED - timedelta(hours=1)
    assert event.referrer == "https://www.google.com/search"
    assert event.title == "Docs"
    assert event.engagement is None and event.scroll_depth is None


def test_an_engagement_event_carries_its_measures() -> None:
    event = accepted(VALID["engagement"])
    assert event.engagement == Engagement(5000, 4000, 3000, None, 80, 3, 1, 0, "scan")
    assert accepted(without("engagement", "clicks")).engagement == Engagement(
        5000, 4000, 3000, None, 80, 0, 1, 0, "scan"
    )


def test_optional_fields_may_be_null_and_empty_texts_mean_none() -> None:
    event = accepted(with_("page_view", id=None, ts=None, v=None, referrer="", title=""))
    assert event.client_event_id is None and event.occurred_at == RECEIVED
    assert event.referrer is None and event.title is None


def test_integral_floats_are_integers_as_in_json_schema() -> None:
    event = accepted(with_("scroll", scroll_depth=50.0, v=1.0))
    assert event.scroll_depth == 50 and isinstance(event.scroll_depth, int)


def test_custom_and_conversion_events_may_name_their_page() -> None:
    assert accepted(with_("conversion", url="https://example.com/pricing/")).path == "/pricing"
    assert accepted(VALID["custom"]).props == {"lang": "python"}


# -- every rejection rule ---------------------------------------------------------------------

REJECTIONS: list[tuple[str, dict[str, Any], str, str]] = [
    # unknown and misplaced fields
    ("unknown field", with_("page_view", colour="red"), "colour", "unknown field"),
    ("typo", with_("scroll", scrol_depth=5), "scrol_depth", "did you mean 'scroll_depth'?"),
    ("referrer on custom", with_("custom", referrer="/"), "referrer", "not a field of custom"),
    ("target on page_view", with_("page_view", target="/x"), "target", "not a field of page_view"),
    ("name on page_view", with_("page_view", name="x"), "name", "not a field of page_view"),
    ("depth on page_view", with_("page_view", scroll_depth=5), "scroll_depth", "not a field"),
    ("clicks on scroll", with_("scroll", clicks=1), "clicks", "not a field of scroll"),
    # type
    ("type missing", without("page_view", "type"), "type", "required"),
    ("type null", with_("page_view", type=None), "type", "required"),
    ("type unknown", with_("page_view", type="pageview"), "type", "must be one of page_view"),
    ("type not text", with_("page_view", type=1), "type", "must be one of"),
    # v
    ("version 2", with_("page_view", v=2), "v", "only 1 is accepted"),
    ("version text", with_("page_view", v="1"), "v", "only 1 is accepted"),
    ("version true", with_("page_view", v=True), "v", "only 1 is accepted"),
    # id
    ("id too short", with_("page_view", id="abcdefg"), "id", "8 to 64 characters"),
    ("id too long", with_("page_view", id="a" * 65), "id", "8 to 64 characters"),
    ("id with a space", with_("page_view", id="abcd efgh"), "id", "A-Z, a-z, 0-9"),
    ("id with a newline", with_("page_view", id="abcdefgh\n"), "id", "8 to 64"),
    ("id number", with_("page_view", id=12345678), "id", "8 to 64"),
    # ts
    ("ts text", with_("page_view", ts="1700000000000"), "ts", "must be an integer"),
    ("ts fraction", with_("page_view", ts=1.5), "ts", "must be an integer"),
    ("ts boolean", with_("page_view", ts=True), "ts", "must be an integer"),
    # url
    ("url missing on page_view", without("page_view", "url"), "url", "required for page_view"),
    ("url missing on engagement", without("engagement", "url"), "url", "required for engagement"),
    ("url missing on scroll", without("scroll", "url"), "url", "required for scroll"),
    ("url missing on link_click", without("link_click", "url"), "url", "required for link_click"),
    ("url null", with_("page_view", url=None), "url", "required for page_view"),
    ("url relative", with_("page_view", url="docs/a"), "url", "absolute http(s) URL or a path"),
    ("url ftp", with_("page_view", url="ftp://x.org/a"), "url", "absolute http(s) URL"),
    ("url empty", with_("page_view", url=""), "url", "absolute http(s) URL"),
    ("url number", with_("page_view", url=7), "url", "absolute http(s) URL"),
    ("url too long", with_("page_view", url="/" + "a" * 4096), "url", "at most 4,096"),
    ("url with NUL", with_("page_view", url="/a\x00b"), "url", "absolute http(s) URL"),
    ("url decoding to NUL", with_("page_view", url="/a%00b"), "url", "storable path"),
    ("url bad host", with_("page_view", url="http://[::1/x"), "url", "storable path"),
    # referrer and title
    ("referrer number", with_("page_view", referrer=1), "referrer", "at most 4,096"),
    ("referrer too long", with_("page_view", referrer="h" * 4097), "referrer", "at most 4,096"),
    ("title too long", with_("page_view", title="t" * 301), "title", "at most 300 characters"),
    ("title list", with_("page_view", title=["x"]), "title", "at most 300 characters"),
    ("title surrogate", with_("page_view", title="\ud800"), "title", "at most 300"),
    # target
    ("target missing", without("link_click", "target"), "target", "required for link_click"),
    ("target empty", with_("link_click", target=""), "target", "1 to 4,096 characters"),
    ("target too long", with_("link_click", target="t" * 4097), "target", "1 to 4,096"),
    # name
    ("name missing on custom", without("custom", "name"), "name", "required for custom"),
    ("name missing on conversion", without("conversion", "name"), "name", "required for conv"),
    ("name empty", with_("custom", name=""), "name", "1 to 128 characters"),
    ("name too long", with_("custom", name="n" * 129), "name", "1 to 128 characters"),
    ("name number", with_("custom", name=5), "name", "1 to 128 characters"),
    # props
    ("props list", with_("custom", props=[1]), "props", "must be an object"),
    ("props text", with_("custom", props="a=1"), "props", "must be an object"),
    ("props 31 keys", with_("custom", props={f"k{i}": i for i in range(31)}), "props",
     "at most 30 keys"),
    ("props long key", with_("custom", props={"k" * 65: 1}), "props", "1 to 64 characters"),
    ("props empty key", with_("custom", props={"": 1}), "props", "1 to 64 characters"),
    ("props nested object", with_("custom", props={"a": {"b": 1}}), "props", "'a': values must"),
    ("props nested list", with_("custom", props={"a": [1]}), "props", "no objects or arrays"),
    ("props long value", with_("custom", props={"a": "v" * 501}), "props", "at most 500"),
    ("props NaN", with_("custom", props={"a": math.nan}), "props", "must be finite"),
    ("props NUL", with_("custom", props={"a": "x\x00"}), "props", "must not hold NUL"),
    # engagement measures
    ("negative time", with_("engagement", time_on_page_ms=-1), "time_on_page_ms", "0 to 86,400"),
    ("time over a day", with_("engagement", visible_ms=86_400_001), "visible_ms", "to 86,400,000"),
    ("engaged fraction", with_("engagement", engaged_ms=1.5), "engaged_ms", "must be an integer"),
    ("first interaction text", with_("engagement", first_interaction_ms="1"),
     "first_interaction_ms", "must be an integer"),
    ("depth over 100", with_("engagement", scroll_depth=101), "scroll_depth", "from 0 to 100"),
    ("depth negative", with_("scroll", scroll_depth=-1), "scroll_depth", "from 0 to 100"),
    ("depth missing on scroll", without("scroll", "scroll_depth"), "scroll_depth", "required"),
    ("too many clicks", with_("engagement", clicks=100_001), "clicks", "0 to 100,000"),
    ("rage clicks boolean", with_("engagement", rage_clicks=True), "rage_clicks", "integer"),
    ("dead clicks negative", with_("engagement", dead_clicks=-2), "dead_clicks", "0 to 100,000"),
    ("reading pattern", with_("engagement", reading_pattern="skimmed"), "reading_pattern",
     "must be one of bounce, skim, scan, read, engaged"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("event", "field", "message"),
    [pytest.param(event, field, message, id=name) for name, event, field, message in REJECTIONS],
)
def test_every_rejection_names_its_field(event: dict[str, Any], field: str, message: str) -> None:
    found = rejection(event)
    assert (found.index, found.field) == (0, field)
    assert message in found.error


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ([VALID["page_view"]], "body", "must be a JSON object"),
        ("page_view", "body", "must be a JSON object"),
        (None, "body", "must be a JSON object"),
        (3, "body", "must be a JSON object"),
        ({"events": []}, "events", "array of 1 to 100 events"),
        ({"events": {"0": VALID["scroll"]}}, "events", "array of 1 to 100"),
        ({"events": [VALID["scroll"]] * (MAX_EVENTS + 1)}, "events", "array of 1 to 100"),
        ({"events": [VALID["scroll"]], "sent_at": 1}, "sent_at", "a batch is exactly"),
    ],
)
def test_a_body_that_is_neither_form_is_one_rejection(
    payload: Any, field: str, message: str
) -> None:
    result = parse_payload(payload, RECEIVED)
    assert result.accepted == ()
    assert [(r.index, r.field) for r in result.rejected] == [(0, field)]
    assert message in result.rejected[0].error


def test_a_batch_reports_each_event_by_its_index() -> None:
    events = [VALID["page_view"], 17, with_("scroll", scroll_depth=500), VALID["custom"], {}]
    result = parse_payload({"events": events}, RECEIVED)
    assert [event.index for event in result.accepted] == [0, 3]
    assert [(r.index, r.field) for r in result.rejected] == [
        (1, "event"), (2, "scroll_depth"), (4, "type"),
    ]  # fmt: skip
    assert result.as_dict()["accepted"] == 2
    assert result.as_dict()["rejected"][0] == {
        "index": 1, "field": "event", "error": "must be a JSON object",
    }  # fmt: skip


def test_the_first_problem_is_reported_unknown_fields_first() -> None:
    found = rejection({"type": "nope", "bogus": 1})
    assert found.field == "bogus"


# -- decoding and media types ------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "text/plain",
        "text/plain;charset=UTF-8",
        "Application/JSON; charset=utf-8",
        'application/json; charset="utf-8"',
    ],
)
def test_json_and_plain_text_in_utf8_are_accepted(content_type: str) -> None:
    assert media_type_error(content_type) is None


@pytest.mark.parametrize(
    ("content_type", "message"),
    [
        (None, "Content-Type is missing"),
        ("", "Content-Type is missing"),
        ("application/x-www-form-urlencoded", "not accepted"),
        ("multipart/form-data; boundary=x", "not accepted"),
        ("application/ld+json", "not accepted"),
        ("text/plain; charset=iso-8859-1", "charset 'iso-8859-1' is not accepted"),
    ],
)
def test_other_media_types_are_refused(content_type: str | None, message: str) -> None:
    problem = media_type_error(content_type)
    assert problem is not None and message in problem


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "not JSON: Expecting value"),
        (b"{", "not JSON"),
        (b"\xff\xfe{}", "not UTF-8 text"),
        (b'{"type": NaN}', "NaN is not a JSON number"),
        (b"[Infinity]", "Infinity is not a JSON number"),
        (b"[" * 50_000 + b"]" * 50_000, "nested too deeply"),
        ("\ufeff{}".encode(), "not JSON"),
    ],
)
def test_bodies_that_are_not_strict_json_are_refused(raw: bytes, message: str) -> None:
    value, error = decode_json(raw)
    assert value is None and error is not None and message in error


def test_json_decodes() -> None:
    assert decode_json(b'{"events": [1]}') == ({"events": [1]}, None)


# -- normalisation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("https://example.com", "/"),
        ("https://example.com/", "/"),
        ("https://example.com/a/b/?q=1#frag", "/a/b"),
        ("/docs/", "/docs"),
        ("/docs//", "/docs"),
        ("/", "/"),
        ("/?utm_source=x", "/"),
        ("/docs/%C3%BCber", "/docs/über"),
        ("//cdn.example.com/x/", "/x"),
        ("http://example.com:8080/Case/Kept", "/Case/Kept"),
    ],
)
def test_urls_are_stored_as_normalised_paths(url: str, path: str) -> None:
    assert page_path(url) == path
    assert accepted(with_("page_view", url=url)).path == path


@pytest.mark.parametrize(
    ("referrer", "stored"),
    [
        ("", None),
        ("https://www.google.com/search?q=private", "https://www.google.com/search"),
        ("https://user:secret@example.com/a#b", "https://example.com/a"),
        ("android-app://com.google.android.gm/", "android-app://com.google.android.gm/"),
        ("not a url", "not a url"),
    ],
)
def test_referrers_lose_credentials_query_and_fragment(referrer: str, stored: str | None) -> None:
    assert referrer_url(referrer) == stored


@pytest.mark.parametrize(
    ("offset_ms", "believed"),
    [
        (0, True),
        (-24 * HOUR_MS, True),  # exactly 24 h old: kept
        (-24 * HOUR_MS - 1, False),  # more than 24 h in the past
        (5 * 60_000, True),  # exactly 5 min ahead: kept
        (5 * 60_000 + 1, False),  # more than 5 min in the future
        (-RECEIVED_MS - 10**9, False),  # before 1970
        (10**30, False),  # absurd: never reaches datetime arithmetic
    ],
)
def test_client_times_are_believed_within_24h_past_and_5min_future(
    offset_ms: int, believed: bool
) -> None:
    at = event_time(RECEIVED_MS + offset_ms, RECEIVED)
    assert at == (RECEIVED + timedelta(milliseconds=offset_ms) if believed else RECEIVED)
    assert accepted(with_("scroll", ts=RECEIVED_MS + offset_ms)).occurred_at == at


def test_millisecond_precision_is_kept() -> None:
    assert event_time(RECEIVED_MS - 1, RECEIVED) == RECEIVED - timedelta(milliseconds=1)


# -- rows and session activity --------------------------------------------------------------------


def _stored(event_type: str, **changes: Any) -> tuple[str, dict[str, Any]]:
    table, row = event_row(accepted(with_(event_type, **changes)), "sess_1", RECEIVED)
    return table.name, row


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_rows_are_keyed_by_column_names_and_always_have_every_key(event_type: str) -> None:
    table_name, row = _stored(event_type)
    table = engagement_events if event_type == "engagement" else client_events
    assert table_name == table.name
    assert set(row) == {column.name for column in table.c} - {"id"} - (
        {"received_at", "event_type", "name", "target_url", "schema_version", "title",
         "referrer", "scroll_depth"} if event_type == "engagement" else set()
    )  # fmt: skip
    # Every row of a table has the same keys, whatever the event carried.
    _, bare = event_row(accepted(VALID[event_type]), "sess_1", RECEIVED)
    _, full = _stored(event_type, id="evt_00000001", ts=RECEIVED_MS - 5, props={"a": 1})
    assert set(bare) == set(full)


def test_client_event_row_values() -> None:
    _, row = _stored("link_click", id="evt_00000001", props={"k": True})
    assert row == {
        "client_event_id": "evt_00000001", "session_id": "sess_1", "occurred_at": RECEIVED,
        "received_at": RECEIVED, "event_type": "link_click", "name": None, "path": "/docs",
        "target_url": "https://github.com/x", "properties": {"k": True}, "schema_version": 1,
        "title": None, "referrer": None, "scroll_depth": None,
    }  # fmt: skip
    assert _stored("scroll")[1]["scroll_depth"] == 50


def test_engagement_row_values() -> None:
    _, row = _stored("engagement", id="eng_00000001")
    assert row == {
        "client_event_id": "eng_00000001", "session_id": "sess_1", "occurred_at": RECEIVED,
        "path": "/docs", "time_on_page_ms": 5000, "visible_time_ms": 4000,
        "engaged_time_ms": 3000, "max_scroll_depth": 80, "click_count": 3,
        "rage_click_count": 1, "dead_click_count": 0, "time_to_first_interaction_ms": None,
        "reading_pattern": "scan", "properties": None,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("event", "converts"),
    [
        (VALID["conversion"], True),
        (with_("conversion", name="anything"), True),
        (with_("custom", name="signup"), True),
        (with_("custom", name="purchase"), True),
        (with_("custom", name="Signup"), False),
        (VALID["custom"], False),
        (VALID["page_view"], False),
    ],
)
def test_conversions(event: dict[str, Any], converts: bool) -> None:
    assert is_conversion(accepted(event), ("signup", "purchase")) is converts


def test_an_event_is_session_activity_never_a_page_view() -> None:
    started = RECEIVED - timedelta(minutes=3)
    for event_type in EVENT_TYPES:
        activity = event_activity(accepted(VALID[event_type]), "s", started, RECEIVED, ())
        assert activity.counters == {"event_count": 1}
        assert set(activity.counters) <= set(SESSION_COUNTERS)
        assert (activity.started_at, activity.at) == (started, RECEIVED)
        converts = event_type == "conversion"  # custom events only by a listed name
        assert activity.attributes == ({"converted_at": RECEIVED} if converts else None)


def test_a_conversion_sets_converted_at_never_before_the_session_began() -> None:
    started = RECEIVED - timedelta(minutes=3)
    event = accepted(with_("conversion", ts=RECEIVED_MS - 60_000))
    activity = event_activity(event, "s", started, RECEIVED, ())
    assert activity.attributes == {"converted_at": RECEIVED - timedelta(minutes=1)}
    early = accepted(with_("conversion", ts=RECEIVED_MS - 3_600_000))
    activity = event_activity(early, "s", started, RECEIVED, ())
    assert activity.attributes == {"converted_at": started}


def test_request_kind_classifies_the_collect_path_as_a_beacon() -> None:
    assert request_kind("POST", "/api/v1/collect", "*/*") == "beacon"
    assert request_kind("POST", "/api/v1/collect/", None) == "beacon"


# -- CORS, ETags, recent ids -----------------------------------------------------------------------


def test_cors_headers_only_for_listed_origins() -> None:
    policy = CorsPolicy.of(["https://Example.com/", "http://localhost:8080"])
    assert policy.allows("https://example.com") and policy.allows("https://example.com:443")
    assert policy.allows("http://localhost:8080")
    for other in ("https://evil.example", "http://example.com", "null", "", None, "::"):
        assert not policy.allows(other)
        assert policy.headers(other) == {"Vary": "Origin"}
        assert policy.preflight_headers(other) is None
    assert policy.headers("https://example.com") == {
        "Vary": "Origin",
        "Access-Control-Allow-Origin": "https://example.com",
        "Access-Control-Allow-Credentials": "true",
    }
    preflight = policy.preflight_headers("https://example.com")
    assert preflight is not None
    assert preflight["Access-Control-Allow-Methods"] == "POST"
    assert "Content-Type" in preflight["Access-Control-Allow-Headers"]
    assert not CorsPolicy.of([]).allows("https://example.com")


@pytest.mark.parametrize(
    ("if_none_match", "current"),
    [
        (None, False),
        ("", False),
        ("*", True),
        ("{etag}", True),
        ("W/{etag}", True),
        ('"other", {etag}', True),
        ('"other"', False),
    ],
)
def test_etags(if_none_match: str | None, current: bool) -> None:
    script = StaticFile.of(b"console.log(1)")
    header = None if if_none_match is None else if_none_match.format(etag=script.etag)
    assert script.is_current(header) is current
    assert re.fullmatch(r'"[0-9a-f]{32}"', script.etag)
    assert StaticFile.of(b"console.log(2)").etag != script.etag


def test_recent_ids_forget_the_oldest_beyond_capacity() -> None:
    recent = RecentIds(capacity=2)
    assert [recent.claim(event_id) for event_id in ("a", "b", "c")] == [True, True, True]
    assert not recent.claim("b") and not recent.claim("c")
    assert recent.claim("a")  # forgotten beyond capacity: counts again
    recent.release("a")
    assert recent.claim("a")


# -- the JSON Schema -------------------------------------------------------------------------------


def test_the_published_schema_is_the_generated_one() -> None:
    published = (ROOT / "docs" / "collector.schema.json").read_text(encoding="utf-8")
    assert published == render()


def test_the_schema_structure() -> None:
    schema = event_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    branches = {branch["properties"]["type"]["const"]: branch for branch in schema["oneOf"]}
    assert set(branches) == set(EVENT_TYPES)
    for event_type, branch in branches.items():
        shape = SHAPES[event_type]  # type: ignore[index]
        assert branch["additionalProperties"] is False
        assert branch["required"] == list(shape.required)
        assert set(branch["properties"]) == set(shape.fields)
    scroll = branches["scroll"]["properties"]["scroll_depth"]
    assert (scroll["minimum"], scroll["maximum"]) == (0, 100)
    pattern = branches["engagement"]["properties"]["reading_pattern"]["anyOf"][0]
    assert pattern == {"enum": list(READING_PATTERNS)}
    batch = schema["$defs"]["body"]["oneOf"][1]["properties"]["events"]
    assert (batch["minItems"], batch["maxItems"]) == (1, MAX_EVENTS)


def _is_type(value: Any, name: str) -> bool:
    if name == "integer":
        return (
            isinstance(value, int | float) and not isinstance(value, bool) and value == int(value)
        )
    return {
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "string": lambda v: isinstance(v, str),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "null": lambda v: v is None,
    }[name](value)


def conforms(value: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    """A small JSON Schema evaluator for exactly the keywords our schema uses (``jsonschema``
    is not a dependency), so the schema's meaning can be checked against the validator."""
    checks: list[bool] = []
    if "$ref" in schema:
        target = root if schema["$ref"] == "#" else root["$defs"][schema["$ref"].split("/")[-1]]
        checks.append(conforms(value, target, root))
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        checks.append(any(_is_type(value, name) for name in names))
    if "const" in schema:  # JSON equality: true is not 1, but 1.0 is
        const = schema["const"]
        checks.append(isinstance(value, bool) == isinstance(const, bool) and value == const)
    if "enum" in schema:
        checks.append(isinstance(value, str) and value in schema["enum"])
    if isinstance(value, int | float) and not isinstance(value, bool):
        checks.append(value >= schema.get("minimum", -math.inf))
        checks.append(value <= schema.get("maximum", math.inf))
    if isinstance(value, str):
        checks.append(schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", 10**9))
        if "pattern" in schema:  # ECMAScript's $ does not match before a final newline
            pattern = re.sub(r"\$$", r"\\Z", schema["pattern"])
            checks.append(re.search(pattern, value) is not None)
    if isinstance(value, dict):
        checks.append(all(name in value for name in schema.get("required", [])))
        checks.append(len(value) <= schema.get("maxProperties", 10**9))
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for name, item in value.items():
            if "propertyNames" in schema:
                checks.append(conforms(name, schema["propertyNames"], root))
            if name in properties:
                checks.append(conforms(item, properties[name], root))
            elif extra is False:
                checks.append(False)
            elif isinstance(extra, dict):
                checks.append(conforms(item, extra, root))
    if isinstance(value, list) and "items" in schema:
        checks.append(schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", 10**9))
        checks.extend(conforms(item, schema["items"], root) for item in value)
    if "anyOf" in schema:
        checks.append(any(conforms(value, branch, root) for branch in schema["anyOf"]))
    if "oneOf" in schema:
        checks.append(sum(conforms(value, branch, root) for branch in schema["oneOf"]) == 1)
    return all(checks)


# The schema cannot say "no NUL or unpaired surrogates" or "a path that decodes to NUL": those
# rejections are the validator's alone.
_VALIDATOR_ONLY = {"url with NUL", "url decoding to NUL", "url bad host", "title surrogate",
                   "props NaN", "props NUL"}  # fmt: skip
SAMPLES = [(event, True) for event in VALID.values()] + [
    (event, False) for name, event, _, _ in REJECTIONS if name not in _VALIDATOR_ONLY
]


@pytest.mark.parametrize(("event", "valid"), SAMPLES)
def test_the_schema_and_the_validator_agree(event: dict[str, Any], valid: bool) -> None:
    schema = event_schema()
    assert conforms(event, schema, schema) is valid
    assert isinstance(parse(event), AcceptedEvent) is valid
    body = schema["$defs"]["body"]
    assert conforms({"events": [event]}, body, schema) is valid


# -- properties ------------------------------------------------------------------------------------

_text = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"))
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63), st.floats(allow_nan=False,
    allow_infinity=False), _text.filter(lambda s: len(s) <= 500),
)  # fmt: skip
_path_chars = st.characters(whitelist_categories=["L", "N"], whitelist_characters="-_.~")
_paths = st.lists(st.text(_path_chars, min_size=1, max_size=12), max_size=4).map(
    lambda parts: "/" + "/".join(parts)
)
_durations = st.integers(0, 86_400_000)
_clicks = st.integers(0, 100_000)


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.just(_ABSENT), st.none(), strategy)


_ABSENT = object()
_COMMON = {
    "v": _optional(st.just(1)),
    "id": _optional(st.from_regex(r"[A-Za-z0-9_.:-]{8,64}", fullmatch=True)),
    "ts": _optional(st.integers(RECEIVED_MS - 24 * HOUR_MS, RECEIVED_MS + 300_000)),
    "props": _optional(
        st.dictionaries(_text.filter(lambda k: 1 <= len(k) <= 64), _scalars, max_size=30)
    ),
}
_REQUIRED: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "page_view": {"url": _paths}, "engagement": {"url": _paths},
    "link_click": {"url": _paths, "target": _text.filter(lambda s: 1 <= len(s) <= 4096)},
    "scroll": {"url": _paths, "scroll_depth": st.integers(0, 100)},
    "conversion": {"name": _text.filter(lambda s: 1 <= len(s) <= 128)},
    "custom": {"name": _text.filter(lambda s: 1 <= len(s) <= 128)},
}  # fmt: skip
_OPTIONAL: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "page_view": {
        "referrer": _optional(_paths), "title": _optional(_text.filter(lambda s: len(s) <= 300)),
    },
    "engagement": {
        "time_on_page_ms": _optional(_durations), "visible_ms": _optional(_durations),
        "engaged_ms": _optional(_durations), "first_interaction_ms": _optional(_durations),
        "scroll_depth": _optional(st.integers(0, 100)), "clicks": _optional(_clicks),
        "rage_clicks": _optional(_clicks), "dead_clicks": _optional(_clicks),
        "reading_pattern": _optional(st.sampled_from(READING_PATTERNS)),
    },
    "conversion": {"url": _optional(_paths)}, "custom": {"url": _optional(_paths)},
}  # fmt: skip


@st.composite
def valid_events(draw: st.DrawFn) -> dict[str, Any]:
    event_type = draw(st.sampled_from(EVENT_TYPES))
    strategies = {**_COMMON, **_REQUIRED[event_type], **_OPTIONAL.get(event_type, {})}
    event = {"type": event_type}
    for name, strategy in strategies.items():
        value = draw(strategy)
        if value is not _ABSENT:
            event[name] = value
    return event


@settings(max_examples=300)
@given(valid_events())
def test_any_valid_event_round_trips(event: dict[str, Any]) -> None:
    stored = accepted(event)
    assert stored.type == event["type"]
    assert stored.client_event_id == event.get("id")
    assert stored.name == event.get("name")
    assert stored.target == event.get("target")
    assert stored.props == event.get("props")
    if event.get("url") is not None:
        assert stored.path == page_path(event["url"])
    if event.get("ts") is not None:
        assert stored.occurred_at == datetime(1970, 1, 1, tzinfo=UTC) + timedelta(
            milliseconds=event["ts"]
        )
    if event["type"] == "engagement":
        assert stored.engagement is not None
        assert stored.engagement.clicks == (event.get("clicks") or 0)
        assert stored.engagement.reading_pattern == event.get("reading_pattern")
    # Sent again in its stored form, it is stored the same way.
    if stored.path is not None:
        assert accepted({**event, "url": stored.path}).path == stored.path
    # JSON has no tuples or NaN: what is valid survives a trip through JSON text.
    assert accepted(json.loads(json.dumps(event))) == stored
    schema = event_schema()
    assert conforms(event, schema, schema)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
_fieldish = st.sampled_from([*FIELDS, "events", "colour"])
_event_like = st.dictionaries(_fieldish, _json | st.sampled_from(EVENT_TYPES), max_size=8)


def _event_count(payload: Any) -> int:
    if isinstance(payload, dict) and set(payload) == {"events"}:
        events = payload["events"]
        if isinstance(events, list) and 1 <= len(events) <= MAX_EVENTS:
            return len(events)
    return 1


@settings(max_examples=400)
@given(
    st.one_of(
        _json,
        _event_like,
        st.lists(_event_like | _json, min_size=0, max_size=5).map(lambda e: {"events": e}),
    )
)
def test_arbitrary_json_never_raises_and_every_event_is_answered(payload: Any) -> None:
    result = parse_payload(payload, RECEIVED)
    assert isinstance(result, ParseResult)
    assert len(result.accepted) + len(result.rejected) == _event_count(payload)
    answered = sorted([e.index for e in result.accepted] + [r.index for r in result.rejected])
    assert answered == list(range(_event_count(payload)))
    json.dumps(result.as_dict())  # the response body is always serialisable


@given(valid_events(), st.text(min_size=1, max_size=20).filter(lambda name: name not in FIELDS))
def test_any_unknown_field_is_named(event: dict[str, Any], name: str) -> None:
    found = rejection({**event, name: 1})
    assert found.field == name and found.error.startswith("unknown field")


@given(st.binary(max_size=200))
def test_arbitrary_bytes_decode_or_are_refused(raw: bytes) -> None:
    value, error = decode_json(raw)
    assert (error is None) or (value is None and error)
