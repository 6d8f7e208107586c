"""Who visits: browsers with real user-agent strings, countries with cities and IP blocks,
and the traffic sources (referrers, UTM campaigns) they arrive from.

Shares are rough 2025 web figures; IP blocks are public ISP ranges of each country (never
private, documentation or cloud ranges: a test runs the datacenter detector over them).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Browser:
    """A real user agent and its share of visits. Browser, OS and device columns are what
    the user-agent classifier makes of ``user_agent``, as for live traffic."""

    weight: float
    device: str  # desktop, mobile, tablet (the classifier agrees; a test checks)
    user_agent: str


_WIN = "Windows NT 10.0; Win64; x64"
_MAC = "Macintosh; Intel Mac OS X 10_15_7"
_LINUX = "X11; Linux x86_64"
_ANDROID = "Linux; Android 10; K"
_WEBKIT = "AppleWebKit/537.36 (KHTML, like Gecko)"
_SAFARI_WEBKIT = "AppleWebKit/605.1.15 (KHTML, like Gecko)"


def _chrome(os_part: str, version: int, mobile: bool = False) -> str:
    suffix = "Mobile Safari/537.36" if mobile else "Safari/537.36"
    return f"Mozilla/5.0 ({os_part}) {_WEBKIT} Chrome/{version}.0.0.0 {suffix}"


def _firefox(os_part: str, version: int) -> str:
    return f"Mozilla/5.0 ({os_part}; rv:{version}.0) Gecko/20100101 Firefox/{version}.0"


def _safari(device_part: str, version: str) -> str:
    return (
        f"Mozilla/5.0 ({device_part}) {_SAFARI_WEBKIT} Version/{version} Mobile/15E148 Safari/604.1"
    )


_IPHONE = "iPhone; CPU iPhone OS 18_6 like Mac OS X"

BROWSERS: tuple[Browser, ...] = (
    # Desktop (~55%)
    Browser(13.0, "desktop", _chrome(_WIN, 141)),
    Browser(8.0, "desktop", _chrome(_WIN, 140)),
    Browser(3.0, "desktop", _chrome(_WIN, 139)),
    Browser(6.5, "desktop", _chrome(_MAC, 141)),
    Browser(3.5, "desktop", _chrome(_MAC, 140)),
    Browser(2.5, "desktop", _chrome(_LINUX, 141)),
    Browser(4.5, "desktop", f"Mozilla/5.0 ({_MAC}) {_SAFARI_WEBKIT} Version/26.0 Safari/605.1.15"),
    Browser(2.5, "desktop", f"Mozilla/5.0 ({_MAC}) {_SAFARI_WEBKIT} Version/18.6 Safari/605.1.15"),
    Browser(6.0, "desktop", f"{_chrome(_WIN, 141)} Edg/141.0.0.0"),
    Browser(2.5, "desktop", _firefox(_WIN, 143)),
    Browser(0.8, "desktop", _firefox("Macintosh; Intel Mac OS X 10.15", 143)),
    Browser(1.0, "desktop", _firefox(_LINUX, 144)),
    Browser(0.7, "desktop", f"{_chrome(_WIN, 140)} OPR/122.0.0.0"),
    # Mobile (~40%)
    Browser(10.0, "mobile", _safari(_IPHONE, "26.0")),
    Browser(7.0, "mobile", _safari(_IPHONE, "18.6")),
    Browser(15.0, "mobile", _chrome(_ANDROID, 141, mobile=True)),
    Browser(
        4.0,
        "mobile",
        "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like "
        "Gecko) SamsungBrowser/28.0 Chrome/130.0.0.0 Mobile Safari/537.36",
    ),
    Browser(
        3.0,
        "mobile",
        f"Mozilla/5.0 ({_IPHONE}) {_SAFARI_WEBKIT} CriOS/141.0.7390.96 Mobile/15E148 Safari/604.1",
    ),
    Browser(0.5, "mobile", "Mozilla/5.0 (Android 14; Mobile; rv:144.0) Gecko/144.0 Firefox/144.0"),
    Browser(0.5, "mobile", f"{_chrome(_ANDROID, 140, mobile=True)} OPR/91.0.0.0"),
    # Tablet (~5%)
    Browser(3.5, "tablet", _safari("iPad; CPU OS 18_6 like Mac OS X", "26.0")),
    Browser(1.5, "tablet", _chrome(_ANDROID, 141)),
)


@dataclass(frozen=True)
class Country:
    code: str
    share: float
    locales: tuple[tuple[str, float], ...]
    cities: tuple[tuple[str, str, float], ...]  # region, city, weight
    ip_blocks: tuple[str, ...]  # public /16 prefixes of the country's ISPs


COUNTRIES: tuple[Country, ...] = (
    Country("US", 31.0, (("en-US", 0.93), ("es-US", 0.07)),
            (("California", "San Francisco", 3), ("California", "Los Angeles", 2),
             ("New York", "New York", 3), ("Texas", "Austin", 1.5), ("Washington", "Seattle", 1.5),
             ("Illinois", "Chicago", 1.2), ("Massachusetts", "Boston", 1),
             ("Georgia", "Atlanta", 0.8), ("Colorado", "Denver", 0.7)),
            ("73.162", "98.207", "24.5", "71.190", "174.63", "68.46", "76.102", "107.77")),
    Country("IN", 11.0, (("en-IN", 0.8), ("hi-IN", 0.2)),
            (("Karnataka", "Bengaluru", 3), ("Maharashtra", "Mumbai", 2), ("Delhi", "New Delhi", 2),
             ("Telangana", "Hyderabad", 1.5), ("Tamil Nadu", "Chennai", 1),
             ("Maharashtra", "Pune", 1)),
            ("49.36", "106.51", "117.96", "122.171", "152.58", "223.185")),
    Country("DE", 7.0, (("de-DE", 0.85), ("en-US", 0.15)),
            (("Berlin", "Berlin", 3), ("Bavaria", "Munich", 2), ("Hamburg", "Hamburg", 1.2),
             ("Hesse", "Frankfurt am Main", 1), ("North Rhine-Westphalia", "Cologne", 1)),
            ("84.150", "91.64", "93.216", "79.210", "87.123", "178.4")),
    Country("GB", 7.0, (("en-GB", 1.0),),
            (("England", "London", 5), ("England", "Manchester", 1.2),
             ("Scotland", "Edinburgh", 0.8), ("England", "Bristol", 0.7),
             ("England", "Cambridge", 0.6)),
            ("81.98", "86.128", "92.40", "109.149", "82.132", "2.24")),
    Country("FR", 5.0, (("fr-FR", 0.9), ("en-US", 0.1)),
            (("Île-de-France", "Paris", 5), ("Auvergne-Rhône-Alpes", "Lyon", 1.2),
             ("Occitanie", "Toulouse", 0.8), ("Provence-Alpes-Côte d'Azur", "Marseille", 0.7)),
            ("90.63", "82.64", "86.246", "88.162", "176.132", "92.184")),
    Country("CA", 4.5, (("en-CA", 0.8), ("fr-CA", 0.2)),
            (("Ontario", "Toronto", 4), ("British Columbia", "Vancouver", 2),
             ("Quebec", "Montreal", 2), ("Alberta", "Calgary", 1)),
            ("99.228", "70.48", "142.112", "174.88", "24.114", "184.144")),
    Country("BR", 4.0, (("pt-BR", 1.0),),
            (("São Paulo", "São Paulo", 4), ("Rio de Janeiro", "Rio de Janeiro", 2),
             ("Minas Gerais", "Belo Horizonte", 1), ("Paraná", "Curitiba", 0.8)),
            ("177.34", "179.218", "189.6", "191.13", "201.82", "187.11")),
    Country("JP", 3.5, (("ja-JP", 0.95), ("en-US", 0.05)),
            (("Tokyo", "Tokyo", 5), ("Osaka", "Osaka", 2), ("Kanagawa", "Yokohama", 1),
             ("Fukuoka", "Fukuoka", 0.7)),
            ("126.15", "153.156", "110.4", "106.73", "60.112", "118.6")),
    Country("NL", 3.0, (("nl-NL", 0.7), ("en-US", 0.3)),
            (("North Holland", "Amsterdam", 4), ("South Holland", "Rotterdam", 1.5),
             ("Utrecht", "Utrecht", 1), ("North Brabant", "Eindhoven", 0.8)),
            ("77.163", "84.104", "145.53", "83.85", "94.208", "62.45")),
    Country("AU", 3.0, (("en-AU", 1.0),),
            (("New South Wales", "Sydney", 3), ("Victoria", "Melbourne", 2.5),
             ("Queensland", "Brisbane", 1)),
            ("1.120", "101.165", "110.174", "120.148", "58.96")),
    Country("ES", 2.5, (("es-ES", 0.9), ("ca-ES", 0.1)),
            (("Community of Madrid", "Madrid", 3), ("Catalonia", "Barcelona", 2.5),
             ("Valencian Community", "Valencia", 1)),
            ("83.44", "88.27", "79.109", "90.167")),
    Country("IT", 2.5, (("it-IT", 1.0),),
            (("Lombardy", "Milan", 3), ("Lazio", "Rome", 2.5), ("Piedmont", "Turin", 1)),
            ("79.12", "93.41", "151.38", "87.18")),
    Country("SE", 1.5, (("sv-SE", 0.7), ("en-US", 0.3)),
            (("Stockholm County", "Stockholm", 3), ("Västra Götaland", "Gothenburg", 1)),
            ("78.66", "83.248", "90.224", "213.64")),
    Country("PL", 1.5, (("pl-PL", 1.0),),
            (("Masovian Voivodeship", "Warsaw", 3), ("Lesser Poland Voivodeship", "Kraków", 1.5),
             ("Lower Silesian Voivodeship", "Wrocław", 1)),
            ("83.30", "89.64", "91.228", "178.36")),
    Country("SG", 1.5, (("en-SG", 1.0),), (("Singapore", "Singapore", 1),),
            ("116.14", "118.200", "121.7", "175.156")),
    Country("KR", 1.5, (("ko-KR", 1.0),),
            (("Seoul", "Seoul", 4), ("Gyeonggi-do", "Seongnam", 1), ("Busan", "Busan", 1)),
            ("211.36", "121.131", "175.192", "59.10")),
    Country("MX", 1.5, (("es-MX", 1.0),),
            (("Mexico City", "Mexico City", 3), ("Jalisco", "Guadalajara", 1),
             ("Nuevo León", "Monterrey", 1)),
            ("187.190", "189.203", "201.141", "177.224")),
)  # fmt: skip


@dataclass(frozen=True)
class Referrer:
    """One way in: the referring site, or none (direct, most email clients)."""

    channel: str  # search, social, ai_assistant, email, referral, direct
    weight: float
    url: str | None  # referrer URL; "{token}" is filled with a random short id
    source: str | None  # referrer host, lower-case, without www.
    landing: tuple[tuple[str, float], ...]  # landing sections
    utm: tuple[str, str, str] | None = None  # source, medium, campaign
    utm_share: float = 0.0  # share of visits carrying the UTM parameters


_DOCS_FIRST = (("docs", 45), ("blog", 25), ("home", 20), ("pricing", 5), ("agents", 5))
_BLOG_FIRST = (("blog", 65), ("home", 25), ("agents", 10))
_AI_FIRST = (("docs", 55), ("blog", 20), ("home", 15), ("pricing", 10))

REFERRERS: tuple[Referrer, ...] = (
    # Search (~38%)
    Referrer("search", 30.0, "https://www.google.com/", "google.com", _DOCS_FIRST,
             ("google", "cpc", "brand-search"), 0.08),
    Referrer("search", 3.5, "https://www.bing.com/", "bing.com", _DOCS_FIRST),
    Referrer("search", 2.8, "https://duckduckgo.com/", "duckduckgo.com", _DOCS_FIRST),
    Referrer("search", 0.9, "https://www.ecosia.org/", "ecosia.org", _DOCS_FIRST),
    Referrer("search", 0.8, "https://search.brave.com/", "search.brave.com", _DOCS_FIRST),
    # Direct (~22%)
    Referrer("direct", 22.0, None, None,
             (("home", 60), ("docs", 15), ("pricing", 10), ("blog", 5), ("auth", 10))),
    # Social (~14%)
    Referrer("social", 4.0, "https://t.co/{token}", "t.co", _BLOG_FIRST,
             ("twitter", "social", "launch-week"), 0.35),
    Referrer("social", 1.2, "https://x.com/", "x.com", _BLOG_FIRST),
    Referrer("social", 3.5, "https://www.linkedin.com/", "linkedin.com", _BLOG_FIRST,
             ("linkedin", "social", "launch-week"), 0.5),
    Referrer("social", 3.0, "https://www.reddit.com/r/LocalLLaMA/", "reddit.com", _BLOG_FIRST),
    Referrer("social", 2.3, "https://news.ycombinator.com/", "news.ycombinator.com",
             _BLOG_FIRST),
    # AI assistants (~9%); ChatGPT appends utm_source=chatgpt.com to the links it cites.
    Referrer("ai_assistant", 5.0, "https://chatgpt.com/", "chatgpt.com", _AI_FIRST,
             ("chatgpt.com", "", ""), 0.9),
    Referrer("ai_assistant", 1.8, "https://www.perplexity.ai/", "perplexity.ai", _AI_FIRST),
    Referrer("ai_assistant", 1.3, "https://claude.ai/", "claude.ai", _AI_FIRST),
    Referrer("ai_assistant", 0.9, "https://gemini.google.com/", "gemini.google.com", _AI_FIRST),
    # Email (~6%)
    Referrer("email", 4.2, None, None,
             (("blog", 50), ("marketing", 20), ("home", 15), ("agents", 15)),
             ("newsletter", "email", "weekly-digest"), 1.0),
    Referrer("email", 1.8, "https://mail.google.com/", "mail.google.com",
             (("blog", 50), ("marketing", 20), ("home", 15), ("agents", 15)),
             ("newsletter", "email", "product-update"), 1.0),
    # Referral (~11%)
    Referrer("referral", 4.0, "https://github.com/systemprompt/systemprompt-analytics",
             "github.com", (("docs", 50), ("home", 40), ("blog", 10))),
    Referrer("referral", 1.8, "https://dev.to/", "dev.to", _BLOG_FIRST),
    Referrer("referral", 1.6, "https://stackoverflow.com/questions/{token}", "stackoverflow.com",
             (("docs", 85), ("blog", 15))),
    Referrer("referral", 1.2, "https://medium.com/", "medium.com", _BLOG_FIRST),
    Referrer("referral", 1.2, "https://www.producthunt.com/products/systemprompt",
             "producthunt.com", (("home", 80), ("pricing", 20)),
             ("producthunt", "referral", "launch"), 0.6),
    Referrer("referral", 1.2, "https://modelcontextprotocol.io/clients", "modelcontextprotocol.io",
             (("docs", 70), ("home", 30))),
)  # fmt: skip

HACKER_NEWS = Referrer(
    "social", 0.0, "https://news.ycombinator.com/", "news.ycombinator.com", (("blog", 1),)
)

UTM_CONTENT = ("hero-cta", "footer-link", "sidebar", "post-image", "")
UTM_TERMS = ("ai analytics", "llm cost tracking", "mcp monitoring", "bot detection ai", "")
