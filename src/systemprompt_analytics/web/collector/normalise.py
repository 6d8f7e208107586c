"""Turning accepted client values into what is stored: paths, referrers and event times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import unquote, urlsplit, urlunsplit

from systemprompt_analytics.web.collector.contract import MAX_CLIENT_AGE, MAX_CLIENT_LEAD
from systemprompt_analytics.web.collector.fields import storable

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def page_path(url: str) -> str | None:
    """The path of a page URL (absolute or a path): no query or fragment, percent-decoded as
    ASGI servers decode request paths, no trailing slash except for ``/``. None when the URL
    cannot be parsed or its path cannot be stored."""
    try:
        path = urlsplit(url).path
    except ValueError:  # e.g. a malformed IPv6 host
        return None
    path = unquote(path, errors="replace")
    if not path.startswith("/"):
        path = "/" + path
    path = path.rstrip("/") or "/"
    return path if storable(path) else None


def referrer_url(referrer: str) -> str | None:
    """A referrer without credentials, query and fragment (they can hold search terms and tokens);
    None for an empty one. Referrers that are not URLs (``android-app://…``) are kept."""
    if not referrer:
        return None
    try:
        parts = urlsplit(referrer)
    except ValueError:
        return referrer
    if not parts.scheme or not parts.netloc:
        return referrer
    host = parts.netloc.rpartition("@")[2]  # never keep credentials
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def event_time(client_ms: int | None, received_at: datetime) -> datetime:
    """The client's time when it is believable, else the receive time.

    Believable: at most 24 h before and 5 min after ``received_at``. Compared as integers
    first, so absurd values never reach datetime arithmetic.
    """
    if client_ms is None:
        return received_at
    received_ms = (received_at - _EPOCH) // timedelta(milliseconds=1)
    too_old = client_ms < received_ms - MAX_CLIENT_AGE // timedelta(milliseconds=1)
    too_new = client_ms > received_ms + MAX_CLIENT_LEAD // timedelta(milliseconds=1)
    if too_old or too_new:
        return received_at
    return _EPOCH + timedelta(milliseconds=client_ms)
