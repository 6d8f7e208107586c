"""Server-side SVG charts: axis ticks, time labels, and the markup of each chart kind (parsed
as XML, so it is well-formed; text is escaped; every bucket and bar has a tooltip)."""

from __future__ import annotations

import itertools
import math
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from systemprompt_analytics.storage.dialect import GRANULARITIES, Granularity
from systemprompt_analytics.web.server.dashboard.charts.bars import (
    ROW_CHARACTERS,
    render_bar_chart,
    render_share_chart,
    render_share_swatch,
    shorten,
)
from systemprompt_analytics.web.server.dashboard.charts.models import (
    Bar,
    BarChart,
    Series,
    ShareChart,
    SharePart,
    TimeChart,
)
from systemprompt_analytics.web.server.dashboard.charts.scale import axis_ticks, nice_step
from systemprompt_analytics.web.server.dashboard.charts.svg import attributes, num, pct, tag
from systemprompt_analytics.web.server.dashboard.charts.timeaxis import (
    MAX_LABELS,
    bucket_label,
    tick_indices,
    tick_label,
)
from systemprompt_analytics.web.server.dashboard.charts.timeseries import (
    HEIGHT,
    render_swatch,
    render_time_chart,
)

SVG = "{http://www.w3.org/2000/svg}"
START = datetime(2026, 11, 23, tzinfo=UTC)  # a Monday


def parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def hours(count: int, start: datetime = START) -> tuple[datetime, ...]:
    return tuple(start + timedelta(hours=i) for i in range(count))


# -- scale -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("maximum", "ticks"),
    [(190.0, [0, 50, 100, 150, 200]), (3.0, [0, 1, 2, 3]), (0.0, [0, 1]), (-5.0, [0, 1]),
     (1.0, [0, 0.25, 0.5, 0.75, 1.0]), (7.2, [0, 2, 4, 6, 8]), (0.0042, [0, 0.002, 0.004, 0.006])],
)  # fmt: skip
def test_axis_ticks_are_round(maximum: float, ticks: list[float]) -> None:
    assert axis_ticks(maximum) == pytest.approx(ticks)


def test_count_axes_step_in_whole_numbers() -> None:
    assert axis_ticks(2.0, integer=True) == [0, 1, 2]
    assert axis_ticks(10.0, integer=True) == [0, 3, 6, 9, 12]


@given(
    st.floats(min_value=1e-15, max_value=1e15, allow_nan=False),
    st.integers(min_value=1, max_value=8),
    st.booleans(),
)
def test_axis_ticks_cover_the_maximum_in_few_equal_steps(
    maximum: float, target: int, integer: bool
) -> None:
    ticks = axis_ticks(maximum, target, integer)
    assert ticks[0] == 0
    assert ticks[-1] >= maximum * (1 - 1e-9)
    assert 2 <= len(ticks) <= target + 1
    steps = [b - a for a, b in itertools.pairwise(ticks)]
    assert all(math.isclose(step, steps[0], rel_tol=1e-6) for step in steps)
    if integer:
        assert all(float(tick).is_integer() for tick in ticks)


@given(st.floats(min_value=1e-12, max_value=1e15, allow_nan=False))
def test_nice_step_is_one_two_two_and_a_half_or_five_times_a_power_of_ten(raw: float) -> None:
    step = nice_step(raw)
    assert step >= raw * (1 - 1e-9)
    mantissa = step / 10 ** math.floor(math.log10(step) + 1e-12)
    assert any(math.isclose(mantissa, m, rel_tol=1e-9) for m in (1, 2, 2.5, 5, 10))


# -- time axis ---------------------------------------------------------------------------------


def test_a_day_of_hours_is_labelled_every_six_hours_with_the_date_at_midnight() -> None:
    starts = hours(25, START - timedelta(hours=1))  # 23:00 … 23:00 the next day
    indices = tick_indices(starts, "hour")
    assert [tick_label(starts[i], "hour") for i in indices] == [
        "23 Nov", "06:00", "12:00", "18:00"
    ]  # fmt: skip


def test_a_week_of_hours_is_labelled_at_every_other_midnight() -> None:
    starts = hours(7 * 24 + 1)
    labels = [tick_label(starts[i], "hour") for i in tick_indices(starts, "hour")]
    # Every other day counted from the calendar's origin, so the labelled days stay put as
    # the window moves.
    assert labels == ["24 Nov", "26 Nov", "28 Nov", "30 Nov"]


def test_month_and_week_labels() -> None:
    assert tick_label(datetime(2026, 11, 1, tzinfo=UTC), "month") == "Nov 2026"
    assert tick_label(datetime(2026, 11, 23, tzinfo=UTC), "week") == "23 Nov"
    assert bucket_label(datetime(2026, 11, 23, 14, tzinfo=UTC), "hour") == (
        "Mon 23 Nov 2026, 14:00 UTC"
    )
    assert bucket_label(datetime(2026, 11, 23, tzinfo=UTC), "week") == "week of 23 Nov 2026"
    assert bucket_label(datetime(2026, 11, 1, tzinfo=UTC), "month") == "November 2026"


@given(
    st.sampled_from(GRANULARITIES),
    st.integers(min_value=0, max_value=400),
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
    ),
)
def test_tick_indices_are_few_increasing_and_in_range(
    granularity: Granularity, count: int, first: datetime
) -> None:
    step = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1),
            "month": timedelta(days=31)}[granularity]  # fmt: skip
    starts = [first + i * step for i in range(count)]
    indices = tick_indices(starts, granularity)
    assert len(indices) <= MAX_LABELS
    assert (len(indices) > 0) == (count > 0)
    assert indices == sorted(set(indices))
    assert all(0 <= i < count for i in indices)


# -- svg helpers -------------------------------------------------------------------------------


def test_svg_text_and_attributes_are_escaped() -> None:
    element = parse(tag("text", '<b>"&', title='a"<b>', data_x=1.0))
    assert element.text == '<b>"&'
    assert element.get("title") == 'a"<b>'
    assert element.get("data-x") == "1"


def test_attribute_and_element_names_are_checked() -> None:
    with pytest.raises(ValueError, match="attribute name"):
        attributes({"on click": "x"})
    with pytest.raises(ValueError, match="element name"):
        tag("script><x")


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_num_writes_at_most_two_decimals(value: float) -> None:
    text = num(value)
    assert float(text) == pytest.approx(round(value, 2), abs=0.006)
    assert not text.endswith(".") and (("." not in text) or not text.endswith("0"))


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_percentages_are_clamped(value: float) -> None:
    assert 0 <= float(pct(value).removesuffix("%")) <= 100


# -- time charts -------------------------------------------------------------------------------


def _time_chart(
    style: str = "line", values: tuple[float | None, ...] = (1, 5, None, 3)
) -> TimeChart:
    return TimeChart(
        "visits",
        "Visitors <& sessions>",
        "count",
        "hour",
        hours(len(values)),
        (Series("a", "Alpha", values), Series("b", "Beta <b>", tuple(0 for _ in values))),
        style,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("style", ["line", "area", "bars"])
def test_a_time_chart_is_well_formed_svg_with_a_tooltip_per_bucket(style: str) -> None:
    chart = _time_chart(style)
    root = parse(render_time_chart(chart))
    assert root.get("data-chart") == "visits"
    assert root.get("role") == "img"
    assert root.get("height") == str(HEIGHT)
    assert root.find(f"{SVG}title").text == "Visitors <& sessions>"
    description = root.find(f"{SVG}desc").text
    assert "Alpha: total 9, highest 5" in description
    tooltips = [
        rect.find(f"{SVG}title").text
        for rect in root.iter(f"{SVG}rect")
        if rect.get("class") == "hit"
    ]
    assert len(tooltips) == 4
    assert tooltips[0] == "Mon 23 Nov 2026, 00:00 UTC: Alpha 1, Beta <b> 0"
    assert tooltips[2].startswith("Mon 23 Nov 2026, 02:00 UTC: Alpha –")
    series = {
        element.get("data-series"): element for element in root.iter() if element.get("data-series")
    }
    assert series["a"].get("data-sum") == "9" and series["a"].get("data-peak") == "5"
    assert series["b"].get("data-sum") == "0"


def test_a_gap_breaks_the_line() -> None:
    root = parse(render_time_chart(_time_chart("line", (1, 2, None, 3, 4))))
    path = next(p for p in root.iter(f"{SVG}path") if p.get("data-series") == "a")
    assert path.get("d").count("M") == 2


def test_a_lone_value_between_gaps_still_shows() -> None:
    root = parse(render_time_chart(_time_chart("line", (None, 7, None))))
    path = next(p for p in root.iter(f"{SVG}path") if p.get("data-series") == "a")
    assert path.get("d").startswith("M") and " L" in path.get("d")


def test_bars_are_drawn_for_non_zero_buckets_only() -> None:
    root = parse(render_time_chart(_time_chart("bars", (0, 4, None, 2))))
    group = next(g for g in root.iter(f"{SVG}g") if g.get("data-series") == "a")
    assert len(list(group.iter(f"{SVG}rect"))) == 2


def test_the_y_axis_is_labelled_with_round_ticks_and_the_x_axis_with_times() -> None:
    root = parse(render_time_chart(_time_chart("line", (10, 190, 40, 3))))
    ticks = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "tick"]
    assert ticks[:4] == ["50", "100", "150", "200"]
    assert "00:00" not in ticks and "23 Nov" in ticks


def test_non_additive_series_report_their_peak_not_a_total() -> None:
    chart = TimeChart(
        "v",
        "Visitors",
        "count",
        "hour",
        hours(2),
        (Series("v", "Visitors", (3, 4), additive=False),),
    )
    assert "Visitors: highest 4." in parse(render_time_chart(chart)).find(f"{SVG}desc").text


def test_an_empty_chart_has_no_data() -> None:
    chart = TimeChart("e", "Empty", "usd", "day", hours(3), (Series("c", "Cost", (None, 0, None)),))
    assert not chart.has_data
    parse(render_time_chart(chart))  # still well-formed: axis 0–1


@given(
    st.lists(st.one_of(st.none(), st.floats(min_value=0, max_value=1e9)), min_size=1, max_size=60)
)
def test_any_series_renders_well_formed_svg_inside_the_plot(values: list[float | None]) -> None:
    for style in ("line", "area", "bars"):
        root = parse(render_time_chart(_time_chart(style, tuple(values))))
        plot = next(s for s in root.iter(f"{SVG}svg") if s.get("class") == "plot")
        for path in plot.iter(f"{SVG}path"):
            numbers = [
                float(n)
                for n in path.get("d").replace("M", " ").replace("L", " ").replace("Z", " ").split()
            ]
            assert all(-0.01 <= n <= 1000.01 for n in numbers)


def test_swatches_match_the_series_style() -> None:
    assert parse(render_swatch(1, "line")).find(f"{SVG}line").get("class") == "line s1"
    assert parse(render_swatch(0, "bars")).find(f"{SVG}rect").get("class") == "bar s0"


# -- bar and share charts ----------------------------------------------------------------------


def test_bars_are_scaled_to_the_largest_and_carry_their_numbers() -> None:
    chart = BarChart(
        "pages",
        "Top pages",
        (Bar("/pricing", 200.0, "200", "50.0%"), Bar("/<script>", 50.0, "50", "12.5%", "more"),
         Bar("/unknown", None, "unpriced")),
    )  # fmt: skip
    root = parse(render_bar_chart(chart))
    rows = [g for g in root.iter(f"{SVG}g") if g.get("class") == "row"]
    assert [row.get("data-value") for row in rows] == ["200", "50", ""]
    widths = [
        r.get("width") for row in rows for r in row.iter(f"{SVG}rect") if r.get("class") == "bar s0"
    ]
    assert widths == ["100%", "25%", "0%"]
    texts = [t.text for t in rows[1].iter(f"{SVG}text")]
    assert texts == ["/<script>", "50 · 12.5%"]
    assert rows[1].find(f"{SVG}title").text == "/<script>: 50 · 12.5% · more"
    assert root.get("data-chart") == "pages"
    assert root.find(f"{SVG}desc").text == (
        "Top pages: /pricing: 200 · 50.0%; /<script>: 50 · 12.5%; /unknown: unpriced."
    )
    assert next(g for g in root.iter(f"{SVG}g") if g.get("data-series")).get("data-sum") == "250"


def test_long_labels_are_cut_to_leave_room_for_the_number() -> None:
    label = "/blog/" + "very-long-slug-" * 6
    chart = BarChart("b", "B", (Bar(label, 1.0, "1,234,567", "99.9%"),))
    shown = next(
        t.text
        for t in parse(render_bar_chart(chart)).iter(f"{SVG}text")
        if t.get("class") == "label"
    )
    assert shown.endswith("…")
    assert len(shown) + len("1,234,567 · 99.9%") + 2 <= ROW_CHARACTERS


@given(st.text(max_size=100), st.integers(min_value=1, max_value=60))
def test_shorten_never_exceeds_its_limit(label: str, limit: int) -> None:
    shown = shorten(label, limit)
    assert len(shown) <= limit
    assert shown == label or shown.endswith("…")


def test_a_share_chart_lays_its_parts_end_to_end_and_hatches_the_marked_one() -> None:
    chart = ShareChart(
        "bot-share", "Human and bot sessions",
        (SharePart("Human", 75, 0.75), SharePart("Bots", 25, 0.25, hatched=True)),
    )  # fmt: skip
    root = parse(render_share_chart(chart))
    parts = [r for r in root.iter(f"{SVG}rect") if r.get("data-value")]
    assert [(p.get("x"), p.get("width")) for p in parts] == [("0%", "75%"), ("75%", "25%")]
    assert parts[1].get("fill") == "url(#chart-bot-share-hatch)"
    assert root.find(f".//{SVG}pattern").get("id") == "chart-bot-share-hatch"
    assert parts[0].find(f"{SVG}title").text == "Human: 75 (75%)"
    assert "Bots 25 (25%)" in root.find(f"{SVG}desc").text
    swatch = parse(render_share_swatch(True, "bot-share")).find(f"{SVG}rect")
    assert swatch.get("fill") == "url(#chart-bot-share-hatch)"
