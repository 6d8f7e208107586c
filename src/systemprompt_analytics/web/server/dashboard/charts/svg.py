"""Writing SVG elements: escaped attributes and text, compact coordinates."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

AttributeValue = str | float | int | None
_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9:-]*$")


def num(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros (``12.5``, ``3``)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def pct(value: float) -> str:
    """A percentage length (``63.2%``), clamped to [0, 100]."""
    return num(min(100.0, max(0.0, value))) + "%"


def attributes(values: dict[str, AttributeValue]) -> str:
    """` name="value"` pairs (escaped; None leaves the attribute out). Underscores in names
    become hyphens, so ``text_anchor`` writes ``text-anchor``."""
    parts = []
    for raw_name, value in values.items():
        if value is None:
            continue
        name = raw_name.rstrip("_").replace("_", "-")
        if not _NAME.match(name):
            raise ValueError(f"not an attribute name: {raw_name!r}")
        text = num(value) if isinstance(value, float) else str(value)
        parts.append(f' {name}="{escape(text)}"')
    return "".join(parts)


def tag(name: str, content: str | Markup = "", /, **values: AttributeValue) -> Markup:
    """``<name …>content</name>``; ``content`` is escaped unless it is Markup already."""
    if not _NAME.match(name):
        raise ValueError(f"not an element name: {name!r}")
    body = content if isinstance(content, Markup) else escape(content)
    # Safe: the name is checked, attribute values and text are escaped.
    if not body:
        return Markup(f"<{name}{attributes(values)}/>")  # noqa: S704
    return Markup(f"<{name}{attributes(values)}>{body}</{name}>")  # noqa: S704


def join(parts: list[Markup]) -> Markup:
    return Markup("").join(parts)
