"""Storage: SQLAlchemy Core tables, Alembic migrations, dialect helpers and repositories."""
