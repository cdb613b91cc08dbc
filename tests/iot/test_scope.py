"""Every monitoring page and API endpoint, for every role and jurisdiction: each user sees exactly the
alarms and devices of its jurisdiction (region × sector × managed units), in lists, details, counts
and charts; anything else answers 404."""

from __future__ import annotations

import pytest
from django.utils import timezone

from firegov.core.models import Role, User
from firegov.core.roles import can
from firegov.iot import services
from firegov.iot.models import Alarm, Device, Verdict
from firegov.iot.normalise import Reading
from tests.conftest import PASSWORD, make_unit

pytestmark = pytest.mark.django_db

# Who sees which of the four units' alarms and devices: the hotel and the school in 薛城区, the mall and
# the school in 滕州市 (both schools in the education sector; the hotel managed by danwei).
SEES = {
    "admin": "hotel xc_school mall tz_school",
    "zhidui": "hotel xc_school mall tz_school",
    "jiankong": "hotel xc_school mall tz_school",  # the city's monitoring centre
    "tz_jiankong": "mall tz_school",  # a county's monitoring operator
    "xuecheng": "hotel xc_school",
    "xc_supervisor": "hotel xc_school",
    "tengzhou": "mall tz_school",
    "jiaoyu": "xc_school tz_school",  # the city's education bureau: its sector in the city
    "xc_jiaoyu": "xc_school",  # the county's: its sector in the county
    "danwei": "hotel",  # the manager of the hotel
}
DENIED = ("wangge", "nobody")  # grid workers and users without a role see no monitoring at all


@pytest.fixture
def monitoring(city):
    """A smoke detector with a fire alarm on each of four units; the alarms verified as false alarms
    and the day's rates kept, so the charts have a top list."""
    city.tz_jiankong = User.objects.create_user("tz_jiankong", password=PASSWORD, role=Role.MONITORING_OPERATOR,
                                                agency=city.tz_brigade)
    units = {"hotel": city.xc_hotel, "xc_school": city.xc_school, "mall": make_unit(city.tz_grid, "滕州商场", "mall"),
             "tz_school": city.tz_school}
    devices, alarms = {}, {}
    for n, (key, unit) in enumerate(units.items()):
        devices[key] = Device.objects.create(unit=unit, kind="smoke", name=f"烟感-{key}", code=f"NB-{n}")
        services.ingest(devices[key], [Reading(kind="status", point="s1", label=f"探测点-{key}",
                                                conditions={"fire": True})])
        alarms[key] = Alarm.objects.get(device=devices[key])
    Alarm.objects.update(verdict=Verdict.FALSE_ALARM, verified_at=timezone.now())
    services.sample_rates()
    return units, devices, alarms


def _client(client, user):
    client.force_login(user)
    return client


def _names(rows, key="unit_name"):
    return {row[key] for row in rows}


@pytest.mark.parametrize("who", sorted(SEES))
def test_each_user_sees_exactly_its_jurisdiction(city, monitoring, client, api_for, who):
    units, devices, alarms = monitoring
    user = getattr(city, who)
    seen = set(SEES[who].split())
    hidden = set(units) - seen
    mine = {units[key].name for key in seen}
    web, api = _client(client, user), api_for(user)

    # Lists: the pages and the API hold exactly the visible units' alarms and devices.
    for page in ("/monitoring/alarms/", "/monitoring/devices/", "/monitoring/"):
        text = web.get(page).content.decode()
        assert all(units[key].name in text for key in seen), page
        assert not any(units[key].name in text for key in hidden), page
    assert _names(api.get("/api/alarms/").json()["results"]) == mine
    assert _names(api.get("/api/devices/").json()["results"]) == mine
    # Counts: the console's device counts, the charts' totals and top list.
    assert web.get("/monitoring/").context["devices"]["total"] == len(seen)
    charts = web.get("/monitoring/stats/")
    assert charts.context["totals"]["fires"] == charts.context["totals"]["false"] == len(seen)
    assert {row["name"] for row in charts.context["top"]} == mine
    # A filter or a search cannot reach beyond: asking for a hidden unit gives nothing.
    for key in hidden:
        assert api.get("/api/alarms/", {"unit": units[key].pk}).json()["results"] == []
        assert api.get("/api/devices/", {"unit": units[key].pk}).json()["results"] == []

    # Details: 200 for the visible, 404 for the others, on every route of an alarm and a device.
    for key in units:
        expected = 200 if key in seen else 404
        alarm, device = alarms[key].pk, devices[key].pk
        for url in (f"/monitoring/alarms/{alarm}/", f"/monitoring/devices/{device}/",
                    f"/history/iot.alarm/{alarm}/", f"/history/iot.device/{device}/"):
            assert web.get(url).status_code == expected, url
        for url in (f"/api/alarms/{alarm}/", f"/api/alarms/{alarm}/notes/", f"/api/alarms/{alarm}/forwardings/",
                    f"/api/devices/{device}/"):
            assert api.get(url).status_code == expected, url
        if key in hidden:  # and nothing can be done to it
            assert web.post(f"/monitoring/alarms/{alarm}/action/", {"action": "acknowledge"}).status_code == 404
            answer = api.post(f"/api/alarms/{alarm}/transition/", {"action": "acknowledge"}, format="json")
            # 403 for a role that may act on no alarm at all (whichever the alarm: nothing to learn)
            assert answer.status_code == (404 if can(user, "change", "iot.alarm") else 403)


@pytest.mark.parametrize("who", DENIED)
def test_users_without_monitoring_get_404_everywhere(city, monitoring, client, api_for, who):
    units, devices, alarms = monitoring
    user = getattr(city, who)
    web, api = _client(client, user), api_for(user)
    alarm, device = alarms["hotel"].pk, devices["hotel"].pk
    for url in ("/monitoring/", "/monitoring/alarms/", "/monitoring/devices/", "/monitoring/stats/",
                f"/monitoring/alarms/{alarm}/", f"/monitoring/devices/{device}/"):
        assert web.get(url).status_code == 404, url
    assert web.get("/monitoring/stream/").status_code == 403  # an event stream: refused, nothing to find
    for url in ("/api/alarms/", "/api/devices/", f"/api/alarms/{alarm}/", f"/api/alarms/{alarm}/notes/",
                f"/api/devices/{device}/"):
        assert api.get(url).status_code == 404, url
