"""ASGI middleware (Starlette, FastAPI, any ASGI app).

    from systemprompt_analytics import Analytics
    from systemprompt_analytics.web import AnalyticsMiddleware

    app.add_middleware(AnalyticsMiddleware, analytics=Analytics.from_env())

Every HTTP request is attributed to a session before the app runs (so the session cookie can
be set on the response) and recorded after the response is sent. A client over its
(level-adjusted) rate limit is answered 429 with ``Retry-After`` before the app runs. The
app's work is never delayed by the database: recording only queues. On lifespan shutdown the
queue is flushed.

What is recorded: the status the app sent; 500 if it raised before its response was complete
(even after the status line went out); 499 if the client went away before the response was
complete, as far as the server or the app lets the middleware see it (the server raising on
``send``, or ``http.disconnect`` on ``receive``, which Starlette's streaming responses listen
for). Latency runs until the app hands over the response's last part; HEAD responses count no
body bytes.

The request's :class:`RequestContext` (its session) is left in ``scope["state"]
["analytics_context"]`` (``request.state.analytics_context``) for the app.

The user: ``user_id=callable(scope)`` is asked before the app runs (e.g. from a bearer token);
after the app ran, ``scope["state"]["analytics_user_id"]`` (``request.state.analytics_user_id``
in Starlette) is read too, so an auth dependency can report who the user was.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from systemprompt_analytics.ingest.pipeline import CLIENT_CLOSED_REQUEST, RequestContext
from systemprompt_analytics.service import Analytics
from systemprompt_analytics.throttle.decision import ThrottleDecision
from systemprompt_analytics.web.facts import facts_from_scope
from systemprompt_analytics.web.throttling import REFUSAL_BODY, refusal_headers, throttle_refusal

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

STATE_USER_KEY = "analytics_user_id"
# The request's RequestContext, for the app (the collector attributes its events with it).
STATE_CONTEXT_KEY = "analytics_context"


class AnalyticsMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        analytics: Analytics | None = None,
        user_id: Callable[[Scope], str | None] | None = None,
    ) -> None:
        self.app = app
        self.analytics = analytics or Analytics.from_env()
        self.user_id = user_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.analytics.start()
        pipeline = self.analytics.pipeline
        known_user = self.user_id(scope) if self.user_id is not None else None
        context = pipeline.begin(facts_from_scope(scope, known_user))
        if context is None:
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        if isinstance(state, dict):
            state[STATE_CONTEXT_KEY] = context
        refusal = throttle_refusal(self.analytics, context)
        if refusal is not None:
            await self._refuse(send, context, refusal)
            return
        status = CLIENT_CLOSED_REQUEST
        sent = 0
        count_body = scope.get("method") != "HEAD"  # the server sends no body for HEAD
        completed = 0.0  # perf_counter() when the app handed over the response's last part
        left = False  # the client went away before the response was complete

        async def receive_and_observe() -> Message:
            nonlocal left
            message = await receive()
            if message["type"] == "http.disconnect" and not completed:
                left = True
            return message

        async def send_and_observe(message: Message) -> None:
            nonlocal status, sent, completed, left
            if message["type"] == "http.response.start":
                status = int(message["status"])
                if context.set_cookie is not None:
                    headers = list(message.get("headers", []))
                    headers.append((b"set-cookie", context.set_cookie.encode("latin-1")))
                    message["headers"] = headers
            elif message["type"] == "http.response.body":
                if count_body:
                    sent += len(message.get("body", b""))
                if not message.get("more_body", False):
                    completed = time.perf_counter()
            try:
                await send(message)
            except OSError:  # ASGI 2.4: sending on a connection the client closed
                left = True
                raise

        try:
            await self.app(scope, receive_and_observe, send_and_observe)
        except BaseException:
            # Once the response is complete the client has its answer (a background task
            # failed); before that, the answer it got is broken — even after a 200 went out.
            if not completed:
                status = 500
            raise
        finally:
            if left:
                status = CLIENT_CLOSED_REQUEST
            self._finish(context, scope, status, sent, completed)

    async def _refuse(
        self, send: Send, context: RequestContext, decision: ThrottleDecision
    ) -> None:
        headers = refusal_headers(decision, context.set_cookie)
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
            }
        )
        await send({"type": "http.response.body", "body": REFUSAL_BODY})
        self.analytics.pipeline.finish(context, 429, response_bytes=len(REFUSAL_BODY))

    def _finish(
        self, context: RequestContext, scope: Scope, status: int, sent: int, completed: float
    ) -> None:
        state = scope.get("state")
        user = state.get(STATE_USER_KEY) if isinstance(state, dict) else None
        self.analytics.pipeline.finish(
            context, status, sent, user_id=str(user) if user else None, completed=completed
        )

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_and_close(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                self.analytics.start()
            if message["type"] in ("lifespan.shutdown.complete", "lifespan.shutdown.failed"):
                self.analytics.close()
            await send(message)

        await self.app(scope, receive, send_and_close)
