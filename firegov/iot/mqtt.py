"""MQTT ingestion: sensors publish the documented JSON payload to ``firegov/up/<device code>``.

The payload is the one of ``POST /api/iot/ingest/`` (docs/iot.md) plus ``"token"``: the device's
token, checked like the HTTP ``Authorization: Device`` header, because a broker may let any client
publish on any topic. The code in the topic must be the payload's ``device``.

- Messages are taken at QoS 1 with manual acknowledgement: a message is acknowledged to the broker
  only after its readings are committed (the group commit of :mod:`firegov.iot.writer`), so a crash
  in between gets it delivered again.
- A message that is refused (not JSON, a bad field, a wrong token, a retired device) is acknowledged
  and answered on ``firegov/down/<device code>/error`` with the reason; nothing is stored from it.
- Several ingestion processes share the subscription (``$share/firegov/…``): the broker gives each
  message to one of them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import paho.mqtt.client as paho
from django.utils import timezone

from firegov.iot import normalise
from firegov.iot.models import Channel, Device
from firegov.iot.services import Batch
from firegov.iot.writer import DeviceCache, Writer

log = logging.getLogger("firegov.mqtt")
MAX_PAYLOAD = 64 * 1024
DEVICE_CACHE_S = 60.0
SHARE_GROUP = "firegov"
STORE_RETRIES = (0.5, 1.0, 2.0, 4.0)  # seconds between attempts to store one message


@dataclass
class MqttStats:
    received: int = 0
    stored: int = 0
    refused: int = 0
    failed: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


def parse_url(url: str) -> tuple[str, int, str | None, str | None]:
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "tcp") or not parts.hostname:
        raise ValueError(f"FIREGOV_MQTT_URL must look like mqtt://host:1883, not {url!r}")
    return parts.hostname, parts.port or 1883, parts.username, parts.password


def device_code(topic: str) -> str:
    """The device code is the last level of the topic."""
    return topic.rsplit("/", 1)[-1]


def _devices_by_code(codes: list[str]) -> dict[str, Device]:
    return {d.code: d for d in Device.objects.select_related("unit").filter(code__in=codes)}


class MqttIngest:
    def __init__(self, url: str, topic: str, writer: Writer, shared: bool = True, client_id: str = ""):
        self.host, self.port, username, password = parse_url(url)
        self.topic = f"$share/{SHARE_GROUP}/{topic}" if shared else topic
        self.root = topic.split("/up/")[0] if "/up/" in topic else "firegov"  # replies go to <root>/down/<code>
        self.writer = writer
        self.stats = MqttStats()
        self.connected = asyncio.Event()
        self.devices = DeviceCache(writer, _devices_by_code, DEVICE_CACHE_S)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Future] = set()
        self._chains: dict[str, asyncio.Future] = {}  # the last message of each device being handled
        self._stopping = False
        # The same id across restarts: the broker keeps this client's session (its place in the shared
        # subscription and the messages not yet acknowledged) and hands it back on reconnect. Two
        # ingestion processes on one machine need FIREGOV_MQTT_CLIENT_ID each.
        client_id = client_id or f"firegov-ingest-{socket.gethostname()}"
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False,
                                  manual_ack=True)
        if username:
            self.client.username_pw_set(username, password)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(1, 30)

    # --- paho's network thread -----------------------------------------------------------------------
    def _on_connect(self, client, userdata, flags, reason_code, properties=None):
        if reason_code.is_failure:
            log.warning("MQTT broker refused the connection: %s", reason_code)
            return
        client.subscribe(self.topic, qos=1)
        log.info("MQTT ingestion subscribed to %s on %s:%s", self.topic, self.host, self.port)
        self._loop.call_soon_threadsafe(self.connected.set)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties=None):
        self._loop.call_soon_threadsafe(self.connected.clear)
        if reason_code != 0:
            log.warning("MQTT broker connection lost (%s); reconnecting", reason_code)

    def _on_message(self, client, userdata, message):
        self._loop.call_soon_threadsafe(self._spawn, message.topic, bytes(message.payload), message.mid, message.qos)

    # --- the event loop ------------------------------------------------------------------------------
    def _spawn(self, topic: str, payload: bytes, mid: int, qos: int) -> None:
        """Handle a message; one device's messages one after the other, in the order they came (a fire
        cleared must not overtake the fire it clears)."""
        if self._stopping:
            return  # not acknowledged: the broker delivers it again after the restart
        code = device_code(topic)
        previous = self._chains.get(code)
        task = asyncio.ensure_future(self._after(previous, topic, payload, mid, qos))
        self._chains[code] = task
        self._tasks.add(task)

        def done(task: asyncio.Future) -> None:
            self._tasks.discard(task)
            if self._chains.get(code) is task:
                del self._chains[code]

        task.add_done_callback(done)

    async def _after(self, previous: asyncio.Future | None, topic: str, payload: bytes, mid: int, qos: int) -> bool:
        if previous is not None:
            await asyncio.gather(previous, return_exceptions=True)
        return await self.handle(topic, payload, mid, qos)

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.devices.start()
        self.client.connect_async(self.host, self.port, keepalive=30)
        self.client.loop_start()

    async def stop(self) -> None:
        self._stopping = True
        self.client.disconnect()
        self.client.loop_stop()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.devices.stop()

    async def device(self, code: str) -> Device | None:
        """The device of a code, retired or not (cached for ``DEVICE_CACHE_S``, see :class:`DeviceCache`)."""
        return await self.devices.get(code)

    def _refuse(self, code: str, reason: str, mid: int, qos: int) -> None:
        self.stats.refused += 1
        kind = reason.split(":")[0]
        self.stats.reasons[kind] = self.stats.reasons.get(kind, 0) + 1
        log.info("MQTT message for %r refused: %s", code, reason)
        if code and "/" not in code and "+" not in code and "#" not in code:
            self.client.publish(f"{self.root}/down/{code}/error", json.dumps({"error": reason}, ensure_ascii=False), qos=0)
        self._ack(mid, qos)

    def _ack(self, mid: int, qos: int) -> None:
        if qos > 0:
            self.client.ack(mid, qos)

    async def handle(self, topic: str, payload: bytes, mid: int = 0, qos: int = 0) -> bool:
        """Validate, authenticate and store one message; True when stored."""
        self.stats.received += 1
        code = device_code(topic)
        if len(payload) > MAX_PAYLOAD:
            self._refuse(code, f"the message is larger than {MAX_PAYLOAD} bytes", mid, qos)
            return False
        try:
            data = json.loads(payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            self._refuse(code, "the message is not JSON (UTF-8)", mid, qos)
            return False
        token = data.pop("token", None) if isinstance(data, dict) else None
        try:
            payload_code, readings = normalise.from_payload(data)
        except normalise.PayloadError as exc:
            self._refuse(code, str(exc), mid, qos)
            return False
        if payload_code != code:
            self._refuse(code, "'device' must be the device code of the topic", mid, qos)
            return False
        device = await self.device(code)
        if device is None or not isinstance(token, str) or not device.token_matches(token):
            self._refuse(code, "unknown device or wrong token", mid, qos)
            return False
        if not device.active:
            self._refuse(code, "the device is out of service", mid, qos)
            return False
        received = timezone.now()
        for delay in STORE_RETRIES:
            if await self.writer.store(Batch(device, readings, Channel.MQTT, received)):
                self.stats.stored += 1
                self._ack(mid, qos)
                return True
            await asyncio.sleep(delay)
        # Still failing (the database is down): leave it unacknowledged and reconnect, so that the
        # broker delivers it again; it would otherwise stop sending once its in-flight window is full.
        self.stats.failed += 1
        log.error("MQTT message of %s could not be stored; reconnecting for redelivery", code)
        self.client.reconnect()
        return False
