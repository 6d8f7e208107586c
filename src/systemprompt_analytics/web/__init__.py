"""Web integration: ASGI and WSGI middleware (and, later, the collector, stats API, dashboard)."""

from systemprompt_analytics.web.asgi import AnalyticsMiddleware
from systemprompt_analytics.web.wsgi import AnalyticsWSGIMiddleware

__all__ = ["AnalyticsMiddleware", "AnalyticsWSGIMiddleware"]
