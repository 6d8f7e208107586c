"""The anomaly detectors on the synthetic labelled suite, and their throughput.

For each shape of :mod:`bench.anomaly_suite` (three seeds each), precision, recall, mean
detection delay (points from a window's start to the first alarm in it) and false alarms of
the robust detector with its one default parameter set, against the naive rolling z-score
and the original crate's trend rule run in the same pass. Then points per second of each
detector on a 20,000-point series, and the whole ``anomalies backtest`` path (parse a
20,000-row CSV, score, write) in one go.

    .venv/bin/python -m bench.bench_anomaly [--seeds 1 2 3] [--points 20000]
"""

from __future__ import annotations

import argparse
import io
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from bench.anomaly_suite import LabelledSeries, Scorecard, evaluate, request_counts, suite
from bench.help_format import HelpFormat
from systemprompt_analytics.anomaly.backtest import backtest, parse_series
from systemprompt_analytics.anomaly.detector import RobustDetector
from systemprompt_analytics.anomaly.registry import StreamingDetector
from systemprompt_analytics.anomaly.trend import TrendDetector
from systemprompt_analytics.anomaly.zscore import ZScoreDetector

DETECTORS: dict[str, Callable[[], StreamingDetector]] = {
    "robust": RobustDetector,
    "zscore (baseline)": ZScoreDetector,
    "trend rule": TrendDetector,
}


def _delay(card: Scorecard) -> str:
    delay = card.mean_delay
    return "–" if delay is None else f"{delay:.1f}"


def quality(seeds: Sequence[int]) -> None:
    series = suite(seeds)
    print(f"Synthetic suite: {len(series)} series, seeds {list(seeds)}")
    header = (
        "| shape | detector | windows | precision | recall | mean delay (points) | false alarms |"
    )
    print(header)
    print("|---|---|---|---|---|---|---|")
    totals: dict[str, Scorecard] = {}
    per_detector = {name: evaluate(make, series) for name, make in DETECTORS.items()}
    shapes = list(dict.fromkeys(item.shape for item in series))
    for shape in [*shapes, "all"]:
        for name, cards in per_detector.items():
            if shape == "all":
                card = totals[name]
            else:
                card = cards[shape]
                totals.setdefault(name, Scorecard()).add(card)
            print(
                f"| {shape} | {name} | {card.windows} | {card.precision:.2f} | "
                f"{card.recall:.2f} | {_delay(card)} | {card.false_alarms} |"
            )


def _rate(make: Callable[[], StreamingDetector], series: LabelledSeries) -> float:
    """Points per second, best of three passes with a fresh detector each."""
    best = float("inf")
    pairs = list(zip(series.timestamps, series.values, strict=True))
    for _ in range(3):
        detector = make()
        started = time.perf_counter()
        for timestamp, value in pairs:
            detector.update(timestamp, value)
        best = min(best, time.perf_counter() - started)
    return len(pairs) / best


def throughput(points: int) -> None:
    series = request_counts(1)
    series.timestamps = series.timestamps[:points]
    series.values = series.values[:points]
    print(f"\nThroughput on {len(series.values):,} points (per-minute request counts)")
    print("| detector | points/s | ratio to baseline |")
    print("|---|---|---|")
    baseline = _rate(ZScoreDetector, series)
    for name, make in DETECTORS.items():
        rate = baseline if make is ZScoreDetector else _rate(make, series)
        print(f"| {name} | {rate:,.0f} | {rate / baseline:.2f}× |")
    text = "timestamp,value\n" + "".join(
        f"{datetime.fromtimestamp(t, UTC).isoformat()},{v!r}\n"
        for t, v in zip(series.timestamps, series.values, strict=True)
    )
    started = time.perf_counter()
    out = io.StringIO()
    scored = backtest(parse_series(io.StringIO(text)), RobustDetector())
    out.write("timestamp,value,score,level\n")
    for item in scored:
        out.write(",".join(item.row()) + "\n")
    elapsed = time.perf_counter() - started
    print(f"\nbacktest path (parse, score with robust, write) on {points:,} rows: {elapsed:.2f} s")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=HelpFormat)
    parser.add_argument(
        "--seeds", type=int, nargs="+", default=[1, 2, 3], help="seeds of the labelled suite"
    )
    parser.add_argument(
        "--points", type=int, default=20_000, help="length of the throughput series"
    )
    args = parser.parse_args(argv)
    quality(args.seeds)
    throughput(args.points)


if __name__ == "__main__":
    main()
