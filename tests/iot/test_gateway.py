"""The GB/T 26875.3 gateway over real TCP: confirm after storing, deny, sticky and split packets,
garbage, unknown devices, disconnects, polling, clock sync, and a restart that loses no confirmed event."""

from __future__ import annotations

import asyncio
import socket
import time
from datetime import datetime

import pytest
from django.db import connection

from firegov.iot.models import Alarm, Device, Event
from firegov.kernels.gb26875 import Deframer, Frame, decode_frame, encode_adu, encode_frame, reply
from tests.iot.conftest import UITD_ADDRESS, RunningGateway, read_frames, wait_for

NOW = "2026-11-23T10:00:00"


def upload(serial: int, adu: bytes | None, source: int = UITD_ADDRESS, sent_at=None) -> bytes:
    return encode_frame(serial=serial, command=2, source=source, destination=0,
                        sent_at=sent_at or datetime.now(), adu=adu)


def component(status: int, comp_addr: int = 131082, desc: str = "三楼走廊烟感") -> bytes:
    return encode_adu(2, [{"sys_type": 1, "sys_addr": 1, "comp_type": 40, "comp_addr": comp_addr,
                           "status": status, "desc": desc, "time": NOW}])


FIRE = component(0x0002)


def test_fire_alarm_is_stored_before_it_is_confirmed(gateway, monitored):
    sock = gateway.connect()
    sock.sendall(upload(1, FIRE))
    [confirm] = read_frames(sock, 1)
    assert isinstance(confirm, Frame) and confirm.command == 3 and confirm.serial == 1
    assert (confirm.source, confirm.destination) == (0, UITD_ADDRESS)
    alarm = Alarm.objects.get()
    assert (alarm.type, alarm.severity, alarm.point.key, alarm.unit) == ("fire", "critical", "1-1-131082", monitored.unit)
    assert alarm.point.label == "三楼走廊烟感"
    assert Event.objects.filter(alarm=alarm, channel="gb26875").count() == 1


def test_sticky_and_split_packets(gateway, monitored):
    sock = gateway.connect()
    sock.sendall(upload(1, FIRE) + upload(2, FIRE) + upload(3, None))  # three frames in one write
    whole = upload(4, FIRE)
    for byte in whole:  # one frame a byte at a time
        sock.send(bytes([byte]))
        time.sleep(0.001)
    confirms = read_frames(sock, 4)
    assert [(c.command, c.serial) for c in confirms] == [(3, 1), (3, 2), (3, 3), (3, 4)]
    alarm = Alarm.objects.get()
    assert alarm.count == 3  # one open alarm per point and type, counting repeats
    assert Event.objects.count() == 3  # every occurrence kept; the heartbeat is no event


def test_bad_frames_are_denied_and_garbage_is_skipped(gateway, monitored):
    sock = gateway.connect()
    bad = bytearray(upload(7, FIRE))
    bad[-3] ^= 0xFF
    sock.sendall(b"\x00\x01garbage" + bytes(bad) + b"@@junk" + upload(8, FIRE))
    answers = read_frames(sock, 2)
    assert [(a.command, a.serial) for a in answers] == [(6, 7), (3, 8)]
    assert Event.objects.count() == 1


def test_unknown_device_is_denied(gateway, monitored):
    sock = gateway.connect()
    sock.sendall(upload(1, FIRE, source=4242))
    [deny] = read_frames(sock, 1)
    assert deny.command == 6 and deny.destination == 4242
    assert not Event.objects.exists()


def confirmed_then_retired(running: RunningGateway, device: Device) -> socket.socket:
    """A connection whose device was confirmed once (so it is in the cache), then retired in the admin."""
    sock = running.connect()
    sock.sendall(upload(1, None))
    assert read_frames(sock, 1)[0].command == 3
    Device.objects.filter(pk=device.pk).update(active=False)
    return sock


def test_a_retired_device_is_denied_once_its_cached_entry_is_read_again(transactional_db, monitored):
    running = RunningGateway(device_cache_s=0.3).start()
    try:
        sock = confirmed_then_retired(running, monitored)
        time.sleep(0.4)
        sock.sendall(upload(2, None))  # served from the entry while it is read again in the background
        assert read_frames(sock, 1)[0].command == 3
        time.sleep(0.2)
        sock.sendall(upload(3, None))
        assert [(f.command, f.serial) for f in read_frames(sock, 1)] == [(6, 3)]
    finally:
        running.stop()


def test_an_entry_twice_its_age_is_not_served_while_read_again(transactional_db, monitored):
    """A device that reports every few hours is judged by a fresh record, not by hours-old one."""
    running = RunningGateway(device_cache_s=0.2).start()
    try:
        sock = confirmed_then_retired(running, monitored)
        time.sleep(0.5)
        sock.sendall(upload(2, None))
        assert [(f.command, f.serial) for f in read_frames(sock, 1)] == [(6, 2)]
    finally:
        running.stop()


def test_devices_connecting_together_are_read_in_one_query(transactional_db, monitored):
    others = [Device.objects.create(unit=monitored.unit, kind="uitd", name=f"{i}号", code=f"UITD-{i}",
                                    address=5000 + i) for i in range(40)]
    running = RunningGateway().start()
    try:
        queries = []

        def count(execute, sql, params, many, context):
            queries.append(sql)
            return execute(sql, params, many, context)

        async def lookups():
            await running.gateway.writer.read(lambda: connection.execute_wrappers.append(count))
            addresses = [UITD_ADDRESS, *(d.address for d in others), 4999]  # 4999 is nobody's
            return await asyncio.gather(*(running.gateway.device(a) for a in addresses))

        found = asyncio.run_coroutine_threadsafe(lookups(), running.loop).result(10)
        assert [d.pk if d else None for d in found] == [monitored.pk, *(d.pk for d in others), None]
        assert len(queries) == 1
    finally:
        running.stop()


def test_device_lookups_do_not_wait_for_the_writer(transactional_db, monitored):
    """Reading devices (250–400 ms for 2,000) must not hold up storing, nor storing the reading."""
    import threading

    running = RunningGateway().start()
    release = threading.Event()
    try:
        async def lookup_while_the_writer_is_busy():
            busy = asyncio.ensure_future(running.gateway.writer.db(release.wait, 10))
            device = await asyncio.wait_for(running.gateway.device(UITD_ADDRESS), 5)
            writer_still_busy = not busy.done()
            release.set()
            await busy
            return device, writer_still_busy

        device, writer_still_busy = asyncio.run_coroutine_threadsafe(
            lookup_while_the_writer_is_busy(), running.loop).result(10)
        assert device.pk == monitored.pk and writer_still_busy
    finally:
        release.set()
        running.stop()


def test_aged_entries_are_read_again_in_slices(transactional_db, monitored):
    others = [Device.objects.create(unit=monitored.unit, kind="uitd", name=f"{i}号", code=f"UITD-{i}",
                                    address=6000 + i) for i in range(25)]
    running = RunningGateway(device_cache_s=1.0).start()
    cache = running.gateway.devices
    cache.REFRESH_MAX = 10
    try:
        sizes = []

        def load(keys, real=cache.load):
            sizes.append(len(keys))
            return real(keys)

        cache.load = load
        addresses = [d.address for d in others]

        async def lookups():
            return await asyncio.gather(*(running.gateway.device(a) for a in addresses))

        asyncio.run_coroutine_threadsafe(lookups(), running.loop).result(10)
        assert sizes == [25]  # waited for: one query
        time.sleep(1.1)  # aged (past 1 s), not yet too old (2 s)
        found = asyncio.run_coroutine_threadsafe(lookups(), running.loop).result(10)  # aged: served, read again
        assert [d.pk for d in found] == [d.pk for d in others]
        wait_for(lambda: sum(sizes) == 50)
        assert sizes[1:] == [10, 10, 5]
    finally:
        running.stop()


def test_an_abrupt_disconnect_does_not_disturb_other_connections(gateway, monitored):
    broken = gateway.connect()
    broken.sendall(upload(1, FIRE)[:20])
    broken.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    broken.close()  # RST in the middle of a frame
    healthy = gateway.connect()
    healthy.sendall(upload(2, FIRE))
    assert read_frames(healthy, 1)[0].command == 3


def test_status_clears_and_reset_ends_the_fire(gateway, monitored):
    sock = gateway.connect()
    sock.sendall(upload(1, component(0x0005)))  # normal + fault
    read_frames(sock, 1)
    assert Alarm.objects.get(type="fault").cleared_at is None
    sock.sendall(upload(2, component(0x0001)) + upload(3, FIRE))  # fault gone; then a fire
    read_frames(sock, 2)
    assert Alarm.objects.get(type="fault").cleared_at is not None
    sock.sendall(upload(4, encode_adu(4, [{"sys_type": 1, "sys_addr": 1, "op": 0x01, "operator": 3, "time": NOW}])))
    read_frames(sock, 1)
    assert Alarm.objects.get(type="fire").cleared_at is not None


def test_silent_device_is_polled_and_closed_when_it_does_not_answer(transactional_db, monitored):
    monitored.heartbeat_s = 1
    monitored.save()
    running = RunningGateway(timeout=0.3, retries=1).start()
    try:
        sock = running.connect()
        sock.sendall(upload(1, None))
        assert read_frames(sock, 1)[0].command == 3
        polls = read_frames(sock, 2, timeout=5)  # the read 81 and its one retry, both serial 0
        assert [(p.command, p.serial, p.adu["type"]) for p in polls] == [(4, 0, 81), (4, 0, 81)]
        sock.settimeout(5)
        assert sock.recv(100) == b""  # closed: the poll failed
    finally:
        running.stop()


def test_answered_poll_keeps_the_connection_and_stores_the_answer(transactional_db, monitored):
    monitored.heartbeat_s = 1
    monitored.save()
    running = RunningGateway(timeout=2).start()
    try:
        sock = running.connect()
        sock.sendall(upload(1, None))
        read_frames(sock, 1)
        [poll] = read_frames(sock, 1, timeout=5)
        status = encode_adu(21, [{"flags": ["normal", "main_power_fault"], "time": NOW}])
        sock.sendall(reply(poll, 5, datetime.now(), adu=status))
        assert wait_for(lambda: Alarm.objects.filter(type="power").exists(), 5)
        assert Alarm.objects.get(type="power").point is None  # the device's own power fault
        assert running.call(lambda: len(running.gateway.connections)) == 1
    finally:
        running.stop()


def test_clock_is_synchronised_when_the_device_is_off(gateway, monitored):
    sock = gateway.connect()
    sock.sendall(upload(1, None, sent_at=datetime(2012, 9, 26, 9, 58, 32)))
    confirm, sync = read_frames(sock, 2)
    assert confirm.command == 3
    assert (sync.command, sync.adu["type"]) == (1, 90)
    sent = datetime.strptime(sync.adu["objects"][0]["time"], "%Y-%m-%dT%H:%M:%S")
    assert abs((sent - datetime.now()).total_seconds()) < 60
    sock.sendall(reply(sync, 3, datetime.now()))


def test_a_restart_in_the_middle_of_traffic_loses_no_confirmed_event(transactional_db, monitored):
    confirmed = []
    for round_ in range(2):
        running = RunningGateway().start()
        sock = running.connect()
        frames = [upload(round_ * 50 + i, component(0x0002, comp_addr=round_ * 50 + i)) for i in range(50)]
        sock.sendall(b"".join(frames))
        got = read_frames(sock, 5)
        running.stop()  # stops while the other frames are in flight
        sock.settimeout(1)
        tail = Deframer()
        try:
            while data := sock.recv(65536):  # confirms that left before the stop
                got += tail.feed(data)
        except OSError:
            pass
        confirmed += [c.serial for c in got if c.command == 3]
        sock.close()
    stored = set(Alarm.objects.values_list("point__comp_addr", flat=True))
    assert len(confirmed) >= 10
    assert set(confirmed) <= stored


def test_decoded_frame_round_trip_sanity():
    raw = upload(3, FIRE)
    assert decode_frame(raw).adu["objects"][0]["flags"] == ["fire_alarm"]


@pytest.mark.parametrize("command", [1, 4])
def test_a_device_does_not_command_the_centre(gateway, monitored, command):
    sock = gateway.connect()
    sock.sendall(encode_frame(serial=9, command=command, source=UITD_ADDRESS, destination=0, sent_at=datetime.now(),
                              adu=encode_adu(81, [{"reserved": 0}])))
    assert read_frames(sock, 1)[0].command == 6
