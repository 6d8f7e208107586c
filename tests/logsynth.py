"""Synthetic access logs with known contents, for import tests and the import benchmark."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/141.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/18.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.6 Safari/605.1.15",
]
BOTS = {
    "search": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "ai_crawler": "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; "
    "+https://openai.com/gptbot)",
    "scanner": "sqlmap/1.7.2#stable (https://sqlmap.org)",
    "http_library": "python-requests/2.32.3",
}
PAGES = ["/", "/pricing", "/docs", "/docs/install", "/blog/launch", "/about"]


@dataclass
class SyntheticLog:
    lines: list[str] = field(default_factory=list)
    requests: int = 0
    malformed: int = 0
    # ip → "human" or bot category, for clients with at least one well-formed line
    visitors: dict[str, str] = field(default_factory=dict)


def combined_log(lines: int, seed: int = 1, malformed_every: int = 997) -> SyntheticLog:
    """Each client (one IP, one UA) makes a burst of requests within a few minutes, so every
    client is exactly one cookie-less session."""
    rng = random.Random(seed)
    log = SyntheticLog()
    start = datetime(2026, 11, 20, tzinfo=UTC)
    client = 0
    while len(log.lines) < lines:
        client += 1
        ip = f"198.{18 + client // 65536}.{client // 256 % 256}.{client % 256}"
        kind = "human" if rng.random() < 0.75 else rng.choice(list(BOTS))
        agent = rng.choice(BROWSERS) if kind == "human" else BOTS[kind]
        at = start + timedelta(seconds=client * 7)
        for _ in range(rng.randint(1, 8)):
            if len(log.lines) >= lines:
                break
            if len(log.lines) % malformed_every == malformed_every - 1:
                log.lines.append(f'{ip} - - [bad time] "GET / HTTP/1.1" 200 1 "-" "-"')
                log.malformed += 1
                continue
            at += timedelta(seconds=rng.randint(1, 60))
            path = rng.choice(PAGES) if kind != "scanner" else rng.choice(["/.env", "/wp-admin"])
            status = 404 if kind == "scanner" else 200
            stamp = at.strftime("%d/%b/%Y:%H:%M:%S +0000")
            log.lines.append(
                f'{ip} - - [{stamp}] "GET {path} HTTP/1.1" {status} {rng.randint(200, 9000)} '
                f'"-" "{agent}"'
            )
            log.requests += 1
            log.visitors[ip] = kind
    return log


def json_line(**values: object) -> str:
    return json.dumps(values)
