"""Delivering alert notifications to a webhook: a JSON POST with a timeout and retries.

:class:`WebhookSender` does one delivery (retrying a refused connection, a timeout, a 429 or a
5xx with exponential backoff; a 4xx other than 429 is final). :class:`WebhookNotifier` runs
deliveries on its own thread from a bounded queue, so neither ingestion nor the evaluation
job ever waits on a slow receiver; when the queue is full the newest notification is
dropped and counted (and logged).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from systemprompt_analytics.errors import ConfigError

logger = logging.getLogger(__name__)
USER_AGENT = "systemprompt-analytics-anomalies/1"


def check_webhook_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http:// or https:// URL")
    return url


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    delivered: bool
    attempts: int
    status: int | None
    error: str | None = None


class WebhookSender:
    """POST a JSON document to ``url``: ``attempts`` tries at most, waiting ``backoff`` ×
    2^(n-1) seconds before retry n."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 5.0,
        attempts: int = 4,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        try:
            self.url = check_webhook_url(url)
        except ValueError as exc:
            raise ConfigError("SP_ANALYTICS_ANOMALY_WEBHOOK_URL", str(exc)) from None
        if attempts < 1 or timeout <= 0 or backoff < 0:
            raise ValueError("need attempts >= 1, timeout > 0 and backoff >= 0")
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff
        self._sleep = sleep

    def send(self, payload: Mapping[str, Any]) -> DeliveryResult:
        body = json.dumps(payload, default=str).encode("utf-8")
        status: int | None = None
        error: str | None = None
        for attempt in range(1, self.attempts + 1):
            if attempt > 1:
                self._sleep(self.backoff * 2 ** (attempt - 2))
            status, error, retry = self._post(body)
            if error is None:
                return DeliveryResult(True, attempt, status)
            if not retry:
                return DeliveryResult(False, attempt, status, error)
        return DeliveryResult(False, self.attempts, status, error)

    def _post(self, body: bytes) -> tuple[int | None, str | None, bool]:
        """(status, error or None, whether a retry may help)."""
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked to be http(s)
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return int(response.status), None, False
        except urllib.error.HTTPError as exc:
            retry = exc.code == 429 or exc.code >= 500
            return exc.code, f"HTTP {exc.code}", retry
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            return None, f"{type(exc).__name__}: {reason}", True


class WebhookNotifier:
    """Deliveries in a background thread from a bounded queue (see the module docstring)."""

    def __init__(self, sender: WebhookSender, capacity: int = 1000) -> None:
        self.sender = sender
        self.delivered = 0
        self.failed = 0
        self.dropped = 0
        self._queue: queue.Queue[Mapping[str, Any] | None] = queue.Queue(capacity)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def __call__(self, payload: Mapping[str, Any]) -> None:
        self._ensure_thread()
        try:
            self._queue.put_nowait(payload)
        except queue.Full:
            self.dropped += 1
            logger.warning("anomaly webhook queue full; dropped a notification")

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every queued notification was delivered or given up on."""
        deadline = time.monotonic() + timeout
        done = self._queue.all_tasks_done
        with done:
            while self._queue.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                done.wait(remaining)
        return True

    def close(self, timeout: float = 30.0) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="sp-analytics-webhook", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            payload = self._queue.get()
            try:
                if payload is None:
                    return
                result = self.sender.send(payload)
                if result.delivered:
                    self.delivered += 1
                else:
                    self.failed += 1
                    logger.warning(
                        "anomaly webhook delivery failed after %d attempt(s): %s",
                        result.attempts,
                        result.error,
                    )
            finally:
                self._queue.task_done()
