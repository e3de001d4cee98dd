"""A benchmark's own PostgreSQL database, named by ``DATABASE_URL``: created, then dropped.

Point ``DATABASE_URL`` only at a scratch database: it is dropped by name.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit


def database_name() -> str:
    return urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/")


def admin_connection():
    """An autocommit connection to the server's ``postgres`` database."""
    import psycopg

    parts = urlsplit(os.environ["DATABASE_URL"])
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="postgres",
        autocommit=True,
    )


def database_create() -> None:
    name = database_name()
    with admin_connection() as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def database_drop() -> None:
    from django.db import connections

    connections.close_all()
    with admin_connection() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database_name()}" WITH (FORCE)')
