"""Asking the throttle service about a request, and the 429 answer, for both middlewares."""

from __future__ import annotations

from systemprompt_analytics.ingest.pipeline import RequestContext
from systemprompt_analytics.service import Analytics
from systemprompt_analytics.throttle.decision import ThrottleDecision, ThrottleKeys

REFUSAL_BODY = b"Too Many Requests\n"


def decide(analytics: Analytics, context: RequestContext) -> ThrottleDecision | None:
    """The throttle decision for this request, or None when throttling is off."""
    service = analytics.throttle
    if service is None:
        return None
    category = context.user_agent.category
    return service.check(
        ThrottleKeys(context.resolution.session_id, context.fingerprint_hash, context.ip),
        path=context.facts.path,
        client_category=str(category) if category is not None else None,
        detailed=False,
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
