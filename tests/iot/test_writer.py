"""The group-commit writer: fire first without reordering one device's readings, a connection that
breaks is replaced, and the bulk statements it relies on store what the ORM would."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from firegov.core import bulk
from firegov.iot.models import Channel, Device, Event, Point
from firegov.iot.normalise import Reading
from firegov.iot.services import Batch
from firegov.iot.writer import Writer
from tests.conftest import make_unit


@pytest.fixture
def devices(transactional_db, city):
    unit = make_unit(city.xc_grid, "金鼎商厦", place_type="mall")
    return [Device.objects.create(unit=unit, kind="uitd", name=f"传输装置{i}", code=f"UITD-{i}", address=7000 + i)
            for i in range(3)]


def reading(point: str, condition: str, active: bool) -> Reading:
    return Reading(kind="status", point=point, conditions={condition: active})


def batch(device: Device, *readings: Reading) -> Batch:
    return Batch(device, list(readings), Channel.TCP, timezone.now())


def run_held(writer: Writer, batches: list[Batch]) -> list[bool]:
    """Queue ``batches`` in order while the writer's thread is busy, then let it go."""
    held, release = threading.Event(), threading.Event()

    def hold():
        held.set()
        release.wait(10)

    async def main():
        writer.start()
        busy = asyncio.ensure_future(writer.db(hold))
        await asyncio.get_running_loop().run_in_executor(None, held.wait, 10)
        stores = [asyncio.ensure_future(writer.store(b)) for b in batches]
        await asyncio.sleep(0.05)  # every store is queued
        release.set()
        await busy
        results = await asyncio.gather(*stores)
        await writer.stop()
        return results

    return asyncio.run(main())


def stored_order() -> list[tuple[int, str]]:
    return [(e.device_id, e.point.key) for e in Event.objects.select_related("point").order_by("id")]


def test_a_fire_jumps_the_queue_with_its_device_s_earlier_readings(devices):
    a, b, c = devices
    writer = Writer(batch_max=500)
    results = run_held(writer, [
        batch(a, reading("a1", "fault", True)),
        batch(b, reading("b1", "fault", True)),
        batch(c, reading("c1", "fire", False)),  # c's earlier reading: the fire clears, then the fire comes
        batch(a, reading("a2", "fault", True)),
        batch(c, reading("c1", "fire", True)),
    ])
    assert results == [True] * 5
    # c's two readings first and in their order, then the backlog in its order
    assert stored_order() == [(c.pk, "c1"), (c.pk, "c1"), (a.pk, "a1"), (b.pk, "b1"), (a.pk, "a2")]
    assert writer.batches == 2  # the fire's group, then the rest together
    fire = Event.objects.filter(device=c).order_by("id").last()
    assert fire.alarm is not None and fire.alarm.type == "fire" and fire.alarm.cleared_at is None


@pytest.mark.postgres
def test_a_broken_connection_is_replaced_and_the_batch_still_stored(devices):
    if connection.vendor != "postgresql":
        pytest.skip("a server that ends the connection is a PostgreSQL matter; SQLite is a file in the process")
    writer = Writer()

    def backend():
        connection.ensure_connection()
        return connection.connection.info.backend_pid

    loop = asyncio.new_event_loop()
    try:
        pid = loop.run_until_complete(start_and(writer, writer.db, backend))
        with connection.cursor() as cursor:  # the server ends the writer's session (a restart, a failover)
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        ok = loop.run_until_complete(writer.store(batch(devices[0], reading("p", "fault", True))))
        again = loop.run_until_complete(writer.store(batch(devices[0], reading("p", "fault", False))))
    finally:
        loop.run_until_complete(writer.stop())
        loop.close()
    assert (ok, again) == (True, True)
    assert Event.objects.count() == 2


async def start_and(writer: Writer, func, *args):
    writer.start()
    return await func(*args)


def test_stopping_answers_what_is_still_queued(devices):
    writer = Writer()

    async def main():
        writer.start()
        writer._task.cancel()  # the writer stops before it takes the queued readings
        stored = asyncio.ensure_future(writer.store(batch(devices[0], reading("p", "fault", True))))
        await asyncio.sleep(0.01)
        await writer.stop()
        return await stored

    assert asyncio.run(main()) is False
    assert not Event.objects.exists()


def test_bulk_rows_are_stored_as_the_orm_stores_them(devices):
    device = devices[0]
    at = timezone.now().replace(microsecond=123456)
    point = Point.objects.create(device=device, key="p", label="旧")
    bulk.update_rows(Point, ("label", "last_value", "last_value_at", "out_since", "out_count"),
                     [(point.pk, "三楼 'quoted' %s", Decimal("0.125"), at, None, 3)])
    point.refresh_from_db()
    assert (point.label, point.last_value, point.last_value_at, point.out_since, point.out_count) == (
        "三楼 'quoted' %s", Decimal("0.125"), at, None, 3)
    assert bulk.insert_rows(Event, ("device", "point", "channel", "kind", "conditions", "value", "detail",
                                    "device_time", "received_at", "region_path"),
                            [(device.pk, point.pk, "tcp", "status", {"fire": True}, None, {"desc": "走廊\t\\N"},
                              None, at, device.region_path),
                             (device.pk, None, "tcp", "analog", {}, Decimal("-1.5"), {}, at - timedelta(hours=1),
                              at, device.region_path)]) == 2
    first, second = Event.objects.order_by("id")
    assert (first.conditions, first.detail, first.value, first.device_time) == (
        {"fire": True}, {"desc": "走廊\t\\N"}, None, None)
    assert (second.point, second.value, second.device_time, second.received_at) == (
        None, Decimal("-1.500"), at - timedelta(hours=1), at)
    bulk.update_rows(Point, ("label",), [])  # nothing to do is no statement
    assert bulk.insert_rows(Event, ("kind",), []) == 0


def test_new_rows_that_exist_already_are_skipped(devices):
    device = devices[0]
    Point.objects.create(device=device, key="p", label="已有")
    bulk.insert_new([Point(device=device, key="p", label="重复", region_path=device.region_path),
                     Point(device=device, key="q", label="新点", region_path=device.region_path, comp_addr=2**40)])
    assert dict(Point.objects.values_list("key", "label")) == {"p": "已有", "q": "新点"}
    q = Point.objects.get(key="q")
    assert (q.hold_s, q.repeat_n, q.out_count, q.comp_addr, q.floor) == (0, 1, 0, 2**40, "")
    bulk.insert_new([])


@pytest.mark.filterwarnings("ignore:DateTimeField Point.last_seen_at received a naive datetime")
def test_bulk_writes_refuse_what_the_orm_refuses_and_take_json_and_naive_times(devices):
    from django.db import DataError, transaction
    from django.utils.timezone import make_aware

    device = devices[0]
    point = Point.objects.create(device=device, key="p", label="旧")
    naive = timezone.now().replace(tzinfo=None, microsecond=0)
    bulk.update_rows(Point, ("last_seen_at",), [(point.pk, naive)])
    point.refresh_from_db()
    assert point.last_seen_at == make_aware(naive)  # in the current time zone, as the ORM takes it
    bulk.update_rows(Event, ("detail",), [])
    event = Event.objects.create(device=device, channel="tcp", kind="status", received_at=timezone.now(),
                                 region_path=device.region_path)
    bulk.update_rows(Event, ("detail", "conditions"), [(event.pk, {"desc": "三楼"}, {"fire": True})])
    event.refresh_from_db()
    assert (event.detail, event.conditions) == ({"desc": "三楼"}, {"fire": True})
    if connection.vendor == "postgresql":  # SQLite does not enforce varchar lengths, for the ORM either
        with pytest.raises(DataError), transaction.atomic():
            bulk.update_rows(Point, ("label",), [(point.pk, "长" * 101)])
        point.refresh_from_db()
        assert point.label == "旧"


# --------------------------------------------------------------------------- the heap keeper


class _Cycle:
    def __init__(self):
        self.me = self


def test_heap_keeper_hides_the_long_lived_heap_and_collects_it_whole_on_schedule():
    import gc
    import weakref

    from firegov.iot.runtime import HeapKeeper

    keeper = HeapKeeper(freeze_s=60, collect_s=3600)
    start = keeper._collected_at
    try:
        cycle = _Cycle()
        alive = weakref.ref(cycle)
        keeper.tick(start + 60)  # a freeze: the cycle is out of the collector's sight
        assert gc.get_freeze_count() > 0
        del cycle
        gc.collect()
        assert alive() is not None, "a frozen garbage cycle waits for the scheduled full collection"
        assert keeper.full_collections == 0
        keeper.tick(start + 3601)  # past the hour: everything is given back and collected once, then frozen again
        assert keeper.full_collections == 1
        assert alive() is None
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_heap_keeper_gives_the_heap_back_when_it_stops():
    import asyncio
    import gc

    from firegov.iot.runtime import HeapKeeper

    async def run():
        keeper = HeapKeeper(freeze_s=0.01, collect_s=3600)
        keeper.start()
        assert gc.get_threshold()[2] == HeapKeeper.NO_FULL_PASS  # no full pass of the collector's own
        second = HeapKeeper(freeze_s=0.01, collect_s=3600)
        second.start()  # one keeper per process: this one stays off and gives nothing back
        assert second._task is None
        await second.stop()
        assert gc.get_threshold()[2] == HeapKeeper.NO_FULL_PASS
        await asyncio.sleep(0.05)
        frozen = gc.get_freeze_count()
        await keeper.stop()
        return frozen

    thresholds = gc.get_threshold()
    try:
        assert asyncio.run(run()) > 0
        assert gc.get_freeze_count() == 0
        assert gc.get_threshold() == thresholds
        off = HeapKeeper(freeze_s=0, collect_s=3600)
        off.start()  # turned off: nothing frozen, nothing to stop
        assert gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()


@pytest.mark.django_db(transaction=True)
def test_monitoring_stops_twice_without_error_and_closes_its_threads():
    """Stopping is safe to repeat (a failed start is followed by a stop, a shutdown may come after),
    and the threads with a database connection end with it."""
    from firegov.iot.runtime import Monitoring, Options

    def db_threads():
        return {t.name.split("_")[0] for t in threading.enumerate()} & {"ingest-db", "ingest-read", "forward-retry"}

    async def scenario():
        monitoring = Monitoring(Options(tcp=False, mqtt=False, clock=True, heap=False))
        await monitoring.start()
        await asyncio.sleep(0)
        await monitoring.writer.db(lambda: None)  # the threads start with their first job
        await monitoring.writer.read(lambda: None)
        await monitoring._retries.run(lambda: None)
        running = db_threads()
        await monitoring.stop()
        await monitoring.stop()
        return running, db_threads()

    running, after = asyncio.run(scenario())
    assert running == {"ingest-db", "ingest-read", "forward-retry"} and after == set()
