"""The hazard transition table, role by role and state by state, through the services and the API.

The table-driven tests read HAZARD_TRANSITIONS and try every action as every role from every status:
allowed roles succeed from each source state, other roles are refused (PermissionDenied / 403), and
an action from a status outside its sources is a TransitionError (409 with a JSON ``code``). The
explicit tests below them state expectations independently of the table, so that a wrong table
(rather than wrong code) is caught too.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from firegov.core.lifecycle import (
    ADMIN,
    DEPARTMENT,
    DETACHMENT,
    GRID,
    INSPECTOR,
    MONITORING,
    SUPERVISOR,
    UNIT,
    TransitionError,
)
from firegov.core.scoping import scope
from firegov.hazards import services
from firegov.hazards.lifecycle import ENDS_UNCHECKED, FIRE_OFFICERS, HAZARD_TERMINAL, HAZARD_TRANSITIONS
from firegov.hazards.models import Hazard, HazardStatus
from tests.hazards._support import ROLES, new_hazard, put_in, user_for

ALL_STATES = list(HazardStatus.values)
ACTIONS = sorted(HAZARD_TRANSITIONS)

# Written out by hand (not read from the table): the status each action leads to.
EXPECTED_TARGET = {
    "confirm": "confirmed", "invalidate": "invalid", "correct": "corrected", "order": "ordered",
    "start": "rectifying", "interim": "rectifying", "submit": "submitted", "extend": "rectifying",
    "reinspect": "closed",  # with passed=True
}


def payload(action):
    """What each action needs, as the services take it."""
    future = timezone.localdate() + timedelta(days=10)
    return {
        "confirm": {},
        "invalidate": {"note": "重复录入"},
        "correct": {"note": "当场搬离杂物"},
        "order": {"due": future, "note": "限期改正"},
        "start": {},
        "interim": {"note": "设置临时疏散指示标志"},
        "submit": {"note": "已清理安全出口"},
        "extend": {"due": future + timedelta(days=10), "note": "需采购设备"},
        "reinspect": {"passed": True},
    }[action]


def api_payload(action):
    data = {"action": action, **payload(action)}
    if "due" in data:
        data["due"] = data["due"].isoformat()
    return data


@pytest.fixture
def school(city):
    """The Xuecheng primary school (sector education, region 370403001001), managed by `danwei`:
    every role's user of the city fixture can see its hazards."""
    city.xc_school.managers.add(city.danwei)
    return city.xc_school


def test_every_role_user_sees_the_school_hazard(city, school):
    hazard = new_hazard(city.xuecheng, school)
    for role in ROLES:
        user = user_for(city, role)
        assert scope(user, Hazard.objects.filter(pk=hazard.pk)).exists(), role


def test_table_covers_exactly_the_known_actions_and_states():
    assert set(HAZARD_TRANSITIONS) == set(EXPECTED_TARGET)
    for action, step in HAZARD_TRANSITIONS.items():
        assert step.sources <= set(ALL_STATES), action
        assert step.roles <= set(ROLES), action
        assert step.target in (None, EXPECTED_TARGET[action]), action
        assert not step.sources & HAZARD_TERMINAL, f"{action} starts from a terminal state"


# --------------------------------------------------------------------------- table-driven: services


def ends_an_inspectors_finding(action, role):
    """The matrix's hazards are found by an inspector: outside the fire service nobody may end them
    as corrected on the spot or invalid (see test_who_may_end_a_hazard_unchecked)."""
    return action in ENDS_UNCHECKED and role not in FIRE_OFFICERS


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ACTIONS)
def test_service_transition_for_every_role_and_state(city, school, action, role):
    step = HAZARD_TRANSITIONS[action]
    user = user_for(city, role)
    for state in ALL_STATES:
        hazard = put_in(new_hazard(city.xuecheng, school), state)
        events_before = hazard.events.count()
        if state not in step.sources:
            with pytest.raises(TransitionError) as refused:
                services.transition(user, hazard, action, payload(action))
            assert refused.value.code == "wrong_state", (state, refused.value.code)
        elif role not in step.roles or ends_an_inspectors_finding(action, role):
            with pytest.raises(PermissionDenied) as refused:
                services.transition(user, hazard, action, payload(action))
            assert str(refused.value), f"{state}: a role refusal carries a message (403, not 404)"
        else:
            result = services.transition(user, hazard, action, payload(action))
            assert result.status == EXPECTED_TARGET[action], state
            hazard.refresh_from_db()
            assert hazard.status == EXPECTED_TARGET[action], state
            event = hazard.events.order_by("-id").first()
            assert (event.action, event.from_status, event.to_status, event.actor) == (
                action, state, EXPECTED_TARGET[action], user), state
            continue
        hazard.refresh_from_db()
        assert hazard.status == state, f"a refused {action} changed the status from {state}"
        assert hazard.events.count() == events_before


# --------------------------------------------------------------------------- table-driven: API


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ACTIONS)
def test_api_transition_for_every_role_and_state(city, school, api_for, action, role):
    step = HAZARD_TRANSITIONS[action]
    api = api_for(user_for(city, role))
    for state in ALL_STATES:
        hazard = put_in(new_hazard(city.xuecheng, school), state)
        response = api.post(f"/api/hazards/{hazard.pk}/transition/", api_payload(action), format="json")
        if role == MONITORING:
            # sees the hazards (view) but may change none of them
            expected = 403
        elif state not in step.sources:
            expected = 409
        elif role not in step.roles or ends_an_inspectors_finding(action, role):
            expected = 403
        else:
            expected = 200
        assert response.status_code == expected, (state, response.status_code, response.content)
        if expected == 409:
            assert response.json()["code"] == "wrong_state"
            assert response.json()["detail"]
        if expected == 200:
            assert response.json()["status"] == EXPECTED_TARGET[action]
        else:
            hazard.refresh_from_db()
            assert hazard.status == state


@pytest.mark.parametrize("action", ACTIONS)
def test_an_inspector_of_another_county_gets_404_for_every_action(city, school, api_for, action):
    state = sorted(HAZARD_TRANSITIONS[action].sources)[0]
    hazard = put_in(new_hazard(city.xuecheng, school), state)
    response = api_for(city.tengzhou).post(f"/api/hazards/{hazard.pk}/transition/", api_payload(action),
                                           format="json")
    assert response.status_code == 404
    with pytest.raises(PermissionDenied) as refused:
        services.transition(city.tengzhou, hazard, action, payload(action))
    assert str(refused.value) == ""  # the API turns a message-less refusal into 404
    hazard.refresh_from_db()
    assert hazard.status == state


def test_an_unknown_action_is_refused_with_a_code(city, school, api_for):
    hazard = new_hazard(city.xuecheng, school)
    with pytest.raises(TransitionError) as refused:
        services.transition(city.xuecheng, hazard, "close")
    assert refused.value.code == "unknown_action"
    response = api_for(city.xuecheng).post(f"/api/hazards/{hazard.pk}/transition/", {"action": "close"},
                                           format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "unknown_action"


# --------------------------------------------------------------------------- explicit expectations

# (role, action, status) -> allowed?  Stated by hand; independent of HAZARD_TRANSITIONS.
EXPLICIT = [
    (UNIT, "submit", "ordered", True),
    (UNIT, "submit", "rectifying", True),
    (UNIT, "start", "ordered", True),
    (UNIT, "reinspect", "submitted", False),
    (UNIT, "reinspect", "rectifying", False),
    (UNIT, "order", "confirmed", False),
    (UNIT, "confirm", "reported", False),
    (UNIT, "extend", "ordered", False),
    (UNIT, "correct", "reported", False),  # found by an inspector: see test_who_may_end_a_hazard_unchecked
    (GRID, "correct", "reported", False),
    (GRID, "confirm", "reported", False),
    (GRID, "submit", "ordered", False),
    (GRID, "order", "confirmed", False),
    (DEPARTMENT, "confirm", "reported", True),
    (DEPARTMENT, "invalidate", "confirmed", False),
    (INSPECTOR, "correct", "confirmed", True),
    (INSPECTOR, "invalidate", "confirmed", True),
    (DEPARTMENT, "order", "confirmed", False),
    (DEPARTMENT, "reinspect", "submitted", False),
    (DEPARTMENT, "extend", "rectifying", False),
    (INSPECTOR, "order", "confirmed", True),
    (INSPECTOR, "reinspect", "submitted", True),
    (INSPECTOR, "extend", "ordered", False),
    (SUPERVISOR, "extend", "ordered", True),
    (DETACHMENT, "extend", "rectifying", True),
    (ADMIN, "reinspect", "submitted", True),
    (MONITORING, "confirm", "reported", False),
    (MONITORING, "correct", "reported", False),
    (MONITORING, "submit", "ordered", False),
]


@pytest.mark.parametrize(("role", "action", "state", "ok"), EXPLICIT)
def test_explicit_role_expectations(city, school, role, action, state, ok):
    hazard = put_in(new_hazard(city.xuecheng, school), state)
    user = user_for(city, role)
    if ok:
        assert services.transition(user, hazard, action, payload(action)).status == EXPECTED_TARGET[action]
    else:
        with pytest.raises(PermissionDenied):
            services.transition(user, hazard, action, payload(action))


# finder -> the roles that may end its hazard as corrected on the spot or invalid (stated by hand)
MAY_END_UNCHECKED = {
    INSPECTOR: {ADMIN, DETACHMENT, SUPERVISOR, INSPECTOR},
    GRID: {ADMIN, DETACHMENT, SUPERVISOR, INSPECTOR, DEPARTMENT, GRID, UNIT},
    UNIT: {ADMIN, DETACHMENT, SUPERVISOR, INSPECTOR, DEPARTMENT, GRID, UNIT},
    DEPARTMENT: {ADMIN, DETACHMENT, SUPERVISOR, INSPECTOR, DEPARTMENT, GRID, UNIT},
    None: {ADMIN, DETACHMENT, SUPERVISOR, INSPECTOR},  # fire monitoring, public reports: no finder
}


@pytest.mark.parametrize("finder", list(MAY_END_UNCHECKED), ids=str)
@pytest.mark.parametrize("action", ["correct", "invalidate"])
def test_who_may_end_a_hazard_unchecked(city, school, client, finder, action):
    """A unit manager could mark an inspector's finding "corrected on the spot" and so skip the
    notice and the re-inspection; a department could declare a brigade's finding invalid."""
    for role in ROLES:
        hazard = new_hazard(user_for(city, finder) if finder else city.xuecheng, school)
        if finder is None:
            Hazard.objects.filter(pk=hazard.pk).update(found_by=None)
        put_in(hazard, "reported")
        user = user_for(city, role)
        client.force_login(user)
        offered = f'name="action" value="{action}"' in client.get(f"/hazards/{hazard.pk}/").content.decode()
        if role in MAY_END_UNCHECKED[finder] and role in HAZARD_TRANSITIONS[action].roles:
            assert services.transition(user, hazard, action, payload(action)).status == EXPECTED_TARGET[action]
            assert offered, (role, "the page offers what the service allows")
        else:
            with pytest.raises(PermissionDenied):
                services.transition(user, hazard, action, payload(action))
            hazard.refresh_from_db()
            assert hazard.status == "reported"
            assert not offered, (role, "the page offers no action the service refuses")


@pytest.mark.parametrize("state", ["reported", "confirmed", "closed", "corrected", "invalid"])
def test_no_one_reinspects_what_was_never_ordered_or_is_finished(city, school, state):
    hazard = put_in(new_hazard(city.xuecheng, school), state)
    with pytest.raises(TransitionError):
        services.transition(city.admin, hazard, "reinspect", {"passed": True})


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("state", ["closed", "corrected", "invalid"])
def test_a_finished_hazard_takes_no_action(city, school, api_for, action, state):
    hazard = put_in(new_hazard(city.xuecheng, school), state)
    response = api_for(city.admin).post(f"/api/hazards/{hazard.pk}/transition/", api_payload(action),
                                        format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "wrong_state"


def test_a_unit_manager_submits_but_never_reinspects_via_the_api(city, school, api_for):
    hazard = put_in(new_hazard(city.xuecheng, school), "ordered")
    api = api_for(city.danwei)
    response = api.post(f"/api/hazards/{hazard.pk}/transition/", {"action": "submit", "note": "已整改"},
                        format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "submitted"
    response = api.post(f"/api/hazards/{hazard.pk}/transition/", {"action": "reinspect", "passed": True},
                        format="json")
    assert response.status_code == 403
    hazard.refresh_from_db()
    assert hazard.status == "submitted"


def test_a_unit_manager_sees_only_the_units_it_manages(city, api_for):
    mine = new_hazard(city.xuecheng, city.xc_hotel)
    other = put_in(new_hazard(city.xuecheng, city.xc_school), "ordered")
    api = api_for(city.danwei)
    listed = {h["id"] for h in api.get("/api/hazards/").json()["results"]}
    assert listed == {mine.pk}
    response = api.post(f"/api/hazards/{other.pk}/transition/", {"action": "submit", "note": "x"},
                        format="json")
    assert response.status_code == 404


def test_department_officers_see_only_hazards_of_their_sector(city, api_for):
    hotel = new_hazard(city.xuecheng, city.xc_hotel)            # no department: no sector
    xc_school = new_hazard(city.xuecheng, city.xc_school)      # 薛城区教育和体育局: education
    tz_school = new_hazard(city.tengzhou, city.tz_school)      # 枣庄市教育局: education
    tz_food = new_hazard(city.tengzhou, city.tz_restaurant)    # no sector
    county = {h["id"] for h in api_for(city.xc_jiaoyu).get("/api/hazards/").json()["results"]}
    assert county == {xc_school.pk}
    whole_city = {h["id"] for h in api_for(city.jiaoyu).get("/api/hazards/").json()["results"]}
    assert whole_city == {xc_school.pk, tz_school.pk}
    for officer in (city.xc_jiaoyu, city.jiaoyu):
        api = api_for(officer)
        for hazard in (hotel, tz_food):
            assert api.get(f"/api/hazards/{hazard.pk}/").status_code == 404
            response = api.post(f"/api/hazards/{hazard.pk}/transition/", {"action": "confirm"}, format="json")
            assert response.status_code == 404
    # the county officer does not see the other county's school either
    assert api_for(city.xc_jiaoyu).get(f"/api/hazards/{tz_school.pk}/").status_code == 404
    # a hazard reported in its sector it may confirm
    reported = new_hazard(city.wangge, city.xc_school)
    assert reported.status == "reported"
    response = api_for(city.xc_jiaoyu).post(f"/api/hazards/{reported.pk}/transition/", {"action": "confirm"},
                                            format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "confirmed"


def test_an_inspector_of_another_county_gets_404(city, api_for):
    hazard = new_hazard(city.xuecheng, city.xc_hotel)
    api = api_for(city.tengzhou)
    assert api.get(f"/api/hazards/{hazard.pk}/").status_code == 404
    response = api.post(f"/api/hazards/{hazard.pk}/transition/",
                        {"action": "order", "due": (timezone.localdate() + timedelta(days=5)).isoformat()},
                        format="json")
    assert response.status_code == 404
    assert hazard.pk not in {h["id"] for h in api.get("/api/hazards/").json()["results"]}
    hazard.refresh_from_db()
    assert hazard.status == "confirmed" and hazard.notice is None


def test_a_grid_worker_outside_its_street_gets_404(city, api_for):
    hazard = new_hazard(city.tengzhou, city.tz_school)
    response = api_for(city.wangge).post(f"/api/hazards/{hazard.pk}/transition/", {"action": "correct"},
                                         format="json")
    assert response.status_code == 404


def test_monitoring_operator_sees_but_may_not_act(city, school, api_for):
    hazard = new_hazard(city.xuecheng, school)
    api = api_for(city.jiankong)
    assert api.get(f"/api/hazards/{hazard.pk}/").status_code == 200
    response = api.post(f"/api/hazards/{hazard.pk}/transition/", {"action": "correct"}, format="json")
    assert response.status_code == 403


def test_who_records_a_hazard_decides_whether_it_needs_confirming(city, school):
    assert new_hazard(city.xuecheng, school).status == "confirmed"
    assert new_hazard(city.zhidui, school).status == "confirmed"
    assert new_hazard(city.wangge, school).status == "reported"
    assert new_hazard(city.danwei, school).status == "reported"
    assert new_hazard(city.xc_jiaoyu, school).status == "reported"
    with pytest.raises(PermissionDenied):
        new_hazard(city.jiankong, school)


# --------------------------------------------------------------------------- recording through the API


@pytest.mark.parametrize("who, given, expected", [
    ("xuecheng", None, "inspection"), ("xuecheng", "campaign", "campaign"), ("xc_supervisor", None, "inspection"),
    ("admin", None, "inspection"), ("xc_jiaoyu", None, "inspection"), ("wangge", None, "patrol"),
    ("wangge", "patrol", "patrol"), ("danwei", None, "self"), ("xuecheng", "patrol", "patrol"),
    ("xc_jiaoyu", "patrol", None),
    # A source is a fact of how the hazard was found, not the caller's choice: fire monitoring and public
    # reports make their own hazards, and a grid worker's or a unit's finding cannot pose as an inspection.
    ("xuecheng", "device", None), ("xuecheng", "report", None), ("wangge", "device", None),
    ("wangge", "inspection", None), ("danwei", "inspection", None), ("danwei", "bogus", None),
])
def test_the_api_records_a_hazard_with_the_source_its_finder_may_give(city, api_for, who, given, expected):
    unit = city.xc_school if who == "xc_jiaoyu" else city.xc_hotel  # a unit of the finder's sector
    body = {"unit": unit.pk, "category": "blocked_exit", "description": "安全出口堵塞"}
    if given is not None:
        body["source"] = given
    before = Hazard.objects.count()
    response = api_for(getattr(city, who)).post("/api/hazards/", body, format="json")
    if expected is None:
        assert response.status_code == 400 and "source" in response.json()
        assert Hazard.objects.count() == before
    else:
        assert response.status_code == 201, response.content
        assert Hazard.objects.get(pk=response.json()["id"]).source == expected
        assert response.json()["status"] == ("confirmed" if who in ("xuecheng", "xc_supervisor", "admin")
                                             else "reported")
