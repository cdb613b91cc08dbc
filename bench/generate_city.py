"""Fill the configured database with a demo city of N units, for the benchmarks.

    FIREGOV_DATA_DIR=/tmp/fgbench-sqlite python bench/generate_city.py --units 300000 --seed 7

The demo city's regions, agencies and accounts come from ``load_demo(units=0)``; the units come
from the demo's own ``generate_units`` in batches (generated and classified in worker processes),
written with ``bulk_create``. The database is migrated first; it must hold no units yet.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from datetime import timedelta
from multiprocessing import Pool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firegov.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from faker import Faker  # noqa: E402

from firegov.core.models import Agency, AgencyKind, Region  # noqa: E402
from firegov.demo.loader import CITY_PATH, build_regions, generate_units, load_data, load_demo, org_code  # noqa: E402
from firegov.kernels.uscc import make as make_uscc  # noqa: E402
from firegov.registry.classification import FLAG_NAMES, apply_classification, classify_unit_data  # noqa: E402
from firegov.registry.models import Unit  # noqa: E402
from firegov.registry.search import reindex  # noqa: E402

BATCH = 5000
_TREE: dict = {}  # the region tree, set before the worker processes fork
_FAKE: list[Faker] = []  # one Faker per worker process


def classified(place_type: str, attributes: dict) -> dict:
    """The fields ``apply_classification`` sets, minus ``classified_with`` (the same for every unit).

    apply_classification itself is not called per unit: it formats both rule tables with repr() on
    every call (about 85% of its time), which would make this script several times slower.
    """
    result = classify_unit_data(0, place_type, attributes)
    fields = {flag: result.get(flag) if flag == "high_risk" else bool(result.get(flag)) for flag in FLAG_NAMES}
    fields["classification"] = result["reasons"]
    return fields


def make_batch(job: tuple[int, int, int]) -> list[dict]:
    """Unit dicts of batch ``index`` (deterministic for the seed whatever the number of workers)."""
    seed, index, size = job
    if not _FAKE:
        _FAKE.append(Faker("zh_CN"))
    fake = _FAKE[0]
    fake.seed_instance(seed * 100_003 + index)
    rng = random.Random(f"{seed}:{index}")
    specs = generate_units(rng, fake, _TREE, size + 1)[1:]  # the first unit is always the demo showcase
    for spec in specs:
        spec.update(classified(spec["place_type"], spec["attributes"]))
    return specs


def departments_by_county(tree: dict) -> dict[tuple[str, str | None], Agency]:
    """(sector, county code or None) -> department, as the demo loader assigns them."""
    code_of_path = {county["path"]: county["code"] for county in tree["counties"]}
    result = {}
    for agency in Agency.objects.filter(kind=AgencyKind.DEPARTMENT, region_path__startswith=CITY_PATH):
        county = None if agency.region_path == CITY_PATH else code_of_path[agency.region_path]
        result[(agency.sector, county)] = agency
    return result


def to_unit(spec: dict, region_ids: dict, departments: dict, used_codes: set, rng: random.Random,
            classified_with: str, now) -> Unit:
    sector = spec["sector"]
    department = None
    if sector:  # the county's department of the sector where the county has one, else the city's
        department = departments.get((sector, spec["county_code"])) or departments[(sector, None)]
    uscc = spec["uscc"]
    while uscc and uscc in used_codes:  # codes are unique per batch only; draw again on a clash
        uscc = make_uscc(uscc[0], uscc[1], spec["county_code"], org_code(rng, new_style=False))
    if uscc:
        used_codes.add(uscc)
    flags = {name: spec[name] for name in FLAG_NAMES}
    return Unit(
        name=spec["name"], uscc=uscc, address=spec["address"], region_id=region_ids[spec["region_path"]],
        region_path=spec["region_path"], lat=spec["lat"], lng=spec["lng"], place_type=spec["place_type"],
        attributes=spec["attributes"], department=department,
        # Unit.save() takes the sector from the department; bulk_create skips save(), so do it here.
        sector=department.sector if department else "",
        legal_representative=spec["legal_representative"],
        legal_representative_phone=spec["legal_representative_phone"],
        responsible_person=spec["responsible_person"], responsible_phone=spec["responsible_phone"],
        safety_manager=spec["safety_manager"], safety_manager_phone=spec["safety_manager_phone"],
        status=spec["status"], created_at=now - timedelta(days=spec["age_days"]),
        classification=spec["classification"], classified_with=classified_with, **flags,
    )


def check_classification(unit: Unit) -> None:
    """The fast path must give what apply_classification gives."""
    reference = Unit(place_type=unit.place_type, attributes=unit.attributes)
    apply_classification(reference)
    for name in [*FLAG_NAMES, "classification", "classified_with"]:
        if getattr(reference, name) != getattr(unit, name):
            raise SystemExit(f"classification differs from apply_classification on {name}: {unit.name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="generator processes")
    args = parser.parse_args()

    db = connection.settings_dict
    print(f"database: {connection.vendor} {db['NAME']}", flush=True)
    call_command("migrate", "--noinput", verbosity=0)
    if connection.vendor == "sqlite":  # a 256 MB page cache: the indexes' random inserts stay in memory
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -262144")
    if Unit.objects.exists():
        print(f"the database already holds {Unit.objects.count()} units; drop it (or the data dir) to regenerate")
        return 1
    started = time.perf_counter()
    load_demo(stdout=io.StringIO(), units=0, seed=args.seed, history=False)

    # load_demo builds the tree from random.Random(seed) first: the same call gives the same tree.
    tree = build_regions(random.Random(args.seed), load_data())
    region_ids = dict(Region.objects.values_list("path", "id"))
    missing = [c["path"] for c in tree["counties"] if c["path"] not in region_ids]
    if missing:
        print(f"regions {missing} missing: the city was loaded with another seed; use that seed")
        return 1
    departments = departments_by_county(tree)
    probe = Unit(place_type="office", attributes={})
    apply_classification(probe)
    classified_with = probe.classified_with

    _TREE.update(tree)
    connections.close_all()  # the workers fork: they must not share the parent's connection
    sizes = [min(BATCH, args.units - start) for start in range(0, args.units, BATCH)]
    rng, used_codes, now, written = random.Random(args.seed), set(), timezone.now(), 0
    insert_seconds = 0.0
    with Pool(args.jobs) as pool:
        for specs in pool.imap(make_batch, [(args.seed, i, n) for i, n in enumerate(sizes)]):
            units = [to_unit(s, region_ids, departments, used_codes, rng, classified_with, now) for s in specs]
            check_classification(units[0])
            t0 = time.perf_counter()
            with transaction.atomic():
                Unit.objects.bulk_create(units, batch_size=BATCH)
            insert_seconds += time.perf_counter() - t0
            written += len(units)
            elapsed = time.perf_counter() - started
            print(f"\r{written:>8} units  {written / elapsed:7.0f} rows/s", end="", flush=True)
    print()
    t0 = time.perf_counter()
    keys = reindex()  # bulk_create bypasses Unit.save(), which keeps the search keys
    print(f"search keys: {keys} in {time.perf_counter() - t0:.1f} s", flush=True)

    t0 = time.perf_counter()
    with connection.cursor() as cursor:  # planner statistics, as autovacuum / a maintained database has
        cursor.execute("VACUUM ANALYZE registry_unit, registry_unitbigram" if connection.vendor == "postgresql"
                       else "ANALYZE")
    total = time.perf_counter() - started
    print(f"wrote {written} units in {total:.1f} s: {written / total:.0f} rows/s overall, "
          f"{written / insert_seconds:.0f} rows/s in bulk_create ({insert_seconds:.1f} s); "
          f"analyze {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
