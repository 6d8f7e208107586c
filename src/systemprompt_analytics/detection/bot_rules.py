"""The rules behind a user agent's bot verdict: categories, named-bot tables, malformed-UA
rules and the generic bot heuristics.

This module is data and small pure functions only. ``user_agents`` loads the packaged
crawler list, merges it with the tables here into one ordered rule set and runs it.

Rule patterns are written in the syntax that Python's ``re`` and Rust's ``regex`` crate
share (no look-around, case-insensitivity only as a scoped ``(?i:...)`` group), because
the rule set is matched by the ua-parser-rs accelerator when it is installed and by
``re`` otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class BotCategory(StrEnum):
    """Why an automated client visits. AI crawlers are bots with their own category."""

    SEARCH = "search"
    SEO = "seo"
    MONITORING = "monitoring"
    SOCIAL_PREVIEW = "social_preview"
    FEED_READER = "feed_reader"
    HTTP_LIBRARY = "http_library"
    HEADLESS = "headless"
    SCANNER = "scanner"
    AI_CRAWLER = "ai_crawler"
    MALFORMED = "malformed"
    OTHER_BOT = "other_bot"


@dataclass(frozen=True, slots=True)
class BotVerdict:
    """A user agent judged automated: its category, the bot's name if known, and why."""

    category: BotCategory
    name: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class BotRule:
    """One pattern of the ordered rule set; the first rule that matches decides.

    ``name`` None means "name the bot after the text the pattern matched".
    ``source`` starts the reason, e.g. "crawler list" gives "crawler list: Googlebot".
    """

    pattern: str
    category: BotCategory
    name: str | None
    source: str

    def verdict(self, matched_text: str, alias: str | None = None) -> BotVerdict:
        name = self.name or bot_name_from_match(matched_text, alias)
        return BotVerdict(self.category, name, f"{self.source}: {name}")


# crawler-user-agents tags, in the order used when an entry carries several.
TAG_CATEGORIES: dict[str, BotCategory] = {
    "ai-crawler": BotCategory.AI_CRAWLER,
    "scanner": BotCategory.SCANNER,
    "browser-automation": BotCategory.HEADLESS,
    "search-engine": BotCategory.SEARCH,
    "seo": BotCategory.SEO,
    "monitoring": BotCategory.MONITORING,
    "social-preview": BotCategory.SOCIAL_PREVIEW,
    "feed-reader": BotCategory.FEED_READER,
    "http-library": BotCategory.HTTP_LIBRARY,
}


def category_for_tags(tags: Iterable[str]) -> BotCategory:
    """The category of a crawler-list entry; advertising, archiver and academic are other_bot."""
    present = set(tags)
    for tag, category in TAG_CATEGORIES.items():
        if tag in present:
            return category
    return BotCategory.OTHER_BOT


def _word(name: str) -> str:
    """A case-insensitive whole-word pattern for a literal name ("." is the only metacharacter
    the names in this module use)."""
    return r"(?i:\b" + name.replace(".", r"\.") + r"\b)"


def _leading(name: str) -> str:
    """A case-insensitive pattern for a product token that opens the user agent."""
    return r"(?i:^" + name.replace(".", r"\.") + r"(?:[/ ;(]|$))"


# DESIGN.md section 7. Checked before everything else, so "Amazonbot" is an AI crawler although
# the crawler list calls it a search engine, and "Applebot-Extended" is not plain "Applebot".
AI_CRAWLER_NAMES: tuple[str, ...] = (
    "NotebookLM",
    "Gemini-Deep-Research",
    "ChatGPT-User",
    "OAI-SearchBot",
    "GPTBot",
    "PerplexityBot",
    "Perplexity-User",
    "ClaudeBot",
    "Claude-User",
    "Claude-Web",
    "anthropic-ai",
    "Applebot-Extended",
    "CCBot",
    "Bytespider",
    "Amazonbot",
    "YouBot",
    "Diffbot",
    "cohere-ai",
)

# Fetchers a person triggers through an AI product, like ChatGPT-User and Claude-User; the
# crawler list tags Meta's only as a social preview.
USER_TRIGGERED_AI_FETCHERS: tuple[str, ...] = ("meta-externalfetcher",)

AI_CRAWLER_RULES: tuple[BotRule, ...] = tuple(
    BotRule(_word(name), BotCategory.AI_CRAWLER, name, "AI crawler")
    for name in (*AI_CRAWLER_NAMES, *USER_TRIGGERED_AI_FETCHERS)
)


def _rules(
    category: BotCategory, source: str, entries: Iterable[tuple[str | None, str]]
) -> list[BotRule]:
    return [BotRule(pattern, category, name, source) for name, pattern in entries]


# Named bots the crawler list misses or spells case-sensitively (it has "dotbot", the bot sends
# "DotBot"). They run after the crawler list, whose entries and tags take precedence.
_SCANNERS = [
    (name, _word(name))
    for name in (
        "sqlmap", "Nikto", "Nmap", "zgrab", "masscan", "zmap", "Nuclei", "WPScan", "gobuster",
        "DirBuster", "dirb", "dirsearch", "feroxbuster", "wfuzz", "ffuf", "Nessus", "Acunetix",
        "OpenVAS", "w3af", "Arachni", "Netsparker", "Invicti", "skipfish", "commix", "WhatWeb",
        "ZmEu", "Morfeus", "Jorgee", "CensysInspect", "ProjectDiscovery",
    )
] + [("ffuf", r"Fuzz Faster U Fool")]  # fmt: skip
_HEADLESS = [
    (name, _word(name))
    for name in (
        "PhantomJS", "Puppeteer", "Playwright", "Selenium", "WebDriver", "SlimerJS", "CasperJS",
        "HtmlUnit", "jsdom",
    )
] + [("Cypress", r"\bCypress/")]  # fmt: skip
_HTTP_LIBRARIES = [
    (name, _word(name))
    for name in (
        "python-requests", "python-urllib", "python-httpx", "aiohttp", "urllib3", "PycURL",
        "libcurl", "Go-http-client", "node-fetch", "undici", "axios", "superagent", "okhttp",
        "Apache-HttpClient", "Apache-HttpAsyncClient", "Java-http-client",
        "Jakarta Commons-HttpClient", "libwww-perl", "WindowsPowerShell", "PowerShell",
        "LWP::Simple", "Mojolicious", "GuzzleHttp", "rest-client", "Typhoeus", "Faraday",
        "RestSharp", "PostmanRuntime", "HTTPie", "reqwest", "fasthttp", "Scrapy",
        "colly", "WinHttp", "HTTrack",
    )
] + [
    (name, _leading(name))
    for name in (
        "curl", "Wget", "Python", "Java", "Ruby", "PHP", "Perl", "Dart", "node", "Deno", "Bun",
        "got", "hyper", "http.rb", "Mechanize", "lwp-request", "insomnia", "ureq",
    )
]  # fmt: skip
_SEARCH = [
    (name, _word(name))
    for name in (
        "Googlebot", "bingbot", "Applebot", "DuckDuckBot", "YandexBot", "Baiduspider",
        "SeznamBot", "Qwantbot", "PetalBot", "Sogou web spider", "MojeekBot",
    )
]  # fmt: skip
_SEO = [
    (name, _word(name))
    for name in (
        "AhrefsBot", "SemrushBot", "MJ12bot", "DotBot", "BLEXBot", "DataForSeoBot",
        "serpstatbot", "Screaming Frog SEO Spider", "rogerbot", "Barkrowler", "SiteAuditBot",
        "MegaIndex", "Sitebulb", "linkdexbot",
    )
]  # fmt: skip
_MONITORING = [
    (name, _word(name))
    for name in (
        "UptimeRobot", "Pingdom", "StatusCake", "Datadog", "Site24x7", "NewRelicPinger",
        "Better Uptime", "Uptime-Kuma", "Checkly", "kube-probe", "ELB-HealthChecker", "GoogleHC",
        "Amazon-Route53-Health-Check-Service", "Consul Health Check", "Blackbox Exporter",
        "Nagios", "Icinga", "Zabbix", "HetrixTools", "Freshping",
    )
]  # fmt: skip
_SOCIAL_PREVIEW = [
    (name, _word(name))
    for name in (
        "facebookexternalhit", "Facebot", "meta-externalhit", "Twitterbot", "Slackbot",
        "LinkedInBot", "Discordbot", "TelegramBot", "Pinterestbot", "redditbot", "Embedly",
        "Iframely", "SkypeUriPreview", "vkShare", "Mastodon", "Cardyb",
    )
] + [("WhatsApp", _leading("WhatsApp"))]  # fmt: skip
_FEED_READERS = [
    (name, _word(name))
    for name in (
        "Feedly", "Feedbin", "NewsBlur", "Inoreader", "FreshRSS", "Miniflux", "Tiny Tiny RSS",
        "FeedBurner", "Feedfetcher-Google", "NetNewsWire", "Feedspot", "Superfeedr",
    )
]  # fmt: skip

NAMED_BOT_RULES: tuple[BotRule, ...] = (
    *_rules(BotCategory.SCANNER, "scanner", _SCANNERS),
    *_rules(BotCategory.HEADLESS, "headless browser", [(None, r"Headless[A-Za-z]*")]),
    *_rules(BotCategory.HEADLESS, "browser automation", _HEADLESS),
    *_rules(BotCategory.SOCIAL_PREVIEW, "social preview", _SOCIAL_PREVIEW),
    *_rules(BotCategory.SEARCH, "search engine", _SEARCH),
    *_rules(BotCategory.SEO, "SEO tool", _SEO),
    *_rules(BotCategory.MONITORING, "monitoring", _MONITORING),
    *_rules(BotCategory.FEED_READER, "feed reader", _FEED_READERS),
    *_rules(BotCategory.HTTP_LIBRARY, "HTTP library", _HTTP_LIBRARIES),
)


_NAME_EDGES = " \t/;:,()[]{}+=-_.'\"!#&|$^*?\\"
_MAX_NAME = 40


_BOTLIKE = re.compile(r"bot|spider|crawl", re.IGNORECASE)


def bot_name_from_match(text: str, alias: str | None = None) -> str:
    """A display name from the text a crawler-list pattern matched ("Googlebot/" → "Googlebot").

    ``alias`` is ua-parser's name for the client; it wins when it spells the same bot better
    ("dotbot" → "DotBot") or when the pattern matched a URL ("yandex.com/bots" → "YandexBot").
    """
    name = text.strip(_NAME_EDGES)
    if len(name) > _MAX_NAME:
        name = name.split()[0][:_MAX_NAME].strip(_NAME_EDGES)
    if alias and name:
        if name.lower() in alias.lower():
            return alias
        if ("/" in name or "." in name) and _BOTLIKE.search(alias):
            return alias
    return name or text.strip() or "unnamed bot"


# Products of real browsers and apps that crawler-list substrings read as crawlers: Sogou's
# mobile browser and search app ("Sogou"), Slack's desktop app ("Sonic", Slack's client
# codename), Viber's and WhatsApp's in-app browsers, which append "Viber/<version>" or
# "WhatsApp/<version>" to a browser's UA (bare or leading "Viber" and "WhatsApp" are their link
# previews), desktop apps built on Electron, whose UA puts the app's product before
# "Chrome/… Electron/…" (WhatsApp's; Notion's, against the "Notion/" of its link preview), and a
# phone model "Yeti" in an Android device comment (Naver's crawler sends "Yeti/<version>").
# Blanked before the rules run again, so a crawler's own token elsewhere in the string still
# counts.
_HUMAN_PRODUCTS = re.compile(
    r"\bSogou(?:MSE|MobileBrowser|Search)\b"
    r"|\bSonic(?= Slack_SSB/)"
    r"|(?:(?<=Safari/537\.36 )|(?<=Safari/604\.1 )|(?<=Mobile/15E148 ))(?:Viber|WhatsApp)(?=/\d)"
    r"|\b(?:WhatsApp|Notion)(?=/[\d.]+ Chrome/[\d.]+ Electron/)"
    r"|(?<=; )Yeti(?= Build/|\))"
)
_HUMAN_PRODUCT_HINTS = ("Sogou", "Sonic", "Viber", "WhatsApp", "Notion", "Yeti")


def without_human_products(ua: str) -> str:
    """``ua`` with the browser and app products that named-bot rules misread blanked out."""
    if not any(hint in ua for hint in _HUMAN_PRODUCT_HINTS):
        return ua  # the common case, spared the look-behinds' cost (~20 µs a string)
    return _HUMAN_PRODUCTS.sub("", ua)


# Crawler-list entries whose tag gives the wrong category. Google-Read-Aloud, tagged a search
# engine, is one of Google's user-triggered fetchers: it reads a page aloud (text-to-speech) at
# a person's request, indexes nothing, and no browser renders the page, so it is a bot but not
# a search crawler.
CRAWLER_LIST_CATEGORIES: dict[str, BotCategory] = {
    "Google-Read-Aloud": BotCategory.OTHER_BOT,
}


# --- malformed user agents ---------------------------------------------------------------

MIN_LENGTH = 10
MAX_LENGTH = 2048  # no browser sends more than ~1 KB; longer is junk or an attack
PLACEHOLDERS = frozenset(
    {
        "-", "--", "_", ".", "null", "(null)", "nil", "none", "undefined", "unknown", "n/a", "na",
        "empty", "default", "user-agent", "useragent", "user_agent", "mozilla", "mozilla/5.0",
        '""', "''", "[]", "{}",
    }
)  # fmt: skip
_LONGEST_PLACEHOLDER = max(map(len, PLACEHOLDERS))
_TEMPLATE = re.compile(
    r"\{\{[^{}]*\}\}"  # {{ua}}
    r"|\$\{[^{}]*\}"  # ${ua}
    r"|\{[A-Za-z_][A-Za-z0-9_.-]*\}"  # {USER_AGENT}
    r"|<%.*?%>"  # <%= ua %>
    r"|%([A-Za-z_][A-Za-z0-9_]*)%"  # %USER_AGENT% (but not URL escapes such as %EF%)
    r"|^\$[A-Za-z_][A-Za-z0-9_]*$"  # $http_user_agent
)
_HEX_PAIR = re.compile(r"[0-9A-Fa-f]{2}")
# Control characters, and lone surrogates (from surrogate-escaped bytes) that no encoder and
# no regex engine outside Python accepts.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\ud800-\udfff]")
_LETTER = re.compile(r"[A-Za-z]")


def malformed_reason(ua: str) -> str | None:
    """Why a user agent is broken beyond naming any client (checked before the bot rules):
    empty, control characters, a placeholder, an unrendered template, oversized."""
    text = ua.strip()
    if not text:
        return "empty user agent"
    if len(text) > MAX_LENGTH:
        return f"too long ({len(text)} characters)"
    # The str-method pre-checks keep the regexes off the path of ordinary user agents.
    if not text.isprintable() and _CONTROL.search(text):
        return "non-printable characters in user agent"
    if len(text) <= _LONGEST_PLACEHOLDER and text.lower() in PLACEHOLDERS:
        return f"placeholder user agent: {text}"
    if not ("{" in text or "%" in text or "$" in text or "<" in text):
        return None
    for match in _TEMPLATE.finditer(text):
        percent_name = match.group(1)
        if percent_name is None or not _HEX_PAIR.fullmatch(percent_name):
            return f"unrendered template: {match.group(0)[:_MAX_NAME]}"
    return None


def malformed_shape_reason(ua: str) -> str | None:
    """Why a user agent no known bot rule named is malformed by its shape (checked after the
    rules, so that "Zabbix" is the monitoring bot rather than a too-short string)."""
    text = ua.strip()
    if len(text) < MIN_LENGTH:
        return f"too short ({len(text)} characters)"
    if not _LETTER.search(text):
        return "no letters in user agent"
    return None


# --- generic heuristics (after the named rules found nothing) -----------------------------

# Where phones name their maker and model, which may contain "bot" (Cubot, "Bot-S1", "Robot 2"):
# Android comments ("(Linux; Android 11; NOTE 20 PRO Build/…)", UC Browser's "(…; Adr 9; …)"),
# the device comment Instagram appends ("Android (30/11; 320dpi; …; Cubot; NOTE 20 PRO; …)"),
# Facebook's maker, brand and model fields ("FBMF/Cubot;FBBD/Cubot;FBDV/…") and, anywhere, the
# maker's name Cubot on its own ("CubotBot" stays a bot). A crawler's own comment elsewhere in
# the string still counts. Each branch opens with a literal so that ``re`` skips ahead to
# candidates instead of trying every branch at every offset (about 3x faster).
_DEVICE_FIELDS = re.compile(
    r"\((?:[^()]*[ ;])?(?:Android|Adr)\b[^()]*\)"
    r"|Android \([^()]*\)"
    r"|FB(?:MF|BD|DV)/[^;\]]*"
    r"|[Cc](?:ubot|UBOT)(?![A-Za-z])"
)
_BOT_WORD = re.compile(r"(robot|bot|crawler|spider|scraper|fetcher|preview)s?(?![a-z])", re.I)
# Only these spellings count when glued to a preceding word: "FooBot", "foobot", "Foo_Crawler";
# an all-caps glued "BOT" is a product name (CUBOT phones), not a bot.
_SUFFIX_SPELLINGS = frozenset(
    {"bot", "Bot", "crawler", "Crawler", "spider", "Spider", "scraper", "Scraper", "fetcher",
     "Fetcher", "robot", "Robot"}
)  # fmt: skip
# Names and words that merely end in "bot" ("Talbot", "Abbot"); the CamelCase "TalBot" still
# counts.
_NOT_BOT_WORDS = frozenset({"Abbot", "Sabot", "Talbot"})
# Browser products after which a bare trailing "Preview" marks a browser build, not a link
# previewer ("… Mobile Safari/537.36 Preview").
_BROWSER_PRODUCTS = frozenset({"Safari", "Chrome", "Firefox", "Edg", "OPR"})
_KEYWORDS = ("bot", "crawl", "spider", "scraper", "fetcher", "preview", "http", "www.", "@")
# The e-mail part anchors on "@" so a long run of word characters cannot make it backtrack.
_URL_OR_EMAIL = re.compile(r"https?://|\bwww\.|\+http|\w@[\w-]+\.[A-Za-z]{2,}")
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


def _token_around(text: str, start: int, end: int) -> str:
    left = start
    while left > 0 and start - left < _MAX_NAME and text[left - 1] in _TOKEN_CHARS:
        left -= 1
    right = end
    while right < len(text) and right - end < _MAX_NAME and text[right] in _TOKEN_CHARS:
        right += 1
    return text[left:right].strip("._-")


def _word_before(text: str, start: int, keyword: str) -> bool:
    """Whether the glued keyword at ``start`` ends one of the words in ``_NOT_BOT_WORDS``."""
    left = start
    while left > 0 and start - left < _MAX_NAME and text[left - 1].isalpha():
        left -= 1
    return text[left:start] + keyword in _NOT_BOT_WORDS


def _after_browser(text: str, start: int) -> bool:
    """Whether the word at ``start`` directly follows a browser's "Product/<version>" token."""
    product, _, version = text[:start].rstrip().rpartition(" ")[2].partition("/")
    return product in _BROWSER_PRODUCTS and version[:1].isdigit()


def generic_bot(ua: str) -> BotVerdict | None:
    """Bot keywords ("bot", "crawler", "spider", … as whole words or CamelCase suffixes) and
    an advertised URL or e-mail address, which browsers never send."""
    lowered = ua.lower()
    if not any(keyword in lowered for keyword in _KEYWORDS):
        return None
    text = _DEVICE_FIELDS.sub("()", ua)
    for match in _BOT_WORD.finditer(text):
        start = match.start()
        keyword = match.group(1)
        glued = start > 0 and text[start - 1].isalnum()
        if glued and (keyword not in _SUFFIX_SPELLINGS or _word_before(text, start, keyword)):
            continue
        if keyword == "Preview" and match.end() == len(text) and _after_browser(text, start):
            continue
        token = _token_around(text, start, match.end())
        return BotVerdict(BotCategory.OTHER_BOT, token, f"bot keyword in user agent: {token}")
    if _URL_OR_EMAIL.search(text):
        return BotVerdict(
            BotCategory.OTHER_BOT, None, "user agent advertises a URL or e-mail address"
        )
    return None
