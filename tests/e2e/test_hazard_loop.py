"""The hazard closed loop in Debian's chromium: an inspector fills the checklist on a phone with a
photo, the unit submits its rectification evidence, and the re-inspection closes the hazard."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from firegov.hazards import services as hazard_services
from firegov.hazards.models import Hazard
from firegov.inspections import services as inspections
from tests.e2e.test_browser import browser  # noqa: F401 - the shared chromium fixture

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}


def login(page, base, username):
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "Firegov-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_inspection_on_a_phone_then_rectification_then_reinspection(transactional_db, city, live_server,
                                                                    browser, tmp_path, monkeypatch):  # noqa: F811
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    picture = tmp_path / "exit.jpg"
    Image.new("RGB", (64, 48), "orange").save(picture, "JPEG")
    inspection = inspections.create_inspection(city.xuecheng, city.xc_hotel, "routine",
                                               inspectors=[city.xuecheng, city.xc_supervisor])
    items = [a.item for a in inspection.answers.all()]
    base = live_server.url

    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, base, "xuecheng")
    page.goto(f"{base}/inspections/{inspection.pk}/")
    for item in items:
        page.check(f"input[name='result_{item}'][value='{'fail' if item == items[0] else 'pass'}']")
    page.fill(f"input[name='note_{items[0]}']", "安全出口被货物堵塞")
    page.set_input_files(f"input[name='photo_{items[0]}']", str(picture))
    page.fill("input[name='signed_by']", "王经理")
    page.click("#complete")
    page.wait_for_selector(".messages")
    assert "检查已完成" in page.content() or "complete" in page.content()
    hazard = Hazard.objects.get(inspection=inspection)
    assert hazard.checklist_item == items[0]
    context.close()

    hazard_services.order(city.xuecheng, [hazard], timezone.localdate() + timedelta(days=7))

    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    login(page, base, "danwei")
    page.goto(f"{base}/hazards/{hazard.pk}/")
    form = page.locator("form.action-submit")
    form.locator("input[name='note']").fill("货物已清走，出口畅通")
    form.locator("input[name='photos']").set_input_files(str(picture))
    form.locator("button").click()
    page.wait_for_selector(".messages")
    hazard.refresh_from_db()
    assert hazard.status == "submitted"
    context.close()

    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    login(page, base, "xuecheng")
    page.goto(f"{base}/hazards/{hazard.pk}/")
    form = page.locator("form.action-reinspect")
    form.locator("select[name='passed']").select_option("true")
    form.locator("button").click()
    page.wait_for_selector(".messages")
    hazard.refresh_from_db()
    assert hazard.status == "closed"
    assert "已销号" in page.content() or "Closed" in page.content()
    page.screenshot(path=str(tmp_path / "closed.png"), full_page=True)
    context.close()
    assert errors == []
