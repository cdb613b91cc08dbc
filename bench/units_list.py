"""Time the unit list page and the unit API list against the configured database.

    FIREGOV_DATA_DIR=/tmp/fgbench-sqlite python bench/units_list.py --requests 30

The method (warm-up, timed requests alternating with replays of their SQL, targets) is in
bench/listbench.py. Scenarios: unfiltered, a place type, key units, the user's largest county, a
common and an absent search word and a deep page, for the whole city (admin), a county inspector
and the education department. Fill the database first with bench/generate_city.py.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firegov.settings")

import django  # noqa: E402

django.setup()

from bench import listbench  # noqa: E402
from firegov.registry.models import Unit  # noqa: E402

USERS = ["admin", "xuecheng", "jiaoyu"]  # whole city; one county (brigade inspector); education sector
SEARCH_WORD = "超市"  # "supermarket": in about 3% of the names
COMMON_PHRASE = "有限公司"  # "limited company": four characters, in about 13% of the names
RARE_WORD = "消防器材"  # "fire equipment": in no generated name or address (a search that finds nothing)


def scenarios(user) -> list[tuple[str, dict]]:
    county = listbench.largest_county(user, Unit.objects.alive())
    return [
        ("unfiltered", {}),
        ("place_type=hotel", {"place_type": "hotel"}),
        ("classification=key_unit", {"classification": "key_unit"}),
        (f"region={county.name}", {"region": county.pk}),
        (f"q={SEARCH_WORD}", {"q": SEARCH_WORD}),
        (f"q={COMMON_PHRASE}", {"q": COMMON_PHRASE}),
        (f"q={RARE_WORD}", {"q": RARE_WORD}),
        ("page=200", {"page": 200}),
    ]


def data() -> list[tuple[str, str]]:
    return [("units", f"{Unit.objects.count():,}")]


if __name__ == "__main__":
    sys.exit(listbench.run(__doc__.splitlines()[0], endpoints={"page": "/units/", "api": "/api/units/"},
                           users=USERS, count_url="/api/units/", scenarios=scenarios, data=data))
