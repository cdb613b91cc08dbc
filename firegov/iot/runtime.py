"""The monitoring runtime: what runs beside the ingestion of one process.

:class:`Monitoring` starts, on the running event loop, the GB/T 26875.3 gateway, MQTT ingestion (when
``FIREGOV_MQTT_URL`` is set) and the alarm clock, all sharing one group-commit writer. It runs inside
``firegov serve``/``firegov demo`` (the web server's own event loop, so that the live bus is
in-process) or alone as ``firegov gateway`` on other machines (then the live bus is Redis).

The alarm clock fires the alarm deadlines every second (the deadline engine's periodic job runs
every minute, too slow for a fire that must be verified in three minutes) and sends again
forwardings to 119 that failed.

The heap keeper (:class:`HeapKeeper`) keeps the garbage collector's full passes short in a process
that holds thousands of connections (see its docstring).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from dataclasses import dataclass

from django.conf import settings

from firegov.core import deadlines
from firegov.iot import forwarding
from firegov.iot.gateway import Gateway, GatewayConfig
from firegov.iot.lifecycle import PURPOSES
from firegov.iot.writer import DbThread, Writer

log = logging.getLogger("firegov.monitoring")
CLOCK_S = 1.0
FORWARD_RETRY_S = 5.0


@dataclass
class Options:
    tcp: bool = True
    mqtt: bool = True
    clock: bool = True
    heap: bool = True
    host: str | None = None
    port: int | None = None


def gateway_config(host: str | None = None, port: int | None = None) -> GatewayConfig:
    return GatewayConfig(host=host or settings.GATEWAY_HOST, port=settings.GATEWAY_PORT if port is None else port,
                         centre_address=settings.GATEWAY_CENTRE_ADDRESS, timeout=settings.GATEWAY_TIMEOUT_S,
                         retries=settings.GATEWAY_RETRIES)


class Monitoring:
    def __init__(self, options: Options | None = None):
        self.options = options or Options()
        self.writer = Writer()
        self.gateway: Gateway | None = None
        self.mqtt = None
        self._tasks: list[asyncio.Task] = []
        # Retrying 119 forwardings waits on a remote endpoint: in a thread of its own (not the
        # writer's), whose connection is closed when monitoring stops.
        self._retries = DbThread("forward-retry")
        self.heap = HeapKeeper(settings.GC_FREEZE_S, settings.GC_COLLECT_S) if self.options.heap else None

    async def start(self) -> None:
        self.writer.start()
        if self.options.tcp:
            self.gateway = Gateway(gateway_config(self.options.host, self.options.port), writer=self.writer)
            await self.gateway.start()
        if self.options.mqtt and settings.MQTT_URL:
            from firegov.iot.mqtt import MqttIngest

            self.mqtt = MqttIngest(settings.MQTT_URL, settings.MQTT_TOPIC, self.writer,
                                   client_id=settings.MQTT_CLIENT_ID)
            await self.mqtt.start()
        if self.options.clock:
            self._tasks.append(asyncio.ensure_future(self._clock()))
        if self.heap is not None:
            self.heap.start()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.heap is not None:
            await self.heap.stop()
        if self.mqtt is not None:
            await self.mqtt.stop()
        if self.gateway is not None:
            await self.gateway.stop()
        await self.writer.stop()
        # Last: a retry round under way may wait on a 119 endpoint that does not answer.
        await self._retries.close()

    async def serve_forever(self) -> None:
        await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()

    async def _clock(self) -> None:
        since_retry = 0.0
        while True:
            await asyncio.sleep(CLOCK_S)
            since_retry += CLOCK_S
            try:
                await self.writer.db(deadlines.run_due, None, 500, PURPOSES)
                if since_retry >= FORWARD_RETRY_S:
                    since_retry = 0.0
                    # Not in the writer's thread: a 119 endpoint that does not answer must not hold
                    # up the devices' confirms.
                    await self._retries.run(_retry_forwardings)
            except Exception:  # noqa: BLE001 - the clock must keep ticking
                log.exception("alarm clock: a run failed")


class HeapKeeper:
    """Keeps CPython's full collections out of the way of a long-running ingestion process.

    A full (generation 2) pass of the cycle collector walks every tracked object, and nothing else runs
    meanwhile: in a gateway holding 10,000 connections and their cached devices one took 150–310 ms,
    and under load one came every second or two (docs/benchmarks.md). Every alarm that arrived during
    such a pass waited for it.

    While the keeper runs, the collector makes no full pass of its own (young generations are still
    collected as usual, in a few milliseconds). Every ``freeze_s`` what has survived so far is moved
    out of its sight (``gc.freeze``, a constant-time list merge). Frozen objects are still freed as
    soon as nothing refers to them; only garbage *cycles* among them wait, so every ``collect_s`` the
    frozen heap is given back and collected whole once: one long pause an hour instead of one every
    few seconds. ``stop`` gives the heap and the collector's thresholds back. ``freeze_s`` 0 turns the
    keeper off; one keeper runs per process. (Python 3.14's incremental collector ignores generation
    2's threshold; there the keeper only freezes.)
    """

    NO_FULL_PASS = 1_000_000_000  # generation 2's threshold: young collections between two full passes

    def __init__(self, freeze_s: float, collect_s: float):
        self.freeze_s, self.collect_s = freeze_s, collect_s
        self._task: asyncio.Task | None = None
        self._thresholds: tuple[int, int, int] | None = None
        self._collected_at = time.monotonic()
        self.full_collections = 0

    def start(self) -> None:
        if self.freeze_s <= 0 or self._task is not None:
            return
        if gc.get_threshold()[2] == self.NO_FULL_PASS:
            log.warning("heap: another keeper runs in this process; this one stays off")
            return
        self._thresholds = gc.get_threshold()
        gc.set_threshold(self._thresholds[0], self._thresholds[1], self.NO_FULL_PASS)
        gc.freeze()  # the code and data loaded at start (Django, the apps) live as long as the process
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None
        if gc.get_threshold()[2] == self.NO_FULL_PASS:  # unless somebody else has set them since
            gc.set_threshold(*self._thresholds)
        gc.unfreeze()

    def tick(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if now - self._collected_at >= self.collect_s:
            self._collected_at = now
            gc.unfreeze()
            started = time.perf_counter()
            found = gc.collect()
            self.full_collections += 1
            log.info("heap: full collection, %d unreachable objects, %.0f ms", found,
                     (time.perf_counter() - started) * 1000)
        gc.freeze()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.freeze_s)
            self.tick()


def _retry_forwardings() -> int:
    from django.db import close_old_connections

    close_old_connections()
    return forwarding.retry_pending()


class WithMonitoring:
    """ASGI wrapper: runs :class:`Monitoring` in the web server's event loop (lifespan events), so
    that one process serves the pages, takes the devices' frames and pushes alarms to consoles."""

    def __init__(self, app, options: Options | None = None):
        self.app = app
        self.options = options
        self.monitoring: Monitoring | None = None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "lifespan":
            return await self.app(scope, receive, send)
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    self.monitoring = Monitoring(self.options)
                    await self.monitoring.start()
                except Exception as exc:  # noqa: BLE001 - the pages are still worth serving
                    log.error("monitoring did not start (%s); serving the web UI without it", exc)
                    failed, self.monitoring = self.monitoring, None
                    await asyncio.gather(failed.stop(), return_exceptions=True)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.monitoring is not None:
                    await self.monitoring.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return
