"""Classify a user agent: browser, OS and device type, and a bot / AI-crawler verdict with a
category and a human-readable reason. Pure and cached per UA string.

The verdict comes from the first of these that fires:

1. malformed-UA rules (empty, placeholder, unrendered template, control characters);
2. the AI crawlers of DESIGN.md section 7, and fetchers a person triggers through an AI
   product that the list below does not tag as AI (``meta-externalfetcher``);
3. the crawler-user-agents list (its tags give the category; entries tagged ``ai-crawler``
   are AI crawlers; ``bot_rules.CRAWLER_LIST_CATEGORIES`` overrides a misleading tag:
   Google-Read-Aloud, tagged a search engine, is a user-triggered fetcher, ``other_bot``);
4. named-bot tables for what the list misses (``bot_rules``);
5. malformed by shape (shorter than 10 characters, no letters), unless a rule above named it;
6. generic heuristics: bot keywords, an advertised URL or e-mail address, and clients in
   which ua-parser finds neither a browser nor an operating system (except game consoles
   and text-mode browsers: PlayStation, Nintendo, w3m, Lynx, Links, ELinks).

Steps 2-4 are one ordered rule set, matched in a single pass by the ua-parser-rs
accelerator (the Rust regex engine ua-parser uses); without it, Python's ``re`` runs the same
rules, correctly but about a hundred times slower.

Hard negatives keep real browsers and apps human where a rule would misread them:

- list entries that are bare substrings: Sogou's mobile browser and search app
  ("SogouMobileBrowser", "SogouMSE", "SogouSearch" against "Sogou"), Slack's desktop app
  ("Sonic Slack_SSB" against "Sonic"), Viber's and WhatsApp's in-app browsers
  ("Viber/<version>", "WhatsApp/<version>" after a browser's "Safari/…" or "Mobile/…" token,
  against "Viber" and "WhatsApp"), the Electron desktop apps of WhatsApp and Notion (their
  product right before "Chrome/… Electron/…", against "WhatsApp" and "Notion/") and a phone
  model "Yeti" in an Android device comment (against "Yeti") are blanked and the rule set is
  asked again, so "Sogou web spider", "Slackbot", bare or leading "Viber" and "WhatsApp" (their
  link previews), "Notion/1.0 (https://notion.so; …)", Naver's "Yeti/1.1" and any other
  crawler token in the same string still count;
- the bot-keyword heuristic skips names that merely end in "bot" ("Talbot", "Abbot", "Sabot";
  CamelCase "TalBot" still counts) and a bare "Preview" that ends the string right after a
  browser's "Safari/…", "Chrome/…", "Edg/…", "OPR/…" or "Firefox/…" token;
- phone makers and models containing "bot" (Cubot, "Bot-S1", "Robot 2") are ignored by the
  bot-keyword heuristic wherever the UA names a device: Android comments (also UC Browser's
  "Adr"), the device comment Instagram appends, Facebook's FBMF/FBBD/FBDV fields and the
  maker name Cubot on its own anywhere. ua-parser's catch-all bot rule names such a phone's
  browser after its model ("; Bot", "Robot"); a human client's browser is then parsed again
  without those words ("Chrome Mobile" 120.0).

Browser and OS come from ua-parser with its Rust resolver and are named as it names them:
"Chrome", "Chrome Mobile", "Mobile Safari", "Edge", "Opera", "Samsung Internet", "Firefox",
… and OS "iOS", "Android", "Windows", "macOS" (ua-parser's "Mac OS X"), "Chrome OS", "Linux".
The device type follows the conventions browsers keep in the string: iPhone/iPod mobile,
iPad tablet, Android with "Mobile" (or Presto's "Opera Mobi"/"Opera Mini") a phone and without
it a tablet. There is no console or TV device type: smart TVs and game consoles without a
desktop OS token (PlayStation, Nintendo Switch) are "unknown" (an Xbox sends Windows' token and
reads as desktop); text-mode browsers (w3m, Lynx, Links, ELinks) run in a terminal on a
computer and are "desktop". Browsers ua-parser does not name take their product token
("w3m", "NintendoBrowser"). Known limits, because the user agent carries nothing to tell them
apart:

- Brave sends Chrome's user agent by default; it reads as Chrome unless the string says
  "Brave".
- iPadOS 13+ Safari asks for desktop sites with a macOS user agent; such an iPad reads as
  Safari on macOS, desktop. (An iPad app's web view doing the same keeps a "Mobile/" token
  and is recognised as a tablet.)

Packaged data (the crawler list and ua-parser's regexes) is loaded once, lazily, on first
use; classification itself does no I/O.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, TypeAlias

import ua_parser

from systemprompt_analytics.detection.bot_rules import (
    AI_CRAWLER_RULES,
    CRAWLER_LIST_CATEGORIES,
    MAX_LENGTH,
    NAMED_BOT_RULES,
    BotCategory,
    BotRule,
    BotVerdict,
    category_for_tags,
    generic_bot,
    malformed_reason,
    malformed_shape_reason,
    without_human_products,
)

__all__ = [
    "CACHE_SIZE",
    "BotCategory",
    "DeviceType",
    "UserAgentInfo",
    "classify_user_agent",
    "clear_cache",
    "load_detection_data",
]

DeviceType = Literal["desktop", "mobile", "tablet", "bot", "unknown"]
CACHE_SIZE = 50_000


@dataclass(frozen=True, slots=True)
class UserAgentInfo:
    """What a user agent says about its client. ``category`` is None exactly when not a bot."""

    ua: str
    browser: str | None
    browser_version: str | None
    os: str | None
    os_version: str | None
    device_type: DeviceType
    is_bot: bool
    is_ai_crawler: bool
    bot_name: str | None
    category: BotCategory | None
    reason: str | None

    def to_json(self) -> dict[str, str | bool | None]:
        """The ``classify-ua`` record: exactly these keys, in this order."""
        return {
            "ua": self.ua,
            "is_bot": self.is_bot,
            "is_ai_crawler": self.is_ai_crawler,
            "bot_name": self.bot_name,
            "category": None if self.category is None else self.category.value,
            "reason": self.reason,
            "browser": self.browser,
            "browser_version": self.browser_version,
            "os": self.os,
            "device_type": self.device_type,
        }


def classify_user_agent(ua: str | None) -> UserAgentInfo:
    """Classify one User-Agent header value (None means the header was absent)."""
    text = "" if ua is None else ua
    if len(text) > MAX_LENGTH:
        # Oversized strings are malformed at once; caching them would only let junk evict
        # the popular browsers.
        return _classify(text)
    return _classify_cached(text)


def clear_cache() -> None:
    """Forget cached classifications (for benchmarks and tests); loaded data is kept."""
    _classify_cached.cache_clear()


def load_detection_data() -> None:
    """Load the crawler list and ua-parser's regexes now rather than on the first request."""
    _rule_set()
    _resolver()


@functools.lru_cache(maxsize=CACHE_SIZE)
def _classify_cached(ua: str) -> UserAgentInfo:
    return _classify(ua)


def _classify(ua: str) -> UserAgentInfo:
    text = ua.strip()
    malformed = malformed_reason(text)
    verdict: BotVerdict | None
    if malformed is not None:
        # Nothing to parse in such a string (and lone surrogates would not even reach ua-parser).
        client, verdict = _NO_CLIENT, BotVerdict(BotCategory.MALFORMED, None, malformed)
    else:
        client = _parse_client(text)
        verdict = _bot_verdict(text, client)
    if verdict is None:
        client = _repair_browser_name(text, client)
        return UserAgentInfo(
            ua=ua,
            browser=client.browser,
            browser_version=client.browser_version,
            os=client.os,
            os_version=client.os_version,
            device_type=_device_type(text, client.os),
            is_bot=False,
            is_ai_crawler=False,
            bot_name=None,
            category=None,
            reason=None,
        )
    return UserAgentInfo(
        ua=ua,
        browser=client.browser,
        browser_version=client.browser_version,
        os=client.os,
        os_version=client.os_version,
        device_type="bot",
        is_bot=True,
        is_ai_crawler=verdict.category is BotCategory.AI_CRAWLER,
        bot_name=verdict.name,
        category=verdict.category,
        reason=verdict.reason,
    )


def _bot_verdict(text: str, client: _Client) -> BotVerdict | None:
    """Steps 2-6 of the module docstring, for a user agent that is not broken."""
    verdict = _named_bot(text, client.browser)
    if verdict is not None:
        return verdict
    shape = malformed_shape_reason(text)
    if shape is not None:
        return BotVerdict(BotCategory.MALFORMED, None, shape)
    verdict = generic_bot(text)
    if verdict is not None:
        return verdict
    if client.browser is None and client.os is None and not _HUMAN_CLIENT.search(text):
        product = _PRODUCT.match(text)
        return BotVerdict(
            BotCategory.OTHER_BOT,
            product.group(1) if product and product.group(1) != "Mozilla" else None,
            "unrecognised client: no browser or operating system in user agent",
        )
    return None


def _named_bot(text: str, alias: str | None) -> BotVerdict | None:
    """Steps 2-4: the rule set, asked again without the hard negatives' products when it
    matched (rarely needed, so the common path pays nothing for them)."""
    verdict = _rule_set().match(text, alias=alias)
    if verdict is None:
        return None
    masked = without_human_products(text)
    return verdict if masked == text else _rule_set().match(masked, alias=alias)


# Text-mode browsers (their product opens the user agent).
_TEXT_BROWSERS = r"(?:w3m|Lynx|E?Links)\b"
# Human clients in which ua-parser finds neither browser nor OS: game consoles and text-mode
# browsers.
_HUMAN_CLIENT = re.compile(rf"\((?:PlayStation|Nintendo)\b|^{_TEXT_BROWSERS}", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Client:
    browser: str | None = None
    browser_version: str | None = None
    os: str | None = None
    os_version: str | None = None


_NO_CLIENT = _Client()
_DOMAINS = ua_parser.Domain.USER_AGENT | ua_parser.Domain.OS


def _parse_client(text: str) -> _Client:
    """Browser and OS by ua-parser (the device domain is skipped: ``_device_type`` needs only
    the UA's own tokens, and parsing devices would cost a third more)."""
    if not text or len(text) > MAX_LENGTH:
        return _NO_CLIENT
    parsed = _resolver()(text, _DOMAINS)
    agent = parsed.user_agent if parsed.user_agent and parsed.user_agent.family != "Other" else None
    system = parsed.os if parsed.os and parsed.os.family != "Other" else None
    return _Client(
        browser=agent.family if agent else None,
        browser_version=_version(agent.major, agent.minor) if agent else None,
        os=_OS_NAMES.get(system.family, system.family) if system else None,
        os_version=_version(system.major, system.minor, system.patch) if system else None,
    )


# Browsers ua-parser does not name, named after their own product token.
_UNNAMED_BROWSER = re.compile(r"\b(w3m|NintendoBrowser)/(\d+)(?:\.(\d+))?")
# ua-parser's catch-all bot rule turns a phone model such as "Bot-S1", "Robot 2" or "Yeti" (the
# name of Naver's crawler) into the browser ("; Bot", "Robot", "Yeti"); without those words it
# finds the real browser.
_BOT_WORDS = re.compile(r"bot|spider|crawl|scraper|archiver|indexer|yeti", re.IGNORECASE)


def _repair_browser_name(text: str, client: _Client) -> _Client:
    """A human client's browser, named where ua-parser left it out or named it after a bot."""
    if client.browser is None:
        found = _UNNAMED_BROWSER.search(text)
        if found is None:
            return client
        return replace(client, browser=found[1], browser_version=_version(found[2], found[3]))
    if not _is_junk_browser(client.browser):
        return client
    reparsed = _parse_client(_BOT_WORDS.sub("x", text))
    if reparsed.browser is None or _is_junk_browser(reparsed.browser):
        return replace(client, browser=None, browser_version=None)
    return replace(client, browser=reparsed.browser, browser_version=reparsed.browser_version)


@functools.lru_cache(maxsize=1024)
def _is_junk_browser(family: str) -> bool:
    return not family[:1].isalnum() or _BOT_WORDS.search(family) is not None


def _version(*parts: str | None) -> str | None:
    present: list[str] = []
    for part in parts:
        if not part:
            break
        present.append(part)
    return ".".join(present) or None


_OS_NAMES = {"Mac OS X": "macOS"}
_PRODUCT = re.compile(r"([A-Za-z][\w.+-]{0,39})")

# --- device type ----------------------------------------------------------------------------

_TV = re.compile(r"SmartTV|SMART-TV|Smart TV|HbbTV|GoogleTV|Android TV|AppleTV|CrKey|BRAVIA|Web0S")
# Text-mode browsers run in a terminal on a computer.
_TEXT_BROWSER = re.compile(_TEXT_BROWSERS, re.IGNORECASE)
_MOBILE_OS = frozenset(
    {"iOS", "KaiOS", "BlackBerry OS", "Symbian OS", "Firefox OS", "Windows Phone"}
)
_DESKTOP_OS = frozenset(
    {"macOS", "Linux", "Ubuntu", "Chrome OS", "Fedora", "Debian", "FreeBSD", "OpenBSD",
     "NetBSD", "Red Hat", "SUSE", "Mint", "Gentoo", "Arch Linux", "Solaris"}
)  # fmt: skip


def _device_type(ua: str, os_name: str | None) -> DeviceType:
    """Device type of a human client, from the conventions browsers follow in their UA."""
    if "iPad" in ua or ("Macintosh" in ua and "Mobile/" in ua):
        # The second form is an iPad app's web view asking for desktop sites: macOS Safari
        # never sends a "Mobile/" token. iPad Safari in desktop mode cannot be told apart.
        return "tablet"
    if "iPhone" in ua or "iPod" in ua:
        return "mobile"
    if _TV.search(ua):
        return "unknown"
    if "Kindle" in ua or "Silk/" in ua or "; Tablet;" in ua or "PlayBook" in ua:
        return "tablet"
    if os_name == "Android" or "Android" in ua:
        # Opera Mobile and Opera Mini (Presto) mark phones with their own names.
        if "Mobile" in ua or "Opera Mobi" in ua or "Opera Mini" in ua:
            return "mobile"
        # Android browsers mark phones with "Mobile"; app HTTP stacks (Dalvik, …) never do.
        return "tablet" if ua.startswith("Mozilla/") else "unknown"
    if "Mobi" in ua or os_name in _MOBILE_OS:
        return "mobile"
    if os_name is not None and (
        os_name in _DESKTOP_OS or (os_name.startswith("Windows") and "CE" not in os_name)
    ):
        return "desktop"
    if "Windows NT" in ua or "Macintosh" in ua or "X11" in ua or _TEXT_BROWSER.match(ua):
        return "desktop"
    return "unknown"


# --- packaged data --------------------------------------------------------------------------


@functools.cache
def _resolver() -> ua_parser.Resolver:
    try:
        from ua_parser.regex import Resolver as RegexResolver
    except ImportError:  # ua-parser-rs missing: ua-parser's pure-Python resolver
        return ua_parser.BasicResolver(ua_parser.load_builtins())
    return RegexResolver(ua_parser.load_lazy_builtins())


def _crawler_list_rules() -> list[BotRule]:
    spec = importlib.util.find_spec("crawleruseragents")
    if spec is None or spec.origin is None:
        warnings.warn(
            "crawler-user-agents is not installed; bot detection uses its own tables only",
            RuntimeWarning,
            stacklevel=2,
        )
        return []
    # Read the JSON next to the package rather than importing it: its import parses the same
    # file into an untyped global we would not use.
    path = Path(spec.origin).parent / "crawler-user-agents.json"
    entries: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return [
        BotRule(
            entry["pattern"],
            CRAWLER_LIST_CATEGORIES.get(entry["pattern"])
            or category_for_tags(entry.get("tags", ())),
            None,
            "crawler list",
        )
        for entry in entries
        if isinstance(entry.get("pattern"), str)
    ]


@functools.cache
def _rule_set() -> RuleSet:
    return RuleSet((*AI_CRAWLER_RULES, *_crawler_list_rules(), *NAMED_BOT_RULES))


class RuleSet:
    """An ordered list of bot rules; ``match`` returns the verdict of the first that matches."""

    def __init__(self, rules: Sequence[BotRule], *, accelerated: bool = True) -> None:
        self.rules = tuple(rules)
        patterns = [rule.pattern for rule in self.rules]
        rust = _rust_first_match(patterns) if accelerated else None
        self.accelerated = rust is not None
        self._first_match = rust or _python_first_match(patterns)

    def match(self, ua: str, alias: str | None = None) -> BotVerdict | None:
        """The first matching rule's verdict; ``alias`` is ua-parser's name for the client."""
        index = self._first_match(ua)
        if index is None:
            return None
        rule = self.rules[index]
        if rule.name is not None:
            return rule.verdict(rule.name)
        found = _compiled(rule.pattern)
        hit = found.search(ua) if found is not None else None
        return rule.verdict(hit.group(0) if hit is not None else rule.pattern, alias)


FirstMatch: TypeAlias = Callable[[str], int | None]


def _rust_first_match(patterns: Sequence[str]) -> FirstMatch | None:
    """One Rust regex set over every pattern; it reports the lowest-numbered rule that matches.

    ua-parser-rs's extractor returns the first matching rule's "family"; each rule's family is
    its index.
    """
    try:
        import ua_parser_rs
    except ImportError:
        return None
    try:
        extractor = ua_parser_rs.UserAgentExtractor(
            (pattern, str(index), None, None, None, None) for index, pattern in enumerate(patterns)
        )
    except ValueError as exc:
        warnings.warn(
            f"bot rules not accepted by ua-parser-rs, using the slow matcher: {exc}",
            RuntimeWarning,
            stacklevel=2,
        )
        return None

    def first(ua: str) -> int | None:
        found = extractor.extract(ua)
        return None if found is None else int(found.family)

    return first


_CHUNK = 40


def _python_first_match(patterns: Sequence[str]) -> FirstMatch:
    """The same first-match semantics with ``re``: a combined pattern per chunk of rules finds
    the chunk, then its rules are tried in order."""
    compiled = [_compiled(pattern) for pattern in patterns]
    chunks: list[tuple[range, re.Pattern[str]]] = []
    for start in range(0, len(patterns), _CHUNK):
        span = range(start, min(start + _CHUNK, len(patterns)))
        valid = [f"(?:{patterns[i]})" for i in span if compiled[i] is not None]
        if valid:
            chunks.append((span, re.compile("|".join(valid))))

    def first(ua: str) -> int | None:
        for span, combined in chunks:
            if combined.search(ua):
                for index in span:
                    pattern = compiled[index]
                    if pattern is not None and pattern.search(ua):
                        return index
        return None

    return first


@functools.lru_cache(maxsize=4096)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None
