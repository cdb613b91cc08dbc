"""The GB/T 26875.3 gateway: an asyncio TCP server for user information transmission devices.

Per connection (:class:`Connection`, an :class:`asyncio.Protocol`):

- bytes go through a :class:`~firegov.kernels.gb26875.Deframer` (sticky and split packets, garbage);
- a frame that fails a check is answered with deny (6) when its header is readable (§6.5.3);
- the device is identified by the source address of its frames; an unknown or retired address is
  denied and logged;
- a send-data frame (2), heartbeats included, is confirmed (3) only after its readings are committed
  to the database; if storing fails, it is denied, so the device sends it again;
- confirms, denies and responses to the centre's own requests are matched by serial (§8.2); a request
  is sent again after ``timeout`` seconds, at most ``retries`` times (§6.5.4–§6.5.5);
- a device whose clock is off by more than ``clock_tolerance_s`` is sent a clock sync (90), at most
  once an hour; a connection silent for the device's report interval is polled with read 81, and
  closed when the poll fails;
- a client that stops reading is cut off after ``timeout``; one connection's trouble never blocks
  another.

Storing is group-committed (:mod:`firegov.iot.writer`): every connection hands its frames to one
writer, which stores up to ``batch_max`` frames per transaction in a worker thread and then releases
their confirms.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from firegov.iot import normalise
from firegov.iot.models import Channel, Device
from firegov.iot.services import Batch
from firegov.iot.writer import DeviceCache, Writer
from firegov.kernels.gb26875 import Deframer, Frame, Rejected, encode_adu, encode_frame, reply

log = logging.getLogger("firegov.gateway")
CONFIRM, RESPONSE, DENY, SEND, CONTROL, REQUEST = 3, 5, 6, 2, 1, 4
MAX_INFLIGHT = 64  # frames of one connection waiting for storage before it is read no further


def _active_devices(addresses: list[int]) -> dict[int, Device]:
    return {d.address: d for d in Device.objects.select_related("unit").filter(address__in=addresses, active=True)}


@dataclass
class GatewayConfig:
    host: str = "127.0.0.1"
    port: int = 30119
    centre_address: int = 0
    timeout: float = 10.0  # §6.5.4: at most 10 s before retransmitting
    retries: int = 3  # §6.5.5
    clock_tolerance_s: int = 5  # GB 50440: a unified clock, error at most 5 s
    identify_within: float = 60.0  # a connection that sends no valid frame in this time is closed
    batch_max: int = 500
    device_cache_s: float = 60.0


@dataclass
class _Pending:
    frame: bytes
    future: asyncio.Future
    tries: int = 1
    timer: asyncio.TimerHandle | None = None


@dataclass
class Stats:
    connections: int = 0
    frames: int = 0
    stored: int = 0
    denied: int = 0
    rejected: int = 0
    unknown: int = 0
    batches: int = 0
    garbage_bytes: int = 0


def now_local() -> datetime:
    """The centre's time as devices keep theirs (Asia/Shanghai)."""
    return timezone.now().astimezone(normalise.SHANGHAI)


class Connection(asyncio.Protocol):
    def __init__(self, gateway: Gateway):
        self.gateway = gateway
        self.deframer = Deframer()
        self.transport: asyncio.Transport | None = None
        self.peer = None
        self.device: Device | None = None
        self.address: int | None = None
        self.serial = 0  # the centre's own serial space on this connection (§8.2)
        self.pending: dict[int, _Pending] = {}
        self.last_rx = time.monotonic()
        self.connected_at = time.monotonic()
        self.last_clock_sync: float | None = None
        self.polling = False
        self.closed = False
        self._chain: asyncio.Future | None = None  # frames of one connection are handled in order
        self._stall: asyncio.TimerHandle | None = None
        self.inflight = 0
        self.reading_paused = False

    # --- asyncio.Protocol ----------------------------------------------------------------------------
    def connection_made(self, transport):
        self.transport = transport
        self.peer = transport.get_extra_info("peername")
        self.gateway.connections.add(self)
        self.gateway.stats.connections += 1

    def connection_lost(self, exc):
        self.closed = True
        self.gateway.connections.discard(self)
        if self.address is not None and self.gateway.by_address.get(self.address) is self:
            del self.gateway.by_address[self.address]
        for pending in self.pending.values():
            if pending.timer:
                pending.timer.cancel()
            if not pending.future.done():
                pending.future.set_result(None)
        self.pending.clear()
        if self._stall:
            self._stall.cancel()

    def data_received(self, data: bytes):
        self.last_rx = time.monotonic()
        before = self.deframer.discarded
        items = self.deframer.feed(data)
        self.gateway.stats.garbage_bytes += self.deframer.discarded - before
        for item in items:
            if isinstance(item, Rejected):
                self.gateway.stats.rejected += 1
                if item.header is not None:
                    self._deny(item.header)
                continue
            self.gateway.stats.frames += 1
            previous = self._chain
            self._chain = asyncio.ensure_future(self._handle(item, previous))
            self.gateway.handling.add(self._chain)
            self._chain.add_done_callback(self._done)
            self.inflight += 1
            if self.inflight >= MAX_INFLIGHT and not self.reading_paused and self.transport is not None:
                self.reading_paused = True  # a device far ahead of its confirms waits (TCP pushes back)
                self.transport.pause_reading()

    def _done(self, task: asyncio.Future) -> None:
        self.gateway.handling.discard(task)
        self.inflight -= 1
        if self.reading_paused and self.inflight <= MAX_INFLIGHT // 4 and not self.closed:
            self.reading_paused = False
            self.transport.resume_reading()

    def pause_writing(self):  # the client stopped reading: give it `timeout` to catch up
        self._stall = asyncio.get_running_loop().call_later(self.gateway.config.timeout, self.abort, "not reading")

    def resume_writing(self):
        if self._stall:
            self._stall.cancel()
            self._stall = None

    # --- frames -----------------------------------------------------------------------------------------
    def _send(self, data: bytes) -> None:
        if not self.closed and self.transport is not None:
            self.transport.write(data)

    def _deny(self, to: Frame | dict) -> None:
        """Answer deny (6) to a frame, or to the header of a rejected one (§6.5.3)."""
        self.gateway.stats.denied += 1
        self._send(reply(to, DENY, now_local()))

    def abort(self, why: str) -> None:
        log.info("closing %s (%s): %s", self.peer, self.address, why)
        if self.transport is not None:
            self.transport.abort()

    async def _handle(self, frame: Frame, previous: asyncio.Future | None) -> None:
        try:
            if previous is not None:
                await asyncio.shield(previous)
        except Exception:  # noqa: BLE001 - the previous frame's own failure is logged there
            pass
        try:
            await self._dispatch(frame)
        except Exception:
            log.exception("frame from %s could not be handled", self.peer)
            self._deny(frame)

    async def _dispatch(self, frame: Frame) -> None:
        if frame.command in (CONFIRM, RESPONSE, DENY):
            await self._answer(frame)
            return
        if frame.command != SEND:
            self._deny(frame)  # a device does not command the centre
            return
        device = await self._identify(frame.source)
        if device is None:
            self.gateway.stats.unknown += 1
            self._deny(frame)
            return
        received = timezone.now()
        stored = await self.gateway.store(Batch(device, normalise.from_frame(frame), Channel.TCP, received))
        if stored:
            self._send(reply(frame, CONFIRM, now_local()))
            self.gateway.stats.stored += 1
            self._check_clock(frame, received)
        else:
            self._deny(frame)

    async def _identify(self, address: int) -> Device | None:
        """The device of an address, re-read every ``device_cache_s`` (retired, moved to another unit)."""
        device = await self.gateway.device(address)
        if device is None:
            log.warning("unknown or retired device address %s from %s", address, self.peer)
            return None
        known = self.address == address
        self.device, self.address = device, address
        if known:
            return device
        old = self.gateway.by_address.get(address)
        if old is not None and old is not self:
            old.abort("the device connected again")
        self.gateway.by_address[address] = self
        return device

    async def _answer(self, frame: Frame) -> None:
        pending = self.pending.pop(frame.serial, None)
        if pending is None:
            return  # late or duplicate answer
        if pending.timer:
            pending.timer.cancel()
        if frame.command == DENY:
            self.pending[frame.serial] = pending
            self._retry(frame.serial)
            return
        if frame.command == RESPONSE and frame.adu is not None and self.device is not None:
            await self.gateway.store(Batch(self.device, normalise.from_frame(frame), Channel.TCP, timezone.now()))
        if not pending.future.done():
            pending.future.set_result(frame)

    # --- the centre's own requests ------------------------------------------------------------------
    def request(self, command: int, adu: bytes) -> asyncio.Future:
        """Send a control (1) or request (4); the future gets the answer frame, or None on failure."""
        loop = asyncio.get_running_loop()
        serial = self.serial
        self.serial = (self.serial + 1) & 0xFFFF
        data = encode_frame(serial=serial, command=command, source=self.gateway.config.centre_address,
                            destination=self.address or 0, sent_at=now_local(), adu=adu)
        pending = _Pending(data, loop.create_future())
        self.pending[serial] = pending
        self._send(data)
        pending.timer = loop.call_later(self.gateway.config.timeout, self._retry, serial)
        return pending.future

    def _retry(self, serial: int) -> None:
        pending = self.pending.get(serial)
        if pending is None:
            return
        if pending.tries > self.gateway.config.retries:
            del self.pending[serial]
            if not pending.future.done():
                pending.future.set_result(None)
            return
        pending.tries += 1
        self._send(pending.frame)
        pending.timer = asyncio.get_running_loop().call_later(self.gateway.config.timeout, self._retry, serial)

    def _check_clock(self, frame: Frame, received: datetime) -> None:
        sent = normalise.device_time(frame.sent_at)
        if sent is None or (self.last_clock_sync is not None and time.monotonic() - self.last_clock_sync < 3600):
            return
        drift = abs((sent - received).total_seconds())
        if drift > self.gateway.config.clock_tolerance_s:
            self.last_clock_sync = time.monotonic()
            self.request(CONTROL, encode_adu(90, [{"time": now_local().replace(tzinfo=None)}]))

    async def poll(self) -> bool:
        """Read the device's running status (81); False when it does not answer (巡检)."""
        self.polling = True
        try:
            answer = await self.request(REQUEST, encode_adu(81, [{"reserved": 0}]))
        finally:
            self.polling = False
        return answer is not None


class Gateway:
    def __init__(self, config: GatewayConfig | None = None, writer: Writer | None = None):
        self.config = config or GatewayConfig()
        self.connections: set[Connection] = set()
        self.by_address: dict[int, Connection] = {}
        self.stats = Stats()
        self._own_writer = writer is None  # a writer shared with MQTT ingestion is stopped by its owner
        self.writer = writer or Writer(self.config.batch_max)
        self.devices = DeviceCache(self.writer, _active_devices, self.config.device_cache_s)
        self._tasks: list[asyncio.Task] = []
        self.handling: set[asyncio.Future] = set()  # frames being handled, on every connection
        self.server: asyncio.base_events.Server | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.writer.start()
        self.devices.start()
        self.server = await loop.create_server(lambda: Connection(self), self.config.host, self.config.port)
        self._tasks = [asyncio.ensure_future(self._supervise())]
        log.info("GB/T 26875.3 gateway listening on %s:%s", self.config.host, self.port)

    @property
    def port(self) -> int:
        return self.server.sockets[0].getsockname()[1] if self.server else self.config.port

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
        for connection in list(self.connections):
            connection.abort("gateway stopping")
        tasks = [*self._tasks, *self.handling]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.server is not None:
            await self.server.wait_closed()
        await self.devices.stop()
        if self._own_writer:
            await self.writer.stop()

    # --- database ---------------------------------------------------------------------------------------
    async def device(self, address: int) -> Device | None:
        """The active device of an address (cached for ``device_cache_s``, see :class:`DeviceCache`)."""
        return await self.devices.get(address)

    async def store(self, batch: Batch) -> bool:
        """Hand readings to the group commit; True once committed, False if storing failed."""
        result = await self.writer.store(batch)
        self.stats.batches = self.writer.batches
        return result

    # --- supervision ------------------------------------------------------------------------------------
    async def _supervise(self, every: float = 1.0) -> None:
        while True:
            await asyncio.sleep(every)
            self.supervise_once()

    def supervise_once(self) -> None:
        now = time.monotonic()
        for connection in list(self.connections):
            if connection.device is None:
                if now - connection.connected_at > self.config.identify_within:
                    connection.abort("no valid frame")
                continue
            silent = now - connection.last_rx
            if silent > connection.device.heartbeat_s and not connection.polling:
                asyncio.ensure_future(self._poll(connection))

    async def _poll(self, connection: Connection) -> None:
        if not await connection.poll() and not connection.closed:
            connection.abort("did not answer the poll")
