"""Fill a generated city with N hazards (the hazard ledger at scale), for bench/hazards_list.py.

    FIREGOV_DATA_DIR=/tmp/fgbench-sqlite python bench/generate_hazards.py --hazards 3000000 --seed 7

Run it after bench/generate_city.py, on a database that holds units but no hazards. The hazards
are spread over ``--years`` (3) of history at a steady rate, ids in the order they were found.
Each one walks the lifecycle as far as its age allows (firegov.demo.history does the same row by
row for the demo): reported or confirmed, corrected on the spot, invalid, or ordered with a
deadline of 10–30 working days, rectifying, submitted with a re-inspection deadline, closed. A
share of units never rectify (``STUCK``) or submit late, which leaves a few percent overdue. The
unit is drawn with key units three times as likely; ``region_path`` and ``sector`` are the unit's,
as ``Hazard.save()`` sets them; the agency is the unit's brigade, ``found_by`` one of its
inspectors where the demo has accounts for it. Hazards get no inspection, notice document or
timeline events (the lists do not read them: the notice join is a LEFT JOIN on the page's rows).

Batch *i* is generated from ``seed:i`` in worker processes, so the data do not depend on the
number of workers. The secondary indexes of ``hazards_hazard`` are dropped before the load and
rebuilt from their own definitions after it (as pg_restore does; timed apart); rows go in with
COPY on PostgreSQL and with ``executemany`` of prepared tuples on SQLite (Django's ``bulk_create``
would spend ~0.1 ms a row preparing 25 columns). Then ``VACUUM ANALYZE`` / ``ANALYZE``, and the
counts by status are printed.
"""

from __future__ import annotations

import argparse
import bisect
import os
import random
import sys
import time
from collections import deque
from datetime import datetime, timedelta
from itertools import accumulate
from multiprocessing import Pool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firegov.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, connections, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from firegov.core.models import Agency, AgencyKind, Role, User  # noqa: E402
from firegov.hazards.models import OPEN_STATUSES, Hazard, HazardStatus, overdue_q  # noqa: E402
from firegov.kernels import checklists  # noqa: E402
from firegov.registry.models import Unit  # noqa: E402

BATCH = 20_000
DAY = 86_400
STUCK = 0.04  # of the ordered hazards: the unit never rectifies (or is never re-inspected)
LATE = 0.12  # of the ordered hazards: submitted after the deadline
SOURCES = [("inspection", 40), ("patrol", 25), ("self", 15), ("campaign", 10), ("report", 6), ("device", 4)]
OFFICER_SOURCES = {"inspection", "campaign"}  # found by a fire officer: confirmed at once
LOCATIONS = ["", "", "", "一层大厅", "疏散走道", "楼梯间", "配电室", "厨房", "仓库", "地下车库", "二层", "三层", "屋面", "室外"]
INTERIM = "设置警示标识，安排专人值守"
COLUMNS = [
    "unit_id", "source", "category", "description", "location", "lat", "lng", "severity", "gb35181",
    "fixable_at_once", "found_by_id", "found_at", "inspection_id", "checklist_item", "agency_id", "status",
    "notice_id", "due_at", "submitted_at", "reinspect_due_at", "interim_measures", "closed_at", "region_path",
    "sector", "updated_at", "deadline_at",
]
EPOCH = datetime(1970, 1, 1)

_DATA: dict = {}  # set before the worker processes fork


def workdays(n: int) -> int:
    """Seconds in n working days, roughly (weekends; the holidays are left out)."""
    return (n + 2 * (n // 5)) * DAY


def end_of_day(ts: float) -> float:
    """23:59:59 Beijing time (UTC+8) of the day of ts, as the services set deadlines."""
    local = ts + 8 * 3600
    return local - local % DAY + DAY - 1 - 8 * 3600


def working_hours(ts: float) -> float:
    """The same day, squeezed into 08:00-18:00 Beijing time (order kept)."""
    local = ts + 8 * 3600
    day = local - local % DAY
    return day + (8 + 10 * (local % DAY) / DAY) * 3600 - 8 * 3600


def hazard_row(rng: random.Random, found: float, now: float) -> tuple:
    """One hazard as a tuple of COLUMNS; times are POSIX seconds (UTC) or None."""
    d = _DATA
    u = bisect.bisect(d["unit_cum"], rng.random() * d["unit_total"])
    unit_id, region_path, sector, brigade_id = d["units"][u]
    source = rng.choices(d["source_names"], cum_weights=d["source_cum"])[0]
    category, fixable = d["categories"][bisect.bisect(d["category_cum"], rng.random() * d["category_total"])]
    item_code, description, gb = rng.choice(d["items"][category])
    finders = d["finders"].get(brigade_id)
    officer = source in OFFICER_SOURCES
    found_by = rng.choice(finders) if officer and finders else None
    severity = "major" if rng.random() < 0.003 else "general"
    age = now - found
    status, due, submitted, reinspect_due, closed, interim = "reported", None, None, None, None, ""
    updated = found
    if not officer and age < 4 * DAY and rng.random() < 0.6:
        pass  # waiting to be confirmed
    elif not officer and rng.random() < 0.05:
        status, updated = "invalid", found + DAY
    elif rng.random() < (0.75 if fixable else 0.2):
        closed = min(now, found if officer else found + rng.randint(1, 3) * 3600)
        status, updated = "corrected", closed
    elif age < 3 * DAY:
        status = "confirmed" if officer or age > DAY else "reported"
    else:
        ordered = found + rng.randint(0, 2) * DAY + 3600
        due = end_of_day(ordered + workdays(rng.choice([10, 15, 20, 30])))
        updated = ordered
        stuck = rng.random() < STUCK
        late = rng.random() < LATE
        submit = due + rng.randint(1, 20) * DAY if late else ordered + (due - ordered) * rng.random()
        reinspect = submit + rng.randint(1, 4) * DAY
        if stuck and rng.random() < 0.3 and submit < now:  # submitted, never re-inspected
            status, submitted = "submitted", submit
            reinspect_due = end_of_day(max(submit, due) + workdays(3))
            updated = submit
        elif stuck or now < submit:
            if rng.random() < 0.5:
                status = "ordered"
            else:
                status, interim, updated = "rectifying", INTERIM, ordered + DAY
        elif now < reinspect:
            status, submitted = "submitted", submit
            reinspect_due = end_of_day(max(submit, due) + workdays(3))
            updated = submit
        else:
            status, submitted, closed = "closed", submit, reinspect
            reinspect_due = end_of_day(max(submit, due) + workdays(3))
            updated = reinspect
    deadline = due if status in ("ordered", "rectifying") else reinspect_due if status == "submitted" else None
    return (unit_id, source, category, description, rng.choice(LOCATIONS), None, None, severity, gb,
            fixable, found_by, found, None, item_code if officer else "", brigade_id,
            status, None, due, submitted, reinspect_due, interim, closed, region_path, sector, min(updated, now),
            deadline)


TIME_COLUMNS = [COLUMNS.index(c) for c in ("found_at", "due_at", "submitted_at", "reinspect_due_at", "closed_at",
                                           "updated_at", "deadline_at")]
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def as_text(ts: float) -> str:
    """A time as Django stores it on SQLite (naive UTC, str()); PostgreSQL gets the same plus +00:00."""
    return str(EPOCH + timedelta(seconds=int(ts)))


def make_batch(job: tuple) -> bytes | list[tuple]:
    """Rows of batch ``index``: found in [start, end), in the order found; COPY text or tuples."""
    seed, index, size, start, end, now, vendor = job
    rng = random.Random(f"{seed}:{index}")
    found = sorted(start + (end - start) * rng.random() for _ in range(size))
    found = [min(now - 60, working_hours(t)) for t in found]
    rows = [hazard_row(rng, f, now) for f in found]
    if vendor == "postgresql":
        lines = []
        for row in rows:
            row = list(row)
            for i in TIME_COLUMNS:
                if row[i] is not None:
                    row[i] = as_text(row[i]) + "+00"
            lines.append("\t".join(
                "\\N" if v is None else ("t" if v else "f") if isinstance(v, bool) else
                str(v).translate(COPY_ESCAPES) for v in row))
        return ("\n".join(lines) + "\n").encode()
    result = []
    for row in rows:
        row = list(row)
        for i in TIME_COLUMNS:
            if row[i] is not None:
                row[i] = as_text(row[i])
        result.append(tuple(row))
    return result


def prepare() -> dict:
    """Units, brigades, inspectors and categories, read once before the workers fork."""
    brigades = sorted(Agency.objects.filter(kind=AgencyKind.BRIGADE).values_list("region_path", "id"),
                      key=lambda a: -len(a[0]))
    brigade_of_path: dict[str, int | None] = {}

    def brigade(path: str) -> int | None:  # the deepest brigade above the path (services.responsible_brigade)
        if path not in brigade_of_path:
            brigade_of_path[path] = next((pk for prefix, pk in brigades if path.startswith(prefix)), None)
        return brigade_of_path[path]

    units, weights = [], []
    rows = Unit.objects.alive().order_by("id").values_list("id", "region_path", "sector", "key_unit", "status")
    for pk, path, sector, key_unit, status in rows.iterator(chunk_size=20_000):
        units.append((pk, path, sector, brigade(path)))
        weights.append((3.0 if key_unit else 1.0) * (1.0 if status == "operating" else 0.3))
    finders: dict[int, list[int]] = {}
    for pk, agency_id in User.objects.filter(role__in=[Role.INSPECTOR, Role.BRIGADE_SUPERVISOR],
                                             agency__kind=AgencyKind.BRIGADE).values_list("id", "agency_id"):
        finders.setdefault(agency_id, []).append(pk)
    for people in finders.values():
        people.sort()
    items: dict[str, list] = {}
    for template in checklists.templates():
        for item in template.items:
            gb = f'["{item.gb35181}"]' if item.gb35181 else "[]"
            items.setdefault(item.hazard_category, []).append((item.code, f"{item.zh.rstrip('？?')}：不符合要求", gb))
    categories, category_weights = [], []
    for category in checklists.categories():  # weighted by the checklist items that find them
        if category.code not in items:
            items[category.code] = [("", f"{category.zh}", "[]")]
        categories.append((category.code, category.typically_fixable_on_spot))
        category_weights.append(len(items[category.code]) if category.code != "other" else 2)
    for lst in items.values():
        lst.sort()
    unit_cum = list(accumulate(weights))
    category_cum = list(accumulate(category_weights))
    return {
        "units": units, "unit_cum": unit_cum, "unit_total": unit_cum[-1], "finders": finders, "items": items,
        "categories": categories, "category_cum": category_cum, "category_total": category_cum[-1],
        "source_names": [s for s, _w in SOURCES], "source_cum": list(accumulate(w for _s, w in SOURCES)),
    }


def secondary_indexes() -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the hazard table's indexes that back no constraint."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("""
                SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x
                JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
                WHERE t.relname = 'hazards_hazard'
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)
                ORDER BY i.relname""")
        else:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'hazards_hazard' "
                           "AND sql IS NOT NULL ORDER BY name")
        return list(cursor.fetchall())


def restore_indexes(saved: list[tuple[str, str]]) -> float:
    t0 = time.perf_counter()
    present = {name for name, _sql in secondary_indexes()}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET maintenance_work_mem = '512MB'")
        for name, sql in saved:
            if name not in present:
                cursor.execute(sql)
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hazards", type=int, default=3_000_000)
    parser.add_argument("--years", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="generator processes")
    parser.add_argument("--keep-indexes", action="store_true", help="insert with the indexes in place")
    args = parser.parse_args()

    vendor = connection.vendor
    print(f"database: {vendor} {connection.settings_dict['NAME']}", flush=True)
    if not Unit.objects.exists():
        print("the database holds no units: run bench/generate_city.py first")
        return 1
    if Hazard.objects.exists():
        print(f"the database already holds {Hazard.objects.count()} hazards; drop it (or the data dir) to regenerate")
        return 1
    names = {f.column for f in Hazard._meta.concrete_fields} - {"id"}
    if names != set(COLUMNS):
        print(f"the hazard table changed: columns {sorted(names ^ set(COLUMNS))}; update COLUMNS and hazard_row")
        return 1

    started = time.perf_counter()
    _DATA.update(prepare())
    now = timezone.now().timestamp()
    start = now - args.years * 365 * DAY
    sizes = [min(BATCH, args.hazards - s) for s in range(0, args.hazards, BATCH)]
    step = (now - start) / len(sizes)
    jobs = [(args.seed, i, n, start + i * step, start + (i + 1) * step, now, vendor) for i, n in enumerate(sizes)]
    print(f"{len(_DATA['units']):,} units; {args.hazards:,} hazards found over {args.years:g} years, "
          f"{len(sizes)} batches of {BATCH:,} ({time.perf_counter() - started:.1f} s to read the city)", flush=True)

    saved = [] if args.keep_indexes else secondary_indexes()
    if vendor == "sqlite":  # a 256 MB page cache, as generate_city.py
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -262144")
    insert_seconds, written, index_seconds = 0.0, 0, 0.0
    columns = ", ".join(COLUMNS)
    try:
        with connection.cursor() as cursor:
            for name, _sql in saved:
                cursor.execute(f'DROP INDEX "{name}"')
        connections.close_all()  # the workers fork: they must not share the parent's connection
        with Pool(args.jobs) as pool:
            pending: deque = deque()  # a few batches ahead, not the whole table in memory
            for job in jobs:
                pending.append((job[2], pool.apply_async(make_batch, (job,))))
                while len(pending) >= 2 * args.jobs or (pending and job is jobs[-1]):
                    size, result = pending.popleft()
                    insert_seconds += write(result.get(), vendor, columns)
                    written += size
                    report(written, started)
        print()
    finally:
        if saved:
            print(f"building {len(saved)} indexes …", flush=True)
            index_seconds = restore_indexes(saved)
    t0 = time.perf_counter()
    with connection.cursor() as cursor:  # planner statistics (and the visibility map), as a maintained database has
        cursor.execute("VACUUM ANALYZE hazards_hazard" if vendor == "postgresql" else "ANALYZE")
    analyze_seconds = time.perf_counter() - t0
    total = time.perf_counter() - started
    print(f"wrote {written:,} hazards in {total:.1f} s: {written / total:,.0f} rows/s overall, "
          f"{written / insert_seconds:,.0f} rows/s in {'COPY' if vendor == 'postgresql' else 'executemany'} "
          f"({insert_seconds:.1f} s); {len(saved)} indexes built in {index_seconds:.1f} s; "
          f"{'VACUUM ANALYZE' if vendor == 'postgresql' else 'ANALYZE'} {analyze_seconds:.1f} s")

    hazards = Hazard.objects.all()
    by_status = dict(hazards.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    total_rows = sum(by_status.values())
    print("by status: " + ", ".join(f"{s} {by_status.get(s, 0):,} ({100 * by_status.get(s, 0) / total_rows:.1f} %)"
                                     for s in HazardStatus.values))
    open_rows = sum(by_status.get(s, 0) for s in OPEN_STATUSES)
    overdue = hazards.filter(overdue_q()).count()
    print(f"open {open_rows:,} ({100 * open_rows / total_rows:.1f} %), overdue {overdue:,} "
          f"({100 * overdue / total_rows:.1f} %)")
    return 0


def write(batch, vendor: str, columns: str) -> float:
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if vendor == "postgresql":
            with cursor.cursor.copy(f"COPY hazards_hazard ({columns}) FROM STDIN") as copy:
                copy.write(batch)
        else:
            marks = ", ".join("?" for _c in COLUMNS)
            connection.connection.executemany(f"INSERT INTO hazards_hazard ({columns}) VALUES ({marks})", batch)
    return time.perf_counter() - t0


def report(written: int, started: float) -> None:
    print(f"\r{written:>9,} hazards  {written / (time.perf_counter() - started):7,.0f} rows/s", end="", flush=True)


if __name__ == "__main__":
    sys.exit(main())
