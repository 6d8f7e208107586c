"""Pure parts of the request reports: filter validation, the rest of a top-N list, money."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.reports.ai_figures import finish_costs, remainder, usd
from systemprompt_analytics.reports.requests_filter import (
    FILTER_FIELDS,
    RequestFilter,
    parse_filter_value,
)
from systemprompt_analytics.storage.schema import ai_requests

LENGTHS = {name: ai_requests.c[name].type.length for name in FILTER_FIELDS}  # type: ignore[attr-defined]


@given(name=st.sampled_from(FILTER_FIELDS), value=st.text(max_size=300))
def test_a_filter_value_is_accepted_clean_or_refused_naming_the_field(
    name: str, value: str
) -> None:
    try:
        parsed = parse_filter_value(name, value, f"--{name}")
    except InvalidInputError as error:
        assert error.field == f"--{name}"
        text = value.strip()
        assert (
            not text
            or len(text) > LENGTHS[name]
            or any(ord(char) < 32 or ord(char) == 127 for char in text)
        )
    else:
        assert parsed == value.strip() and parsed
        assert len(parsed) <= LENGTHS[name]
        assert all(ord(char) >= 32 and ord(char) != 127 for char in parsed)


@given(name=st.sampled_from(FILTER_FIELDS), data=st.data())
def test_printable_values_within_the_column_round_trip(name: str, data: st.DataObject) -> None:
    visible = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp"))
    value = data.draw(st.text(alphabet=visible, min_size=1, max_size=LENGTHS[name]))
    assert parse_filter_value(name, f"  {value} ") == value


@pytest.mark.parametrize(
    ("value", "problem"),
    [("", "must not be empty"), ("   ", "must not be empty"), ("gpt\n4o", "control characters"),
     ("m" * 129, "at most 128 characters")],
)  # fmt: skip
def test_refusals_say_what_is_wrong(value: str, problem: str) -> None:
    with pytest.raises(InvalidInputError) as error:
        parse_filter_value("model", value, "--model")
    assert error.value.field == "--model" and problem in error.value.problem


def test_filter_to_dict_names_every_filter() -> None:
    assert RequestFilter(model="gpt-4o").to_dict() == {
        "include_synthetic": False, "provider": None, "model": "gpt-4o", "status": None,
        "user_id": None, "session_id": None,
    }  # fmt: skip


counts = st.integers(min_value=0, max_value=10**12)


@given(
    rows=st.lists(st.fixed_dictionaries({"a": counts, "b": st.none() | counts}), max_size=8),
    extra_a=counts,
    extra_b=counts,
)
def test_rows_plus_rest_is_the_total(
    rows: list[dict[str, int | None]], extra_a: int, extra_b: int
) -> None:
    total = {
        "a": sum(row["a"] or 0 for row in rows) + extra_a,
        "b": sum(row["b"] or 0 for row in rows) + extra_b,
    }
    rest = remainder(total, rows, ("a", "b"))
    assert rest == {"a": extra_a, "b": extra_b}
    assert remainder({"a": None, "b": 0}, [], ("a",)) == {"a": None}


@given(st.integers(min_value=0, max_value=10**15))
def test_usd_is_microdollars_over_a_million(microdollars: int) -> None:
    assert usd(microdollars) == round(microdollars / 1_000_000, 6)
    assert usd(None) is None


def test_cost_is_zero_without_requests_and_unknown_when_all_are_unpriced() -> None:
    empty = dict.fromkeys(("requests", "priced_requests", "unpriced_requests", "tokens",
                           "unpriced_tokens", "cost_microdollars"))  # fmt: skip
    assert finish_costs(empty)["cost_microdollars"] == 0
    unpriced = {**empty, "requests": 2, "unpriced_requests": 2}
    assert finish_costs(unpriced)["cost_microdollars"] is None
    assert finish_costs(unpriced)["cost_usd"] is None
    priced = {**empty, "requests": 1, "priced_requests": 1, "cost_microdollars": 1_500_000}
    assert finish_costs(priced)["cost_usd"] == 1.5
