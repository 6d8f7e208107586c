"""Bearer-token protection of the API: ``Authorization: Bearer $SP_ANALYTICS_API_TOKEN``,
compared in constant time. Without a configured token the protected endpoints answer 503 and
say how to configure one, rather than being open."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import JSONResponse

from systemprompt_analytics.config import Settings

# Messages, not passwords:
NO_TOKEN = "no API token is configured: set SP_ANALYTICS_API_TOKEN to enable it"  # noqa: S105
BAD_TOKEN = "missing or wrong bearer token (Authorization: Bearer <token>)"  # noqa: S105


class TokenRefusedError(Exception):
    """Raised by :func:`require_token`; the app turns it into :attr:`response`."""

    def __init__(self, response: JSONResponse) -> None:
        super().__init__(response.status_code)
        self.response = response


class BearerToken:
    def __init__(self, settings: Settings) -> None:
        token = settings.api_token.get_secret_value() if settings.api_token else ""
        self._expected = token.encode() if token else None

    def refusal(self, authorization: str | None) -> JSONResponse | None:
        """None when the header carries the configured token, else the response to send."""
        if self._expected is None:
            return JSONResponse({"detail": NO_TOKEN}, 503)
        scheme, _, presented = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            self._expected, presented.strip().encode()
        ):
            return JSONResponse({"detail": BAD_TOKEN}, 401, headers={"WWW-Authenticate": "Bearer"})
        return None


def require_token(settings: Settings) -> Callable[[Request], Awaitable[None]]:
    """A FastAPI dependency letting a request through only with the configured token; the app
    must answer :class:`TokenRefusedError` with its response (see ``token_refused_handler``)."""
    token = BearerToken(settings)

    async def check(request: Request) -> None:
        refusal = token.refusal(request.headers.get("authorization"))
        if refusal is not None:
            raise TokenRefusedError(refusal)

    return check


async def token_refused_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TokenRefusedError)
    return exc.response
