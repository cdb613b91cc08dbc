"""Time the hazard list page and the hazard API list against the configured database.

    FIREGOV_DATA_DIR=/tmp/fgbench-sqlite python bench/hazards_list.py --requests 30

The method (warm-up, timed requests alternating with replays of their SQL, targets) is in
bench/listbench.py. The scenarios are the ledger's (open, overdue, category, county, sector, a deep
page) and the users a detachment officer (the whole city), a county inspector and a department
officer. Fill the database first with bench/generate_city.py, then bench/generate_hazards.py.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firegov.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from bench import listbench  # noqa: E402
from firegov.hazards.models import OPEN_STATUSES, Hazard, overdue_q  # noqa: E402
from firegov.registry.models import Unit  # noqa: E402

# The detachment (支队: the whole city), a county brigade's inspector, the city's education department.
USERS = ["zhidui", "xuecheng", "jiaoyu"]
CATEGORY = "blocked_exit"  # 疏散通道、安全出口被占用、堵塞: about 5% of the hazards
SECTOR = "education"


def scenarios(user) -> list[tuple[str, dict]]:
    county = listbench.largest_county(user, Hazard.objects.all())
    return [
        ("unfiltered", {}),
        ("open=true", {"open": "true"}),
        ("overdue=true", {"overdue": "true"}),
        (f"category={CATEGORY}", {"category": CATEGORY}),
        (f"region={county.name}", {"region": county.pk}),
        (f"sector={SECTOR}", {"sector": SECTOR}),
        ("page=200", {"page": 200}),
    ]


def table_size() -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_relation_size('hazards_hazard'), pg_indexes_size('hazards_hazard')")
            table, indexes = cursor.fetchone()
            return f"table {table / 2**20:,.0f} MB, indexes {indexes / 2**20:,.0f} MB"
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute("PRAGMA page_size")
        return f"database file {pages * cursor.fetchone()[0] / 2**20:,.0f} MB"


def data() -> list[tuple[str, str]]:
    hazards = Hazard.objects.all()
    total = hazards.count()
    shares = ", ".join(f"{label} {n:,} ({100 * n / max(total, 1):.1f} %)" for label, n in (
        ("open", hazards.filter(status__in=OPEN_STATUSES).count()), ("overdue", hazards.filter(overdue_q()).count())))
    return [("units", f"{Unit.objects.count():,}"), ("hazards", f"{total:,}; {shares}; {table_size()}")]


if __name__ == "__main__":
    sys.exit(listbench.run(__doc__.splitlines()[0], endpoints={"page": "/hazards/", "api": "/api/hazards/"},
                           users=USERS, count_url="/api/hazards/", scenarios=scenarios, data=data))
