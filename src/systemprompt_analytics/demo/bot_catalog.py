"""The automated visitors of the demo site: crawlers, AI crawlers, SEO tools, HTTP
libraries, vulnerability scanners and headless browsers, with their real user agents and
the networks they come from.

Bot name, category and reason come from the user-agent classifier where it recognises the
agent (as for live traffic); ``reason`` here explains the rest (scanners with a spoofed
browser, the behavioural crawler). Whether an address is a datacenter's comes from the
datacenter detector, not from this catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BotKind:
    name: str
    category: str  # search, ai_crawler, seo, http_library, scanner, headless
    weight: float  # share of the bot sessions of its category
    user_agents: tuple[str, ...]
    ip_blocks: tuple[str, ...]  # /16 prefixes
    country: str  # where its IP blocks are registered
    requests: tuple[int, int]  # per session, inclusive
    gap_seconds: tuple[float, float]  # between requests
    instances: int  # distinct fingerprints the bot shows up with
    reason: str


# Shares of all bot sessions per category; the headless crawlers are scheduled separately.
CATEGORY_SHARES = (
    ("search", 0.28),
    ("ai_crawler", 0.30),
    ("seo", 0.10),
    ("http_library", 0.16),
    ("scanner", 0.16),
)

_CRAWLERS_LIST = "crawler-user-agents"

BOT_KINDS: tuple[BotKind, ...] = (
    BotKind("Googlebot", "search", 45,
            ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
             "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 "
             "(KHTML, like Gecko) Chrome/141.0.7390.122 Mobile Safari/537.36 (compatible; "
             "Googlebot/2.1; +http://www.google.com/bot.html)"),
            ("66.249",), "US", (2, 25), (4.0, 90.0), 6,
            f"user agent matches Googlebot ({_CRAWLERS_LIST})"),
    BotKind("Bingbot", "search", 22,
            ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; "
             "+http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",),
            ("157.55", "207.46", "40.77"), "US", (2, 18), (5.0, 120.0), 4,
            f"user agent matches bingbot ({_CRAWLERS_LIST})"),
    BotKind("DuckDuckBot", "search", 6,
            ("DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",),
            ("20.191",), "US", (1, 8), (10.0, 200.0), 2,
            f"user agent matches DuckDuckBot ({_CRAWLERS_LIST})"),
    BotKind("YandexBot", "search", 8,
            ("Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",),
            ("5.255", "213.180"), "RU", (2, 20), (5.0, 90.0), 2,
            f"user agent matches YandexBot ({_CRAWLERS_LIST})"),
    BotKind("Applebot", "search", 8,
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like "
             "Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; "
             "+http://www.apple.com/go/applebot)",),
            ("17.241", "17.22"), "US", (1, 12), (10.0, 120.0), 2,
            f"user agent matches Applebot ({_CRAWLERS_LIST})"),
    BotKind("Baiduspider", "search", 5,
            ("Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",),
            ("116.179", "220.181"), "CN", (1, 10), (10.0, 200.0), 2,
            f"user agent matches Baiduspider ({_CRAWLERS_LIST})"),
    BotKind("GPTBot", "ai_crawler", 22,
            ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; "
             "+https://openai.com/gptbot)",),
            ("20.171", "52.230"), "US", (3, 30), (1.0, 20.0), 4,
            f"AI crawler: user agent matches GPTBot ({_CRAWLERS_LIST}, tag ai)"),
    BotKind("ChatGPT-User", "ai_crawler", 12,
            ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; ChatGPT-User/1.0; "
             "+https://openai.com/bot",),
            ("23.98", "40.84"), "US", (1, 3), (0.5, 4.0), 6,
            f"AI crawler: user agent matches ChatGPT-User ({_CRAWLERS_LIST}, tag ai)"),
    BotKind("OAI-SearchBot", "ai_crawler", 6,
            ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; OAI-SearchBot/1.0; "
             "+https://openai.com/searchbot",),
            ("20.42",), "US", (1, 12), (2.0, 30.0), 2,
            f"AI crawler: user agent matches OAI-SearchBot ({_CRAWLERS_LIST}, tag ai)"),
    BotKind("ClaudeBot", "ai_crawler", 16,
            ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; "
             "+claudebot@anthropic.com)",),
            ("216.73",), "US", (3, 25), (1.0, 15.0), 3,
            f"AI crawler: user agent matches ClaudeBot ({_CRAWLERS_LIST}, tag ai)"),
    BotKind("Claude-User", "ai_crawler", 5,
            ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Claude-User/1.0; "
             "+Claude-User@anthropic.com)",),
            ("216.73",), "US", (1, 3), (0.5, 4.0), 3,
            f"AI crawler: user agent matches Claude-User ({_CRAWLERS_LIST}, tag ai)"),
    BotKind("PerplexityBot", "ai_crawler", 10,
            ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; PerplexityBot/1.0; "
             "+https://perplexity.ai/perplexitybot)",),
            ("44.221", "3.224"), "US", (2, 15), (1.0, 30.0), 3,
            f"AI crawler: user agent matches PerplexityBot ({_CRAWLERS_LIST}, tag ai)"),
    BotKind("CCBot", "ai_crawler", 8,
            ("CCBot/2.0 (https://commoncrawl.org/faq/)",),
            ("18.97",), "US", (3, 30), (2.0, 20.0), 2,
            f"AI crawler: user agent matches CCBot ({_CRAWLERS_LIST}, tag ai)"),
    BotKind("Bytespider", "ai_crawler", 9,
            ("Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile "
             "Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)",),
            ("47.128", "110.249"), "SG", (5, 40), (0.5, 6.0), 5,
            f"AI crawler: user agent matches Bytespider ({_CRAWLERS_LIST}, tag ai)"),
    BotKind("Amazonbot", "ai_crawler", 7,
            ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Amazonbot/0.1; "
             "+https://developer.amazon.com/support/amazonbot) Chrome/119.0.6045.214 "
             "Safari/537.36",),
            ("52.70", "3.224"), "US", (2, 20), (2.0, 40.0), 3,
            f"AI crawler: user agent matches Amazonbot ({_CRAWLERS_LIST}, tag ai)"),
    BotKind("meta-externalagent", "ai_crawler", 5,
            ("meta-externalagent/1.1 (+https://developers.facebook.com/docs/sharing/webmasters/"
             "crawler)",),
            ("57.141", "173.252"), "US", (2, 25), (1.0, 20.0), 2,
            f"AI crawler: user agent matches meta-externalagent ({_CRAWLERS_LIST}, tag ai)"),
    BotKind("AhrefsBot", "seo", 45,
            ("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",),
            ("54.36", "5.39"), "FR", (3, 25), (3.0, 60.0), 3,
            f"user agent matches AhrefsBot ({_CRAWLERS_LIST})"),
    BotKind("SemrushBot", "seo", 35,
            ("Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",),
            ("185.191",), "US", (3, 25), (3.0, 60.0), 3,
            f"user agent matches SemrushBot ({_CRAWLERS_LIST})"),
    BotKind("MJ12bot", "seo", 10,
            ("Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)",),
            ("207.244",), "GB", (2, 15), (5.0, 90.0), 2,
            f"user agent matches MJ12bot ({_CRAWLERS_LIST})"),
    BotKind("DotBot", "seo", 10,
            ("Mozilla/5.0 (compatible; DotBot/1.2; +https://opensiteexplorer.org/dotbot; "
             "help@moz.com)",),
            ("216.244",), "US", (2, 15), (5.0, 90.0), 1,
            f"user agent matches DotBot ({_CRAWLERS_LIST})"),
    BotKind("python-requests", "http_library", 35,
            ("python-requests/2.32.3", "python-requests/2.31.0"),
            ("3.85", "18.209", "34.201", "52.14"), "US", (1, 20), (0.2, 10.0), 12,
            "user agent is an HTTP library (python-requests)"),
    BotKind("curl", "http_library", 25,
            ("curl/8.5.0", "curl/7.81.0", "curl/8.7.1"),
            ("104.248", "159.65", "167.172", "116.203"), "DE", (1, 6), (0.5, 30.0), 10,
            "user agent is an HTTP library (curl)"),
    BotKind("Go-http-client", "http_library", 20,
            ("Go-http-client/1.1", "Go-http-client/2.0"),
            ("34.82", "35.185", "49.12"), "US", (1, 15), (0.2, 5.0), 6,
            "user agent is an HTTP library (Go-http-client)"),
    BotKind("axios", "http_library", 12,
            ("axios/1.7.7", "axios/1.12.2"),
            ("3.85", "52.14", "159.65"), "US", (1, 10), (0.2, 8.0), 5,
            "user agent is an HTTP library (axios)"),
    BotKind("python-httpx", "http_library", 8,
            ("python-httpx/0.27.2", "python-httpx/0.28.1"),
            ("18.209", "34.201"), "US", (1, 10), (0.2, 8.0), 4,
            "user agent is an HTTP library (python-httpx)"),
    BotKind("zgrab", "scanner", 18,
            ("Mozilla/5.0 zgrab/0.x",),
            ("167.94", "162.142"), "US", (4, 20), (0.1, 3.0), 4,
            "scanner: user agent zgrab; probes for exposed admin and config paths"),
    BotKind("CensysInspect", "scanner", 10,
            ("Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)",),
            ("167.94", "162.142"), "US", (2, 6), (0.5, 3.0), 3,
            "scanner: user agent CensysInspect; internet-wide scanning"),
    BotKind("Nuclei", "scanner", 14,
            ("Mozilla/5.0 (compatible; Nuclei - Open-source project "
             "(github.com/projectdiscovery/nuclei))",),
            ("138.68", "164.92", "178.128"), "NL", (15, 70), (0.05, 1.0), 4,
            "scanner: user agent Nuclei; template-driven vulnerability probes"),
    BotKind("sqlmap", "scanner", 6,
            ("sqlmap/1.8.4#stable (https://sqlmap.org)",),
            ("51.254", "141.94"), "FR", (10, 50), (0.05, 1.0), 2,
            "scanner: user agent sqlmap; SQL injection probes"),
    BotKind("WPScan", "scanner", 10,
            ("WPScan v3.8.27 (https://wpscan.com/wordpress-security-scanner)",),
            ("45.79", "172.105"), "US", (10, 40), (0.05, 1.0), 3,
            "scanner: user agent WPScan; WordPress probes"),
    BotKind("Nikto", "scanner", 6,
            ("Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:Port Check)",),
            ("43.153", "43.130"), "SG", (15, 60), (0.05, 0.8), 2,
            "scanner: user agent Nikto; web server probes"),
    BotKind("unknown scanner (browser user agent)", "scanner", 36,
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/78.0.3904.108 Safari/537.36",
             "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/81.0.4044.129 Safari/537.36",
             "Mozilla/5.0 (Windows NT 6.1; Win64; x64; rv:68.0) Gecko/20100101 Firefox/68.0"),
            ("185.220", "45.95", "193.142", "47.236"), "DE", (5, 30), (0.1, 2.0), 10,
            "scanner: requests for exposed secrets and admin paths (browser user agent "
            "spoofed), mostly 404"),
)  # fmt: skip

HEADLESS_CRAWLER = BotKind(
    "HeadlessChrome", "headless", 0,
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "HeadlessChrome/88.0.4324.150 Safari/537.36",),
    ("3.238", "54.170"), "IE", (0, 0), (2.0, 2.0), 1,
    "headless browser (HeadlessChrome)",
)  # fmt: skip

STEALTH_CRAWLER = BotKind(
    "Unknown crawler (spoofed Chrome 87)", "headless", 0,
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/87.0.4280.88 Safari/537.36",),
    ("95.216", "65.108"), "FI", (0, 0), (6.0, 6.0), 1,
    "behaviour: a browser user agent that crawls like a bot",
)  # fmt: skip

SCANNER_PROBES: tuple[tuple[str, str], ...] = (
    ("GET", "/wp-login.php"),
    ("GET", "/wp-admin/"),
    ("POST", "/xmlrpc.php"),
    ("GET", "/wp-content/plugins/revslider/temp/update_extract/revslider/"),
    ("GET", "/wp-includes/wlwmanifest.xml"),
    ("GET", "/.env"),
    ("GET", "/.env.production"),
    ("GET", "/api/.env"),
    ("GET", "/.git/config"),
    ("GET", "/.git/HEAD"),
    ("GET", "/.aws/credentials"),
    ("GET", "/.DS_Store"),
    ("GET", "/.vscode/sftp.json"),
    ("GET", "/config.json"),
    ("GET", "/backup.zip"),
    ("GET", "/phpmyadmin/"),
    ("GET", "/pma/"),
    ("GET", "/admin/"),
    ("GET", "/administrator/"),
    ("GET", "/server-status"),
    ("GET", "/actuator/env"),
    ("GET", "/actuator/health"),
    ("GET", "/cgi-bin/luci/;stok=/locale"),
    ("POST", "/cgi-bin/.%2e/.%2e/.%2e/.%2e/bin/sh"),
    ("POST", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php"),
    ("POST", "/_ignition/execute-solution"),
    ("GET", "/telescope/requests"),
    ("GET", "/owa/auth/logon.aspx"),
    ("GET", "/solr/admin/info/system"),
    ("GET", "/manager/html"),
    ("GET", "/HNAP1/"),
    ("GET", "/boaform/admin/formLogin"),
    ("GET", "/?XDEBUG_SESSION_START=phpstorm"),
    ("GET", "/index.php?s=/Index/\\think\\app/invokefunction"),
    ("GET", "/login.action"),
    ("GET", "/debug/default/view"),
)

# Blocked by the edge rules rather than missing.
FORBIDDEN_PROBES = frozenset({"/.env", "/.git/config", "/.git/HEAD", "/.aws/credentials"})

CRAWLER_EXTRAS = ("/robots.txt", "/sitemap.xml")
AI_CRAWLER_EXTRAS = ("/robots.txt", "/llms.txt", "/llms-full.txt", "/sitemap.xml")
FEEDS = ("/feed.xml",)
HTTP_LIBRARY_PATHS = (
    ("GET", "/", "page", 200),
    ("GET", "/pricing", "page", 200),
    ("GET", "/docs/api-reference", "page", 200),
    ("GET", "/feed.xml", "asset", 200),
    ("GET", "/api/v1/health", "api", 200),
    ("GET", "/api/v1/models", "api", 401),
    ("POST", "/api/v1/chat", "api", 401),
    ("GET", "/api/v1/agents", "api", 401),
)

# Stale URLs crawlers keep requesting.
BROKEN_PATHS_FOR_BOTS = (
    "/docs/v1/quickstart",
    "/blog/2023/launch",
    "/docs/api/v1/events",
    "/wp-sitemap.xml",
    "/blog/feed",
)
