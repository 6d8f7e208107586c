"""Repositories: the write- and lookup-side SQL for each area, on SQLite and PostgreSQL."""
