"""The standalone server (``sp-analytics serve``)."""

from systemprompt_analytics.web.server.app import create_app

__all__ = ["create_app"]
