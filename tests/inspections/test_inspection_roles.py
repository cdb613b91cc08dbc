"""Every transition of the inspection lifecycle (start, complete, cancel, publish) for every role,
through the API and the page: allowed to the inspection's own team (and the system admin), publish to
fire officers of the area, refused to everyone else with nothing changed; 404 where the inspection
is out of sight."""

from __future__ import annotations

import pytest

from firegov.inspections import services
from firegov.inspections.models import Inspection, InspectionKind
from tests.inspections.helpers import answer_all

# The school (education sector) of 薛城区, inspected by 薛城 inspector and its brigade head.
MEMBERS = {"xuecheng", "xc_supervisor", "admin"}
# Who sees the inspection but is not on its team: the detachment, the education departments of the
# city and the county, the street's grid worker.
SEES = {"zhidui", "jiaoyu", "xc_jiaoyu", "wangge"}
BLIND = {"tengzhou", "danwei", "jiankong", "nobody"}
EVERYONE = sorted(MEMBERS | SEES | BLIND)


def planned(city, kind=InspectionKind.ROUTINE):
    return services.create_inspection(city.xuecheng, city.xc_school, kind,
                                      inspectors=[city.xuecheng, city.xc_supervisor])


def answered(city, kind=InspectionKind.ROUTINE):
    inspection = planned(city, kind)
    answer_all(city.xuecheng, inspection)
    return inspection


def completed_random(city):
    inspection = answered(city, InspectionKind.RANDOM)
    return services.complete(city.xuecheng, inspection, {"signed_by": "王校长"})


def expected_for(who, allowed):
    if who in allowed:
        return 200
    return 404 if who in BLIND else 403


ACTIONS = {
    "start": (planned, {}, MEMBERS, "in_progress"),
    "cancel": (planned, {"note": "单位停业"}, MEMBERS, "cancelled"),
    "complete": (answered, {"signed_by": "王校长"}, MEMBERS, "completed"),
    "publish": (completed_random, {}, {"xuecheng", "xc_supervisor", "admin", "zhidui"}, "completed"),
}


def test_the_groups_are_what_they_say(city, api_for):
    inspection = planned(city)
    for who in EVERYONE:
        status = api_for(getattr(city, who)).get(f"/api/inspections/{inspection.pk}/").status_code
        assert (status == 200) == (who not in BLIND), (who, status)


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("who", EVERYONE)
def test_every_action_for_every_role_in_the_api(city, api_for, action, who):
    make, body, allowed, target = ACTIONS[action]
    inspection = make(city)
    before = Inspection.objects.values().get(pk=inspection.pk)
    response = api_for(getattr(city, who)).post(f"/api/inspections/{inspection.pk}/{action}/", body, format="json")
    expected = expected_for(who, allowed)
    assert response.status_code == expected, (who, action, response.content)
    after = Inspection.objects.values().get(pk=inspection.pk)
    if expected == 200:
        assert after["status"] == target
        if action == "publish":
            assert after["published_at"] is not None
    else:
        assert after == before


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("who", ["xuecheng", "zhidui", "xc_jiaoyu", "tengzhou"])
def test_the_same_on_the_page(city, login, action, who):
    make, body, allowed, target = ACTIONS[action]
    inspection = make(city)
    before = Inspection.objects.values().get(pk=inspection.pk)
    client = login(getattr(city, who))
    if action == "complete":
        response = client.post(f"/inspections/{inspection.pk}/complete/", body)
    else:
        response = client.post(f"/inspections/{inspection.pk}/action/", {"action": action, **body})
    after = Inspection.objects.values().get(pk=inspection.pk)
    expected = expected_for(who, allowed)
    if expected == 404:
        assert response.status_code == 404
    else:
        assert response.status_code in (200, 302)  # a refusal is shown as a message on the page
    assert (after["status"] == target and after != before) == (expected == 200), (who, action)


@pytest.mark.parametrize("action", ["start", "cancel", "complete"])
def test_actions_from_a_finished_state_are_409(city, api_for, action):
    inspection = completed_random(city)
    body = ACTIONS[action][1]
    response = api_for(city.xuecheng).post(f"/api/inspections/{inspection.pk}/{action}/", body, format="json")
    assert response.status_code == 409


def test_publish_is_for_random_checks_only_and_once(city, api_for):
    routine = answered(city)
    services.complete(city.xuecheng, routine, {"signed_by": "王校长"})
    api = api_for(city.xc_supervisor)
    assert api.post(f"/api/inspections/{routine.pk}/publish/").status_code == 409
    random = completed_random(city)
    assert api.post(f"/api/inspections/{random.pk}/publish/").status_code == 200
    assert api.post(f"/api/inspections/{random.pk}/publish/").status_code == 409
