"""The public-report lifecycle (举报投诉) as a matrix: every action of REPORT_TRANSITIONS from every
ReportStatus, as every role, through the services and the API.

- from a status outside an action's sources: TransitionError "wrong_state" (409 with a JSON ``code``
  and ``detail``), and the report row is left as it was;
- from each source status, every fire officer who sees the report takes the action and the report
  reaches the status written out here by hand (EXPECTED_TARGET, not read from the table);
- everyone else is refused and changes nothing: 404 in the API, PermissionDenied in the services.

test_report_checks.py already tries inspect, duplicate, reject, assign, award and pay on an assigned
report as each role that does not see it; here the rest: "confirm", every other status, the services.
"""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import PermissionDenied

from firegov.core.lifecycle import ADMIN, DETACHMENT, INSPECTOR, SUPERVISOR, TransitionError
from firegov.core.models import Deadline
from firegov.core.roles import PERMISSIONS
from firegov.hazards import reports
from firegov.hazards.lifecycle import REPORT_TRANSITIONS
from firegov.hazards.models import Hazard, HazardSource, PublicReport, ReportStatus
from firegov.inspections.models import Inspection, InspectionKind, InspectionStatus
from tests.hazards.test_report_checks import ALLOWED, HIDDEN, team
from tests.hazards.test_reports import live_check, submit, tiers  # noqa: F401 - fixture

STATES = list(ReportStatus.values)
ACTIONS = ["assign", "inspect", "duplicate", "confirm", "reject"]

# Written out by hand (not read from the table): where each action may start and where it leads.
EXPECTED_SOURCES = {
    "assign": {"received", "assigned"},
    "inspect": {"assigned"},
    "duplicate": {"received", "assigned"},
    "confirm": {"assigned"},
    "reject": {"assigned"},
}
EXPECTED_TARGET = {
    "assign": "assigned",
    "inspect": "assigned",  # the report waits for its answer while the inspection runs
    "duplicate": "duplicate",
    "confirm": "valid",
    "reject": "invalid",
}
FIRE_ROLES = {ADMIN, DETACHMENT, SUPERVISOR, INSPECTOR}
# Of HIDDEN, the users whose agency's region holds the report (薛城区临城街道): the services' scope
# lets them reach the row, so their refusal is by role (a message, 403); the others' is by scope
# (no message: the API's 404).
IN_REGION = {"jiaoyu", "xc_jiaoyu", "wangge", "jiankong"}

WRONG_STATE = [(a, s) for a in ACTIONS for s in STATES if s not in EXPECTED_SOURCES[a]]
ALLOWED_STEPS = [(a, s, who) for a in ACTIONS for s in sorted(EXPECTED_SOURCES[a]) for who in ALLOWED]
RESULT = {"confirm": "举报属实，已责令改正。", "reject": "经核查，安全出口畅通。"}

_numbers = itertools.count(1)


def fresh(city):
    """An assigned report (the Xuecheng brigade's) of a place of its own, from a connection of its
    own: no automatic duplicate, no rate limit."""
    n = next(_numbers)
    return submit(city, ip=f"10.8.{n // 200}.{n % 200 + 1}", place=f"举报场所{n}", address=f"泰山路{n}号")


def report_in(city, status, original):
    """A report of the Xuecheng street in ``status``: through the services where they lead there,
    "received" (no brigade yet, no check running) by a direct update."""
    report = fresh(city)
    if status == ReportStatus.RECEIVED:
        PublicReport.objects.filter(pk=report.pk).update(status=status, agency=None, triaged_at=None,
                                                         check_due=None)
        Deadline.objects.filter(purpose=reports.CHECK, object_id=str(report.pk)).delete()
    elif status == ReportStatus.VALID:
        reports.conclude(city.xuecheng, report, True, "属实")
    elif status == ReportStatus.INVALID:
        reports.conclude(city.xuecheng, report, False, "不属实")
    elif status == ReportStatus.DUPLICATE:
        reports.mark_duplicate(city.xuecheng, report, original)
    report.refresh_from_db()
    assert report.status == status
    return report


def take(action, user, report, city, original):
    """The action through its service."""
    if action == "assign":
        return reports.assign(user, report, city.xc_brigade)
    if action == "inspect":
        return reports.open_inspection(user, report, city.xc_hotel, [city.xuecheng, city.xc_supervisor])
    if action == "duplicate":
        return reports.mark_duplicate(user, report, original)
    return reports.conclude(user, report, action == "confirm", RESULT[action], city.xc_hotel)


def post(api, action, report, city, original):
    """The action through the API."""
    path, body = {
        "assign": ("assign", {"agency": city.xc_brigade.pk}),
        "inspect": ("inspect", {"unit": city.xc_hotel.pk, "inspectors": team(city)}),
        "duplicate": ("duplicate", {"duplicate_of": original.pk}),
        "confirm": ("conclude", {"valid": True, "result": RESULT["confirm"], "unit": city.xc_hotel.pk}),
        "reject": ("conclude", {"valid": False, "result": RESULT["reject"], "unit": city.xc_hotel.pk}),
    }[action]
    return api.post(f"/api/reports/{report.pk}/{path}/", body, format="json")


def snapshot(report):
    """Everything a refused action must leave alone."""
    return (PublicReport.objects.values().get(pk=report.pk), Inspection.objects.count(),
            Hazard.objects.count(), list(live_check(report).values("pk", "due_at")))


def assert_taken(action, report, city, original, user, hazards_before):
    report.refresh_from_db()
    assert report.status == EXPECTED_TARGET[action]
    if action == "assign":
        assert report.agency == city.xc_brigade and report.triaged_at and report.check_due
        assert live_check(report).get().due_at == report.check_due
    elif action == "inspect":
        inspection = report.inspection
        assert inspection.kind == InspectionKind.COMPLAINT and inspection.status == InspectionStatus.PLANNED
        assert inspection.unit == city.xc_hotel == report.unit
        assert live_check(report).count() == 1  # opening the inspection is not the check
    elif action == "duplicate":
        assert report.duplicate_of == original and not live_check(report).exists()
    else:
        assert report.result == RESULT[action] and report.answered_at and not live_check(report).exists()
        if action == "confirm":  # a registered unit: the report becomes a hazard in the ledger
            hazard = report.hazard
            assert Hazard.objects.count() == hazards_before + 1 and hazard.unit == city.xc_hotel
            assert (hazard.source, hazard.found_by, hazard.category) == (HazardSource.REPORT, user, "blocked_exit")
            return
        assert report.hazard is None
    assert Hazard.objects.count() == hazards_before


# --------------------------------------------------------------------------- the table itself


def test_the_table_is_the_one_stated_here():
    assert set(STATES) == {"received", "assigned", "valid", "invalid", "duplicate"}
    assert sorted(REPORT_TRANSITIONS) == sorted(ACTIONS)
    for action, step in REPORT_TRANSITIONS.items():
        assert (step.sources, step.target, step.roles) == (
            EXPECTED_SOURCES[action], EXPECTED_TARGET[action], FIRE_ROLES), action


def test_whoever_sees_reports_may_take_every_step():
    """The API shows reports to the fire roles only, and each of them may take every step: there is no
    role that sees a report and is refused an action for its role (403). The rewards are for leaders:
    see test_report_checks.test_rewards_and_payments_are_for_leaders."""
    assert PERMISSIONS["hazards.report"]["view"] == FIRE_ROLES
    assert all(step.roles == FIRE_ROLES for step in REPORT_TRANSITIONS.values())


def test_the_matrix_users_are_the_fire_roles_and_the_rest(city):
    assert {getattr(city, who).role for who in ALLOWED} == FIRE_ROLES
    # the only fire officer among the others is of another county
    assert {who for who in HIDDEN if getattr(city, who).role in FIRE_ROLES} == {"tengzhou"}
    assert city.tengzhou.agency == city.tz_brigade


# --------------------------------------------------------------------------- wrong state: 409, nothing changes


@pytest.mark.parametrize(("action", "status"), WRONG_STATE)
def test_an_action_from_a_status_outside_its_sources_is_refused(city, api_for, action, status):
    original = fresh(city)
    report = report_in(city, status, original)
    before = snapshot(report)
    for who in ALLOWED:
        user = getattr(city, who)
        with pytest.raises(TransitionError) as refused:
            take(action, user, report, city, original)
        assert refused.value.code == "wrong_state", (who, refused.value.code)
        assert snapshot(report) == before, who
        response = post(api_for(user), action, report, city, original)
        assert response.status_code == 409, (who, response.status_code, response.content)
        assert response.json()["code"] == "wrong_state" and response.json()["detail"], who
        assert snapshot(report) == before, who


# --------------------------------------------------------------------------- each fire officer, each source


@pytest.mark.parametrize(("action", "status", "who"), ALLOWED_STEPS)
def test_a_fire_officer_takes_the_action_from_each_source(city, api_for, action, status, who):
    user = getattr(city, who)
    original = fresh(city)
    by_service = report_in(city, status, original)
    hazards = Hazard.objects.count()
    assert take(action, user, by_service, city, original).status == EXPECTED_TARGET[action]
    assert_taken(action, by_service, city, original, user, hazards)
    by_api = report_in(city, status, original)
    hazards = Hazard.objects.count()
    response = post(api_for(user), action, by_api, city, original)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == EXPECTED_TARGET[action]
    assert_taken(action, by_api, city, original, user, hazards)


# --------------------------------------------------------------------------- everyone else


@pytest.mark.parametrize("action", ACTIONS)
def test_the_services_refuse_everyone_else_and_change_nothing(city, action):
    """In every status: a refusal by role that named the status ("not possible while …") would tell
    a department officer of the area what became of the report."""
    original = fresh(city)
    for status in STATES:
        report = report_in(city, status, original)
        before = snapshot(report)
        for who in HIDDEN:
            with pytest.raises(PermissionDenied) as refused:
                take(action, getattr(city, who), report, city, original)
            # a message is a refusal for the role (403), none one for the jurisdiction (404)
            assert bool(str(refused.value)) == (who in IN_REGION), (status, who, str(refused.value))
            assert snapshot(report) == before, (status, who)


def hidden_cases():
    """test_report_checks covers every action but "confirm" on an assigned report."""
    return [(a, s) for a in ACTIONS for s in STATES if s != ReportStatus.ASSIGNED or a == "confirm"]


@pytest.mark.parametrize(("action", "status"), hidden_cases())
def test_the_api_answers_404_to_everyone_else_in_every_status(city, api_for, action, status):
    original = fresh(city)
    report = report_in(city, status, original)
    before = snapshot(report)
    for who in HIDDEN:
        response = post(api_for(getattr(city, who)), action, report, city, original)
        assert response.status_code == 404, (who, response.status_code, response.content)
        assert snapshot(report) == before, who


# --------------------------------------------------------------------------- the reward steps


@pytest.mark.parametrize("status", [s for s in STATES if s != ReportStatus.VALID])
def test_only_a_confirmed_report_is_rewarded_whatever_its_status(city, api_for, tiers, status):  # noqa: F811
    original = fresh(city)
    report = report_in(city, status, original)
    before = snapshot(report)
    api = api_for(city.xc_supervisor)
    response = api.post(f"/api/reports/{report.pk}/award/", {"tier": "general"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "not_valid"
    response = api.post(f"/api/reports/{report.pk}/pay/", {"reference": "B-1"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "no_reward"
    assert snapshot(report) == before
