"""Where a visit came from: UTM parameters, locale, referrer source and channel.

Every function here is pure, never raises on any input, and caches on inputs that repeat
(query strings, ``Accept-Language`` values, referrer hosts). docs/extraction.md lists the
channel host lists and the precedence between referrer and UTM parameters.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from ipaddress import IPv6Address
from typing import Literal
from urllib.parse import unquote_plus, urlsplit

Channel = Literal["search", "social", "ai_assistant", "email", "referral", "direct", "internal"]
CHANNELS: tuple[Channel, ...] = (
    "search",
    "social",
    "ai_assistant",
    "email",
    "referral",
    "direct",
    "internal",
)

UTM_MAX_LENGTH = 255
LOCALE_MAX_LENGTH = 35
REFERRER_URL_MAX_LENGTH = 2048
SOURCE_MAX_LENGTH = 255

# Host rules. "name.*" matches name under any country domain (google.de, google.co.uk);
# a leading "=" matches that host only, otherwise subdomains match too. The most specific
# rule wins, so mail.google.com (email) beats google.* (search).
AI_ASSISTANT_HOSTS = (
    "chatgpt.com",
    "chat.openai.com",
    "perplexity.ai",
    "perplexity.com",
    "claude.ai",
    "gemini.google.*",
    "bard.google.*",
    "notebooklm.google.*",
    "aistudio.google.*",
    "copilot.microsoft.com",
    "copilot.cloud.microsoft",
    "copilot.com",
    "m365.cloud.microsoft",
    "chat.deepseek.com",
    "chat.mistral.ai",
    "meta.ai",
    "grok.com",
    "you.com",
    "phind.com",
    "poe.com",
    "pi.ai",
    "duck.ai",
    "chat.qwen.ai",
    "kimi.com",
    "kimi.moonshot.cn",
    "chat.z.ai",
    "doubao.com",
    "yiyan.baidu.com",
    "yuanbao.tencent.com",
    "tongyi.aliyun.com",
    "felo.ai",
    "iask.ai",
    "andisearch.com",
    "genspark.ai",
    "manus.im",
    "lmarena.ai",
    "openrouter.ai",
    "t3.chat",
    "com.openai.chatgpt",
    "com.anthropic.claude",
    "ai.perplexity.app.android",
    "com.google.android.apps.bard",
)
SEARCH_HOSTS = (
    "=google.*",
    "images.google.*",
    "scholar.google.*",
    "bing.com",
    "=yahoo.*",
    "search.yahoo.*",
    "duckduckgo.com",
    "ecosia.org",
    "=yandex.*",
    "ya.ru",
    "baidu.com",
    "=naver.com",
    "search.naver.com",
    "search.daum.net",
    "=seznam.cz",
    "search.seznam.cz",
    "qwant.com",
    "startpage.com",
    "search.brave.com",
    "kagi.com",
    "ask.com",
    "=aol.*",
    "search.aol.*",
    "sogou.com",
    "so.com",
    "yep.com",
    "mojeek.com",
    "swisscows.com",
    "metager.org",
    "metager.de",
    "presearch.com",
    "petalsearch.com",
    "coccoc.com",
    "dogpile.com",
    "search.lilo.org",
    "com.google.android.googlequicksearchbox",
)
SOCIAL_HOSTS = (
    "facebook.com",
    "fb.com",
    "fb.me",
    "messenger.com",
    "instagram.com",
    "threads.net",
    "threads.com",
    "twitter.com",
    "x.com",
    "t.co",
    "linkedin.com",
    "lnkd.in",
    "reddit.com",
    "redd.it",
    "news.ycombinator.com",
    "lobste.rs",
    "producthunt.com",
    "youtube.com",
    "youtu.be",
    "tiktok.com",
    "pinterest.*",
    "pin.it",
    "tumblr.com",
    "bsky.app",
    "mastodon.social",
    "mastodon.online",
    "fosstodon.org",
    "hachyderm.io",
    "infosec.exchange",
    "discord.com",
    "discordapp.com",
    "t.me",
    "telegram.org",
    "whatsapp.com",
    "wa.me",
    "slack.com",
    "snapchat.com",
    "vk.com",
    "ok.ru",
    "weibo.com",
    "quora.com",
    "twitch.tv",
    "line.me",
    "xing.com",
    "nextdoor.com",
    "com.facebook.katana",
    "com.instagram.android",
    "com.twitter.android",
    "com.linkedin.android",
    "com.reddit.frontpage",
    "org.telegram.messenger",
    "com.slack",
    "com.discord",
    "com.zhiliaoapp.musically",
)
EMAIL_HOSTS = (
    "mail.google.*",
    "mail.yahoo.*",
    "mail.aol.com",
    "mail.yandex.*",
    "outlook.live.com",
    "outlook.office.com",
    "outlook.office365.com",
    "outlook.com",
    "mail.proton.me",
    "mail.protonmail.com",
    "mail.zoho.*",
    "e.mail.ru",
    "mail.qq.com",
    "mail.163.com",
    "mail.126.com",
    "mail.naver.com",
    "mail.daum.net",
    "email.seznam.cz",
    "icloud.com",
    "fastmail.com",
    "hey.com",
    "app.tuta.com",
    "mail.tutanota.com",
    "com.google.android.gm",
    "com.microsoft.office.outlook",
    "com.yahoo.mobile.client.android.mail",
)
# A host whose first label is one of these is a webmail front end (mail.example-corp.com).
EMAIL_HOST_LABELS = frozenset({"mail", "webmail", "email"})

EMAIL_MEDIUMS = frozenset({"email", "e-mail", "e_mail", "e mail", "newsletter"})
SOCIAL_MEDIUMS = frozenset(
    {"social", "social-network", "social-media", "social_media", "social network", "social media"}
    | {"socialmedia", "sm"}
)
SEARCH_MEDIUMS = frozenset(
    {"cpc", "ppc", "paidsearch", "paid-search", "paid_search", "paid search", "organic"}
)

_SECOND_LEVEL_LABELS = frozenset(
    {"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or", "go", "gob", "nic", "mil"}
)


@dataclass(frozen=True, slots=True)
class _HostRule:
    channel: Channel
    exact: bool


def _build_rules() -> dict[str, _HostRule]:
    rules: dict[str, _HostRule] = {}
    groups: tuple[tuple[Channel, tuple[str, ...]], ...] = (
        ("email", EMAIL_HOSTS),
        ("ai_assistant", AI_ASSISTANT_HOSTS),
        ("search", SEARCH_HOSTS),
        ("social", SOCIAL_HOSTS),
    )
    for channel, hosts in groups:
        for entry in hosts:
            key = entry.removeprefix("=")
            rules.setdefault(key, _HostRule(channel, exact=entry.startswith("=")))
    return rules


_HOST_RULES = _build_rules()

# C0 and C1 control characters go (PostgreSQL rejects NUL in text); tabs and newlines become
# spaces.
_CONTROL = {**dict.fromkeys([*range(32), *range(127, 160)]), 9: " ", 10: " ", 13: " "}
_HOST_LIKE = re.compile(r"^[\w-]+(?:\.[\w-]+)+(?::\d+)?(?:[/?#]|$)")
_DNS_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z")
_MAX_HOST_LENGTH = 253
_LANGUAGE_TAG = re.compile(r"^[a-z]{1,8}(?:-[a-z0-9]{1,8})*$")
_REFERRER_SCHEMES = frozenset({"", "http", "https", "android-app"})
_CACHEABLE_LENGTH = 2048
_MAX_QUERY_LENGTH = 65536


def clean_text(value: str, max_length: int) -> str | None:
    """``value`` without control characters or unencodable surrogates, trimmed and cut to
    ``max_length`` characters; None when nothing is left."""
    text = (value if value.isprintable() else value.translate(_CONTROL)).strip()
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = text.encode("utf-8", "replace").decode("utf-8")
    text = text[:max_length].rstrip()
    return text or None


# ----------------------------------------------------------------------------------------
# UTM parameters
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Utm:
    """Campaign parameters, percent-decoded and cut to 255 characters; None when absent."""

    source: str | None = None
    medium: str | None = None
    campaign: str | None = None
    content: str | None = None
    term: str | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.source or self.medium or self.campaign or self.content or self.term)


EMPTY_UTM = Utm()
_UTM_FIELDS = {f"utm_{name}": name for name in ("source", "medium", "campaign", "content", "term")}


def parse_utm(query_string: str) -> Utm:
    """The ``utm_*`` parameters of a query string (with or without the leading ``?``).

    Keys match case-insensitively; the first occurrence of a key wins; empty values are
    absent; ``+`` is a space; malformed escapes are kept or replaced, never an error.
    """
    if len(query_string) <= _CACHEABLE_LENGTH:
        return _parse_utm_cached(query_string)
    return _parse_utm(query_string[:_MAX_QUERY_LENGTH])


@lru_cache(maxsize=4096)
def _parse_utm_cached(query_string: str) -> Utm:
    return _parse_utm(query_string)


def _parse_utm(query_string: str) -> Utm:
    if "utm" not in query_string.lower():
        return EMPTY_UTM
    found: dict[str, str] = {}
    for piece in query_string.removeprefix("?").split("&"):
        raw_key, equals, raw_value = piece.partition("=")
        if not equals:
            continue
        field = _UTM_FIELDS.get(unquote_plus(raw_key).strip().lower())
        if field is None or field in found:
            continue
        value = clean_text(unquote_plus(raw_value), UTM_MAX_LENGTH)
        if value is not None:
            found[field] = value
    return Utm(**found) if found else EMPTY_UTM


# ----------------------------------------------------------------------------------------
# Locale
# ----------------------------------------------------------------------------------------


def parse_locale(accept_language: str | None) -> str | None:
    """The preferred language tag of an ``Accept-Language`` header, e.g. ``en-US``.

    The tag with the highest q wins (the first among equals); ``*``, q=0, malformed tags and
    malformed q values are ignored. Casing follows RFC 5646 conventions (``zh-Hant-TW``);
    ``_`` becomes ``-``; tags longer than 35 characters lose trailing subtags.
    """
    if not accept_language:
        return None
    return _parse_locale(accept_language[:512])


@lru_cache(maxsize=2048)
def _parse_locale(header: str) -> str | None:
    best: str | None = None
    best_q = 0.0
    for item in header.split(","):
        raw_tag, _, params = item.partition(";")
        tag = raw_tag.strip().replace("_", "-").lower()
        if not _LANGUAGE_TAG.match(tag):
            continue
        q = _quality(params)
        if q > best_q:
            best, best_q = tag, q
    return _format_tag(best) if best else None


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return 0.0
            return q if 0.0 <= q <= 1.0 else 0.0
    return 1.0


def _format_tag(tag: str) -> str:
    subtags = tag.split("-")
    formatted = [subtags[0]]
    extension = False
    for subtag in subtags[1:]:
        extension = extension or len(subtag) == 1
        if not extension and len(subtag) == 2 and subtag.isalpha():
            formatted.append(subtag.upper())
        elif not extension and len(subtag) == 4 and subtag.isalpha():
            formatted.append(subtag.title())
        else:
            formatted.append(subtag)
    while len(formatted) > 1 and len("-".join(formatted)) > LOCALE_MAX_LENGTH:
        formatted.pop()
    return "-".join(formatted)[:LOCALE_MAX_LENGTH]


# ----------------------------------------------------------------------------------------
# Referrer, source and channel
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Referrer:
    """The referrer URL (cut to 2048 characters), its source host and the visit's channel."""

    url: str | None
    source: str | None
    channel: Channel


DIRECT = Referrer(url=None, source=None, channel="direct")


def classify_referrer(
    referrer: str | None,
    site_hosts: Collection[str],
    utm: Utm | None = None,
) -> Referrer:
    """Source and channel of a visit from its ``Referer`` header and UTM parameters.

    Precedence: a same-site referrer is ``internal`` (no source); an email medium or source
    is ``email``; a known referrer host decides; without a referrer a known UTM source
    decides; a social or search medium decides; any other source is ``referral``; nothing at
    all is ``direct``. ``site_hosts`` are this site's hosts (subdomains included); pass a
    frozenset to make the per-call cost lowest.
    """
    sites = site_hosts if isinstance(site_hosts, frozenset) else frozenset(site_hosts)
    text = referrer[:REFERRER_URL_MAX_LENGTH] if referrer else None
    return _classify(text, sites, utm if utm is not None and not utm.is_empty else None)


@lru_cache(maxsize=8192)
def _classify(referrer: str | None, sites: frozenset[str], utm: Utm | None) -> Referrer:
    url = clean_text(referrer, REFERRER_URL_MAX_LENGTH) if referrer else None
    host = _referrer_host(url) if url else None
    if host is None:
        url = None
    elif _is_same_site(host, _site_hosts(sites)):
        return Referrer(url=url, source=None, channel="internal")

    medium = utm.medium.lower() if utm and utm.medium else None
    utm_source = _normalise_host(utm.source) if utm and utm.source else None
    source = host or (utm_source[:SOURCE_MAX_LENGTH] if utm_source else None)
    if medium in EMAIL_MEDIUMS or utm_source in EMAIL_MEDIUMS:
        return Referrer(url, source, "email")
    if host is not None:
        known = host_channel(host)
    else:
        known = _utm_source_channel(utm_source) if utm_source else None
    if known is not None:
        return Referrer(url, source, known)
    if medium in SOCIAL_MEDIUMS:
        return Referrer(url, source, "social")
    if medium in SEARCH_MEDIUMS:
        return Referrer(url, source, "search")
    if host is not None and host.split(".", 1)[0] in EMAIL_HOST_LABELS and "." in host:
        return Referrer(url, source, "email")
    if source is not None:
        return Referrer(url, source, "referral")
    return DIRECT


def _referrer_host(url: str) -> str | None:
    text = url
    if "//" not in text[:32]:
        if not _HOST_LIKE.match(text):
            return None
        text = "//" + text
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        return None
    if not host or parts.scheme not in _REFERRER_SCHEMES:
        return None
    return _usable_host(_normalise_host(host))


def _usable_host(host: str) -> str | None:
    """``host`` if it names something: an IPv6 literal, or DNS labels of letters, digits and
    inner hyphens (internationalised names in their ``xn--`` form); None otherwise."""
    if ":" in host:
        try:
            address = IPv6Address(host)
        except ValueError:
            return None
        return None if address.scope_id else str(address)
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    # A bare "www" is what is left of "https://www." once the trailing dot goes.
    return host if host != "www" and is_host_name(host) else None


def is_host_name(host: str) -> bool:
    """Whether ``host`` is a DNS name: labels of lower-case letters, digits and inner hyphens,
    253 characters at most."""
    return len(host) <= _MAX_HOST_LENGTH and all(
        _DNS_LABEL.match(label) for label in host.split(".")
    )


def _normalise_host(host: str) -> str:
    """Lower case, no trailing dot, no leading ``www.`` (unless that would leave a TLD)."""
    lowered = host.strip().lower().rstrip(".")
    if lowered.startswith("www.") and lowered.count(".") >= 2:
        return lowered[4:]
    return lowered


@lru_cache(maxsize=64)
def _site_hosts(sites: frozenset[str]) -> frozenset[str]:
    normalised = set()
    for site in sites:
        text = site.strip()
        try:
            host = urlsplit(text if "//" in text else "//" + text).hostname
        except ValueError:
            continue
        if host:
            normalised.add(_normalise_host(host))
    return frozenset(normalised)


def _is_same_site(host: str, sites: frozenset[str]) -> bool:
    if host in sites:
        return True
    return any(host.endswith("." + site) for site in sites)


@lru_cache(maxsize=8192)
def host_channel(host: str) -> Channel | None:
    """The channel of a (normalised) host from the host lists, or None if it is not listed."""
    labels = host.split(".")
    variants = [labels]
    if len(labels) >= 2:
        variants.append([*labels[:-1], "*"])
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL_LABELS:
        variants.append([*labels[:-2], "*"])
    for drop in range(len(labels) - 1):
        for variant in variants:
            if len(variant) - drop < 2:
                continue
            rule = _HOST_RULES.get(".".join(variant[drop:]))
            if rule is not None and (drop == 0 or not rule.exact):
                return rule.channel
    return None


def _utm_source_channel(source: str) -> Channel | None:
    if "." in source:
        return host_channel(source)
    # A bare brand name ("google", "linkedin", "chatgpt") as campaign tools write it.
    for candidate in (f"{source}.*", f"{source}.com", f"{source}.ai"):
        rule = _HOST_RULES.get(candidate)
        if rule is not None:
            return rule.channel
    return None
