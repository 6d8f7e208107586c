"""The content registry of the site's pages and a few anomaly alerts that the generated
traffic would have raised (the blocked scanner, the recurring headless crawler, a bot
rotating IP addresses)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from systemprompt_analytics.demo.records import RequestTuple, Row, SessionBuilder
from systemprompt_analytics.demo.rng import DemoRandom
from systemprompt_analytics.demo.site import PUBLIC_PAGES
from systemprompt_analytics.demo.timeline import MS_PER_MINUTE, Window

# Seeded thresholds (DESIGN.md section 7): warning, critical.
THRESHOLDS = {
    "requests_per_minute": (15.0, 30.0),
    "session_count_per_fingerprint": (5.0, 10.0),
    "error_rate": (0.1, 0.25),
    "unique_ips_per_fingerprint": (3.0, 10.0),
}


def content_items(
    rng: DemoRandom, window: Window, fresh_post: str | None, fresh_post_ms: int | None
) -> list[Row]:
    """One item per public page, published before the window (``fresh_post`` during it)."""
    rows: list[Row] = []
    for page in PUBLIC_PAGES:
        if page.path == fresh_post and fresh_post_ms is not None:
            published = updated = window.at(fresh_post_ms)
        else:
            published = window.start - timedelta(days=rng.randint(20, 700))
            updated = min(window.start, published + timedelta(days=rng.randint(0, 300)))
        rows.append(
            {
                "id": f"page_{page.slug}",
                "path": page.path,
                "slug": page.slug,
                "title": page.title,
                "kind": page.section,
                "published_at": published,
                "updated_at": updated,
            }
        )
    return rows


@dataclass
class AlertEvidence:
    """What the alerts are raised from, collected from the bot sessions as they finish."""

    headless_fingerprint: str | None = None
    heavy_scanner: tuple[str, list[RequestTuple]] | None = None
    headless_starts: list[int] = field(default_factory=list)
    # Per bot fingerprint: (first ms, last ms, ip) of each session.
    sightings: dict[str, list[tuple[int, int, str]]] = field(default_factory=dict)

    def add_bot(self, builder: SessionBuilder, *, heavy_scanner: bool) -> None:
        fingerprint = builder.attrs["fingerprint_hash"]
        first, last = builder.span()
        self.sightings.setdefault(fingerprint, []).append((first, last, builder.attrs["ip"]))
        if heavy_scanner:
            self.heavy_scanner = (fingerprint, list(builder.requests))
        if fingerprint == self.headless_fingerprint:
            self.headless_starts.append(first)


def anomaly_alerts(window: Window, evidence: AlertEvidence) -> list[Row]:
    alerts: list[Row] = []
    if evidence.heavy_scanner is not None and evidence.heavy_scanner[1]:
        alerts += _scanner_alerts(window, *evidence.heavy_scanner)
    count_warning, count_critical = THRESHOLDS["session_count_per_fingerprint"]
    starts = sorted(evidence.headless_starts)
    if evidence.headless_fingerprint is not None and len(starts) > count_warning:
        level = "critical" if len(starts) > count_critical else "warning"
        limit = count_critical if level == "critical" else count_warning
        alerts.append(
            _alert(
                window, "session_count_per_fingerprint", evidence.headless_fingerprint, level,
                float(len(starts)), limit, "threshold",
                f"{len(starts)} sessions from one headless-browser fingerprint",
                starts[int(count_warning)], starts[-1], None,
            )
        )  # fmt: skip
    rotating = _ip_rotation(evidence.sightings)
    if rotating is not None:
        fingerprint, ips, first, last = rotating
        ip_warning, _ = THRESHOLDS["unique_ips_per_fingerprint"]
        alerts.append(
            _alert(
                window, "unique_ips_per_fingerprint", fingerprint, "warning", float(ips),
                ip_warning, "threshold", f"one fingerprint seen from {ips} IP addresses",
                first, last, None,
            )
        )  # fmt: skip
    return alerts


def _scanner_alerts(window: Window, fingerprint: str, requests: list[RequestTuple]) -> list[Row]:
    """The blocked scanner: a burst of requests per minute, nearly all of them errors."""
    alerts: list[Row] = []
    times = sorted(r[0] for r in requests)
    per_minute = Counter(ms // MS_PER_MINUTE for ms in times)
    peak = max(per_minute.values())
    warning, critical = THRESHOLDS["requests_per_minute"]
    if peak >= critical:
        crossed = min(minute for minute, count in per_minute.items() if count >= warning)
        alerts.append(
            _alert(
                window, "requests_per_minute", fingerprint, "critical", float(peak), critical,
                "threshold", f"{peak} requests in one minute from one fingerprint "
                f"(critical at {critical:g}); throttled to Blocked",
                max(crossed * MS_PER_MINUTE, times[0]), times[-1], times[-1] + 5 * MS_PER_MINUTE,
            )
        )  # fmt: skip
    errors = sum(1 for r in requests if r[3] >= 400)
    rate = errors / len(requests)
    error_warning, error_critical = THRESHOLDS["error_rate"]
    if rate >= error_warning:
        level = "critical" if rate >= error_critical else "warning"
        limit = error_critical if level == "critical" else error_warning
        alerts.append(
            _alert(
                window, "error_rate", fingerprint, level, round(rate, 3), limit, "threshold",
                f"{errors} of {len(requests)} requests failed",
                times[min(20, len(times) - 1)], times[-1], times[-1] + 5 * MS_PER_MINUTE,
            )
        )  # fmt: skip
    return alerts


def _ip_rotation(
    sightings: dict[str, list[tuple[int, int, str]]],
) -> tuple[str, int, int, int] | None:
    """A bot fingerprint seen from 3 to 9 IPs (a warning), preferring the most recent."""
    best: tuple[str, int, int, int] | None = None
    for fingerprint, seen_at in sightings.items():
        ips = {ip for _, _, ip in seen_at}
        if not 3 <= len(ips) < 10:
            continue
        # The alert starts with the session that showed the third address.
        seen: set[str] = set()
        started = 0
        for first, _, ip in sorted(seen_at):
            seen.add(ip)
            if len(seen) == 3:
                started = first
                break
        candidate = (fingerprint, len(ips), started, max(last for _, last, _ in seen_at))
        if best is None or candidate[3] > best[3]:
            best = candidate
    return best


def _alert(
    window: Window,
    metric: str,
    subject: str,
    level: str,
    value: float,
    threshold: float,
    detector: str,
    message: str,
    started_ms: int,
    last_ms: int,
    resolved_ms: int | None,
) -> Row:
    at = window.at
    limit = window.length_ms - 1
    return {
        "metric_name": metric,
        "subject": subject,
        "level": level,
        "state": "resolved" if resolved_ms is not None else "firing",
        "value": value,
        "baseline": threshold,
        "detector": detector,
        "message": message,
        "started_at": at(started_ms),
        "last_seen_at": at(last_ms),
        "resolved_at": at(min(resolved_ms, limit)) if resolved_ms is not None else None,
        "notified_at": at(min(started_ms + 2_000, limit)),
    }
