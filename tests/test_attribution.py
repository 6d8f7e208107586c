"""UTM parameters, locale, referrer source and channel."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from systemprompt_analytics.ingest import attribution
from systemprompt_analytics.ingest.attribution import (
    CHANNELS,
    DIRECT,
    LOCALE_MAX_LENGTH,
    REFERRER_URL_MAX_LENGTH,
    UTM_MAX_LENGTH,
    Referrer,
    Utm,
    classify_referrer,
    clean_text,
    host_channel,
    parse_locale,
    parse_utm,
)

SITE = frozenset({"example.com"})

# ----------------------------------------------------------------------------------------
# UTM
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", Utm()),
        ("a=1&b=2", Utm()),
        ("utm_source=google", Utm(source="google")),
        ("?utm_source=google", Utm(source="google")),
        (
            "utm_source=news&utm_medium=email&utm_campaign=launch&utm_content=hero&utm_term=ai",
            Utm(source="news", medium="email", campaign="launch", content="hero", term="ai"),
        ),
        ("utm_campaign=spring+sale", Utm(campaign="spring sale")),
        ("utm_campaign=spring%20sale%21", Utm(campaign="spring sale!")),
        ("utm_campaign=caf%C3%A9", Utm(campaign="café")),
        ("utm_campaign=%E2%9C%93", Utm(campaign="✓")),
        ("utm_campaign=%ZZbad%", Utm(campaign="%ZZbad%")),
        ("utm_campaign=%FF", Utm(campaign="\ufffd")),
        ("utm_source=a&utm_source=b", Utm(source="a")),
        ("utm_source=&utm_source=b", Utm(source="b")),
        ("utm_source=%20%20", Utm()),
        ("UTM_Source=Google", Utm(source="Google")),
        ("utm%5Fsource=encoded-key", Utm(source="encoded-key")),
        ("utm_source", Utm()),
        ("utm_source=a=b", Utm(source="a=b")),
        ("utm_source=x%00y%0Az", Utm(source="xy z")),
        ("utm_source=%09tabbed%09", Utm(source="tabbed")),
        ("utm_sourcex=1&xutm_source=2", Utm()),
        ("utm_id=42&utm_source_platform=x", Utm()),
        ("q=utm_source%3Dfake", Utm()),
        ("utm_source=a;utm_medium=b", Utm(source="a;utm_medium=b")),
        ("&&utm_medium=cpc&&", Utm(medium="cpc")),
    ],
)
def test_parse_utm(query: str, expected: Utm) -> None:
    assert parse_utm(query) == expected


def test_over_long_utm_values_are_truncated_not_rejected() -> None:
    utm = parse_utm("utm_campaign=" + "x" * 1000 + "&utm_source=" + "%C3%A9" * 400)
    assert utm.campaign == "x" * UTM_MAX_LENGTH
    assert utm.source == "é" * UTM_MAX_LENGTH


def test_a_huge_query_string_is_parsed_within_bounds() -> None:
    query = "utm_source=big&" + "pad=" + "y" * 200_000
    assert parse_utm(query) == Utm(source="big")


def test_utm_is_empty() -> None:
    assert Utm().is_empty
    assert not Utm(term="x").is_empty


@given(st.text(max_size=400))
def test_parse_utm_never_raises_and_respects_the_limit(query: str) -> None:
    utm = parse_utm(query)
    for value in (utm.source, utm.medium, utm.campaign, utm.content, utm.term):
        assert value is None or 0 < len(value) <= UTM_MAX_LENGTH
        assert value is None or value == value.strip()


@given(st.text(min_size=1, max_size=300).filter(lambda s: s.strip() == s and s.isprintable()))
def test_parse_utm_decodes_percent_escapes(value: str) -> None:
    encoded = "".join(f"%{byte:02X}" for byte in value.encode("utf-8"))
    assert parse_utm(f"x=1&utm_term={encoded}").term == value[:UTM_MAX_LENGTH].rstrip()


# ----------------------------------------------------------------------------------------
# Locale
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("en-US", "en-US"),
        ("en-us", "en-US"),
        ("EN", "en"),
        ("en_GB", "en-GB"),
        ("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5", "fr-CH"),
        ("de;q=0.5, en-US;q=0.9", "en-US"),
        ("de, en", "de"),
        ("de;q=0.8, en;q=0.8", "de"),
        ("*", None),
        ("*, de;q=0.1", "de"),
        ("en;q=0", None),
        ("en;q=0, de", "de"),
        ("en;q=abc, de;q=0.1", "de"),
        ("en;q=1.5, de;q=0.1", "de"),
        ("en;q=nan, de;q=0.2", "de"),
        ("en;Q=0.3, de;q=0.2", "en"),
        ("en;level=1;q=0.4, de;q=0.2", "en"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("ZH-HANS-CN", "zh-Hans-CN"),
        ("es-419", "es-419"),
        ("sr-latn-rs", "sr-Latn-RS"),
        ("en-us-x-twain", "en-US-x-twain"),
        ("de-ch-1996", "de-CH-1996"),
        ("i-klingon", "i-klingon"),
        ("123", None),
        ("en-", None),
        ("en us", None),
        ("<script>", None),
        ("toolonglanguage", None),
        ("en-us-abcdefgh-abcdefgh-abcdefgh-abcdefgh", "en-US-abcdefgh-abcdefgh-abcdefgh"),
        (" , ;q=1, en", "en"),
    ],
)
def test_parse_locale(header: str | None, expected: str | None) -> None:
    assert parse_locale(header) == expected


@given(st.text(max_size=300))
def test_parse_locale_never_raises_and_returns_a_short_tag(header: str) -> None:
    locale = parse_locale(header)
    assert locale is None or (
        0 < len(locale) <= LOCALE_MAX_LENGTH and locale.isascii() and " " not in locale
    )


@given(st.from_regex(r"[a-zA-Z]{2,3}([-_][a-zA-Z]{2})?", fullmatch=True))
def test_parse_locale_normalises_simple_tags(tag: str) -> None:
    locale = parse_locale(tag)
    assert locale is not None
    language, _, region = locale.partition("-")
    assert language == language.lower()
    assert region == region.upper()


# ----------------------------------------------------------------------------------------
# Referrer and channel
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("referrer", "source", "channel"),
    [
        # search engines, any country domain
        ("https://www.google.com/", "google.com", "search"),
        ("https://www.google.co.uk/search?q=x", "google.co.uk", "search"),
        ("https://google.de/", "google.de", "search"),
        ("https://www.google.com.br/", "google.com.br", "search"),
        ("https://images.google.fr/", "images.google.fr", "search"),
        ("https://www.bing.com/search?q=x", "bing.com", "search"),
        ("https://cn.bing.com/", "cn.bing.com", "search"),
        ("https://duckduckgo.com/", "duckduckgo.com", "search"),
        ("https://html.duckduckgo.com/html", "html.duckduckgo.com", "search"),
        ("https://search.yahoo.co.jp/", "search.yahoo.co.jp", "search"),
        ("https://yandex.ru/search", "yandex.ru", "search"),
        ("https://www.ecosia.org/", "ecosia.org", "search"),
        ("https://search.brave.com/search", "search.brave.com", "search"),
        ("https://m.baidu.com/", "m.baidu.com", "search"),
        ("https://search.naver.com/", "search.naver.com", "search"),
        ("android-app://com.google.android.googlequicksearchbox/", None, "search"),
        # AI assistants, including Google's, which must beat google.* search
        ("https://chatgpt.com/", "chatgpt.com", "ai_assistant"),
        ("https://chat.openai.com/c/123", "chat.openai.com", "ai_assistant"),
        ("https://www.perplexity.ai/search/x", "perplexity.ai", "ai_assistant"),
        ("https://claude.ai/chat/1", "claude.ai", "ai_assistant"),
        ("https://gemini.google.com/app", "gemini.google.com", "ai_assistant"),
        ("https://notebooklm.google.com/", "notebooklm.google.com", "ai_assistant"),
        ("https://copilot.microsoft.com/", "copilot.microsoft.com", "ai_assistant"),
        ("https://chat.deepseek.com/", "chat.deepseek.com", "ai_assistant"),
        ("https://chat.mistral.ai/chat", "chat.mistral.ai", "ai_assistant"),
        ("https://www.meta.ai/", "meta.ai", "ai_assistant"),
        ("https://grok.com/", "grok.com", "ai_assistant"),
        ("https://you.com/", "you.com", "ai_assistant"),
        ("https://duck.ai/", "duck.ai", "ai_assistant"),
        ("android-app://com.openai.chatgpt/", None, "ai_assistant"),
        # social
        ("https://l.facebook.com/l.php?u=x", "l.facebook.com", "social"),
        ("https://m.facebook.com/", "m.facebook.com", "social"),
        ("https://t.co/abc", "t.co", "social"),
        ("https://x.com/someone", "x.com", "social"),
        ("https://www.linkedin.com/feed/", "linkedin.com", "social"),
        ("https://old.reddit.com/r/python", "old.reddit.com", "social"),
        ("https://news.ycombinator.com/item?id=1", "news.ycombinator.com", "social"),
        ("https://www.youtube.com/watch?v=1", "youtube.com", "social"),
        ("https://www.pinterest.de/pin/1", "pinterest.de", "social"),
        ("https://bsky.app/profile/x", "bsky.app", "social"),
        ("android-app://com.linkedin.android/", None, "social"),
        # email
        ("https://mail.google.com/mail/u/0/", "mail.google.com", "email"),
        ("https://mail.google.co.uk/", "mail.google.co.uk", "email"),
        ("https://outlook.live.com/mail/0/", "outlook.live.com", "email"),
        ("https://mail.yahoo.com/", "mail.yahoo.com", "email"),
        ("https://mail.proton.me/u/0/", "mail.proton.me", "email"),
        ("android-app://com.google.android.gm/", None, "email"),
        ("https://webmail.example-corp.net/", "webmail.example-corp.net", "email"),
        ("https://mail.some-university.edu/", "mail.some-university.edu", "email"),
        # other Google properties are referrals, not search
        ("https://docs.google.com/document/d/1", "docs.google.com", "referral"),
        ("https://sites.google.com/view/x", "sites.google.com", "referral"),
        # plain referrals, normalised
        ("https://blog.somewhere.org/post", "blog.somewhere.org", "referral"),
        ("HTTPS://WWW.Somewhere.ORG/Post", "somewhere.org", "referral"),
        ("https://www.somewhere.org.:8443/x", "somewhere.org", "referral"),
        ("http://user:pw@somewhere.org/x", "somewhere.org", "referral"),
        ("https://www.com/", "www.com", "referral"),
        ("https://[2001:db8::1]:8080/", "2001:db8::1", "referral"),
        ("https://203.0.113.5/", "203.0.113.5", "referral"),
        ("somewhere.org/path", "somewhere.org", "referral"),
        ("//somewhere.org/", "somewhere.org", "referral"),
        ("https://evilgoogle.com/", "evilgoogle.com", "referral"),
        ("https://google.evil.com/", "google.evil.com", "referral"),
        ("https://chatgpt.com.evil.net/", "chatgpt.com.evil.net", "referral"),
        ("https://xn--mnchen-3ya.de/", "xn--mnchen-3ya.de", "referral"),
        ("https://münchen.de/", "xn--mnchen-3ya.de", "referral"),
        # same site: internal, no source
        ("https://example.com/pricing", None, "internal"),
        ("https://www.example.com/", None, "internal"),
        ("https://docs.example.com/x", None, "internal"),
        ("http://EXAMPLE.com:8000/x", None, "internal"),
        ("https://example.com.evil.net/", "example.com.evil.net", "referral"),
        ("https://notexample.com/", "notexample.com", "referral"),
        # nothing usable: direct
        (None, None, "direct"),
        ("", None, "direct"),
        ("   ", None, "direct"),
        ("about:blank", None, "direct"),
        ("file:///home/me/page.html", None, "direct"),
        ("chrome://newtab/", None, "direct"),
        ("https://", None, "direct"),
        ("https://[::1/", None, "direct"),
        ("not a url", None, "direct"),
        ("https://exa mple.com/", None, "direct"),
        ("https://.../", None, "direct"),
        # hosts with an empty, hyphen-edged or otherwise invalid label are no host at all
        ("https://www.", None, "direct"),
        ("https://www..com", None, "direct"),
        ("https://-.com/", None, "direct"),
        ("https://a-.com/", None, "direct"),
        ("https://bad_label.com/", None, "direct"),
        ("https://" + "a" * 64 + ".com/", None, "direct"),
        ("https://[fe80::1%25eth0]/", None, "direct"),
    ],
)
def test_classify_referrer(referrer: str | None, source: str | None, channel: str) -> None:
    result = classify_referrer(referrer, SITE)
    expected_source = source
    if referrer and referrer.startswith("android-app://"):
        expected_source = referrer.split("//", 1)[1].rstrip("/")
    assert (result.source, result.channel) == (expected_source, channel)
    if channel == "direct":
        assert result == DIRECT
    else:
        assert result.url is not None


@pytest.mark.parametrize(
    ("referrer", "utm", "source", "channel"),
    [
        # UTM source sets the source when there is no referrer
        (None, Utm(source="Newsletter-42"), "newsletter-42", "referral"),
        (None, Utm(source="www.Partner.io"), "partner.io", "referral"),
        (None, Utm(source="chatgpt.com"), "chatgpt.com", "ai_assistant"),
        (None, Utm(source="chatgpt"), "chatgpt", "ai_assistant"),
        (None, Utm(source="perplexity"), "perplexity", "ai_assistant"),
        (None, Utm(source="google"), "google", "search"),
        (None, Utm(source="google", medium="cpc"), "google", "search"),
        (None, Utm(source="facebook", medium="cpc"), "facebook", "social"),
        (None, Utm(source="linkedin"), "linkedin", "social"),
        (None, Utm(source="partner", medium="social"), "partner", "social"),
        (None, Utm(source="partner", medium="Social-Media"), "partner", "social"),
        (None, Utm(source="partner", medium="ppc"), "partner", "search"),
        # email mediums (and an email source) win
        (None, Utm(source="weekly", medium="email"), "weekly", "email"),
        (None, Utm(source="weekly", medium="E-Mail"), "weekly", "email"),
        (None, Utm(source="weekly", medium="e_mail"), "weekly", "email"),
        (None, Utm(source="weekly", medium="newsletter"), "weekly", "email"),
        (None, Utm(source="newsletter"), "newsletter", "email"),
        (None, Utm(medium="email"), None, "email"),
        ("https://blog.somewhere.org/", Utm(medium="email"), "blog.somewhere.org", "email"),
        # a medium alone, with no source or referrer
        (None, Utm(medium="social"), None, "social"),
        (None, Utm(medium="banner"), None, "direct"),
        (None, Utm(campaign="launch"), None, "direct"),
        (None, Utm(), None, "direct"),
        # the referrer host stays the source; a known host decides the channel
        ("https://t.co/x", Utm(source="twitter-ad", medium="cpc"), "t.co", "social"),
        (
            "https://blog.somewhere.org/",
            Utm(source="chatgpt.com"),
            "blog.somewhere.org",
            "referral",
        ),
        ("https://blog.somewhere.org/", Utm(medium="social"), "blog.somewhere.org", "social"),
        # same-site referrers stay internal even when tagged
        ("https://example.com/", Utm(source="google", medium="email"), None, "internal"),
        # an unusable referrer falls back to the UTM source
        ("about:blank", Utm(source="claude.ai"), "claude.ai", "ai_assistant"),
    ],
)
def test_classify_referrer_with_utm(
    referrer: str | None, utm: Utm, source: str | None, channel: str
) -> None:
    result = classify_referrer(referrer, SITE, utm)
    assert (result.source, result.channel) == (source, channel)


@pytest.mark.parametrize(
    "sites",
    [
        {"example.com"},
        ["Example.COM"],
        ("www.example.com",),
        frozenset({"https://example.com/"}),
        {"example.com:8443"},
        {"example.com", "[bad"},
    ],
)
def test_site_hosts_are_normalised(sites: set[str]) -> None:
    assert classify_referrer("https://www.example.com/a", sites).channel == "internal"


def test_localhost_site() -> None:
    assert classify_referrer("http://localhost:8000/", {"localhost:8000"}).channel == "internal"
    assert classify_referrer("http://localhost:8000/", set()).channel == "referral"


def test_referrer_url_is_kept_cleaned_and_bounded() -> None:
    result = classify_referrer("https://somewhere.org/a\x00b\nc", SITE)
    assert result.url == "https://somewhere.org/ab c"
    long = classify_referrer("https://somewhere.org/" + "x" * 10_000, SITE)
    assert long.url is not None and len(long.url) == REFERRER_URL_MAX_LENGTH
    assert long.source == "somewhere.org"


def test_host_channel_prefers_the_most_specific_rule() -> None:
    assert host_channel("google.com") == "search"
    assert host_channel("mail.google.com") == "email"
    assert host_channel("gemini.google.co.jp") == "ai_assistant"
    assert host_channel("maps.google.com") is None
    assert host_channel("com") is None
    assert host_channel("") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", "plain"),
        ("  padded  ", "padded"),
        ("a\x00b", "ab"),
        ("a\tb\r\nc", "a b  c"),
        ("\x7f\x85", None),
        ("", None),
        ("\ud800x", "?x"),
        ("x" * 10, "xxxx"),
    ],
)
def test_clean_text(value: str, expected: str | None) -> None:
    assert clean_text(value, 4 if value == "x" * 10 else 100) == expected


urlish = st.one_of(
    st.text(max_size=200),
    st.builds(
        lambda scheme, host, path: f"{scheme}://{host}/{path}",
        st.sampled_from(["http", "https", "HTTP", "android-app", "ftp"]),
        st.from_regex(r"(www\.|WWW\.)?[A-Za-z0-9-]{1,12}(\.[A-Za-z]{2,6}){1,2}", fullmatch=True),
        st.text(max_size=30),
    ),
)


@given(
    referrer=st.none() | urlish,
    sites=st.frozensets(st.text(max_size=30), max_size=3),
    utm=st.none() | st.builds(Utm, st.none() | st.text(max_size=20), st.none() | st.text()),
)
def test_classify_referrer_never_raises_and_normalises_the_source(
    referrer: str | None, sites: frozenset[str], utm: Utm | None
) -> None:
    result = classify_referrer(referrer, sites, utm)
    assert isinstance(result, Referrer)
    assert result.channel in CHANNELS
    if result.source is not None:
        assert result.source == result.source.lower()
        assert not result.source.startswith("www.") or result.source.count(".") == 1
    if result.channel == "internal":
        assert result.source is None
    if result.url is not None:
        assert len(result.url) <= REFERRER_URL_MAX_LENGTH


DNS_HOST = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")
host_chars = st.sampled_from([*"abcxyzABC019-._:[]@%/", "www.", "xn--", "é", "ü", "\x00", " "])
hostish = st.lists(host_chars, max_size=24).map("".join)


@given(
    referrer=st.one_of(
        urlish,
        st.builds(
            lambda scheme, host: f"{scheme}{host}",
            st.sampled_from(["https://", "http://", "android-app://", "//", ""]),
            hostish,
        ),
    )
)
def test_a_referrer_source_is_a_valid_lower_case_host_or_none(referrer: str) -> None:
    source = classify_referrer(referrer, SITE).source
    if source is None:
        return
    if ":" in source:  # an IPv6 literal, the one host that is not made of DNS labels
        assert str(ipaddress.IPv6Address(source)) == source
        return
    assert DNS_HOST.fullmatch(source), (referrer, source)
    assert all(len(label) <= 63 for label in source.split(".")) and len(source) <= 253


def test_every_host_list_entry_is_documented() -> None:
    docs = (Path(__file__).resolve().parent.parent / "docs" / "extraction.md").read_text("utf-8")
    for name in ("AI_ASSISTANT_HOSTS", "SEARCH_HOSTS", "SOCIAL_HOSTS", "EMAIL_HOSTS"):
        for entry in getattr(attribution, name):
            assert f"`{entry}`" in docs, (name, entry)
