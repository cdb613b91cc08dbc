"""Simulated monitoring devices for load tests, demos and end-to-end tests (``firegov simulate``).

Two channels, as real devices use them:

- **GB/T 26875.3 over TCP** (the default): one TCP connection per simulated user information
  transmission device (用户信息传输装置), all of them on one asyncio event loop. A device sends
  send-data frames (command 2) carrying facility status (ADU types 1 and 2), analog values (type 3),
  operation records (type 4) and alarms (the fire or fault bit of a component status, type 2), and
  waits for the centre's confirm (3), matched by serial. Serials are the device's own (protocol.md
  §8.2: 0 when the connection is first set up, one more for each new transaction, unique while the
  transaction is alive). A frame that is denied (6), or not answered within ``timeout`` seconds, is
  sent again, at most ``retries`` times (§6.5). A device with nothing to send sends an empty frame
  every ``heartbeat_s`` seconds (§8.4). It answers the centre's own requests as a UITD does: read
  81/85/88 with response 21/25/28, clock sync 90 with confirm (and sets its clock), initialise 89 and
  patrol 91 with confirm, anything else with deny. A dropped connection is made again after a
  back-off, and the frames it left unconfirmed are sent again with their serials.
- **MQTT** (``mqtt_url`` set): the JSON payload of docs/iot.md, with the device's ``token``, published
  at QoS 1 on ``<root>/up/<code>``. "Confirmed" is then the broker's PUBACK and "denied" an error
  reply of the centre on ``<root>/down/<code>/error``. A few client connections carry all devices.

One pacer shares the total rate among the devices: it hands the next frame to the next device in
turn, skipping devices that already have ``window`` frames waiting for their confirm, so a
gateway that falls behind slows the offered load instead of drowning in retransmissions.

The devices are ``SIM-<address>`` with GB/T 26875.3 addresses ``base_address .. base_address + N - 1``;
:func:`register` creates them on existing units. Their MQTT tokens are derived from the
installation's secret key (:func:`token_for`), so any simulator of the same installation knows them
while the database keeps only their SHA-256.

Programmatic use (the demo, end-to-end tests)::

    async with Simulator(SimConfig(devices=3, rate=0, port=30119)) as sim:
        confirm = await sim.alarm(0)          # a fire alarm from the first device, confirmed or None

    send_fire_alarm(address=900000, port=30119)   # the same from synchronous code, one device
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import math
import random
import resource
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from firegov.iot.normalise import SHANGHAI
from firegov.kernels.gb26875 import Frame, Rejected, encode_adu, encode_frame, parse_time, reply
from firegov.kernels.gb26875.deframer import Deframer

CONTROL, SEND, CONFIRM, REQUEST, RESPONSE, DENY = 1, 2, 3, 4, 5, 6
POINTS = 8  # fire detectors per simulated device: components 1..8 of loop 1 of the fire alarm system
FIRE, FAULT, NORMAL = 0x0003, 0x0005, 0x0001  # component status words (Fig. 7): bit 0 normal, 1 fire, 2 fault
DEFAULT_BASE_ADDRESS = 900_000
CODE_PREFIX = "SIM-"


class SimulationError(RuntimeError):
    """The simulation cannot run as asked (no units to register devices on, an address taken...)."""


@dataclass
class SimConfig:
    devices: int = 1
    rate: float = 10.0  # frames (or messages) per second, all devices together; 0: heartbeats only
    host: str = "127.0.0.1"
    port: int = 30119
    base_address: int = DEFAULT_BASE_ADDRESS
    alarm_share: float = 0.01  # share of frames that raise a fire or fault alarm
    fire_share: float = 0.7  # of those, the share of fire alarms (the rest are faults)
    window: int = 1  # frames a device may have waiting for their confirm
    max_outstanding: int = 0  # frames of all devices waiting for their confirm before the pacer waits (0: no cap)
    timeout: float = 10.0  # §6.5.4
    retries: int = 3  # §6.5.5
    heartbeat_s: float = 30.0  # an empty frame after this long without sending (0: never)
    hello: bool = True  # every connection starts with a heartbeat, so the centre knows the device at once
    centre_address: int = 0
    clock_skew_s: float = 0.0  # the devices' clocks are this far off (the centre then syncs them)
    connect_concurrency: int = 100
    connect_timeout: float = 60.0
    mqtt_url: str | None = None
    topic_root: str = "firegov"
    mqtt_clients: int = 4
    secret: str | None = None  # key of the MQTT tokens; None: settings.SECRET_KEY
    seed: int = 26875


@dataclass(slots=True)
class Outgoing:
    """One transaction started by a device: the frame (or message) and its fate."""

    serial: int
    data: bytes
    kind: str  # load | alarm | heartbeat
    sent_at: float  # time.perf_counter() when it was first written
    readings: int = 0  # information objects (MQTT: readings) it carries
    tries: int = 1
    timer: asyncio.TimerHandle | None = None
    future: asyncio.Future | None = None
    confirmed_at: float | None = None


@dataclass
class Stats:
    sent: int = 0
    heartbeats: int = 0
    alarms: int = 0
    retransmitted: int = 0
    confirmed: int = 0
    readings: int = 0  # information objects (MQTT: readings) in the confirmed frames
    denied: int = 0  # deny answers (TCP) or error replies (MQTT) received
    failed: int = 0  # given up after the retries
    timeouts: int = 0
    reconnects: int = 0
    polls: int = 0  # reads answered
    controls: int = 0  # controls confirmed
    clock_syncs: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds from first write to confirm
    started: float = field(default_factory=time.perf_counter)


def percentile(samples: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of ``samples``; None when there are none."""
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


@dataclass
class Summary:
    channel: str
    target: str
    devices: int
    connected: int
    seconds: float
    stats: Stats
    unconfirmed: int

    @property
    def p50_ms(self) -> float | None:
        value = percentile(self.stats.latencies, 50)
        return None if value is None else value * 1000

    @property
    def p99_ms(self) -> float | None:
        value = percentile(self.stats.latencies, 99)
        return None if value is None else value * 1000

    def lines(self) -> list[str]:
        s, secs = self.stats, max(self.seconds, 1e-9)

        def ms(value):
            return "-" if value is None else f"{value:.1f} ms"

        confirmed = f"{s.confirmed} ({s.confirmed / secs:.1f}/s; {s.readings} readings)"
        if self.channel == "mqtt":
            confirmed += ", the broker's PUBACK"
        return [
            f"{'devices':<16} {self.devices} ({self.connected} connected), {self.channel} to {self.target}",
            f"{'duration':<16} {self.seconds:.1f} s",
            f"{'frames sent':<16} {s.sent} ({s.sent / secs:.1f}/s; {s.alarms} alarms, {s.heartbeats} heartbeats), "
            f"{s.retransmitted} sent again",
            f"{'confirmed':<16} {confirmed}",
            f"{'denied':<16} {s.denied}" + (" (error replies of the centre)" if self.channel == "mqtt" else ""),
            f"{'failed':<16} {s.failed} given up after {s.timeouts} timeouts; {self.unconfirmed} unconfirmed at the end",
            f"{'confirm latency':<16} p50 {ms(self.p50_ms)}, p99 {ms(self.p99_ms)}",
            f"{'centre requests':<16} {s.polls} reads answered, {s.controls} controls confirmed "
            f"({s.clock_syncs} clock syncs)",
            f"{'reconnects':<16} {s.reconnects}",
        ]


def device_code(address: int) -> str:
    return f"{CODE_PREFIX}{address:05d}"


def token_for(code: str, secret: str | None = None) -> str:
    """The MQTT/HTTP token of a simulated device: an HMAC of its code under the installation's key."""
    if secret is None:
        from django.conf import settings

        secret = settings.SECRET_KEY
    digest = hmac.new(secret.encode(), f"firegov-simulate:{code}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()


def register(count: int, base_address: int = DEFAULT_BASE_ADDRESS, kind: str = "uitd",
             secret: str | None = None, heartbeat_s: int = 60) -> tuple[int, int]:
    """Create (or bring back into service) the simulated devices on existing units, round robin.

    Addresses ``base_address .. base_address + count - 1``, codes ``SIM-<address>``, tokens of
    :func:`token_for`. Returns (created, updated). Refuses addresses or codes held by real devices.
    """
    from django.db import transaction
    from django.db.models import Q

    from firegov.iot.models import Device
    from firegov.registry.models import Unit

    if count < 1:
        return 0, 0
    if base_address < 0 or base_address + count - 1 >= 1 << 48:
        raise SimulationError("GB/T 26875.3 addresses are 6 bytes: 0 .. 281474976710655")
    addresses = range(base_address, base_address + count)
    codes = {device_code(a): a for a in addresses}
    units = list(Unit.objects.alive().order_by("pk")[:max(1, min(count, 1000))])
    if not units:
        raise SimulationError("there is no unit to put the simulated devices on (load the demo city first)")
    with transaction.atomic():
        found = list(Device.objects.filter(Q(address__gte=base_address, address__lt=base_address + count)
                                           | Q(code__in=list(codes))).select_for_update())
        clashes = [d for d in found if codes.get(d.code) != d.address]
        if clashes:
            d = clashes[0]
            raise SimulationError(f"device {d.code} (address {d.address}) is not a simulated device of this range; "
                                  f"choose another --base-address")
        existing = {d.address: d for d in found}
        missing = []
        for i, address in enumerate(addresses):
            code = device_code(address)
            token_hash = hashlib.sha256(token_for(code, secret).encode()).hexdigest()
            device = existing.get(address)
            if device is not None:
                device.token_hash, device.active = token_hash, True
                continue
            unit = units[i % len(units)]
            missing.append(Device(unit=unit, kind=kind, name=f"模拟设备 {code}", code=code, address=address,
                                  token_hash=token_hash, heartbeat_s=heartbeat_s, region_path=unit.region_path,
                                  sector=unit.sector))
        Device.objects.bulk_create(missing, batch_size=1000)
        if existing:
            Device.objects.bulk_update(list(existing.values()), ["token_hash", "active"], batch_size=1000)
    return len(missing), len(existing)


def raise_open_files(needed: int) -> int:
    """Raise this process's soft limit of open files towards ``needed`` (at most the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        soft = want
    return soft


def local_now() -> datetime:
    """The time as devices keep it: Asia/Shanghai, naive."""
    return datetime.now(SHANGHAI).replace(tzinfo=None)


class Traffic:
    """What the devices report. ADUs name no device, so each is encoded once per second of device
    time and shared by every device that sends the same thing in that second."""

    def __init__(self, config: SimConfig, rng: random.Random):
        self.config = config
        self.rng = rng
        self._cache: dict[tuple, bytes] = {}

    def _adu(self, key: tuple, moment: datetime) -> bytes:
        moment = moment.replace(microsecond=0)
        cached = self._cache.get((key, moment))
        if cached is not None:
            return cached
        if len(self._cache) > 4096:
            self._cache.clear()
        kind = key[0]
        if kind == "component":
            _, comp_addr, status = key
            adu = component_adu(comp_addr, status, moment)
        elif kind == "system":
            adu = encode_adu(1, [{"sys_type": 1, "sys_addr": 1, "status": NORMAL, "time": moment}])
        elif kind == "analog":  # the hydrant system's pressure and the water tank's level
            _, pressure, level = key
            adu = encode_adu(3, [
                {"sys_type": 11, "sys_addr": 1, "comp_type": 91, "comp_addr": 101, "analog_type": 4,
                 "value": pressure, "time": moment},
                {"sys_type": 11, "sys_addr": 1, "comp_type": 92, "comp_addr": 102, "analog_type": 2,
                 "value": level, "time": moment}])
        else:  # an operator silenced the panel
            adu = encode_adu(4, [{"sys_type": 1, "sys_addr": 1, "flags": ["silence"], "operator": 1, "time": moment}])
        self._cache[(key, moment)] = adu
        return adu

    def next(self, point: int, moment: datetime) -> tuple[bytes, str]:
        """The next load frame's ADU for a device whose turn is at component ``point``, and its kind."""
        rng = self.rng
        if rng.random() < self.config.alarm_share:
            status = FIRE if rng.random() < self.config.fire_share else FAULT
            return self._adu(("component", point, status), moment), "alarm"
        pick = rng.random()
        if pick < 0.45:  # the point is back to normal: clears what it had raised
            key = ("component", point, NORMAL)
        elif pick < 0.65:
            key = ("system",)
        elif pick < 0.97:
            key = ("analog", rng.randint(2, 4), rng.randint(180, 220))
        else:
            key = ("operation",)
        return self._adu(key, moment), "load"

    def payload(self, device: SimDevice, point: int) -> tuple[dict, str]:
        """The next MQTT message of a sensor (docs/iot.md) and its kind."""
        rng = self.rng
        name = f"smoke-{point}"
        when = datetime.now(SHANGHAI).isoformat(timespec="seconds")
        if rng.random() < self.config.alarm_share:
            condition = "fire" if rng.random() < self.config.fire_share else "fault"
            readings = [{"point": name, "condition": condition, "active": True, "label": f"{point}号感烟探测器"}]
            kind = "alarm"
        elif rng.random() < 0.5:
            readings = [{"point": name, "condition": "fire", "active": False},
                        {"point": name, "condition": "fault", "active": False}]
            kind = "load"
        else:
            readings = [{"point": "pressure", "value": round(0.25 + rng.random() * 0.1, 3),
                         "quantity": "pressure", "unit": "MPa"}]
            kind = "load"
        return {"device": device.code, "token": device.token, "time": when, "readings": readings}, kind


def component_adu(comp_addr: int, status: int, moment: datetime, desc: str | None = None) -> bytes:
    """Type 2: the status of one smoke detector on loop 1 of the fire alarm system."""
    return encode_adu(2, [{"sys_type": 1, "sys_addr": 1, "comp_type": 40, "comp_addr": comp_addr, "status": status,
                           "desc": desc if desc is not None else f"{comp_addr}号感烟探测器", "time": moment}])


class SimDevice:
    """What every simulated device has, whatever its channel."""

    def __init__(self, sim: Simulator, index: int):
        self.sim = sim
        self.index = index
        self.address = sim.config.base_address + index
        self.code = device_code(self.address)
        self.pending: dict[int, Outgoing] = {}
        self.point = index % POINTS + 1
        self.queued = False  # in the pacer's queue of devices ready to send
        self.last_tx = 0.0

    @property
    def ready(self) -> bool:
        return self.up and len(self.pending) < self.sim.config.window

    @property
    def up(self) -> bool:
        raise NotImplementedError

    def next_point(self) -> int:
        point = self.point
        self.point = point % POINTS + 1
        return point

    def offer(self) -> None:
        """Queue this device for the pacer if it may send."""
        if not self.queued and self.ready:
            self.queued = True
            self.sim.ready.append(self)

    def settled(self, out: Outgoing, answer) -> None:
        """A transaction ended: confirmed (``answer`` is the confirm) or failed (None)."""
        if out.timer is not None:
            out.timer.cancel()
            out.timer = None
        stats = self.sim.stats
        self.sim.inflight -= 1
        if answer is None:
            stats.failed += 1
        else:
            out.confirmed_at = time.perf_counter()
            stats.confirmed += 1
            stats.readings += out.readings
            stats.latencies.append(out.confirmed_at - out.sent_at)
        if out.future is not None and not out.future.done():
            out.future.set_result(answer)
        self.offer()


class TcpDevice(SimDevice, asyncio.Protocol):
    """A UITD on a TCP connection of its own (the protocol object is kept across reconnections)."""

    def __init__(self, sim: Simulator, index: int):
        super().__init__(sim, index)
        self.serial = 0  # §8.2: the device's own serial space, from 0 when first connected
        self.transport: asyncio.Transport | None = None
        self.deframer = Deframer()
        self.skew = timedelta(seconds=sim.config.clock_skew_s)
        self.ever_connected = False

    @property
    def up(self) -> bool:
        return self.transport is not None

    def now(self) -> datetime:
        return local_now() + self.skew

    # --- asyncio.Protocol ------------------------------------------------------------------------------
    def connection_made(self, transport):
        self.transport = transport
        self.deframer = Deframer()
        if self.ever_connected:
            self.sim.stats.reconnects += 1
        self.ever_connected = True
        for out in list(self.pending.values()):  # left unconfirmed by the connection that dropped
            self.sim.stats.retransmitted += 1
            self._write(out)
        if self.sim.config.hello and not self.pending:
            self.heartbeat()
        self.offer()

    def connection_lost(self, exc):
        self.transport = None
        for out in self.pending.values():
            if out.timer is not None:
                out.timer.cancel()
                out.timer = None
        if not self.sim.stopping:
            self.sim.reconnect_later(self)

    def data_received(self, data: bytes):
        for item in self.deframer.feed(data):
            if isinstance(item, Rejected):
                if item.header is not None:  # §6.5.3: a frame failing a check is denied
                    self._send(reply(item.header, DENY, self.now()))
                continue
            self._frame(item)

    # --- sending ----------------------------------------------------------------------------------------
    def _send(self, data: bytes) -> None:
        if self.transport is not None:
            self.transport.write(data)

    def _next_serial(self) -> int:
        serial = self.serial
        while serial in self.pending:  # unique while its transaction is alive
            serial = (serial + 1) & 0xFFFF
        self.serial = (serial + 1) & 0xFFFF
        return serial

    def send(self, adu: bytes | None, kind: str = "load", future: bool = False) -> Outgoing | None:
        """Start a send-data transaction; None when the device is not connected."""
        if self.transport is None:
            return None
        serial = self._next_serial()
        data = encode_frame(serial=serial, command=SEND, source=self.address,
                            destination=self.sim.config.centre_address, sent_at=self.now(), adu=adu)
        out = Outgoing(serial, data, kind, time.perf_counter(), readings=adu[1] if adu and len(adu) > 1 else 0)
        if future:
            out.future = asyncio.get_running_loop().create_future()
        self.pending[serial] = out
        self.sim.inflight += 1
        stats = self.sim.stats
        stats.sent += 1
        if kind == "heartbeat":
            stats.heartbeats += 1
        elif kind == "alarm":
            stats.alarms += 1
        self._write(out)
        return out

    def send_load(self) -> None:
        adu, kind = self.sim.traffic.next(self.next_point(), self.now())
        self.send(adu, kind)

    def heartbeat(self) -> Outgoing | None:
        return self.send(None, "heartbeat")

    def _write(self, out: Outgoing) -> None:
        if self.transport is None:
            return  # sent again when the connection is back
        self.last_tx = time.monotonic()
        self.transport.write(out.data)
        if out.timer is not None:
            out.timer.cancel()
        out.timer = asyncio.get_running_loop().call_later(self.sim.config.timeout, self._timed_out, out.serial)

    def _timed_out(self, serial: int) -> None:
        out = self.pending.get(serial)
        if out is not None:
            out.timer = None
            self.sim.stats.timeouts += 1
            self._again(out)

    def _again(self, out: Outgoing) -> None:
        """§6.5: after a deny or a timeout, send again, or give up after ``retries``."""
        if out.tries > self.sim.config.retries:
            del self.pending[out.serial]
            self.settled(out, None)
            return
        out.tries += 1
        self.sim.stats.retransmitted += 1
        self._write(out)

    # --- frames of the centre ---------------------------------------------------------------------------
    def _frame(self, frame: Frame) -> None:
        if frame.command in (CONFIRM, DENY):
            out = self.pending.get(frame.serial)
            if out is None:
                return  # late or duplicate answer
            if frame.command == DENY:
                self.sim.stats.denied += 1
                if out.timer is not None:
                    out.timer.cancel()
                    out.timer = None
                if out.tries > self.sim.config.retries:
                    self._again(out)  # gives up at once
                    return
                # sent again after a pause, so that a centre that cannot store is not hammered
                out.timer = asyncio.get_running_loop().call_later(
                    min(1.0, self.sim.config.timeout), self._retry_denied, out.serial)
                return
            del self.pending[frame.serial]
            self.settled(out, frame)
        elif frame.command == REQUEST:
            self._request(frame)
        elif frame.command == CONTROL:
            self._control(frame)
        elif frame.command == SEND:  # the centre does not send data to a device
            self._send(reply(frame, DENY, self.now()))
        # a response (5) answers nothing this device asked: ignored

    def _retry_denied(self, serial: int) -> None:
        out = self.pending.get(serial)
        if out is not None:
            out.timer = None
            self._again(out)

    def _request(self, frame: Frame) -> None:
        now = self.now()
        kind = frame.adu_type
        if kind == 81:  # read the UITD's running status: normal monitoring
            adu = encode_adu(21, [{"flags": ["normal"], "time": now}])
        elif kind == 85:
            adu = encode_adu(25, [{"major": 1, "minor": 0}])
        elif kind == 88:
            adu = encode_adu(28, [{"time": now}])
        else:
            self._send(reply(frame, DENY, now))
            return
        self.sim.stats.polls += 1
        self._send(reply(frame, RESPONSE, now, adu))

    def _control(self, frame: Frame) -> None:
        kind = frame.adu_type
        if kind == 90:
            objects = frame.adu["objects"]
            centre = parse_time(objects[0]["time"]) if objects else None
            if centre is None:
                self._send(reply(frame, DENY, self.now()))
                return
            self.skew = centre - local_now()
            self.sim.stats.clock_syncs += 1
        elif kind not in (89, 91):
            self._send(reply(frame, DENY, self.now()))
            return
        self.sim.stats.controls += 1
        self._send(reply(frame, CONFIRM, self.now()))

    def close(self) -> None:
        for out in self.pending.values():
            if out.timer is not None:
                out.timer.cancel()
                out.timer = None
        if self.transport is not None:
            self.transport.close()


class MqttDevice(SimDevice):
    """A sensor publishing through one of the simulator's MQTT client connections."""

    def __init__(self, sim: Simulator, index: int):
        super().__init__(sim, index)
        self.token = token_for(self.code, sim.config.secret)
        self.link = index % max(1, sim.config.mqtt_clients)

    @property
    def up(self) -> bool:
        return self.sim.mqtt is not None and self.sim.mqtt.is_up(self.link)

    def publish(self, payload: dict, kind: str, future: bool = False) -> Outgoing | None:
        return self.sim.mqtt.publish(self, payload, kind, future)

    def send_load(self) -> None:
        payload, kind = self.sim.traffic.payload(self, self.next_point())
        self.publish(payload, kind)

    def heartbeat(self) -> Outgoing | None:
        payload = {"device": self.code, "token": self.token,
                   "readings": [{"point": "battery", "value": 3.6, "quantity": "voltage", "unit": "V"}]}
        return self.publish(payload, "heartbeat")

    def close(self) -> None:
        pass


class MqttLink:
    """The simulator's MQTT client connections (paho, each with its network thread)."""

    def __init__(self, sim: Simulator):
        import paho.mqtt.client as paho

        from firegov.iot.mqtt import parse_url

        self.sim = sim
        self.host, self.port, username, password = parse_url(sim.config.mqtt_url)
        self.root = sim.config.topic_root.rstrip("/")
        self.loop: asyncio.AbstractEventLoop | None = None
        self.pending: dict[tuple[int, int], tuple[SimDevice, Outgoing]] = {}
        self.clients = []
        self._up: list[bool] = []
        self._subscribed = asyncio.Event()
        run = uuid.uuid4().hex[:8]
        for i in range(max(1, min(sim.config.mqtt_clients, sim.config.devices))):
            client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"firegov-sim-{run}-{i}")
            if username:
                client.username_pw_set(username, password)
            client.max_inflight_messages_set(min(65535, 20 + sim.config.window * sim.config.devices))
            client.reconnect_delay_set(1, 10)
            client.on_connect = self._callback(self._connected, i)
            client.on_disconnect = self._callback(self._disconnected, i)
            client.on_publish = self._callback(self._acked, i)
            client.on_message = self._callback(self._error_reply, i)
            client.on_subscribe = self._callback(self._subscribe_done, i)
            self.clients.append(client)
            self._up.append(False)
        self._ever = [False] * len(self.clients)

    def _callback(self, handler, index: int):
        """paho calls from its own thread: hand the event to the simulator's loop."""
        def call(client, userdata, *args):
            self.loop.call_soon_threadsafe(handler, index, *args)
        return call

    def is_up(self, index: int) -> bool:
        return self._up[index]

    async def start(self, timeout: float) -> None:
        self.loop = asyncio.get_running_loop()
        for client in self.clients:
            client.connect_async(self.host, self.port, keepalive=30)
            client.loop_start()
        deadline = time.monotonic() + timeout
        while not all(self._up) or not self._subscribed.is_set():
            if time.monotonic() > deadline:
                raise SimulationError(f"MQTT broker {self.host}:{self.port} did not take the connections")
            await asyncio.sleep(0.05)

    def _connected(self, index, flags, reason_code, properties=None) -> None:
        if reason_code.is_failure:
            return
        if self._ever[index]:
            self.sim.stats.reconnects += 1
        self._ever[index] = self._up[index] = True
        if index == 0:
            self.clients[0].subscribe(f"{self.root}/down/+/error", qos=1)
        for device in self.sim.devices:
            if getattr(device, "link", None) == index:
                device.offer()

    def _subscribe_done(self, index, *args) -> None:
        self._subscribed.set()

    def _disconnected(self, index, *args) -> None:
        self._up[index] = False

    def publish(self, device: MqttDevice, payload: dict, kind: str, future: bool) -> Outgoing | None:
        if not self._up[device.link]:
            return None
        data = json.dumps(payload, ensure_ascii=False).encode()
        out = Outgoing(0, data, kind, time.perf_counter(), readings=len(payload["readings"]))
        if future:
            out.future = self.loop.create_future()
        info = self.clients[device.link].publish(f"{self.root}/up/{device.code}", data, qos=1)
        out.serial = info.mid
        device.pending[info.mid] = out
        self.pending[(device.link, info.mid)] = (device, out)
        self.sim.inflight += 1
        stats = self.sim.stats
        stats.sent += 1
        if kind == "heartbeat":
            stats.heartbeats += 1
        elif kind == "alarm":
            stats.alarms += 1
        device.last_tx = time.monotonic()
        return out

    def _acked(self, index, mid, *args) -> None:
        found = self.pending.pop((index, mid), None)
        if found is not None:
            device, out = found
            device.pending.pop(mid, None)
            device.settled(out, True)

    def _error_reply(self, index, message) -> None:
        self.sim.stats.denied += 1

    async def stop(self) -> None:
        for client in self.clients:
            client.disconnect()
        await asyncio.get_running_loop().run_in_executor(None, lambda: [c.loop_stop() for c in self.clients])


class Simulator:
    """N simulated devices on one event loop: :meth:`start`, :meth:`load` and :meth:`alarm` as
    needed, :meth:`stop` (or ``async with``); :meth:`run` does all of it for the command line."""

    def __init__(self, config: SimConfig):
        if config.devices < 1:
            raise SimulationError("simulate at least one device")
        self.config = config
        self.channel = "mqtt" if config.mqtt_url else "gb26875"
        self.rng = random.Random(config.seed)
        self.traffic = Traffic(config, self.rng)
        self.stats = Stats()
        self.inflight = 0  # transactions of all devices not yet confirmed or given up
        self.stopping = False
        self.started = False
        self.ready: deque[SimDevice] = deque()
        self.mqtt: MqttLink | None = None
        device_class = MqttDevice if self.channel == "mqtt" else TcpDevice
        self.devices: list[SimDevice] = [device_class(self, i) for i in range(config.devices)]
        self._tasks: set[asyncio.Future] = set()
        self._heartbeat_task: asyncio.Future | None = None
        self._started_at = time.perf_counter()

    @property
    def target(self) -> str:
        if self.channel == "mqtt":
            return f"{self.config.mqtt_url} ({self.config.topic_root}/up/<code>)"
        return f"{self.config.host}:{self.config.port}"

    @property
    def connected(self) -> int:
        return sum(1 for d in self.devices if d.up)

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    # --- connections --------------------------------------------------------------------------------
    async def start(self) -> None:
        """Connect every device (TCP) or the MQTT clients; raise if not all are up in time."""
        if self.started:
            return
        self.started = True
        self._started_at = time.perf_counter()
        if self.channel == "mqtt":
            self.mqtt = MqttLink(self)
            await self.mqtt.start(self.config.connect_timeout)
            if self.config.hello:
                for device in self.devices:
                    device.heartbeat()
        else:
            raise_open_files(len(self.devices) + 256)
            gate = asyncio.Semaphore(self.config.connect_concurrency)

            async def connect(device: TcpDevice) -> None:
                async with gate:
                    await self._connect(device)

            try:
                await asyncio.wait_for(asyncio.gather(*(connect(d) for d in self.devices)),
                                       self.config.connect_timeout)
            except TimeoutError:
                raise SimulationError(f"only {self.connected} of {len(self.devices)} devices could connect to "
                                      f"{self.target} in {self.config.connect_timeout:.0f} s") from None
        if self.config.heartbeat_s > 0:
            self.start_heartbeats()

    def start_heartbeats(self, every: float | None = None) -> None:
        """Have silent devices send an empty frame every ``every`` (default ``heartbeat_s``) seconds."""
        if every is not None:
            self.config.heartbeat_s = every
        if self.config.heartbeat_s > 0 and self._heartbeat_task is None:
            self._heartbeat_task = asyncio.ensure_future(self._heartbeats())
            self._tasks.add(self._heartbeat_task)

    async def _connect(self, device: TcpDevice, first_delay: float = 0.0) -> None:
        loop = asyncio.get_running_loop()
        delay = first_delay
        while not self.stopping:
            if delay:
                await asyncio.sleep(delay)
            try:
                await loop.create_connection(lambda: device, self.config.host, self.config.port)
                return
            except OSError:
                delay = min(30.0, max(0.5, delay * 2)) * (0.75 + self.rng.random() / 2)

    def reconnect_later(self, device: TcpDevice) -> None:
        self._spawn(self._connect(device, first_delay=0.5 + self.rng.random()))

    def _spawn(self, coroutine) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _heartbeats(self) -> None:
        """§8.4: a device that has sent nothing for ``heartbeat_s`` sends an empty frame."""
        every = self.config.heartbeat_s
        start = time.monotonic()
        for device in self.devices:  # spread the first heartbeats over one interval, as devices started apart
            device.last_tx = min(device.last_tx, start - self.rng.random() * every)
        while True:
            await asyncio.sleep(min(1.0, every))
            silent = time.monotonic() - every
            for device in self.devices:
                if device.up and not device.pending and device.last_tx < silent:
                    device.heartbeat()

    # --- traffic ------------------------------------------------------------------------------------
    async def load(self, rate: float | None = None, duration: float | None = None,
                   stop: asyncio.Event | None = None) -> None:
        """Send at ``rate`` frames/s shared by all devices until ``duration`` has passed or ``stop`` is set."""
        rate = self.config.rate if rate is None else rate
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        until = None if duration is None else loop.time() + duration
        if rate <= 0:
            waiter = asyncio.ensure_future(stop.wait())
            try:
                await asyncio.wait_for(asyncio.shield(waiter), duration)
            except TimeoutError:
                pass
            finally:
                waiter.cancel()
            return
        for device in self.devices:
            device.offer()
        burst = max(1.0, rate * 0.05)
        credit, last, tick = 0.0, loop.time(), max(0.002, min(0.02, 1.0 / rate))
        ready = self.ready
        cap = self.config.max_outstanding or math.inf
        while not stop.is_set():
            now = loop.time()
            if until is not None and now >= until:
                break
            credit = min(credit + rate * (now - last), burst)
            last = now
            while credit >= 1.0 and ready and self.inflight < cap:
                device = ready.popleft()
                device.queued = False
                if not device.ready:
                    continue
                device.send_load()
                credit -= 1.0
                device.offer()
            await asyncio.sleep(tick)

    async def wait_connected(self, index: int, timeout: float = 10.0) -> SimDevice:
        device = self.devices[index]
        deadline = time.monotonic() + timeout
        while not device.up:
            if time.monotonic() > deadline:
                raise SimulationError(f"device {device.code} is not connected")
            await asyncio.sleep(0.02)
        return device

    async def send_alarm(self, index: int = 0, kind: str = "fire", comp_addr: int | None = None,
                         desc: str | None = None) -> Outgoing:
        """Send one fire (or fault) alarm from device ``index`` now, whatever its window; the returned
        transaction's ``future`` gets the confirm frame (or True on MQTT), or None if it failed."""
        device = await self.wait_connected(index)
        status = FIRE if kind == "fire" else FAULT
        comp_addr = device.point if comp_addr is None else comp_addr
        if isinstance(device, TcpDevice):
            out = device.send(component_adu(comp_addr, status, device.now(), desc), "alarm", future=True)
        else:
            payload = {"device": device.code, "token": device.token, "readings": [
                {"point": f"smoke-{comp_addr}", "condition": kind, "active": True,
                 "label": desc or f"{comp_addr}号感烟探测器"}]}
            out = device.publish(payload, "alarm", future=True)
        if out is None:
            raise SimulationError(f"device {device.code} could not send")
        return out

    async def alarm(self, index: int = 0, kind: str = "fire", comp_addr: int | None = None,
                    desc: str | None = None, timeout: float | None = None):
        """Send a fire (or fault) alarm from device ``index`` and wait for its confirm (None: failed)."""
        out = await self.send_alarm(index, kind, comp_addr, desc)
        limit = timeout if timeout is not None else self.config.timeout * (self.config.retries + 1) + 1
        try:
            return await asyncio.wait_for(asyncio.shield(out.future), limit)
        except TimeoutError:
            return None

    def outstanding(self) -> int:
        return self.inflight

    async def drain(self, timeout: float | None = None) -> None:
        """Wait until every frame sent has been confirmed or given up (at most ``timeout`` seconds)."""
        limit = self.config.timeout * (self.config.retries + 1) if timeout is None else timeout
        deadline = time.monotonic() + limit
        while self.outstanding() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)

    def reset_stats(self) -> None:
        self.stats = Stats()
        self._started_at = time.perf_counter()

    def summary(self) -> Summary:
        return Summary(self.channel, self.target, len(self.devices), self.connected,
                       time.perf_counter() - self._started_at, self.stats, self.outstanding())

    async def stop(self) -> None:
        self.stopping = True
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for device in self.devices:
            device.close()
        if self.mqtt is not None:
            await self.mqtt.stop()
        await asyncio.sleep(0)  # let the transports close

    async def run(self, duration: float | None = None, stop: asyncio.Event | None = None) -> Summary:
        """Connect, send at the configured rate until ``duration`` or ``stop``, wait for the last
        confirms, disconnect; the summary covers the whole run."""
        try:
            await self.start()
            await self.load(duration=duration, stop=stop)
            waiter = asyncio.ensure_future((stop or asyncio.Event()).wait())
            drained = asyncio.ensure_future(self.drain())
            await asyncio.wait([waiter, drained], return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            drained.cancel()
            return self.summary()
        finally:
            await self.stop()


async def fire_alarm(address: int, host: str = "127.0.0.1", port: int = 30119, comp_addr: int = 1,
                     desc: str | None = None, kind: str = "fire", timeout: float = 10.0) -> Frame | None:
    """Connect as the UITD at ``address``, send one fire (or fault) alarm, return the centre's confirm
    (None when it was denied or not answered), disconnect."""
    config = SimConfig(devices=1, rate=0, host=host, port=port, base_address=address, hello=False,
                       heartbeat_s=0, timeout=timeout, retries=0, connect_timeout=timeout)
    async with Simulator(config) as sim:
        answer = await sim.alarm(0, kind, comp_addr, desc, timeout=timeout + 1)
    return answer if isinstance(answer, Frame) else None


def send_fire_alarm(address: int, host: str = "127.0.0.1", port: int = 30119, comp_addr: int = 1,
                    desc: str | None = None, kind: str = "fire", timeout: float = 10.0) -> Frame | None:
    """:func:`fire_alarm` for synchronous code (a test, a script) that runs no event loop."""
    return asyncio.run(fire_alarm(address, host, port, comp_addr, desc, kind, timeout))
