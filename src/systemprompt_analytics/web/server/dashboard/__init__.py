"""The dashboard of ``sp-analytics serve``: server-rendered pages (Jinja2) with inline SVG
charts, behind a login with the API token or a configured password.

    app.include_router(dashboard_router(analytics))

See docs/dashboard.md.
"""

from systemprompt_analytics.web.server.dashboard.routes import dashboard_router

__all__ = ["dashboard_router"]
