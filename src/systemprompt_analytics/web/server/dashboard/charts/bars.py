"""Horizontal bar charts as inline SVG: per row a label and its number on one line, the bar
below; bar lengths are percentages of the largest value, so nothing is scaled but the bars."""

from __future__ import annotations

from markupsafe import Markup

from systemprompt_analytics.web.server.dashboard.charts.models import Bar, BarChart, ShareChart
from systemprompt_analytics.web.server.dashboard.charts.svg import join, num, pct, tag

ROW = 40
LABEL_BASELINE = 15
BAR_TOP = 21
BAR_HEIGHT = 12
# A row's label and number share one line: together at most this many characters (what
# fits a phone-wide panel); a longer label is cut, and shown whole in the tooltip.
ROW_CHARACTERS = 46
MIN_LABEL = 12
SHARE_HEIGHT = 30


def shorten(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: max(0, limit - 1)] + "…"


def _value_text(value_text: str, note: str) -> str:
    return f"{value_text} · {note}" if note else value_text


def _row(bar: Bar, index: int, largest: float) -> Markup:
    top = index * ROW
    length = (bar.value or 0.0) / largest * 100 if largest > 0 else 0.0
    text = _value_text(bar.value_text, bar.note)
    tooltip = f"{bar.label}: {_value_text(text, bar.detail)}"
    label = shorten(bar.label, max(MIN_LABEL, ROW_CHARACTERS - len(text) - 2))
    baseline = top + LABEL_BASELINE
    parts = [
        tag("title", tooltip),
        tag("text", label, x=0, y=baseline, class_="label"),
        tag("text", text, x="100%", y=baseline, text_anchor="end", class_="value"),
        tag("rect", x=0, y=top + BAR_TOP, width="100%", height=BAR_HEIGHT, class_="track"),
        tag("rect", x=0, y=top + BAR_TOP, width=pct(length), height=BAR_HEIGHT, class_="bar s0"),
    ]
    value = "" if bar.value is None else num(bar.value)
    return tag("g", join(parts), class_="row", data_value=value)


def describe(chart: BarChart) -> str:
    """What the chart counts, then every row with its number: what a screen reader says."""
    rows = "; ".join(f"{bar.label}: {_value_text(bar.value_text, bar.note)}" for bar in chart.bars)
    return f"{chart.description or chart.title + ':'} {rows}."


def render_bar_chart(chart: BarChart) -> Markup:
    largest = max((bar.value or 0.0 for bar in chart.bars), default=0.0)
    rows = [_row(bar, index, largest) for index, bar in enumerate(chart.bars)]
    ident = f"chart-{chart.key}"
    total = sum(bar.value or 0.0 for bar in chart.bars)
    return tag(
        "svg",
        join(
            [
                tag("title", chart.title, id=f"{ident}-title"),
                tag("desc", describe(chart), id=f"{ident}-desc"),
                tag("g", join(rows), data_series=chart.key, data_sum=num(total)),
            ]
        ),
        xmlns="http://www.w3.org/2000/svg",
        class_="chart chart-hbars",
        width="100%",
        height=max(ROW, len(chart.bars) * ROW),
        role="img",
        aria_labelledby=f"{ident}-title {ident}-desc",
        data_chart=chart.key,
    )


def render_share_chart(chart: ShareChart) -> Markup:
    """One bar split into its parts; hatched parts are filled with a diagonal pattern."""
    ident = f"chart-{chart.key}"
    hatch = f"{ident}-hatch"
    pattern = tag(
        "pattern",
        join(
            [
                tag("rect", width=8, height=8, class_="hatch-ground"),
                tag("line", x1=0, y1=0, x2=0, y2=8, class_="hatch-line"),
            ]
        ),
        id=hatch,
        patternUnits="userSpaceOnUse",
        width=8,
        height=8,
        patternTransform="rotate(45)",
    )
    parts, left = [], 0.0
    for part in chart.parts:
        width = (part.share or 0.0) * 100
        parts.append(
            tag(
                "rect",
                tag("title", f"{part.label}: {part.value:,} ({num(width)}%)"),
                x=pct(left),
                y=0,
                width=pct(width),
                height=SHARE_HEIGHT,
                class_="share hatched" if part.hatched else "share s0",
                fill=f"url(#{hatch})" if part.hatched else None,
                data_value=part.value,
            )
        )
        left += width
    total = sum(part.value for part in chart.parts)
    description = "; ".join(
        f"{p.label} {p.value:,} ({num((p.share or 0) * 100)}%)" for p in chart.parts
    )
    return tag(
        "svg",
        join(
            [
                tag("title", chart.title, id=f"{ident}-title"),
                tag("desc", description, id=f"{ident}-desc"),
                tag("defs", pattern),
                tag("g", join(parts), data_series=chart.key, data_sum=total),
            ]
        ),
        xmlns="http://www.w3.org/2000/svg",
        class_="chart chart-share",
        width="100%",
        height=SHARE_HEIGHT,
        role="img",
        aria_labelledby=f"{ident}-title {ident}-desc",
        data_chart=chart.key,
    )


def render_share_swatch(hatched: bool, key: str) -> Markup:
    """The legend's sample of a share part (solid or hatched, as drawn)."""
    if hatched:
        mark = tag(
            "rect", width=18, height=12, fill=f"url(#chart-{key}-hatch)", class_="share hatched"
        )
    else:
        mark = tag("rect", width=18, height=12, class_="share s0")
    return tag(
        "svg",
        mark,
        xmlns="http://www.w3.org/2000/svg",
        class_="swatch",
        width=18,
        height=12,
        aria_hidden="true",
        focusable="false",
    )
