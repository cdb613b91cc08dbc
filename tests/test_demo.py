"""The demo city loader: counts, idempotence, accounts, generated units and determinism."""

from __future__ import annotations

import io
import random

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone
from faker import Faker
from stdnum.cn import uscc

from firegov.core.models import Agency, AgencyKind, Region, RegionLevel, Role, User
from firegov.core.scoping import scope
from firegov.demo import DEMO_PASSWORD
from firegov.demo.loader import (
    build_regions,
    counts,
    generate_communities,
    generate_units,
    iter_regions,
    load_data,
    load_demo,
)
from firegov.registry.models import Community, FireLane, MicroFireStation, Unit

UNITS = 200
SEED = 2026

# username -> (role, agency name or None)
ACCOUNTS = {
    "admin": (Role.SYSTEM_ADMIN, "枣庄市消防救援支队"),
    "zhidui": (Role.DETACHMENT, "枣庄市消防救援支队"),
    "xuecheng": (Role.INSPECTOR, "薛城区消防救援大队"),
    "xuecheng2": (Role.INSPECTOR, "薛城区消防救援大队"),
    "xuecheng_dd": (Role.BRIGADE_SUPERVISOR, "薛城区消防救援大队"),
    "tengzhou": (Role.INSPECTOR, "滕州市消防救援大队"),
    "tengzhou2": (Role.INSPECTOR, "滕州市消防救援大队"),
    "tengzhou_dd": (Role.BRIGADE_SUPERVISOR, "滕州市消防救援大队"),
    "jiaoyu": (Role.DEPARTMENT_OFFICER, "枣庄市教育局"),
    "danwei": (Role.UNIT_MANAGER, None),
    "jiankong": (Role.MONITORING_OPERATOR, "枣庄市消防救援支队"),
    "wangge": (Role.GRID_WORKER, "薛城区临城街道办事处"),
}
BRIGADE_PREFIXES = {
    "市中区消防救援大队": "枣市消", "薛城区消防救援大队": "枣薛消", "峄城区消防救援大队": "枣峄消",
    "台儿庄区消防救援大队": "枣台消", "山亭区消防救援大队": "枣山消", "滕州市消防救援大队": "枣滕消",
    "高新区消防救援大队": "枣高消",
}


@pytest.fixture
def demo(db):
    out = io.StringIO()
    result = load_demo(stdout=out, units=UNITS, seed=SEED, history=False)
    return result


@pytest.fixture
def demo_with_history(db):
    return load_demo(stdout=io.StringIO(), units=UNITS, seed=SEED)


def _fresh(seed):
    rng = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    return rng, fake


def test_counts(demo):
    assert demo["loaded"] is True
    tree = build_regions(random.Random(SEED))
    city_nodes = [n for n in iter_regions(tree) if n["path"].startswith("3704")]
    assert demo["regions"] == len(city_nodes) == Region.objects.filter(path__startswith="3704").count()
    levels = {level: Region.objects.filter(level=level).count() for level in RegionLevel.values}
    assert levels["province"] == 1 and levels["city"] == 1 and levels["county"] == 7
    assert levels["street"] == sum(len(c["streets"]) for c in load_data()["counties"]) == 64
    streets = Region.objects.filter(level="street")
    for street in streets:
        assert 2 <= street.children.count() <= 4
        assert len(street.path) == 9 and street.code == street.path and not street.official_code
    for community in Region.objects.filter(level="community"):
        assert 1 <= community.children.count() <= 3
        assert community.parent.level == "street" and len(community.path) == 12
    assert Region.objects.get(path="370471").official_code
    assert Region.objects.get(path="370481").name == "滕州市"
    assert Region.objects.get(path="3704").code == "370400"

    assert demo["units"] == UNITS == Unit.objects.count()
    assert demo["agencies"] == Agency.objects.count() == 115
    usable = [u.username for u in User.objects.all() if u.has_usable_password()]
    assert sorted(usable) == sorted(ACCOUNTS)  # the rest are brigade colleagues in the seeded history
    assert demo["users"] == User.objects.count()
    assert demo["communities"] == Community.objects.count() == 40
    assert demo["fire_lanes"] == FireLane.objects.count() >= 40
    assert 0 < demo["micro_stations"] == MicroFireStation.objects.count() <= 30
    assert demo["buildings"] > 0
    assert Community.objects.filter(built_year__lt=2000).exists()  # some old communities

    for name, prefix in BRIGADE_PREFIXES.items():
        brigade = Agency.objects.get(name=name)
        assert brigade.kind == AgencyKind.BRIGADE and brigade.doc_prefix == prefix
        assert brigade.children.filter(kind=AgencyKind.STATION).count() == 1
    assert Agency.objects.get(kind=AgencyKind.DETACHMENT).doc_prefix == "枣消"
    assert Agency.objects.filter(kind=AgencyKind.STREET_OFFICE).count() == 64
    assert Agency.objects.filter(kind=AgencyKind.POLICE).count() == 7
    assert Agency.objects.filter(kind=AgencyKind.SAFETY_COMMITTEE).count() == 1
    assert Agency.objects.filter(kind=AgencyKind.DEPARTMENT, region__path="3704").count() == 9
    assert Agency.objects.filter(kind=AgencyKind.DEPARTMENT, region__path="370403").count() == 9
    assert Agency.objects.filter(kind=AgencyKind.DEPARTMENT, region__path="370481").count() == 9


def test_second_load_changes_nothing(demo):
    before = counts()
    logs = LogEntry.objects.count()
    out = io.StringIO()
    again = load_demo(stdout=out, units=UNITS, seed=SEED + 1)
    assert again["loaded"] is False
    assert "already loaded" in out.getvalue()
    assert counts() == before
    assert LogEntry.objects.count() == logs


def test_history_names_admin(demo):
    admin = User.objects.get(username="admin")
    unit = Unit.objects.first()
    entries = LogEntry.objects.get_for_object(unit)
    assert entries.exists() and all(e.actor_id == admin.pk for e in entries)
    assert not LogEntry.objects.filter(actor__isnull=True).exclude(object_pk=str(admin.pk)).exists()


def test_demo_accounts_authenticate_with_role_and_agency(demo):
    request = RequestFactory().post("/login/")
    for username, (role, agency_name) in ACCOUNTS.items():
        user = authenticate(request, username=username, password=DEMO_PASSWORD)
        assert user is not None, username
        assert user.role == role, username
        assert (user.agency.name if user.agency else None) == agency_name, username
        assert user.last_name and user.first_name
        assert len(user.phone) == 11 and user.phone.isdigit()
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert authenticate(request, username="zhidui", password="wrong-password") is None


def test_unit_manager_manages_a_key_unit_in_xuecheng(demo):
    danwei = User.objects.get(username="danwei")
    units = list(danwei.managed_units.all())
    assert len(units) == 1
    unit = units[0]
    assert unit.key_unit and unit.region_path.startswith("370403")
    assert unit.place_type in ("hotel", "mall")
    assert list(scope(danwei, Unit.objects.all())) == [unit]


def test_city_education_officer_sees_education_units_citywide(demo):
    jiaoyu = User.objects.get(username="jiaoyu")
    visible = scope(jiaoyu, Unit.objects.all())
    assert visible.count() == Unit.objects.filter(sector="education").count() > 0
    # schools of 薛城区 are supervised by the district bureau, elsewhere by the city bureau
    for unit in Unit.objects.filter(place_type__in=["school", "kindergarten"]).select_related("department"):
        expected = "370403" if unit.region_path.startswith("370403") else (
            "370481" if unit.region_path.startswith("370481") else "3704")
        assert unit.department.region_path == expected


def test_generated_units(demo):
    units = list(Unit.objects.select_related("region"))
    with_code = [u for u in units if u.uscc]
    assert len(with_code) >= 0.8 * len(units)
    assert len({u.uscc for u in with_code}) == len(with_code)
    for unit in units:
        assert unit.region_path.startswith("3704") and unit.region_path == unit.region.path
        assert unit.region.level in ("street", "community", "grid")
        assert unit.address.startswith(Region.objects.get(path=unit.region_path[:6]).name)
        assert abs(unit.lat - 34.9) < 0.5 and abs(unit.lng - 117.35) < 0.6
        assert unit.legal_representative and len(unit.responsible_phone) == 11
        if unit.uscc:
            assert uscc.is_valid(unit.uscc), unit.uscc
            assert unit.uscc[2:8] == unit.region_path[:6], (unit.name, unit.uscc)
            assert unit.uscc[:2] in ("91", "92", "11", "12", "52", "71")
    assert len({u.place_type for u in units}) >= 15
    assert Unit.objects.filter(status="operating").count() > 0.85 * len(units)


def test_key_units_and_classification_reasons(demo):
    key_units = Unit.objects.filter(key_unit=True)
    assert 0.05 * UNITS <= key_units.count() <= 0.3 * UNITS
    for unit in key_units:
        assert any(r["rule"].startswith("key-units/") for r in unit.classification), unit.name
        assert unit.classified_with
    assert Unit.objects.filter(nine_small=True).exists()
    assert Unit.objects.filter(crowded_place=True).exists()


def test_generate_units_is_deterministic():
    tree_a = build_regions(random.Random(7))
    tree_b = build_regions(random.Random(7))
    assert tree_a == tree_b
    first = generate_units(*_fresh(7), tree_a, 60)
    second = generate_units(*_fresh(7), tree_b, 60)
    assert first == second
    assert [u["name"] for u in first[:20]] == [u["name"] for u in second[:20]]
    other = generate_units(*_fresh(8), tree_a, 60)
    assert [u["name"] for u in other[:20]] != [u["name"] for u in first[:20]]
    assert generate_communities(*_fresh(7), tree_a) == generate_communities(*_fresh(7), tree_b)


def test_generated_names_are_unique_and_spread_by_population():
    tree = build_regions(random.Random(1))
    units = generate_units(*_fresh(1), tree, 1000)
    assert len({u["name"] for u in units}) == 1000
    by_county = {}
    for unit in units:
        by_county[unit["county_code"]] = by_county.get(unit["county_code"], 0) + 1
    assert max(by_county, key=by_county.get) == "370481"  # 滕州 is the biggest
    assert units[0]["showcase"] and units[0]["place_type"] == "hotel"


def test_loaddemo_command(db):
    out = io.StringIO()
    call_command("loaddemo", units=30, seed=5, stdout=out)
    assert "Firegov-2026" in out.getvalue()
    assert Unit.objects.count() == 30
    out = io.StringIO()
    call_command("loaddemo", units=30, seed=5, stdout=out)
    assert "already loaded" in out.getvalue()
    assert Unit.objects.count() == 30


def _nothing_after(now):
    """No inspection, hazard, timeline event or document of the history is dated after ``now``."""
    from firegov.hazards.models import Hazard, HazardDocument, HazardEvent
    from firegov.inspections.models import Inspection

    assert not HazardEvent.objects.filter(at__gt=now).exists()
    assert not HazardDocument.objects.filter(issued_at__gt=now).exists()
    assert not Hazard.objects.filter(found_at__gt=now).exists()
    assert not Inspection.objects.filter(completed_at__gt=now).exists()


@pytest.mark.parametrize("moment", ["2026-10-05T10:00:00+08:00", "2026-02-20T09:30:00+08:00",
                                    "2026-04-07T09:30:00+08:00", "2026-11-28T23:00:00+08:00"])
def test_the_history_ends_now_even_in_a_holiday(db, moment, monkeypatch):
    """National Day, the Spring Festival, the morning after Qingming, a Saturday night: the history
    still has hazards waiting for confirmation and for their notice, and nothing dated later."""
    from datetime import datetime

    from firegov.hazards.models import Hazard

    now = datetime.fromisoformat(moment)
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)
    load_demo(stdout=io.StringIO(), units=UNITS, seed=SEED)
    assert {"reported", "confirmed", "ordered", "closed"} <= set(Hazard.objects.values_list("status", flat=True))
    _nothing_after(now)


def test_a_year_of_history_follows_the_lifecycle_tables(demo_with_history):
    demo = demo_with_history
    from firegov.hazards.lifecycle import CASE_TRANSITIONS, HAZARD_TRANSITIONS
    from firegov.hazards.models import Hazard, HazardEvent, MajorHazardCase, PublicReport
    from firegov.inspections import draws
    from firegov.inspections.models import Draw, Inspection

    statuses = set(Hazard.objects.values_list("status", flat=True))
    assert {"reported", "confirmed", "corrected", "ordered", "closed"} <= statuses
    _nothing_after(timezone.now())
    assert demo["hazards"] == Hazard.objects.count() > UNITS // 2
    for event in HazardEvent.objects.exclude(action="report"):
        step = HAZARD_TRANSITIONS[event.action]
        assert event.from_status in step.sources, (event.hazard_id, event.action, event.from_status)
        assert step.target in (None, event.to_status)
    for hazard in Hazard.objects.all():
        last = hazard.events.order_by("at", "id").last()
        assert last.to_status == hazard.status
    for case in MajorHazardCase.objects.prefetch_related("events"):
        for event in case.events.exclude(action="propose"):
            assert event.from_status in CASE_TRANSITIONS[event.action].sources
    assert MajorHazardCase.objects.filter(status="listed").exists()
    from firegov.inspections.models import LAW_ENFORCEMENT_KINDS

    law = Inspection.objects.filter(status="completed", kind__in=LAW_ENFORCEMENT_KINDS).exclude(agency__doc_prefix="")
    assert law.exists() and not law.filter(record_number="").exists()
    assert law.values("record_number").distinct().count() == law.count()
    for case in MajorHazardCase.objects.prefetch_related("hazards").select_related("notice"):
        hazards = list(case.hazards.all())
        assert len(hazards) >= 2, (case.status, "a case is made of the unit's hazards")
        assert all(h.unit_id == case.unit_id for h in hazards)
        if case.status == "delisted":
            assert {h.status for h in hazards} == {"closed"}
        else:
            assert all(h.is_open for h in hazards), case.status
        if case.status != "proposed":
            assert {h.severity for h in hazards} == {"major"}
            assert sorted(item["hazard"] for item in case.notice.items) == sorted(h.pk for h in hazards)
    # Units with a manager inspect themselves (单位自查): the hazards they find wait for the brigade.
    found_by_units = Hazard.objects.filter(source="self").select_related("inspection", "found_by")
    assert found_by_units.count() >= 5
    for hazard in found_by_units:
        assert hazard.inspection.kind == "self" and hazard.found_by.role == "unit_manager"
        assert hazard.unit.managers.filter(pk=hazard.found_by_id).exists()
        assert hazard.events.order_by("at", "id").first().to_status == "reported"
    assert PublicReport.objects.exists()
    checked = PublicReport.objects.filter(inspection__isnull=False).select_related("inspection")
    assert checked.filter(status="valid", hazard__isnull=False).exists()
    assert checked.filter(status="assigned", inspection__status="planned").exists()
    for report in checked:
        assert report.inspection.kind == "complaint" and report.inspection.unit_id == report.unit_id
        if report.status in ("valid", "invalid"):
            assert report.submitted_at < report.inspection.completed_at < report.answered_at <= timezone.now()
            assert (report.status == "valid") == (report.inspection.result == "hazards")
            assert report.hazard is None or report.hazard.inspection_id == report.inspection_id
    drawn = Draw.objects.filter(state="drawn")
    assert drawn.exists() and all(draws.verify(d)["ok"] for d in drawn)
    assert Inspection.objects.filter(kind="random", published_at__isnull=False).exists()


def test_the_demo_campaigns(demo_with_history):
    from firegov.campaigns import services
    from firegov.campaigns.lifecycle import REPORT_TRANSITIONS
    from firegov.campaigns.models import Campaign, ProgressReport, ReportEvent

    plan = Campaign.objects.get(kind="multi_year", parent=None)
    assert plan.tasks.filter(parent=None).count() == 7  # seven major items
    assert {c.region.name for c in plan.derived.all()} == {"薛城区", "滕州市"}
    assert plan.tasks.filter(added_later=True).count() == 1
    assert Campaign.objects.filter(kind="winter_spring").count() == 1
    assert demo_with_history["progress_reports"] == ProgressReport.objects.count() > 500
    for event in ReportEvent.objects.all():
        assert event.from_status in REPORT_TRANSITIONS[event.action].sources
    for report in ProgressReport.objects.filter(status="accepted")[:50]:
        assert report.events.order_by("at", "id").last().to_status == "accepted"
    rows = services.tree(plan)
    colours = {row["judgement"].colour for row in rows}
    assert {"green", "yellow"} <= colours and 0 < sum(row["progress"] for row in rows)
    assert plan.measures.filter(status="in_force").exists() and plan.accountability.exists()


def test_the_demo_monitoring_month(demo_with_history):
    """Devices on the key units first, a month of finished alarms that follow the alarm rules, the
    daily rates kept, and the console and charts readable by the demo operator."""
    from django.test import Client
    from django.utils import timezone

    from firegov.iot.lifecycle import ALARM_TRANSITIONS
    from firegov.iot.models import Alarm, AlarmNote, Device, Forwarding, UnitMonitoringDay

    demo = demo_with_history
    uitds = Device.objects.filter(kind="uitd")
    assert demo["devices"] == Device.objects.count() >= uitds.count() > 0
    assert uitds.filter(unit__key_unit=True).exists() and all(d.points.exists() for d in uitds)
    assert demo["alarms"] == Alarm.objects.count() > 0
    month_ago = timezone.now() - timezone.timedelta(days=31)
    assert not Alarm.objects.filter(first_at__lt=month_ago).exists()
    assert not Alarm.objects.filter(cleared_at__isnull=True).exists()  # live alarms come from the simulator
    fires = Alarm.objects.filter(type="fire")
    assert fires.exists() and not fires.filter(verdict="").exists()
    assert all(a.verified_at - a.first_at <= timezone.timedelta(seconds=180) for a in fires)
    assert set(AlarmNote.objects.values_list("action", flat=True)) <= set(ALARM_TRANSITIONS)
    for forwarding in Forwarding.objects.select_related("alarm"):
        assert forwarding.alarm.verdict == "real_fire" and forwarding.seconds < 3
    assert UnitMonitoringDay.objects.filter(unit__devices__isnull=False).exists()
    # The history obeys the rules the live system keeps: one open alarm per device, point and type;
    # nothing that would have become a hazard; the first runs of the jobs find nothing to do.
    spans: dict = {}
    for alarm in Alarm.objects.order_by("first_at"):
        key = (alarm.device_id, alarm.point_key, alarm.type)
        assert key not in spans or spans[key] < alarm.first_at, key
        spans[key] = alarm.cleared_at
    from firegov.iot import services

    assert services.raise_hazards() == []
    from firegov.core.models import User

    client = Client()
    client.force_login(User.objects.get(username="jiankong"))
    assert client.get("/monitoring/").status_code == 200
    assert client.get("/monitoring/stats/").status_code == 200
