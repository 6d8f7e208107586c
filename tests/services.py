"""Reaching the real PostgreSQL and Redis servers from tests.

Tests that need a service skip with a message when it is unreachable, unless
``SP_ANALYTICS_REQUIRE_SERVICES=1`` (as in CI), where an unreachable service fails the run.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_ADMIN_URL = os.environ.get(
    "SP_ANALYTICS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def services_required() -> bool:
    return os.environ.get("SP_ANALYTICS_REQUIRE_SERVICES", "") not in {"", "0", "false", "no"}


def unavailable(service: str, reason: str) -> None:
    message = f"{service} unreachable ({reason})"
    if services_required():
        pytest.fail(f"{message}; SP_ANALYTICS_REQUIRE_SERVICES=1 makes this an error")
    pytest.skip(f"{message}; set SP_ANALYTICS_TEST_POSTGRES_URL or start the server")


def postgres_reachable() -> str | None:
    """None when the server answers, else why not."""
    try:
        engine = create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any driver or network error means "not reachable"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return None


@contextmanager
def temporary_postgres_database(prefix: str = "spa_test") -> Iterator[str]:
    """Create a uniquely named database, yield its URL, drop it afterwards."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
