"""A time chart as inline SVG: lines, an area or bars over UTC buckets, with a y axis of
round ticks, date labels, and one ``<title>`` tooltip per bucket.

The outer SVG is laid out in page pixels (its text never scales); the plot is a nested SVG
whose x axis is stretched to the available width (``preserveAspectRatio="none"``), with
strokes kept at their pixel width (``vector-effect``).
"""

from __future__ import annotations

from markupsafe import Markup

from systemprompt_analytics.web.server.dashboard.charts.models import Series, TimeChart
from systemprompt_analytics.web.server.dashboard.charts.scale import axis_ticks
from systemprompt_analytics.web.server.dashboard.charts.svg import (
    AttributeValue,
    join,
    num,
    pct,
    tag,
)
from systemprompt_analytics.web.server.dashboard.charts.timeaxis import (
    bucket_label,
    tick_indices,
    tick_label,
)
from systemprompt_analytics.web.server.dashboard.numbers import fmt_tick

TOP = 18  # room for the highest tick's label
PLOT = 170
AXIS = 24
HEIGHT = TOP + PLOT + AXIS
VIEW = 1000.0  # the plot's own x units, stretched to the width
NON_SCALING = "non-scaling-stroke"


def series_class(index: int) -> str:
    """``s0``, ``s1``, …: colour and dash pattern come from the stylesheet."""
    return f"s{index % 4}"


class _Geometry:
    def __init__(self, chart: TimeChart) -> None:
        self.count = len(chart.buckets)
        self.bars = chart.style == "bars"
        peak = max((series.peak for series in chart.series), default=0.0)
        self.ticks = axis_ticks(peak, integer=chart.unit == "count")
        self.top = self.ticks[-1]

    def x(self, index: int) -> float:
        """Centre of bucket ``index`` in plot units."""
        if self.bars:
            return (index + 0.5) * VIEW / self.count
        return VIEW / 2 if self.count == 1 else index * VIEW / (self.count - 1)

    def y(self, value: float) -> float:
        return PLOT - value / self.top * PLOT

    def band(self, index: int) -> tuple[float, float]:
        """The x span bucket ``index`` answers hovering over."""
        if self.bars or self.count == 1:
            width = VIEW / self.count
            return index * width, width
        half = VIEW / (self.count - 1) / 2
        left = max(0.0, self.x(index) - half)
        return left, min(VIEW, self.x(index) + half) - left


def _segments(values: tuple[float | None, ...]) -> list[list[int]]:
    """Runs of consecutive buckets that have a value (a None breaks the line)."""
    runs: list[list[int]] = []
    current: list[int] = []
    for index, value in enumerate(values):
        if value is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(index)
    if current:
        runs.append(current)
    return runs


def _line_path(series: Series, geometry: _Geometry) -> str:
    commands = []
    for run in _segments(series.values):
        points = [f"{num(geometry.x(i))} {num(geometry.y(series.values[i] or 0.0))}" for i in run]
        if len(points) == 1:  # a lone value: a short dash, so it shows
            x, y = geometry.x(run[0]), geometry.y(series.values[run[0]] or 0.0)
            points = [f"{num(max(0.0, x - 4))} {num(y)}", f"{num(min(VIEW, x + 4))} {num(y)}"]
        commands.append("M" + " L".join(points))
    return " ".join(commands)


def _area_path(series: Series, geometry: _Geometry) -> str:
    commands = []
    for run in _segments(series.values):
        first, last = geometry.x(run[0]), geometry.x(run[-1])
        points = " L".join(
            f"{num(geometry.x(i))} {num(geometry.y(series.values[i] or 0.0))}" for i in run
        )
        commands.append(f"M{num(first)} {PLOT} L{points} L{num(last)} {PLOT} Z")
    return " ".join(commands)


def _grid(geometry: _Geometry) -> list[Markup]:
    return [
        tag(
            "line",
            x1=0,
            x2=VIEW,
            y1=geometry.y(tick),
            y2=geometry.y(tick),
            class_="grid baseline" if tick == 0 else "grid",
            vector_effect=NON_SCALING,
        )
        for tick in geometry.ticks
    ]


def _series_marks(chart: TimeChart, geometry: _Geometry) -> list[Markup]:
    marks = []
    for index, series in enumerate(chart.series):
        css = series_class(index)
        data: dict[str, AttributeValue] = {
            "data_series": series.key,
            "data_sum": num(series.total),
            "data_peak": series.peak,
        }
        if chart.style == "bars":
            width = VIEW / geometry.count * 0.7
            bars = [
                tag(
                    "rect",
                    x=geometry.x(i) - width / 2,
                    y=geometry.y(value),
                    width=width,
                    height=PLOT - geometry.y(value),
                    class_=f"bar {css}",
                )
                for i, value in enumerate(series.values)
                if value
            ]
            marks.append(tag("g", join(bars), **data))
            continue
        if chart.style == "area":
            marks.append(tag("path", d=_area_path(series, geometry), class_=f"area {css}"))
        marks.append(
            tag(
                "path",
                d=_line_path(series, geometry),
                class_=f"line {css}",
                vector_effect=NON_SCALING,
                **data,
            )
        )
    return marks


def _tooltip(chart: TimeChart, index: int) -> str:
    values = ", ".join(f"{s.label} {chart.fmt(s.values[index])}" for s in chart.series)
    return f"{bucket_label(chart.buckets[index], chart.granularity)}: {values}"


def _hover_bands(chart: TimeChart, geometry: _Geometry) -> list[Markup]:
    bands = []
    for index in range(geometry.count):
        left, width = geometry.band(index)
        bands.append(
            tag(
                "rect",
                tag("title", _tooltip(chart, index)),
                x=left,
                y=0,
                width=width,
                height=PLOT,
                class_="hit",
                data_bucket=index,
            )
        )
    return bands


def _y_labels(chart: TimeChart, geometry: _Geometry) -> list[Markup]:
    return [
        tag("text", fmt_tick(tick, chart.unit), x=2, y=TOP + geometry.y(tick) - 4, class_="tick")
        for tick in geometry.ticks
        if tick > 0
    ]


def _x_labels(chart: TimeChart, geometry: _Geometry) -> list[Markup]:
    labels = []
    for index in tick_indices(chart.buckets, chart.granularity):
        position = geometry.x(index) / VIEW * 100
        anchor = "start" if position < 6 else "end" if position > 94 else "middle"
        labels.append(
            tag(
                "text",
                tick_label(chart.buckets[index], chart.granularity),
                x=pct(position),
                y=TOP + PLOT + 17,
                text_anchor=anchor,
                class_="tick",
            )
        )
    return labels


def describe(chart: TimeChart) -> str:
    """One sentence for screen readers: the span and each series' total (or peak)."""
    if not chart.buckets:
        return f"{chart.title}: no data."
    first = bucket_label(chart.buckets[0], chart.granularity)
    last = bucket_label(chart.buckets[-1], chart.granularity)
    figures = "; ".join(
        f"{s.label}: total {chart.fmt(s.total)}, highest {chart.fmt(s.peak)}"
        if s.additive
        else f"{s.label}: highest {chart.fmt(s.peak)}"
        for s in chart.series
    )
    return f"{chart.title} per {chart.granularity}, {first} to {last}. {figures}."


def render_time_chart(chart: TimeChart) -> Markup:
    geometry = _Geometry(chart)
    ident = f"chart-{chart.key}"
    plot = tag(
        "svg",
        join([*_grid(geometry), *_series_marks(chart, geometry), *_hover_bands(chart, geometry)]),
        x=0,
        y=TOP,
        width="100%",
        height=PLOT,
        viewBox=f"0 0 {num(VIEW)} {PLOT}",
        preserveAspectRatio="none",
        class_="plot",
    )
    content = join(
        [
            tag("title", chart.title, id=f"{ident}-title"),
            tag("desc", describe(chart), id=f"{ident}-desc"),
            *_y_labels(chart, geometry),
            plot,
            *_x_labels(chart, geometry),
        ]
    )
    return tag(
        "svg",
        content,
        xmlns="http://www.w3.org/2000/svg",
        class_=f"chart chart-{chart.style}",
        width="100%",
        height=HEIGHT,
        role="img",
        aria_labelledby=f"{ident}-title {ident}-desc",
        data_chart=chart.key,
        data_buckets=len(chart.buckets),
    )


def render_swatch(index: int, style: str) -> Markup:
    """The legend's sample of series ``index``: a line with its dash, or a filled block."""
    css = series_class(index)
    if style == "bars":
        mark = tag("rect", x=4, y=1, width=20, height=10, class_=f"bar {css}")
    else:
        mark = tag("line", x1=0, y1=6, x2=28, y2=6, class_=f"line {css}")
    return tag(
        "svg",
        mark,
        xmlns="http://www.w3.org/2000/svg",
        class_="swatch",
        width=28,
        height=12,
        aria_hidden="true",
        focusable="false",
    )
