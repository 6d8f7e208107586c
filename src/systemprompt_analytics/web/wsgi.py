"""WSGI middleware (Flask, Django, any WSGI app).

    from systemprompt_analytics import Analytics
    from systemprompt_analytics.web import AnalyticsWSGIMiddleware

    app.wsgi_app = AnalyticsWSGIMiddleware(app.wsgi_app, analytics=Analytics.from_env())  # Flask
    application = AnalyticsWSGIMiddleware(get_wsgi_application())                        # Django

The same pipeline as the ASGI middleware. The request is recorded when the server closes the
response iterable (after the last byte): with the app's status, 500 if the app raised (also while
producing the body), 499 if the server closed the body before its end (the client went away).
``environ["analytics.user_id"]`` set by the app is read afterwards; ``user_id=callable(environ)``
is asked before the app runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from systemprompt_analytics.ingest.pipeline import CLIENT_CLOSED_REQUEST, RequestContext
from systemprompt_analytics.service import Analytics
from systemprompt_analytics.web.facts import facts_from_environ
from systemprompt_analytics.web.throttling import REFUSAL_BODY, refusal_headers, throttle_refusal

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

ENVIRON_USER_KEY = "analytics.user_id"


class AnalyticsWSGIMiddleware:
    def __init__(
        self,
        app: WSGIApp,
        analytics: Analytics | None = None,
        user_id: Callable[[Environ], str | None] | None = None,
    ) -> None:
        self.app = app
        self.analytics = (analytics or Analytics.from_env()).start()
        self.user_id = user_id

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        known_user = self.user_id(environ) if self.user_id is not None else None
        context = self.analytics.pipeline.begin(facts_from_environ(environ, known_user))
        if context is None:
            return self.app(environ, start_response)
        refusal = throttle_refusal(self.analytics, context)
        if refusal is not None:
            start_response("429 Too Many Requests", refusal_headers(refusal, context.set_cookie))
            self.analytics.pipeline.finish(context, 429, response_bytes=len(REFUSAL_BODY))
            return [REFUSAL_BODY]
        observed = {"status": 500}

        def start_and_observe(status: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
            observed["status"] = int(status.split(" ", 1)[0])
            if context.set_cookie is not None:
                headers = [*headers, ("Set-Cookie", context.set_cookie)]
            return start_response(status, headers, *exc)

        try:
            body = self.app(environ, start_and_observe)
        except BaseException:
            self._finish(context, environ, 500, 0)
            raise

        def done(body: _ObservedBody) -> None:
            if body.failed:
                status = 500
            elif body.completed:
                status = observed["status"]
            else:  # the server stopped sending (the client went away) before the end
                status = CLIENT_CLOSED_REQUEST
            self._finish(context, environ, status, body.sent, body.completed)

        return _ObservedBody(body, done, count=environ.get("REQUEST_METHOD") != "HEAD")

    def _finish(
        self,
        context: RequestContext,
        environ: Environ,
        status: int,
        sent: int,
        completed: float = 0.0,
    ) -> None:
        user = environ.get(ENVIRON_USER_KEY)
        self.analytics.pipeline.finish(
            context, status, sent, user_id=str(user) if user else None, completed=completed
        )


class _ObservedBody:
    """Wraps the response iterable to count bytes and record the request on ``close()``.

    A server iterates the body to its end, then calls ``close()``; one that calls ``close()``
    before the end stopped sending because the client went away (recorded as 499).
    """

    def __init__(
        self, body: Iterable[bytes], done: Callable[[_ObservedBody], None], count: bool
    ) -> None:
        self._body = body
        self._done = done
        self._count = count  # False for HEAD: the server sends no body
        self._closed = False
        self.sent = 0
        self.completed = 0.0  # perf_counter() when the last part was handed over
        self.failed = False  # the app raised while producing the body

    def __iter__(self) -> Iterator[bytes]:
        try:
            for chunk in self._body:
                if self._count:
                    self.sent += len(chunk)
                yield chunk
        except GeneratorExit:  # the server stopped early: close() tells
            raise
        except BaseException:
            self.failed = True
            raise
        self.completed = time.perf_counter()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._done(self)
