"""The monitoring pages: console, the live stream (server-sent events), alarm and device lists,
an alarm's page with one-click verification, charts; each scoped to the user's jurisdiction."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from django.test import AsyncClient
from django.utils import timezone

from firegov.iot import live, services
from firegov.iot.models import Alarm, Device
from firegov.iot.normalise import Reading
from tests.conftest import make_unit


def _devices_in_both_counties(city):
    """A smoke detector at 薛城宾馆 (薛城区) and one at a mall of 滕州市."""
    xc = Device.objects.create(unit=city.xc_hotel, kind="smoke", name="烟感-301", code="NB-301")
    tz_unit = make_unit(city.tz_grid, "滕州商场", place_type="mall")
    tz = Device.objects.create(unit=tz_unit, kind="smoke", name="烟感-1", code="NB-TZ1")
    return xc, tz


@pytest.fixture
def alarms(city):
    xc, tz = _devices_in_both_counties(city)
    services.ingest(xc, [Reading(kind="status", point="s1", label="三楼301房间", conditions={"fire": True})])
    services.ingest(tz, [Reading(kind="status", point="s1", label="一楼大厅", conditions={"fault": True})])
    return Alarm.objects.get(device=xc), Alarm.objects.get(device=tz)


def test_the_console_shows_the_alarms_of_the_jurisdiction_only(alarms, city, login):
    page = login(city.xuecheng).get("/monitoring/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "薛城宾馆" in text and "三楼301房间" in text and "滕州商场" not in text
    assert "滕州商场" in login(city.jiankong).get("/monitoring/").content.decode()  # the city's centre


def test_grid_workers_do_not_see_monitoring(alarms, city, login):
    client = login(city.wangge)
    assert client.get("/monitoring/").status_code == 404
    assert client.get(f"/monitoring/alarms/{alarms[0].pk}/").status_code == 404


def test_one_click_verification_from_the_console_panel(alarms, city, login):
    alarm, tz_alarm = alarms
    client = login(city.xuecheng)
    panel = client.get(f"/monitoring/alarms/{alarm.pk}/", HTTP_HX_REQUEST="true")
    assert panel.status_code == 200
    assert 'name="verdict" value="false_alarm"' in panel.content.decode()
    response = client.post(f"/monitoring/alarms/{alarm.pk}/action/", {"action": "verify", "verdict": "false_alarm"},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    alarm.refresh_from_db()
    assert alarm.verdict == "false_alarm" and alarm.verified_by == city.xuecheng
    assert 'value="verify"' not in response.content.decode()  # verified: no second verdict offered
    # Another county's alarm is not there at all.
    assert client.post(f"/monitoring/alarms/{tz_alarm.pk}/action/", {"action": "acknowledge"}).status_code == 404


def test_lists_filter_with_the_shared_filtersets(alarms, city, login):
    client = login(city.jiankong)
    assert "滕州商场" not in client.get("/monitoring/alarms/?type=fire").content.decode()
    assert "滕州商场" in client.get("/monitoring/alarms/?type=fault").content.decode()
    page = client.get("/monitoring/alarms/?state=unverified").content.decode()
    assert "薛城宾馆" in page and "滕州商场" not in page
    api = client.get("/api/alarms/?state=unverified").json()
    assert [r["unit_name"] for r in api["results"]] == ["薛城宾馆"]
    devices = client.get("/monitoring/devices/?q=TZ1").content.decode()
    assert "烟感-1" in devices and "烟感-301" not in devices
    device = Device.objects.get(code="NB-301")
    assert "三楼301房间" in client.get(f"/monitoring/devices/{device.pk}/").content.decode()


def test_charts_page(alarms, city, login):
    services.act(city.xuecheng, alarms[0], "verify", {"verdict": "false_alarm"})
    services.sample_rates()
    page = login(city.jiankong).get("/monitoring/stats/")
    assert page.status_code == 200
    assert "薛城宾馆" in page.content.decode()  # the false-alarm table


async def _read_events(response, count, timeout=10.0):
    events = []
    iterator = response.streaming_content.__aiter__()
    buffer = ""
    while len(events) < count:
        chunk = await asyncio.wait_for(iterator.__anext__(), timeout)
        buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            if block.startswith("event: alarm"):
                data = block.split("data: ", 1)[1]
                events.append(json.loads(data))
    await iterator.aclose()
    return events


@pytest.mark.django_db(transaction=True)
def test_the_stream_pushes_new_alarms_in_scope_within_a_second(city):
    xc, tz = _devices_in_both_counties(city)
    live.reset()

    async def scenario():
        response = await _stream(city.xuecheng)
        assert response.status_code == 200 and response["Content-Type"] == "text/event-stream"
        reader = asyncio.ensure_future(_read_events(response, 1))
        await asyncio.sleep(0.3)  # subscribed
        started = timezone.now()
        await sync_to_async(services.ingest)(tz, [Reading(kind="status", point="s", conditions={"fire": True})])
        await sync_to_async(services.ingest)(xc, [Reading(kind="status", point="s", label="三楼",
                                                          conditions={"fire": True})])
        events = await reader
        return events, (timezone.now() - started).total_seconds()

    events, seconds = asyncio.run(scenario())
    assert [e["unit"] for e in events] == ["薛城宾馆"]  # the other county's alarm never reaches this console
    assert events[0]["type"] == "fire" and events[0]["new"] and "三楼" in events[0]["html"]
    assert seconds < 1.0


@pytest.mark.django_db(transaction=True)
def test_the_stream_catches_up_with_changes_the_bus_did_not_carry(city):
    """An alarm changed by another process without Redis (the worker's offline alarms) reaches the
    console through the catch-up from changed_at."""
    device = Device.objects.create(unit=city.xc_hotel, kind="smoke", name="烟感-301", code="NB-301",
                                   online=True, last_seen_at=timezone.now() - timezone.timedelta(hours=1))
    live.reset()

    class Deaf(live.LocalBus):
        def publish(self, message):  # stands for a process the bus does not reach
            pass

    async def scenario():
        live._bus = Deaf()
        response = await _stream(city.xuecheng)
        reader = asyncio.ensure_future(_read_events(response, 1, timeout=10))
        await asyncio.sleep(0.2)
        await sync_to_async(services.mark_silent)()
        return await reader

    try:
        events = asyncio.run(scenario())
    finally:
        live.reset()
    assert events[0]["type"] == "offline" and events[0]["unit"] == "薛城宾馆"
    assert Device.objects.get(pk=device.pk).online is False


async def _stream(user, data=None, headers=None):
    """The console's event stream as ``user`` opens it, logged in."""
    client = AsyncClient()
    await sync_to_async(client.force_login)(user)
    return await client.get("/monitoring/stream/", data, headers=headers)


async def _read_blocks(response, predicate, timeout=10.0):
    """The stream's messages (as {field: value}) until ``predicate(last, all so far)`` holds."""
    blocks = []
    iterator = response.streaming_content.__aiter__()
    buffer = ""
    try:
        while not blocks or not predicate(blocks[-1], blocks):
            chunk = await asyncio.wait_for(iterator.__anext__(), timeout)
            buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
            while "\n\n" in buffer:
                block, buffer = buffer.split("\n\n", 1)
                blocks.append(dict(line.split(": ", 1) for line in block.splitlines() if ": " in line))
    finally:
        await iterator.aclose()
    return blocks


@pytest.mark.django_db(transaction=True)
def test_the_catch_up_does_not_render_again_what_the_console_has(city, monkeypatch):
    """The catch-up reads the alarms of the last seconds on every beat; an alarm the console was
    sent, unchanged since, is rendered once (rendering them all again delayed the next alarm)."""
    from firegov.iot import views

    monkeypatch.setattr(views, "CATCH_UP_S", 0.2)
    rendered = []
    real_row = views._row
    monkeypatch.setattr(views, "_row", lambda user, alarm: rendered.append(alarm.pk) or real_row(user, alarm))
    device = Device.objects.create(unit=city.xc_hotel, kind="smoke", name="烟感-301", code="NB-301")
    live.reset()

    async def scenario():
        response = await _stream(city.xuecheng)
        reader = asyncio.ensure_future(_read_blocks(
            response, lambda _last, blocks: sum(b.get("event") == "sync" for b in blocks) >= 8))
        await asyncio.sleep(0.3)
        await sync_to_async(services.ingest)(device, [Reading(kind="status", point="s", conditions={"fire": True})])
        return await reader

    blocks = asyncio.run(scenario())
    [alarm] = Alarm.objects.filter(device=device)
    assert [json.loads(b["data"])["id"] for b in blocks if b.get("event") == "alarm"] == [alarm.pk]
    assert rendered == [alarm.pk]  # by the bus; the beats after it found it and left it


@pytest.mark.django_db(transaction=True)
def test_a_console_that_comes_back_is_caught_up_from_where_it_was(city, monkeypatch):
    """An alarm changed while the console was away (beyond the catch-up's margin) reaches it on
    reconnection, at once, because it sends back the id of the last message it had."""
    device = Device.objects.create(unit=city.xc_hotel, kind="smoke", name="烟感-301", code="NB-301")
    services.ingest(device, [Reading(kind="status", point="s1", label="三楼", conditions={"fire": True})])
    away_since = timezone.now() - timezone.timedelta(minutes=5)
    Alarm.objects.filter(device=device).update(changed_at=away_since + timezone.timedelta(minutes=1))
    live.reset()

    async def scenario(data=None, last_id=None):
        response = await _stream(city.xuecheng, data, headers={"Last-Event-ID": last_id} if last_id else None)
        started = asyncio.get_running_loop().time()
        blocks = await _read_blocks(response, lambda b, _blocks: b.get("event") in ("alarm", "sync", "reload"))
        return blocks[-1], asyncio.get_running_loop().time() - started

    since = str(int(away_since.timestamp() * 1000))
    for given in ({"last_id": since}, {"data": {"since": since}}):
        message, seconds = asyncio.run(scenario(**given))
        assert message["event"] == "alarm" and json.loads(message["data"])["unit"] == "薛城宾馆"
        assert seconds < 2.0  # not on the next beat: at once
        assert int(message["id"]) >= int(since)
    # Without it (or with an id that is not believable) only the last few seconds are caught up, and
    # the idle message gives the console an id to come back with. That comes on the next beat,
    # shortened here so that the five cases do not wait 3 s each.
    from firegov.iot import views

    monkeypatch.setattr(views, "CATCH_UP_S", 0.3)
    future = str(int((timezone.now() + timezone.timedelta(hours=1)).timestamp() * 1000))
    for given in ({}, {"last_id": "garbage"}, {"last_id": future}, {"data": {"since": "²"}},
                  {"last_id": "999999999999999"}):
        message, _seconds = asyncio.run(scenario(**given))
        assert message["event"] == "sync"
        assert abs(int(message["id"]) - timezone.now().timestamp() * 1000) < 10_000
    # Away for more than a day: told to read its list anew.
    yesterday = str(int((timezone.now() - timezone.timedelta(hours=25)).timestamp() * 1000))
    message, _seconds = asyncio.run(scenario(last_id=yesterday))
    assert message["event"] == "reload"


@pytest.mark.django_db(transaction=True)
def test_a_catch_up_of_more_rows_than_a_round_reads_sends_them_all(city, monkeypatch):
    from firegov.iot import views

    monkeypatch.setattr(views, "CATCH_UP_ROWS", 2)
    device = Device.objects.create(unit=city.xc_hotel, kind="smoke", name="烟感-301", code="NB-301")
    for i in range(5):
        services.ingest(device, [Reading(kind="status", point=f"s{i}", conditions={"fault": True})])
    away_since = timezone.now() - timezone.timedelta(minutes=10)
    alarms = list(Alarm.objects.filter(device=device).order_by("pk"))
    for i, alarm in enumerate(alarms):
        Alarm.objects.filter(pk=alarm.pk).update(changed_at=away_since + timezone.timedelta(minutes=1 + i))
    live.reset()

    async def scenario():
        response = await _stream(city.xuecheng, {"since": str(int(away_since.timestamp() * 1000))})
        return await _read_blocks(response, lambda b, _blocks: b.get("event") in ("sync", "reload"))

    blocks = asyncio.run(scenario())
    rows = [json.loads(b["data"])["id"] for b in blocks if b.get("event") == "alarm"]
    assert rows == [a.pk for a in alarms] and blocks[-1]["event"] == "sync"
    ids = [int(b["id"]) for b in blocks if "id" in b]
    assert ids == sorted(ids)  # a console cut off after any row comes back from that row

    # More rows changed at one instant than a round reads: the console reads its list anew.
    Alarm.objects.filter(device=device).update(changed_at=away_since + timezone.timedelta(minutes=1))
    blocks = asyncio.run(scenario())
    assert blocks[-1]["event"] == "reload"


@pytest.mark.django_db(transaction=True)
def test_the_stream_refuses_who_may_not_see_alarms(city):
    async def scenario():
        client = AsyncClient()
        anonymous = await client.get("/monitoring/stream/")
        await sync_to_async(client.force_login)(city.wangge)
        grid = await client.get("/monitoring/stream/")
        return anonymous.status_code, grid.status_code

    assert asyncio.run(scenario()) == (403, 403)


@pytest.mark.django_db(transaction=True)
def test_a_console_follows_its_user_into_another_county_at_once(city):
    """The stream reads its user anew with every message: moved to the 滕州市 brigade, the inspector's
    console is told to read its list again, gets 滕州市's alarms and no more of 薛城区's, though the
    stream was opened for 薛城区."""
    from firegov.core.models import User

    xc, tz = _devices_in_both_counties(city)
    live.reset()

    async def scenario():
        response = await _stream(city.xuecheng)

        def alarms(blocks):
            return [json.loads(b["data"])["unit"] for b in blocks if b.get("event") == "alarm"]

        reader = asyncio.ensure_future(_read_blocks(response, lambda last, blocks: "滕州商场" in alarms(blocks)))
        await asyncio.sleep(0.3)  # subscribed
        await sync_to_async(User.objects.filter(pk=city.xuecheng.pk).update)(agency=city.tz_brigade)
        await sync_to_async(services.ingest)(xc, [Reading(kind="status", point="s", conditions={"fire": True})])
        await asyncio.sleep(0.3)
        await sync_to_async(services.ingest)(tz, [Reading(kind="status", point="s", conditions={"fire": True})])
        blocks = await asyncio.wait_for(reader, 15)  # the stream's syncs alone never end the reading
        return [b.get("event") for b in blocks], alarms(blocks), blocks

    events, units, blocks = asyncio.run(scenario())
    assert "薛城宾馆" not in units, blocks
    assert units == ["滕州商场"]
    assert events.index("reload") < events.index("alarm")
    assert any(b.get("data") == "jurisdiction changed" for b in blocks)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("change", ["unit taken away", "agency moved"])
def test_a_console_reads_its_list_anew_when_its_scope_changes_without_a_new_role(city, change):
    """A unit manager who no longer manages the hotel, or a brigade whose region is redrawn, keeps role
    and agency: the console is told to reload all the same (it holds rows read for the old scope)."""
    from firegov.core.models import Agency

    Device.objects.create(unit=city.xc_hotel, kind="smoke", name="烟感-301", code="NB-301")
    user = city.danwei if change == "unit taken away" else city.xuecheng
    live.reset()

    def make_change():
        if change == "unit taken away":
            city.xc_hotel.managers.remove(city.danwei)
        else:
            Agency.objects.filter(pk=city.xc_brigade.pk).update(region=city.tz, region_path=city.tz.path)
        live.publish_alarms([999999])  # any message: the stream reads its user anew

    async def scenario():
        response = await _stream(user)
        reader = asyncio.ensure_future(_read_blocks(response, lambda last, _blocks: last.get("event") == "reload"))
        await asyncio.sleep(0.3)  # subscribed
        await sync_to_async(make_change)()
        return await asyncio.wait_for(reader, 15)

    blocks = asyncio.run(scenario())
    assert blocks[-1] == {"event": "reload", "id": blocks[-1]["id"], "data": "jurisdiction changed"}


@pytest.mark.django_db(transaction=True)
def test_the_catch_up_runs_even_while_the_bus_is_busy_with_other_alarms(city):
    """A busy bus (other counties' alarms every half second) must not starve the catch-up."""
    Device.objects.create(unit=city.xc_hotel, kind="smoke", name="烟感-301", code="NB-301", online=True,
                          last_seen_at=timezone.now() - timezone.timedelta(hours=1))
    live.reset()

    class Deaf(live.LocalBus):
        def publish(self, message):  # the worker's changes do not reach this process
            pass

    async def chatter(bus):
        while True:
            await asyncio.sleep(0.5)
            live.LocalBus.publish(bus, {"alarms": [999999]})  # an alarm this user cannot see

    async def scenario():
        bus = live._bus = Deaf()
        noise = asyncio.ensure_future(chatter(bus))
        response = await _stream(city.xuecheng)
        reader = asyncio.ensure_future(_read_events(response, 1, timeout=10))
        await asyncio.sleep(0.2)
        await sync_to_async(services.mark_silent)()
        try:
            return await reader
        finally:
            noise.cancel()

    try:
        events = asyncio.run(scenario())
    finally:
        live.reset()
    assert events[0]["type"] == "offline"


@pytest.mark.django_db(transaction=True)
def test_a_console_that_goes_away_ends_its_stream_cleanly(city):
    """When the browser has gone, the event loop's finaliser closes the view's generator: the live
    subscription must end with it, without an error."""
    from django.test import AsyncRequestFactory

    from firegov.iot.views import stream

    live.reset()

    async def scenario():
        request = AsyncRequestFactory().get("/monitoring/stream/")

        async def auser():
            return city.xuecheng

        request.auser = auser
        response = await stream(request)
        iterator = response._iterator  # the view's own generator
        await iterator.__anext__()  # "retry:"
        await asyncio.sleep(0.1)
        bus = live.bus()
        assert bus.subscribers == 1
        await iterator.aclose()
        return bus.subscribers

    assert asyncio.run(scenario()) == 0
