"""User-agent classification: browsers, OS and devices, every bot category, every AI crawler
of DESIGN.md section 7, every malformed rule, the hard negatives that must stay human, and
properties that hold for any input."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from systemprompt_analytics.detection import user_agents
from systemprompt_analytics.detection.bot_rules import (
    AI_CRAWLER_NAMES,
    MAX_LENGTH,
    bot_name_from_match,
    category_for_tags,
    generic_bot,
    malformed_reason,
)
from systemprompt_analytics.detection.user_agents import (
    BotCategory,
    UserAgentInfo,
    classify_user_agent,
)

JSON_KEYS = [
    "ua",
    "is_bot",
    "is_ai_crawler",
    "bot_name",
    "category",
    "reason",
    "browser",
    "browser_version",
    "os",
    "device_type",
]

WEBKIT = "AppleWebKit/537.36 (KHTML, like Gecko)"
SAFARI = "AppleWebKit/605.1.15 (KHTML, like Gecko)"
WIN = "Windows NT 10.0; Win64; x64"
MAC = "Macintosh; Intel Mac OS X 10_15_7"


def _crawler_list() -> list[dict[str, Any]]:
    spec = importlib.util.find_spec("crawleruseragents")
    assert spec is not None and spec.origin is not None
    path = Path(spec.origin).parent / "crawler-user-agents.json"
    entries: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return entries


# --- browsers, OS, devices -------------------------------------------------------------------

# (ua, browser, browser_version, os, os_version, device_type)
BROWSERS = {
    "chrome-windows": (
        f"Mozilla/5.0 ({WIN}) {WEBKIT} Chrome/141.0.0.0 Safari/537.36",
        "Chrome", "141.0", "Windows", "10", "desktop",
    ),
    "chrome-macos": (
        f"Mozilla/5.0 ({MAC}) {WEBKIT} Chrome/140.0.0.0 Safari/537.36",
        "Chrome", "140.0", "macOS", "10.15.7", "desktop",
    ),
    "chrome-linux": (
        f"Mozilla/5.0 (X11; Linux x86_64) {WEBKIT} Chrome/141.0.0.0 Safari/537.36",
        "Chrome", "141.0", "Linux", None, "desktop",
    ),
    "chrome-chromeos": (
        f"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) {WEBKIT} Chrome/124.0.0.0 Safari/537.36",
        "Chrome", "124.0", "Chrome OS", "14541.0.0", "desktop",
    ),
    "edge-windows": (
        f"Mozilla/5.0 ({WIN}) {WEBKIT} Chrome/141.0.0.0 Safari/537.36 Edg/141.0.3537.57",
        "Edge", "141.0", "Windows", "10", "desktop",
    ),
    "opera-windows": (
        f"Mozilla/5.0 ({WIN}) {WEBKIT} Chrome/140.0.0.0 Safari/537.36 OPR/122.0.0.0",
        "Opera", "122.0", "Windows", "10", "desktop",
    ),
    "brave-says-so": (
        f"Mozilla/5.0 ({WIN}) {WEBKIT} Brave Chrome/124.0.0.0 Safari/537.36",
        "Brave", "124.0", "Windows", "10", "desktop",
    ),
    "brave-default-reads-as-chrome": (
        f"Mozilla/5.0 ({WIN}) {WEBKIT} Chrome/124.0.0.0 Safari/537.36",
        "Chrome", "124.0", "Windows", "10", "desktop",
    ),
    "firefox-windows": (
        f"Mozilla/5.0 ({WIN}; rv:143.0) Gecko/20100101 Firefox/143.0",
        "Firefox", "143.0", "Windows", "10", "desktop",
    ),
    "firefox-linux": (
        "Mozilla/5.0 (X11; Linux x86_64; rv:144.0) Gecko/20100101 Firefox/144.0",
        "Firefox", "144.0", "Linux", None, "desktop",
    ),
    "safari-macos": (
        f"Mozilla/5.0 ({MAC}) {SAFARI} Version/26.0 Safari/605.1.15",
        "Safari", "26.0", "macOS", "10.15.7", "desktop",
    ),
    "iphone-safari": (
        f"Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) {SAFARI} Version/26.0 "
        "Mobile/15E148 Safari/604.1",
        "Mobile Safari", "26.0", "iOS", "18.6", "mobile",
    ),
    "iphone-chrome": (
        f"Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) {SAFARI} "
        "CriOS/141.0.7390.96 Mobile/15E148 Safari/604.1",
        "Chrome Mobile iOS", "141.0", "iOS", "18.6", "mobile",
    ),
    "iphone-firefox": (
        f"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) {SAFARI} FxiOS/125.0 "
        "Mobile/15E148 Safari/605.1.15",
        "Firefox iOS", "125.0", "iOS", "17.4", "mobile",
    ),
    "ipad-safari": (
        f"Mozilla/5.0 (iPad; CPU OS 18_6 like Mac OS X) {SAFARI} Version/26.0 Mobile/15E148 "
        "Safari/604.1",
        "Mobile Safari", "26.0", "iOS", "18.6", "tablet",
    ),
    "ipad-app-webview-desktop-mode": (
        f"Mozilla/5.0 ({MAC}) {SAFARI} Version/18.3.1 Mobile/15E148 Safari/604.1",
        "Safari", "18.3", "macOS", "10.15.7", "tablet",
    ),
    "android-phone-chrome": (
        f"Mozilla/5.0 (Linux; Android 10; K) {WEBKIT} Chrome/141.0.0.0 Mobile Safari/537.36",
        "Chrome Mobile", "141.0", "Android", "10", "mobile",
    ),
    "android-tablet-chrome": (
        f"Mozilla/5.0 (Linux; Android 13; SM-X700) {WEBKIT} Chrome/120.0.0.0 Safari/537.36",
        "Chrome", "120.0", "Android", "13", "tablet",
    ),
    "android-phone-firefox": (
        "Mozilla/5.0 (Android 14; Mobile; rv:144.0) Gecko/144.0 Firefox/144.0",
        "Firefox Mobile", "144.0", "Android", "14", "mobile",
    ),
    "android-tablet-firefox": (
        "Mozilla/5.0 (Android 14; Tablet; rv:125.0) Gecko/125.0 Firefox/125.0",
        "Firefox Mobile", "125.0", "Android", "14", "tablet",
    ),
    "samsung-internet": (
        "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like "
        "Gecko) SamsungBrowser/28.0 Chrome/130.0.0.0 Mobile Safari/537.36",
        "Samsung Internet", "28.0", "Android", "14", "mobile",
    ),
    "edge-android": (
        f"Mozilla/5.0 (Linux; Android 10; K) {WEBKIT} Chrome/124.0.0.0 Mobile Safari/537.36 "
        "EdgA/124.0.0.0",
        "Edge Mobile", "124.0", "Android", "10", "mobile",
    ),
    "opera-android": (
        f"Mozilla/5.0 (Linux; Android 10; K) {WEBKIT} Chrome/140.0.0.0 Mobile Safari/537.36 "
        "OPR/91.0.0.0",
        "Opera Mobile", "91.0", "Android", "10", "mobile",
    ),
    "opera-mobile-presto-android": (
        "Opera/9.80 (Android 2.3.3; Linux; Opera Mobi/ADR-1111101157; U; es-ES) Presto/2.9.201 "
        "Version/11.50",
        "Opera Mobile", "11.50", "Android", "2.3.3", "mobile",
    ),
    "opera-mini-presto-android": (
        "Opera/9.80 (Android; Opera Mini/7.6.40234/191.311; U; en) Presto/2.12.423 "
        "Version/12.16",
        "Opera Mini", "7.6", "Android", None, "mobile",
    ),
    "kindle-fire-silk": (
        "Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Silk/126.3.1 like Chrome/126.0.6478.218 Safari/537.36",
        "Amazon Silk", "126.3", "Android", "9", "tablet",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", BROWSERS.values(), ids=BROWSERS.keys())
def test_browsers_os_and_devices(case: tuple[str, str, str, str, str | None, str]) -> None:
    ua, browser, version, os_name, os_version, device = case
    info = classify_user_agent(ua)
    assert not info.is_bot, info.reason
    assert (info.browser, info.browser_version) == (browser, version)
    assert (info.os, info.os_version) == (os_name, os_version)
    assert info.device_type == device
    assert info.category is None and info.reason is None and info.bot_name is None


# --- hard negatives: these stay human --------------------------------------------------------

HUMANS = {
    "cubot-phone": f"Mozilla/5.0 (Linux; Android 10; CUBOT X30) {WEBKIT} Chrome/120.0.0.0 "
    "Mobile Safari/537.36",
    "cubot-phone-mixed-case": f"Mozilla/5.0 (Linux; Android 9; Cubot KingKong 5 Pro) {WEBKIT} "
    "Chrome/120.0.0.0 Mobile Safari/537.36",
    "cubot-old-android": "Mozilla/5.0 (Linux; U; Android 4.2.2; en-us; CUBOT GT99 Build/JDQ39) "
    "AppleWebKit/534.30 (KHTML, like Gecko) Version/4.0 Mobile Safari/534.30",
    "instagram": f"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) {SAFARI} "
    "Mobile/15E148 Instagram 309.0.0.28.113 (iPhone14,5; iOS 17_1; en_US; en; scale=3.00; "
    "1170x2532; 536316223)",
    "facebook-ios": f"Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) {SAFARI} "
    "Mobile/15E148 [FBAN/FBIOS;FBDV/iPhone13,2;FBMD/iPhone;FBSN/iOS;FBSV/16.5;FBSS/3;"
    "FBID/phone;FBLC/en_US;FBOP/5]",
    "facebook-android": "Mozilla/5.0 (Linux; Android 12; SM-A525F Build/SP1A.210812.016; wv) "
    f"{WEBKIT} Version/4.0 Chrome/118.0.5993.111 Mobile Safari/537.36 "
    "[FB_IAB/FB4A;FBAV/439.0.0.29.119;]",
    "line": f"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) {SAFARI} Mobile/15E148 "
    "Line/13.17.0",
    "wechat": f"Mozilla/5.0 (Linux; Android 13; V2231A Build/TP1A.220624.014; wv) {WEBKIT} "
    "Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5235 MMWEBSDK/20230805 "
    "MMWEBID/2833 MicroMessenger/8.0.42.2460(0x28002A35) WeChat/arm64 Weixin NetType/WIFI "
    "Language/zh_CN ABI/arm64",
    "tiktok": f"Mozilla/5.0 (Linux; Android 12; SM-G991B Build/SP1A.210812.016; wv) {WEBKIT} "
    "Version/4.0 Chrome/118.0.0.0 Mobile Safari/537.36 trill_310503 JsSdk/1.0 NetType/WIFI "
    "Channel/googleplay AppName/musical_ly app_version/31.5.3 ByteLocale/en "
    "BytedanceWebview/d8a21c6",
    "snapchat": f"Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) {SAFARI} "
    "Mobile/15E148 Snapchat/12.66.0.36 (like Safari/8617.2.4.10.8, panda)",
    "google-app-gsa": f"Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) {SAFARI} "
    "GSA/300.0.598994205 Mobile/15E148 Safari/604.1",
    "chrome-49-windows-xp": f"Mozilla/5.0 (Windows NT 5.1) {WEBKIT} Chrome/49.0.2623.112 "
    "Safari/537.36",
    "firefox-52": "Mozilla/5.0 (Windows NT 6.1; rv:52.0) Gecko/20100101 Firefox/52.0",
    "ie-11": "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko",
    "ie-11-tablet-pc": "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; SLCC2; .NET CLR "
    "2.0.50727; Media Center PC 6.0; Tablet PC 2.0; rv:11.0) like Gecko",
    "safari-9": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_6) AppleWebKit/601.7.7 (KHTML, "
    "like Gecko) Version/9.1.2 Safari/601.7.7",
    "android-app-dalvik": "Dalvik/2.1.0 (Linux; U; Android 11; SM-A515F Build/RP1A.200720.012)",
    # In-app and app browsers of services whose bots are in the crawler list.
    "telegram-android": "Mozilla/5.0 (Linux; Android 13; SM-A536B Build/TP1A.220624.014; wv) "
    f"{WEBKIT} Version/4.0 Chrome/120.0.6099.230 Mobile Safari/537.36 Telegram-Android/10.6.2 "
    "(Samsung SM-A536B; Android 13; SDK 33; HIGH)",
    "discord-desktop": f"Mozilla/5.0 ({WIN}) {WEBKIT} discord/1.0.9163 Chrome/124.0.6367.243 "
    "Electron/30.2.0 Safari/537.36",
    "teams": f"Mozilla/5.0 ({WIN}) {WEBKIT} Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0 "
    "Teams/24004.1307.2669.7070",
    "outlook-ios": f"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) {SAFARI} "
    "Mobile/15E148 Outlook-iOS/723.4027091.prod.iphone (4.2407.0)",
    "spotify-desktop": f"Mozilla/5.0 ({WIN}) {WEBKIT} Spotify/1.2.52.442 Safari/537.36",
    "steam-client": f"Mozilla/5.0 ({WIN}) {WEBKIT} Valve Steam Client/default/1714854927; ) "
    "Chrome/126.0.6478.183 Safari/537.36",
    "zoom": f"Mozilla/5.0 ({WIN}) {WEBKIT} Chrome/120.0.0.0 Safari/537.36 ZoomWebKit/537.36 "
    "ZoomApps/1.0",
    "signal-desktop": f"Mozilla/5.0 ({WIN}) {WEBKIT} Signal/7.8.0 Chrome/120.0.6099.291 "
    "Electron/28.3.3 Safari/537.36",
    "pinterest-android": "Mozilla/5.0 (Linux; Android 13; SM-A536B Build/TP1A.220624.014; wv) "
    f"{WEBKIT} Version/4.0 Chrome/120.0.6099.230 Mobile Safari/537.36 [Pinterest/Android]",
    "reddit-ios": f"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) {SAFARI} "
    "Mobile/15E148 Reddit/Version 2024.20.0/Build 1546893/iOS Version 17.5 (Build 21F79)",
    "snapchat-android": "Mozilla/5.0 (Linux; Android 13; SM-S901B Build/TP1A.220624.014; wv) "
    f"{WEBKIT} Version/4.0 Chrome/120.0.6099.230 Mobile Safari/537.36 Snapchat/12.70.0.38 "
    "(like Chrome/120.0)",
    "duckduckgo-android": f"Mozilla/5.0 (Linux; Android 14) {WEBKIT} Version/4.0 "
    "Chrome/131.0.0.0 Mobile DuckDuckGo/5 Safari/537.36",
    "duckduckgo-macos": f"Mozilla/5.0 ({MAC}) {SAFARI} Version/17.6 Safari/605.1.15 Ddg/17.6",
    "ecosia-android": f"Mozilla/5.0 (Linux; Android 14; Pixel 8) {WEBKIT} Chrome/131.0.0.0 "
    "Mobile Safari/537.36 (Ecosia android@131.0.6778.81)",
    "yandex-browser": f"Mozilla/5.0 ({WIN}) {WEBKIT} Chrome/128.0.0.0 YaBrowser/24.10.0.0 "
    "Safari/537.36",
    "naver-whale": f"Mozilla/5.0 ({WIN}) {WEBKIT} Chrome/128.0.0.0 Whale/3.28.266.14 Safari/537.36",
    "naver-app": "Mozilla/5.0 (Linux; Android 13; SM-S918N Build/TP1A.220624.014; wv) "
    f"{WEBKIT} Version/4.0 Chrome/120.0.6099.144 Mobile Safari/537.36 NAVER(inapp; search; "
    "2000; 12.1.2)",
    "kakaotalk": "Mozilla/5.0 (Linux; Android 13; SM-S908N Build/TP1A.220624.014; wv) "
    f"{WEBKIT} Version/4.0 Chrome/120.0.6099.144 Mobile Safari/537.36;KAKAOTALK 2410420",
    "line-android": "Mozilla/5.0 (Linux; Android 13; SM-A536E Build/TP1A.220624.014; wv) "
    f"{WEBKIT} Version/4.0 Chrome/120.0.6099.230 Mobile Safari/537.36 Line/13.21.0/IAB",
    "twitter-ios": f"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) {SAFARI} "
    "Mobile/15E148 Twitter for iPhone/10.16",
}


@pytest.mark.parametrize("ua", HUMANS.values(), ids=HUMANS.keys())
def test_hard_negatives_stay_human(ua: str) -> None:
    info = classify_user_agent(ua)
    assert not info.is_bot, info.reason
    assert info.device_type != "bot"


# Phone makers and models that contain "bot", wherever the UA names them.
BOT_NAMED_PHONES = {
    "instagram-android-device-comment": (
        f"Mozilla/5.0 (Linux; Android 11; NOTE 20 PRO Build/RP1A.200720.011; wv) {WEBKIT} "
        "Version/4.0 Chrome/120.0.6099.144 Mobile Safari/537.36 Instagram 316.0.0.38.109 "
        "Android (30/11; 320dpi; 720x1449; Cubot; NOTE 20 PRO; NOTE_20_PRO; mt6762; en_US; "
        "563459864)"
    ),
    "instagram-native": "Instagram 275.0.0.27.98 Android (30/11; 320dpi; 720x1449; Robot; "
    "Robot 2; ROBOT_2; mt6762; en_US; 458229237)",
    "uc-browser-adr": "UCWEB/2.0 (MIDP-2.0; U; Adr 9; en-US; Cubot_KingKong_5) U2/1.0.0 "
    "UCBrowser/13.4.0.1306 Mobile",
    "messenger-fb-fields": "Dalvik/2.1.0 (Linux; U; Android 10; KINGKONG 5 Pro "
    "Build/QP1A.190711.020) [FBAN/Orca-Android;FBAV/400.0.0.11.115;FBPN/com.facebook.orca;"
    "FBLC/en_US;FBBV/123;FBCR/;FBMF/Cubot;FBBD/Cubot;FBDV/KINGKONG 5 Pro;FBSV/10;]",
    "second-comment": f"Mozilla/5.0 (Linux; Android 12; Cubot P60) {WEBKIT} Chrome/115.0.0.0 "
    "Mobile Safari/537.36 (Cubot)",
}


@pytest.mark.parametrize(
    ("ua", "name"),
    [
        ("SomethingBot/1.0", "SomethingBot"),
        ("Mozilla/5.0 (compatible; mybot)", "mybot"),
        ("Mozilla/5.0 (compatible; CubotBot/1.0)", "CubotBot"),
        ("Mozilla/5.0 (Linux; Android 10; K) Cubotcrawler/1.0", "Cubotcrawler"),
        (BOT_NAMED_PHONES["instagram-android-device-comment"] + " (compatible; ShopBot/2.0)",
         "ShopBot"),
    ],
)  # fmt: skip
def test_bots_next_to_phone_names_are_still_caught(ua: str, name: str) -> None:
    info = classify_user_agent(ua)
    assert info.is_bot and info.bot_name == name


# Words that merely end in "bot" and a bare "Preview" after a browser's own token.
BOT_WORD_LOOKALIKES = {
    "talbot-comment": f"Mozilla/5.0 ({WIN}) {WEBKIT} Chrome/131.0.0.0 Safari/537.36 (Talbot)",
    "abbot-comment": f"Mozilla/5.0 ({WIN}) {WEBKIT} Chrome/131.0.0.0 Safari/537.36 (Abbot)",
    "trailing-preview-android": f"Mozilla/5.0 (Linux; Android 14; Pixel 8) {WEBKIT} "
    "Chrome/131.0.0.0 Mobile Safari/537.36 Preview",
    "trailing-preview-desktop": f"Mozilla/5.0 ({WIN}) {WEBKIT} Chrome/131.0.0.0 Safari/537.36 "
    "Edg/131.0.2903.70 Preview",
}


HUMANS_WITH_BOT_WORDS = {**BOT_NAMED_PHONES, **BOT_WORD_LOOKALIKES}


@pytest.mark.parametrize("ua", HUMANS_WITH_BOT_WORDS.values(), ids=HUMANS_WITH_BOT_WORDS.keys())
def test_phones_named_bot_and_bot_lookalikes_stay_human_wherever_they_appear(ua: str) -> None:
    info = classify_user_agent(ua)
    assert not info.is_bot, info.reason
    assert generic_bot(ua) is None
    assert info.browser is None or "bot" not in info.browser.lower()
    if ua in BOT_WORD_LOOKALIKES.values():
        assert info.browser is not None


@pytest.mark.parametrize(
    ("ua", "name"),
    [
        ("Mozilla/5.0 (compatible; TalBot/1.0)", "TalBot"),
        ("Mozilla/5.0 (compatible; Talbot crawler)", "crawler"),
        (f"Mozilla/5.0 ({WIN}) {WEBKIT} Chrome/131.0.0.0 Safari/537.36 Link Preview", "Preview"),
        (f"Mozilla/5.0 ({WIN}) {WEBKIT} Chrome/131.0.0.0 Safari/537.36 Preview/1.0", "Preview"),
        (f"Mozilla/5.0 ({WIN}) {WEBKIT} Chrome/131.0.0.0 Safari/537.36 Preview (compatible)",
         "Preview"),
    ],
)  # fmt: skip
def test_bot_words_next_to_the_lookalikes_still_count(ua: str, name: str) -> None:
    info = classify_user_agent(ua)
    assert info.is_bot and info.category is BotCategory.OTHER_BOT, info.reason
    assert info.bot_name == name


# Real browsers and apps whose products contain a crawler-list substring, and the crawlers the
# same substrings must still catch.
CRAWLER_LIST_LOOKALIKES = {
    "sogou-mobile-browser": (
        f"Mozilla/5.0 (Linux; Android 10; V1938T Build/QP1A.190711.020; wv) {WEBKIT} Version/4.0 "
        "Chrome/87.0.4280.141 Mobile Safari/537.36 SogouMSE,SogouMobileBrowser/5.29.3",
        "Chrome Mobile WebView", "mobile",
    ),
    "sogou-ios-browser": (
        f"Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X) {SAFARI} Mobile/15E148 "
        "SogouMobileBrowser/6.6.5",
        "Mobile Safari UI/WKWebView", "mobile",
    ),
    "slack-desktop-macos": (
        f"Mozilla/5.0 ({MAC}) {WEBKIT} Slack/4.41.97 Chrome/130.0.6723.191 Electron/33.0.2 "
        "Safari/537.36 Sonic Slack_SSB/4.41.97",
        "Slack Desktop Client", "desktop",
    ),
    "slack-desktop-windows": (
        f"Mozilla/5.0 ({WIN}) {WEBKIT} Slack/4.36.140 Chrome/120.0.6099.56 Electron/28.0.0 "
        "Safari/537.36 Sonic Slack_SSB/4.36.140",
        "Slack Desktop Client", "desktop",
    ),
    "viber-in-app-android": (
        f"Mozilla/5.0 (Linux; Android 13; SM-A135F Build/TP1A.220624.014; wv) {WEBKIT} "
        "Version/4.0 Chrome/120.0.6099.230 Mobile Safari/537.36 Viber/21.8.0.2",
        "Chrome Mobile WebView", "mobile",
    ),
    "viber-in-app-ios": (
        f"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) {SAFARI} Mobile/15E148 "
        "Viber/21.8.0.2",
        "Mobile Safari UI/WKWebView", "mobile",
    ),
    # WhatsApp's in-app browser appends "WhatsApp/<version>" like Viber's; its desktop app is
    # Electron, whose UA puts the app's product before "Chrome/… Electron/…".
    "whatsapp-in-app-android": (
        "Mozilla/5.0 (Linux; Android 13; SM-A536B Build/TP1A.220624.014; wv) "
        f"{WEBKIT} Version/4.0 Chrome/120.0.6099.230 Mobile Safari/537.36 WhatsApp/2.23.25.76",
        "WhatsApp", "mobile",
    ),
    "whatsapp-desktop-windows": (
        f"Mozilla/5.0 ({WIN}) {WEBKIT} WhatsApp/2.2350.52 Chrome/120.0.6099.56 "
        "Electron/28.1.0 Safari/537.36",
        "WhatsApp", "desktop",
    ),
    "whatsapp-desktop-macos": (
        f"Mozilla/5.0 ({MAC}) {WEBKIT} WhatsApp/2.2348.50 Chrome/118.0.5993.159 "
        "Electron/27.1.2 Safari/537.36",
        "WhatsApp", "desktop",
    ),
    # Notion's desktop app (Electron) against "Notion/", its link preview's product.
    "notion-desktop-macos": (
        f"Mozilla/5.0 ({MAC}) {WEBKIT} Notion/4.2.0 Chrome/130.0.6723.191 Electron/33.3.2 "
        "Safari/537.36",
        "Electron", "desktop",
    ),
    "notion-desktop-windows": (
        f"Mozilla/5.0 ({WIN}) {WEBKIT} Notion/3.9.0 Chrome/120.0.6099.291 Electron/28.1.0 "
        "Safari/537.36",
        "Electron", "desktop",
    ),
    # A phone model "Yeti" against "Yeti", Naver's crawler; the browser is named without it.
    "yeti-phone": (
        f"Mozilla/5.0 (Linux; Android 4.4.2; Yeti Build/KOT49H) {WEBKIT} Chrome/30.0 Mobile "
        "Safari/537.36",
        "Chrome", "mobile",
    ),
    "yeti-phone-no-build": (
        f"Mozilla/5.0 (Linux; Android 10; Yeti) {WEBKIT} Chrome/120.0.0.0 Mobile Safari/537.36",
        "Chrome Mobile", "mobile",
    ),
}  # fmt: skip


@pytest.mark.parametrize(
    "case", CRAWLER_LIST_LOOKALIKES.values(), ids=CRAWLER_LIST_LOOKALIKES.keys()
)
def test_browsers_with_crawler_list_substrings_stay_human(case: tuple[str, str, str]) -> None:
    ua, browser, device = case
    info = classify_user_agent(ua)
    assert not info.is_bot, info.reason
    assert (info.browser, info.device_type) == (browser, device)


@pytest.mark.parametrize(
    ("ua", "category", "name"),
    [
        ("Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)",
         BotCategory.SEARCH, "Sogou web spider"),
        ("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
         BotCategory.SOCIAL_PREVIEW, "Slackbot-LinkExpanding"),
        ("Mozilla/5.0 (compatible; Sonic/1.0; http://www.yama.info.waseda.ac.jp/~crawler/)",
         BotCategory.SEO, "Sonic"),
        ("Viber", BotCategory.SOCIAL_PREVIEW, "Viber"),
        ("Viber/20.9.0.8 CFNetwork/1410.0.3 Darwin/22.6.0", BotCategory.SOCIAL_PREVIEW, "Viber"),
        ("WhatsApp/2.23.20.0 A", BotCategory.SOCIAL_PREVIEW, "WhatsApp"),
        ("WhatsApp/2.19.81 i", BotCategory.SOCIAL_PREVIEW, "WhatsApp"),
        ("WhatsApp/0.3.4479 N", BotCategory.SOCIAL_PREVIEW, "WhatsApp"),
        ("WhatsApp", BotCategory.SOCIAL_PREVIEW, "WhatsApp"),
        ("Notion/1.0 (https://notion.so; team@makenotion.com)", BotCategory.SOCIAL_PREVIEW,
         "Notion"),
        ("Mozilla/5.0 (compatible; Yeti/1.1; +http://naver.me/spd)", BotCategory.SEARCH, "Yeti"),
        (f"Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) {WEBKIT} "
         "Chrome/120.0.0.0 Mobile Safari/537.36 (compatible; Yeti/1.1; +https://naver.me/spd)",
         BotCategory.SEARCH, "Yeti"),
        (CRAWLER_LIST_LOOKALIKES["viber-in-app-android"][0] + " (compatible; Googlebot/2.1)",
         BotCategory.SEARCH, "Googlebot"),
        (CRAWLER_LIST_LOOKALIKES["whatsapp-in-app-android"][0] + " (compatible; Googlebot/2.1)",
         BotCategory.SEARCH, "Googlebot"),
        (CRAWLER_LIST_LOOKALIKES["whatsapp-desktop-windows"][0] + " (compatible; Discordbot/2.0)",
         BotCategory.SOCIAL_PREVIEW, "Discordbot"),
        (CRAWLER_LIST_LOOKALIKES["notion-desktop-macos"][0] + " (compatible; Discordbot/2.0)",
         BotCategory.SOCIAL_PREVIEW, "Discordbot"),
        (CRAWLER_LIST_LOOKALIKES["yeti-phone"][0] + " (compatible; Yeti/1.1; +http://naver.me/spd)",
         BotCategory.SEARCH, "Yeti"),
    ],
)  # fmt: skip
def test_crawlers_behind_the_lookalikes_are_still_bots(
    ua: str, category: BotCategory, name: str
) -> None:
    info = classify_user_agent(ua)
    assert info.is_bot and info.category is category, info.reason
    assert info.bot_name == name


# (ua, browser, device_type): consoles are "unknown" like TVs (no console device type), text
# browsers run in a terminal on a computer and are "desktop".
CONSOLES_AND_TEXT_BROWSERS = {
    "playstation-4": (
        "Mozilla/5.0 (PlayStation 4 11.00) AppleWebKit/601.2 (KHTML, like Gecko)",
        None, "unknown",
    ),
    "playstation-5": (
        "Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/13.0 Safari/605.1.15",
        "Safari", "unknown",
    ),
    "nintendo-switch": (
        "Mozilla/5.0 (Nintendo Switch; WifiWebAuthApplet) AppleWebKit/606.4 (KHTML, like Gecko) "
        "NF/6.0.1.15.4 NintendoBrowser/5.1.0.20393",
        "NintendoBrowser", "unknown",
    ),
    "w3m": ("w3m/0.5.3+git20230121", "w3m", "desktop"),
    "lynx": (
        "Lynx/2.9.0dev.12 libwww-FM/2.14 SSL-MM/1.4.1 GNUTLS/3.7.8", "Lynx", "desktop",
    ),
    "links": (
        "Links (2.29; Linux 6.1.0-18-amd64 x86_64; GNU C 12.2; text)", "Links", "desktop",
    ),
}  # fmt: skip


@pytest.mark.parametrize(
    "case", CONSOLES_AND_TEXT_BROWSERS.values(), ids=CONSOLES_AND_TEXT_BROWSERS.keys()
)
def test_consoles_and_text_browsers_are_human(case: tuple[str, str | None, str]) -> None:
    ua, browser, device = case
    info = classify_user_agent(ua)
    assert not info.is_bot, info.reason
    assert (info.browser, info.device_type) == (browser, device)


@pytest.mark.parametrize(
    "model", ["Bot-S1 Build/O11019", "Robot 2", "BOT Pro", "Spider X1 Build/QP1A"]
)
def test_a_bot_word_in_a_phone_model_does_not_name_the_browser(model: str) -> None:
    ua = f"Mozilla/5.0 (Linux; Android 8.1.0; {model}) {WEBKIT} Chrome/120.0.0.0 Mobile "
    ua += "Safari/537.36"
    info = classify_user_agent(ua)
    assert not info.is_bot, info.reason
    assert (info.browser, info.browser_version) == ("Chrome Mobile", "120.0")
    assert (info.os, info.os_version, info.device_type) == ("Android", "8.1.0", "mobile")


def test_in_app_and_old_browsers_are_named() -> None:
    assert classify_user_agent(HUMANS["instagram"]).browser == "Instagram"
    assert classify_user_agent(HUMANS["facebook-ios"]).browser == "Facebook"
    assert classify_user_agent(HUMANS["ie-11"]).browser == "IE"
    old_chrome = classify_user_agent(HUMANS["chrome-49-windows-xp"])
    assert (old_chrome.browser, old_chrome.browser_version, old_chrome.os_version) == (
        "Chrome",
        "49.0",
        "XP",
    )
    assert classify_user_agent(HUMANS["ie-11-tablet-pc"]).device_type == "desktop"
    assert classify_user_agent(HUMANS["android-app-dalvik"]).device_type == "unknown"


# --- bots by category --------------------------------------------------------------------------

# (ua, category, bot_name)
BOTS = {
    "googlebot": (
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        BotCategory.SEARCH, "Googlebot",
    ),
    "googlebot-smartphone": (
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, "
        "like Gecko) Chrome/141.0.7390.122 Mobile Safari/537.36 (compatible; Googlebot/2.1; "
        "+http://www.google.com/bot.html)",
        BotCategory.SEARCH, "Googlebot",
    ),
    "bingbot": (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; "
        "+http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
        BotCategory.SEARCH, "bingbot",
    ),
    "yandexbot": (
        "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
        BotCategory.SEARCH, "YandexBot",
    ),
    "applebot": (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
        BotCategory.SEARCH, "Applebot",
    ),
    "ahrefs": (
        "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
        BotCategory.SEO, "AhrefsBot",
    ),
    "semrush": (
        "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
        BotCategory.SEO, "SemrushBot",
    ),
    "mj12": (
        "Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)",
        BotCategory.SEO, "MJ12bot",
    ),
    "dotbot": (
        "Mozilla/5.0 (compatible; DotBot/1.2; +https://opensiteexplorer.org/dotbot; "
        "help@moz.com)",
        BotCategory.SEO, "DotBot",
    ),
    "uptimerobot": (
        "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
        BotCategory.MONITORING, "UptimeRobot",
    ),
    "pingdom": (
        "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)",
        BotCategory.MONITORING, "PingdomBot",
    ),
    "statuscake": (
        "Mozilla/5.0 (compatible; StatusCake)", BotCategory.MONITORING, "StatusCake",
    ),
    "datadog": (
        "Datadog Agent/7.50.0", BotCategory.MONITORING, "Datadog Agent",
    ),
    "kube-probe": ("kube-probe/1.29", BotCategory.MONITORING, "kube-probe"),
    "elb-health": ("ELB-HealthChecker/2.0", BotCategory.MONITORING, "ELB-HealthChecker"),
    "facebook-preview": (
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        BotCategory.SOCIAL_PREVIEW, "facebookexternalhit",
    ),
    "twitterbot": ("Twitterbot/1.0", BotCategory.SOCIAL_PREVIEW, "Twitterbot"),
    "slackbot": (
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        BotCategory.SOCIAL_PREVIEW, "Slackbot-LinkExpanding",
    ),
    "linkedinbot": (
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
        BotCategory.SOCIAL_PREVIEW, "LinkedInBot",
    ),
    "discordbot": (
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
        BotCategory.SOCIAL_PREVIEW, "Discordbot",
    ),
    "whatsapp": ("WhatsApp/2.23.20.0 A", BotCategory.SOCIAL_PREVIEW, "WhatsApp"),
    "telegrambot": ("TelegramBot (like TwitterBot)", BotCategory.SOCIAL_PREVIEW, "TelegramBot"),
    "pinterestbot": (
        "Mozilla/5.0 (compatible; Pinterestbot/1.0; +http://www.pinterest.com/bot.html)",
        BotCategory.SOCIAL_PREVIEW, "Pinterestbot",
    ),
    "redditbot": (
        "Mozilla/5.0 (compatible; redditbot/1.0; +http://www.reddit.com/feedback)",
        BotCategory.SOCIAL_PREVIEW, "redditbot",
    ),
    "baiduspider": (
        "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
        BotCategory.SEARCH, "Baiduspider",
    ),
    "duckduckbot": (
        "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
        BotCategory.SEARCH, "DuckDuckBot",
    ),
    "petalbot": (
        "Mozilla/5.0 (compatible;PetalBot;+https://webmaster.petalsearch.com/site/petalbot)",
        BotCategory.SEARCH, "PetalBot",
    ),
    "qwantify": (
        "Mozilla/5.0 (compatible; Qwantify/2.4w; +https://www.qwant.com/)/2.4w",
        BotCategory.SEARCH, "Qwantify",
    ),
    "seznambot": (
        "Mozilla/5.0 (compatible; SeznamBot/4.0; "
        "+https://o-seznam.cz/napoveda/vyhledavani/en/seznambot-crawler/)",
        BotCategory.SEARCH, "SeznamBot",
    ),
    "naver-yeti": (
        "Mozilla/5.0 (compatible; Yeti/1.1; +http://naver.me/spd)", BotCategory.SEARCH, "Yeti",
    ),
    "feedly": (
        "Feedly/1.0 (+http://www.feedly.com/fetcher.html; 5 subscribers)",
        BotCategory.FEED_READER, "Feedly",
    ),
    "newsblur": (
        "NewsBlur Feed Fetcher - 12 subscribers - https://www.newsblur.com/site/1/x",
        BotCategory.FEED_READER, "NewsBlur",
    ),
    "python-requests": ("python-requests/2.31.0", BotCategory.HTTP_LIBRARY, "python-requests"),
    "curl": ("curl/8.4.0", BotCategory.HTTP_LIBRARY, "curl"),
    "wget": ("Wget/1.21.4", BotCategory.HTTP_LIBRARY, "Wget"),
    "go": ("Go-http-client/1.1", BotCategory.HTTP_LIBRARY, "Go-http-client"),
    "axios": ("axios/1.6.2", BotCategory.HTTP_LIBRARY, "axios"),
    "node-fetch": (
        "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
        BotCategory.HTTP_LIBRARY, "node-fetch",
    ),
    "okhttp": ("okhttp/4.12.0", BotCategory.HTTP_LIBRARY, "okhttp"),
    "java": ("Java/17.0.2", BotCategory.HTTP_LIBRARY, "Java"),
    "libwww-perl": ("libwww-perl/6.72", BotCategory.HTTP_LIBRARY, "libwww-perl"),
    "httpx": ("python-httpx/0.27.0", BotCategory.HTTP_LIBRARY, "httpx"),
    "aiohttp": ("Python/3.11 aiohttp/3.9.1", BotCategory.HTTP_LIBRARY, "Python aiohttp"),
    "scrapy": ("Scrapy/2.11.0 (+https://scrapy.org)", BotCategory.HTTP_LIBRARY, "Scrapy"),
    "postman": ("PostmanRuntime/7.36.0", BotCategory.HTTP_LIBRARY, "PostmanRuntime"),
    "windows-powershell": (
        "Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.22621.2506",
        BotCategory.HTTP_LIBRARY, "WindowsPowerShell",
    ),
    "powershell": (
        "Mozilla/5.0 (Windows NT 10.0; Microsoft Windows 10.0.22631; en-US) PowerShell/7.4.1",
        BotCategory.HTTP_LIBRARY, "PowerShell",
    ),
    "apache-httpasyncclient": (
        "Apache-HttpAsyncClient/4.1.4 (Java/11.0.21)",
        BotCategory.HTTP_LIBRARY, "Apache-HttpAsyncClient",
    ),
    "ureq": ("ureq/2.9.1", BotCategory.HTTP_LIBRARY, "ureq"),
    "headless-chrome": (
        f"Mozilla/5.0 ({WIN}) {WEBKIT} HeadlessChrome/124.0.0.0 Safari/537.36",
        BotCategory.HEADLESS, "HeadlessChrome",
    ),
    "phantomjs": (
        "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) "
        "PhantomJS/2.1.1 Safari/538.1",
        BotCategory.HEADLESS, "PhantomJS",
    ),
    "selenium": (
        f"Mozilla/5.0 ({WIN}) {WEBKIT} Chrome/120.0.0.0 Safari/537.36 Selenium/4.15",
        BotCategory.HEADLESS, "Selenium",
    ),
    "puppeteer": (
        f"Mozilla/5.0 ({WIN}) {WEBKIT} Chrome/120.0.0.0 Safari/537.36 Puppeteer",
        BotCategory.HEADLESS, "Puppeteer",
    ),
    "playwright": (
        f"Mozilla/5.0 ({WIN}) {WEBKIT} Chrome/120.0.0.0 Safari/537.36 Playwright/1.40",
        BotCategory.HEADLESS, "Playwright",
    ),
    "sqlmap": ("sqlmap/1.7.2#stable (https://sqlmap.org)", BotCategory.SCANNER, "sqlmap"),
    "nikto": (
        "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:Port Check)",
        BotCategory.SCANNER, "Nikto",
    ),
    "nmap": (
        "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
        BotCategory.SCANNER, "Nmap Scripting Engine",
    ),
    "zgrab": ("Mozilla/5.0 zgrab/0.x", BotCategory.SCANNER, "zgrab"),
    "masscan": (
        "masscan/1.3 (https://github.com/robertdavidgraham/masscan)",
        BotCategory.SCANNER, "masscan",
    ),
    "nuclei": (
        "Nuclei - Open-source project (github.com/projectdiscovery/nuclei)",
        BotCategory.SCANNER, "Nuclei",
    ),
    "wpscan": (
        "WPScan v3.8.25 (https://wpscan.com/wordpress-security-scanner)",
        BotCategory.SCANNER, "WPScan",
    ),
    "gobuster": ("gobuster/3.6", BotCategory.SCANNER, "gobuster"),
    "dirbuster": (
        "DirBuster-1.0-RC1 (http://www.owasp.org/index.php/Category:OWASP_DirBuster_Project)",
        BotCategory.SCANNER, "DirBuster",
    ),
    "nessus": (
        "Mozilla/5.0 (compatible; Nessus; http://www.nessus.org)", BotCategory.SCANNER, "Nessus",
    ),
    "acunetix": (
        f"Mozilla/5.0 ({WIN}) {WEBKIT} Chrome/120.0.0.0 Safari/537.36 Acunetix-Product",
        BotCategory.SCANNER, "Acunetix",
    ),
    "openvas": (
        "Mozilla/5.0 [en] (X11, U; OpenVAS-VT 22.4.1)", BotCategory.SCANNER, "OpenVAS Scanner",
    ),
    "ffuf": ("Fuzz Faster U Fool v2.1.0-dev", BotCategory.SCANNER, "ffuf"),
    "archiver-is-other": (
        "Mozilla/5.0 (compatible; archive.org_bot +http://archive.org/details/archive.org_bot)",
        BotCategory.OTHER_BOT, "archive.org_bot",
    ),
    "unknown-crawler": (
        "Mozilla/5.0 (compatible; FooCrawler/1.0)", BotCategory.OTHER_BOT, "FooCrawler",
    ),
    "lowercase-suffix": (
        "Mozilla/5.0 (compatible; acmebot 2.1)", BotCategory.OTHER_BOT, "acmebot",
    ),
    "whole-word-bot": ("Mozilla/5.0 (Windows NT 10.0) my_bot", BotCategory.OTHER_BOT, "my_bot"),
    "url-in-ua": (
        "Mozilla/5.0 (X11; Linux x86_64) SiteThing +https://sitething.example",
        BotCategory.OTHER_BOT, None,
    ),
    "email-in-ua": (
        "Mozilla/5.0 (compatible; Harvester; ops@harvester.example)",
        BotCategory.OTHER_BOT, None,
    ),
    "unrecognised-client": (
        "MyInternalTool/1.0 (build 42)", BotCategory.OTHER_BOT, "MyInternalTool",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", BOTS.values(), ids=BOTS.keys())
def test_bots_by_category(case: tuple[str, BotCategory, str | None]) -> None:
    ua, category, name = case
    info = classify_user_agent(ua)
    assert info.is_bot and not info.is_ai_crawler
    assert info.category is category, info.reason
    assert info.bot_name == name
    assert info.device_type == "bot"
    assert info.reason


def test_every_category_is_exercised() -> None:
    seen = {case[1] for case in BOTS.values()} | {BotCategory.AI_CRAWLER, BotCategory.MALFORMED}
    assert seen == set(BotCategory)


def test_reasons_say_where_the_verdict_came_from() -> None:
    assert classify_user_agent(BOTS["googlebot"][0]).reason == "crawler list: Googlebot"
    assert classify_user_agent(BOTS["gobuster"][0]).reason == "scanner: gobuster"
    assert classify_user_agent(BOTS["java"][0]).reason == "HTTP library: Java"
    assert classify_user_agent(BOTS["unknown-crawler"][0]).reason == (
        "bot keyword in user agent: FooCrawler"
    )
    unrecognised = classify_user_agent(BOTS["unrecognised-client"][0]).reason
    assert unrecognised is not None and unrecognised.startswith("unrecognised client")


def test_a_bot_token_after_an_android_device_still_counts() -> None:
    ua = (
        f"Mozilla/5.0 (Linux; Android 10; CUBOT X30) {WEBKIT} Chrome/120.0.0.0 Mobile "
        "Safari/537.36 (compatible; ShopBot/2.0)"
    )
    info = classify_user_agent(ua)
    assert info.is_bot and info.bot_name == "ShopBot"


# --- AI crawlers ---------------------------------------------------------------------------

AI_CRAWLERS = {
    "NotebookLM": "Mozilla/5.0 (compatible; Google-NotebookLM; +https://notebooklm.google.com/)",
    "Gemini-Deep-Research": "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; "
    "Gemini-Deep-Research; +https://gemini.google/overview/deep-research/) Chrome/135.0.0.0 "
    "Safari/537.36",
    "ChatGPT-User": "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; "
    "ChatGPT-User/1.0; +https://openai.com/bot",
    "OAI-SearchBot": "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; "
    "OAI-SearchBot/1.0; +https://openai.com/searchbot",
    "GPTBot": "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; "
    "+https://openai.com/gptbot)",
    "PerplexityBot": "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; "
    "PerplexityBot/1.0; +https://perplexity.ai/perplexitybot)",
    "Perplexity-User": "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; "
    "Perplexity-User/1.0; +https://perplexity.ai/perplexity-user)",
    "ClaudeBot": "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; "
    "ClaudeBot/1.0; +claudebot@anthropic.com)",
    "Claude-User": "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; "
    "Claude-User/1.0; +Claude-User@anthropic.com)",
    "Claude-Web": "Claude-Web/1.0 (web crawler; +https://www.anthropic.com/; bots@anthropic.com)",
    "anthropic-ai": "anthropic-ai/1.0 (+https://www.anthropic.com)",
    "Applebot-Extended": "Mozilla/5.0 (compatible; Applebot-Extended/0.1; "
    "+http://www.apple.com/go/applebot)",
    "CCBot": "CCBot/2.0 (https://commoncrawl.org/faq/)",
    "Bytespider": "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Mobile Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)",
    "Amazonbot": "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Amazonbot/0.1; "
    "+https://developer.amazon.com/support/amazonbot) Chrome/119.0.6045.214 Safari/537.36",
    "YouBot": "Mozilla/5.0 (compatible; YouBot (+http://www.you.com))",
    "Diffbot": "Mozilla/5.0 (Windows; U; Windows NT 5.1; en-US; rv:1.9.1.2) Gecko/20090729 "
    "Firefox/3.5.2 (.NET CLR 3.5.30729; Diffbot/0.1; +http://www.diffbot.com)",
    "cohere-ai": "cohere-ai/1.0 (+https://cohere.com)",
}


def test_the_design_list_is_covered() -> None:
    assert set(AI_CRAWLERS) == set(AI_CRAWLER_NAMES)


@pytest.mark.parametrize("name", AI_CRAWLERS.keys())
def test_ai_crawlers_from_the_design_list(name: str) -> None:
    info = classify_user_agent(AI_CRAWLERS[name])
    assert info.is_bot and info.is_ai_crawler
    assert info.category is BotCategory.AI_CRAWLER
    assert info.bot_name == name
    assert info.reason == f"AI crawler: {name}"


@pytest.mark.parametrize(
    ("ua", "name"),
    [
        ("meta-externalagent/1.1 (+https://developers.facebook.com/docs/sharing/webmasters/crawler)",
         "meta-externalagent"),
        ("DuckAssistBot/1.2; (+http://duckduckgo.com/duckassistbot.html)", "DuckAssistBot"),
        ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; MistralAI-User/1.0; "
         "+https://docs.mistral.ai/robots)", "MistralAI-User"),
    ],
)  # fmt: skip
def test_ai_crawlers_tagged_by_the_crawler_list(ua: str, name: str) -> None:
    info = classify_user_agent(ua)
    assert info.is_ai_crawler and info.category is BotCategory.AI_CRAWLER
    assert info.bot_name == name
    assert info.reason == f"crawler list: {name}"


@pytest.mark.parametrize(
    ("ua", "name", "reason"),
    [
        ("meta-externalfetcher/1.1 (+https://developers.facebook.com/docs/sharing/webmasters/"
         "crawler)", "meta-externalfetcher", "AI crawler: meta-externalfetcher"),
        ("meta-externalagent/1.1 (+https://developers.facebook.com/docs/sharing/webmasters/"
         "crawler)", "meta-externalagent", "crawler list: meta-externalagent"),
    ],
)  # fmt: skip
def test_meta_user_triggered_and_ai_fetchers_are_ai_crawlers(
    ua: str, name: str, reason: str
) -> None:
    info = classify_user_agent(ua)
    assert info.is_bot and info.is_ai_crawler
    assert info.category is BotCategory.AI_CRAWLER
    assert (info.bot_name, info.reason) == (name, reason)


def test_applebot_is_search_but_applebot_extended_is_ai() -> None:
    assert classify_user_agent(BOTS["applebot"][0]).is_ai_crawler is False
    assert classify_user_agent(AI_CRAWLERS["Applebot-Extended"]).is_ai_crawler is True


def test_every_crawler_list_instance_is_a_bot_and_ai_tags_are_ai() -> None:
    entries = _crawler_list()
    assert len(entries) > 1000
    for entry in entries:
        for instance in entry["instances"]:
            info = classify_user_agent(instance)
            assert info.is_bot, (entry["pattern"], instance)
            if "ai-crawler" in entry.get("tags", ()):
                assert info.is_ai_crawler, (entry["pattern"], instance)


@pytest.mark.parametrize(
    "ua",
    [
        instance
        for entry in _crawler_list()
        if entry["pattern"] == "Google-Read-Aloud"
        for instance in entry["instances"]
    ],
)
def test_google_read_aloud_is_a_user_triggered_fetcher_not_a_search_crawler(ua: str) -> None:
    # Google lists it among its user-triggered fetchers (text-to-speech for a person); the
    # crawler list tags it a search engine.
    info = classify_user_agent(ua)
    assert info.is_bot and not info.is_ai_crawler
    assert info.category is BotCategory.OTHER_BOT, info.reason
    assert info.bot_name == "Google-Read-Aloud"


# --- malformed -----------------------------------------------------------------------------

MALFORMED = {
    "none-header": (None, "empty user agent"),
    "empty": ("", "empty user agent"),
    "whitespace": ("   \t ", "empty user agent"),
    "dash": ("-", "placeholder user agent: -"),
    "null": ("null", "placeholder user agent: null"),
    "undefined": ("undefined", "placeholder user agent: undefined"),
    "none": ("None", "placeholder user agent: None"),
    "bare-mozilla": ("Mozilla/5.0", "placeholder user agent: Mozilla/5.0"),
    "short": ("abc/1.0", "too short (7 characters)"),
    "template-braces": ("{USER_AGENT}", "unrendered template: {USER_AGENT}"),
    "template-dollar": ("${ua}", "unrendered template: ${ua}"),
    "template-double": ("{{ua}}", "unrendered template: {{ua}}"),
    "template-percent": ("%USER_AGENT%", "unrendered template: %USER_AGENT%"),
    "template-inside": (
        "Mozilla/5.0 (compatible; {{ user_agent }})",
        "unrendered template: {{ user_agent }}",
    ),
    "nginx-variable": ("$http_user_agent", "unrendered template: $http_user_agent"),
    "control-chars": (
        "Mozilla/5.0 \x00\x01\x02 (Windows)", "non-printable characters in user agent",
    ),
    "lone-surrogate": (
        "Mozilla/5.0 \udcff (Windows NT 10.0)", "non-printable characters in user agent",
    ),
    "no-letters": ("1234567890 ;;; 42", "no letters in user agent"),
    "too-long": ("Mozilla/5.0 " + "A" * MAX_LENGTH, f"too long ({MAX_LENGTH + 12} characters)"),
}  # fmt: skip


@pytest.mark.parametrize("case", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_rules(case: tuple[str | None, str]) -> None:
    ua, reason = case
    info = classify_user_agent(ua)
    assert info.is_bot and not info.is_ai_crawler
    assert info.category is BotCategory.MALFORMED
    assert info.reason == reason
    assert info.bot_name is None and info.device_type == "bot"


def test_url_escapes_are_not_templates() -> None:
    assert malformed_reason("Mozilla/5.0 (Windows NT 10.0) Thing%EF%BB%BFname") is None


def test_a_short_but_known_bot_is_named_not_malformed() -> None:
    info = classify_user_agent("Zabbix")
    assert info.category is BotCategory.MONITORING
    assert info.bot_name == "Zabbix"


def test_none_gives_an_empty_ua_field() -> None:
    assert classify_user_agent(None).to_json()["ua"] == ""


# --- helpers -------------------------------------------------------------------------------


def test_category_for_tags() -> None:
    assert category_for_tags(["search-engine"]) is BotCategory.SEARCH
    assert category_for_tags(["search-engine", "ai-crawler"]) is BotCategory.AI_CRAWLER
    assert category_for_tags(["advertising", "search-engine"]) is BotCategory.SEARCH
    assert category_for_tags(["archiver"]) is BotCategory.OTHER_BOT
    assert category_for_tags([]) is BotCategory.OTHER_BOT


def test_bot_name_from_match() -> None:
    assert bot_name_from_match("Googlebot/") == "Googlebot"
    assert bot_name_from_match(" sentry/") == "sentry"
    assert bot_name_from_match("dotbot", "DotBot") == "DotBot"
    assert bot_name_from_match("yandex.com/bots", "YandexBot") == "YandexBot"
    assert bot_name_from_match("linko", "Chrome") == "linko"
    assert len(bot_name_from_match("Spider " + "x" * 100 + " spider.com")) <= 40


def test_generic_heuristics_leave_plain_browsers_alone() -> None:
    for ua in [*HUMANS.values(), *(case[0] for case in BROWSERS.values())]:
        assert generic_bot(ua) is None, ua


def test_python_matcher_agrees_with_the_accelerated_one() -> None:
    accelerated = user_agents._rule_set()
    assert accelerated.accelerated, "ua-parser-rs should be installed"
    slow = user_agents.RuleSet(accelerated.rules, accelerated=False)
    assert not slow.accelerated
    samples = [instance for entry in _crawler_list()[::7] for instance in entry["instances"]]
    samples += [*HUMANS.values(), *(case[0] for case in BOTS.values())]
    samples += [*BOT_NAMED_PHONES.values(), *(case[0] for case in CRAWLER_LIST_LOOKALIKES.values())]
    samples += list(AI_CRAWLERS.values())
    for ua in samples:
        assert slow.match(ua) == accelerated.match(ua), ua


# --- properties ------------------------------------------------------------------------------

UA_PIECES = st.sampled_from(
    [
        "Mozilla/5.0", "(Windows NT 10.0; Win64; x64)", "(Linux; Android 10; CUBOT X30)",
        "AppleWebKit/537.36", "(KHTML, like Gecko)", "Chrome/120.0.0.0", "Mobile", "Safari/537.36",
        "bot", "Bot", "crawler", "{ua}", "%UA%", "http://x.example", "iPad", "iPhone", "GPTBot",
        "curl/8.0", "-", "null", " ", "\x00", "\ufffd", "é", "Googlebot/2.1", "(", ")", ";",
    ]
)  # fmt: skip
ANY_UA = st.one_of(
    st.none(),
    st.text(max_size=300),
    st.text(st.characters(categories=["Cs", "Cc", "Lu", "Ll", "Nd", "Zs", "Po"]), max_size=40),
    st.lists(UA_PIECES, max_size=12).map(" ".join),
    st.lists(st.one_of(UA_PIECES, st.text(max_size=8)), max_size=10).map("".join),
)


def _check_invariants(info: UserAgentInfo) -> None:
    if info.is_ai_crawler:
        assert info.is_bot and info.category is BotCategory.AI_CRAWLER
    assert (info.category is None) == (not info.is_bot)
    assert (info.reason is None) == (not info.is_bot)
    assert (info.device_type == "bot") == info.is_bot
    assert info.device_type in {"desktop", "mobile", "tablet", "bot", "unknown"}
    data = info.to_json()
    assert list(data) == JSON_KEYS
    json.dumps(data)


@settings(max_examples=400, deadline=None)
@given(ANY_UA)
def test_any_text_classifies_consistently(ua: str | None) -> None:
    info = classify_user_agent(ua)
    _check_invariants(info)
    assert info.ua == ("" if ua is None else ua)
    again = classify_user_agent(ua)
    assert again == info
    if ua is not None and len(ua) <= MAX_LENGTH:
        assert again is info  # served from the cache


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_classification_does_not_depend_on_the_cache(ua: str) -> None:
    assert user_agents._classify(ua) == classify_user_agent(ua)


def test_oversized_input_is_not_cached_but_stable() -> None:
    ua = "Mozilla/5.0 " + "x" * (MAX_LENGTH * 4)
    first, second = classify_user_agent(ua), classify_user_agent(ua)
    assert first == second and first is not second
    assert first.category is BotCategory.MALFORMED


def test_clear_cache_forgets_results() -> None:
    ua = BROWSERS["chrome-windows"][0]
    first = classify_user_agent(ua)
    user_agents.clear_cache()
    second = classify_user_agent(ua)
    assert first == second and first is not second
