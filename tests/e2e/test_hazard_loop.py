"""The hazard closed loop in Debian's chromium: an inspector fills the checklist on a phone with a
photo, the unit submits its rectification evidence, and the re-inspection closes the hazard."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from firegov.core.models import Attachment
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


def routine_inspection(city):
    inspection = inspections.create_inspection(city.xuecheng, city.xc_hotel, "routine",
                                               inspectors=[city.xuecheng, city.xc_supervisor])
    return inspection, [a.item for a in inspection.answers.all()]


def inspector_on_a_phone(browser, base):  # noqa: F811
    """The Xuecheng inspector logged in on a phone: (context, page, the page's script errors)."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, base, "xuecheng")
    return context, page, errors


def test_inspection_on_a_phone_then_rectification_then_reinspection(transactional_db, city, live_server,
                                                                    browser, tmp_path, monkeypatch):  # noqa: F811
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    picture = tmp_path / "exit.jpg"
    Image.new("RGB", (64, 48), "orange").save(picture, "JPEG")
    inspection, items = routine_inspection(city)
    base = live_server.url

    context, page, errors = inspector_on_a_phone(browser, base)
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
    photo = Attachment.objects.get(content_type__model="inspection", object_id=str(inspection.pk))
    assert photo.caption == items[0] and photo.mime_type == "image/jpeg" and photo.uploaded_by == city.xuecheng
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
    evidence = Attachment.objects.get(content_type__model="hazard", object_id=str(hazard.pk), caption="submit")
    assert evidence.uploaded_by == city.danwei and len(evidence.sha256) == 64
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


def test_answers_typed_on_a_broken_network_are_kept_on_the_phone(transactional_db, city, live_server,
                                                                browser, monkeypatch):  # noqa: F811
    """On a slow or broken network a save may never arrive: the answers stay on the device and come
    back into the form, with a banner, until a save reaches the server."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    inspection, items = routine_inspection(city)
    base = live_server.url
    context, page, errors = inspector_on_a_phone(browser, base)
    url = f"{base}/inspections/{inspection.pk}/"
    page.goto(url)
    assert page.locator(".draft-restored").count() == 0
    page.check(f"input[name='result_{items[0]}'][value='fail']")
    page.check(f"input[name='result_{items[1]}'][value='pass']")
    page.fill(f"input[name='note_{items[0]}']", "消防通道堆放杂物")
    context.set_offline(True)
    with pytest.raises(Exception):  # noqa: B017 - whatever the browser reports, the save does not arrive
        page.click("button[formaction$='/answers/']", timeout=5000)
        page.wait_for_selector(".messages", timeout=3000)
    context.set_offline(False)
    assert {a.result for a in inspection.answers.all()} == {""}  # nothing reached the server

    page.goto(url)
    page.wait_for_selector(".draft-restored")
    assert page.is_checked(f"input[name='result_{items[0]}'][value='fail']")
    assert page.is_checked(f"input[name='result_{items[1]}'][value='pass']")
    assert page.input_value(f"input[name='note_{items[0]}']") == "消防通道堆放杂物"
    page.click("button[formaction$='/answers/']")
    page.wait_for_selector(".messages")
    answers = {a.item: (a.result, a.note) for a in inspection.answers.all()}
    assert answers[items[0]] == ("fail", "消防通道堆放杂物") and answers[items[1]][0] == "pass"
    key = f"firegov-draft:inspection-{inspection.pk}-user-{city.xuecheng.pk}"
    page.goto(url)  # the server holds it all now: no banner, no draft left
    assert page.locator(".draft-restored").count() == 0
    assert page.evaluate(f"localStorage.getItem('{key}')") is None

    # A draft never overwrites what a colleague saved meanwhile: only the answer still as the
    # server showed it comes back.
    page.check(f"input[name='result_{items[2]}'][value='fail']")
    page.check(f"input[name='result_{items[3]}'][value='fail']")
    inspections.record_answers(city.xc_supervisor, inspection, {items[2]: {"result": "na"}})
    page.goto(url)
    page.wait_for_selector(".draft-restored")
    assert page.is_checked(f"input[name='result_{items[2]}'][value='na']")
    assert page.is_checked(f"input[name='result_{items[3]}'][value='fail']")
    page.click(".draft-restored button")  # discard: back to what the server shows, draft gone
    assert not page.is_checked(f"input[name='result_{items[3]}'][value='fail']")
    assert page.locator(".draft-restored").count() == 0
    assert page.evaluate(f"localStorage.getItem('{key}')") is None

    # Logging out leaves no answers on the phone.
    page.fill(f"input[name='note_{items[3]}']", "未保存的备注")
    assert page.evaluate(f"localStorage.getItem('{key}')") is not None
    page.click("form[data-logout] button")
    page.wait_for_url(lambda u: "/login" in u or u.rstrip("/") == base)
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('firegov-draft:')).length") == 0
    context.close()
    assert errors == []
