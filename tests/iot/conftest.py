"""Fixtures for fire monitoring: a UITD on a unit of the test city, and a gateway on a real TCP port."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest

from firegov.iot.gateway import Gateway, GatewayConfig
from firegov.iot.models import Device
from tests.conftest import make_unit

UITD_ADDRESS = 889  # the source address of the 2012 vendor example set


@pytest.fixture
def monitored(city):
    unit = make_unit(city.xc_grid, "金鼎商厦", place_type="mall")
    device = Device.objects.create(unit=unit, kind="uitd", name="1号传输装置", code="UITD-889",
                                   address=UITD_ADDRESS, heartbeat_s=60)
    return device


class RunningGateway:
    """A gateway serving on its own event loop in a thread, for tests that talk to it over TCP."""

    def __init__(self, **options):
        self.config = GatewayConfig(port=0, **options)
        self.loop = asyncio.new_event_loop()
        self.gateway = Gateway(self.config)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self):
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.gateway.start(), self.loop).result(10)
        self.port = self.gateway.port
        return self

    def call(self, func, *args):
        """Run a plain function on the gateway's loop and return its result."""
        done = threading.Event()
        box = []

        def run():
            box.append(func(*args))
            done.set()

        self.loop.call_soon_threadsafe(run)
        done.wait(10)
        return box[0]

    def stop(self):
        asyncio.run_coroutine_threadsafe(self.gateway.stop(), self.loop).result(20)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        return sock


@pytest.fixture
def gateway(transactional_db):
    running = RunningGateway(timeout=1.0).start()
    yield running
    running.stop()


def read_frames(sock: socket.socket, count: int, timeout: float = 10.0) -> list:
    """Read until ``count`` frames have arrived (decoded), or fail after ``timeout`` seconds."""
    from firegov.kernels.gb26875 import Deframer

    deframer, frames = Deframer(), []
    deadline = time.monotonic() + timeout
    while len(frames) < count:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        data = sock.recv(4096)
        if not data:
            break
        frames += deframer.feed(data)
    return frames


def wait_for(predicate, timeout: float = 10.0) -> bool:
    """Poll ``predicate`` (a database read) until true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False
