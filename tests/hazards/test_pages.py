"""The hazard pages (Django test client): ledger list and its filters, the Excel export of exactly the
filtered rows, stats, new hazard, detail, enforcement documents (HTML and .docx), major-hazard cases and
the public major-hazard page, public report staff pages; 200 for an allowed role, 404 for an outsider."""

from __future__ import annotations

import io
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone
from docx import Document
from openpyxl import load_workbook

from firegov.hazards import excel, reports, services
from firegov.hazards.models import Hazard, HazardSource, HazardStatus, MajorHazardCase
from tests.inspections.helpers import hrefs, photo


def _report(user, unit, category, source=HazardSource.INSPECTION, description=None):
    return services.report_hazard(
        user,
        unit,
        {"category": category, "description": description or f"{unit.name}：{category}"},
        source=source,
    )


def _later(days=10):
    return timezone.localdate() + timedelta(days=days)


@pytest.fixture
def ledger(city):
    """Eight hazards across both counties, sectors, sources and statuses."""
    h = {}
    h["confirmed"] = _report(city.xuecheng, city.xc_hotel, "blocked_exit")
    h["ordered"] = _report(city.xuecheng, city.xc_hotel, "extinguisher_missing")
    services.order(city.xuecheng, [h["ordered"]], _later())
    h["overdue"] = _report(city.xuecheng, city.xc_school, "open_flame")
    services.order(city.xuecheng, [h["overdue"]], _later())
    past = timezone.now() - timedelta(days=2)  # moved into the past behind the services' back
    Hazard.objects.filter(pk=h["overdue"].pk).update(due_at=past, deadline_at=past)
    h["submitted_late"] = _report(city.xuecheng, city.xc_hotel, "fire_alarm_faulty")
    services.order(city.xuecheng, [h["submitted_late"]], _later())
    services.transition(city.danwei, h["submitted_late"], "submit", {"note": "已维修"})
    hour_ago = timezone.now() - timedelta(hours=1)
    Hazard.objects.filter(pk=h["submitted_late"].pk).update(reinspect_due_at=hour_ago, deadline_at=hour_ago)
    h["patrol"] = _report(city.wangge, city.xc_school, "hydrant_obstructed", HazardSource.PATROL)
    h["self"] = _report(city.danwei, city.xc_hotel, "no_patrol_records", HazardSource.SELF)
    h["report"] = _report(city.tengzhou, city.tz_restaurant, "blocked_exit", HazardSource.REPORT)
    h["corrected"] = _report(city.tengzhou, city.tz_school, "open_flame")
    services.transition(city.tengzhou, h["corrected"], "correct")
    return {k: Hazard.objects.get(pk=v.pk) for k, v in h.items()}


def test_the_ledger_is_what_the_fixture_says(ledger):
    statuses = {k: h.status for k, h in ledger.items()}
    assert statuses == {
        "confirmed": "confirmed",
        "ordered": "ordered",
        "overdue": "ordered",
        "submitted_late": "submitted",
        "patrol": "reported",
        "self": "reported",
        "report": "confirmed",
        "corrected": "corrected",
    }
    assert {k for k, h in ledger.items() if h.overdue} == {"overdue", "submitted_late"}


def _ids(ledger, *names):
    return {ledger[n].pk for n in names}


FILTERS = [
    ("", ["confirmed", "ordered", "overdue", "submitted_late", "patrol", "self", "report", "corrected"]),
    ("status=confirmed", ["confirmed", "report"]),
    ("status=ordered&status=reported", ["ordered", "overdue", "patrol", "self"]),
    ("status=submitted", ["submitted_late"]),
    ("overdue=true", ["overdue", "submitted_late"]),
    ("overdue=false", ["confirmed", "ordered", "patrol", "self", "report", "corrected"]),
    ("open=false", ["corrected"]),
    ("category=blocked_exit", ["confirmed", "report"]),
    ("category=open_flame", ["overdue", "corrected"]),
    ("region={tz}", ["report", "corrected"]),
    ("region={xc}", ["confirmed", "ordered", "overdue", "submitted_late", "patrol", "self"]),
    ("region={xc_grid}", ["confirmed", "ordered", "submitted_late", "self"]),
    ("sector=education", ["overdue", "patrol", "corrected"]),
    ("sector=education&region={xc}", ["overdue", "patrol"]),
    ("source=report", ["report"]),
    ("source=patrol", ["patrol"]),
    ("source=self", ["self"]),
    ("source=inspection", ["confirmed", "ordered", "overdue", "submitted_late", "corrected"]),
    ("source=inspection&overdue=true&category=open_flame", ["overdue"]),
]


def _query(city, template):
    return template.format(tz=city.tz.pk, xc=city.xc.pk, xc_grid=city.xc_grid.pk)


@pytest.mark.parametrize("query, expected", FILTERS, ids=[q or "all" for q, _e in FILTERS])
def test_the_hazard_list_filters_return_exactly_the_expected_rows(city, login, ledger, query, expected):
    client = login(city.admin)
    response = client.get(f"/hazards/?{_query(city, query)}")
    assert response.status_code == 200
    assert hrefs(response.content, "/hazards/") == _ids(ledger, *expected)
    # the partial the filter form loads (htmx) agrees
    partial = client.get(f"/hazards/?{_query(city, query)}", HTTP_HX_REQUEST="true")
    assert hrefs(partial.content, "/hazards/") == _ids(ledger, *expected)


@pytest.mark.parametrize("query, expected", FILTERS, ids=[q or "all" for q, _e in FILTERS])
def test_the_api_filters_agree(city, api_for, ledger, query, expected):
    response = api_for(city.admin).get(f"/api/hazards/?{_query(city, query)}")
    assert response.status_code == 200
    assert {h["id"] for h in response.json()["results"]} == _ids(ledger, *expected)


@pytest.mark.parametrize("query, expected", FILTERS, ids=[q or "all" for q, _e in FILTERS])
def test_the_excel_export_contains_exactly_the_filtered_hazards(city, login, ledger, query, expected):
    response = login(city.admin).get(f"/hazards/export.xlsx?{_query(city, query)}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == excel.HEADERS
    assert [r[0] for r in rows[1:]] == sorted(_ids(ledger, *expected), reverse=True)


def test_the_export_columns(city, login, ledger):
    response = login(city.admin).get("/hazards/export.xlsx?overdue=true")
    rows = list(
        load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0].iter_rows(values_only=True)
    )
    by_id = {r[0]: dict(zip(excel.HEADERS, r, strict=True)) for r in rows[1:]}
    late = by_id[ledger["overdue"].pk]
    assert late["单位名称"] == "薛城区实验小学" and late["是否逾期"] == "是"
    assert late["通知书文号"] == ledger["overdue"].notice.number


def test_the_list_and_export_keep_to_the_jurisdiction(city, login, ledger):
    client = login(city.xuecheng)
    xc = _ids(ledger, "confirmed", "ordered", "overdue", "submitted_late", "patrol", "self")
    assert hrefs(client.get("/hazards/").content, "/hazards/") == xc
    # a region outside the jurisdiction never shows another county's rows
    assert not hrefs(client.get(f"/hazards/?region={city.tz.pk}").content, "/hazards/") - xc
    response = client.get("/hazards/export.xlsx")
    rows = list(
        load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0].iter_rows(values_only=True)
    )
    assert {r[0] for r in rows[1:]} == xc
    # a department officer sees its sector only; a unit manager its units only
    assert hrefs(login(city.xc_jiaoyu).get("/hazards/").content, "/hazards/") == _ids(
        ledger, "overdue", "patrol"
    )
    assert hrefs(login(city.danwei).get("/hazards/").content, "/hazards/") == _ids(
        ledger, "confirmed", "ordered", "submitted_late", "self"
    )


def test_the_export_is_404_for_a_unit_manager(city, login, ledger):
    assert login(city.danwei).get("/hazards/export.xlsx").status_code == 404


# --------------------------------------------------------------------------- every page: allowed and outsider


@pytest.fixture
def pages(city, ledger):
    """URL of every new page, with objects of 薛城区 behind them."""
    hazard = ledger["ordered"]
    case = services.propose_case(city.xuecheng, city.xc_hotel, [ledger["confirmed"]], {})
    report = reports.submit(
        {
            "region": city.xc_street,
            "place": "薛城宾馆",
            "address": "泰山路1号",
            "description": "安全出口堵塞",
            "category": "blocked_exit",
        },
        (),
        "10.0.0.1",
    )
    return {
        "hazard-list": "/hazards/",
        "hazard-new": f"/hazards/new/?unit={city.xc_hotel.pk}",
        "hazard-detail": f"/hazards/{hazard.pk}/",
        "hazard-stats": "/hazards/stats/",
        "hazard-export": "/hazards/export.xlsx",
        "document": f"/hazards/documents/{hazard.notice_id}/",
        "document-docx": f"/hazards/documents/{hazard.notice_id}/?format=docx",
        "case-list": "/hazards/major/",
        "case-new": f"/hazards/major/new/?unit={city.xc_hotel.pk}",
        "case-detail": f"/hazards/major/{case.pk}/",
        "report-list": "/hazards/reports/",
        "report-detail": f"/hazards/reports/{report.pk}/",
    }


# page -> (roles that get 200, roles that get 404)
ACCESS = {
    "hazard-list": (["xuecheng", "zhidui", "danwei", "xc_jiaoyu", "wangge", "jiankong"], ["nobody"]),
    "hazard-new": (["xuecheng", "xc_supervisor", "danwei", "wangge"], ["tengzhou", "jiankong", "xc_jiaoyu"]),
    "hazard-detail": (["xuecheng", "zhidui", "danwei"], ["tengzhou", "xc_jiaoyu", "jiaoyu", "nobody"]),
    "hazard-stats": (["xuecheng", "zhidui", "admin", "xc_jiaoyu"], ["nobody"]),
    "hazard-export": (["xuecheng", "zhidui", "xc_jiaoyu"], ["danwei", "nobody"]),
    "document": (["xuecheng", "xc_supervisor", "danwei"], ["tengzhou", "xc_jiaoyu", "nobody"]),
    "document-docx": (["xuecheng", "danwei"], ["tengzhou", "xc_jiaoyu", "nobody"]),
    "case-list": (["xuecheng", "zhidui", "danwei"], ["jiankong", "nobody"]),
    "case-new": (["xuecheng", "xc_supervisor"], ["tengzhou", "danwei", "wangge", "jiankong"]),
    "case-detail": (["xuecheng", "xc_supervisor", "zhidui", "danwei"], ["tengzhou", "xc_jiaoyu", "nobody"]),
    "report-list": (["xuecheng", "xc_supervisor", "zhidui"], ["danwei", "xc_jiaoyu", "wangge", "jiankong"]),
    "report-detail": (["xuecheng", "zhidui"], ["tengzhou", "danwei", "xc_jiaoyu"]),
}
ALLOWED = [(page, who) for page, (ok, _no) in ACCESS.items() for who in ok]
REFUSED = [(page, who) for page, (_ok, no) in ACCESS.items() for who in no]


@pytest.mark.parametrize("page, who", ALLOWED, ids=[f"{p}-{w}" for p, w in ALLOWED])
def test_pages_render_for_allowed_roles(city, login, pages, page, who):
    response = login(getattr(city, who)).get(pages[page])
    assert response.status_code == 200


@pytest.mark.parametrize("page, who", REFUSED, ids=[f"{p}-{w}" for p, w in REFUSED])
def test_pages_are_404_for_outsiders(city, login, pages, page, who):
    assert login(getattr(city, who)).get(pages[page]).status_code == 404


def test_anonymous_users_go_to_login(client, pages):
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], name


# --------------------------------------------------------------------------- the documents


def test_the_notice_page_shows_the_number(city, login, ledger):
    notice = ledger["ordered"].notice
    assert notice.number.startswith("枣薛消")
    page = login(city.xuecheng).get(f"/hazards/documents/{notice.pk}/").content.decode()
    assert notice.number in page and city.xc_hotel.name in page


def _docx_text(content: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(content)).paragraphs)


def test_the_notice_is_a_valid_docx_with_its_number(city, login, ledger):
    notice = ledger["ordered"].notice
    response = login(city.xuecheng).get(f"/hazards/documents/{notice.pk}/?format=docx")
    assert response.status_code == 200
    assert (
        response["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    text = _docx_text(response.content)
    assert notice.number in text
    assert "责令限期改正通知书" in text and city.xc_hotel.name in text
    assert ledger["ordered"].description in text


def test_the_docx_download_is_named_after_the_number(city, login, ledger):
    """RFC 6266 / 5987: ``filename*=UTF-8''<percent-encoded>``, so that browsers save it under the number."""
    notice = ledger["ordered"].notice
    response = login(city.xuecheng).get(f"/hazards/documents/{notice.pk}/?format=docx")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;"), disposition
    assert f"filename*=UTF-8''{quote(notice.number)}.docx" in disposition


def test_the_reinspection_opinion_is_a_valid_docx(city, login, ledger):
    document = services.reinspect(
        city.xuecheng, [ledger["submitted_late"]], {ledger["submitted_late"].pk: True}
    )
    response = login(city.xuecheng).get(f"/hazards/documents/{document.pk}/?format=docx")
    text = _docx_text(response.content)
    assert document.number in text and "复查意见书" in text and "已改正" in text


# --------------------------------------------------------------------------- new hazard from the page


@pytest.mark.parametrize(
    "who, source, status",
    [
        ("xuecheng", "inspection", HazardStatus.CONFIRMED),
        ("wangge", "patrol", HazardStatus.REPORTED),
        ("danwei", "self", HazardStatus.REPORTED),
    ],
)
def test_recording_a_hazard_from_the_page(city, login, who, source, status):
    client = login(getattr(city, who))
    response = client.post(
        f"/hazards/new/?unit={city.xc_hotel.pk}",
        {
            "category": "blocked_exit",
            "description": "二楼疏散通道堆放桌椅",
            "location": "二楼",
            "photos": [photo("a.jpg")],
        },
    )
    hazard = Hazard.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/hazards/{hazard.pk}/"
    assert (hazard.source, hazard.status, hazard.found_by) == (source, status, getattr(city, who))
    detail = client.get(f"/hazards/{hazard.pk}/")
    assert detail.status_code == 200 and len(detail.context["evidence"]) == 1


def test_a_bad_hazard_from_the_page_is_refused_with_a_message(city, login):
    response = login(city.xuecheng).post(
        f"/hazards/new/?unit={city.xc_hotel.pk}", {"category": "aliens", "description": ""}
    )
    assert response.status_code == 200 and not Hazard.objects.exists()
    assert [str(m) for m in response.context["messages"]]


# --------------------------------------------------------------------------- major hazards


def test_a_listed_major_hazard_is_on_the_public_page(city, client, login, ledger):
    listed = services.propose_case(city.xuecheng, city.xc_hotel, [ledger["confirmed"]], {})
    proposed_unit = ledger["overdue"].unit
    services.propose_case(city.xuecheng, proposed_unit, [ledger["overdue"]], {})
    services.case_transition(
        city.xc_supervisor,
        listed,
        "discuss",
        {"participants": "张三,李四,王五", "conclusion": "构成重大火灾隐患"},
    )
    services.case_transition(city.xc_supervisor, listed, "determine", {})
    services.case_transition(
        city.xc_supervisor,
        listed,
        "list",
        {
            "listing_level": "county",
            "listing_authority": "薛城区人民政府",
            "plan": "三个月内完成整改",
            "rectify_due": _later(90).isoformat(),
            "officials": "区应急管理局",
            "funds": "45",
        },
    )
    listed.refresh_from_db()
    assert listed.status == "listed" and listed.notice is not None
    page = client.get("/public/major-hazards/")  # no login
    assert page.status_code == 200
    text = page.content.decode()
    assert city.xc_hotel.name in text and "薛城区人民政府" in text
    assert proposed_unit.name not in text
    detail = login(city.xuecheng).get(f"/hazards/major/{listed.pk}/")
    assert detail.status_code == 200
    assert login(city.xuecheng).get(f"/hazards/documents/{listed.notice.pk}/?format=docx").status_code == 200


def test_proposing_from_the_page(city, login, ledger):
    client = login(city.xuecheng)
    response = client.post(
        f"/hazards/major/new/?unit={city.xc_hotel.pk}",
        {"hazards": [ledger["confirmed"].pk], "place_kinds": ["crowded"], "note": "建议集体讨论"},
    )
    case = MajorHazardCase.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/hazards/major/{case.pk}/"
    assert list(case.hazards.all()) == [ledger["confirmed"]]
    assert case.pk in hrefs(client.get("/hazards/major/").content, "/hazards/major/")
    assert case.pk not in hrefs(login(city.tengzhou).get("/hazards/major/").content, "/hazards/major/")


def test_a_capped_count_still_leads_to_every_hazard(city, api_for, client, monkeypatch):
    """Past the count cap the API says count_capped and `next` goes on to the end; so do the pages."""
    from firegov.hazards import api as hazard_api
    from firegov.hazards import views as hazard_views

    monkeypatch.setattr(hazard_api.HazardPagination, "count_cap", 5)
    monkeypatch.setattr(hazard_views, "LIST_COUNT_CAP", 5)
    made = {_report(city.xuecheng, city.xc_hotel, "blocked_exit").pk for _ in range(12)}
    api = api_for(city.xuecheng)
    seen, url, pages = [], "/api/hazards/?page_size=4", 0
    while url:
        body = api.get(url).json()
        assert body["count"] == 5 and body["count_capped"] is True
        seen += [row["id"] for row in body["results"]]
        url, pages = body["next"], pages + 1
    assert pages == 3 and sorted(seen) == sorted(made) and len(seen) == len(set(seen))
    assert api.get("/api/hazards/?page_size=4&page=4").status_code == 404
    exact = api.get(f"/api/hazards/?page_size=4&unit={city.xc_hotel.pk}&status=invalid").json()
    assert exact["count"] == 0 and exact["count_capped"] is False

    client.force_login(city.xuecheng)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    assert "count_capped" in schema["components"]["schemas"]["PaginatedHazardList"]["required"]
    first = client.get("/hazards/").context["page"]
    assert first.paginator.capped and len(first) == 12 and not first.has_next()  # 50 a page
    past = client.get("/hazards/", {"page": 9})
    assert past.status_code == 200 and past.context["page"].number == 1
