"""Database housekeeping that the database does not do by itself."""

from __future__ import annotations

from django.db import connection


def refresh_statistics() -> str:
    """On SQLite, ``PRAGMA optimize`` runs ANALYZE where the statistics are missing or stale (cheap when
    nothing changed); other databases keep their own statistics."""
    if connection.vendor != "sqlite":
        return "not needed"
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA optimize")
    return "optimized"
