"""Funnel definitions: the CLI step syntax, the document (YAML) format, and their validation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from systemprompt_analytics.cli.app import run
from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.funnels.definition import (
    MAX_WINDOW_SECONDS,
    MIN_WINDOW_SECONDS,
    MatcherType,
    Mode,
    Step,
    Unit,
    build_funnel,
    build_step,
    cli_expressible,
    format_step,
    format_window,
    funnel_from_cli,
    funnel_to_mapping,
    parse_document,
    parse_funnel_mapping,
    parse_step,
    parse_window,
    parse_yaml,
)


def _error(excinfo: pytest.ExceptionInfo[InvalidInputError]) -> tuple[str, str]:
    return excinfo.value.field, excinfo.value.problem


# --------------------------------------------------------------------------------------
# The CLI step syntax
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "matcher", "value"),
    [
        ("Home=url_exact:/", MatcherType.URL_EXACT, "/"),
        ("Pricing=url_prefix:/pricing", MatcherType.URL_PREFIX, "/pricing"),
        ("Blog=url_regex:^/blog/[a-z-]+$", MatcherType.URL_REGEX, "^/blog/[a-z-]+$"),
        ("Signup=event:signup", MatcherType.EVENT, "signup"),
        ("  Spaced Out = URL_PREFIX : /docs  ", MatcherType.URL_PREFIX, "/docs"),
        ("Query=url_exact:/a=b:c", MatcherType.URL_EXACT, "/a=b:c"),
    ],
)
def test_parse_step_reads_each_matcher(text: str, matcher: MatcherType, value: str) -> None:
    step = parse_step(text)
    assert (step.matcher, step.value, step.properties) == (matcher, value, ())
    assert step.name == text.split("=", 1)[0].strip()


def test_event_property_filters_are_sorted_and_stripped() -> None:
    step = parse_step("Signup=event:signup[plan = pro, method=github]")
    assert step.value == "signup"
    assert step.properties == (("method", "github"), ("plan", "pro"))
    assert format_step(step) == "Signup=event:signup[method=github,plan=pro]"


def test_regex_is_compiled_when_the_step_is_built() -> None:
    step = parse_step("Blog=url_regex:^/blog/")
    assert step.pattern is not None and step.pattern.search("/blog/x")


@pytest.mark.parametrize(
    ("text", "field", "fragment"),
    [
        ("Pricing", "--step", "NAME=TYPE:VALUE"),
        ("=url_exact:/", "--step", "step name is empty"),
        ("Pricing=/pricing", "--step (Pricing)", "TYPE:VALUE"),
        ("Pricing=url_start:/pricing", "--step (Pricing)", "unknown matcher 'url_start'"),
        ("Pricing=url_prefix:pricing", "--step (Pricing).url_prefix", "must start with '/'"),
        ("Pricing=url_exact:   ", "--step (Pricing).url_exact", "is empty"),
        ("Broken=url_regex:a(", "--step (Broken).url_regex", "not a valid regular expression"),
        ("Signup=event:signup[plan=pro", "--step (Signup).event", "must end with ']'"),
        ("Signup=event:signup[plan]", "--step (Signup).properties", "KEY=VALUE"),
        ("Signup=event:signup[a=1,a=2]", "--step (Signup).properties", "given twice"),
        ("Signup=event:sign]up", "--step (Signup).event", "cannot contain"),
        ("Signup=event:signup[=pro]", "--step (Signup).properties", "non-empty"),
        ("Tab\tName=event:x", "--step", "control character"),
    ],
)
def test_bad_steps_name_the_step_and_field(text: str, field: str, fragment: str) -> None:
    with pytest.raises(InvalidInputError) as excinfo:
        parse_step(text)
    got_field, problem = _error(excinfo)
    assert got_field == field
    assert fragment in problem


def test_only_event_steps_take_properties() -> None:
    with pytest.raises(InvalidInputError) as excinfo:
        build_step("Home", "url_exact", "/", {"plan": "pro"})
    assert _error(excinfo) == ("step (Home).properties", "only event steps take property filters")


_NAME_CHARS = st.characters(
    codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp"), exclude_characters="="
)
_TOKEN = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp", "Zs"),
                  exclude_characters="[]=,"),
    min_size=1, max_size=20,
)  # fmt: skip
_names = st.text(_NAME_CHARS, min_size=1, max_size=40).filter(lambda text: text.strip() != "")
_paths = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp", "Zs")), max_size=40
).map(lambda text: "/" + text)


@st.composite
def cli_steps(draw: st.DrawFn) -> Step:
    name = draw(_names)
    kind = draw(st.sampled_from(list(MatcherType)))
    if kind is MatcherType.EVENT:
        properties = draw(st.dictionaries(_TOKEN, _TOKEN, max_size=3))
        return build_step(name, kind.value, draw(_TOKEN), properties)
    if kind is MatcherType.URL_REGEX:
        return build_step(name, kind.value, draw(st.sampled_from(["^/a", "b$", r"\d+", "x|y"])))
    return build_step(name, kind.value, draw(_paths))


@given(cli_steps())
def test_formatted_steps_parse_back_to_the_same_step(step: Step) -> None:
    assert cli_expressible(step)
    assert parse_step(format_step(step)) == step


@given(st.text(max_size=80))
def test_any_text_is_a_step_or_a_clear_error(text: str) -> None:
    try:
        step = parse_step(text, "--step 1")
    except InvalidInputError as exc:
        assert exc.field.startswith("--step 1")
        assert exc.problem
    else:
        assert step.name and step.value and "=" not in step.name


# --------------------------------------------------------------------------------------
# Funnels from the command line
# --------------------------------------------------------------------------------------
def test_funnel_from_cli_defaults() -> None:
    funnel = funnel_from_cli("Signup", ["Pricing=url_prefix:/pricing", "Signup=event:signup"])
    assert (funnel.mode, funnel.unit, funnel.window_seconds, funnel.active) == (
        Mode.ORDERED, Unit.SESSION, 86_400, True,
    )  # fmt: skip
    assert [step.name for step in funnel.steps] == ["Pricing", "Signup"]


@pytest.mark.parametrize(
    ("kwargs", "steps", "field", "fragment"),
    [
        ({}, ["A=url_exact:/"], "--step", "2 to 20 steps, got 1"),
        ({}, ["A=url_exact:/"] + [f"S{i}=url_exact:/{i}" for i in range(20)], "--step",
         "got 21"),
        ({}, ["A=url_exact:/", "a=url_exact:/b"], "--step 2", "already used by step 1"),
        ({}, ["A=url_exact:/", "B=url_regex:("], "--step 2 (B).url_regex", "regular expression"),
        ({"window": "1 day"}, ["A=url_exact:/", "B=url_exact:/b"], "--window", "24h"),
        ({"window": "30s"}, ["A=url_exact:/", "B=url_exact:/b"], "--window", "out of range"),
        ({"mode": "loose"}, ["A=url_exact:/", "B=url_exact:/b"], "--mode", "ordered or strict"),
        ({"unit": "user"}, ["A=url_exact:/", "B=url_exact:/b"], "--unit", "session or visitor"),
    ],
)  # fmt: skip
def test_bad_funnels_name_the_flag(
    kwargs: dict[str, str], steps: list[str], field: str, fragment: str
) -> None:
    with pytest.raises(InvalidInputError) as excinfo:
        funnel_from_cli("F", steps, **kwargs)
    got_field, problem = _error(excinfo)
    assert got_field == field
    assert fragment in problem


def test_funnel_name_is_validated() -> None:
    with pytest.raises(InvalidInputError) as excinfo:
        funnel_from_cli("  ", ["A=url_exact:/", "B=url_exact:/b"])
    assert _error(excinfo) == ("NAME", "funnel name is empty")
    with pytest.raises(InvalidInputError, match="longer than 128"):
        funnel_from_cli("x" * 129, ["A=url_exact:/", "B=url_exact:/b"])


@given(st.integers(MIN_WINDOW_SECONDS, MAX_WINDOW_SECONDS))
def test_windows_format_and_parse_back(seconds: int) -> None:
    assert parse_window(format_window(seconds)) == seconds


@given(st.one_of(st.text(max_size=12), st.integers(), st.floats(), st.booleans(), st.none()))
def test_any_window_is_seconds_in_range_or_a_clear_error(value: object) -> None:
    try:
        seconds = parse_window(value, "--window")
    except InvalidInputError as exc:
        assert exc.field == "--window"
    else:
        assert MIN_WINDOW_SECONDS <= seconds <= MAX_WINDOW_SECONDS


def test_window_forms() -> None:
    assert [parse_window(text) for text in ("30m", "24h", "7d", "2w", "90s", " 2H ")] == [
        1_800, 86_400, 604_800, 1_209_600, 90, 7_200,
    ]  # fmt: skip
    assert parse_window(3_600) == 3_600
    assert [format_window(s) for s in (90, 1_800, 86_400, 172_800, 90_000)] == [
        "90s", "30m", "24h", "2d", "25h",
    ]  # fmt: skip


# --------------------------------------------------------------------------------------
# Documents (YAML)
# --------------------------------------------------------------------------------------
DOCUMENT = """
funnels:
  - name: Signup
    description: Home, pricing, then a paid signup.
    mode: strict
    unit: visitor
    window: 2h
    steps:
      - name: Home
        url_exact: /
      - name: Pricing
        url_prefix: /pricing
      - name: Signup
        event: signup
        properties:
          plan: pro
          seats: 5
          trial: true
  - name: Docs
    steps:
      - {name: Docs, url_regex: "^/docs/"}
      - {name: Copy, event: copy_code}
"""


def test_a_document_defines_funnels() -> None:
    parsed = parse_yaml(DOCUMENT, "funnels.yaml")
    assert parsed.errors == []
    signup, docs = parsed.funnels
    assert (signup.name, signup.mode, signup.unit, signup.window_seconds) == (
        "Signup", Mode.STRICT, Unit.VISITOR, 7_200,
    )  # fmt: skip
    assert signup.description == "Home, pricing, then a paid signup."
    assert signup.steps[2].properties == (("plan", "pro"), ("seats", "5"), ("trial", "true"))
    assert (docs.mode, docs.unit, docs.window_seconds) == (Mode.ORDERED, Unit.SESSION, 86_400)
    for funnel in parsed.funnels:
        assert parse_funnel_mapping(funnel_to_mapping(funnel)) == funnel


def test_a_bad_funnel_is_reported_and_the_others_are_kept() -> None:
    text = """
funnels:
  - name: Good
    steps: [{name: A, url_exact: /}, {name: B, event: b}]
  - name: BadRegex
    steps: [{name: A, url_exact: /}, {name: Blog, url_regex: "[unclosed"}]
  - name: Good
    steps: [{name: A, url_exact: /}, {name: B, event: b}]
"""
    parsed = parse_yaml(text, "f.yaml")
    assert [funnel.name for funnel in parsed.funnels] == ["Good"]
    fields = [error.field for error in parsed.errors]
    assert fields == [
        "f.yaml: funnels[1] (BadRegex).steps[1] (Blog).url_regex",
        "f.yaml: funnels[2] (Good)",
    ]
    assert "not a valid regular expression" in parsed.errors[0].problem
    assert "defined twice" in parsed.errors[1].problem


@pytest.mark.parametrize(
    ("funnel", "field", "fragment"),
    [
        ({"steps": []}, "f: funnels[0].name", "is missing"),
        ({"name": "F", "stepz": []}, "f: funnels[0]", "unknown key(s) stepz"),
        ({"name": "F", "steps": "A"}, "f: funnels[0] (F).steps", "must be a list"),
        ({"name": "F", "steps": ["A"]}, "f: funnels[0] (F).steps[0]", "must be a mapping"),
        ({"name": "F", "steps": [{"url_exact": "/"}]}, "f: funnels[0] (F).steps[0].name",
         "is missing"),
        ({"name": "F", "steps": [{"name": "A"}]}, "f: funnels[0] (F).steps[0] (A)",
         "exactly one matcher key"),
        ({"name": "F", "steps": [{"name": "A", "url_exact": "/", "event": "x"}]},
         "f: funnels[0] (F).steps[0] (A)", "got 2"),
        ({"name": "F", "steps": [{"name": "A", "event": "x", "properties": ["plan"]}]},
         "f: funnels[0] (F).steps[0] (A).properties", "must be a mapping"),
        ({"name": "F", "steps": [{"name": "A", "event": "x", "properties": {"p": [1]}}]},
         "f: funnels[0] (F).steps[0] (A).properties.p", "must be text, a number"),
        ({"name": "F", "steps": [{"name": "A", "url_exact": 5}]},
         "f: funnels[0] (F).steps[0] (A).url_exact", "must be text"),
        ({"name": "F", "window": 1.5, "steps": [{"name": "A", "url_exact": "/"},
                                                 {"name": "B", "url_exact": "/b"}]},
         "f: funnels[0] (F).window", "a number"),
        ({"name": "F", "active": "yes", "steps": [{"name": "A", "url_exact": "/"},
                                                   {"name": "B", "url_exact": "/b"}]},
         "f: funnels[0] (F).active", "true or false"),
    ],
)  # fmt: skip
def test_document_errors_name_the_path(funnel: object, field: str, fragment: str) -> None:
    parsed = parse_document({"funnels": [funnel]}, "f")
    assert parsed.funnels == []
    (error,) = parsed.errors
    assert error.field == field
    assert fragment in error.problem


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("funnels: [\n", "not valid YAML at line 2"),
        ("- name: F\n", "'funnels' list at the top"),
        ("funnels: []\n", "non-empty list"),
        ("funnels: [{name: F}]\nextra: 1\n", "unknown top-level key(s) extra"),
        ("", "'funnels' list at the top"),
    ],
)
def test_unreadable_documents_are_errors(text: str, fragment: str) -> None:
    with pytest.raises(InvalidInputError) as excinfo:
        parse_yaml(text, "f.yaml")
    assert excinfo.value.field.startswith("f.yaml")
    assert fragment in excinfo.value.problem


@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3),
    max_leaves=12,
))  # fmt: skip
def test_any_document_is_funnels_or_clear_errors(data: object) -> None:
    try:
        parsed = parse_document({"funnels": [data]}, "doc")
    except InvalidInputError as exc:
        assert exc.field.startswith("doc")
        return
    assert len(parsed.funnels) + len(parsed.errors) == 1
    assert all(error.field.startswith("doc: funnels[0]") for error in parsed.errors)


def test_build_funnel_is_the_python_api() -> None:
    steps = [build_step("Home", "url_exact", "/"), build_step("Signup", "event", "signup")]
    funnel = build_funnel("Signup", steps, mode="strict", window="1h")
    assert (funnel.mode, funnel.window_seconds) == (Mode.STRICT, 3_600)
    assert funnel.matches_like(build_funnel("Other", steps, mode="strict", window=3_600))
    assert not funnel.matches_like(build_funnel("Signup", steps, window="1h"))


# --------------------------------------------------------------------------------------
# Through the CLI: exit 2, the step named, no traceback, nothing stored
# --------------------------------------------------------------------------------------
@pytest.fixture
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in list(os.environ):
        if name.startswith("SP_ANALYTICS_") and not name.startswith("SP_ANALYTICS_REQUIRE"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_cli_bad_regex_exits_2_naming_the_step(
    _isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{_isolated / 'a.db'}"
    code = run(["funnels", "create", "Blog", "--step", "Home=url_exact:/",
                "--step", "Post=url_regex:^/blog/(", "--database-url", url])  # fmt: skip
    assert code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "--step 2 (Post).url_regex" in err
    assert "not a valid regular expression" in err
    assert "Traceback" not in err
    assert not (_isolated / "a.db").exists()  # rejected before the database is touched
