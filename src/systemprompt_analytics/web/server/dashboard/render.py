"""The Jinja2 environment of the dashboard's pages (templates shipped with the package;
autoescaping on, undefined names an error) and the chart helpers templates call."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from systemprompt_analytics import __version__
from systemprompt_analytics.web.server.dashboard.charts.bars import (
    render_bar_chart,
    render_share_chart,
    render_share_swatch,
)
from systemprompt_analytics.web.server.dashboard.charts.timeaxis import bucket_label
from systemprompt_analytics.web.server.dashboard.charts.timeseries import (
    render_swatch,
    render_time_chart,
)
from systemprompt_analytics.web.server.dashboard.static import STYLESHEET


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("systemprompt_analytics.web.server.dashboard", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        time_chart=render_time_chart,
        bar_chart=render_bar_chart,
        share_chart=render_share_chart,
        swatch=render_swatch,
        share_swatch=render_share_swatch,
        bucket_label=bucket_label,
        version=__version__,
        stylesheet_url=STYLESHEET.url,
    )
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
