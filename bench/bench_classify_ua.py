"""Throughput of ``sp-analytics classify-ua``: user agents per second on a realistic mix,
with cold caches (data loaded, nothing classified yet) and warm caches (the same input again).

The mix, deterministic for a seed: about 70% repeats of popular browser user agents, 20% a long
tail of (mostly unique) browser builds, devices and in-app browsers, 9% bots from the
crawler-user-agents list (some with unique versions) and 1% malformed values.

    .venv/bin/python -m bench.bench_classify_ua [--lines 100000] [--seed 7] [--write FILE]

``--write FILE`` also saves the generated input, to time the real command end to end:
``time sp-analytics classify-ua --file FILE > /dev/null``.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import random
import time
from pathlib import Path

from bench.help_format import HelpFormat
from systemprompt_analytics.cli.classify_ua_cmd import classify_stream, clear_caches
from systemprompt_analytics.detection.user_agents import load_detection_data

_WEBKIT = "AppleWebKit/537.36 (KHTML, like Gecko)"
_MAC = "Macintosh; Intel Mac OS X 10_15_7"
_SAFARI = "AppleWebKit/605.1.15 (KHTML, like Gecko)"
POPULAR: list[tuple[float, str]] = [
    (14, f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) {_WEBKIT} Chrome/141.0.0.0 Safari/537.36"),
    (8, f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) {_WEBKIT} Chrome/140.0.0.0 Safari/537.36"),
    (7, f"Mozilla/5.0 ({_MAC}) {_WEBKIT} Chrome/141.0.0.0 Safari/537.36"),
    (5, f"Mozilla/5.0 ({_MAC}) {_SAFARI} Version/26.0 Safari/605.1.15"),
    (12, f"Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) {_SAFARI} Version/26.0 "
         "Mobile/15E148 Safari/604.1"),
    (6, f"Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) {_SAFARI} Version/18.5 "
        "Mobile/15E148 Safari/604.1"),
    (15, f"Mozilla/5.0 (Linux; Android 10; K) {_WEBKIT} Chrome/141.0.0.0 Mobile Safari/537.36"),
    (6, f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) {_WEBKIT} Chrome/141.0.0.0 Safari/537.36 "
        "Edg/141.0.0.0"),
    (3, "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:143.0) Gecko/20100101 Firefox/143.0"),
    (1, "Mozilla/5.0 (X11; Linux x86_64; rv:144.0) Gecko/20100101 Firefox/144.0"),
    (4, "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like "
        "Gecko) SamsungBrowser/28.0 Chrome/130.0.0.0 Mobile Safari/537.36"),
    (3, f"Mozilla/5.0 (iPad; CPU OS 18_6 like Mac OS X) {_SAFARI} Version/26.0 Mobile/15E148 "
        "Safari/604.1"),
    (3, f"Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) {_SAFARI} "
        "CriOS/141.0.7390.96 Mobile/15E148 Safari/604.1"),
    (1, f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) {_WEBKIT} Chrome/140.0.0.0 Safari/537.36 "
        "OPR/122.0.0.0"),
    (2, f"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) {_WEBKIT} Chrome/141.0.0.0 Safari/537.36"),
    (1, f"Mozilla/5.0 (Linux; Android 10; K) {_WEBKIT} Chrome/141.0.0.0 Safari/537.36"),
]  # fmt: skip
MALFORMED = ["", "-", "null", "{USER_AGENT}", "${ua}", "undefined", "Mozilla/5.0", "x"]


def _long_tail(rng: random.Random) -> str:
    """A browser build, device or in-app browser that is rarely seen twice."""
    kind = rng.randrange(5)
    if kind == 0:
        return (
            f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) {_WEBKIT} "
            f"Chrome/{rng.randint(100, 141)}.0.{rng.randint(4000, 7500)}.{rng.randint(1, 200)} "
            "Safari/537.36"
        )
    if kind == 1:
        model = f"SM-{rng.choice('AGMSX')}{rng.randint(100, 999)}{rng.choice('BFUN')}"
        return (
            f"Mozilla/5.0 (Linux; Android {rng.randint(9, 15)}; {model} "
            f"Build/{rng.choice(['TP1A', 'UP1A', 'AP3A'])}.{rng.randint(220000, 250000)}.0"
            f"{rng.randint(10, 99)}; wv) {_WEBKIT} Version/4.0 "
            f"Chrome/{rng.randint(110, 141)}.0.{rng.randint(5000, 7500)}.{rng.randint(1, 200)} "
            "Mobile Safari/537.36"
        )
    if kind == 2:
        major, minor = rng.randint(15, 18), rng.randint(0, 7)
        return (
            f"Mozilla/5.0 (iPhone; CPU iPhone OS {major}_{minor} like Mac OS X) {_SAFARI} "
            f"Mobile/15E148 Instagram {rng.randint(250, 400)}.0.0.{rng.randint(10, 40)}."
            f"{rng.randint(100, 130)} (iPhone{rng.randint(10, 17)},{rng.randint(1, 8)}; "
            f"iOS {major}_{minor}; en_US; en; scale=3.00; 1170x2532; {rng.randint(10**8, 10**9)})"
        )
    if kind == 3:
        version = rng.randint(90, 144)
        return (
            f"Mozilla/5.0 (Macintosh; Intel Mac OS X 10.{rng.randint(12, 15)}; rv:{version}.0) "
            f"Gecko/20100101 Firefox/{version}.0"
        )
    return (
        f"Mozilla/5.0 (iPhone; CPU iPhone OS 18_{rng.randint(0, 6)} like Mac OS X) {_SAFARI} "
        f"[FBAN/FBIOS;FBAV/{rng.randint(400, 520)}.0.0.{rng.randint(10, 60)}.{rng.randint(10, 99)};"
        f"FBBV/{rng.randint(10**8, 10**9)};FBDV/iPhone{rng.randint(12, 17)},{rng.randint(1, 5)};"
        "FBMD/iPhone;FBSN/iOS;FBSV/18.6;FBSS/3;FBCR/;FBID/phone;FBLC/en_US;FBOP/80]"
    )


def _bot_instances() -> list[str]:
    spec = importlib.util.find_spec("crawleruseragents")
    assert spec is not None and spec.origin is not None
    entries = json.loads(
        (Path(spec.origin).parent / "crawler-user-agents.json").read_text(encoding="utf-8")
    )
    return [instance for entry in entries for instance in entry["instances"]]


def make_lines(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    weights = [weight for weight, _ in POPULAR]
    popular = [ua for _, ua in POPULAR]
    bots = _bot_instances()
    lines: list[str] = []
    for _ in range(count):
        draw = rng.random()
        if draw < 0.70:
            lines.append(rng.choices(popular, weights)[0])
        elif draw < 0.90:
            lines.append(_long_tail(rng))
        elif draw < 0.97:
            lines.append(rng.choice(bots[:200]) if rng.random() < 0.6 else rng.choice(bots))
        elif draw < 0.99:
            lines.append(f"python-requests/2.{rng.randint(0, 32)}.{rng.randint(0, 9)}")
        else:
            lines.append(rng.choice(MALFORMED))
    return lines


def _run(payload: bytes) -> float:
    out = io.StringIO()
    started = time.perf_counter()
    classify_stream(io.BytesIO(payload), out.write)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=HelpFormat)
    parser.add_argument("--lines", type=int, default=100_000, help="user agents to classify")
    parser.add_argument("--seed", type=int, default=7, help="seed of the generated input")
    parser.add_argument("--write", type=Path, help="also save the generated input here")
    args = parser.parse_args()

    lines = make_lines(args.lines, args.seed)
    payload = ("\n".join(lines) + "\n").encode("utf-8")
    if args.write:
        args.write.write_bytes(payload)

    started = time.perf_counter()
    load_detection_data()
    load_seconds = time.perf_counter() - started

    clear_caches()
    cold = _run(payload)
    warm = _run(payload)

    unique = len(set(lines))
    print(f"classify-ua on {len(lines):,} lines ({unique:,} distinct user agents)")
    print(f"one-time data load: {load_seconds * 1000:,.0f} ms (crawler list + ua-parser regexes)")
    print()
    print(f"{'cache':<6} {'seconds':>8} {'UAs/s':>12}")
    for name, seconds in (("cold", cold), ("warm", warm)):
        print(f"{name:<6} {seconds:>8.3f} {len(lines) / seconds:>12,.0f}")
    print(f"\nwarm / cold speed-up: {cold / warm:.1f}x")


if __name__ == "__main__":
    main()
