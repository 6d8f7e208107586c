"""``GET /metrics``: Prometheus exposition of the ingest queue, the writer, HTTP and throttling.

Each app has its own registry (never the process-global one), so several apps — or tests —
in one process do not share counters. Writer and throttle figures are read at scrape time from
the counters those components already keep; HTTP responses are counted by a small ASGI wrapper.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from systemprompt_analytics.service import Analytics

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _AnalyticsCollector(Collector):
    def __init__(self, analytics: Analytics) -> None:
        self.analytics = analytics

    def collect(self) -> Iterator[Metric]:
        writer = self.analytics.writer
        stats = writer.stats
        yield GaugeMetricFamily(
            "sp_analytics_ingest_queue_depth",
            "Items queued for the batching writer (including the batch being written).",
            value=writer.pending,
        )
        yield GaugeMetricFamily(
            "sp_analytics_ingest_queue_capacity",
            "Items the queue holds at most (writer_max_pending); beyond, new ones are dropped. "
            "Alert on depth / capacity.",
            value=writer.config.max_pending,
        )
        yield CounterMetricFamily(
            "sp_analytics_events_submitted", "Items handed to the writer.", value=stats.submitted
        )
        yield CounterMetricFamily(
            "sp_analytics_events_written", "Event rows written.", value=stats.written_events
        )
        yield CounterMetricFamily(
            "sp_analytics_events_dropped",
            "Items dropped because the queue was full (the database was down too long).",
            value=stats.dropped,
        )
        yield CounterMetricFamily(
            "sp_analytics_rows_rejected",
            "Rows the database refused (a value it cannot store), left out of their batch.",
            value=stats.rejected,
        )
        yield CounterMetricFamily(
            "sp_analytics_writer_flushes", "Batches written.", value=stats.flushes
        )
        yield CounterMetricFamily(
            "sp_analytics_writer_failed_flushes",
            "Batch writes that failed and were retried.",
            value=stats.failed_flushes,
        )
        yield GaugeMetricFamily(
            "sp_analytics_writer_last_flush_seconds",
            "Duration of the last successful batch write.",
            value=stats.last_flush_seconds,
        )
        throttle = self.analytics.throttle
        if throttle is not None:
            decisions = CounterMetricFamily(
                "sp_analytics_throttle_decisions",
                "Throttle decisions by outcome.",
                labels=["outcome"],
            )
            snapshot = throttle.stats.snapshot()
            for outcome in (
                "allowed",
                "denied",
                "shadow_denied",
                "allow_listed",
                "fail_open",
                "fail_closed",
            ):
                decisions.add_metric([outcome], float(snapshot[outcome] or 0))
            yield decisions


class Metrics:
    """The app's registry plus the HTTP-response counter the middleware feeds."""

    def __init__(self, analytics: Analytics) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.registry.register(_AnalyticsCollector(analytics))
        self.http_responses = Counter(
            "sp_analytics_http_responses",
            "HTTP responses of this server by status code.",
            ["status"],
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class CountResponses:
    """ASGI wrapper counting every HTTP response by status code."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.metrics.http_responses.labels(str(message["status"])).inc()
            await send(message)

        await self.app(scope, receive, counting_send)
