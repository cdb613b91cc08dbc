"""Group commit for every ingestion path of one process (GB/T 26875.3 gateway and MQTT).

Producers hand over one :class:`~firegov.iot.services.Batch` per frame or message and wait for the
result; one writer stores up to ``batch_max`` of them per transaction in a worker thread, so 5,000
frames a second cost a few hundred commits, not 5,000. If a group fails, its batches are stored one by
one, so that one bad frame never gets another device's frames refused.

Fire first (GB 26875.1 §4.1.2.3 gives fire alarms priority over every other signal): readings that
raise a fire skip the queue and are committed in a group of their own, taking along whatever the same
device queued before them, so one device's readings are still applied in the order they came.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor

from django.db import connections

from firegov.iot.services import Batch, ingest_batch

log = logging.getLogger("firegov.ingest")


def _one_by_one(batches: list[Batch]) -> list[bool]:
    results = []
    for batch in batches:
        try:
            ingest_batch([batch])
            results.append(True)
        except Exception:
            log.exception("readings of device %s could not be stored", batch.device.pk)
            results.append(False)
    return results


def _usable_connections() -> None:
    """The writer's thread keeps its connection (reopening SQLite and its PRAGMAs costs more than a
    small batch); one that failed and cannot be used any more is closed, so the next call reconnects."""
    for connection in connections.all(initialized_only=True):
        if connection.errors_occurred:
            if connection.is_usable():
                connection.errors_occurred = False
            else:
                connection.close()


def urgent(batch: Batch) -> bool:
    return any(reading.conditions.get("fire") for reading in batch.readings)


class _Background:
    """A loop task of the running event loop, woken by ``_wake``."""

    _task: asyncio.Task | None = None
    _wake: asyncio.Event | None = None

    def start(self) -> None:
        if self._task is None:
            self._wake = asyncio.Event()
            self._task = asyncio.ensure_future(self._run())

    async def _cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        raise NotImplementedError


class DbThread:
    """One thread with its own database connection, running functions one after the other."""

    def __init__(self, name: str):
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._closed = False

    async def run(self, func, *args):
        def call():
            _usable_connections()
            return func(*args)

        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    async def close(self) -> None:
        """Close the thread's connection and end the thread (once; later calls do nothing)."""
        if self._closed:
            return
        self._closed = True
        await asyncio.get_running_loop().run_in_executor(self._executor, connections.close_all)
        self._executor.shutdown(wait=True)


class Writer(_Background):
    def __init__(self, batch_max: int = 500):
        self.batch_max = batch_max
        self.batches = 0  # transactions committed
        self._thread = DbThread("ingest-db")
        # Device lookups read in a thread of their own: re-reading 2,000 devices takes 250–400 ms,
        # which in the writer's thread every alarm waiting behind them would wait too.
        self._reader = DbThread("ingest-read")
        self._urgent: deque = deque()
        self._normal: deque = deque()
        self._waiting: Counter = Counter()  # batches in the normal queue per device
        self._taken: list = []  # the group being stored

    async def stop(self) -> None:
        await self._cancel()
        # Not known to be stored (the group in hand may or may not commit): the device sends them again.
        for _, future in [*self._taken, *self._urgent, *self._normal]:
            if not future.done():
                future.set_result(False)
        self._urgent.clear()
        self._normal.clear()
        self._waiting.clear()
        await self._thread.close()
        await self._reader.close()

    async def db(self, func, *args):
        """Run ``func`` in the writer's thread (its own database connection)."""
        return await self._thread.run(func, *args)

    async def read(self, func, *args):
        """Run ``func`` in the readers' thread (another connection), beside the writer's work."""
        return await self._reader.run(func, *args)

    async def store(self, batch: Batch) -> bool:
        """Queue readings for the next group commit; True once committed, False if storing failed."""
        future = asyncio.get_running_loop().create_future()
        device = batch.device.pk
        if urgent(batch):
            if self._waiting.get(device):
                earlier = [item for item in self._normal if item[0].device.pk == device]
                for item in earlier:
                    self._normal.remove(item)
                del self._waiting[device]
                self._urgent.extend(earlier)
            self._urgent.append((batch, future))
        else:
            self._normal.append((batch, future))
            self._waiting[device] += 1
        self._wake.set()
        return await future

    def _take(self) -> list:
        queue = self._urgent or self._normal  # a fire is committed in a group without the queue's backlog
        items = []
        while queue and len(items) < self.batch_max:
            items.append(queue.popleft())
        if queue is self._normal:
            for batch, _ in items:
                device = batch.device.pk
                self._waiting[device] -= 1
                if not self._waiting[device]:
                    del self._waiting[device]
        if not self._urgent and not self._normal:
            self._wake.clear()
        return items

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            items = self._taken = self._take()
            if not items:
                continue
            try:
                await self.db(ingest_batch, [batch for batch, _ in items])
                results = [True] * len(items)
            except Exception:
                log.exception("storing %d batches together failed; storing them one by one", len(items))
                results = await self.db(_one_by_one, [batch for batch, _ in items])
            self.batches += 1
            self._taken = []
            for (_, future), ok in zip(items, results, strict=True):
                if not future.done():
                    future.set_result(ok)


class DeviceCache(_Background):
    """Devices by address or code for one ingestion path, read in the writer's reading thread.

    A key not in the cache waits for its reading; every key asked for meanwhile is read in the same
    query. An entry older than ``max_age`` is still served while it is read again in the background,
    so devices that connected together never wait together for their re-reading; one older than
    twice ``max_age`` (a device that reports every few hours) is not: it waits for the reading, so a
    device retired, moved or given a new token is never judged by a record older than that. Keys
    waited for are read first, up to ``LOAD_MAX`` at a time; aged ones in slices of ``REFRESH_MAX``,
    so that the thread (and the interpreter lock it shares with the writer) is never held long.
    """

    LOAD_MAX = 2_000  # keys read in one query
    REFRESH_MAX = 200  # aged keys read again in one query (about 30 ms)
    MAX_ENTRIES = 50_000  # spoofed addresses or codes must not grow the cache without end

    def __init__(self, writer: Writer, load: Callable[[list], dict], max_age: float):
        self.writer = writer
        self.load = load  # keys -> {key: device}; a key missing from the answer has no device
        self.max_age = max_age
        self._entries: dict[Hashable, tuple[float, object]] = {}
        self._waiting: dict[Hashable, asyncio.Future] = {}
        self._stale: set = set()

    async def stop(self) -> None:
        await self._cancel()
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(RuntimeError("ingestion is stopping"))
        self._waiting.clear()

    async def get(self, key: Hashable):
        cached = self._entries.get(key)
        if cached is not None:
            age = time.monotonic() - cached[0]
            if age < 2 * self.max_age:
                if age >= self.max_age and key not in self._stale:
                    self._stale.add(key)
                    self._wake.set()
                return cached[1]
            del self._entries[key]
            self._stale.discard(key)
        future = self._waiting.get(key)
        if future is None:
            future = self._waiting[key] = asyncio.get_running_loop().create_future()
            self._wake.set()
        return await asyncio.shield(future)

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            keys = (list(itertools.islice(self._waiting, self.LOAD_MAX))
                    or list(itertools.islice(self._stale, self.REFRESH_MAX)))
            if keys:
                await self._read(keys)
            if self._waiting or self._stale:
                self._wake.set()  # the rest next round

    async def _read(self, keys: list) -> None:
        try:
            found = await self.writer.read(self.load, keys)
        except Exception as exc:  # noqa: BLE001 - the readings waiting are refused; devices send again
            log.exception("devices could not be read")
            for key in keys:
                self._settle(key, error=exc)
            await asyncio.sleep(1)
            return
        if len(self._entries) + len(keys) > self.MAX_ENTRIES:
            self._entries.clear()
        now = time.monotonic()
        for key in keys:
            self._entries[key] = (now, found.get(key))
            self._settle(key, found.get(key))

    def _settle(self, key: Hashable, device=None, error: Exception | None = None) -> None:
        """The key's reading is over: it is no longer due, and whoever waits for it gets the answer."""
        self._stale.discard(key)
        future = self._waiting.pop(key, None)
        if future is not None and not future.done():
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(device)
