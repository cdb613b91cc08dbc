"""A year of inspection and hazard history for the demo city.

Deterministic (seeded) and written row by row like the rest of the demo loader, but every hazard
follows a path of the lifecycle table (firegov.hazards.lifecycle) with one timeline event per step,
every document number comes from the numbering service, every deadline is in working days, and the
hazards still open have their live deadlines registered with the deadline engine. Monthly random
draws are made with the real draw service (seed commitment, frozen inputs, verifiable).
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.db.models import Count
from django.utils import timezone

from firegov.core import deadlines, numbering, worktime
from firegov.core.models import Role, User
from firegov.hazards import lifecycle
from firegov.hazards import services as hazard_services
from firegov.hazards.models import (
    CaseEvent,
    CaseStatus,
    DocumentType,
    Hazard,
    HazardDocument,
    HazardEvent,
    HazardStatus,
    MajorHazardCase,
    PublicReport,
    ReportStatus,
    RewardTier,
    Severity,
)
from firegov.inspections import draws
from firegov.inspections.models import (
    LAW_ENFORCEMENT_KINDS,
    AnswerResult,
    DrawPlan,
    Inspection,
    InspectionAnswer,
    InspectionKind,
    InspectionResult,
    InspectionStatus,
)
from firegov.kernels import checklists
from firegov.registry.models import Unit

DRAW_RULES = {
    "inspectors_per_unit": 2, "recuse_last_inspectors": True, "exclude_inspected_within_days": 90,
    "strata": [
        {"code": "crowded_key", "label": "人员密集场所重点单位", "filter": {"key_unit": True, "crowded": True}, "count": 2},
        {"code": "other_key", "label": "其他重点单位", "filter": {"key_unit": True}, "count": 1},
        {"code": "general", "label": "一般单位", "filter": {}, "ratio": 0.005, "rounding": "ceil"},
    ],
}
DRAW_COUNTIES = ("370403", "370481")  # the brigades with demo accounts (xuecheng_dd, tengzhou)
KIND_WEIGHTS = [(InspectionKind.ROUTINE, 30), (InspectionKind.CAMPAIGN, 15), (InspectionKind.COMPLAINT, 6),
                (InspectionKind.JOINT, 6), (InspectionKind.EXPERT, 4), (InspectionKind.PATROL, 25),
                (InspectionKind.SELF, 14)]
REWARD_TIERS = [("general", "一般火灾隐患举报奖励", "general", False, "100.00"),
                ("urgent", "堵塞疏散通道、停用消防设施举报奖励", "general", True, "200.00"),
                ("major", "重大火灾隐患举报奖励", "major", False, "1000.00")]


def aware_at(day, hour=10) -> datetime:
    """A day at a full hour, local time (the demo's timestamps)."""
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _staff(brigades: dict, rng: random.Random, fake) -> dict[int, list[User]]:
    """Two inspectors and a supervisor per brigade: the named demo accounts where they exist, and
    colleagues without a usable password elsewhere (they only appear in the history)."""
    team: dict[int, list[User]] = {}
    for code, brigade in brigades.items():
        people = list(User.objects.filter(agency=brigade, role__in=[Role.INSPECTOR, Role.BRIGADE_SUPERVISOR]))
        for i in range(len(people), 3):
            role = Role.BRIGADE_SUPERVISOR if i == 2 else Role.INSPECTOR
            user = User(username=f"staff{code}_{i + 1}", role=role, agency=brigade,
                        last_name=fake.last_name(), first_name=fake.first_name())
            user.set_unusable_password()
            user.save()
            people.append(user)
        team[brigade.pk] = people
    return team


def _unit_managers(units: list[Unit], rng: random.Random, fake) -> None:
    """A manager account (消防安全管理人, no usable password) for one in four key units that have
    none, so that the history holds self-inspections (单位自查) and the hazards they found."""
    for unit in units:
        if unit.key_unit and unit.status == "operating" and rng.random() < 0.25 and not unit.managers.exists():
            name = unit.safety_manager or fake.name()
            user = User(username=f"unit{unit.pk}", role=Role.UNIT_MANAGER, last_name=name[:1], first_name=name[1:])
            user.set_unusable_password()
            user.save()
            unit.managers.add(user)


def load_history(rng: random.Random, fake, agencies: dict, units: list[Unit], now: datetime) -> dict:
    if not units:
        return {"inspections": 0, "hazards": 0}
    brigades = agencies["brigades"]
    team = _staff(brigades, rng, fake)
    grid = User.objects.filter(role=Role.GRID_WORKER).first()
    _unit_managers(units, rng, fake)
    managers = {u.pk: u.managers.first() for u in units}
    operating = [u for u in units if u.status == "operating"]
    managed = [u for u in operating if managers[u.pk] is not None]
    brigade_of = {u.pk: hazard_services.responsible_brigade(u) for u in operating}
    counters = {"inspections": 0, "hazards": 0}
    start = now - timedelta(days=365)

    # ------------------------------------------------------------------ inspections and hazards
    categories_by_code = {c.code: c for c in checklists.categories()}
    total = int(len(operating) * 0.8)
    # The last few inspections fall within the last 48 hours, alternately a grid patrol and a brigade's
    # routine inspection, so that the ledger also holds hazards still waiting to be confirmed or ordered.
    recent_from = total - max(6, total // 50)
    for n in range(total):
        kind = rng.choices([k for k, _w in KIND_WEIGHTS], [w for _k, w in KIND_WEIGHTS])[0]
        unit = rng.choice(managed if kind == InspectionKind.SELF and managed else operating)
        brigade = brigade_of[unit.pk]
        if brigade is None:
            continue
        fresh = n >= recent_from
        if fresh:  # within the last two days, whatever the calendar (patrols and checks go on at weekends)
            kind = InspectionKind.PATROL if n % 2 else InspectionKind.ROUTINE
            done_at = now - timedelta(minutes=rng.randint(60, 47 * 60))
            day = timezone.localtime(done_at).date()
        else:
            day = (start + timedelta(days=rng.randint(0, 360))).date()
            while not worktime.is_workday(day):  # back, not forward: a long holiday must not reach today
                day -= timedelta(days=1)
            done_at = aware_at(day, rng.randint(9, 16))
        officers = team[brigade.pk]
        if kind == InspectionKind.PATROL:
            people, finder = [grid] if grid else officers[:1], grid or officers[0]
        elif kind == InspectionKind.SELF:
            manager = managers.get(unit.pk)
            if manager is None:
                kind, people, finder = InspectionKind.ROUTINE, officers[:2], officers[0]
            else:
                people, finder = [manager], manager
        else:
            people = rng.sample(officers, 2)
            finder = people[0]
        template = checklists.templates_for(unit.place_type, [], kind)[0]
        inspection = Inspection.objects.create(
            unit=unit, kind=kind, status=InspectionStatus.COMPLETED, agency=finder.agency or brigade,
            checklist=template.id, checklist_version=str(template.version), planned_for=day,
            started_at=done_at - timedelta(hours=1), completed_at=done_at, created_by=finder,
            signed_by=fake.name() if kind not in (InspectionKind.PATROL, InspectionKind.SELF) else "",
            experts="、".join(fake.name() for _i in range(3)) if kind == InspectionKind.EXPERT else "",
        )
        inspection.inspectors.set(people)
        if kind == InspectionKind.JOINT and unit.department_id:  # with the unit's supervising department
            inspection.agencies.set([unit.department_id])
        found = rng.choice([1, 2, 2, 3] if fresh else [0, 1, 2, 2, 3, 3, 4])
        failed_items = rng.sample(template.items, k=min(len(template.items), found))
        failed_codes = {i.code for i in failed_items}
        InspectionAnswer.objects.bulk_create([
            InspectionAnswer(inspection=inspection, position=p, item=i.code, text=i.zh[:300],
                             result=AnswerResult.FAIL if i.code in failed_codes else AnswerResult.PASS,
                             hazard_category=i.hazard_category, gb35181=i.gb35181 or "",
                             photo_required=i.photo_required_on_fail)
            for p, i in enumerate(template.items)])
        inspection.result = InspectionResult.HAZARDS if failed_items else InspectionResult.PASSED
        inspection.save(update_fields=["result"])
        counters["inspections"] += 1
        for item in failed_items:
            _hazard_history(rng, unit, inspection, item, categories_by_code, finder, officers, managers.get(unit.pk),
                            brigade, done_at, now, fresh)
            counters["hazards"] += 1

    # ------------------------------------------------------------------ monthly random draws (real service)
    for brigade in [brigades[code] for code in DRAW_COUNTIES if code in brigades]:
        plan = DrawPlan.objects.create(agency=brigade, year=now.year, name=f"{brigade.name}{now.year}年双随机抽查计划",
                                       rules=DRAW_RULES)
        supervisor = next(p for p in team[brigade.pk] if p.role == Role.BRIGADE_SUPERVISOR)
        for month in range(1, now.month + 1):
            draw = draws.commit(supervisor, plan, f"{now.year}-{month:02d}")
            draws.run(supervisor, draw)
        past = Inspection.objects.filter(assignment__draw__plan=plan, planned_for__lt=(now - timedelta(days=20)).date())
        for inspection in past:
            when = aware_at(inspection.planned_for + timedelta(days=rng.randint(3, 18)))
            inspection.status, inspection.started_at, inspection.completed_at = "completed", when, when
            inspection.result = InspectionResult.PASSED
            inspection.signed_by = fake.name()
            inspection.publish_due = worktime.add_workdays(when.date(), plan.publish_within_workdays)
            if rng.random() < 0.85:
                inspection.published_at = when + timedelta(days=rng.randint(2, 20))
            inspection.save()
            inspection.answers.update(result=AnswerResult.PASS)

    _major_cases(rng, fake, team, brigade_of, now)
    _public_reports(rng, fake, operating, brigade_of, team, now)
    _number_records()
    return counters


def _event(hazard, action, before, after, actor, at, note="", document=None):
    return HazardEvent(hazard=hazard, action=action, from_status=before, to_status=after, actor=actor, at=at,
                       note=note, document=document)


def _hazard_history(rng, unit, inspection, item, categories_by_code, finder, officers, manager, brigade, found_at,
                    now, fresh=False) -> Hazard:
    """One hazard walked along the lifecycle table up to a state that suits its age; a ``fresh`` one
    stays as found (reported, or confirmed and waiting for its notice), since no later step has come."""
    category = categories_by_code[item.hazard_category]
    law = inspection.is_law_enforcement
    status = HazardStatus.CONFIRMED if finder.role in lifecycle.FIRE_OFFICERS else HazardStatus.REPORTED
    hazard = Hazard.objects.create(
        unit=unit, source={"patrol": "patrol", "self": "self", "campaign": "campaign"}.get(inspection.kind, "inspection"),
        category=category.code, description=f"{item.zh.rstrip('？?')}：不符合要求", found_by=finder,
        found_at=found_at, inspection=inspection, checklist_item=item.code, agency=brigade, status=status,
        gb35181=[item.gb35181] if item.gb35181 else [],
    )
    events = [_event(hazard, "report", "", status, finder, found_at)]
    age = (now - found_at).days
    officer = officers[0]
    moment = found_at
    if status == HazardStatus.REPORTED:
        if fresh or (age < 4 and rng.random() < 0.6):
            HazardEvent.objects.bulk_create(events)
            return hazard
        if category.typically_fixable_on_spot and rng.random() < 0.5:
            hazard.status, hazard.closed_at = HazardStatus.CORRECTED, found_at
            events.append(_event(hazard, "correct", "reported", "corrected", finder, found_at))
            hazard.save()
            HazardEvent.objects.bulk_create(events)
            return hazard
        if rng.random() < 0.05:
            hazard.status = HazardStatus.INVALID
            events.append(_event(hazard, "invalidate", "reported", "invalid", officer, found_at + timedelta(days=1),
                                 "经核实不属于火灾隐患"))
            hazard.save()
            HazardEvent.objects.bulk_create(events)
            return hazard
        moment = found_at + timedelta(days=1)
        events.append(_event(hazard, "confirm", "reported", "confirmed", officer, moment))
        status = HazardStatus.CONFIRMED
    if category.typically_fixable_on_spot and rng.random() < 0.35:
        hazard.status, hazard.closed_at = HazardStatus.CORRECTED, moment
        events.append(_event(hazard, "correct", status, "corrected", officer, moment, "责令当场改正"))
        hazard.save()
        HazardEvent.objects.bulk_create(events)
        return hazard
    ordered_at = max(aware_at(worktime.add_workdays(timezone.localtime(moment).date(), rng.randint(0, 2)), 15),
                     moment + timedelta(hours=1))
    if age < 3 or fresh or ordered_at > now:  # the notice has not been served yet
        hazard.status = status
        hazard.save()
        HazardEvent.objects.bulk_create(events)
        if law:
            deadlines.register(hazard, hazard_services.SERVE_NOTICE, f"{unit.name}：送达责令限期改正通知书",
                               hazard_services.due_after_workdays(found_at, lifecycle.NOTICE_WORKDAYS), "hazard-serve-notice", now=now)
        return hazard
    due = hazard_services.due_after_workdays(ordered_at, rng.choice([10, 15, 20, 30]))
    notice = HazardDocument.objects.create(
        kind=DocumentType.NOTICE, number=numbering.next_number(brigade, DocumentType.NOTICE, ordered_at.year),
        unit=unit, agency=brigade, inspection=inspection, issued_by=officer, issued_at=ordered_at, due_at=due,
        items=[{"hazard": hazard.pk, "category": category.code, "description": hazard.description}])
    hazard.notice, hazard.due_at = notice, due
    events.append(_event(hazard, "order", status, "ordered", officer, ordered_at, document=notice))
    status = HazardStatus.ORDERED
    if due > now and rng.random() < 0.5:
        hazard.status = status
        hazard.save()
        HazardEvent.objects.bulk_create(events)
        deadlines.register(hazard, hazard_services.RECTIFY, f"{unit.name}：隐患整改期限", due, "hazard-rectify", now=now)
        hazard_services.schedule_reinspection(hazard, now)
        hazard.save(update_fields=["reinspect_due_at"])
        return hazard
    actor = manager or officer
    late = rng.random() < 0.12
    submit_at = (due + timedelta(days=rng.randint(1, 20))) if late else (ordered_at + (due - ordered_at) * rng.random())
    if submit_at > now or (late and rng.random() < 0.5):
        hazard.status = HazardStatus.RECTIFYING
        hazard.interim_measures = "设置警示标识，安排专人值守"
        started_at = min(ordered_at + timedelta(days=1), ordered_at + (now - ordered_at) / 2)
        events.append(_event(hazard, "start", status, "rectifying", actor, started_at))
        hazard.save()
        HazardEvent.objects.bulk_create(events)
        deadlines.register(hazard, hazard_services.RECTIFY, f"{unit.name}：隐患整改期限", due, "hazard-rectify", now=now)
        hazard_services.schedule_reinspection(hazard, now)
        hazard.save(update_fields=["reinspect_due_at"])
        return hazard
    hazard.submitted_at = submit_at
    hazard.reinspect_due_at = hazard_services.reinspection_due(due, submit_at)
    events.append(_event(hazard, "submit", status, "submitted", actor, submit_at, "已按要求整改完毕"))
    reinspect_at = submit_at + timedelta(days=rng.randint(1, 4))
    if reinspect_at > now:
        hazard.status = HazardStatus.SUBMITTED
        hazard.save()
        HazardEvent.objects.bulk_create(events)
        deadlines.register(hazard, hazard_services.REINSPECT, f"{unit.name}：隐患复查", hazard.reinspect_due_at,
                           "hazard-reinspect", now=now)
        return hazard
    opinion = HazardDocument.objects.create(
        kind=DocumentType.REINSPECTION, unit=unit, agency=brigade, issued_by=officer, issued_at=reinspect_at,
        number=numbering.next_number(brigade, DocumentType.REINSPECTION, reinspect_at.year), passed=True,
        items=[{"hazard": hazard.pk, "category": category.code, "description": hazard.description, "passed": True}])
    hazard.status, hazard.closed_at = HazardStatus.CLOSED, reinspect_at
    events.append(_event(hazard, "reinspect", "submitted", "closed", officer, reinspect_at, document=opinion))
    hazard.save()
    HazardEvent.objects.bulk_create(events)
    return hazard


def _number_records() -> None:
    """The history's records of law-enforcement inspections get their numbers (消防监督检查记录) per
    brigade and year, in completion order."""
    numbered = (Inspection.objects.filter(status=InspectionStatus.COMPLETED, kind__in=LAW_ENFORCEMENT_KINDS,
                                          record_number="").exclude(agency__doc_prefix="")
                .select_related("agency").order_by("completed_at", "pk"))
    for inspection in numbered:
        inspection.record_number = numbering.next_number(inspection.agency, "inspection_record",
                                                         timezone.localdate(inspection.completed_at).year)
        inspection.save(update_fields=["record_number"])


def _major_cases(rng, fake, team, brigade_of, now) -> None:
    """A few major hazards: two listed for supervision, one still being decided, one de-listed."""
    plans = [("listed", ["7.3.3", "7.3.6", "7.5"]), ("listed", ["7.3.2", "7.3.9", "7.9.3"]),
             ("proposed", ["7.3.1", "7.3.5", "7.3.7"]), ("delisted", ["7.3.3", "7.3.4", "7.3.6", "7.5"])]
    # A case is made of a unit's hazards: still being rectified while it is decided or listed, closed
    # once it is de-listed. Crowded key units first, any unit with such hazards when they have none.
    still_open = [HazardStatus.CONFIRMED, HazardStatus.ORDERED, HazardStatus.RECTIFYING]
    used: set[int] = set()
    for target, items in plans:
        states = [HazardStatus.CLOSED] if target == "delisted" else still_open
        served = [pk for pk, brigade in brigade_of.items() if brigade is not None]
        with_hazards = (Unit.objects.filter(status="operating", hazards__status__in=states, pk__in=served)
                        .exclude(pk__in=used).annotate(found=Count("hazards")).filter(found__gte=2)
                        .order_by("-crowded_place", "-key_unit", "pk"))
        unit = with_hazards.first()
        if unit is None:
            continue
        used.add(unit.pk)
        brigade = brigade_of[unit.pk]
        leader = next(p for p in team[brigade.pk] if p.role == Role.BRIGADE_SUPERVISOR)
        proposed = now - timedelta(days={"listed": 120, "proposed": 2, "delisted": 300}[target])
        from firegov.hazards import judging

        judgement = judging.judge_unit(unit, items, [], [])
        case = MajorHazardCase.objects.create(
            unit=unit, agency=brigade, standard=judgement["standard"], place_kinds=judgement["place_kinds"],
            items=items, judgement=judgement, proposed_by=leader, proposed_at=proposed,
            decision_due=hazard_services.due_after_workdays(proposed, lifecycle.MAJOR_DECISION_WORKDAYS))
        hazards = list(Hazard.objects.filter(unit=unit, status__in=states).order_by("pk")[:3])
        case.hazards.set(hazards)
        CaseEvent.objects.create(case=case, action="propose", to_status="proposed", actor=leader, at=proposed)
        if target == "proposed":
            deadlines.register(case, hazard_services.CASE_DECISION, f"{unit.name}：重大火灾隐患判定", case.decision_due,
                               "major-hazard-decision", now=now)
            continue
        decided = proposed + timedelta(days=5)
        case.participants = [fake.name() for _i in range(5)]
        case.conclusion = "经集体讨论，依据GB 35181-2017判定为重大火灾隐患。"
        case.determined_at = decided
        case.notice_due = hazard_services.due_after_workdays(decided, lifecycle.MAJOR_NOTICE_WORKDAYS)
        case.notice_served_at, case.notice_received_by = decided + timedelta(days=1), fake.name()
        case.notice = HazardDocument.objects.create(
            kind=DocumentType.MAJOR_NOTICE, number=numbering.next_number(brigade, DocumentType.MAJOR_NOTICE,
                                                                         decided.year),
            unit=unit, agency=brigade, issued_by=leader, issued_at=decided, note=case.conclusion,
            items=[{"hazard": h.pk, "description": h.description} for h in hazards])
        Hazard.objects.filter(pk__in=[h.pk for h in hazards]).update(severity=Severity.MAJOR)
        case.listing_level, case.listing_authority = "county", f"{brigade.region.name}人民政府"
        case.plan = "制定整改方案，落实资金、措施、责任、时限和预案，整改期间采取临时防范措施。"
        case.funds = rng.choice([35, 60, 120, 260])
        case.officials = f"{fake.name()}（副区长）、{fake.name()}（{unit.name}法定代表人）"
        case.listed_at = decided + timedelta(days=10)
        case.rectify_due = (case.listed_at + timedelta(days=180)).date()
        case.status = CaseStatus.LISTED
        for action, before, after, at in [("discuss", "proposed", "discussed", decided - timedelta(days=1)),
                                          ("determine", "discussed", "determined", decided),
                                          ("serve", "determined", "determined", case.notice_served_at),
                                          ("list", "determined", "listed", case.listed_at)]:
            CaseEvent.objects.create(case=case, action=action, from_status=before, to_status=after, actor=leader,
                                     at=at)
        if target == "delisted":
            case.rectified_at = case.listed_at + timedelta(days=150)
            case.accepted_at = case.rectified_at + timedelta(days=10)
            case.delisted_at = case.accepted_at + timedelta(days=3)
            case.status = CaseStatus.DELISTED
            for action, before, after, at in [("rectified", "listed", "rectified", case.rectified_at),
                                              ("accept", "rectified", "accepted", case.accepted_at),
                                              ("delist", "accepted", "delisted", case.delisted_at)]:
                CaseEvent.objects.create(case=case, action=action, from_status=before, to_status=after,
                                         actor=leader, at=at)
        else:
            deadlines.register(case, hazard_services.CASE_RECTIFY, f"{unit.name}：挂牌督办重大火灾隐患整改",
                               hazard_services.end_of_day(case.rectify_due), "major-hazard-rectify", now=now)
            reported = now - timedelta(days=rng.randint(3, 20))  # the last monthly progress report
            CaseEvent.objects.create(case=case, action="progress", from_status="listed", to_status="listed",
                                     actor=leader, at=reported, note="已落实临时防范措施，整改工程按计划推进")
            deadlines.register(case, hazard_services.CASE_PROGRESS, f"{unit.name}：挂牌督办重大火灾隐患整改进展报告",
                               hazard_services.end_of_day(timezone.localdate(reported)
                                                          + timedelta(days=hazard_services.PROGRESS_INTERVAL_DAYS)),
                               "major-hazard-progress", now=now)
        case.save()


def _public_reports(rng, fake, units, brigade_of, team, now) -> None:
    """Reports of the past year were checked by the complaint inspections of the history (valid when
    the inspection found hazards, answered with its first one); recent ones are still being checked,
    half of them with a complaint inspection opened through the real service."""
    from firegov.hazards import reports

    checked = list(Inspection.objects.filter(kind=InspectionKind.COMPLAINT, status=InspectionStatus.COMPLETED,
                                             completed_at__lt=now - timedelta(days=5))
                   .select_related("unit__region").order_by("pk"))
    rng.shuffle(checked)

    for code, name, severity, urgent, amount in REWARD_TIERS:
        RewardTier.objects.get_or_create(code=code, defaults={"name": name, "severity": severity, "urgent": urgent,
                                                              "amount": amount})
    samples = [("blocked_exit", "楼梯间堆放大量纸箱杂物，安全出口被堵"), ("ebike_indoor_charging", "有人在一楼楼道给电动车充电"),
               ("locked_exit", "晚上营业时后门安全出口上锁"), ("fire_lane_occupied", "小区消防车道长期停满私家车"),
               ("private_wiring", "店铺私拉电线，插线板串接"), ("extinguisher_missing", "灭火器过期很久没换")]
    for n in range(60):
        unit = rng.choice(units)
        category, text = rng.choice(samples)
        submitted = now - timedelta(days=rng.randint(5, 300), hours=rng.randint(0, 12))
        if n >= 54:  # the last few are still being checked
            submitted = now - timedelta(hours=rng.randint(2, 70))
        inspection = checked.pop() if (now - submitted).days > 4 and checked else None
        if inspection is not None:  # reported the day before the check
            unit = inspection.unit
            submitted = inspection.completed_at - timedelta(hours=rng.randint(3, 20))
        report = PublicReport.objects.create(
            tracking_code=reports.new_code(), region=unit.region, place=unit.name, address=unit.address,
            description=text, category=category, contact_name=fake.name() if n % 3 else "",
            contact_phone=fake.phone_number() if n % 3 else "", submitted_at=submitted,
            client_hash=reports.client_hash(f"10.0.{n // 250}.{n % 250}"),
            fingerprint=reports.fingerprint(unit.region, unit.name, unit.address),
            urgent=checklists.category(category).urgent, agency=brigade_of.get(unit.pk),
            status=ReportStatus.ASSIGNED,
        )
        report.triaged_at = submitted
        report.check_due = (submitted + timedelta(hours=24)) if report.urgent else hazard_services.due_after_workdays(submitted, 3)
        if (now - submitted).days > 4:
            valid = rng.random() < 0.7
            report.answered_at = submitted + timedelta(hours=rng.randint(3, 40))
            report.unit = unit if valid else None
            if inspection is not None:
                valid = inspection.result == InspectionResult.HAZARDS
                report.inspection, report.unit = inspection, unit
                report.hazard = inspection.hazards.order_by("pk").first()
                report.answered_at = inspection.completed_at + timedelta(hours=rng.randint(1, 20))
            report.status = ReportStatus.VALID if valid else ReportStatus.INVALID
            report.result = ("经核查情况属实，已责令单位限期整改。" if valid else "经现场核查，未发现举报所述问题。")
            if valid and rng.random() < 0.5:
                report.reward_tier, report.reward_amount = ("urgent", 200) if report.urgent else ("general", 100)
                if rng.random() < 0.7:
                    report.reward_paid_at = report.answered_at + timedelta(days=15)
                    report.reward_reference = f"JL{submitted:%Y%m%d}{n:03d}"
        report.save()
        if report.status == ReportStatus.ASSIGNED:
            deadlines.register(report, reports.CHECK, f"举报核查：{report.place}", report.check_due,
                               "report-check-urgent" if report.urgent else "report-check", now=now)
            officers = team.get(report.agency_id, [])
            if n % 2 and len(officers) >= 2:
                reports.open_inspection(officers[0], report, unit, rng.sample(officers, 2))

