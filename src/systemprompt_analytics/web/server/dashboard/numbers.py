"""How the dashboard writes numbers: counts, money, shares, durations, changes.

Every function accepts None (a figure that does not exist, e.g. a rate of nothing) and writes
it as an en dash, never as 0.
"""

from __future__ import annotations

import math
from typing import Literal

Unit = Literal["count", "usd", "rate", "ms", "seconds"]
NONE = "–"


def _finite(value: float | int | None) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def fmt_count(value: float | int | None) -> str:
    """``12,345``."""
    number = _finite(value)
    return NONE if number is None else f"{round(number):,}"


def fmt_compact(value: float | int | None) -> str:
    """``950``, ``1.2k``, ``34k``, ``1.5M`` — for axis ticks, where space is short."""
    number = _finite(value)
    if number is None:
        return NONE
    size = abs(number)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            scaled = number / limit
            text = f"{scaled:.1f}" if abs(scaled) < 10 else f"{scaled:.0f}"
            return text.removesuffix(".0") + suffix
    if size and size < 10 and number != round(number):
        return f"{number:.2f}".rstrip("0").rstrip(".")
    return f"{number:.0f}"


def fmt_usd(value: float | int | None) -> str:
    """``$1,234.56``; amounts under a dollar keep enough digits to be seen (``$0.0042``)."""
    number = _finite(value)
    if number is None:
        return NONE
    if number == 0:
        return "$0.00"
    if abs(number) < 1:
        digits = max(2, 1 - math.floor(math.log10(abs(number))))  # two significant digits
        return f"${number:.{min(digits, 6)}f}"
    return f"${number:,.2f}"


def fmt_usd_compact(value: float | int | None) -> str:
    number = _finite(value)
    if number is None:
        return NONE
    if abs(number) < 10:
        return f"${number:.2f}".replace(".00", "")
    return "$" + fmt_compact(number)


def fmt_rate(value: float | int | None) -> str:
    """A share in [0, 1] as ``12.3%``."""
    number = _finite(value)
    return NONE if number is None else f"{number * 100:.1f}%"


def fmt_ms(value: float | int | None) -> str:
    """``850 ms``, ``1.24 s``."""
    number = _finite(value)
    if number is None:
        return NONE
    if abs(number) >= 1000:
        return f"{number / 1000:,.2f} s"
    return f"{number:,.0f} ms"


def fmt_seconds(value: float | int | None) -> str:
    """``45 s``, ``3 min 20 s``, ``2 h 5 min``."""
    number = _finite(value)
    if number is None:
        return NONE
    total = round(number)
    if total < 60:
        return f"{total} s"
    minutes, seconds = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


FORMATTERS = {
    "count": fmt_count,
    "usd": fmt_usd,
    "rate": fmt_rate,
    "ms": fmt_ms,
    "seconds": fmt_seconds,
}
TICK_FORMATTERS = {
    "count": fmt_compact,
    "usd": fmt_usd_compact,
    "rate": fmt_rate,
    "ms": fmt_ms,
    "seconds": fmt_seconds,
}


def fmt(value: float | int | None, unit: Unit) -> str:
    return FORMATTERS[unit](value)


def fmt_tick(value: float | int | None, unit: Unit) -> str:
    return TICK_FORMATTERS[unit](value)


def short_id(value: str | None, keep: int = 8) -> str:
    """A long opaque id (a fingerprint hash) cut to its ends: ``20eb469d…3732``."""
    if not value:
        return NONE
    return value if len(value) <= 2 * keep + 1 else f"{value[:keep]}…{value[-4:]}"
