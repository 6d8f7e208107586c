"""Scanner detection: probe paths, scanner user agents and the session verdict (pure)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from systemprompt_analytics.detection.scanners import (
    DEFAULT_PROBE_RULES,
    ProbeRules,
    judge_session,
    normalise_path,
    probe_reason,
    scanner_user_agent_name,
)

PROBES = [
    ("/wp-admin", "segment wp-admin"),
    ("/WP-ADMIN/", "segment wp-admin"),
    ("/blog/wp-login.php", "segment wp-login.php"),
    ("/xmlrpc.php", "segment xmlrpc.php"),
    ("/wp-content/plugins/revslider/readme.txt", "segment wp-content"),
    ("/.env", "segment .env"),
    ("/x/.env", "segment .env"),
    ("/api/.env.production", "segment .env.*"),
    ("/%2Eenv", "segment .env"),
    ("/.git/config", "segment .git"),
    ("/.git/HEAD", "segment .git"),
    ("/.svn/entries", "segment .svn"),
    ("/.DS_Store", "segment .ds_store"),
    ("/.aws/credentials", "segment .aws"),
    ("/home/id_rsa", "segment id_rsa"),
    ("/phpmyadmin/index.php", "segment phpmyadmin"),
    ("/PMA/", "segment pma"),
    ("/adminer.php", "segment adminer.php"),
    ("/manager/html", "segments manager/html"),
    ("/cgi-bin/luci", "segment cgi-bin"),
    ("/shell.php", "segment shell.php"),
    ("/uploads/cmd.php?c=id", "segment cmd.php"),
    ("/backup.zip", "segment backup.zip"),
    ("/dump.sql", "suffix .sql"),
    ("/db/site.sql.gz", "suffix .sql.gz"),
    ("/index.bak", "suffix .bak"),
    ("/wp-config.php.bak", "segment wp-config.php*"),
    ("/index.php", "php on a non-PHP site"),
    ("/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", "segment eval-stdin.php"),
    ("/server-status", "segment server-status"),
    ("/actuator/health", "segment actuator"),
    ("/../../etc/passwd", "path traversal"),
    ("/%2e%2e/%2e%2e/etc/passwd", "path traversal"),
    ("/%252e%252e/secret", "path traversal"),
    ("/static/..%5c..%5cwindows/win.ini", "path traversal"),
    ("/download?file=../../etc/passwd", "path traversal"),
]

NOT_PROBES = [
    "/",
    "",
    "/blog/admin-guide",
    "/docs/environment",
    "/wp-admin-tips",
    "/blog/how-we-use-git",
    "/docs/.well-known-intro",
    "/.well-known/security.txt",
    "/config.json",
    "/admin",
    "/login",
    "/pricing?ref=wp-admin",
    "/docs/sql",
    "/notes.sqlite",
    "/a/b/c.d",
    "/blog/2024/01/the-envelope",
    "/files/..hidden",
]


@pytest.mark.parametrize(("path", "reason"), PROBES)
def test_probe_paths(path: str, reason: str) -> None:
    assert probe_reason(path) == reason


@pytest.mark.parametrize("path", NOT_PROBES)
def test_not_probe_paths(path: str) -> None:
    assert probe_reason(path) is None


def test_php_counts_only_on_non_php_sites() -> None:
    php_site = ProbeRules(php_site=True)
    assert probe_reason("/index.php") == "php on a non-PHP site"
    assert probe_reason("/index.php", php_site) is None
    assert probe_reason("/wp-login.php", php_site) == "segment wp-login.php"


def test_rules_are_configurable() -> None:
    rules = replace(
        DEFAULT_PROBE_RULES,
        segments=DEFAULT_PROBE_RULES.segments | {"telescope"},
        allowed_paths=frozenset({"/pma"}),
    )
    assert probe_reason("/telescope/requests", rules) == "segment telescope"
    assert probe_reason("/pma", rules) is None
    assert probe_reason("/PMA", rules) is None
    assert probe_reason("/pma/x", rules) == "segment pma"


def test_normalise_path() -> None:
    assert normalise_path("/A%2FB/%2541?q=1#f") == "/a/b/a"
    assert normalise_path("\\Windows\\System32") == "/windows/system32"


@given(st.text())
def test_probe_reason_never_raises(text: str) -> None:
    reason = probe_reason(text)
    assert reason is None or isinstance(reason, str)


@given(st.lists(st.text(max_size=30), max_size=8), st.lists(st.integers(0, 999), max_size=8))
def test_judge_session_never_raises(paths: list[str], statuses: list[int]) -> None:
    verdict = judge_session(paths, statuses, False, 0)
    assert verdict.is_scanner == (verdict.reason is not None)


@pytest.mark.parametrize(
    ("ua", "name"),
    [
        ("sqlmap/1.7.2#stable (https://sqlmap.org)", "sqlmap"),
        ("Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:Port Check)", "Nikto"),
        ("Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)", None),
        ("Mozilla/5.0 zgrab/0.x", "zgrab"),
        ("masscan/1.3 (https://github.com/robertdavidgraham/masscan)", "masscan"),
        ("Nuclei - Open-source project (github.com/projectdiscovery/nuclei)", "Nuclei"),
        ("WPScan v3.8.22 (https://wpscan.com/wordpress-security-scanner)", "WPScan"),
    ],
)
def test_scanner_user_agents(ua: str, name: str | None) -> None:
    found = scanner_user_agent_name(ua)
    assert found is not None
    if name is not None:
        assert found == name


@pytest.mark.parametrize(
    "ua",
    [
        None,
        "",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0 Safari/537.36",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "python-requests/2.31",
    ],
)
def test_not_scanner_user_agents(ua: str | None) -> None:
    assert scanner_user_agent_name(ua) is None


def test_scanner_user_agent_alone_is_a_scanner() -> None:
    verdict = judge_session(["/"], [200], "sqlmap", 1)
    assert verdict.is_scanner
    assert verdict.reason == "scanner user agent: sqlmap"
    assert judge_session(["/"], [200], True, 1).reason == "scanner user agent: unknown"


def test_scanner_user_agent_reason_names_its_probes() -> None:
    verdict = judge_session(["/.env"], [404], "Nikto", 1)
    assert verdict.reason == "scanner user agent: Nikto; probe path: /.env"


def test_two_distinct_probes_make_a_scanner() -> None:
    verdict = judge_session(
        ["/", "/.env", "/wp-login.php", "/.ENV"], [200, 404, 404, 404], False, 2
    )
    assert verdict.is_scanner
    assert verdict.reason == "probe paths: /.env, /wp-login.php"
    assert verdict.probe_paths == ("/.env", "/wp-login.php")


def test_the_same_probe_twice_is_one_probe() -> None:
    verdict = judge_session(["/wp-admin", "/WP-ADMIN/", "/about"], [404, 404, 200], False, 2)
    assert not verdict.is_scanner


def test_one_stray_probe_from_a_normal_visitor_is_not_a_scanner() -> None:
    paths = ["/", "/blog", "/wp-admin", "/pricing"]
    verdict = judge_session(paths, [200, 200, 404, 200], False, 3)
    assert verdict == judge_session(paths, [200, 200, 404, 200], False, 3)
    assert not verdict.is_scanner
    assert verdict.reason is None
    assert verdict.probe_paths == ("/wp-admin",)


def test_one_probe_fast_and_failing_is_a_scanner() -> None:
    paths = ["/.env", "/a", "/b", "/c"]
    failing = [404, 404, 404, 200]
    assert judge_session(paths, failing, False, 45).reason == (
        "probe path: /.env with 75% 4xx responses at 45 requests/minute"
    )
    assert not judge_session(paths, failing, False, 30).is_scanner  # not fast enough
    assert not judge_session(paths, [404, 200, 200, 200], False, 45).is_scanner  # not failing


def test_long_probe_lists_are_shortened() -> None:
    paths = [f"/backup{index}.sql" for index in range(8)]
    reason = judge_session(paths, [], False, 0).reason
    assert reason is not None and reason.endswith("(+3 more)")
