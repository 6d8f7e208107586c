"""Asking the throttle service about a request, and the 429 answer, for both middlewares."""

from __future__ import annotations

from functools import lru_cache
from ipaddress import ip_address

from systemprompt_analytics.ingest.pipeline import RequestContext
from systemprompt_analytics.service import Analytics
from systemprompt_analytics.throttle.decision import ThrottleDecision, ThrottleKeys

REFUSAL_BODY = b"Too Many Requests\n"


@lru_cache(maxsize=65_536)
def _is_public(ip: str | None) -> bool:
    if ip is None:
        return False
    try:
        return ip_address(ip).is_global
    except ValueError:
        return False


def throttle_keys(context: RequestContext) -> ThrottleKeys:
    """The identities a request is counted against.

    - the session, always;
    - the client address only when it is a public one: a private or loopback address is most
      likely a proxy that ``SP_ANALYTICS_TRUSTED_PROXIES`` does not list, and limiting it would
      throttle everyone behind it;
    - the fingerprint only for requests without a valid session cookie (cookie-less clients
      are what it is for) and, as it includes the address, only when that address is public.
    """
    public = _is_public(context.ip)
    cookie_less = context.resolution.evidence != "cookie"
    return ThrottleKeys(
        context.resolution.session_id,
        context.fingerprint_hash if cookie_less and public else None,
        context.ip if public else None,
    )


def throttle_refusal(analytics: Analytics, context: RequestContext) -> ThrottleDecision | None:
    """The 429 to answer this request with, or None when it may go ahead (or throttling is
    off). Allowed requests are counted all the same."""
    service = analytics.throttle
    if service is None:
        return None
    category = context.user_agent.category
    return service.refusal(
        throttle_keys(context),
        path=context.facts.path,
        client_category=None if category is None else category.value,
    )


def refusal_headers(decision: ThrottleDecision, set_cookie: str | None) -> list[tuple[str, str]]:
    """Headers of the 429: Retry-After, X-Throttle-Level, X-RateLimit-Limit/Remaining/Reset."""
    headers = [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(REFUSAL_BODY))),
        *decision.headers().items(),
    ]
    if set_cookie is not None:
        headers.append(("Set-Cookie", set_cookie))
    return headers
