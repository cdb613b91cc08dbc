"""Public hazard reports (举报投诉): submission without login (API and page), the tracking code and
status, validation (fields, phone, photos), the per-client rate limit, duplicates of the same place,
the check deadline (24 hours for urgent categories, 3 working days otherwise), triage to the brigade,
the staff's conclusion, rewards and payment, and who may see the staff pages."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from firegov.core.lifecycle import TransitionError
from firegov.core.models import Attachment, Deadline, Notification
from firegov.hazards import reports
from firegov.hazards.models import Hazard, HazardSource, PublicReport, ReportStatus, RewardTier
from firegov.kernels.checklists import CATEGORIES_FILE
from tests.inspections.helpers import PDF_BYTES, hrefs, local, photo, upload

CATEGORIES = json.loads(CATEGORIES_FILE.read_text(encoding="utf-8"))["categories"]
URGENT = sorted(c["code"] for c in CATEGORIES if c["urgent"])
NOT_URGENT = sorted(c["code"] for c in CATEGORIES if not c["urgent"])
PHONE = "13912345678"
NAME = "王举报"
FIVE_MB = 5 * 1024 * 1024


def form(city, region=None, **overrides):
    """What the reporter sends (the API's and the page's field names)."""
    data = {
        "region": (region or city.xc_street).pk,
        "place": "薛城宾馆",
        "address": "临城街道泰山路1号",
        "description": "一楼安全出口被杂物堵塞",
        "category": "blocked_exit",
        "contact_name": NAME,
        "contact_phone": PHONE,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def submit(city, region=None, photos=(), ip="10.0.0.1", now=None, **overrides):
    """The same through the service (the region as an object)."""
    data = form(city, region, **overrides)
    data["region"] = region or city.xc_street
    return reports.submit(data, photos, ip, now=now)


def live_check(report):
    return Deadline.objects.filter(
        purpose=reports.CHECK, object_id=str(report.pk), state__in=["open", "acknowledged"]
    )


@pytest.fixture
def anon(api_for):
    return api_for(None)


@pytest.fixture
def tiers(db):
    return {
        "general": RewardTier.objects.create(code="general", name="一般举报", amount=Decimal("100")),
        "urgent": RewardTier.objects.create(
            code="urgent", name="紧急举报", urgent=True, amount=Decimal("300")
        ),
        "major": RewardTier.objects.create(
            code="major", name="重大火灾隐患举报", severity="major", amount=Decimal("1000")
        ),
    }


def test_the_urgent_categories_come_from_the_table():
    assert "blocked_exit" in URGENT and "facility_switched_off" in URGENT
    assert "extinguisher_missing" in NOT_URGENT


# --------------------------------------------------------------------------- submission and tracking


def test_api_submission_needs_no_login_and_returns_a_tracking_code(city, anon):
    response = anon.post("/api/public/reports/", form(city), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    code = body["tracking_code"]
    assert len(code) == 10 and all(ch in reports.CODE_ALPHABET for ch in code)
    assert PHONE not in response.content.decode() and NAME not in response.content.decode()
    report = PublicReport.objects.get(tracking_code=code)
    assert report.contact_phone == PHONE and report.contact_name == NAME  # kept for the staff
    assert report.place == "薛城宾馆" and report.region == city.xc_street
    assert report.client_hash and "10.0.0.1" not in report.client_hash


def test_tracking_codes_differ(city):
    codes = {submit(city, place=f"店{i}", ip=f"10.0.1.{i}").tracking_code for i in range(6)}
    assert len(codes) == 6


def test_status_api_shows_status_and_result_but_no_contact_data(city, anon):
    report = submit(city)
    reports.conclude(city.xuecheng, report, False, "经核查，安全出口畅通，举报不属实。")
    response = anon.get(f"/api/public/reports/{report.tracking_code}/")
    assert response.status_code == 200
    body = response.json()
    assert body["tracking_code"] == report.tracking_code
    assert body["status"] == "invalid" and body["result"] == "经核查，安全出口畅通，举报不属实。"
    assert body["answered_at"]
    text = response.content.decode()
    assert PHONE not in text and NAME not in text
    assert not {"contact_name", "contact_phone", "client_hash", "description", "agency"} & set(body)


def test_status_api_finds_the_code_in_lower_case_and_404s_an_unknown_one(city, anon):
    report = submit(city)
    assert anon.get(f"/api/public/reports/{report.tracking_code.lower()}/").status_code == 200
    assert anon.get("/api/public/reports/AAAAAAAAAA/").status_code == 404
    assert anon.get("/api/public/reports/SHORT/").status_code == 404


def test_the_public_page_needs_no_login_and_gives_the_code(city, client):
    assert client.get("/public/report/").status_code == 200
    response = client.post("/public/report/", {**form(city), "photos": [upload("a.jpg")]})
    assert response.status_code == 200
    report = PublicReport.objects.get()
    assert report.tracking_code in response.content.decode()
    assert (
        Attachment.objects.filter(object_id=str(report.pk), content_type__model="publicreport").count() == 1
    )


def test_the_tracking_page_shows_status_and_result_but_no_contact_data(city, client):
    report = submit(city)
    page = client.get(f"/public/report/track/?code={report.tracking_code}")
    assert page.status_code == 200
    text = page.content.decode()
    assert report.get_status_display() in text
    assert PHONE not in text and NAME not in text
    reports.conclude(city.xuecheng, report, True, "已责令单位清理安全出口。")
    text = client.get(f"/public/report/track/?code={report.tracking_code}").content.decode()
    assert "已责令单位清理安全出口。" in text
    report.refresh_from_db()
    assert report.get_status_display() in text
    assert PHONE not in text and NAME not in text
    assert client.get("/public/report/track/?code=ZZZZZZZZZZ").context["report"] is None


# --------------------------------------------------------------------------- validation


def test_missing_fields_give_clear_errors_in_the_api(city, anon):
    response = anon.post("/api/public/reports/", {}, format="json")
    assert response.status_code == 400
    assert {"region", "place", "address", "description"} <= set(response.json())
    response = anon.post("/api/public/reports/", form(city, description="   "), format="json")
    assert response.status_code == 400 and "description" in response.json()
    assert not PublicReport.objects.exists()


def test_missing_fields_in_the_service(city):
    with pytest.raises(ValidationError) as exc:
        reports.submit({}, (), "10.0.0.1")
    assert {"region", "place", "address", "description"} <= set(exc.value.message_dict)
    with pytest.raises(ValidationError) as exc:
        submit(city, place=" ", address="")
    assert set(exc.value.message_dict) == {"place", "address"}


def test_missing_fields_on_the_page(city, client):
    response = client.post("/public/report/", {"region": "", "place": "", "address": "", "description": ""})
    assert response.status_code == 200
    assert {"region", "place", "address", "description"} <= set(response.context["errors"])
    assert not PublicReport.objects.exists()


@pytest.mark.parametrize(
    "phone", ["电话号码", "12345", "1380000abcd", "++8613800000000", "138 0000 0000 0000 0000"]
)
def test_a_bad_phone_is_refused(city, anon, phone):
    with pytest.raises(ValidationError) as exc:
        submit(city, contact_phone=phone)
    assert "contact_phone" in exc.value.message_dict
    response = anon.post("/api/public/reports/", form(city, contact_phone=phone), format="json")
    assert response.status_code == 400 and "contact_phone" in response.json()
    assert not PublicReport.objects.exists()


@pytest.mark.parametrize("phone", ["13912345678", "+86 139-1234-5678", "0632-1234567", ""])
def test_good_phones_are_accepted(city, phone):
    assert submit(city, contact_phone=phone).contact_phone == phone


def test_an_unknown_category_is_refused(city, anon):
    response = anon.post("/api/public/reports/", form(city, category="aliens"), format="json")
    assert response.status_code == 400 and "category" in response.json()


def _nothing_stored():
    return not PublicReport.objects.exists() and not Attachment.objects.exists()


def test_three_photos_are_kept(city):
    report = submit(city, photos=[photo("a.jpg", "red"), photo("b.jpg", "blue"), photo("c.jpg", "green")])
    stored = Attachment.objects.filter(object_id=str(report.pk), content_type__model="publicreport")
    assert stored.count() == 3 and len({a.sha256 for a in stored}) == 3


def test_more_than_three_photos_are_refused(city, anon):
    with pytest.raises(ValidationError) as exc:
        submit(city, photos=[photo(f"{i}.jpg") for i in range(4)])
    assert "photos" in exc.value.message_dict
    response = anon.post(
        "/api/public/reports/",
        {**form(city), "photos": [upload(f"{i}.jpg") for i in range(4)]},
        format="multipart",
    )
    assert response.status_code == 400 and "photos" in response.json()
    assert _nothing_stored()


def test_more_than_three_photos_are_refused_on_the_page(city, client):
    response = client.post(
        "/public/report/", {**form(city), "photos": [upload(f"{i}.jpg") for i in range(4)]}
    )
    assert response.status_code == 200 and "photos" in response.context["errors"]
    assert _nothing_stored()


NOT_IMAGES = pytest.mark.parametrize(
    "data", [PDF_BYTES, "火灾隐患举报说明".encode() * 20], ids=["pdf", "text"]
)


@NOT_IMAGES
def test_a_file_that_is_not_an_image_is_refused(city, anon, data):
    fake = photo()
    fake.seek(0)
    fake.truncate()
    fake.write(data)
    fake.seek(0)
    fake.size = len(data)
    with pytest.raises(ValidationError) as exc:
        submit(city, photos=[fake])
    assert "photos" in exc.value.message_dict
    response = anon.post(
        "/api/public/reports/", {**form(city), "photos": [upload("x.jpg", data=data)]}, format="multipart"
    )
    assert response.status_code == 400 and "photos" in response.json()
    assert _nothing_stored()


@NOT_IMAGES
def test_a_file_that_is_not_an_image_is_refused_on_the_page(city, client, data):
    response = client.post("/public/report/", {**form(city), "photos": [upload("x.jpg", data=data)]})
    assert response.status_code == 200 and "photos" in response.context["errors"]
    assert _nothing_stored()


def test_a_photo_over_5_mb_is_refused(city, anon):
    big = photo("big.jpg", padding=FIVE_MB)
    assert big.size > FIVE_MB
    with pytest.raises(ValidationError) as exc:
        submit(city, photos=[photo("ok.jpg"), big])
    assert "photos" in exc.value.message_dict
    response = anon.post(
        "/api/public/reports/",
        {**form(city), "photos": [upload("big.jpg", padding=FIVE_MB)]},
        format="multipart",
    )
    assert response.status_code == 400 and "photos" in response.json()
    assert _nothing_stored()


def test_a_photo_over_5_mb_is_refused_on_the_page(city, client):
    response = client.post("/public/report/", {**form(city), "photos": [upload("big.jpg", padding=FIVE_MB)]})
    assert response.status_code == 200 and "photos" in response.context["errors"]
    assert _nothing_stored()


def test_a_photo_just_under_5_mb_is_accepted(city):
    almost = photo("almost.jpg", padding=FIVE_MB - 4096)
    assert almost.size <= FIVE_MB
    report = submit(city, photos=[almost])
    assert (
        Attachment.objects.filter(object_id=str(report.pk), content_type__model="publicreport").count() == 1
    )


# --------------------------------------------------------------------------- rate limit


def test_the_per_client_rate_limit_refuses_the_next_report(city):
    limit = django_settings.FIREGOV["REPORTS_PER_HOUR"]
    for i in range(limit):
        submit(city, place=f"第{i}家店", ip="10.9.9.9")
    with pytest.raises(ValidationError) as exc:
        submit(city, place="又一家店", ip="10.9.9.9")
    assert "__all__" in exc.value.message_dict
    assert PublicReport.objects.count() == limit
    submit(city, place="又一家店", ip="10.9.9.10")  # another client is not affected
    assert PublicReport.objects.count() == limit + 1


def test_reports_older_than_an_hour_do_not_count(city):
    limit = django_settings.FIREGOV["REPORTS_PER_HOUR"]
    earlier = timezone.now() - timedelta(minutes=61)
    for i in range(limit):
        submit(city, place=f"第{i}家店", ip="10.9.9.9", now=earlier)
    submit(city, place="新的一家店", ip="10.9.9.9")
    assert PublicReport.objects.count() == limit + 1


def test_the_rate_limit_through_the_api(city, anon, settings):
    settings.FIREGOV = {**settings.FIREGOV, "REPORTS_PER_HOUR": 2}
    for i in range(2):
        response = anon.post(
            "/api/public/reports/", form(city, place=f"第{i}家店"), format="json", REMOTE_ADDR="10.7.7.7"
        )
        assert response.status_code == 201, response.content
    response = anon.post(
        "/api/public/reports/", form(city, place="第三家店"), format="json", REMOTE_ADDR="10.7.7.7"
    )
    assert response.status_code in (400, 429)
    assert PublicReport.objects.count() == 2
    response = anon.post(
        "/api/public/reports/", form(city, place="第三家店"), format="json", REMOTE_ADDR="10.7.7.8"
    )
    assert response.status_code == 201


def test_the_rate_limit_on_the_page(city, client, settings):
    settings.FIREGOV = {**settings.FIREGOV, "REPORTS_PER_HOUR": 1}
    client.post("/public/report/", form(city, place="第一家店"))
    response = client.post("/public/report/", form(city, place="第二家店"))
    assert response.status_code == 200 and response.context["general"]
    assert str(response.context["general"][0]) in response.content.decode()  # shown on the page
    assert PublicReport.objects.count() == 1


# --------------------------------------------------------------------------- duplicates


@pytest.mark.parametrize(
    "place, address",
    [
        ("薛城宾馆", "临城街道泰山路1号"),
        (" 薛城 宾馆 ", "临城街道，泰山路1号。"),
        ("薛城宾馆！", "临城街道 泰山路 1 号"),
        ("薛城　宾馆", "临城街道-泰山路(1号)"),
    ],
)
def test_a_second_report_of_the_same_place_is_a_duplicate(city, place, address):
    first = submit(city, ip="10.0.0.1")
    second = submit(
        city,
        ip="10.0.0.2",
        place=place,
        address=address,
        category="locked_exit",
        description="另一个人看到的",
    )
    assert second.status == ReportStatus.DUPLICATE and second.duplicate_of == first
    assert second.agency == first.agency
    assert second.check_due is None and not live_check(second).exists()
    assert live_check(first).count() == 1
    third = submit(city, ip="10.0.0.3")
    assert third.duplicate_of == first  # linked to the first, not to the duplicate


def test_the_page_tells_the_reporter_of_a_duplicate(city, client):
    submit(city, ip="10.0.0.1")
    response = client.post("/public/report/", form(city), REMOTE_ADDR="10.0.0.2")
    assert response.status_code == 200
    report = response.context["report"]
    assert report.status == ReportStatus.DUPLICATE and report.tracking_code in response.content.decode()


@pytest.mark.parametrize("change", [{"address": "临城街道泰山路2号"}, {"place": "薛城大酒店"}])
def test_another_place_is_not_a_duplicate(city, change):
    first = submit(city, ip="10.0.0.1")
    other = submit(city, ip="10.0.0.2", **change)
    assert other.duplicate_of is None and other.status == ReportStatus.ASSIGNED and first.status == "assigned"


def test_the_same_name_in_another_area_is_not_a_duplicate(city):
    submit(city, ip="10.0.0.1")
    other = submit(city, region=city.tz_street, ip="10.0.0.2")
    assert other.duplicate_of is None and other.agency == city.tz_brigade


def test_after_the_duplicate_window_a_report_is_new(city):
    hours = django_settings.FIREGOV["REPORT_DUPLICATE_HOURS"]
    old = submit(city, ip="10.0.0.1", now=timezone.now() - timedelta(hours=hours + 1))
    new = submit(city, ip="10.0.0.2")
    assert new.duplicate_of is None and new.status == ReportStatus.ASSIGNED
    inside = submit(city, ip="10.0.0.3", now=timezone.now())
    assert inside.duplicate_of == new
    assert old.duplicate_of is None


def test_a_report_found_invalid_does_not_absorb_new_ones(city):
    first = submit(city, ip="10.0.0.1")
    reports.conclude(city.xuecheng, first, False, "不属实")
    again = submit(city, ip="10.0.0.2")
    assert again.duplicate_of is None and again.status == ReportStatus.ASSIGNED


# --------------------------------------------------------------------------- the check deadline


@pytest.mark.parametrize("category", URGENT)
def test_urgent_categories_are_checked_within_24_hours(city, category):
    now = local(2026, 9, 30, 10, 0)
    report = submit(city, category=category, now=now)
    assert report.urgent
    assert report.check_due == now + timedelta(hours=24)
    deadline = live_check(report).get()
    assert deadline.due_at == report.check_due and deadline.policy.code == "report-check-urgent"


@pytest.mark.parametrize("category", ["extinguisher_missing", "open_flame", "other", ""])
def test_other_reports_are_checked_within_3_working_days(city, category):
    report = submit(city, category=category, now=local(2026, 9, 30, 10, 0))
    assert not report.urgent
    due = timezone.localtime(report.check_due)
    # Oct 1–7 are holidays: Oct 8, Oct 9 and the make-up Saturday Oct 10
    assert due.date() == date(2026, 10, 10) and (due.hour, due.minute) == (23, 59)
    deadline = live_check(report).get()
    assert deadline.due_at == report.check_due and deadline.policy.code == "report-check"


def test_an_ordinary_week(city):
    report = submit(city, category="extinguisher_missing", now=local(2026, 11, 20, 16, 0))  # a Friday
    assert timezone.localtime(report.check_due).date() == date(2026, 11, 25)


def test_the_client_cannot_make_a_report_urgent(city, anon):
    response = anon.post(
        "/api/public/reports/", form(city, category="extinguisher_missing", urgent=True), format="json"
    )
    assert response.status_code == 201
    assert not PublicReport.objects.get().urgent
    response = anon.post(
        "/api/public/reports/", form(city, place="另一家", category="blocked_exit"), format="json"
    )
    assert PublicReport.objects.get(tracking_code=response.json()["tracking_code"]).urgent


# --------------------------------------------------------------------------- triage


def test_the_report_goes_to_the_brigade_of_its_area(city):
    xc = submit(city, region=city.xc_street, ip="10.0.0.1")
    tz = submit(city, region=city.tz_street, ip="10.0.0.2", place="滕州小吃店")
    county = submit(city, region=city.tz, ip="10.0.0.3", place="滕州某商场")
    assert (xc.agency, tz.agency, county.agency) == (city.xc_brigade, city.tz_brigade, city.tz_brigade)
    assert all(r.status == ReportStatus.ASSIGNED for r in (xc, tz, county))
    assert live_check(xc).count() == 1
    notified = set(
        Notification.objects.filter(kind="report.assigned", link=f"/hazards/reports/{xc.pk}/").values_list(
            "recipient__username", flat=True
        )
    )
    assert notified == {"xuecheng", "xc_dd"}


def test_a_report_without_a_brigade_waits_for_triage(city, api_for):
    report = submit(city, region=city.city, place="市中心某商场")
    assert report.status == ReportStatus.RECEIVED and report.agency is None and report.check_due is None
    assert not live_check(report).exists()
    # the county brigade does not see it; the detachment assigns it
    assert api_for(city.xuecheng).get(f"/api/reports/{report.pk}/").status_code == 404
    response = api_for(city.zhidui).post(
        f"/api/reports/{report.pk}/assign/", {"agency": city.tz_brigade.pk}, format="json"
    )
    assert response.status_code == 200, response.content
    report.refresh_from_db()
    assert report.status == ReportStatus.ASSIGNED and report.agency == city.tz_brigade
    assert live_check(report).count() == 1


# --------------------------------------------------------------------------- conclusion


def test_a_valid_report_on_a_unit_becomes_a_hazard(city, api_for, client):
    report = submit(city)
    response = api_for(city.xuecheng).post(
        f"/api/reports/{report.pk}/conclude/",
        {"valid": True, "result": "举报属实，已责令改正。", "unit": city.xc_hotel.pk},
        format="json",
    )
    assert response.status_code == 200, response.content
    report.refresh_from_db()
    assert report.status == ReportStatus.VALID and report.unit == city.xc_hotel and report.answered_at
    hazard = report.hazard
    assert hazard is not None and hazard.source == HazardSource.REPORT
    assert hazard.unit == city.xc_hotel and hazard.category == "blocked_exit"
    assert hazard.description == report.description and hazard.location == report.address
    assert not live_check(report).exists()
    assert Deadline.objects.get(purpose=reports.CHECK, object_id=str(report.pk)).state == "done"
    text = client.get(f"/public/report/track/?code={report.tracking_code}").content.decode()
    assert "举报属实，已责令改正。" in text


def test_a_valid_report_without_a_unit_makes_no_hazard(city):
    report = reports.conclude(city.xuecheng, submit(city), True, "已现场处置。")
    assert report.status == ReportStatus.VALID and report.hazard is None
    assert not Hazard.objects.exists()


def test_an_invalid_report_answers_the_reporter(city, anon):
    report = submit(city)
    reports.conclude(city.xuecheng, report, False, "现场核查未发现问题。")
    body = anon.get(f"/api/public/reports/{report.tracking_code}/").json()
    assert body["status"] == "invalid" and body["result"] == "现场核查未发现问题。"
    assert not Hazard.objects.exists()


def test_a_conclusion_needs_an_answer(city, api_for):
    report = submit(city)
    with pytest.raises(ValidationError):
        reports.conclude(city.xuecheng, report, True, "  ")
    response = api_for(city.xuecheng).post(
        f"/api/reports/{report.pk}/conclude/", {"valid": False}, format="json"
    )
    assert response.status_code == 400
    report.refresh_from_db()
    assert report.status == ReportStatus.ASSIGNED


def test_a_concluded_or_duplicate_report_cannot_be_concluded(city, api_for):
    first = submit(city, ip="10.0.0.1")
    duplicate = submit(city, ip="10.0.0.2")
    api = api_for(city.xuecheng)
    assert (
        api.post(
            f"/api/reports/{duplicate.pk}/conclude/", {"valid": False, "result": "x"}, format="json"
        ).status_code
        == 409
    )
    reports.conclude(city.xuecheng, first, False, "不属实")
    with pytest.raises(TransitionError):
        reports.conclude(city.xuecheng, first, True, "属实")


def test_outsiders_cannot_conclude(city, api_for):
    report = submit(city)
    assert (
        api_for(city.tengzhou)
        .post(f"/api/reports/{report.pk}/conclude/", {"valid": True, "result": "x"}, format="json")
        .status_code
        == 404
    )
    assert api_for(city.danwei).get("/api/reports/").status_code == 404
    assert api_for(city.xc_jiaoyu).get(f"/api/reports/{report.pk}/").status_code == 404
    with pytest.raises(PermissionDenied):
        reports.conclude(city.tengzhou, report, True, "x")
    with pytest.raises(PermissionDenied):
        reports.conclude(city.wangge, report, True, "x")
    report.refresh_from_db()
    assert report.status == ReportStatus.ASSIGNED


def test_staff_may_conclude_from_the_page(city, login):
    report = submit(city)
    client = login(city.xuecheng)
    response = client.post(
        f"/hazards/reports/{report.pk}/action/",
        {
            "action": "confirm",
            "result": "属实，已立案。",
            "unit": city.xc_hotel.pk,
            "category": "locked_exit",
        },
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.VALID and report.hazard.category == "locked_exit"


# --------------------------------------------------------------------------- rewards


def _valid(city, unit=True, **kwargs):
    report = submit(city, **kwargs)
    return reports.conclude(city.xuecheng, report, True, "属实", city.xc_hotel if unit else None)


def test_only_a_confirmed_report_is_rewarded(city, tiers):
    report = submit(city)
    with pytest.raises(TransitionError) as exc:
        reports.award(city.xc_supervisor, report, tiers["general"])
    assert exc.value.code == "not_valid"
    rejected = reports.conclude(city.xuecheng, report, False, "不属实")
    with pytest.raises(TransitionError):
        reports.award(city.xc_supervisor, rejected, tiers["general"])


def test_a_reward_is_granted_once_by_a_leader(city, tiers):
    report = _valid(city)
    with pytest.raises(PermissionDenied):
        reports.award(city.xuecheng, report, tiers["general"])  # an inspector does not grant rewards
    with pytest.raises(PermissionDenied):
        reports.award(city.danwei, report, tiers["general"])
    report = reports.award(city.xc_supervisor, report, tiers["general"])
    assert report.reward_tier == "general" and report.reward_amount == Decimal("100")
    with pytest.raises(TransitionError) as exc:
        reports.award(city.xc_supervisor, report, tiers["urgent"])
    assert exc.value.code == "rewarded"


def test_only_the_first_valid_report_of_a_place_is_rewarded(city, tiers):
    hours = django_settings.FIREGOV["REPORT_DUPLICATE_HOURS"]
    earlier = submit(city, ip="10.0.0.1", now=timezone.now() - timedelta(hours=hours + 24))
    later = submit(city, ip="10.0.0.2", place="薛城 宾馆", address="临城街道，泰山路1号")
    assert later.duplicate_of is None
    reports.conclude(city.xuecheng, earlier, True, "属实", city.xc_hotel)
    reports.conclude(city.xuecheng, later, True, "属实")
    later.refresh_from_db()
    assert not reports.first_valid(later)
    with pytest.raises(TransitionError) as exc:
        reports.award(city.xc_supervisor, later, tiers["general"])
    assert exc.value.code == "not_first"
    earlier.refresh_from_db()
    assert reports.award(city.xc_supervisor, earlier, tiers["urgent"]).reward_tier == "urgent"


def test_a_place_is_rewarded_only_once(city, tiers):
    """The later report of a place is confirmed and rewarded first; the earlier report, confirmed
    afterwards, is then the first valid one but the place has had its reward."""
    hours = django_settings.FIREGOV["REPORT_DUPLICATE_HOURS"]
    earlier = submit(city, ip="10.0.0.1", now=timezone.now() - timedelta(hours=hours + 24))
    later = _valid(city, ip="10.0.0.2")
    assert later.duplicate_of is None
    reports.award(city.xc_supervisor, later, tiers["general"])
    earlier = reports.conclude(city.xuecheng, earlier, True, "属实", city.xc_hotel)
    with pytest.raises((TransitionError, ValidationError)):
        reports.award(city.xc_supervisor, earlier, tiers["general"])
    assert PublicReport.objects.exclude(reward_tier="").count() == 1


def test_an_earlier_invalid_report_does_not_block_the_reward(city, tiers):
    hours = django_settings.FIREGOV["REPORT_DUPLICATE_HOURS"]
    earlier = submit(city, ip="10.0.0.1", now=timezone.now() - timedelta(hours=hours + 24))
    reports.conclude(city.xuecheng, earlier, False, "不属实")
    later = _valid(city, ip="10.0.0.2")
    assert reports.award(city.xc_supervisor, later, tiers["general"]).reward_tier == "general"


def test_the_urgent_tier_needs_an_urgent_report(city, tiers):
    ordinary = _valid(city, category="extinguisher_missing")
    with pytest.raises(ValidationError) as exc:
        reports.award(city.xc_supervisor, ordinary, tiers["urgent"])
    assert "tier" in exc.value.message_dict
    urgent = _valid(city, ip="10.0.0.2", place="另一家宾馆", category="blocked_exit")
    assert reports.award(city.xc_supervisor, urgent, tiers["urgent"]).reward_amount == Decimal("300")


def test_the_major_tier_needs_a_major_hazard(city, tiers):
    report = _valid(city)
    with pytest.raises(ValidationError):
        reports.award(city.xc_supervisor, report, tiers["major"])
    no_hazard = _valid(city, unit=False, ip="10.0.0.2", place="无登记的小店")
    with pytest.raises(ValidationError):
        reports.award(city.xc_supervisor, no_hazard, tiers["major"])
    Hazard.objects.filter(pk=report.hazard_id).update(severity="major")
    assert reports.award(city.xc_supervisor, report, tiers["major"]).reward_amount == Decimal("1000")


def test_payment_needs_a_reference_and_is_recorded_once(city, tiers):
    report = _valid(city)
    with pytest.raises(TransitionError) as exc:
        reports.record_payment(city.xc_supervisor, report, "BANK-1")
    assert exc.value.code == "no_reward"
    reports.award(city.xc_supervisor, report, tiers["general"])
    with pytest.raises(ValidationError):
        reports.record_payment(city.xc_supervisor, report, "  ")
    with pytest.raises(PermissionDenied):
        reports.record_payment(city.xuecheng, report, "BANK-1")
    paid = reports.record_payment(city.xc_supervisor, report, " BANK-2026-001 ")
    assert paid.reward_paid_at is not None and paid.reward_reference == "BANK-2026-001"
    with pytest.raises(TransitionError) as exc:
        reports.record_payment(city.zhidui, report, "BANK-2026-002")
    assert exc.value.code == "paid"
    paid.refresh_from_db()
    assert paid.reward_reference == "BANK-2026-001"


def test_rewards_through_the_api(city, api_for, tiers):
    report = _valid(city)
    leader = api_for(city.xc_supervisor)
    assert (
        api_for(city.xuecheng)
        .post(f"/api/reports/{report.pk}/award/", {"tier": "general"}, format="json")
        .status_code
        == 403
    )
    assert leader.post(f"/api/reports/{report.pk}/award/", {"tier": "nope"}, format="json").status_code == 400
    response = leader.post(f"/api/reports/{report.pk}/award/", {"tier": "general"}, format="json")
    assert response.status_code == 200 and response.json()["reward_tier"] == "general"
    assert (
        leader.post(f"/api/reports/{report.pk}/award/", {"tier": "general"}, format="json").status_code == 409
    )
    assert leader.post(f"/api/reports/{report.pk}/pay/", {"reference": ""}, format="json").status_code == 400
    response = leader.post(f"/api/reports/{report.pk}/pay/", {"reference": "BANK-1"}, format="json")
    assert response.status_code == 200 and response.json()["reward_reference"] == "BANK-1"
    assert (
        leader.post(f"/api/reports/{report.pk}/pay/", {"reference": "BANK-2"}, format="json").status_code
        == 409
    )


# --------------------------------------------------------------------------- staff pages


@pytest.mark.parametrize("who", ["xuecheng", "xc_supervisor", "zhidui", "admin"])
def test_staff_pages_render_for_fire_officers(city, login, who):
    report = submit(city)
    client = login(getattr(city, who))
    assert report.pk in hrefs(client.get("/hazards/reports/").content, "/hazards/reports/")
    detail = client.get(f"/hazards/reports/{report.pk}/")
    assert detail.status_code == 200
    assert PHONE in detail.content.decode()  # staff see the contact data


@pytest.mark.parametrize("who", ["danwei", "xc_jiaoyu", "jiaoyu", "wangge", "jiankong", "nobody"])
def test_staff_pages_are_404_for_roles_without_access(city, login, who):
    report = submit(city)
    client = login(getattr(city, who))
    assert client.get("/hazards/reports/").status_code == 404
    assert client.get(f"/hazards/reports/{report.pk}/").status_code == 404
    assert (
        client.post(f"/hazards/reports/{report.pk}/action/", {"action": "reject", "result": "x"}).status_code
        == 404
    )
    report.refresh_from_db()
    assert report.status == ReportStatus.ASSIGNED


def test_another_county_does_not_see_the_report(city, login):
    report = submit(city)
    client = login(city.tengzhou)
    assert client.get("/hazards/reports/").status_code == 200
    assert report.pk not in hrefs(client.get("/hazards/reports/").content, "/hazards/reports/")
    assert client.get(f"/hazards/reports/{report.pk}/").status_code == 404


def test_the_staff_list_filters_by_status(city, login):
    open_ = submit(city, ip="10.0.0.1")
    closed = reports.conclude(city.xuecheng, submit(city, ip="10.0.0.2", place="别家"), False, "不属实")
    client = login(city.xuecheng)
    assert hrefs(client.get("/hazards/reports/?status=invalid").content, "/hazards/reports/") == {closed.pk}
    assert hrefs(client.get("/hazards/reports/?status=assigned").content, "/hazards/reports/") == {open_.pk}
