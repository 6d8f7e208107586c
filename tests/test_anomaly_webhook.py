"""Webhook delivery against a real local HTTP server: retries, final failures, the queue."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from systemprompt_analytics.anomaly.webhook import WebhookNotifier, WebhookSender
from systemprompt_analytics.errors import ConfigError


class Receiver:
    """Answers each POST with the next status of ``statuses`` (then 200), recording bodies."""

    def __init__(self, statuses: list[int], delay: float = 0.0) -> None:
        self.statuses = statuses
        self.delay = delay
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.lock = threading.Lock()
        self.release = threading.Event()


@contextmanager
def serve(receiver: Receiver) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            body = json.loads(self.rfile.read(length))
            with receiver.lock:
                receiver.bodies.append(body)
                receiver.headers.append(dict(self.headers))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
            if receiver.delay:
                receiver.release.wait(receiver.delay)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        receiver.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


PAYLOAD = {"event": "firing", "alert": {"metric": "error_rate", "value": 0.4}}


def test_delivery_is_retried_with_backoff_until_accepted() -> None:
    receiver = Receiver([500, 503, 429])
    waits: list[float] = []
    with serve(receiver) as url:
        result = WebhookSender(url, attempts=5, backoff=0.5, sleep=waits.append).send(PAYLOAD)
    assert result.delivered and result.attempts == 4 and result.status == 200
    assert waits == [0.5, 1.0, 2.0]
    assert receiver.bodies == [PAYLOAD] * 4
    assert receiver.headers[0]["Content-Type"] == "application/json"


def test_gives_up_after_the_last_attempt() -> None:
    receiver = Receiver([500, 500, 500])
    with serve(receiver) as url:
        result = WebhookSender(url, attempts=3, backoff=0, sleep=lambda _: None).send(PAYLOAD)
    assert not result.delivered and result.attempts == 3 and result.error == "HTTP 500"


def test_a_client_error_is_not_retried() -> None:
    receiver = Receiver([400])
    with serve(receiver) as url:
        result = WebhookSender(url, attempts=4, sleep=lambda _: None).send(PAYLOAD)
    assert not result.delivered and result.attempts == 1 and result.status == 400
    assert len(receiver.bodies) == 1


def test_a_slow_receiver_times_out_and_is_retried() -> None:
    receiver = Receiver([], delay=5.0)
    with serve(receiver) as url:
        sender = WebhookSender(url, timeout=0.2, attempts=2, backoff=0, sleep=lambda _: None)
        result = sender.send(PAYLOAD)
    assert not result.delivered and result.attempts == 2
    assert result.error is not None and "timed out" in result.error.lower()


def test_an_unreachable_receiver_is_a_failed_delivery_not_an_exception() -> None:
    receiver = Receiver([])
    with serve(receiver) as url:
        pass  # the server is gone now
    result = WebhookSender(url, attempts=2, backoff=0, sleep=lambda _: None).send(PAYLOAD)
    assert not result.delivered and result.status is None and result.error


def test_notifier_delivers_in_the_background() -> None:
    receiver = Receiver([502])
    with serve(receiver) as url:
        notifier = WebhookNotifier(WebhookSender(url, backoff=0, sleep=lambda _: None))
        notifier({"n": 1})
        notifier({"n": 2})
        assert notifier.flush(10)
        notifier.close()
    assert [body["n"] for body in receiver.bodies] == [1, 1, 2]
    assert (notifier.delivered, notifier.failed, notifier.dropped) == (2, 0, 0)


@pytest.mark.parametrize("url", ["ftp://example.com/x", "example.com/hook", "http://"])
def test_only_http_urls_are_accepted(url: str) -> None:
    with pytest.raises(ConfigError) as error:
        WebhookSender(url)
    assert error.value.setting == "SP_ANALYTICS_ANOMALY_WEBHOOK_URL"
