"""The stats API: one ``GET /api/v1/stats/…`` endpoint per CLI report, serving its ``--json``."""

from systemprompt_analytics.web.server.stats.errors import invalid_input_handler
from systemprompt_analytics.web.server.stats.router import stats_router

__all__ = ["invalid_input_handler", "stats_router"]
