"""The alarm path end to end: the simulator, speaking GB/T 26875.3 over TCP as a transmission device,
sends a fire alarm to the gateway; the operator's console (Debian's chromium) shows it within a
second through server-sent events, and the operator verifies it with one click.

The server is the real one: uvicorn serving the ASGI application with the monitoring runtime on its
event loop (gateway, live bus, alarm clock), as ``firegov serve`` runs it.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest
import uvicorn

from firegov.iot.models import Alarm, Device
from firegov.iot.runtime import Options, WithMonitoring
from firegov.iot.simulate import send_fire_alarm
from tests.conftest import make_unit
from tests.e2e.test_browser import browser  # noqa: F401 - the shared chromium fixture

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """uvicorn in a thread, with the monitoring runtime (gateway on its own free port)."""

    def __init__(self):
        from firegov.asgi import application

        self.port, self.gateway_port = free_port(), free_port()
        self.app = WithMonitoring(application, Options(port=self.gateway_port, heap=False))
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, lifespan="on", log_level="warning",
                                timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve()), daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 20
        while not (self.server.started and self.app.monitoring and self.app.monitoring.gateway):
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(15)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 900}, {"width": 390, "height": 844}],
                         ids=["desktop", "phone"])
def test_a_simulated_fire_alarm_reaches_the_console_and_is_verified(  # noqa: F811 - browser is the fixture
        transactional_db, city, browser, settings, monkeypatch, viewport):  # noqa: F811
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop here
    settings.FIREGOV = {**settings.FIREGOV, "MAP_TILE_URL": ""}
    unit = make_unit(city.xc_grid, "金鼎商厦", place_type="mall", lat=34.795, lng=117.261)
    Device.objects.create(unit=unit, kind="uitd", name="1号传输装置", code="UITD-889", address=889)
    with Server() as server:
        page = browser.new_page(viewport=viewport, locale="zh-CN")
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{server.url}/login/")
        page.fill("#id_username", "jiankong")
        page.fill("#id_password", "Firegov-2026")
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/")
        page.goto(f"{server.url}/monitoring/")
        page.wait_for_selector("#live.blue")  # the event stream is open
        assert page.locator("tr.alarm").count() == 0

        confirm = []
        sender = threading.Thread(target=lambda: confirm.append(
            send_fire_alarm(889, port=server.gateway_port, comp_addr=0x0002000A, desc="三楼东侧走廊")))
        started = time.monotonic()
        sender.start()
        page.wait_for_selector("tr.alarm.fire", timeout=5000)
        shown_after = time.monotonic() - started
        sender.join(10)
        assert confirm and confirm[0] is not None and confirm[0].command == 3  # the device got its confirm
        assert shown_after < 2.0, shown_after  # device → gateway → database → bus → browser
        row = page.locator("tr.alarm.fire").first
        assert "金鼎商厦" in row.inner_text()

        row.click()
        page.wait_for_selector(".alarm-panel")
        assert "金鼎商厦" in page.inner_text(".alarm-panel")
        page.click(".verify button:has-text('误报')")
        page.wait_for_selector(".alarm-panel .messages")
        alarm = Alarm.objects.get(unit=unit, type="fire")
        assert alarm.verdict == "false_alarm" and alarm.verified_by.username == "jiankong"
        # The verdict comes back through the stream too: the row is marked handled.
        page.wait_for_selector(f"#alarm-{alarm.pk}.handled", timeout=5000)
        assert not errors, errors
        page.close()
