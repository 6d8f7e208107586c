"""Errors raised by systemprompt-analytics.

Every error a user can cause carries a message that names the offending field or
setting and what would have been accepted, so the CLI and HTTP layers can print it
as it is (exit code 2 / HTTP 4xx) instead of a traceback.
"""


class AnalyticsError(Exception):
    """Base class of every error this package raises on purpose."""


class ConfigError(AnalyticsError):
    """A setting has a value that is not accepted."""

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"{setting}: {problem}")
        self.setting = setting
        self.problem = problem


class InvalidInputError(AnalyticsError):
    """A user-supplied value (flag, parameter, field) is not accepted."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class StorageError(AnalyticsError):
    """The database could not be reached or is not in a usable state."""


class DemoDataError(AnalyticsError):
    """Demo data cannot be written to this database (for example, it holds real data)."""
