"""End to end in a real browser: Debian's chromium driven by Playwright.

Logs in, creates a unit through the form, and finds it on the list and on the map.
"""

from __future__ import annotations

import os
import shutil

import pytest

from tests.conftest import require_service

CHROMIUM = os.environ.get("FIREGOV_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.e2e


@pytest.fixture
def browser():
    require_service(os.path.exists(CHROMIUM), f"Debian chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}],
                         ids=["desktop", "phone"])
def test_create_unit_then_find_it_on_list_and_map(transactional_db, city, live_server, browser, settings,
                                                  viewport, tmp_path):
    settings.FIREGOV = {**settings.FIREGOV, "MAP_TILE_URL": ""}  # no outside traffic; the map must still work
    page = browser.new_page(viewport=viewport, locale="zh-CN")
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "xuecheng")
    page.fill("#id_password", "Firegov-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/units/new/")
    name = f"浏览器测试宾馆{viewport['width']}"
    page.fill("#id_name", name)
    page.select_option("#id_place_type", "hotel")
    page.select_option("#id_region", str(city.xc_comm.pk))
    page.fill("#id_address", "临城街道测试路1号")
    page.fill("#id_lat", "34.7951")
    page.fill("#id_lng", "117.2612")
    page.fill("#id_attr_guest_rooms", "88")
    page.screenshot(path=str(tmp_path / "form.png"), full_page=True)
    page.click("#unit-form button[type=submit]")
    page.wait_for_selector("h1")
    assert name in page.inner_text("h1")
    assert "重点单位" in page.content() or "Key unit" in page.content()

    page.goto(f"{live_server.url}/units/?q={name}")
    assert page.locator("table.units").get_by_text(name).count() == 1

    page.goto(f"{live_server.url}/units/map/?q={name}")
    page.wait_for_selector("#map[data-loaded]", state="attached", timeout=15000)
    assert page.get_attribute("#map", "data-loaded") == "1"
    painted = page.evaluate("""() => {  // the markers are drawn on a canvas (preferCanvas)
        const canvas = document.querySelector('#map canvas');
        const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let count = 0;
        for (let i = 3; i < pixels.length; i += 4) { if (pixels[i]) count++; }
        return count;
    }""")
    assert painted > 20  # one point, no tiles: drawn at a finite zoom
    page.screenshot(path=str(tmp_path / "map.png"))
    assert errors == []
