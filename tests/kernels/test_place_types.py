"""Tests for the place-type table and attribute validation (no Django)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firegov.kernels.place_types import (
    ATTRIBUTES,
    FLAGS,
    PLACE_TYPES,
    AttributeValueError,
    get_place_type,
    small_place_equivalent,
    validate_attributes,
)

# The contract from reference/place_types.md, in its order. Never rename a code.
SHARED_CODES = [
    "mall", "bazaar", "hotel", "restaurant", "entertainment", "sports_venue", "auditorium",
    "commercial_complex", "transport_hub", "hospital", "elderly_care", "welfare_home", "school",
    "kindergarten", "library", "exhibition", "museum", "archive", "heritage", "religious", "scenic_area",
    "government", "broadcast_telecom", "power", "research", "underground_public", "hazmat_production",
    "hazmat_filling", "hazmat_storage", "hazmat_transport", "fuel_station", "hazmat_retail", "chemical_park",
    "labor_intensive", "factory", "warehouse", "grain_depot", "cotton_depot", "timber_yard", "office",
    "residential_highrise", "residential_community", "self_built_commercial", "rental_housing", "small_place",
    "three_in_one", "multi_use", "construction_site", "ebike_charging", "other",
]  # fmt: skip

SHARED_ATTRIBUTES = {
    "building_area_m2": "number", "building_height_m": "number", "floors_above": "int", "floors_below": "int",
    "underground_business": "bool", "sells_combustible_goods": "bool", "guest_rooms": "int",
    "inpatient_beds": "int", "care_beds": "int", "student_boarding_beds": "int", "child_boarding_beds": "int",
    "seats": "int", "waiting_hall_area_m2": "number", "workshop_staff": "int", "employees": "int",
    "admin_level": "enum", "heritage_level": "enum", "grain_storage_t": "number",
    "cotton_storage_t": "number", "timber_storage_m3": "number", "stored_value_cny": "number",
    "hazard_class": "enum", "built_year": "year", "key_project_site": "bool",
    "national_grain_reserve": "bool",
}  # fmt: skip

PUBLIC_GATHERING = {
    "mall", "bazaar", "hotel", "restaurant", "entertainment", "sports_venue", "auditorium",
    "commercial_complex", "transport_hub",
}  # fmt: skip
CROWDED_ONLY = {
    "hospital", "elderly_care", "welfare_home", "school", "kindergarten", "library", "exhibition", "museum",
    "religious", "scenic_area", "labor_intensive",
}  # fmt: skip
HAZMAT = {"hazmat_production", "hazmat_filling", "hazmat_storage", "fuel_station", "hazmat_retail"}
CHEMICAL = HAZMAT | {"hazmat_transport", "chemical_park"}


# --------------------------------------------------------------------------- the table


def test_every_shared_code_is_present_in_order():
    assert list(PLACE_TYPES)[: len(SHARED_CODES)] == SHARED_CODES


def test_every_place_type_has_names():
    for pt in PLACE_TYPES.values():
        assert pt.zh and pt.en, pt.code


@pytest.mark.parametrize("name,kind", sorted(SHARED_ATTRIBUTES.items()))
def test_shared_attributes_have_expected_type(name, kind):
    attr = ATTRIBUTES[name]
    assert attr.type == kind
    assert attr.zh and attr.en
    assert not attr.added


def test_added_attributes_are_marked_and_documented():
    added = {name for name, attr in ATTRIBUTES.items() if attr.added}
    assert added == set(ATTRIBUTES) - set(SHARED_ATTRIBUTES)
    assert {"small_place_subtype", "government_kind", "airport", "distinct_functions"} <= added
    for name in added:
        assert ATTRIBUTES[name].zh and ATTRIBUTES[name].en


def test_units_for_measures():
    assert ATTRIBUTES["building_area_m2"].unit == "m²"
    assert ATTRIBUTES["building_height_m"].unit == "m"
    assert ATTRIBUTES["grain_storage_t"].unit == "t"
    assert ATTRIBUTES["timber_storage_m3"].unit == "m³"
    assert ATTRIBUTES["guest_rooms"].unit == ""


def test_ordered_enums_rank_upwards():
    admin = ATTRIBUTES["admin_level"]
    assert admin.ordered
    assert admin.rank("township") < admin.rank("county") < admin.rank("city") < admin.rank("province")
    assert admin.rank("province") < admin.rank("national")
    heritage = ATTRIBUTES["heritage_level"]
    assert heritage.rank("none") < heritage.rank("county") < heritage.rank("national")
    hazard = ATTRIBUTES["hazard_class"]
    assert hazard.rank("戊") < hazard.rank("丙") < hazard.rank("甲")


@pytest.mark.parametrize("code", SHARED_CODES)
def test_public_gathering_and_crowded_flags(code):
    pt = get_place_type(code)
    assert pt.public_gathering == (code in PUBLIC_GATHERING)
    assert pt.crowded == (code in PUBLIC_GATHERING | CROWDED_ONLY)
    assert pt.hazmat == (code in HAZMAT)
    assert pt.chemical == (code in CHEMICAL)
    assert pt.nine_small == (code == "small_place")
    assert pt.three_in_one == (code == "three_in_one")


def test_flags_carry_a_clause():
    assert FLAGS["public_gathering"].clause.startswith("《消防法》第七十三条")
    assert FLAGS["crowded"].clause.startswith("《消防法》第七十三条")
    assert "3.6" in FLAGS["important_place"].clause
    for pt in PLACE_TYPES.values():
        for flag, clause in pt.flags.items():
            assert flag in FLAGS
            assert clause
            assert pt.clause(flag) == clause


def test_important_places():
    important = {code for code, pt in PLACE_TYPES.items() if pt.important_place}
    assert {"government", "broadcast_telecom", "power", "underground_public", "museum"} <= important
    assert "mall" not in important
    assert not FLAGS["important_place"].verified


def test_residential_flag():
    residential = {code for code, pt in PLACE_TYPES.items() if pt.residential}
    assert residential == {
        "residential_highrise",
        "residential_community",
        "self_built_commercial",
        "rental_housing",
    }


def test_get_place_type_unknown():
    assert get_place_type("hotel").zh == "宾馆、饭店、旅馆"
    with pytest.raises(KeyError):
        get_place_type("zoo")
    with pytest.raises(KeyError):
        get_place_type(["hotel"])  # type: ignore[arg-type]


def test_tables_are_read_only():
    with pytest.raises(TypeError):
        PLACE_TYPES["zoo"] = PLACE_TYPES["other"]  # type: ignore[index]
    with pytest.raises(TypeError):
        ATTRIBUTES["x"] = ATTRIBUTES["seats"]  # type: ignore[index]


def test_small_place_subtypes_map_to_full_types():
    assert small_place_equivalent({"small_place_subtype": "hotel"}).code == "hotel"
    assert small_place_equivalent({"small_place_subtype": "shop"}).code == "mall"
    assert small_place_equivalent({"small_place_subtype": "internet_cafe"}).code == "entertainment"
    assert small_place_equivalent({"small_place_subtype": "workshop"}).code == "factory"
    assert small_place_equivalent({}) is None


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "attrs,expected",
    [
        ({"guest_rooms": "12"}, {"guest_rooms": 12}),
        ({"guest_rooms": 12.0}, {"guest_rooms": 12}),
        ({"guest_rooms": " 12 "}, {"guest_rooms": 12}),
        ({"guest_rooms": "１２"}, {"guest_rooms": 12}),
        ({"building_area_m2": "12"}, {"building_area_m2": 12}),
        ({"building_area_m2": "1,000.5"}, {"building_area_m2": 1000.5}),
        ({"building_area_m2": 0}, {"building_area_m2": 0}),
        ({"building_height_m": 24.1}, {"building_height_m": 24.1}),
        ({"underground_business": "true"}, {"underground_business": True}),
        ({"underground_business": "是"}, {"underground_business": True}),
        ({"underground_business": 1}, {"underground_business": True}),
        ({"underground_business": "Yes"}, {"underground_business": True}),
        ({"underground_business": "否"}, {"underground_business": False}),
        ({"underground_business": 0}, {"underground_business": False}),
        ({"underground_business": "false"}, {"underground_business": False}),
        ({"admin_level": "county"}, {"admin_level": "county"}),
        ({"admin_level": "县级"}, {"admin_level": "county"}),
        ({"admin_level": "County"}, {"admin_level": "county"}),
        ({"heritage_level": "国保"}, {"heritage_level": "national"}),
        ({"hazard_class": "甲"}, {"hazard_class": "甲"}),
        ({"hazard_class": "乙类"}, {"hazard_class": "乙"}),
        ({"hazard_class": "A"}, {"hazard_class": "甲"}),
        ({"small_place_subtype": "小旅馆"}, {"small_place_subtype": "hotel"}),
        ({"government_kind": "法院"}, {"government_kind": "court"}),
        ({"built_year": "1998"}, {"built_year": 1998}),
        ({"guest_rooms": None, "seats": ""}, {}),
        ({}, {}),
    ],
)
def test_validate_attributes_coerces(attrs, expected):
    assert validate_attributes(attrs) == expected


def test_validate_attributes_returns_a_new_dict():
    attrs = {"guest_rooms": "12"}
    validate_attributes(attrs)
    assert attrs == {"guest_rooms": "12"}


@pytest.mark.parametrize(
    "attrs,field,fragment",
    [
        ({"guest_room": 1}, "guest_room", "unknown attribute"),
        ({"guest_room": None}, "guest_room", "unknown attribute"),
        ({"guest_rooms": -1}, "guest_rooms", "negative"),
        ({"guest_rooms": "-3"}, "guest_rooms", "negative"),
        ({"building_area_m2": -0.5}, "building_area_m2", "negative"),
        ({"guest_rooms": "12.5"}, "guest_rooms", "whole number"),
        ({"guest_rooms": 12.5}, "guest_rooms", "whole number"),
        ({"guest_rooms": "twelve"}, "guest_rooms", "not a valid number"),
        ({"guest_rooms": True}, "guest_rooms", "must be a number"),
        ({"guest_rooms": [12]}, "guest_rooms", "must be a number"),
        ({"building_height_m": math.nan}, "building_height_m", "finite"),
        ({"building_height_m": math.inf}, "building_height_m", "finite"),
        ({"building_height_m": "1e3"}, "building_height_m", "not a valid number"),
        ({"building_height_m": "9" * 100}, "building_height_m", "not a valid number"),
        ({"underground_business": "maybe"}, "underground_business", "yes/no"),
        ({"underground_business": 2}, "underground_business", "yes/no"),
        ({"admin_level": "village"}, "admin_level", "allowed: township, county"),
        ({"admin_level": 3}, "admin_level", "invalid value"),
        ({"built_year": 2101}, "built_year", "year out of range"),
        ({"built_year": 0}, "built_year", "year out of range"),
        ({1: 2}, "1", "must be strings"),
    ],
)
def test_validate_attributes_rejects(attrs, field, fragment):
    with pytest.raises(AttributeValueError) as info:
        validate_attributes(attrs)
    assert info.value.field == field
    assert fragment in info.value.message_en
    assert info.value.message_zh


def test_validate_attributes_rejects_non_mapping():
    with pytest.raises(AttributeValueError):
        validate_attributes([("guest_rooms", 1)])  # type: ignore[arg-type]


def test_error_message_is_bilingual():
    with pytest.raises(AttributeValueError) as info:
        validate_attributes({"guest_rooms": -1})
    assert "不能为负数" in str(info.value)
    assert "must not be negative" in str(info.value)


_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=50),
    st.sampled_from(["12", "1,000", "是", "county", "甲", "-1", "1e999", "９", " ", "NaN"]),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
_keys = st.one_of(st.sampled_from(sorted(ATTRIBUTES)), st.text(max_size=20), st.integers(), st.none())


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(_keys, _values, max_size=6))
def test_validate_attributes_only_raises_attribute_value_error(attrs):
    try:
        result = validate_attributes(attrs)
    except AttributeValueError as exc:
        assert exc.message_zh and exc.message_en
        return
    assert set(result) <= set(ATTRIBUTES)
    for name, value in result.items():
        kind = ATTRIBUTES[name].type
        if kind in ("number", "int", "year"):
            assert not isinstance(value, bool) and value >= 0
        if kind == "bool":
            assert isinstance(value, bool)
        if kind == "enum":
            assert value in ATTRIBUTES[name].codes()
