"""Web integration: ASGI and WSGI middleware; the tracker's collector is a FastAPI router in
:mod:`systemprompt_analytics.web.collector` (imported from there, so WSGI apps never load
FastAPI)."""

from systemprompt_analytics.web.asgi import AnalyticsMiddleware
from systemprompt_analytics.web.wsgi import AnalyticsWSGIMiddleware

__all__ = ["AnalyticsMiddleware", "AnalyticsWSGIMiddleware"]
