"""What the login form accepts: the API token or the dashboard password, checked in constant
time (digests of equal length are compared, and every configured secret is always tried)."""

from __future__ import annotations

import hashlib
import hmac

from systemprompt_analytics.config import Settings

NOT_CONFIGURED = (
    "no dashboard credential is configured: set SP_ANALYTICS_API_TOKEN or "
    "SP_ANALYTICS_DASHBOARD_PASSWORD"
)


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest()


class Credentials:
    def __init__(self, *secrets: str | None) -> None:
        self._digests = tuple(_digest(secret) for secret in secrets if secret)

    @classmethod
    def from_settings(cls, settings: Settings) -> Credentials:
        token = settings.api_token.get_secret_value() if settings.api_token else None
        password = (
            settings.dashboard_password.get_secret_value() if settings.dashboard_password else None
        )
        return cls(token, password)

    @property
    def configured(self) -> bool:
        return bool(self._digests)

    def accepts(self, presented: str) -> bool:
        if not presented:
            return False
        candidate = _digest(presented)
        matched = False
        for expected in self._digests:  # no early exit: the time does not tell which matched
            matched |= hmac.compare_digest(expected, candidate)
        return matched

    def fingerprint(self) -> bytes:
        """Changes whenever a credential changes, so sessions signed before a rotation end."""
        return hashlib.sha256(b"".join(self._digests)).digest()
