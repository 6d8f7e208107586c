"""The request pipeline: extract → classify → identify → enqueue. No database on this path.

``begin()`` runs before the host app handles a request (so the session cookie can go out with
the response); ``finish()`` runs after it and hands one session activity and one request event
to the batching writer. Both are pure computation plus memory: the per-UA and per-IP lookups are
cached, identity comes from the signed cookie or the in-memory index.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network
from typing import Any

from systemprompt_analytics.config import PrivacyMode
from systemprompt_analytics.detection.user_agents import (
    BotCategory,
    UserAgentInfo,
    classify_user_agent,
)
from systemprompt_analytics.ingest.activity import SessionActivity
from systemprompt_analytics.ingest.attribution import classify_referrer, parse_locale, parse_utm
from systemprompt_analytics.ingest.client_ip import client_ip
from systemprompt_analytics.ingest.datacenter import DatacenterDetector
from systemprompt_analytics.ingest.fingerprint import cached_fingerprinter
from systemprompt_analytics.ingest.geo import GeoLookup
from systemprompt_analytics.ingest.identity import IdentityResolver, Resolution
from systemprompt_analytics.ingest.privacy import truncate_ip
from systemprompt_analytics.ingest.request_kind import DEFAULT_KIND_RULES, KindRules, request_kind
from systemprompt_analytics.ingest.session_cookie import read_session_cookie, set_cookie_header
from systemprompt_analytics.ingest.writer import BatchWriter, Entry
from systemprompt_analytics.storage.schema import request_events

CLIENT_HINT_HEADER = "x-sp-fingerprint"


@lru_cache(maxsize=65_536)
def _utc_datetime(timestamp: float) -> datetime:
    """A session's start as a datetime: converted once per session, not once per request."""
    return datetime.fromtimestamp(timestamp, UTC)


MAX_PATH_LENGTH = 2048
# The status recorded for a response the client went away from before it was complete (nginx's).
CLIENT_CLOSED_REQUEST = 499

# The session counters and flags one request adds, shared rather than built per request: the
# writer's merge only reads them (treat them as immutable).
REQUEST_COUNTERS = {"request_count": 1, "page_view_count": 0, "error_count": 0}
PAGE_VIEW_COUNTERS = {"request_count": 1, "page_view_count": 1, "error_count": 0}
ERROR_COUNTERS = {"request_count": 1, "page_view_count": 0, "error_count": 1}
NO_FLAGS: dict[str, bool] = {}


# Not frozen, for speed (one per request; see identity.Resolution). Treat it as immutable.
@dataclass(slots=True)
class RequestFacts:
    """What the pipeline needs to know about one request, independent of the web framework."""

    method: str
    path: str
    query_string: str
    headers: Mapping[str, str]  # lower-case names; repeated headers joined with ", "
    peer_ip: str | None
    secure: bool = False
    at: datetime | None = None  # when it happened; None = now (log import passes the log time)
    user_id: str | None = None  # the authenticated user, when known before the app runs
    session_key: str | None = None  # an explicit session key (log import's --session-field)


@dataclass(slots=True)
class RequestContext:
    facts: RequestFacts
    timestamp: float  # when the request happened, in epoch seconds
    resolution: Resolution
    user_agent: UserAgentInfo
    kind: str
    attributes: dict[str, Any] | None
    set_cookie: str | None
    # The request's fingerprint; None when a valid session cookie decided (not computed then).
    fingerprint_hash: str | None
    ip: str | None
    started: float = field(default_factory=time.perf_counter)

    @property
    def at(self) -> datetime:
        """When the request happened (the log's time for an imported request)."""
        return self.facts.at or datetime.fromtimestamp(self.timestamp, UTC)


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    cookie_key: bytes
    fingerprint_key: bytes
    trusted_proxies: tuple[IPv4Network | IPv6Network, ...] = ()
    site_hosts: frozenset[str] = frozenset()
    privacy_mode: PrivacyMode = "off"
    kind_rules: KindRules = DEFAULT_KIND_RULES
    record_health_checks: bool = False
    cookie_max_age: int = 24 * 3600


# What finish() hands the writer: (session id, session start and request time in epoch
# seconds, the request's given datetime (log import) or None, method, path, kind, status code,
# response bytes, latency in ms, whether the client is a bot / an AI crawler / a scanner,
# session attributes, only for a session's first request). Plain values only: the garbage
# collector stops tracking a tuple of them, so the thousands of a known session's requests
# queued between two flushes are never walked by, nor promoted into triggering, a full
# collection (an object such as UserAgentInfo here would keep every record tracked).
RequestRecord = tuple[
    str, float, float, datetime | None, str, str, str, int, int | None, float | None,
    bool, bool, bool, dict[str, Any] | None,
]  # fmt: skip


def request_entry(record: RequestRecord) -> Entry:
    """A finished request's session activity and ``request_events`` row (pure; run by the
    writer thread for each request of a batch)."""
    (session_id, started, timestamp, at, method, path, kind, status_code, response_bytes,
     latency_ms, is_bot, is_ai_crawler, is_scanner, attributes) = record  # fmt: skip
    if at is None:
        at = datetime.fromtimestamp(timestamp, UTC)
    # Only true flags travel: the session merge ORs them, so False would change nothing.
    session_flags = NO_FLAGS
    if is_bot:
        session_flags = {"is_bot": True, "is_ai_crawler": is_ai_crawler, "is_scanner": is_scanner}
    if attributes and attributes.get("hosting_provider"):
        session_flags = {**session_flags, "is_datacenter": True}
    if status_code >= 400:
        counters = ERROR_COUNTERS
    else:
        counters = PAGE_VIEW_COUNTERS if kind == "page" else REQUEST_COUNTERS
    activity = SessionActivity(
        session_id, _utc_datetime(started), at, attributes, counters, session_flags
    )
    event = {
        "session_id": session_id,
        "occurred_at": at,
        "method": method[:10],
        "path": path[:MAX_PATH_LENGTH],
        "status_code": status_code,
        "latency_ms": None if latency_ms is None else round(latency_ms, 3),
        "kind": kind,
        "response_bytes": response_bytes,
        "is_bot": is_bot,
        "is_ai_crawler": is_ai_crawler,
        "is_scanner": is_scanner,
    }
    return activity, request_events, event


class RequestPipeline:
    def __init__(
        self,
        config: PipelineConfig,
        identity: IdentityResolver,
        writer: BatchWriter,
        geo: GeoLookup | None = None,
        datacenter: DatacenterDetector | None = None,
    ) -> None:
        self.config = config
        self.identity = identity
        self.writer = writer
        self.geo = geo
        self.datacenter = datacenter
        self._fingerprint = cached_fingerprinter(
            config.fingerprint_key, privacy=config.privacy_mode != "off"
        )

    def begin(self, facts: RequestFacts) -> RequestContext | None:
        """Attribute the request to a session; None for requests that are not tracked."""
        # Epoch seconds, not a datetime: the writer thread builds the event's datetime.
        given = facts.at
        now = time.time() if given is None else given.timestamp()
        headers = facts.headers
        kind = request_kind(facts.method, facts.path, headers.get("accept"), self.config.kind_rules)
        if kind == "health" and not self.config.record_health_checks:
            return None
        ip = client_ip(facts.peer_ip, headers, self.config.trusted_proxies)
        user_agent = classify_user_agent(headers.get("user-agent"))
        cookie_value = read_session_cookie(headers.get("cookie"))
        # A returning browser's valid cookie decides alone: no fingerprint is computed for it.
        resolution = None
        if cookie_value is not None and facts.session_key is None:
            resolution = self.identity.resume(cookie_value, facts.user_id, now)
        fingerprint_hash = None
        attributes = None
        if resolution is None:
            print_ = self._fingerprint(
                headers.get("user-agent"),
                headers.get("accept-language"),
                ip,
                (given or datetime.fromtimestamp(now, UTC)).date(),
                headers.get(CLIENT_HINT_HEADER),
            )
            fingerprint_hash = print_.fingerprint_hash
            if facts.session_key is not None:
                resolution = self.identity.resolve_keyed(facts.session_key, fingerprint_hash, now)
            else:
                resolution = self.identity.resolve(
                    cookie_value=cookie_value,
                    fingerprint_hash=fingerprint_hash,
                    user_id=facts.user_id,
                    now=now,
                )
            if resolution.is_new:
                attributes = self._session_attributes(facts, kind, ip, user_agent)
                attributes["fingerprint_hash"] = fingerprint_hash
                attributes["visitor_hash"] = print_.visitor_hash
        if resolution.identified_user_id is not None:
            attributes = attributes or {}
            attributes["user_id"] = resolution.identified_user_id
        set_cookie = None
        if resolution.cookie_value is not None:
            set_cookie = set_cookie_header(
                resolution.cookie_value, max_age=self.config.cookie_max_age, secure=facts.secure
            )
        return RequestContext(
            facts,
            now,
            resolution,
            user_agent,
            kind,
            attributes,
            set_cookie,
            fingerprint_hash,
            ip,
        )

    def finish(
        self,
        context: RequestContext,
        status_code: int,
        response_bytes: int | None = None,
        latency_ms: float | None = None,
        user_id: str | None = None,
        completed: float = 0.0,
    ) -> bool:
        """Queue the request's session activity and event. False if the writer had to drop it.

        Latency, unless given, runs from the start of the request to ``completed`` (the
        ``perf_counter()`` when the response's last part went out) or, without it, to now.
        Only what the request knows is handed over (one tuple); the writer builds the event row
        and the session activity from it in its batch loop (:func:`request_entry`).
        """
        if latency_ms is None and context.facts.at is None:
            latency_ms = ((completed or time.perf_counter()) - context.started) * 1000.0
        # A replayed request (log import) has no measurable latency: stored as NULL.
        attributes = context.attributes
        resolution = context.resolution
        if user_id is not None and self.identity.identify(resolution.session_id, user_id):
            attributes = {**(attributes or {}), "user_id": user_id}
        facts = context.facts
        agent = context.user_agent
        return self.writer.submit_deferred(
            request_entry,
            (
                resolution.session_id,
                resolution.started,
                context.timestamp,
                facts.at,
                facts.method,
                facts.path,
                context.kind,
                status_code,
                response_bytes,
                latency_ms,
                agent.is_bot,
                agent.is_ai_crawler,
                agent.category is BotCategory.SCANNER,
                attributes,
            ),
        )

    # -- helpers ---------------------------------------------------------------------------

    def _session_attributes(
        self, facts: RequestFacts, kind: str, ip: str | None, agent: UserAgentInfo
    ) -> dict[str, Any]:
        headers = facts.headers
        utm = parse_utm(facts.query_string)
        referrer = classify_referrer(headers.get("referer"), self.config.site_hosts, utm)
        geo = self.geo.lookup(ip) if self.geo is not None else None
        provider = self.datacenter.lookup(ip) if self.datacenter is not None else None
        entry = facts.path + (f"?{facts.query_string}" if facts.query_string else "")
        attributes: dict[str, Any] = {
            "source": "api" if kind == "api" else "web",
            "ip": truncate_ip(ip, self.config.privacy_mode),
            "user_agent": headers.get("user-agent"),
            "device_type": agent.device_type,
            "browser": agent.browser,
            "browser_version": agent.browser_version,
            "os": agent.os,
            "os_version": agent.os_version,
            "locale": parse_locale(headers.get("accept-language")),
            "referrer_url": referrer.url,
            "referrer_source": referrer.source,
            "channel": referrer.channel,
            "landing_page": facts.path[:MAX_PATH_LENGTH] if kind == "page" else None,
            "entry_url": entry[:MAX_PATH_LENGTH],
            "utm_source": utm.source,
            "utm_medium": utm.medium,
            "utm_campaign": utm.campaign,
            "utm_content": utm.content,
            "utm_term": utm.term,
            "bot_name": agent.bot_name,
            "bot_category": str(agent.category) if agent.category is not None else None,
            "bot_reason": agent.reason if agent.is_bot else None,
            "hosting_provider": provider,
        }
        if geo is not None:
            attributes.update(country=geo.country, region=geo.region, city=geo.city)
        return attributes
