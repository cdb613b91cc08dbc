"""A department officer reports a month's progress on a campaign task in Debian's chromium, and the
detachment accepts it."""

from __future__ import annotations

import pytest
from django.utils import timezone

from firegov.campaigns import services
from firegov.campaigns.models import ProgressReport
from tests.e2e.test_browser import browser  # noqa: F401 - the shared chromium fixture
from tests.e2e.test_hazard_loop import login

pytestmark = pytest.mark.e2e


def test_a_department_reports_and_the_detachment_accepts(transactional_db, city, live_server, monkeypatch,
                                                         browser, settings):  # noqa: F811
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.FIREGOV = {**settings.FIREGOV, "MAP_TILE_URL": ""}  # no outside traffic; the map must still work
    year = timezone.localdate().year
    campaign = services.create_campaign(city.zhidui, {"name": "消防安全专项整治", "starts_on": f"{year}-01-01",
                                                      "ends_on": f"{year}-12-31"})
    task = services.add_task(city.zhidui, campaign, {"title": "学校消防安全整治", "lead": city.edu,
                                                     "due_on": f"{year}-12-31"})
    base = live_server.url
    city.xc.lat, city.xc.lng = 34.795, 117.263
    city.xc.save()

    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, base, "jiaoyu")
    page.goto(f"{base}/campaigns/{campaign.pk}/")
    page.click("text=学校消防安全整治")
    page.fill("input[name='period']", f"{year}-10")
    page.fill("input[name='percent']", "70")
    page.fill("textarea[name='done']", "全市学校完成消防安全自查，整改隐患42处")
    page.fill("textarea[name='difficulties']", "部分学校改造资金不足")
    page.click("text=保存草稿")
    page.wait_for_selector("button[value='submit']")
    page.click("button[value='submit']")
    page.wait_for_selector("button[value='submit']", state="detached")
    assert "已提交" in page.content()
    report = ProgressReport.objects.get(task=task)
    assert report.status == "submitted" and report.percent == 70 and report.agency == city.edu
    context.close()

    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, base, "zhidui")
    page.goto(f"{base}/campaigns/tasks/{task.pk}/")
    page.click("button[value='accept']")
    page.wait_for_selector("button[value='accept']", state="detached")
    assert "审核通过" in page.content()
    report.refresh_from_db()
    assert report.status == "accepted" and report.reviewed_by == city.zhidui
    page.goto(f"{base}/campaigns/{campaign.pk}/")
    assert "70.0%" in page.content()  # the task's progress is the accepted report's
    page.goto(f"{base}/campaigns/{campaign.pk}/?tab=timeline")
    bar = page.locator(f".gantt-row[data-task='{task.code}'] .gantt-bar").bounding_box()
    done = page.locator(f".gantt-row[data-task='{task.code}'] .gantt-done").bounding_box()
    assert bar["width"] > 300 and abs(done["width"] / bar["width"] - 0.70) < 0.01  # drawn, filled to 70 %
    page.goto(f"{base}/campaigns/{campaign.pk}/?tab=map")
    page.wait_for_selector("#region-map[data-loaded]", state="attached", timeout=15000)
    assert page.get_attribute("#region-map", "data-loaded") == "1"  # 薛城区 has coordinates, 滕州市 none
    assert page.locator(".leaflet-tooltip", has_text="薛城区").count() == 1
    marker = page.get_attribute("#region-map path.leaflet-interactive", "d")
    assert marker and marker != "M0 0", marker  # one point, no tiles: drawn at a finite zoom
    city.tz.name, city.tz.lat, city.tz.lng = '<img src=x onerror="window.pwned=1">滕州市', 35.084, 117.165
    city.tz.save()
    page.goto(f"{base}/campaigns/{campaign.pk}/?tab=map")
    page.wait_for_selector("#region-map[data-loaded='2']", state="attached", timeout=15000)
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.pwned") is None  # a region's name is shown as text
    assert page.locator(".leaflet-tooltip", has_text="<img src=x").count() == 1
    context.close()
    assert errors == []
