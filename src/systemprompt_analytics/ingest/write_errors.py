"""Telling a database that refuses a batch's data from one that cannot be reached.

The writer retries the second kind (with backoff, holding the batch) and splits the batch on the
first, so that a value the database cannot store costs only its own row.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, StatementError

# Python-side errors raised while a value is bound or encoded (e.g. a lone surrogate in a
# string, an integer too big for the driver, a naive timestamp the bulk loader refuses).
_VALUE_ERRORS = (UnicodeError, ValueError, TypeError, OverflowError)


def is_data_error(exc: BaseException, engine: Engine) -> bool:
    """True when ``exc`` says the data is bad (retrying the same rows cannot help); False for
    everything else — connection loss, locks, timeouts, unknown failures — which is retried."""
    if isinstance(exc, DBAPIError):
        exc = exc.orig if exc.orig is not None else exc
    elif isinstance(exc, StatementError) and exc.orig is not None:
        exc = exc.orig  # SQLAlchemy's wrapper of an error raised while binding parameters
    if isinstance(exc, _VALUE_ERRORS):
        return True
    dbapi = getattr(engine.dialect, "loaded_dbapi", None) or engine.dialect.dbapi
    refused = tuple(
        kind for kind in (getattr(dbapi, "DataError", None), getattr(dbapi, "IntegrityError", None))
        if isinstance(kind, type)
    )  # fmt: skip
    return bool(refused) and isinstance(exc, refused)
