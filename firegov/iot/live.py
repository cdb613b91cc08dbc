"""The live bus: alarm changes pushed to operator consoles within a second.

After a transaction that opens, counts, clears or handles alarms commits, :func:`publish_alarms` sends
their ids. Consoles (:mod:`firegov.iot.views`, server-sent events) subscribe, re-read the alarms
through the user's scope and push them to the browser.

- **In-process** by default: the gateway, MQTT ingestion and the web server run in one process
  (``firegov serve``), and the bus is a fan-out to asyncio queues.
- **Redis pub/sub** when ``FIREGOV_REDIS_URL`` is set: gateways, ingestion and web processes on
  several machines all publish to, and listen on, one channel.

Pub/sub delivers at most once, and a process without Redis cannot reach the consoles of another one
(the background worker's offline alarms and escalations): consoles therefore also catch up from
``Alarm.changed_at`` every few seconds. The bus makes alarms fast; the catch-up makes them certain.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator, Iterable

from django.conf import settings
from django.db import transaction

log = logging.getLogger("firegov.live")
CHANNEL = "firegov:alarms"
QUEUE_SIZE = 1000


class LocalBus:
    """Fan-out to the subscribers of this process; publishing is safe from any thread."""

    def __init__(self):
        self._subscribers: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue]] = set()
        self._lock = threading.Lock()

    def publish(self, message: dict) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for loop, queue in subscribers:
            try:
                loop.call_soon_threadsafe(_offer, queue, message)
            except RuntimeError:  # that loop has closed
                with self._lock:
                    self._subscribers.discard((loop, queue))

    async def subscribe(self) -> AsyncIterator[dict]:
        queue: asyncio.Queue = asyncio.Queue(QUEUE_SIZE)
        entry = (asyncio.get_running_loop(), queue)
        with self._lock:
            self._subscribers.add(entry)
        try:
            while True:
                yield await queue.get()
        finally:
            with self._lock:
                self._subscribers.discard(entry)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)


def _offer(queue: asyncio.Queue, message: dict) -> None:
    try:
        queue.put_nowait(message)
    except asyncio.QueueFull:  # a console that cannot keep up catches up from the database instead
        pass


class RedisBus:
    """Publish to and listen on one Redis pub/sub channel (several processes, several machines)."""

    def __init__(self, url: str):
        self.url = url
        self._client = None

    def publish(self, message: dict) -> None:
        import redis

        try:
            if self._client is None:
                self._client = redis.Redis.from_url(self.url, socket_timeout=2)
            self._client.publish(CHANNEL, json.dumps(message))
        except redis.RedisError as exc:  # consoles catch up from the database
            log.warning("live bus: publishing failed: %s", exc)
            self._client = None

    async def subscribe(self) -> AsyncIterator[dict]:
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(self.url)
        pubsub = client.pubsub()
        await pubsub.subscribe(CHANNEL)
        try:
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5.0)
                if message is None:
                    continue
                try:
                    yield json.loads(message["data"])
                except (TypeError, ValueError):
                    log.warning("live bus: ignoring a message that is not JSON")
        finally:
            await pubsub.aclose()
            await client.aclose()


_bus: LocalBus | RedisBus | None = None


def bus() -> LocalBus | RedisBus:
    global _bus
    if _bus is None:
        _bus = RedisBus(settings.REDIS_URL) if settings.REDIS_URL else LocalBus()
    return _bus


def reset() -> None:
    """Forget the bus (tests that switch settings)."""
    global _bus
    _bus = None


def publish_alarms(ids: Iterable[int]) -> None:
    """Tell consoles these alarms changed, once the current transaction has committed."""
    ids = sorted({int(i) for i in ids})
    if ids:
        transaction.on_commit(lambda: bus().publish({"alarms": ids}))


def subscribe() -> AsyncIterator[dict]:
    return bus().subscribe()
