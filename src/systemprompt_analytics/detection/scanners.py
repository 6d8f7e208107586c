"""Scanner detection: probe paths, scanner user agents and request velocity. Pure, no I/O.

A *probe* is a request for something a vulnerability scanner looks for on every host it
finds: WordPress logins, leaked secrets (``.env``, ``.git``), database admin panels, CGI
scripts, web shells, backups, path traversal. Paths are matched by **whole segment or
suffix**, after normalising case and percent-encoding, so ``/.git/config`` and
``/WP-ADMIN/`` are probes while ``/blog/admin-guide``, ``/docs/environment`` and
``/wp-admin-tips`` are not.

:func:`judge_session` turns a session's paths, statuses, user agent and velocity into a
:class:`ScannerVerdict` with the reason (see its docstring for the rule).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote

from systemprompt_analytics.detection.bot_rules import BotCategory
from systemprompt_analytics.detection.user_agents import classify_user_agent

__all__ = [
    "DEFAULT_PROBE_RULES",
    "ProbeRules",
    "ScannerVerdict",
    "judge_session",
    "normalise_path",
    "probe_reason",
    "scanner_user_agent_name",
]

# Rounds of percent-decoding: enough for double/triple encoding (``%252e%252e``).
_DECODE_ROUNDS = 3
# Probe paths named in a reason before "(+N more)".
_REASON_PATHS = 5

_WORDPRESS = (
    "wp-admin",
    "wp-login.php",
    "xmlrpc.php",
    "wp-includes",
    "wp-content",
    "wp-config.php",
    "wp-json",
    "wp-cron.php",
    "wlwmanifest.xml",
)
_SECRETS = (
    ".env",
    ".git",
    ".svn",
    ".hg",
    ".bzr",
    ".ds_store",
    ".htaccess",
    ".htpasswd",
    ".aws",
    ".ssh",
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    ".npmrc",
    ".dockercfg",
    ".bash_history",
    ".git-credentials",
    "web.config",
)
_ADMIN_PANELS = (
    "phpmyadmin",
    "pma",
    "myadmin",
    "mysqladmin",
    "phppgadmin",
    "adminer",
    "adminer.php",
)
_CGI = ("cgi-bin", "fcgi-bin")
_SHELLS = (
    "shell.php",
    "cmd.php",
    "c99.php",
    "r57.php",
    "wso.php",
    "webshell.php",
    "eval-stdin.php",
    "phpinfo.php",
)
_BACKUPS = (
    "backup.zip",
    "backup.tar.gz",
    "backup.tgz",
    "www.zip",
    "wwwroot.zip",
    "site.zip",
    "database.zip",
)
_SERVER_INTERNALS = (
    "server-status", "server-info", "actuator", "jmx-console", "web-console", "hnap1",
    "boaform",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ProbeRules:
    """What counts as a probe path, and when a session is judged a scanner.

    Patterns are lower case and compared with the normalised path (see
    :func:`normalise_path`). ``config.json``, ``admin``, ``login`` and the like are left out
    on purpose: real sites serve them.
    """

    # A path is a probe when any of its segments is one of these.
    segments: frozenset[str] = frozenset(
        _WORDPRESS + _SECRETS + _ADMIN_PANELS + _CGI + _SHELLS + _BACKUPS + _SERVER_INTERNALS
    )
    # ... or these segments appear consecutively anywhere in it.
    segment_sequences: tuple[tuple[str, ...], ...] = (
        ("manager", "html"),
        ("vendor", "phpunit"),
        (".vscode", "sftp.json"),
        ("etc", "passwd"),
    )
    # ... or a segment starts with one of these (``.env.local``, ``wp-config.php.bak``).
    segment_prefixes: tuple[str, ...] = (".env.", "wp-config.php")
    # ... or its last segment ends with one of these.
    suffixes: tuple[str, ...] = (
        ".sql", ".sql.gz", ".sql.bz2", ".sql.zip", ".bak", ".backup", ".old", ".swp",
    )  # fmt: skip
    # On a site that serves no PHP, any ``*.php`` path is a probe.
    php_site: bool = False
    # Normalised paths never treated as probes (a site that really serves ``/pma``).
    allowed_paths: frozenset[str] = frozenset()
    # judge_session: distinct probe paths that make a scanner on their own.
    min_distinct_probes: int = 2
    # judge_session: one probe is enough with this share of 4xx responses ...
    error_share: float = 0.5
    # ... and a peak of more than this many requests per minute.
    high_velocity_per_minute: int = 30


DEFAULT_PROBE_RULES = ProbeRules()


@dataclass(frozen=True, slots=True)
class ScannerVerdict:
    """Whether a session is a scanner, why, and the probe paths it requested."""

    is_scanner: bool
    reason: str | None
    probe_paths: tuple[str, ...] = field(default=())


def normalise_path(path: str) -> str:
    """The path part of ``path``: percent-decoded (repeatedly), lower case, ``\\`` as ``/``,
    repeated and trailing slashes removed (``/WP-Admin//`` is ``/wp-admin``)."""
    text = path.split("#", 1)[0].split("?", 1)[0]
    segments = [part for part in _decode(text).replace("\\", "/").lower().split("/") if part]
    return "/" + "/".join(segments)


def _decode(text: str) -> str:
    for _ in range(_DECODE_ROUNDS):
        decoded = unquote(text, errors="replace")
        if decoded == text:
            break
        text = decoded
    return text


def _is_traversal(path: str) -> bool:
    """``..`` as a path segment, anywhere in the path or query, after decoding."""
    decoded = _decode(path.split("#", 1)[0]).replace("\\", "/")
    segments = decoded.replace("?", "/").replace("=", "/").replace("&", "/").split("/")
    return ".." in segments


def probe_reason(path: str, rules: ProbeRules = DEFAULT_PROBE_RULES) -> str | None:
    """Why ``path`` is a probe (e.g. ``"segment .env"``), or None when it is not one.

    Never raises: any text is a path to judge.
    """
    normalised = normalise_path(path)
    if normalised in rules.allowed_paths:
        return None
    if _is_traversal(path):
        return "path traversal"
    segments = [segment for segment in normalised.split("/") if segment]
    return _segment_reason(segments, rules) or _suffix_reason(segments, rules)


def _segment_reason(segments: Sequence[str], rules: ProbeRules) -> str | None:
    for segment in segments:
        if segment in rules.segments:
            return f"segment {segment}"
        for prefix in rules.segment_prefixes:
            if segment.startswith(prefix):
                return f"segment {prefix}*"
    for sequence in rules.segment_sequences:
        if _contains_run(segments, sequence):
            return "segments " + "/".join(sequence)
    return None


def _contains_run(segments: Sequence[str], run: Sequence[str]) -> bool:
    width = len(run)
    return width > 0 and any(
        tuple(segments[i : i + width]) == tuple(run) for i in range(len(segments) - width + 1)
    )


def _suffix_reason(segments: Sequence[str], rules: ProbeRules) -> str | None:
    if not segments:
        return None
    last = segments[-1]
    for suffix in rules.suffixes:
        if last.endswith(suffix):
            return f"suffix {suffix}"
    if not rules.php_site and last.endswith(".php"):
        return "php on a non-PHP site"
    return None


def scanner_user_agent_name(user_agent: str | None) -> str | None:
    """The scanner a user agent names (sqlmap, Nikto, Nmap, zgrab, masscan, ...), or None.

    Uses the user-agent classifier's scanner category (crawler list plus our own table), so
    the list of scanner user agents lives in one place.
    """
    info = classify_user_agent(user_agent)
    if info.category is BotCategory.SCANNER:
        return info.bot_name or "unknown scanner"
    return None


def judge_session(
    paths: Sequence[str],
    statuses: Sequence[int],
    scanner_user_agent: bool | str,
    requests_per_minute_peak: int,
    rules: ProbeRules = DEFAULT_PROBE_RULES,
) -> ScannerVerdict:
    """Judge one session. ``scanner_user_agent`` is True or the scanner's name.

    The rule, in order:

    1. a scanner user agent makes a scanner, whatever it requested;
    2. ``min_distinct_probes`` (2) or more distinct probe paths make a scanner;
    3. a single probe makes a scanner only together with mostly failing requests (more than
       ``error_share`` of responses 4xx) **and** a peak above ``high_velocity_per_minute``;
    4. otherwise not a scanner: one stray probe from an otherwise normal visitor (a human
       who typed ``/wp-admin`` to see what happens) is not enough.
    """
    probes = _distinct_probes(paths, rules)
    reasons: list[str] = []
    if scanner_user_agent:
        name = scanner_user_agent if isinstance(scanner_user_agent, str) else "unknown"
        reasons.append(f"scanner user agent: {name}")
    if len(probes) >= rules.min_distinct_probes:
        reasons.append(_probe_list(probes))
    elif probes and _failing_fast(statuses, requests_per_minute_peak, rules):
        share = _error_share(statuses)
        reasons.append(
            f"{_probe_list(probes)} with {share:.0%} 4xx responses at "
            f"{requests_per_minute_peak} requests/minute"
        )
    if not reasons:
        return ScannerVerdict(False, None, probes)
    if scanner_user_agent and probes and len(reasons) == 1:
        reasons.append(_probe_list(probes))
    return ScannerVerdict(True, "; ".join(reasons), probes)


def _distinct_probes(paths: Sequence[str], rules: ProbeRules) -> tuple[str, ...]:
    """Probe paths in order of first request, one per normalised path."""
    seen: dict[str, str] = {}
    for path in paths:
        key = normalise_path(path)
        if key not in seen and probe_reason(path, rules) is not None:
            seen[key] = path
    return tuple(seen.values())


def _probe_list(probes: Sequence[str]) -> str:
    shown = ", ".join(probes[:_REASON_PATHS])
    more = len(probes) - _REASON_PATHS
    label = "probe path" if len(probes) == 1 else "probe paths"
    return f"{label}: {shown}" + (f" (+{more} more)" if more > 0 else "")


def _error_share(statuses: Sequence[int]) -> float:
    if not statuses:
        return 0.0
    return sum(1 for status in statuses if 400 <= status < 500) / len(statuses)


def _failing_fast(statuses: Sequence[int], peak: int, rules: ProbeRules) -> bool:
    return _error_share(statuses) > rules.error_share and peak > rules.high_velocity_per_minute
