"""Time the quarterly bulletin and the monthly dispatch sheet of a campaign at city scale.

    FIREGOV_DATA_DIR=/tmp/fgbench-sqlite python bench/campaign_documents.py --runs 5

Requirement: a bulletin for a city with 100 agencies, 500 tasks and 300,000 units in at most 5 s,
the dispatch sheet in at most 3 s. Run it on a database filled by bench/generate_city.py (and
bench/generate_hazards.py for the hazard figures). The first run adds the benchmark campaign
through the campaign services: 500 tasks (7 major items, 35 items, 458 sub-items) led by 100 of
the city's agencies with 1-3 cooperating each, 20 computed targets (hazard closing rate, units
inspected) and 8 manual ones, and a year of monthly progress reports of every leaf task's lead,
accepted; later runs reuse it. Prints the median and p95 of each document's generation and the
machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firegov.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.listbench import git_revision  # noqa: E402
from firegov.campaigns import documents, services  # noqa: E402
from firegov.campaigns.models import Campaign, ProgressReport, ReportStatus  # noqa: E402
from firegov.core.models import Agency, User  # noqa: E402
from firegov.hazards.models import Hazard  # noqa: E402
from firegov.kernels.periods import period_of  # noqa: E402
from firegov.registry.models import Unit  # noqa: E402

NAME = "基准测试：消防安全专项整治行动（500项任务）"
BULLETIN_TARGET_S, DISPATCH_TARGET_S = 5.0, 3.0


def build(rng: random.Random) -> Campaign:
    zhidui = User.objects.get(username="zhidui")
    today = timezone.localdate()
    start = date(today.year - 1, 1, 1)
    agencies = list(Agency.objects.filter(region_path__startswith="3704").order_by("id")[:100])
    campaign = services.create_campaign(zhidui, {"name": NAME, "starts_on": start, "ends_on": date(today.year + 1, 12, 31)})
    leaves = []
    with transaction.atomic():
        for major in range(7):
            top = services.add_task(zhidui, campaign, {"title": f"大项{major + 1}", "lead": rng.choice(agencies)})
            for item in range(5):
                mid = services.add_task(zhidui, campaign, {"title": f"项{major + 1}.{item + 1}", "lead": rng.choice(agencies)},
                                        top)
                for sub in range(458 // 35 + (1 if major * 5 + item < 458 % 35 else 0)):
                    lead = rng.choice(agencies)
                    leaves.append(services.add_task(zhidui, campaign, {
                        "title": f"子项{major + 1}.{item + 1}.{sub + 1}", "lead": lead,
                        "cooperating": rng.sample(agencies, rng.randint(1, 3)),
                        "due_on": date(today.year + rng.randint(0, 1), 12, 31)}, mid))
        for n, task in enumerate(rng.sample(leaves, 28)):
            computed = n < 20
            indicator = ("closing_rate", "units_inspected_share")[n % 2] if computed else ""
            services.add_target(zhidui, task, {
                "label": f"指标{n + 1}", "indicator": indicator, "unit": "" if computed else "个",
                "steps": [{"by": date(start.year + i, 12, 31).isoformat(), "value": v} for i, v in enumerate(["60", "80", "100"])]})
        reports = []
        months = [period_of(start, "month").shift(i) for i in range(12)]
        for task in leaves:
            percent = 0
            for month in months:
                percent = min(100, percent + rng.randint(0, 12))
                at = timezone.make_aware(timezone.datetime.combine(month.end + timedelta(days=5), timezone.datetime.min.time()))
                reports.append(ProgressReport(task=task, agency=task.lead, period=month.key, percent=Decimal(percent),
                                              done="按计划推进", status=ReportStatus.ACCEPTED, submitted_at=at,
                                              reviewed_at=at, reviewed_by=zhidui))
        ProgressReport.objects.bulk_create(reports, batch_size=2000)
    return campaign


def timed(function, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        function()
        samples.append(time.perf_counter() - t0)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    campaign = Campaign.objects.filter(name=NAME).first()
    if campaign is None:
        t0 = time.perf_counter()
        campaign = build(random.Random(7))
        print(f"built the benchmark campaign in {time.perf_counter() - t0:.1f} s")
    today = timezone.localdate()
    quarter = period_of(today, "quarter").previous()
    month = period_of(today, "month").previous()
    facts = [
        ("cpu", f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"),
        ("python", platform.python_version()), ("database", f"{connection.vendor} {connection.settings_dict['NAME']}"),
        ("firegov", git_revision()), ("load average", " ".join(f"{x:.2f}" for x in os.getloadavg())),
        ("data", f"{Unit.objects.count():,} units, {Hazard.objects.count():,} hazards, "
                 f"{Agency.objects.count()} agencies, {campaign.tasks.count()} tasks, "
                 f"{ProgressReport.objects.filter(task__campaign=campaign).count():,} reports, "
                 f"{len({t.lead_id for t in campaign.tasks.all()})} lead agencies"),
    ]
    for key, value in facts:
        print(f"{key:<13} {value}")
    print("\n| document | period | runs | median s | p95 s | target s | verdict |\n|---|---|--:|--:|--:|--:|---|")
    for name, function, period, target in (
        ("bulletin", documents.bulletin, quarter, BULLETIN_TARGET_S),
        ("dispatch sheet", documents.dispatch_sheet, month, DISPATCH_TARGET_S),
    ):
        samples = timed(lambda f=function, p=period: f(campaign, p), args.runs)
        tail = sorted(samples)[max(0, round(0.95 * len(samples)) - 1)]
        median = statistics.median(samples)
        print(f"| {name} | {period.key} | {len(samples)} | {median:.2f} | {tail:.2f} | {target:.0f} | "
              f"{'pass' if tail <= target else 'FAIL'} |", flush=True)
    print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
