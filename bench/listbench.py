"""The method shared by the list benchmarks (bench/units_list.py, bench/hazards_list.py).

For each scenario (endpoint x filter) and user: warm-up requests, the SQL of one request captured,
then N timed requests (Django's test client, in process: "server time") alternating with N replays
of exactly those SQL statements on a raw cursor, rows fetched ("bare SQL"). Prints the median and
p95 server time, the bare SQL median, their ratio and the verdict against the targets: p95 <= 150 ms
on PostgreSQL, <= 300 ms on SQLite, server time <= 3x bare SQL; then the machine it ran on.
Import it after django.setup().
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

import django
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from firegov.core.models import Region, RegionLevel, User
from firegov.core.scoping import scope, subtree_q

ROOT = Path(__file__).resolve().parent.parent
P95_TARGET_MS = {"postgresql": 150.0, "sqlite": 300.0}
RATIO_TARGET = 3.0


def largest_county(user, rows) -> Region:
    """The county within the user's jurisdiction that holds the most of ``rows`` (a queryset)."""
    counties = scope(user, Region.objects.filter(level=RegionLevel.COUNTY))
    visible = scope(user, rows)
    return max(counties, key=lambda c: visible.filter(subtree_q("region_path", c.path)).count())


def p95(samples: list[float]) -> float:
    """Nearest-rank 95th percentile (the 29th of 30 sorted samples)."""
    ordered = sorted(samples)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def replay(statements: list[str], per_statement: list[list[float]]) -> float:
    """Run the statements once on a raw cursor, fetching every row; return the total seconds."""
    connection.ensure_connection()  # connecting is not SQL time (the request pays it, if at all)
    total = 0.0
    with connection.cursor() as cursor:
        for i, sql in enumerate(statements):
            t0 = time.perf_counter()
            cursor.execute(sql)
            cursor.fetchall()
            elapsed = time.perf_counter() - t0
            per_statement[i].append(elapsed)
            total += elapsed
    return total


def measure(client: Client, url: str, requests: int, warmup: int) -> dict:
    for _ in range(warmup):
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code}")
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    queries = [q["sql"] for q in captured.captured_queries]
    selects = [sql for sql in queries if sql.lstrip().upper().startswith(("SELECT", "WITH"))]
    per_statement: list[list[float]] = [[] for _ in selects]
    server, bare = [], []
    for _ in range(requests):  # alternate, so that a noisy moment hits both series alike
        t0 = time.perf_counter()
        client.get(url)
        server.append(time.perf_counter() - t0)
        bare.append(replay(selects, per_statement))
    slowest = max(range(len(selects)), key=lambda i: statistics.median(per_statement[i]))
    return {
        "server": server, "bare": bare, "queries": len(queries),
        "slowest_ms": statistics.median(per_statement[slowest]) * 1000, "slowest_sql": selects[slowest],
    }


def git_revision() -> str:
    try:
        return subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def database_name() -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]} (psycopg {__import__('psycopg').__version__})"
        cursor.execute("SELECT sqlite_version()")
        return f"SQLite {cursor.fetchone()[0]} (embedded)"


def machine_facts(data: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The machine, the software and ``data`` (what is in the database), for the printed header."""
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")),
               platform.processor() or "?")
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    mem_kb = next((int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("MemTotal")), 0)
    return [
        ("date", datetime.now().astimezone().isoformat(timespec="seconds")),
        ("cpu", f"{cpu}, {os.cpu_count()} cores"), ("ram", f"{mem_kb / 1024 / 1024:.1f} GiB"),
        ("python", platform.python_version()), ("django", django.get_version()), ("database", database_name()),
        *data, ("firegov", git_revision()),
        ("load average", " ".join(f"{x:.2f}" for x in os.getloadavg())),
    ]


def run(description: str, *, endpoints: dict[str, str], users: list[str], count_url: str,
        scenarios: Callable[[object], list[tuple[str, dict]]], data: Callable[[], list[tuple[str, str]]]) -> int:
    """The command line of a list benchmark. ``scenarios(user)`` gives (name, query parameters);
    ``count_url`` is the API list whose ``count`` says how many rows a scenario selects."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--requests", type=int, default=30, help="timed requests per scenario and user")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--users", default=",".join(users))
    parser.add_argument("--only", default="", help="run only scenarios whose name contains this")
    args = parser.parse_args()

    target = P95_TARGET_MS[connection.vendor]
    facts = machine_facts(data())
    for key, value in facts:
        print(f"{key:<13} {value}")
    print(f"targets       p95 <= {target:.0f} ms, server/bare SQL <= {RATIO_TARGET:.0f}x; "
          f"{args.requests} requests after {args.warmup} warm-ups\n", flush=True)
    print("| scenario | user | rows | requests | median ms | p95 ms | bare SQL ms | ratio | not SQL ms | queries "
          "| verdict |")
    print("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|")
    failures = []
    started = time.perf_counter()
    for username in args.users.split(","):
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        for name, params in scenarios(user):
            if args.only not in name:
                continue
            query = urlencode(params)
            rows = client.get(f"{count_url}?{urlencode({**params, 'page_size': 1, 'page': 1})}").json()["count"]
            if "page" in params and params["page"] > math.ceil(rows / 50):
                print(f"| {name} | {username} | {rows:,} | skipped: fewer pages | | | | | | | |")
                continue
            for endpoint, path in endpoints.items():
                result = measure(client, f"{path}?{query}", args.requests, args.warmup)
                median = statistics.median(result["server"]) * 1000
                tail = p95(result["server"]) * 1000
                bare = statistics.median(result["bare"]) * 1000
                ratio = median / bare if bare else float("inf")
                misses = [what for what, bad in (("p95", tail > target), ("ratio", ratio > RATIO_TARGET)) if bad]
                verdict = "pass" if not misses else "FAIL " + "+".join(misses)
                print(f"| {endpoint} {name} | {username} | {rows:,} | {args.requests} | {median:.1f} | {tail:.1f} "
                      f"| {bare:.1f} | {ratio:.1f} | {median - bare:.1f} | {result['queries']} | {verdict} |",
                      flush=True)
                if misses:
                    failures.append((f"{endpoint} {name} / {username}", result))
    print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"{time.perf_counter() - started:.0f} s")
    if git_revision() != dict(facts)["firegov"]:
        print(f"WARNING: firegov changed during the run (now {git_revision()}): run again")
    if failures:
        print("\nslowest statement of each failing scenario (median of its replays):")
        for label, result in failures:
            print(f"- {label}: {result['slowest_ms']:.1f} ms  {result['slowest_sql'][:300]}")
    return 0
