"""The demo city's campaigns: a three-year fire-safety rectification action with seven major items,
the derived lists of two brigades, targets, measures, two years of monthly progress and one
accountability interview; and this winter's winter-spring fire prevention campaign.

The plan is written here in our own words, in the shape of the source documents (major items →
items → sub-items, a lead and cooperating departments each, yearly targets, four phases). The lists
are built through the campaign services, as a detachment would build them; the monthly progress is
written row by row (like firegov.demo.history) along the report lifecycle, each step with its
timeline entry.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from firegov.campaigns import services
from firegov.campaigns.models import (
    Campaign,
    Measure,
    Milestone,
    ProgressReport,
    ReportEvent,
    ReportStatus,
    Target,
    TargetValue,
    Task,
)
from firegov.core.models import Role, User
from firegov.demo.history import aware_at
from firegov.kernels.periods import period_of

# (title, lead, cooperating, children); lead and cooperating name agencies: "detachment",
# "committee" (the safety committee office), "streets" (the street offices, as cooperating), or
# a department sector. A sub-item may carry ("county", code) to apply to one county only.
PLAN = [
    ("健全消防安全责任体系", "committee", ["detachment"], [
        ("把消防工作纳入政府年度考核", "committee", ["detachment"], []),
        ("制定行业部门消防监管责任清单", "committee", ["education", "health", "civil_affairs", "commerce"], []),
        ("推动社会单位落实主体责任", "detachment", ["market_regulation"], [
            ("重点单位消防安全“户籍化”管理", "detachment", [], []),
            ("单位消防安全责任人、管理人公示", "detachment", ["streets"], []),
        ]),
    ]),
    ("打通消防生命通道", "detachment", ["housing", "streets"], [
        ("消防车通道标识化管理", "detachment", ["housing"], [
            ("住宅小区通道划线、标牌全覆盖", "housing", ["detachment"], []),
            ("大型商业综合体通道标识", "commerce", ["detachment"], []),
        ]),
        ("集中清理占用堵塞消防通道", "detachment", ["streets"], []),
        ("挖潜老旧小区停车泊位", "housing", ["streets"], []),
    ]),
    ("重点场所消防安全治理", "detachment", ["education", "health", "civil_affairs", "culture_tourism"], [
        ("高层建筑消防安全综合治理", "housing", ["detachment"], []),
        ("学校和幼儿园消防安全达标", "education", ["detachment"], []),
        ("养老机构消防安全标准化", "civil_affairs", ["detachment"], []),
        ("医疗机构消防安全管理", "health", ["detachment"], []),
        ("文物古建和宗教活动场所防火", "culture_tourism", ["religion", "detachment"], []),
    ]),
    ("突出风险专项整治", "detachment", ["market_regulation", "emergency"], [
        ("电动自行车停放充电整治", "detachment", ["housing", "market_regulation"], [
            ("新建住宅配建集中充电设施", "housing", [], []),
            ("市中区电动车集中充电试点", "streets", ["detachment"], [], "370402"),
        ]),
        ("电气火灾综合治理", "market_regulation", ["emergency"], []),
        ("“三合一”场所排查整治", "detachment", ["streets"], []),
    ]),
    ("重点行业消防安全管理", "emergency", ["commerce", "culture_tourism"], [
        ("商场市场消防安全标准化管理", "commerce", ["detachment"], []),
        ("文化娱乐场所消防安全规范化", "culture_tourism", ["detachment"], []),
    ]),
    ("消防信息化建设", "detachment", ["emergency"], [
        ("建成城市消防大数据平台", "detachment", [], []),
        ("重点单位物联网远程监测接入", "detachment", ["market_regulation"], []),
    ]),
    ("全民消防安全素质提升", "committee", ["education", "detachment"], [
        ("重点人群消防安全培训", "detachment", ["education", "civil_affairs"], []),
        ("消防宣传进社区、进学校、进企业", "education", ["streets", "detachment"], []),
    ]),
]
# code -> (label, indicator, params, yearly values); the years are the campaign's three.
TARGETS = {
    # Cumulative since the campaign began; from its second year, as the demo's inspections go back one year.
    "1.3": ("重点单位检查覆盖率（累计）", "units_inspected_share", {"classification": "key_unit"}, [None, "85", "100"]),
    "3": ("火灾隐患整改率", "closing_rate", {}, ["80", "90", "95"]),
    "3.2": ("学校幼儿园隐患整改率", "closing_rate", {"sector": "education"}, ["80", "90", "100"]),
    "2.1.1": ("完成标识化管理的住宅小区（个）", "", {}, ["60", "150", "240"]),
    "7.1": ("完成培训的重点人群（人）", "", {}, ["3000", "8000", "15000"]),
}
WINTER_PLAN = [
    ("人员密集场所隐患排查", "detachment", ["streets"]),
    ("居民住宅用火用电用气检查", "streets", ["housing"]),
    ("电动自行车违规停放充电整治", "detachment", ["streets", "housing"]),
    ("“九小场所”消防安全排查", "streets", ["market_regulation"]),
    ("节日期间消防安全保卫", "detachment", ["emergency"]),
    ("冬春消防宣传", "detachment", ["education"]),
]
LAGGING = ("culture_tourism", "health")  # these departments report less and later


def _agency(key: str, agencies: dict, county: str | None = None):
    if key == "detachment":
        return agencies["detachment"]
    if key == "committee":
        return agencies["safety_committee"]
    if key == "streets":
        code = county or "370403"
        return next(office for path, office in sorted(agencies["street_offices"].items()) if path.startswith(code))
    return agencies["departments"][(key, None)]


def _add(user, campaign, agencies, items, parent=None):
    for item in items:
        title, lead, cooperating, children, *only = item
        region = None
        if only:
            region = next(a.region for p, a in agencies["street_offices"].items() if p.startswith(only[0])).parent
        task = services.add_task(user, campaign, {
            "title": title, "lead": _agency(lead, agencies, only[0] if only else None),
            "cooperating": [_agency(c, agencies, only[0] if only else None) for c in cooperating],
            "region": region, "due_on": campaign.ends_on if parent is None else None,
        }, parent)
        _add(user, campaign, agencies, children, task)


def load_campaigns(rng: random.Random, agencies: dict, now: datetime, progress: bool = True) -> dict:
    """Build the demo campaigns (and, with ``progress``, their monthly reports up to last month)."""
    today = timezone.localtime(now).date()
    zhidui = User.objects.get(username="zhidui")
    year = today.year - 1
    plan = services.create_campaign(zhidui, {
        "name": f"枣庄市消防安全专项整治三年行动（{year}—{year + 2}年）", "kind": "multi_year",
        "starts_on": date(year, 1, 1), "ends_on": date(year + 2, 12, 31), "public": True,
        "description": "以“四张清单”推进：任务清单、推进清单、隐患清单、措施清单；每月调度，每季度通报。",
    }, [
        {"name": "动员部署", "starts_on": date(year, 1, 1), "ends_on": date(year, 3, 31)},
        {"name": "排查整治", "starts_on": date(year, 4, 1), "ends_on": date(year, 12, 31)},
        {"name": "集中攻坚", "starts_on": date(year + 1, 1, 1), "ends_on": date(year + 1, 12, 31)},
        {"name": "巩固提升", "starts_on": date(year + 2, 1, 1), "ends_on": date(year + 2, 12, 31)},
    ])
    Campaign.objects.filter(pk=plan.pk).update(created_at=aware_at(date(year, 1, 1)))
    _add(zhidui, plan, agencies, PLAN)
    tasks = {t.code: t for t in plan.tasks.all()}
    for code, (label, indicator, params, values) in TARGETS.items():
        services.add_target(zhidui, tasks[code], {
            "label": label, "indicator": indicator, "params": params, "unit": "" if indicator else label[-2:-1],
            "steps": [{"by": date(year + i, 12, 31).isoformat(), "value": v} for i, v in enumerate(values) if v]})
    for task in tasks.values():
        if task.depth == 1:
            Milestone.objects.create(task=task, title="完成排查摸底", due_on=date(year, 6, 30),
                                     done_on=date(year, 6, rng.randint(10, 30)))
            Milestone.objects.create(task=task, title="完成集中整治", due_on=date(year + 1, 12, 31))
    for title, kind, owner, status in [
        ("消防安全责任制实施办法", "regulation", "committee", "in_force"),
        ("消防车通道管理规定", "policy", "detachment", "in_force"),
        ("部门联合执法工作机制", "mechanism", "committee", "issued"),
        ("养老机构消防安全管理标准", "standard", "civil_affairs", "drafting"),
    ]:
        measure = services.add_measure(zhidui, plan, {"title": title, "kind": kind, "owner": _agency(owner, agencies)})
        if status != "drafting":
            services.advance_measure(zhidui, measure, {"on": date(year, 4, 15), "document_number": f"枣消安委〔{year}〕{rng.randint(2, 30)}号"})
        if status == "in_force":
            services.advance_measure(zhidui, measure, {"on": date(year, 5, 1)})

    # The lists were drawn up when the campaign began; one item was added in its second year (动态更新).
    Task.objects.filter(campaign=plan).update(added_later=False, created_at=aware_at(date(year, 1, 10)))
    Measure.objects.filter(campaign=plan).update(added_later=False)
    later = services.add_task(zhidui, plan, {"title": "彩钢板建筑消防安全排查（新增）", "lead": agencies["detachment"],
                                             "cooperating": [_agency("housing", agencies)],
                                             "starts_on": date(year + 1, 3, 1), "due_on": date(year + 1, 12, 31)},
                              tasks["4"])
    Task.objects.filter(pk=later.pk).update(created_at=aware_at(date(year + 1, 3, 2)))

    derived = []
    for username in ("xuecheng_dd", "tengzhou_dd"):
        supervisor = User.objects.filter(username=username, role=Role.BRIGADE_SUPERVISOR).first()
        if supervisor is not None:
            derived.append(services.derive(supervisor, plan))
    for target in Target.objects.filter(task__campaign__in=derived, indicator=""):  # a county's share
        target.steps = [{**step, "value": str((Decimal(step["value"]) * Decimal("0.3")).quantize(Decimal(1)))}
                        for step in target.steps]
        target.save(update_fields=["steps"])
    for milestone in Milestone.objects.filter(task__campaign__in=derived, due_on__lt=today):
        if rng.random() < 0.85:  # most counties met their dates; the others show red
            milestone.done_on = milestone.due_on - timedelta(days=rng.randint(0, 20))
            milestone.save(update_fields=["done_on"])

    winter_start = date(today.year, 11, 1) if today.month >= 11 else date(today.year - 1, 11, 1)
    winter = services.create_campaign(zhidui, {
        "name": f"{winter_start.year}—{winter_start.year + 1}年度冬春火灾防控工作", "kind": "winter_spring",
        "starts_on": winter_start, "ends_on": date(winter_start.year + 1, 3, 31),
        "hazard_categories": [], "public": True,
    }, [
        {"name": "部署发动", "starts_on": winter_start, "ends_on": winter_start + timedelta(days=14)},
        {"name": "组织实施", "starts_on": winter_start + timedelta(days=15), "ends_on": date(winter_start.year + 1, 2, 28)},
        {"name": "总结验收", "starts_on": date(winter_start.year + 1, 3, 1), "ends_on": date(winter_start.year + 1, 3, 31)},
    ])
    for title, lead, cooperating in WINTER_PLAN:
        services.add_task(zhidui, winter, {"title": title, "lead": _agency(lead, agencies),
                                           "cooperating": [_agency(c, agencies) for c in cooperating],
                                           "due_on": winter.ends_on})
    for milestone in Milestone.objects.filter(task__campaign__in=[plan, *derived], done_on__isnull=True):
        services.register_milestone(milestone)  # the engine reminds and escalates the open ones
    counts = {"campaigns": 2 + len(derived), "tasks": Task.objects.count(), "reports": 0}
    if progress:
        counts["reports"] = _progress(rng, [plan, *derived], agencies, today)
        for campaign in [plan, *derived]:
            _manual_values(rng, campaign, today)
        lagging = agencies["departments"][(LAGGING[0], None)]
        services.hold_to_account(zhidui, plan, {
            "agency": lagging, "kind": "interview", "on": date(year + 1, 7, 15),
            "reason": "文物古建和宗教活动场所防火整治连续三个月未按时报送推进情况，进度滞后。",
            "tasks": [t for t in plan.tasks.filter(lead=lagging)], "follow_up_due": date(year + 1, 8, 31)})
    return counts


def _progress(rng: random.Random, campaigns: list[Campaign], agencies: dict, today: date) -> int:
    """Monthly reports of each leaf task's lead, from the campaign's first month to last month:
    accepted on the 5th of the following month; a few returned once first; the lagging
    departments skip some months; last month's are submitted and not yet reviewed."""
    lagging = {agencies["departments"][(s, None)].pk for s in LAGGING}
    last = period_of(today, "month").previous()
    reports, events = [], []
    for campaign in campaigns:
        reviewer = User.objects.filter(agency=campaign.issuer,
                                       role__in=[Role.DETACHMENT, Role.BRIGADE_SUPERVISOR]).first()
        leaves = list(services.reporting_tasks(campaign).select_related("lead"))
        for task in leaves:
            first, due = task.starts_on or campaign.starts_on, task.due_on or campaign.ends_on
            total = (due.year - first.year) * 12 + due.month - first.month + 1  # months the task runs
            months = []
            month = period_of(task.starts_on or campaign.starts_on, "month")
            while month.start <= last.start:
                months.append(month)
                month = month.next()
            pace = rng.uniform(0.55, 0.8) if task.lead_id in lagging else rng.uniform(0.9, 1.25)
            percent = 0.0
            for n, month in enumerate(months, start=1):
                if task.lead_id in lagging and rng.random() < 0.3:
                    continue
                percent = min(100.0, max(percent, 100.0 * n / total * pace + rng.uniform(-3, 3)))
                submitted = aware_at(month.end + timedelta(days=1), 9)
                report = ProgressReport(task=task, agency=task.lead, period=month.key, percent=Decimal(f"{percent:.0f}"),
                                        done=f"{month.key}：{task.title}按计划推进，累计完成{percent:.0f}%。",
                                        difficulties="部分单位整改资金不到位。" if rng.random() < 0.1 else "",
                                        created_at=submitted, submitted_at=submitted)
                steps = [("submit", "draft", "submitted", submitted, "")]
                if month == last:
                    report.status = ReportStatus.SUBMITTED
                else:
                    reviewed = aware_at(month.end + timedelta(days=5), 15)
                    if rng.random() < 0.08:
                        steps.append(("return", "submitted", "returned", reviewed - timedelta(days=2), "请补充整改数据"))
                        steps.append(("submit", "returned", "submitted", reviewed - timedelta(days=1), ""))
                    steps.append(("accept", "submitted", "accepted", reviewed, ""))
                    report.status, report.reviewed_at, report.reviewed_by = ReportStatus.ACCEPTED, reviewed, reviewer
                reports.append(report)
                events.append(steps)
    ProgressReport.objects.bulk_create(reports, batch_size=1000)
    ReportEvent.objects.bulk_create([
        ReportEvent(report=report, action=action, from_status=before, to_status=after, at=at, note=note,
                    actor=report.reviewed_by if action in ("accept", "return") else None)
        for report, steps in zip(reports, events, strict=True) for action, before, after, at, note in steps
    ], batch_size=2000)
    return len(reports)


def _manual_values(rng: random.Random, campaign: Campaign, today: date) -> None:
    """Quarterly values of the manual targets, growing towards the yearly goals."""
    for target in Target.objects.filter(task__campaign=campaign, indicator=""):
        goals = [Decimal(step["value"]) for step in target.steps]
        quarter = period_of(campaign.starts_on, "quarter")
        value = Decimal(0)
        while quarter.end < today:
            year_index = min(quarter.year - campaign.starts_on.year, len(goals) - 1)
            value = max(value, (goals[year_index] * quarter.index / 4 * Decimal(str(rng.uniform(0.85, 1.05)))).quantize(Decimal(1)))
            TargetValue.objects.create(target=target, on=quarter.end, value=value, note="季度统计")
            quarter = quarter.next()
