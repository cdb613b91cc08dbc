"""Helpers shared by the hazard lifecycle tests (not a test module itself).

- ``Clock``: freezes ``django.utils.timezone.now`` (and through it ``localtime``/``localdate``) at a
  chosen moment, the way the services read the time; the deadline engine's ``run_due`` takes an
  explicit ``now`` instead.
- ``ROLE_USERS``: which user of the ``city`` fixture holds each role.
- ``new_hazard``/``put_in``: a hazard recorded through the service, then put straight into a given
  status (with the dates that status implies), so every source state of a table can be reached.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import django.utils.timezone
from django.utils import timezone
from PIL import Image

from firegov.core.lifecycle import (
    ADMIN,
    DEPARTMENT,
    DETACHMENT,
    GRID,
    INSPECTOR,
    MONITORING,
    SUPERVISOR,
    UNIT,
)
from firegov.hazards import services
from firegov.hazards.models import Hazard, HazardStatus, running_deadline

SH = ZoneInfo("Asia/Shanghai")
_real_now = django.utils.timezone.now

# The city fixture's user for each role (all of them see the Xuecheng primary school once `danwei`
# manages it: region 370403…, sector education).
ROLE_USERS = {
    ADMIN: "admin",
    DETACHMENT: "zhidui",
    SUPERVISOR: "xc_supervisor",
    INSPECTOR: "xuecheng",
    DEPARTMENT: "xc_jiaoyu",
    GRID: "wangge",
    UNIT: "danwei",
    MONITORING: "jiankong",
}
ROLES = list(ROLE_USERS)


def user_for(city, role):
    user = getattr(city, ROLE_USERS[role])
    assert (user.role or "") == role, (user.username, user.role, role)
    return user


def at(year, month, day, hour=10, minute=0, second=0):
    return datetime(year, month, day, hour, minute, second, tzinfo=SH)


def end_of(year, month, day):
    return at(year, month, day, 23, 59, 59)


class Clock:
    """``clock.set(at(2026, 9, 30))`` freezes timezone.now(); ``clock.set(None)`` releases it."""

    def __init__(self, monkeypatch):
        self.moment = None
        monkeypatch.setattr(django.utils.timezone, "now", self._now)

    def _now(self):
        return self.moment if self.moment is not None else _real_now()

    def set(self, moment):
        self.moment = moment
        return moment


def photo(name="p.jpg"):
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "JPEG")
    out.seek(0)
    out.name = name
    out.size = len(out.getvalue())
    return out


def new_hazard(user, unit, description="安全出口被杂物堵塞", category="blocked_exit"):
    return services.report_hazard(user, unit, {"category": category, "description": description})


def put_in(hazard, status):
    """Move ``hazard`` straight into ``status`` with the fields that status carries."""
    now = timezone.now()
    fields = {"status": status, "due_at": None, "submitted_at": None, "reinspect_due_at": None,
              "closed_at": None}
    if status in (HazardStatus.ORDERED, HazardStatus.RECTIFYING, HazardStatus.SUBMITTED):
        fields["due_at"] = now + timedelta(days=10)
    if status == HazardStatus.SUBMITTED:
        fields["submitted_at"] = now
        fields["reinspect_due_at"] = now + timedelta(days=5)
    if status in (HazardStatus.CLOSED, HazardStatus.CORRECTED):
        fields["closed_at"] = now
    fields["deadline_at"] = running_deadline(status, fields["due_at"], fields["reinspect_due_at"])
    Hazard.objects.filter(pk=hazard.pk).update(**fields)
    hazard.refresh_from_db()
    return hazard
