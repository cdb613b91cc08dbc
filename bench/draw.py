"""Time the double-random draw kernel (firegov.kernels.draw) on a city-sized directory.

    python bench/draw.py --runs 7

Generates, deterministically (random.Random(--data-seed)), a directory of 300,000 units over 120
streets of 枣庄市 and 2,000 inspectors in 6 brigades, then times draw() and verify() in process. The
units: 3% crowded key units (人员密集重点单位), 5% other key units, 2% penalised last year, the rest
general; 70% inspected before (a third of those within the 90-day exclusion window), each with
their two last inspectors. The inspectors: 5% unavailable, each with a few declared conflicts and
sometimes a relative's unit. The strata draw about 10% of the units: half the crowded key units,
a quarter of the other key units, half the penalised ones and 7% of the rest, two inspectors each,
at most 40 units per inspector. With --yearly the general stratum has a yearly quota instead (20 %
a year, drawn in April after three months that drew 5 % of it). Prints median and p95 wall-clock
seconds per call, the median CPU seconds (lower than wall time when other processes share the
machine) and the verdict against the target: a draw of 300,000 units and 2,000 inspectors in <= 1 s
(p95) on one core. Also times inputs_sha256(), the digests a commit publishes before the draw.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from firegov.kernels.draw import draw, inputs_sha256, verify  # noqa: E402

TARGET_S = 1.0
AS_OF = date(2026, 4, 1)
PLACE_TYPES = [
    "restaurant",
    "shop",
    "hotel",
    "mall",
    "school",
    "hospital",
    "factory",
    "warehouse",
    "office",
    "entertainment",
    "elderly_care",
    "kindergarten",
]
RULES = {
    "as_of": AS_OF.isoformat(),
    "inspectors_per_unit": 2,
    "exclude_inspected_within_days": 90,
    "recuse_last_inspectors": True,
    "max_units_per_inspector": 40,
    "strata": [
        {
            "code": "crowded_key",
            "label": "人员密集重点单位",
            "filter": {"key_unit": True, "crowded": True},
            "ratio": 0.5,
            "rounding": "ceil",
        },
        {
            "code": "key",
            "label": "其他重点单位",
            "filter": {"key_unit": True},
            "ratio": 0.25,
            "rounding": "ceil",
        },
        {
            "code": "penalised",
            "label": "上年度受处罚单位",
            "filter": {"penalised_last_year": True},
            "ratio": 0.5,
        },
        {
            "code": "general",
            "label": "一般单位",
            "filter": {"region_prefix": "3704"},
            "ratio": 0.07,
            "rounding": "round",
        },
    ],
}


def generate(units: int, inspectors: int, data_seed: int) -> tuple[list[dict], list[dict]]:
    rng = random.Random(data_seed)
    counties = ["370402", "370403", "370404", "370405", "370406", "370481"]
    streets = [f"{c}{s:03d}" for c in counties for s in range(1, 21)]
    inspector_ids = [f"I{n:05d}" for n in range(inspectors)]
    unit_list = []
    for n in range(units):
        roll = rng.random()
        key = roll < 0.08
        last = None
        last_inspectors: list[str] = []
        if rng.random() < 0.7:
            last = (AS_OF - timedelta(days=rng.randint(1, 270))).isoformat()
            last_inspectors = rng.sample(inspector_ids, 2)
        unit_list.append(
            {
                "id": f"U{n:07d}",
                "name": f"单位{n}",
                "region": rng.choice(streets),
                "place_type": rng.choice(PLACE_TYPES),
                "key_unit": key,
                "crowded": roll < 0.03,
                "penalised_last_year": 0.08 <= roll < 0.10,
                "last_inspected": last,
                "last_inspectors": last_inspectors,
            }
        )
    unit_ids = [u["id"] for u in unit_list]
    inspector_list = [
        {
            "id": ident,
            "name": f"检查员{n}",
            "agency": f"{counties[n % len(counties)]} 大队",
            "available": rng.random() >= 0.05,
            "conflicts": rng.sample(unit_ids, rng.randint(0, 5)),
            "relatives_units": rng.sample(unit_ids, 1) if rng.random() < 0.2 else [],
        }
        for n, ident in enumerate(inspector_ids)
    ]
    return unit_list, inspector_list


def yearly_rules(units: list[dict]) -> dict:
    """RULES with a yearly general stratum, as firegov fills them in for April."""
    rules = {**RULES, "strata": [dict(stratum) for stratum in RULES["strata"]]}
    general = rules["strata"][-1]
    general.update(ratio=0.2, per="year")
    candidates = [u["id"] for u in units if not (u["key_unit"] or u["penalised_last_year"])]
    earlier = random.Random(1).sample(candidates, len(candidates) // 20)
    rules["drawn_this_year"] = {general["code"]: earlier}
    return rules


def p95(samples: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(samples)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def git_revision() -> str:
    try:
        return subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def machine_facts(units: int, inspectors: int) -> list[tuple[str, str]]:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    cpu = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")),
        platform.processor() or "?",
    )
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    mem_kb = next((int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("MemTotal")), 0)
    return [
        ("date", datetime.now().astimezone().isoformat(timespec="seconds")),
        ("cpu", f"{cpu}, {os.cpu_count()} cores (the draw uses one)"),
        ("ram", f"{mem_kb / 1024 / 1024:.1f} GiB"),
        ("python", platform.python_version()),
        ("data", f"{units:,} units, {inspectors:,} inspectors"),
        ("firegov", git_revision()),
        ("load average", " ".join(f"{x:.2f}" for x in os.getloadavg())),
    ]


def timed(function, runs: int) -> tuple[list[float], list[float], object]:
    """Wall-clock and CPU seconds of each call; CPU time shows how much of the wall time was waiting."""
    wall, cpu, value = [], [], None
    for _ in range(runs):
        c0, t0 = time.process_time(), time.perf_counter()
        value = function()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return wall, cpu, value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=300_000)
    parser.add_argument("--inspectors", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=7, help="timed calls of draw() and of verify()")
    parser.add_argument("--data-seed", type=int, default=2026)
    parser.add_argument("--yearly", action="store_true", help="a yearly quota for the general stratum")
    args = parser.parse_args()

    for key, value in machine_facts(args.units, args.inspectors):
        print(f"{key:<13} {value}")
    t0 = time.perf_counter()
    units, inspectors = generate(args.units, args.inspectors, args.data_seed)
    print(f"generated in  {time.perf_counter() - t0:.1f} s; target: draw <= {TARGET_S:.1f} s\n", flush=True)

    rules = yearly_rules(units) if args.yearly else RULES
    seed = bytes(range(32))
    draw(seed, units, inspectors, rules)  # warm-up
    draw_wall, draw_cpu, result = timed(lambda: draw(seed, units, inspectors, rules), args.runs)
    verify_wall, verify_cpu, report = timed(lambda: verify(result, units, inspectors, rules), args.runs)
    digest_wall, digest_cpu, digests = timed(lambda: inputs_sha256(units, inspectors, rules), args.runs)
    if digests != result["inputs_sha256"]:
        print("inputs_sha256() differs from the draw's digests")
        return 1
    if not report["ok"]:
        print(f"verify FAILED: {report['problems'][:3]}")
        return 1

    drawn = len(result["assignments"])
    print("| call | runs | median s | p95 s | CPU median s | verdict |")
    print("|---|--:|--:|--:|--:|---|")
    rows = (("draw", draw_wall, draw_cpu), ("verify", verify_wall, verify_cpu),
            ("inputs_sha256", digest_wall, digest_cpu))
    for name, wall, cpu in rows:
        median, tail = statistics.median(wall), p95(wall)
        verdict = ("pass" if tail <= TARGET_S else "FAIL") if name == "draw" else ""
        print(
            f"| {name} | {len(wall)} | {median:.3f} | {tail:.3f} | {statistics.median(cpu):.3f} | {verdict} |"
        )
    load = result["load"]
    print(
        f"\ndrawn {drawn:,} units ({drawn / args.units:.1%}); excluded {result['exclusions']['inspected_recently']:,}"
        f"; shortfalls {len(result['shortfalls'])}; inspectors used {load['inspectors_used']:,} of "
        f"{result['counts']['available_inspectors']:,} available, load {load['min']}-{load['max']}"
    )
    for stratum in result["strata"]:
        print(
            f"  {stratum['code']:<12} pool {stratum['pool']:>7,}  eligible {stratum['eligible']:>7,}  "
            f"quota {stratum['quota']:>6,}  drawn {stratum['drawn']:>6,}"
            + (f"  (a year {stratum['year_quota']:,}, before {stratum['drawn_before']:,})" if "per" in stratum else "")
        )
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
