"""Group commit for every ingestion path of one process (GB/T 26875.3 gateway and MQTT).

Producers hand over one :class:`~firegov.iot.services.Batch` per frame or message and wait for the
result; one writer stores up to ``batch_max`` of them per transaction in a worker thread, so 5,000
frames a second cost a few hundred commits, not 5,000. If a group fails, its batches are stored one by
one, so that one bad frame never gets another device's frames refused.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from django.db import close_old_connections, connections

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


class Writer:
    def __init__(self, batch_max: int = 500):
        self.batch_max = batch_max
        self.batches = 0  # transactions committed
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-db")
        self._queue: asyncio.Queue | None = None
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        if self._task is None:
            self._queue = asyncio.Queue()
            self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await asyncio.get_running_loop().run_in_executor(self._executor, connections.close_all)
        self._executor.shutdown(wait=True)

    async def db(self, func, *args):
        """Run ``func`` in the writer's thread (its own database connection)."""
        def run():
            close_old_connections()
            return func(*args)

        return await asyncio.get_running_loop().run_in_executor(self._executor, run)

    async def store(self, batch: Batch) -> bool:
        """Queue readings for the next group commit; True once committed, False if storing failed."""
        future = asyncio.get_running_loop().create_future()
        await self._queue.put((batch, future))
        return await future

    async def _run(self) -> None:
        while True:
            items = [await self._queue.get()]
            while len(items) < self.batch_max and not self._queue.empty():
                items.append(self._queue.get_nowait())
            try:
                await self.db(ingest_batch, [batch for batch, _ in items])
                results = [True] * len(items)
            except Exception:
                log.exception("storing %d batches together failed; storing them one by one", len(items))
                results = await self.db(_one_by_one, [batch for batch, _ in items])
            self.batches += 1
            for (_, future), ok in zip(items, results, strict=True):
                if not future.done():
                    future.set_result(ok)
