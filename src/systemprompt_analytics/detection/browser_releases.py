"""When each major version of the popular browsers shipped, to judge "outdated" by date.

The behavioural detector's *outdated browser* signal asks: had this major version already been
superseded (its successor released) long before the session? Answering that needs the release
dates below, so a log imported from years ago judges its visitors by their own date.

The table is **approximate**: stable-channel release dates of each major version from the
vendors' published schedules and release notes, written down from memory to within a few days
(table last updated 2025-11; never downloaded at run time). That precision is ample for a rule
measured in years. Gaps are deliberate where a vendor skipped a number (Chrome 82, Opera 59/61):
a missing major is treated as superseded when the next listed one shipped. The table errs towards
"not outdated": a version newer than the last entry, or the last entry itself, is never
superseded, and a version older than the first entry is superseded no later than the first entry
was released.

Safari versions follow the OS: the September release date of the iOS/macOS that brought each
major is used (Safari 26 followed Safari 18 in 2025). Edge lists the legacy EdgeHTML versions
(12-18), succeeded by the Chromium-based 79.

Update this table when a browser ships a new major version (every four weeks for Chrome, Edge
and Firefox); the tests check it stays sorted.
"""

from __future__ import annotations

import bisect
from datetime import date
from types import MappingProxyType
from typing import Final

__all__ = ["FAMILY_OF_BROWSER", "RELEASES", "family_of", "major_of", "superseded_on"]

_Table = tuple[tuple[int, date], ...]


def _table(first_major: int, dates: str, skip: tuple[int, ...] = ()) -> _Table:
    """Build a table from consecutive majors (minus ``skip``) and ISO dates, one per major."""
    last = first_major + len(dates.split()) + len(skip)
    majors = [m for m in range(first_major, last) if m not in skip]
    return tuple(zip(majors, (date.fromisoformat(d) for d in dates.split()), strict=True))


_CHROME = _table(
    30,
    """
    2013-10-01 2013-11-12 2014-01-14 2014-02-20 2014-04-08 2014-05-20 2014-07-16 2014-08-26
    2014-10-07 2014-11-18 2015-01-21 2015-03-03 2015-04-14 2015-05-19 2015-07-21 2015-09-01
    2015-10-13 2015-12-01 2016-01-20 2016-03-02 2016-04-13 2016-05-25 2016-07-20 2016-08-31
    2016-10-12 2016-12-01 2017-01-25 2017-03-09 2017-04-19 2017-06-05 2017-07-25 2017-09-05
    2017-10-17 2017-12-06 2018-01-24 2018-03-06 2018-04-17 2018-05-29 2018-07-24 2018-09-04
    2018-10-16 2018-12-04 2019-01-29 2019-03-12 2019-04-23 2019-06-04 2019-07-30 2019-09-10
    2019-10-22 2019-12-10 2020-02-04 2020-04-07 2020-05-19 2020-07-14 2020-08-25 2020-10-06
    2020-11-17 2021-01-19 2021-03-02 2021-04-14 2021-05-25 2021-07-20 2021-08-31 2021-09-21
    2021-10-19 2021-11-15 2022-01-04 2022-02-01 2022-03-01 2022-03-29 2022-04-26 2022-05-24
    2022-06-21 2022-08-02 2022-08-30 2022-09-27 2022-10-25 2022-11-29 2023-01-10 2023-02-07
    2023-03-07 2023-04-04 2023-05-02 2023-05-30 2023-07-18 2023-08-15 2023-09-12 2023-10-10
    2023-10-31 2023-12-05 2024-01-23 2024-02-20 2024-03-19 2024-04-16 2024-05-14 2024-06-11
    2024-07-23 2024-08-20 2024-09-17 2024-10-15 2024-11-12 2025-01-14 2025-02-04 2025-03-04
    2025-04-01 2025-04-29 2025-05-27 2025-06-24 2025-08-05 2025-09-02 2025-09-30 2025-10-28
    """,
    skip=(82,),
)

_FIREFOX = _table(
    10,
    """
    2012-01-31 2012-03-13 2012-04-24 2012-06-05 2012-07-17 2012-08-28 2012-10-09 2012-11-20
    2013-01-08 2013-02-19 2013-04-02 2013-05-14 2013-06-25 2013-08-06 2013-09-17 2013-10-29
    2013-12-10 2014-02-04 2014-03-18 2014-04-29 2014-06-10 2014-07-22 2014-09-02 2014-10-14
    2014-12-01 2015-01-13 2015-02-24 2015-03-31 2015-05-12 2015-07-02 2015-08-11 2015-09-22
    2015-11-03 2015-12-15 2016-01-26 2016-03-08 2016-04-26 2016-06-07 2016-08-02 2016-09-20
    2016-11-15 2017-01-24 2017-03-07 2017-04-19 2017-06-13 2017-08-08 2017-09-28 2017-11-14
    2018-01-23 2018-03-13 2018-05-09 2018-06-26 2018-09-05 2018-10-23 2018-12-11 2019-01-29
    2019-03-19 2019-05-21 2019-07-09 2019-09-03 2019-10-22 2019-12-03 2020-01-07 2020-02-11
    2020-03-10 2020-04-07 2020-05-05 2020-06-02 2020-06-30 2020-07-28 2020-08-25 2020-09-22
    2020-10-20 2020-11-17 2020-12-15 2021-01-26 2021-02-23 2021-03-23 2021-04-19 2021-06-01
    2021-07-13 2021-08-10 2021-09-07 2021-10-05 2021-11-02 2021-12-07 2022-01-11 2022-02-08
    2022-03-08 2022-04-05 2022-05-03 2022-05-31 2022-06-28 2022-07-26 2022-08-23 2022-09-20
    2022-10-18 2022-11-15 2022-12-13 2023-01-17 2023-02-14 2023-03-14 2023-04-11 2023-05-09
    2023-06-06 2023-07-04 2023-08-01 2023-08-29 2023-09-26 2023-10-24 2023-11-21 2023-12-19
    2024-01-23 2024-02-20 2024-03-19 2024-04-16 2024-05-14 2024-06-11 2024-07-09 2024-08-06
    2024-09-03 2024-10-01 2024-10-29 2024-11-26 2025-01-07 2025-02-04 2025-03-04 2025-04-01
    2025-04-29 2025-05-27 2025-06-24 2025-07-22 2025-08-19 2025-09-16 2025-10-14 2025-11-11
    """,
)

_EDGE_LEGACY = _table(
    12, "2015-07-29 2015-11-12 2016-08-02 2017-04-11 2017-10-17 2018-04-30 2018-11-13"
)
_EDGE = _EDGE_LEGACY + _table(
    79,
    """
    2020-01-15 2020-02-07 2020-04-13 2020-05-21 2020-07-16 2020-08-27 2020-10-09 2020-11-19
    2021-01-21 2021-03-04 2021-04-15 2021-05-27 2021-07-22 2021-09-02 2021-09-24 2021-10-21
    2021-11-19 2022-01-06 2022-02-03 2022-03-03 2022-04-01 2022-04-28 2022-05-31 2022-06-23
    2022-08-05 2022-09-01 2022-10-03 2022-10-27 2022-12-05 2023-01-12 2023-02-09 2023-03-13
    2023-04-06 2023-05-05 2023-06-02 2023-07-21 2023-08-21 2023-09-15 2023-10-13 2023-11-02
    2023-12-07 2024-01-25 2024-02-23 2024-03-22 2024-04-18 2024-05-17 2024-06-13 2024-07-25
    2024-08-22 2024-09-19 2024-10-17 2024-11-14 2025-01-17 2025-02-06 2025-03-06 2025-04-04
    2025-05-01 2025-05-29 2025-06-26 2025-08-07 2025-09-05 2025-10-03 2025-10-31
    """,
    skip=(82,),
)

_SAFARI = (
    *_table(
        5,
        """
        2010-06-07 2012-07-25 2013-10-22 2014-09-17 2015-09-16 2016-09-13 2017-09-19
        2018-09-17 2019-09-19 2020-09-16 2021-09-20 2022-09-12 2023-09-18 2024-09-16
        """,
    ),
    (26, date(2025, 9, 15)),
)

_SAMSUNG = _table(
    4,
    """
    2016-03-15 2016-12-01 2017-08-15 2018-03-15 2018-08-15 2019-02-15 2019-08-15 2020-01-15
    2020-05-15 2020-11-15 2021-04-15 2021-08-15 2021-11-15 2022-05-15 2022-08-15 2022-11-15
    2023-02-15 2023-05-15 2023-08-15 2023-10-15 2024-01-15 2024-04-15 2024-07-15 2024-11-15
    2025-04-15 2025-09-15
    """,
)

_OPERA = _table(
    15,
    """
    2013-07-02 2013-08-27 2013-10-08 2013-11-19 2014-01-28 2014-03-04 2014-05-06 2014-06-03
    2014-07-22 2014-09-02 2014-10-15 2014-12-03 2015-01-27 2015-03-10 2015-04-28 2015-06-09
    2015-08-04 2015-09-15 2015-10-27 2015-12-08 2016-02-02 2016-03-15 2016-05-04 2016-06-08
    2016-08-02 2016-09-20 2016-10-25 2016-12-13 2017-02-07 2017-03-21 2017-05-10 2017-06-22
    2017-08-09 2017-09-27 2017-11-08 2018-01-04 2018-02-07 2018-03-22 2018-05-10 2018-06-28
    2018-08-16 2018-09-25 2018-11-28 2019-01-23 2019-04-09 2019-06-27 2019-08-20 2019-10-07
    2019-11-13 2020-01-07 2020-03-03 2020-04-22 2020-06-24 2020-07-28 2020-09-15 2020-10-21
    2020-12-09 2021-02-02 2021-03-24 2021-04-28 2021-06-09 2021-08-03 2021-09-14 2021-10-05
    2021-11-04 2021-12-02 2022-01-19 2022-02-16 2022-03-23 2022-04-20 2022-05-17 2022-06-08
    2022-07-07 2022-08-18 2022-09-14 2022-10-19 2022-11-17 2022-12-15 2023-02-01 2023-02-22
    2023-03-22 2023-04-20 2023-05-16 2023-06-29 2023-07-26 2023-08-23 2023-09-26 2023-10-23
    2023-11-14 2023-12-19 2024-02-07 2024-03-05 2024-03-27 2024-05-14 2024-06-12 2024-07-24
    2024-09-04 2024-10-23 2024-12-11 2025-01-29 2025-03-05 2025-04-15 2025-05-28 2025-07-02
    2025-08-27 2025-09-24 2025-10-28
    """,
    skip=(59, 61),
)

RELEASES: Final = MappingProxyType(
    {
        "chrome": _CHROME,
        "firefox": _FIREFOX,
        "edge": _EDGE,
        "safari": _SAFARI,
        "samsung": _SAMSUNG,
        "opera": _OPERA,
    }
)
"""Release table per family: ``(major, stable release date)`` in increasing order."""

FAMILY_OF_BROWSER: Final = MappingProxyType(
    {
        "Chrome": "chrome",
        "Chrome Mobile": "chrome",
        "Chrome Mobile WebView": "chrome",
        "Chrome Mobile iOS": "chrome",
        "Chromium": "chrome",
        "HeadlessChrome": "chrome",
        "Firefox": "firefox",
        "Firefox Mobile": "firefox",
        "Edge": "edge",
        "Edge Mobile": "edge",
        "Safari": "safari",
        "Mobile Safari": "safari",
        "Samsung Internet": "samsung",
        "Opera": "opera",
    }
)
"""ua-parser browser names (as :class:`UserAgentInfo` reports them) → release-table family.
Browsers numbered on their own scheme (Firefox iOS before v100, Opera Mobile, in-app browsers)
are deliberately absent: an unknown browser is never judged outdated."""

_MAJORS: Final = MappingProxyType({k: tuple(m for m, _ in v) for k, v in RELEASES.items()})


def family_of(browser: str | None) -> str | None:
    """The release-table family of a ua-parser browser name, or None when not tabled."""
    return None if browser is None else FAMILY_OF_BROWSER.get(browser)


def major_of(version: str | None) -> int | None:
    """The major version of ``"141.0"``-style version strings; None when absent or not a number."""
    if not version:
        return None
    head = version.split(".", 1)[0].strip()
    if not head.isdecimal() or len(head) > 6:
        return None
    return int(head)


def superseded_on(family: str, major: int) -> date | None:
    """The date ``major`` stopped being the current version of ``family``: when the next listed
    major shipped. None when the family is unknown or no newer major is listed (current, or newer
    than the table)."""
    table = RELEASES.get(family)
    if not table:
        return None
    majors = _MAJORS[family]
    index = bisect.bisect_right(majors, major)
    if index >= len(majors):
        return None
    return table[index][1]
