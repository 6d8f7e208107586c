"""Funnel definitions: the types, and building them from the CLI step syntax or a document.

Pure: no I/O. Everything a user writes is validated here, once, whatever the source (CLI
flags, a YAML file, the Python API, later the HTTP API); a bad value raises
:class:`InvalidInputError` naming the funnel, the step and the field. Regular expressions are
compiled when the step is built, so a funnel with a broken pattern is never stored.

CLI step syntax: ``NAME=TYPE:VALUE`` with TYPE one of ``url_exact``, ``url_prefix``,
``url_regex`` or ``event``; an event value may carry property filters,
``signup[plan=pro,method=github]``. Document syntax: see :func:`parse_document`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from systemprompt_analytics.errors import InvalidInputError

MIN_STEPS = 2
MAX_STEPS = 20
NAME_MAX = 128  # funnels.name, funnel_steps.name, client_events.name
VALUE_MAX = 2048
PROPERTY_KEY_MAX = 64
DEFAULT_WINDOW_SECONDS = 86_400
MIN_WINDOW_SECONDS = 60
MAX_WINDOW_SECONDS = 366 * 86_400

_WINDOW = re.compile(r"^(\d{1,8})([smhdw])$")
_WINDOW_UNITS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800}
WINDOW_FORMS = "a duration such as 30m, 24h, 7d or 2w (also 90s), from 1m to 366d"
# Characters that end a part of the CLI syntax (event name, property key or value).
_EVENT_NAME_FORBIDDEN = frozenset("[]")
_PROPERTY_KEY_FORBIDDEN = frozenset("[]=,")
_CLI_VALUE_FORBIDDEN = frozenset("],")


class Mode(StrEnum):
    """``ordered``: other activity may come between steps. ``strict``: the next step must
    be the very next activity (see :mod:`systemprompt_analytics.funnels.matcher`)."""

    ORDERED = "ordered"
    STRICT = "strict"


class Unit(StrEnum):
    """What progresses through the funnel: one session, or one visitor across sessions."""

    SESSION = "session"
    VISITOR = "visitor"


class MatcherType(StrEnum):
    URL_EXACT = "url_exact"
    URL_PREFIX = "url_prefix"
    URL_REGEX = "url_regex"
    EVENT = "event"


URL_MATCHERS = (MatcherType.URL_EXACT, MatcherType.URL_PREFIX, MatcherType.URL_REGEX)
MATCHER_NAMES = ", ".join(kind.value for kind in MatcherType)


@dataclass(frozen=True, slots=True)
class Step:
    """One step. ``value`` is the path, prefix, pattern or event name; ``properties`` are the
    event's required property values as sorted (key, text) pairs. Build with :func:`build_step`."""

    name: str
    matcher: MatcherType
    value: str
    properties: tuple[tuple[str, str], ...] = ()
    pattern: re.Pattern[str] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Funnel:
    """A validated funnel definition. Build with :func:`build_funnel`."""

    name: str
    steps: tuple[Step, ...]
    mode: Mode = Mode.ORDERED
    unit: Unit = Unit.SESSION
    window_seconds: int = DEFAULT_WINDOW_SECONDS
    description: str | None = None
    active: bool = True

    def matches_like(self, other: Funnel) -> bool:
        """Same steps, mode, unit and window: stored progress stays valid between the two."""
        return (self.steps, self.mode, self.unit, self.window_seconds) == (
            other.steps,
            other.mode,
            other.unit,
            other.window_seconds,
        )


# --------------------------------------------------------------------------------------
# Scalars
# --------------------------------------------------------------------------------------
def property_text(value: Any) -> str:
    """How a property value is compared: strings as they are, anything else as JSON text
    (``5``, ``true``, ``null``), so ``plan=5`` matches the number 5 and the string "5"."""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _has_control(text: str) -> bool:
    return any(ord(char) < 32 or ord(char) == 127 for char in text)


def clean_name(value: Any, where: str, what: str = "name") -> str:
    """A funnel or step name: text of 1 to 128 characters, no control characters."""
    if not isinstance(value, str):
        raise InvalidInputError(where, f"{what} must be text, got {_kind(value)}")
    text = value.strip()
    if not text:
        raise InvalidInputError(where, f"{what} is empty")
    if len(text) > NAME_MAX:
        raise InvalidInputError(where, f"{what} is longer than {NAME_MAX} characters")
    if _has_control(text):
        raise InvalidInputError(where, f"{what} contains a control character")
    return text


def parse_window(value: Any, where: str = "--window") -> int:
    """A conversion window in seconds from ``24h``-style text or a number of seconds."""
    if isinstance(value, bool):
        raise InvalidInputError(where, f"expected {WINDOW_FORMS}, got {value!r}")
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, str):
        match = _WINDOW.match(value.strip().lower())
        if match is None:
            raise InvalidInputError(where, f"cannot read {value!r}; expected {WINDOW_FORMS}")
        seconds = int(match.group(1)) * _WINDOW_UNITS[match.group(2)]
    else:
        raise InvalidInputError(where, f"expected {WINDOW_FORMS}, got {_kind(value)}")
    if not MIN_WINDOW_SECONDS <= seconds <= MAX_WINDOW_SECONDS:
        raise InvalidInputError(where, f"{value!r} is out of range; expected {WINDOW_FORMS}")
    return seconds


def format_window(seconds: int) -> str:
    """The shortest exact text :func:`parse_window` reads back (86400 -> ``24h``)."""
    if seconds % 86_400 == 0 and seconds >= 2 * 86_400:
        return f"{seconds // 86_400}d"
    for suffix, size in (("h", 3_600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{suffix}"
    return f"{seconds}s"


def parse_mode(value: Any, where: str = "--mode") -> Mode:
    try:
        return Mode(value.strip().lower() if isinstance(value, str) else value)
    except ValueError:
        raise InvalidInputError(where, f"expected ordered or strict, got {value!r}") from None


def parse_unit(value: Any, where: str = "--unit") -> Unit:
    try:
        return Unit(value.strip().lower() if isinstance(value, str) else value)
    except ValueError:
        raise InvalidInputError(where, f"expected session or visitor, got {value!r}") from None


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, Sequence):
        return "a list"
    return type(value).__name__


# --------------------------------------------------------------------------------------
# Steps
# --------------------------------------------------------------------------------------
def build_step(
    name: Any,
    matcher: Any,
    value: Any,
    properties: Mapping[str, Any] | None = None,
    where: str | None = None,
) -> Step:
    """Validate one step. ``where`` names it in errors (``--step 2 (Signup)``); by default
    ``step (NAME)``."""
    step_name = clean_name(name, where or "step", "step name")
    if "=" in step_name:
        raise InvalidInputError(where or "step", f"step name {step_name!r} cannot contain '='")
    where = where or f"step ({step_name})"
    try:
        kind = MatcherType(matcher)
    except ValueError:
        raise InvalidInputError(
            where, f"unknown matcher {matcher!r}; expected one of {MATCHER_NAMES}"
        ) from None
    field_name = f"{where}.{kind.value}"
    if not isinstance(value, str):
        raise InvalidInputError(field_name, f"must be text, got {_kind(value)}")
    text = value.strip()
    if not text:
        raise InvalidInputError(field_name, "is empty")
    if len(text) > VALUE_MAX:
        raise InvalidInputError(field_name, f"is longer than {VALUE_MAX} characters")
    if _has_control(text):
        raise InvalidInputError(field_name, "contains a control character")
    pattern = None
    if kind in (MatcherType.URL_EXACT, MatcherType.URL_PREFIX) and not text.startswith("/"):
        raise InvalidInputError(field_name, f"a path must start with '/', got {text!r}")
    if kind is MatcherType.URL_REGEX:
        try:
            pattern = re.compile(text)
        except re.error as exc:
            raise InvalidInputError(
                field_name, f"{text!r} is not a valid regular expression: {exc}"
            ) from None
    if kind is MatcherType.EVENT:
        if len(text) > NAME_MAX:
            raise InvalidInputError(field_name, f"event name is longer than {NAME_MAX} characters")
        if _EVENT_NAME_FORBIDDEN & set(text):
            raise InvalidInputError(field_name, "an event name cannot contain '[' or ']'")
    elif properties:
        raise InvalidInputError(f"{where}.properties", "only event steps take property filters")
    return Step(step_name, kind, text, _clean_properties(properties, where), pattern)


def _clean_properties(
    properties: Mapping[str, Any] | None, where: str
) -> tuple[tuple[str, str], ...]:
    if properties is None:
        return ()
    if not isinstance(properties, Mapping):
        raise InvalidInputError(
            f"{where}.properties", f"must be a mapping, got {_kind(properties)}"
        )
    cleaned: dict[str, str] = {}
    for raw_key, raw_value in properties.items():
        key_where = f"{where}.properties"
        if not isinstance(raw_key, str) or not raw_key.strip():
            raise InvalidInputError(key_where, f"property name {raw_key!r} must be non-empty text")
        key = raw_key.strip()
        if len(key) > PROPERTY_KEY_MAX:
            raise InvalidInputError(
                key_where, f"property name {key!r} is longer than {PROPERTY_KEY_MAX} characters"
            )
        if _PROPERTY_KEY_FORBIDDEN & set(key) or _has_control(key):
            raise InvalidInputError(
                key_where, f"property name {key!r} cannot contain '[', ']', '=' or ','"
            )
        if key in cleaned:
            raise InvalidInputError(key_where, f"property {key!r} is given twice")
        if isinstance(raw_value, (Mapping, list, tuple)):
            raise InvalidInputError(
                f"{key_where}.{key}",
                f"must be text, a number or true/false, got {_kind(raw_value)}",
            )
        text = raw_value.strip() if isinstance(raw_value, str) else property_text(raw_value)
        if len(text) > VALUE_MAX or _has_control(text):
            raise InvalidInputError(
                f"{key_where}.{key}", f"must be at most {VALUE_MAX} printable characters"
            )
        cleaned[key] = text
    return tuple(sorted(cleaned.items()))


def parse_step(text: str, where: str = "--step") -> Step:
    """One ``NAME=TYPE:VALUE`` step from the command line."""
    if not isinstance(text, str) or "=" not in text:
        raise InvalidInputError(
            where, f"expected NAME=TYPE:VALUE (TYPE one of {MATCHER_NAMES}), got {text!r}"
        )
    raw_name, spec = text.split("=", 1)
    name = clean_name(raw_name, where, "step name")
    where = f"{where} ({name})"
    if ":" not in spec:
        raise InvalidInputError(
            where, f"expected TYPE:VALUE after '=' (TYPE one of {MATCHER_NAMES}), got {spec!r}"
        )
    raw_matcher, value = spec.split(":", 1)
    matcher = raw_matcher.strip().lower()
    properties: dict[str, str] | None = None
    if matcher == MatcherType.EVENT.value:
        value, properties = _split_event(value, where)
    return build_step(name, matcher, value, properties, where)


def _split_event(value: str, where: str) -> tuple[str, dict[str, str] | None]:
    """``signup[plan=pro,method=github]`` -> ("signup", {"plan": "pro", "method": "github"})."""
    text = value.strip()
    if "[" not in text:
        return text, None
    if not text.endswith("]"):
        raise InvalidInputError(
            f"{where}.event", f"property filters must end with ']', got {value!r}"
        )
    name, inner = text[:-1].split("[", 1)
    properties: dict[str, str] = {}
    for pair in inner.split(","):
        if "=" not in pair:
            raise InvalidInputError(
                f"{where}.properties", f"expected KEY=VALUE pairs separated by ',', got {pair!r}"
            )
        key, item = pair.split("=", 1)
        if key.strip() in properties:
            raise InvalidInputError(
                f"{where}.properties", f"property {key.strip()!r} is given twice"
            )
        properties[key.strip()] = item
    return name, properties


def format_matcher(step: Step) -> str:
    """``TYPE:VALUE`` as the CLI writes it, e.g. ``event:signup[plan=pro]``."""
    value = step.value
    if step.properties:
        value += "[" + ",".join(f"{key}={item}" for key, item in step.properties) + "]"
    return f"{step.matcher.value}:{value}"


def format_step(step: Step) -> str:
    """The CLI text of a step (``parse_step`` reads it back when values avoid ``,`` and ``]``)."""
    return f"{step.name}={format_matcher(step)}"


def cli_expressible(step: Step) -> bool:
    """True when :func:`format_step` text parses back to the same step."""
    return not any(_CLI_VALUE_FORBIDDEN & set(item) for _, item in step.properties)


# --------------------------------------------------------------------------------------
# Funnels
# --------------------------------------------------------------------------------------
def build_funnel(
    name: Any,
    steps: Sequence[Step],
    *,
    mode: Any = Mode.ORDERED,
    unit: Any = Unit.SESSION,
    window: Any = DEFAULT_WINDOW_SECONDS,
    description: Any = None,
    active: Any = True,
    where: str | None = None,
) -> Funnel:
    """Validate a whole funnel. Errors name the CLI flags (``--window``), or with ``where``
    the document path (``file: funnels[0] (Signup).window``)."""

    def field_name(flag: str, key: str) -> str:
        return flag if where is None else f"{where}.{key}"

    funnel_name = clean_name(name, field_name("NAME", "name"), "funnel name")
    if not MIN_STEPS <= len(steps) <= MAX_STEPS:
        raise InvalidInputError(
            field_name("--step", "steps"),
            f"a funnel needs {MIN_STEPS} to {MAX_STEPS} steps, got {len(steps)}",
        )
    seen: dict[str, int] = {}
    for index, step in enumerate(steps, start=1):
        folded = step.name.casefold()
        if folded in seen:
            raise InvalidInputError(
                field_name(f"--step {index}", f"steps[{index - 1}]"),
                f"step name {step.name!r} is already used by step {seen[folded]}",
            )
        seen[folded] = index
    if description is not None:
        if not isinstance(description, str):
            raise InvalidInputError(
                field_name("--description", "description"),
                f"must be text, got {_kind(description)}",
            )
        description = description.strip() or None
    if not isinstance(active, bool):
        raise InvalidInputError(
            field_name("active", "active"), f"must be true or false, got {active!r}"
        )
    return Funnel(
        name=funnel_name,
        steps=tuple(steps),
        mode=parse_mode(mode, field_name("--mode", "mode")),
        unit=parse_unit(unit, field_name("--unit", "unit")),
        window_seconds=parse_window(window, field_name("--window", "window")),
        description=description,
        active=active,
    )


def funnel_from_cli(
    name: str,
    steps: Sequence[str],
    *,
    mode: str = "ordered",
    unit: str = "session",
    window: str = "24h",
    description: str | None = None,
) -> Funnel:
    """A funnel from ``funnels create`` arguments; errors name ``--step N (NAME)``."""
    parsed = [parse_step(text, f"--step {index}") for index, text in enumerate(steps, start=1)]
    return build_funnel(name, parsed, mode=mode, unit=unit, window=window, description=description)


# --------------------------------------------------------------------------------------
# Documents (YAML files; the same shape is what an HTTP API would accept as JSON)
# --------------------------------------------------------------------------------------
FUNNEL_KEYS = ("name", "description", "mode", "unit", "window", "active", "steps")
STEP_KEYS = ("name", *(kind.value for kind in MatcherType), "properties")


def parse_funnel_mapping(data: Any, where: str = "funnel") -> Funnel:
    """One funnel given as a mapping::

    {"name": "Signup", "mode": "ordered", "unit": "session", "window": "24h",
     "steps": [{"name": "Pricing", "url_prefix": "/pricing"},
               {"name": "Signup", "event": "signup", "properties": {"plan": "pro"}}]}
    """
    if not isinstance(data, Mapping):
        raise InvalidInputError(
            where, f"must be a mapping with {', '.join(FUNNEL_KEYS)}, got {_kind(data)}"
        )
    unknown = sorted(str(key) for key in data if key not in FUNNEL_KEYS)
    if unknown:
        raise InvalidInputError(
            where, f"unknown key(s) {', '.join(unknown)}; accepted: {', '.join(FUNNEL_KEYS)}"
        )
    if "name" not in data:
        raise InvalidInputError(f"{where}.name", "is missing")
    name = clean_name(data["name"], f"{where}.name", "funnel name")
    where = f"{where} ({name})"
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list):
        raise InvalidInputError(
            f"{where}.steps", f"must be a list of steps, got {_kind(raw_steps)}"
        )
    steps = [
        _step_from_mapping(item, f"{where}.steps[{index}]") for index, item in enumerate(raw_steps)
    ]
    return build_funnel(
        name,
        steps,
        mode=data.get("mode", Mode.ORDERED.value),
        unit=data.get("unit", Unit.SESSION.value),
        window=data.get("window", DEFAULT_WINDOW_SECONDS),
        description=data.get("description"),
        active=data.get("active", True),
        where=where,
    )


def _step_from_mapping(data: Any, where: str) -> Step:
    if not isinstance(data, Mapping):
        raise InvalidInputError(
            where, f"must be a mapping with a name and a matcher, got {_kind(data)}"
        )
    unknown = sorted(str(key) for key in data if key not in STEP_KEYS)
    if unknown:
        raise InvalidInputError(
            where, f"unknown key(s) {', '.join(unknown)}; accepted: {', '.join(STEP_KEYS)}"
        )
    if "name" not in data:
        raise InvalidInputError(f"{where}.name", "is missing")
    name = clean_name(data["name"], f"{where}.name", "step name")
    where = f"{where} ({name})"
    matchers = [kind for kind in MatcherType if kind.value in data]
    if len(matchers) != 1:
        raise InvalidInputError(
            where, f"needs exactly one matcher key ({MATCHER_NAMES}), got {len(matchers)}"
        )
    kind = matchers[0]
    return build_step(name, kind.value, data[kind.value], data.get("properties"), where)


@dataclass(frozen=True)
class ParsedDocument:
    """The valid funnels of a document and an error for each invalid one."""

    funnels: list[Funnel]
    errors: list[InvalidInputError]


def parse_document(data: Any, source: str = "file") -> ParsedDocument:
    """A document ``{"funnels": [<funnel mapping>, ...]}``. Each funnel is validated on its
    own: a bad one is reported and the others are kept. Duplicate names are errors."""
    if not isinstance(data, Mapping) or "funnels" not in data:
        raise InvalidInputError(source, "expected a mapping with a 'funnels' list at the top")
    unknown = sorted(str(key) for key in data if key != "funnels")
    if unknown:
        raise InvalidInputError(source, f"unknown top-level key(s) {', '.join(unknown)}")
    items = data["funnels"]
    if not isinstance(items, list) or not items:
        raise InvalidInputError(f"{source}: funnels", "must be a non-empty list of funnels")
    funnels: list[Funnel] = []
    errors: list[InvalidInputError] = []
    names: set[str] = set()
    for index, item in enumerate(items):
        try:
            funnel = parse_funnel_mapping(item, f"{source}: funnels[{index}]")
        except InvalidInputError as exc:
            errors.append(exc)
            continue
        if funnel.name in names:
            errors.append(
                InvalidInputError(
                    f"{source}: funnels[{index}] ({funnel.name})", "this name is defined twice"
                )
            )
            continue
        names.add(funnel.name)
        funnels.append(funnel)
    return ParsedDocument(funnels, errors)


def parse_yaml(text: str, source: str = "file") -> ParsedDocument:
    """:func:`parse_document` over YAML text (``safe_load``: no tags, no code)."""
    import yaml  # type: ignore[import-untyped]  # no stubs installed (types-PyYAML)

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InvalidInputError(source, f"not valid YAML{place}: {problem}") from None
    return parse_document(data, source)


def funnel_to_mapping(funnel: Funnel) -> dict[str, Any]:
    """The document form of a funnel (what :func:`parse_funnel_mapping` reads back)."""
    steps: list[dict[str, Any]] = []
    for step in funnel.steps:
        item: dict[str, Any] = {"name": step.name, step.matcher.value: step.value}
        if step.properties:
            item["properties"] = dict(step.properties)
        steps.append(item)
    data: dict[str, Any] = {"name": funnel.name}
    if funnel.description:
        data["description"] = funnel.description
    data.update(
        mode=funnel.mode.value,
        unit=funnel.unit.value,
        window=format_window(funnel.window_seconds),
        active=funnel.active,
        steps=steps,
    )
    return data
