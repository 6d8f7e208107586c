"""The stats API's pure parts (no I/O): parameter names from report fields, the trend-length
cap, the JSON text, and the time bounds that keep every period's arithmetic in range."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from systemprompt_analytics.cli.render import print_json
from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.models.period import (
    EARLIEST,
    LATEST,
    Period,
    parse_time,
    resolve_period,
)
from systemprompt_analytics.reports.buckets import bucket_starts, floor_to_bucket, next_bucket
from systemprompt_analytics.storage.dialect import GRANULARITIES, Granularity
from systemprompt_analytics.web.server.stats.buckets import (
    MAX_BUCKETS,
    bucket_count,
    checked_granularity,
)
from systemprompt_analytics.web.server.stats.errors import parameter_name, renamed
from systemprompt_analytics.web.server.stats.response import report_json

NOW = datetime(2026, 11, 27, 12, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("field", "parameter"),
    [
        ("--since", "since"),
        ("--group-by", "group_by"),
        ("--include-bots", "include_bots"),
        ("--from", "from"),
        ("NAME", "name"),
        ("limit", "limit"),
        ("group_by", "group_by"),
    ],
)
def test_report_fields_become_the_apis_parameter_names(field: str, parameter: str) -> None:
    assert parameter_name(field) == parameter


@given(st.text(alphabet="-_abcXYZ", max_size=20))
def test_parameter_names_are_lowercase_snake_case_and_stable(field: str) -> None:
    name = parameter_name(field)
    assert not name.startswith("-")
    assert "-" not in name
    assert name == name.lower()
    assert parameter_name(name) == name


def test_renamed_reports_the_named_field_as_the_parameter_and_leaves_others() -> None:
    with pytest.raises(InvalidInputError) as caught, renamed("NAME", "tool"):
        raise InvalidInputError("NAME", "no tool named 'x'")
    assert (caught.value.field, caught.value.problem) == ("tool", "no tool named 'x'")
    with pytest.raises(InvalidInputError) as caught, renamed("NAME", "tool"):
        raise InvalidInputError("--since", "bad")
    assert caught.value.field == "--since"


def _periods(longest: timedelta) -> st.SearchStrategy[Period]:
    starts = st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    )
    lengths = st.timedeltas(min_value=timedelta(seconds=1), max_value=longest)
    return st.builds(lambda since, length: Period(since, since + length), starts, lengths)


LONGEST = {
    "hour": timedelta(days=120),
    "day": timedelta(days=3_000),
    "week": timedelta(weeks=3_000),
    "month": timedelta(days=30_000),
}


@pytest.mark.parametrize("granularity", GRANULARITIES)
@given(data=st.data())
def test_the_bucket_count_never_undercounts_and_is_close(
    granularity: Granularity, data: st.DataObject
) -> None:
    period = data.draw(_periods(LONGEST[granularity]))
    actual = sum(1 for _ in bucket_starts(period, granularity))
    estimate = bucket_count(period, granularity)
    assert actual <= estimate
    slack = 1.11 if granularity == "month" else 1.0  # months of 28 to 31 days
    assert estimate <= actual * slack + 2


@given(st.sampled_from(GRANULARITIES), _periods(timedelta(days=40_000)))
def test_a_trend_is_served_exactly_when_it_fits_in_the_cap(
    granularity: Granularity, period: Period
) -> None:
    if bucket_count(period, granularity) <= MAX_BUCKETS:
        assert checked_granularity(period, granularity) == granularity
        return
    with pytest.raises(InvalidInputError) as caught:
        checked_granularity(period, granularity)
    assert caught.value.field == "group_by"


def test_the_json_text_is_what_the_cli_prints(capsys: pytest.CaptureFixture[str]) -> None:
    data = {
        "at": datetime(2026, 11, 1, 8, tzinfo=UTC),
        "cost": Decimal("0.125"),
        "name": "Zürich → Köln",
        "rows": [{"share": 0.5, "none": None, "flag": True}],
    }
    print_json(data)
    assert report_json(data) == capsys.readouterr().out


# Every UTC offset datetime accepts, so a moment near year 1 or 9999 can be pushed past it.
OFFSETS = st.timedeltas(
    min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59)
)


BOUND_TIMES = st.datetimes(
    min_value=datetime(2, 1, 1), max_value=datetime(9997, 12, 31), timezones=st.just(UTC)
)


@given(st.datetimes(timezones=st.builds(timezone, OFFSETS)))
def test_any_date_time_parses_inside_the_bounds_or_is_invalid_input(moment: datetime) -> None:
    try:
        parsed = parse_time(moment.isoformat(), NOW, "--until")
    except InvalidInputError as exc:
        assert exc.field == "--until"
        assert "supported range" in exc.problem
        return
    assert EARLIEST <= parsed < LATEST
    assert parsed == moment


@given(BOUND_TIMES)
def test_the_arithmetic_reports_do_from_a_bound_time_stays_in_range(until: datetime) -> None:
    """``users stats`` looks 2 × 30 days back; a trend's last bucket ends up to a month on."""
    assert until - timedelta(days=60) < until
    for granularity in GRANULARITIES:
        assert next_bucket(floor_to_bucket(until, granularity), granularity) > until


@given(BOUND_TIMES, BOUND_TIMES)
def test_a_period_is_usable_or_invalid_input_naming_since(
    first: datetime, second: datetime
) -> None:
    since, until = sorted((first, second))
    try:
        period = resolve_period(since.isoformat(), until.isoformat(), NOW)
    except InvalidInputError as exc:
        assert exc.field == "--since"
        return
    assert period.to_dict()["previous_until"] == since.isoformat()
    assert period.previous.length == period.length
