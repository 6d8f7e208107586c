"""Cookie-less identity: how often different visitors get the same fingerprint (issue 3).

    .venv/bin/python -m bench.bench_fingerprint [--visitors 100000] [--seed 11]

A synthetic day of visitors with realistic shares: user agents from a popularity-weighted list of
current browser builds (85%) and a long tail (15%); Accept-Language from a skewed list of
locales; networks where most visitors have their own address but households (2–4 people),
offices (10–40) and mobile carrier-grade NAT pools (30–200 per address) share one. A collision
is a visitor whose fingerprint equals another visitor's on the same day. Compared: the original
crate's composition (user agent + first language) against ours (+ client network).
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from collections.abc import Callable
from datetime import date

from rich.console import Console
from rich.table import Table

from bench.bench_classify_ua import POPULAR, _long_tail
from bench.help_format import HelpFormat
from systemprompt_analytics.ingest.fingerprint import (
    derive_fingerprint_key,
    fingerprint,
    primary_language,
)

LOCALES = [
    ("en-US,en;q=0.9", 34), ("en-GB,en;q=0.9", 8), ("de-DE,de;q=0.9,en;q=0.8", 8),
    ("fr-FR,fr;q=0.9", 6), ("es-ES,es;q=0.9", 5), ("en-IN,en;q=0.9,hi;q=0.8", 7),
    ("pt-BR,pt;q=0.9", 5), ("ja-JP,ja;q=0.9", 4), ("nl-NL,nl;q=0.9,en;q=0.8", 3),
    ("it-IT,it;q=0.9", 3), ("pl-PL,pl;q=0.9", 2), ("en-CA,en;q=0.9", 3), ("zh-CN,zh;q=0.9", 3),
    ("ko-KR,ko;q=0.9", 2), ("sv-SE,sv;q=0.9", 1), ("tr-TR,tr;q=0.9", 2), ("en", 4),
]  # fmt: skip
DAY = date(2026, 11, 27)


def population(visitors: int, seed: int) -> list[tuple[str, str, str]]:
    """(user agent, Accept-Language, IP) per visitor."""
    rng = random.Random(seed)
    agents = [ua for _, ua in POPULAR]
    agent_weights = [weight for weight, _ in POPULAR]
    locales = [value for value, _ in LOCALES]
    locale_weights = [weight for _, weight in LOCALES]
    shared: list[tuple[str, int]] = []  # (ip, remaining seats)
    people = []
    next_ip = 0
    for _ in range(visitors):
        ua = rng.choices(agents, agent_weights)[0] if rng.random() < 0.85 else _long_tail(rng)
        locale = rng.choices(locales, locale_weights)[0]
        roll = rng.random()
        if roll < 0.60:  # own address
            next_ip += 1
            ip = f"10.{next_ip >> 16 & 255}.{next_ip >> 8 & 255}.{next_ip & 255}"
        else:
            size = (
                rng.randint(2, 4) if roll < 0.80 else  # household
                rng.randint(10, 40) if roll < 0.90 else  # office
                rng.randint(30, 200)  # carrier-grade NAT pool
            )  # fmt: skip
            if not shared or rng.random() < 1 / size:
                next_ip += 1
                shared.append(
                    (f"100.{next_ip >> 16 & 255}.{next_ip >> 8 & 255}.{next_ip & 255}", size)
                )
            ip, _ = shared[-1] if rng.random() < 0.7 else rng.choice(shared[-50:])
        people.append((ua, locale, ip))
    return people


def collisions(keys: list[str]) -> tuple[float, int, int]:
    """(share of visitors sharing their key with someone, largest group, groups over 5)."""
    counts = Counter(keys)
    shared = sum(count for count in counts.values() if count > 1)
    return shared / len(keys), max(counts.values()), sum(1 for c in counts.values() if c > 5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=HelpFormat)
    parser.add_argument("--visitors", type=int, default=100_000, help="synthetic visitors")
    parser.add_argument("--seed", type=int, default=11, help="seed of the population")
    args = parser.parse_args()
    people = population(args.visitors, args.seed)
    key = derive_fingerprint_key("bench")

    def original(ua: str, lang: str, ip: str) -> str:
        return f"{ua}|{primary_language(lang)}"

    def ours(ua: str, lang: str, ip: str) -> str:
        return fingerprint(
            key, user_agent=ua, accept_language=lang, ip=ip, day=DAY
        ).fingerprint_hash

    compositions: list[tuple[str, Callable[[str, str, str], str]]] = [
        ("user agent + first language (original)", original),
        ("user agent + language + network (ours)", ours),
    ]
    table = Table(title=f"Fingerprint collisions, {args.visitors:,} visitors in one day")
    for column in (
        "composition",
        "visitors merged with another",
        "largest group",
        "groups > 5 (would trip 'multiple sessions')",
        "ratio to original",
    ):
        table.add_column(column, justify="left" if column == "composition" else "right")
    baseline = None
    for label, compose in compositions:
        rate, largest, big = collisions([compose(*person) for person in people])
        baseline = baseline or rate
        table.add_row(label, f"{rate:.2%}", f"{largest:,}", f"{big:,}", f"{rate / baseline:.3f}×")
    distinct_ips = len({ip for _, _, ip in people})
    Console().print(table)
    Console().print(f"{distinct_ips:,} distinct addresses; seed {args.seed}.")


if __name__ == "__main__":
    main()
