"""Publication of random-check results (双随机、一公开): the publish-by date in working days of the
official calendar, publishing, the public page without login, and the overdue filter."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from firegov.core.lifecycle import TransitionError
from firegov.core.models import Deadline
from firegov.inspections import services as inspections
from firegov.inspections.models import Inspection, InspectionKind, InspectionResult
from tests.conftest import make_unit
from tests.inspections.helpers import completed, hrefs, local, open_inspection

# 2026-09-30 is the Wednesday before the National Day / Mid-Autumn holiday (Oct 1–7); Saturday
# Oct 10 is a make-up working day (国办发明电〔2025〕7号, in cn_calendar.json).
BEFORE_NATIONAL_DAY = local(2026, 9, 30, 10, 0)


@pytest.fixture
def frozen(monkeypatch):
    """Freeze the clock the services read (django.utils.timezone.now) at a given moment."""

    def _freeze(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)

    yield _freeze
    monkeypatch.undo()


@pytest.fixture
def workdays(settings):
    def _set(n):
        settings.FIREGOV = {**settings.FIREGOV, "PUBLISH_WORKDAYS": n}

    return _set


def test_publish_due_counts_working_days_across_the_national_day(city, frozen, workdays):
    workdays(3)
    frozen(BEFORE_NATIONAL_DAY)
    done = completed(city, kind=InspectionKind.RANDOM)
    # Oct 1–7 are holidays; Oct 8 (Thu), Oct 9 (Fri), Oct 10 (make-up Saturday)
    assert done.publish_due == date(2026, 10, 10)
    assert timezone.localtime(done.completed_at).date() == date(2026, 9, 30)


def test_publish_due_uses_the_configured_number_of_working_days(city, frozen, workdays):
    workdays(20)
    frozen(BEFORE_NATIONAL_DAY)
    done = completed(city, kind=InspectionKind.RANDOM)
    # 8, 9, 10, 12–16, 19–23, 26–30 October (18 days), 2 and 3 November
    assert done.publish_due == date(2026, 11, 3)


def test_the_default_is_the_setting(city, settings):
    done = completed(city, kind=InspectionKind.RANDOM)
    from firegov.core import worktime

    expected = worktime.add_workdays(
        timezone.localtime(done.completed_at).date(), settings.FIREGOV["PUBLISH_WORKDAYS"]
    )
    assert done.publish_due == expected
    assert done.publish_due > timezone.localdate()


def test_a_publication_deadline_is_registered_and_closed_by_publishing(city, frozen, workdays):
    workdays(3)
    frozen(BEFORE_NATIONAL_DAY)
    done = completed(city, kind=InspectionKind.RANDOM)
    deadline = Deadline.objects.get(purpose=inspections.PUBLISH, object_id=str(done.pk))
    assert deadline.state == "open"
    assert timezone.localtime(deadline.due_at).date() == date(2026, 10, 10)
    published = inspections.publish(city.xuecheng, done)
    assert published.published_at is not None
    deadline.refresh_from_db()
    assert deadline.state == "done"


@pytest.mark.parametrize("kind", ["routine", "complaint", "campaign"])
def test_other_kinds_have_no_publish_date(city, kind):
    done = completed(city, kind=kind)
    assert done.publish_due is None
    assert not Deadline.objects.filter(purpose=inspections.PUBLISH).exists()


# --------------------------------------------------------------------------- publishing


def test_publishing_a_non_random_inspection_is_refused(city, api_for):
    done = completed(city)
    with pytest.raises(TransitionError) as exc:
        inspections.publish(city.xuecheng, done)
    assert exc.value.code == "kind"
    response = api_for(city.xuecheng).post(f"/api/inspections/{done.pk}/publish/")
    assert response.status_code == 409
    done.refresh_from_db()
    assert done.published_at is None


def test_an_open_random_inspection_cannot_be_published(city):
    inspection = open_inspection(city, kind=InspectionKind.RANDOM)
    with pytest.raises(TransitionError):
        inspections.publish(city.xuecheng, inspection)


def test_publishing_twice_is_refused(city, api_for):
    done = completed(city, kind=InspectionKind.RANDOM)
    api = api_for(city.xuecheng)
    response = api.post(f"/api/inspections/{done.pk}/publish/")
    assert response.status_code == 200, response.content
    assert response.json()["published_at"]
    response = api.post(f"/api/inspections/{done.pk}/publish/")
    assert response.status_code == 409 and response.json()["code"] == "published"


def test_only_fire_officers_of_the_jurisdiction_publish(city, api_for):
    done = completed(city, kind=InspectionKind.RANDOM)
    with pytest.raises(PermissionDenied):
        inspections.publish(city.danwei, done)
    with pytest.raises(PermissionDenied):
        inspections.publish(city.tengzhou, done)
    assert api_for(city.tengzhou).post(f"/api/inspections/{done.pk}/publish/").status_code == 404
    done.refresh_from_db()
    assert done.published_at is None


def test_the_published_result_appears_on_the_public_page(city, client, frozen, workdays):
    workdays(3)
    frozen(BEFORE_NATIONAL_DAY)
    shown = completed(city, kind=InspectionKind.RANDOM, fail_count=1)
    hidden_unit = make_unit(city.xc_grid, "未公示的超市", "mall")
    completed(city, unit=hidden_unit, kind=InspectionKind.RANDOM)
    routine_unit = make_unit(city.xc_grid, "日常检查的饭店", "restaurant")
    completed(city, unit=routine_unit)
    frozen(local(2026, 10, 9, 9, 0))
    inspections.publish(city.xuecheng, shown)
    response = client.get("/public/inspections/")  # no login
    assert response.status_code == 200
    page = response.content.decode()
    assert city.xc_hotel.name in page
    assert "2026-09-30" in page
    assert "xuecheng" in page and "xc_dd" in page
    with translation.override("zh-hans"):
        assert str(InspectionResult(shown.result).label) in page
    assert hidden_unit.name not in page
    assert routine_unit.name not in page


def test_nothing_unpublished_appears(city, client):
    completed(city, kind=InspectionKind.RANDOM)
    response = client.get("/public/inspections/")
    assert response.status_code == 200
    assert city.xc_hotel.name not in response.content.decode()


def test_the_public_page_lists_names_of_the_inspectors(city, client):
    city.xuecheng.first_name, city.xuecheng.last_name = "明", "李"
    city.xuecheng.save()
    done = completed(city, kind=InspectionKind.RANDOM)
    inspections.publish(city.xuecheng, done)
    page = client.get("/public/inspections/").content.decode()
    assert city.xuecheng.get_full_name() in page


# --------------------------------------------------------------------------- overdue publication


@pytest.fixture
def publication_cases(city, frozen, workdays):
    """late: random, due 2026-10-10, unpublished (overdue now); published: same but published;
    fresh: random completed now (due in the future); routine: no publication at all."""
    workdays(3)
    frozen(BEFORE_NATIONAL_DAY)
    late = completed(city, kind=InspectionKind.RANDOM)
    published = completed(city, unit=city.xc_school, kind=InspectionKind.RANDOM)
    inspections.publish(city.xuecheng, published)
    return late, published


def test_publication_overdue_filter_lists_overdue_ones(city, api_for, login, publication_cases, monkeypatch):
    monkeypatch.undo()  # back to the real clock: 2026-10-10 is in the past
    late, published = publication_cases
    fresh = completed(city, kind=InspectionKind.RANDOM)
    routine = completed(city)
    assert late.publish_due < timezone.localdate()
    assert Inspection.objects.get(pk=late.pk).publication_overdue
    assert not Inspection.objects.get(pk=fresh.pk).publication_overdue
    api = api_for(city.xuecheng)
    ids = {i["id"] for i in api.get("/api/inspections/?publication_overdue=true").json()["results"]}
    assert ids == {late.pk}
    ids = {i["id"] for i in api.get("/api/inspections/?publication_overdue=false").json()["results"]}
    assert ids == {published.pk, fresh.pk, routine.pk}
    page = login(city.xuecheng).get("/inspections/?publication_overdue=true")
    assert page.status_code == 200
    assert hrefs(page.content, "/inspections/") == {late.pk}


def test_overdue_is_not_shown_to_another_county(city, api_for, publication_cases, monkeypatch):
    monkeypatch.undo()
    response = api_for(city.tengzhou).get("/api/inspections/?publication_overdue=true")
    assert response.status_code == 200 and response.json()["results"] == []


def test_publish_due_is_never_before_completion(city):
    done = completed(city, kind=InspectionKind.RANDOM)
    assert done.publish_due >= timezone.localtime(done.completed_at).date() + timedelta(days=1)
