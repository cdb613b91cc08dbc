"""Opening an inspection: who may open each kind, the law-enforcement inspectors (at least two active
fire officers whose jurisdiction covers the unit), self and expert inspections, and the checklist that
fits the place."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from firegov.core.models import Role
from firegov.inspections import services as inspections
from firegov.inspections.models import Inspection, InspectionKind, InspectionStatus
from firegov.kernels import checklists
from tests.conftest import make_unit
from tests.inspections.helpers import officer, open_inspection

LAW = ["random", "routine", "complaint", "reinspection", "joint", "campaign"]


def _attempt(city, user, unit, kind):
    """Open ``kind`` as ``user`` with whatever else the kind needs (two officers, experts)."""
    inspectors = [city.xuecheng, city.xc_supervisor] if kind in LAW else ()
    experts = "王工,李工" if kind == "expert" else ""
    agencies = [city.xc_edu] if kind == "joint" else ()
    return inspections.create_inspection(user, unit, kind, inspectors=inspectors, experts=experts, agencies=agencies)


# role (city attribute) -> kinds it may open, on a unit it can see
ALLOWED = {
    "admin": {"random", "routine", "complaint", "reinspection", "campaign", "joint", "expert", "patrol"},
    "zhidui": {"random", "routine", "complaint", "reinspection", "campaign", "joint", "expert", "patrol"},
    "xc_supervisor": {
        "random",
        "routine",
        "complaint",
        "reinspection",
        "campaign",
        "joint",
        "expert",
        "patrol",
    },
    "xuecheng": {"random", "routine", "complaint", "reinspection", "campaign", "joint", "patrol"},
    "xc_jiaoyu": {"joint", "expert"},
    "wangge": {"patrol"},
    "danwei": {"self"},
}
ALL_KINDS = [k for k, _label in InspectionKind.choices]


@pytest.mark.parametrize("who", sorted(ALLOWED))
@pytest.mark.parametrize("kind", ALL_KINDS)
def test_who_may_open_each_kind(city, who, kind):
    user = getattr(city, who)
    # a unit every one of these users can see: the hotel (grid of 薛城); the education officer sees
    # only schools of the education sector
    unit = city.xc_school if who == "xc_jiaoyu" else city.xc_hotel
    if kind in ALLOWED[who]:
        inspection = _attempt(city, user, unit, kind)
        assert inspection.kind == kind and inspection.status == InspectionStatus.PLANNED
        assert inspection.created_by == user
    else:
        with pytest.raises(PermissionDenied):
            _attempt(city, user, unit, kind)
        assert not Inspection.objects.exists()


def test_the_table_matches_the_service_constant(city):
    """KIND_ROLES is the single source: each role's kinds as tested above."""
    role_kinds = {}
    for kind, roles in inspections.KIND_ROLES.items():
        for role in roles:
            role_kinds.setdefault(role, set()).add(kind)
    assert role_kinds[Role.GRID_WORKER] == {"patrol"}
    assert role_kinds[Role.UNIT_MANAGER] == {"self"}
    assert role_kinds[Role.DEPARTMENT_OFFICER] == {"joint", "expert"}
    assert "expert" not in role_kinds[Role.INSPECTOR]
    assert Role.MONITORING_OPERATOR not in role_kinds


def test_a_monitoring_operator_opens_nothing(city):
    for kind in ALL_KINDS:
        with pytest.raises(PermissionDenied):
            _attempt(city, city.jiankong, city.xc_hotel, kind)


def test_an_unknown_kind_is_refused(city):
    with pytest.raises(ValidationError) as exc:
        inspections.create_inspection(
            city.xuecheng, city.xc_hotel, "surprise", inspectors=[city.xuecheng, city.xc_supervisor]
        )
    assert "kind" in exc.value.message_dict


def test_a_unit_outside_the_jurisdiction_is_refused(city):
    with pytest.raises(PermissionDenied):
        open_inspection(city, city.tz_school)
    assert not Inspection.objects.exists()


# --------------------------------------------------------------------------- law-enforcement inspectors


@pytest.mark.parametrize("kind", LAW)
def test_law_enforcement_needs_two_inspectors(city, kind):
    with pytest.raises(ValidationError) as exc:
        inspections.create_inspection(city.xuecheng, city.xc_hotel, kind, inspectors=[city.xuecheng])
    assert "inspectors" in exc.value.message_dict
    with pytest.raises(ValidationError):  # nobody named: the opener alone
        inspections.create_inspection(city.xuecheng, city.xc_hotel, kind)
    assert not Inspection.objects.exists()


def test_the_same_inspector_twice_counts_once(city):
    with pytest.raises(ValidationError) as exc:
        inspections.create_inspection(
            city.xuecheng, city.xc_hotel, "routine", inspectors=[city.xuecheng, city.xuecheng]
        )
    assert "inspectors" in exc.value.message_dict


def test_an_inspector_of_another_county_is_refused(city):
    with pytest.raises(ValidationError) as exc:
        inspections.create_inspection(
            city.xuecheng, city.xc_hotel, "routine", inspectors=[city.xuecheng, city.tengzhou]
        )
    assert "inspectors" in exc.value.message_dict
    assert "tengzhou" in " ".join(exc.value.message_dict["inspectors"])
    assert not Inspection.objects.exists()


@pytest.mark.parametrize("other", ["wangge", "xc_jiaoyu", "danwei", "jiankong"])
def test_a_non_fire_officer_as_inspector_is_refused(city, other):
    with pytest.raises(ValidationError) as exc:
        inspections.create_inspection(
            city.xuecheng, city.xc_hotel, "routine", inspectors=[city.xuecheng, getattr(city, other)]
        )
    assert "inspectors" in exc.value.message_dict


def test_an_inactive_officer_is_refused(city):
    retired = officer(city, "xc_retired", is_active=False)
    with pytest.raises(ValidationError):
        inspections.create_inspection(
            city.xuecheng, city.xc_hotel, "routine", inspectors=[city.xuecheng, retired]
        )


def test_two_officers_of_the_jurisdiction_are_enough(city):
    # the detachment covers the whole city, so its officer may join a county inspection
    inspection = inspections.create_inspection(
        city.xuecheng, city.xc_hotel, "random", inspectors=[city.xuecheng, city.zhidui]
    )
    assert set(inspection.inspectors.all()) == {city.xuecheng, city.zhidui}
    assert inspection.agency == city.xc_brigade


def test_a_joint_inspection_by_a_department_still_needs_two_fire_officers(city):
    with pytest.raises(ValidationError):
        inspections.create_inspection(city.xc_jiaoyu, city.xc_school, "joint")
    inspection = inspections.create_inspection(
        city.xc_jiaoyu,
        city.xc_school,
        "joint",
        inspectors=[city.xuecheng, city.xc_supervisor],
        agencies=[city.xc_brigade],
    )
    assert inspection.is_law_enforcement
    assert list(inspection.agencies.all()) == [city.xc_brigade]


def test_a_joint_inspection_needs_a_second_agency(city):
    """联合检查 is several agencies together: two inspectors of one brigade are a routine inspection."""
    with pytest.raises(ValidationError) as exc:
        inspections.create_inspection(city.xuecheng, city.xc_school, "joint",
                                      inspectors=[city.xuecheng, city.xc_supervisor])
    assert "agencies" in exc.value.message_dict
    assert not Inspection.objects.exists()
    named = inspections.create_inspection(city.xuecheng, city.xc_school, "joint",
                                          inspectors=[city.xuecheng, city.xc_supervisor], agencies=[city.xc_edu])
    assert list(named.agencies.all()) == [city.xc_edu]
    # an officer of another agency in the team makes it joint as well
    assert inspections.create_inspection(city.xuecheng, city.xc_school, "joint",
                                         inspectors=[city.xuecheng, city.zhidui]).kind == "joint"


def test_a_patrol_needs_no_second_inspector(city):
    inspection = inspections.create_inspection(city.wangge, city.xc_hotel, "patrol")
    assert list(inspection.inspectors.all()) == [city.wangge]
    assert not inspection.is_law_enforcement


# --------------------------------------------------------------------------- self and expert inspections


def test_a_grid_worker_patrols_only_in_the_street(city):
    with pytest.raises(PermissionDenied):
        inspections.create_inspection(city.wangge, city.tz_restaurant, "patrol")


def test_self_inspection_only_by_a_manager_of_that_unit(city):
    inspection = inspections.create_inspection(city.danwei, city.xc_hotel, "self")
    assert list(inspection.inspectors.all()) == [city.danwei]
    other = make_unit(city.xc_grid, "别家超市", "mall")
    with pytest.raises(PermissionDenied):
        inspections.create_inspection(city.danwei, other, "self")
    # a fire officer who sees the unit is not its manager
    with pytest.raises(PermissionDenied):
        inspections.create_inspection(city.xuecheng, city.xc_hotel, "self")
    with pytest.raises(PermissionDenied):
        inspections.create_inspection(city.admin, city.xc_hotel, "self")


def test_a_unit_manager_may_open_only_self_inspections(city):
    with pytest.raises(PermissionDenied):
        inspections.create_inspection(
            city.danwei, city.xc_hotel, "routine", inspectors=[city.xuecheng, city.xc_supervisor]
        )


def test_an_expert_inspection_needs_experts(city):
    with pytest.raises(ValidationError) as exc:
        inspections.create_inspection(city.xc_supervisor, city.xc_hotel, "expert")
    assert "experts" in exc.value.message_dict
    with pytest.raises(ValidationError):
        inspections.create_inspection(city.xc_supervisor, city.xc_hotel, "expert", experts="  ")
    inspection = inspections.create_inspection(
        city.xc_supervisor, city.xc_hotel, "expert", experts=" 王工,李工 "
    )
    assert inspection.experts == "王工,李工"


# --------------------------------------------------------------------------- the checklist


@pytest.mark.parametrize(
    "place_type, expected",
    [
        ("hotel", "crowded_place"),
        ("restaurant", "crowded_place"),
        ("mall", "crowded_place"),
        ("warehouse", "warehouse"),
        ("fuel_station", "hazmat"),
        ("small_place", "nine_small"),
        ("three_in_one", "three_in_one"),
        ("residential_highrise", "highrise_residential"),
        ("ebike_charging", "ebike_charging"),
        ("office", "general"),
    ],
)
def test_the_checklist_fits_the_place_type(city, place_type, expected):
    unit = make_unit(city.xc_grid, f"测试{place_type}", place_type)
    inspection = open_inspection(city, unit)
    assert inspection.checklist == expected
    template = checklists.template(expected)
    assert inspection.checklist_version == str(template.version)
    rows = list(inspection.answers.all())
    assert [a.item for a in rows] == [i.code for i in template.items]
    assert [a.photo_required for a in rows] == [i.photo_required_on_fail for i in template.items]
    assert [a.hazard_category for a in rows] == [i.hazard_category for i in template.items]
    assert all(not a.result for a in rows)


def test_the_hotel_of_the_city_gets_the_crowded_place_template(city):
    assert open_inspection(city).checklist == "crowded_place"


def test_patrols_and_self_inspections_use_their_templates(city):
    office = make_unit(city.xc_grid, "某办公楼", "office")
    office.managers.add(city.danwei)
    assert inspections.create_inspection(city.wangge, office, "patrol").checklist == "grid_patrol"
    assert inspections.create_inspection(city.danwei, office, "self").checklist == "unit_self_inspection"


def test_a_named_checklist_is_used_and_an_unknown_one_refused(city):
    inspection = open_inspection(city, checklist="fire_lane")
    assert inspection.checklist == "fire_lane"
    assert inspection.answers.count() == len(checklists.template("fire_lane").items)
    with pytest.raises(ValidationError) as exc:
        open_inspection(city, checklist="no_such_list")
    assert "checklist" in exc.value.message_dict


# --------------------------------------------------------------------------- the API


def test_api_opens_an_inspection(city, api_for):
    response = api_for(city.xuecheng).post(
        "/api/inspections/",
        {
            "unit": city.xc_hotel.pk,
            "kind": "routine",
            "inspectors": [city.xuecheng.pk, city.xc_supervisor.pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["checklist"] == "crowded_place" and body["status"] == "planned"
    assert sorted(body["inspectors"]) == sorted([city.xuecheng.pk, city.xc_supervisor.pk])
    assert len(body["answers"]) == len(checklists.template("crowded_place").items)


def test_api_refuses_one_inspector_with_400(city, api_for):
    response = api_for(city.xuecheng).post(
        "/api/inspections/",
        {"unit": city.xc_hotel.pk, "kind": "routine", "inspectors": [city.xuecheng.pk]},
        format="json",
    )
    assert response.status_code == 400
    assert "inspectors" in response.json()
    assert not Inspection.objects.exists()


def test_api_refuses_a_kind_the_role_may_not_open_with_403(city, api_for):
    response = api_for(city.xuecheng).post(
        "/api/inspections/", {"unit": city.xc_hotel.pk, "kind": "expert", "experts": "王工"}, format="json"
    )
    assert response.status_code == 403


def test_api_unknown_inspector_and_unit_outside_the_jurisdiction(city, api_for):
    api = api_for(city.xuecheng)
    response = api.post(
        "/api/inspections/",
        {"unit": city.xc_hotel.pk, "kind": "routine", "inspectors": [city.xuecheng.pk, 987654]},
        format="json",
    )
    assert response.status_code == 400
    response = api.post(
        "/api/inspections/",
        {
            "unit": city.tz_school.pk,
            "kind": "routine",
            "inspectors": [city.xuecheng.pk, city.xc_supervisor.pk],
        },
        format="json",
    )
    assert response.status_code == 404
    assert not Inspection.objects.exists()


def test_api_monitoring_operator_gets_404(city, api_for):
    response = api_for(city.jiankong).post(
        "/api/inspections/", {"unit": city.xc_hotel.pk, "kind": "patrol"}, format="json"
    )
    assert response.status_code == 404
