"""The collector: the HTTP endpoint the browser tracker posts engagement events to.

    from systemprompt_analytics.web.collector import collector_router

    app.include_router(collector_router(analytics), prefix="/api/v1")

The contract (event types, fields, limits, responses) is in docs/collector.md and, as data,
in :mod:`.contract`; validation is pure (:mod:`.validate`).
"""

from systemprompt_analytics.web.collector.router import collector_router
from systemprompt_analytics.web.collector.validate import (
    AcceptedEvent,
    ParseResult,
    Rejection,
    parse_payload,
)

__all__ = ["AcceptedEvent", "ParseResult", "Rejection", "collector_router", "parse_payload"]
