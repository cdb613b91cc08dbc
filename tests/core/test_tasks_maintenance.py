"""The periodic refresh of planner statistics."""

from django.db import connection

from firegov.core import maintenance


def test_statistics_are_refreshed_on_sqlite_and_left_to_postgresql(db):
    result = maintenance.refresh_statistics()
    assert result == ("optimized" if connection.vendor == "sqlite" else "not needed")
