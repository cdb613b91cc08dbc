"""Shared fixtures: a small two-county city with one user per role, and helpers for services.

The city (paths are the region codes' prefixes):

    37 山东省 / 3704 枣庄市
        370403 薛城区 / 370403001 临城街道 / 370403001001 泰山路社区 / 370403001001001 第一网格
        370481 滕州市 / 370481001 荆河街道 / 370481001001 杏坛社区 / 370481001001001 第一网格
"""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from firegov.core.models import Agency, AgencyKind, Region, Role, Sector, User

PASSWORD = "Firegov-2026"
REQUIRE_SERVICES = os.environ.get("FIREGOV_REQUIRE_SERVICES") == "1"


def require_service(available: bool, reason: str) -> None:
    """Skip a test whose real service is absent; in CI (FIREGOV_REQUIRE_SERVICES=1) fail instead."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


def listening(host: str, port: int) -> bool:
    """Whether a service (broker, Redis) accepts TCP connections at host:port."""
    import socket

    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False


def make_region(name, level, path, parent=None, official=False):
    return Region.objects.create(name=name, level=level, path=path, code=path if not official else path.ljust(6, "0"),
                                 parent=parent, official_code=official)


def make_unit(region, name, place_type="restaurant", department=None, **fields):
    from firegov.registry.models import Unit

    attributes = fields.pop("attributes", {})
    fields.setdefault("lat", 34.8)
    fields.setdefault("lng", 117.3)
    fields.setdefault("address", f"{region.name}{name}路1号")
    unit = Unit(name=name, region=region, place_type=place_type,
                department=department, attributes=attributes, **fields)
    unit.save()
    return unit


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_calendar():
    """Rolled-back CalendarDay rows send no signal: every test starts from the stored calendar."""
    from firegov.core import worktime

    worktime.invalidate()
    yield
    worktime.invalidate()


@pytest.fixture(autouse=True)
def clear_cache():
    """Throttle counters live in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def close_the_sync_threads_connection():
    """Async tests (asyncio.run with sync_to_async) query from asgiref's one thread for sync code,
    whose database connection would outlive the test and keep PostgreSQL from dropping the test
    database at the end ("being accessed by other users")."""
    yield
    from asgiref.sync import SyncToAsync
    from django.db import connections

    SyncToAsync.single_thread_executor.submit(connections.close_all).result()


@pytest.fixture
def city(db):
    c = SimpleNamespace()
    c.province = make_region("山东省", "province", "37", official=True)
    c.city = make_region("枣庄市", "city", "3704", c.province, official=True)
    c.xc = make_region("薛城区", "county", "370403", c.city, official=True)
    c.tz = make_region("滕州市", "county", "370481", c.city, official=True)
    c.xc_street = make_region("临城街道", "street", "370403001", c.xc)
    c.tz_street = make_region("荆河街道", "street", "370481001", c.tz)
    c.xc_comm = make_region("泰山路社区", "community", "370403001001", c.xc_street)
    c.tz_comm = make_region("杏坛社区", "community", "370481001001", c.tz_street)
    c.xc_grid = make_region("第一网格", "grid", "370403001001001", c.xc_comm)
    c.tz_grid = make_region("第一网格", "grid", "370481001001001", c.tz_comm)

    def agency(name, kind, region, sector="", prefix=""):
        return Agency.objects.create(name=name, kind=kind, region=region, sector=sector, doc_prefix=prefix)

    c.detachment = agency("枣庄市消防救援支队", AgencyKind.DETACHMENT, c.city, prefix="枣消")
    c.xc_brigade = agency("薛城区消防救援大队", AgencyKind.BRIGADE, c.xc, prefix="枣薛消")
    c.tz_brigade = agency("滕州市消防救援大队", AgencyKind.BRIGADE, c.tz, prefix="枣滕消")
    c.edu = agency("枣庄市教育局", AgencyKind.DEPARTMENT, c.city, Sector.EDUCATION)
    c.xc_edu = agency("薛城区教育和体育局", AgencyKind.DEPARTMENT, c.xc, Sector.EDUCATION)
    c.health = agency("枣庄市卫生健康委员会", AgencyKind.DEPARTMENT, c.city, Sector.HEALTH)
    c.xc_street_office = agency("临城街道办事处", AgencyKind.STREET_OFFICE, c.xc_street)

    def user(username, role, agency_, **extra):
        u = User.objects.create_user(username, password=PASSWORD, role=role, agency=agency_, **extra)
        return u

    c.admin = user("admin", Role.SYSTEM_ADMIN, c.detachment, is_staff=True, is_superuser=True)
    c.zhidui = user("zhidui", Role.DETACHMENT, c.detachment)
    c.xuecheng = user("xuecheng", Role.INSPECTOR, c.xc_brigade)
    c.xc_supervisor = user("xc_dd", Role.BRIGADE_SUPERVISOR, c.xc_brigade)
    c.tengzhou = user("tengzhou", Role.INSPECTOR, c.tz_brigade)
    c.jiaoyu = user("jiaoyu", Role.DEPARTMENT_OFFICER, c.edu)
    c.xc_jiaoyu = user("xc_jiaoyu", Role.DEPARTMENT_OFFICER, c.xc_edu)
    c.wangge = user("wangge", Role.GRID_WORKER, c.xc_street_office)
    c.danwei = user("danwei", Role.UNIT_MANAGER, None)
    c.jiankong = user("jiankong", Role.MONITORING_OPERATOR, c.detachment)
    c.nobody = user("nobody", "", None)

    c.xc_hotel = make_unit(c.xc_grid, "薛城宾馆", "hotel", attributes={"guest_rooms": 80}, uscc="")
    c.xc_school = make_unit(c.xc_comm, "薛城区实验小学", "school", department=c.xc_edu,
                            attributes={"student_boarding_beds": 20})
    c.tz_school = make_unit(c.tz_grid, "滕州市第一中学", "school", department=c.edu,
                            attributes={"student_boarding_beds": 600})
    c.tz_restaurant = make_unit(c.tz_street, "滕州小吃店", "restaurant")
    c.xc_hotel.managers.add(c.danwei)
    return c


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def api_for():
    def _api(user):
        api = APIClient()
        if user is not None:
            api.force_authenticate(user)
        return api

    return _api
