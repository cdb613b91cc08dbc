"""Tests for the unit classification engine and its rule tables (no Django)."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firegov.kernels.classify import (
    DEFAULT_HIGH_RISK_TABLE,
    DEFAULT_KEY_TABLE,
    ClassifyError,
    RuleTable,
    TableError,
    available_tables,
    classify,
    load_table,
    parse_table,
)
from firegov.kernels.place_types import ATTRIBUTES, PLACE_TYPES

RESULT_KEYS = [
    "id", "key_unit", "crowded_place", "public_gathering", "high_rise", "super_high_rise", "large_complex",
    "underground", "hazmat", "gaodidahua", "nine_small", "three_in_one", "high_risk", "reasons",
]  # fmt: skip

# Which reason-rule prefix must explain each flag that is true.
FLAG_REASON_PREFIX = {
    "key_unit": "key-units/",
    "crowded_place": "place-type/crowded",
    "public_gathering": "place-type/public_gathering",
    "high_rise": "building/high-rise",
    "super_high_rise": "building/super-high-rise",
    "large_complex": "building/large-complex",
    "underground": "building/underground",
    "hazmat": "place-type/hazmat",
    "gaodidahua": "building/gaodidahua",
    "nine_small": "place-type/nine_small",
    "three_in_one": "place-type/three_in_one",
    "high_risk": "high-risk/",
}


def run(place_type: str, **attrs) -> dict:
    return classify({"id": "u1", "place_type": place_type, **attrs})


def rules_of(result: dict) -> list[str]:
    return [reason["rule"] for reason in result["reasons"]]


def reason_for(result: dict, rule: str) -> dict:
    matches = [r for r in result["reasons"] if r["rule"] == rule]
    assert matches, f"no reason {rule} in {rules_of(result)}"
    return matches[0]


def assert_flags_explained(result: dict) -> None:
    for flag, prefix in FLAG_REASON_PREFIX.items():
        if result[flag] is True:
            assert any(rule.startswith(prefix) for rule in rules_of(result)), (flag, rules_of(result))


# --------------------------------------------------------------------------- output shape


def test_result_has_exactly_the_documented_keys_in_order():
    result = run("hotel", guest_rooms=60)
    assert list(result) == RESULT_KEYS
    assert result["id"] == "u1"
    for reason in result["reasons"]:
        assert set(reason) == {"rule", "clause", "text", "verified"}
        assert isinstance(reason["verified"], bool)


def test_id_is_returned_as_given():
    assert classify({"id": 42, "place_type": "other"})["id"] == 42


def test_plain_unit_has_no_flags_and_no_reasons():
    result = run("office")
    assert not any(result[key] for key in RESULT_KEYS if key not in ("id", "reasons"))
    assert result["high_risk"] is False
    assert result["reasons"] == []


def test_unit_is_not_modified():
    unit = {"id": "u1", "place_type": "hotel", "guest_rooms": "60", "name": "某宾馆"}
    before = copy.deepcopy(unit)
    classify(unit)
    assert unit == before


def test_name_and_address_are_ignored():
    assert run("hotel", name="某宾馆", address="薛城区", guest_rooms=50)["key_unit"]


# --------------------------------------------------------------------------- key units (公通字〔2001〕97号)

KEY_UNIT_CASES = [
    # 一(1) malls: >= 1000 m² AND combustible goods; a commercial complex counts as a mall
    ("mall", {"building_area_m2": 999, "sells_combustible_goods": True}, False),
    ("mall", {"building_area_m2": 1000, "sells_combustible_goods": True}, True),
    ("mall", {"building_area_m2": 999.9, "sells_combustible_goods": True}, False),
    ("mall", {"building_area_m2": 1000, "sells_combustible_goods": False}, False),
    ("mall", {"building_area_m2": 5000}, False),
    ("bazaar", {"building_area_m2": 1000, "sells_combustible_goods": "是"}, True),
    ("commercial_complex", {"building_area_m2": 1000, "sells_combustible_goods": True}, True),
    ("commercial_complex", {"building_area_m2": 999, "sells_combustible_goods": True}, False),
    # 一(2) hotels by guest rooms
    ("hotel", {"guest_rooms": 49}, False),
    ("hotel", {"guest_rooms": 50}, True),
    ("hotel", {"guest_rooms": "60"}, True),
    # 一(3) stadiums, gymnasiums, assembly halls: all
    ("sports_venue", {}, True),
    ("auditorium", {}, True),
    # 一(4) public entertainment >= 200 m²
    ("entertainment", {"building_area_m2": 199}, False),
    ("entertainment", {"building_area_m2": 200}, True),
    ("restaurant", {"building_area_m2": 5000}, False),
    # 二 hospitals, elderly homes, boarding schools and kindergartens
    ("hospital", {"inpatient_beds": 49}, False),
    ("hospital", {"inpatient_beds": 50}, True),
    ("elderly_care", {"care_beds": 49}, False),
    ("elderly_care", {"care_beds": 50}, True),
    ("welfare_home", {"care_beds": 50}, True),
    ("school", {"student_boarding_beds": 99}, False),
    ("school", {"student_boarding_beds": 100}, True),
    ("school", {"employees": 3000, "student_boarding_beds": 0}, False),
    ("kindergarten", {"child_boarding_beds": 49}, False),
    ("kindergarten", {"child_boarding_beds": 50}, True),
    ("kindergarten", {"student_boarding_beds": 50}, False),
    # 三 state organs
    ("government", {"government_kind": "government", "admin_level": "county"}, True),
    ("government", {"government_kind": "party_committee", "admin_level": "national"}, True),
    ("government", {"government_kind": "cppcc", "admin_level": "city"}, True),
    ("government", {"government_kind": "government", "admin_level": "township"}, False),
    ("government", {"government_kind": "government"}, False),
    ("government", {"admin_level": "province"}, False),
    ("government", {"government_kind": "court", "admin_level": "township"}, True),
    ("government", {"government_kind": "procuratorate"}, True),
    ("government", {"government_kind": "central_ministry"}, True),
    ("government", {"government_kind": "central_mass_org"}, True),
    ("government", {"government_kind": "other", "admin_level": "national"}, False),
    # 四 broadcasting, postal and telecom hubs
    ("broadcast_telecom", {}, True),
    # 五 stations, ferry terminals, airports
    ("transport_hub", {"waiting_hall_area_m2": 499}, False),
    ("transport_hub", {"waiting_hall_area_m2": 500}, True),
    ("transport_hub", {"airport": True}, True),
    ("transport_hub", {"airport": False, "waiting_hall_area_m2": 100}, False),
    # 六 libraries, exhibition halls, museums, archives, heritage
    ("library", {"building_area_m2": 1999}, False),
    ("library", {"building_area_m2": 2000}, True),
    ("exhibition", {"building_area_m2": 2000}, True),
    ("museum", {}, True),
    ("archive", {}, True),
    ("heritage", {"heritage_level": "none"}, False),
    ("heritage", {"heritage_level": "county"}, True),
    ("heritage", {"heritage_level": "national"}, True),
    ("heritage", {}, False),
    # 七 power; 八 hazmat
    ("power", {}, True),
    ("hazmat_production", {}, True),
    ("hazmat_filling", {}, True),
    ("hazmat_storage", {}, True),
    ("hazmat_transport", {}, True),
    ("fuel_station", {}, True),
    ("hazmat_retail", {}, True),
    ("chemical_park", {}, False),
    # 九 labour-intensive; 十 research (from memory)
    ("labor_intensive", {"workshop_staff": 99}, False),
    ("labor_intensive", {"workshop_staff": 100}, True),
    ("research", {}, True),
    # 十一 high-rise public buildings, underground, depots, yards, key-project sites (from memory)
    ("office", {"building_height_m": 24.1, "floors_above": 2}, True),
    ("office", {"building_height_m": 24, "floors_above": 8}, False),
    ("residential_highrise", {"building_height_m": 60}, False),
    ("underground_public", {}, True),
    ("grain_depot", {"national_grain_reserve": True}, True),
    ("grain_depot", {"grain_storage_t": 9999}, False),
    ("grain_depot", {"grain_storage_t": 10000}, True),
    ("cotton_depot", {"cotton_storage_t": 499}, False),
    ("cotton_depot", {"cotton_storage_t": 500}, True),
    ("timber_yard", {"timber_storage_m3": 9999}, False),
    ("timber_yard", {"timber_storage_m3": 10000}, True),
    ("warehouse", {"stored_value_cny": 9_999_999}, False),
    ("warehouse", {"stored_value_cny": 10_000_000}, True),
    ("construction_site", {"key_project_site": True}, True),
    ("construction_site", {"key_project_site": False}, False),
    # no national criterion
    ("factory", {"workshop_staff": 500, "hazard_class": "甲"}, False),
    ("residential_community", {}, False),
    ("other", {}, False),
]


@pytest.mark.parametrize("place_type,attrs,expected", KEY_UNIT_CASES)
def test_key_unit_national_2001(place_type, attrs, expected):
    result = run(place_type, **attrs)
    assert result["key_unit"] is expected
    assert any(r.startswith("key-units/national-2001/") for r in rules_of(result)) is expected
    assert_flags_explained(result)


def test_key_unit_reason_names_rule_clause_and_values():
    reason = reason_for(run("hotel", guest_rooms=60), "key-units/national-2001/1.2")
    assert reason["clause"] == "公通字〔2001〕97号 一(2)"
    assert "客房数 60 ≥ 50" in reason["text"]
    assert reason["verified"] is True


def test_key_unit_reason_for_two_conditions():
    result = run("mall", building_area_m2=1200, sells_combustible_goods=True)
    text = reason_for(result, "key-units/national-2001/1.1")["text"]
    assert "建筑面积 1200 m² ≥ 1000 m²" in text
    assert "经营可燃商品：是" in text


def test_key_unit_reason_for_ordered_enum_and_in():
    result = run("government", government_kind="government", admin_level="city")
    text = reason_for(result, "key-units/national-2001/3.1")["text"]
    assert "行政级别 地市级 ≥ 县级" in text
    assert "政府" in text


def test_key_unit_reason_for_any_lists_only_what_held():
    text = reason_for(run("grain_depot", grain_storage_t=12000), "key-units/national-2001/11.3")["text"]
    assert "粮食储量 12000 t ≥ 10000 t" in text
    assert "国家储备粮库" not in text.split("：", 1)[1]


def test_unconditional_rule_reason_names_the_place_type():
    text = reason_for(run("museum"), "key-units/national-2001/6.2")["text"]
    assert "场所类型「博物馆」" in text


@pytest.mark.parametrize(
    "place_type,attrs,rule",
    [
        ("labor_intensive", {"workshop_staff": 100}, "9.1"),
        ("research", {}, "10"),
        ("underground_public", {}, "11.2"),
        ("warehouse", {"stored_value_cny": 10_000_000}, "11.6"),
        ("office", {"building_height_m": 30}, "11.1"),
    ],
)
def test_rules_from_memory_are_unverified(place_type, attrs, rule):
    reason = reason_for(run(place_type, **attrs), f"key-units/national-2001/{rule}")
    assert reason["verified"] is False


def test_high_rise_reason_is_reused_by_rule_11_1():
    text = reason_for(run("office", building_height_m=30, floors_above=8), "key-units/national-2001/11.1")[
        "text"
    ]
    assert "属于高层建筑（建筑高度 30 m > 24 m，地上 8 层）" in text


def test_nine_small_subtype_follows_full_type_rules():
    result = run("small_place", small_place_subtype="小旅馆", guest_rooms=55)
    assert result["key_unit"] and result["nine_small"] and result["public_gathering"]
    text = reason_for(result, "key-units/national-2001/1.2")["text"]
    assert "九小场所「小旅馆」按「宾馆、饭店、旅馆」认定" in text


# --------------------------------------------------------------------------- building classes

HIGH_RISE_CASES = [
    # non-residential: > 24 m and not single-storey (GB 50016)
    ("office", {"building_height_m": 24, "floors_above": 2}, False),
    ("office", {"building_height_m": 24.1, "floors_above": 2}, True),
    ("office", {"building_height_m": 24.1, "floors_above": 1}, False),
    ("office", {"building_height_m": 24, "floors_above": 1}, False),
    ("office", {"building_height_m": 24.1}, True),
    ("office", {"floors_above": 30}, False),
    ("hotel", {"building_height_m": "50", "floors_above": "12"}, True),
    ("sports_venue", {"building_height_m": 40, "floors_above": 1}, False),
    # residential: > 27 m
    ("residential_community", {"building_height_m": 27}, False),
    ("residential_community", {"building_height_m": 27.1}, True),
    ("residential_community", {"building_height_m": 26, "floors_above": 9}, False),
    ("rental_housing", {"building_height_m": 27.1}, True),
    ("self_built_commercial", {"building_height_m": 25, "floors_above": 8}, False),
    ("residential_highrise", {}, True),
    ("residential_highrise", {"building_height_m": 20}, True),
]


@pytest.mark.parametrize("place_type,attrs,expected", HIGH_RISE_CASES)
def test_high_rise(place_type, attrs, expected):
    result = run(place_type, **attrs)
    assert result["high_rise"] is expected
    assert result["gaodidahua"] is (expected or result["large_complex"] or result["underground"])
    assert_flags_explained(result)


def test_high_rise_reason_text():
    reason = reason_for(run("office", building_height_m=24.1, floors_above=2), "building/high-rise")
    assert reason["text"] == "属于高层建筑：建筑高度 24.1 m > 24 m，地上 2 层"
    assert reason["clause"].startswith("GB 50016")
    residential = reason_for(run("residential_community", building_height_m=27.1), "building/high-rise")
    assert "住宅建筑高度 27.1 m > 27 m" in residential["text"]


def test_missing_storeys_counts_as_multi_storey_and_says_so():
    reason = reason_for(run("office", building_height_m=30), "building/high-rise")
    assert "地上层数未填" in reason["text"]


@pytest.mark.parametrize(
    "place_type,attrs,expected",
    [
        ("office", {"building_height_m": 100, "floors_above": 30}, False),
        ("office", {"building_height_m": 100.1, "floors_above": 30}, True),
        ("residential_highrise", {"building_height_m": 120}, True),
        ("residential_highrise", {}, False),
        ("office", {"building_height_m": 150, "floors_above": 1}, False),
    ],
)
def test_super_high_rise(place_type, attrs, expected):
    result = run(place_type, **attrs)
    assert result["super_high_rise"] is expected
    if expected:
        assert result["high_rise"]
        assert "> 100 m" in reason_for(result, "building/super-high-rise")["text"]


@pytest.mark.parametrize(
    "place_type,area,expected",
    [
        ("commercial_complex", 49_999, False),
        ("commercial_complex", 49_999.9, False),
        ("commercial_complex", 50_000, True),
        ("commercial_complex", "120,000", True),
        ("mall", 80_000, False),
    ],
)
def test_large_commercial_complex(place_type, area, expected):
    result = run(place_type, building_area_m2=area)
    assert result["large_complex"] is expected
    assert result["gaodidahua"] is expected
    if expected:
        assert "≥ 50000 m²" in reason_for(result, "building/large-complex")["text"]


@pytest.mark.parametrize(
    "place_type,attrs,expected",
    [
        ("mall", {"underground_business": True}, True),
        ("mall", {"underground_business": "否"}, False),
        ("mall", {"floors_below": 2}, False),
        ("underground_public", {}, True),
        ("entertainment", {"underground_business": 1}, True),
    ],
)
def test_underground(place_type, attrs, expected):
    result = run(place_type, **attrs)
    assert result["underground"] is expected
    assert result["gaodidahua"] is expected
    assert_flags_explained(result)


@pytest.mark.parametrize(
    "place_type,expected",
    [
        ("hazmat_production", True),
        ("hazmat_storage", True),
        ("fuel_station", True),
        ("hazmat_retail", True),
        ("hazmat_transport", True),
        ("chemical_park", True),
        ("factory", False),
        ("warehouse", False),
    ],
)
def test_gaodidahua_chemical(place_type, expected):
    result = run(place_type)
    assert result["gaodidahua"] is expected
    if expected:
        text = reason_for(result, "building/gaodidahua")["text"]
        assert "化工/易燃易爆危险品场所" in text


def test_gaodidahua_lists_every_part():
    result = run(
        "commercial_complex", building_area_m2=60000, building_height_m=60, underground_business=True
    )
    text = reason_for(result, "building/gaodidahua")["text"]
    assert "高层建筑" in text and "地下场所" in text and "大型商业综合体" in text


# --------------------------------------------------------------------------- type flags


@pytest.mark.parametrize("code", sorted(PLACE_TYPES))
def test_type_flags_follow_the_place_type(code):
    result = run(code)
    pt = PLACE_TYPES[code]
    assert result["public_gathering"] is pt.public_gathering
    assert result["crowded_place"] is pt.crowded
    assert result["hazmat"] is pt.hazmat
    assert result["nine_small"] is pt.nine_small
    assert result["three_in_one"] is pt.three_in_one
    assert_flags_explained(result)


def test_public_gathering_reason_cites_article_73():
    reason = reason_for(run("mall"), "place-type/public_gathering")
    assert reason["clause"] == "《消防法》第七十三条第（三）项"
    assert reason["text"] == "场所类型「商场、商店、市场」属于公众聚集场所"
    assert reason["verified"] is True
    assert reason_for(run("school"), "place-type/crowded")["clause"] == "《消防法》第七十三条第（四）项"


def test_hazmat_reason_is_unverified():
    assert reason_for(run("fuel_station"), "place-type/hazmat")["verified"] is False


def test_restaurant_not_open_to_public():
    assert run("restaurant")["public_gathering"] is True
    assert run("restaurant", open_to_public=True)["public_gathering"] is True
    closed = run("restaurant", open_to_public=False)
    assert closed["public_gathering"] is False
    assert closed["crowded_place"] is False


@pytest.mark.parametrize(
    "subtype,public_gathering,crowded",
    [
        ("hotel", True, True),
        ("shop", True, True),
        ("internet_cafe", True, True),
        ("beauty_bath", True, True),
        ("school", False, True),
        ("kindergarten", False, True),
        ("hospital", False, True),
        ("workshop", False, False),
        (None, False, False),
    ],
)
def test_nine_small_subtypes(subtype, public_gathering, crowded):
    result = run("small_place", small_place_subtype=subtype)
    assert result["nine_small"] is True
    assert result["public_gathering"] is public_gathering
    assert result["crowded_place"] is crowded
    assert_flags_explained(result)


def test_subtype_ignored_for_other_place_types():
    assert run("office", small_place_subtype="hotel")["public_gathering"] is False


def test_three_in_one_reason():
    reason = reason_for(run("three_in_one"), "place-type/three_in_one")
    assert "GA 703" in reason["clause"]


# --------------------------------------------------------------------------- high-risk units (Shandong 2013)

HIGH_RISK_CASES = [
    # (一) strict "超过": 10,000 does not qualify, 10,001 does
    ("mall", {"building_area_m2": 10000}, False),
    ("mall", {"building_area_m2": 10001}, True),
    ("bazaar", {"building_area_m2": 10000.5}, True),
    ("auditorium", {"building_area_m2": 10001}, True),
    ("exhibition", {"building_area_m2": 10001}, True),
    ("commercial_complex", {"building_area_m2": 10001}, True),
    ("hotel", {"building_area_m2": 20000}, False),
    ("hotel", {"distinct_functions": 3}, True),
    ("hotel", {"distinct_functions": 2}, False),
    ("office", {"distinct_functions": 5}, False),
    # (二)
    ("entertainment", {"building_area_m2": 2000}, False),
    ("entertainment", {"building_area_m2": 2001}, True),
    ("entertainment", {"underground_area_m2": 500}, False),
    ("entertainment", {"underground_area_m2": 501}, True),
    ("mall", {"underground_area_m2": 2000}, False),
    ("mall", {"underground_area_m2": 2001}, True),
    # (三)
    ("hotel", {"guest_beds": 200}, False),
    ("hotel", {"guest_beds": 201}, True),
    ("hotel", {"guest_rooms": 300}, False),
    ("hospital", {"inpatient_beds": 200}, False),
    ("hospital", {"inpatient_beds": 201}, True),
    ("elderly_care", {"care_beds": 201}, True),
    ("welfare_home", {"care_beds": 200}, False),
    ("welfare_home", {"care_beds": 201}, True),
    ("school", {"student_boarding_beds": 1000}, False),
    ("school", {"student_boarding_beds": 1001}, True),
    ("sports_venue", {"sports_venue_kind": "stadium", "seats": 30000}, False),
    ("sports_venue", {"sports_venue_kind": "stadium", "seats": 30001}, True),
    ("sports_venue", {"sports_venue_kind": "stadium", "seats": 5000}, False),
    ("sports_venue", {"sports_venue_kind": "gymnasium", "seats": 3000}, False),
    ("sports_venue", {"sports_venue_kind": "gymnasium", "seats": 3001}, True),
    ("sports_venue", {"seats": 5000}, False),
    ("sports_venue", {"seats": 30001}, True),
    # (四)
    ("labor_intensive", {"largest_workshop_area_m2": 2501, "workshop_staff": 101}, True),
    ("labor_intensive", {"largest_workshop_area_m2": 2500, "workshop_staff": 101}, False),
    ("labor_intensive", {"largest_workshop_area_m2": 2501, "workshop_staff": 100}, False),
    ("labor_intensive", {"workshop_staff": 500}, False),
    # (五)
    ("office", {"building_height_m": 50}, False),
    ("office", {"building_height_m": 50.1}, True),
    ("government", {"building_height_m": 51}, True),
    ("broadcast_telecom", {"building_height_m": 51}, True),
    ("hotel", {"building_height_m": 80}, False),
    # (六)
    ("heritage", {"heritage_level": "province", "timber_structure": True}, True),
    ("heritage", {"heritage_level": "national", "timber_structure": "是"}, True),
    ("heritage", {"heritage_level": "city", "timber_structure": True}, False),
    ("heritage", {"heritage_level": "national", "timber_structure": False}, False),
    ("museum", {"holds_protected_relics": True}, True),
    ("archive", {"holds_protected_relics": False}, False),
    # a codified item wins over an un-retrieved one
    ("power", {"building_height_m": 60}, True),
    # plain types
    ("other", {}, None),
    ("factory", {}, False),
    ("residential_highrise", {"building_height_m": 99}, False),
]


@pytest.mark.parametrize("place_type,attrs,expected", HIGH_RISK_CASES)
def test_high_risk_shandong_2013(place_type, attrs, expected):
    result = run(place_type, **attrs)
    assert result["high_risk"] is expected
    assert_flags_explained(result)


def test_high_risk_reason_with_strict_threshold():
    reason = reason_for(run("mall", building_area_m2=10001), "high-risk/shandong-2013/1a")
    assert reason["clause"] == "山东省政府令第263号 第二条（一）"
    assert "建筑面积 10001 m² > 10000 m²" in reason["text"]
    assert reason["verified"] is True


@pytest.mark.parametrize(
    "place_type",
    [
        "hazmat_production",
        "hazmat_filling",
        "hazmat_storage",
        "hazmat_transport",
        "fuel_station",
        "hazmat_retail",
        "chemical_park",
        "underground_public",
        "warehouse",
        "grain_depot",
        "power",
    ],
)
def test_high_risk_is_null_when_an_unretrieved_item_may_apply(place_type):
    result = run(place_type)
    assert result["high_risk"] is None
    undetermined = [r for r in result["reasons"] if r["rule"].startswith("high-risk/")]
    assert undetermined
    assert all(r["verified"] is False and r["text"].startswith("无法判定") for r in undetermined)


def test_high_risk_is_null_without_a_table():
    result = classify({"id": "u1", "place_type": "mall", "building_area_m2": 20000}, high_risk_table=None)
    assert result["high_risk"] is None
    assert not any(r.startswith("high-risk/") for r in rules_of(result))


def test_undetermined_reasons_are_dropped_when_an_item_fires():
    result = run("power", building_height_m=60)
    high_risk_rules = [r for r in rules_of(result) if r.startswith("high-risk/")]
    assert high_risk_rules == ["high-risk/shandong-2013/5"]


# --------------------------------------------------------------------------- rule tables


def test_shipped_tables():
    assert set(available_tables()) == {DEFAULT_KEY_TABLE, DEFAULT_HIGH_RISK_TABLE}
    key = load_table(DEFAULT_KEY_TABLE)
    assert key.kind == "key_unit" and key.effective == "2002-05-01"
    assert "公通字〔2001〕97号" in key.document
    high_risk = load_table(DEFAULT_HIGH_RISK_TABLE)
    assert high_risk.kind == "high_risk" and high_risk.effective == "2013-11-01"
    assert load_table(DEFAULT_KEY_TABLE) is key  # cached


def test_verification_levels_follow_the_reference():
    key = {rule.id: rule for rule in load_table(DEFAULT_KEY_TABLE).rules}
    for rule_id, rule in key.items():
        section = int(rule_id.split(".")[0])
        assert rule.verified is (section <= 8), rule_id
        assert rule.clause.startswith("公通字〔2001〕97号 ")
    high_risk = {rule.id: rule for rule in load_table(DEFAULT_HIGH_RISK_TABLE).rules}
    assert not high_risk["7"].codified and not high_risk["7"].verified
    assert not high_risk["8-10"].codified and not high_risk["8-10"].verified
    for rule_id, rule in high_risk.items():
        if rule.codified:
            assert rule.verified and rule_id[0] in "123456"
            # strict "超过" thresholds; ">=" only for "3个以上" and the ordered heritage level
            inclusive = {cond.metric for cond in _conditions(rule) if cond.op == ">="}
            assert inclusive <= {"distinct_functions", "heritage_level"}, rule_id


def _conditions(rule):
    stack, found = [rule.criteria], []
    while stack:
        node = stack.pop()
        if hasattr(node, "items"):
            stack.extend(node.items)
        else:
            found.append(node)
    return found


def test_every_key_unit_place_type_is_mapped():
    mapped = set().union(*(rule.place_types for rule in load_table(DEFAULT_KEY_TABLE).rules))
    expected_unmapped = {
        "religious", "scenic_area", "chemical_park", "factory", "residential_highrise",
        "residential_community", "self_built_commercial", "rental_housing", "small_place", "three_in_one",
        "ebike_charging", "other",
    }  # fmt: skip
    assert set(PLACE_TYPES) - mapped == expected_unmapped


def _table(**overrides) -> dict:
    table = {
        "id": "key-units/test-province",
        "kind": "key_unit",
        "title": "测试省消防安全重点单位界定标准",
        "document": "测试文件",
        "effective": "2023-12-11",
        "rules": [
            {
                "id": "1",
                "clause": "测试 一(1)",
                "text_zh": "建筑面积≥300㎡的商店",
                "text_en": "Shop of at least 300 m²",
                "place_types": ["mall"],
                "criteria": {"all": [{"metric": "building_area_m2", "op": ">=", "value": 300}]},
                "verified": True,
            }
        ],
    }
    table.update(overrides)
    return table


def _rule(**overrides) -> dict:
    rule = copy.deepcopy(_table()["rules"][0])
    rule.update(overrides)
    return rule


def test_province_table_from_a_path(tmp_path):
    path = tmp_path / "province.json"
    path.write_text(json.dumps(_table(), ensure_ascii=False), encoding="utf-8")
    unit = {"id": "u1", "place_type": "mall", "building_area_m2": 300}
    assert classify(unit)["key_unit"] is False
    result = classify(unit, key_table=str(path))
    assert result["key_unit"] is True
    assert reason_for(result, "key-units/test-province/1")["clause"] == "测试 一(1)"
    assert classify(unit, key_table=path)["key_unit"] is True
    assert classify(unit, key_table=load_table(path))["key_unit"] is True


def test_nested_any_all_and_wildcard():
    criteria = {
        "any": [
            {"metric": "hazard_class", "op": "in", "value": ["甲", "乙"]},
            {
                "all": [
                    {"metric": "employees", "op": ">", "value": 10},
                    {"metric": "high_rise", "op": "==", "value": True},
                ]
            },
        ]
    }
    table = parse_table(_table(rules=[_rule(place_types=["*"], criteria=criteria)]))
    assert classify({"id": 1, "place_type": "factory", "hazard_class": "乙"}, key_table=table)["key_unit"]
    assert not classify({"id": 1, "place_type": "factory", "hazard_class": "丙"}, key_table=table)["key_unit"]
    high = {"id": 1, "place_type": "office", "employees": 11, "building_height_m": 30}
    assert classify(high, key_table=table)["key_unit"]
    assert not classify({**high, "employees": 10}, key_table=table)["key_unit"]


def test_ordered_enum_comparison_in_a_table():
    criteria = {"all": [{"metric": "hazard_class", "op": ">=", "value": "乙"}]}
    table = parse_table(_table(rules=[_rule(place_types=["factory"], criteria=criteria)]))
    grades = {}
    for grade in ["甲", "乙", "丙", "丁", "戊"]:
        unit = {"id": 1, "place_type": "factory", "hazard_class": grade}
        grades[grade] = classify(unit, key_table=table)["key_unit"]
    assert grades == {"甲": True, "乙": True, "丙": False, "丁": False, "戊": False}


@pytest.mark.parametrize(
    "table,fragment",
    [
        ([], "must be a JSON object"),
        (_table(id=""), "'id'"),
        ({k: v for k, v in _table().items() if k != "title"}, "missing 'title'"),
        (_table(kind="hazard"), "'kind' must be one of"),
        (_table(effective="2023-13-01"), "YYYY-MM-DD"),
        (_table(rules=[]), "'rules' is empty"),
        (_table(rules=["x"]), "a rule must be an object"),
        (_table(rules=[_rule(), _rule()]), "duplicate rule ids"),
        (_table(rules=[_rule(verified="yes")]), "'verified'"),
        (_table(rules=[_rule(codified="no")]), "'codified'"),
        (_table(rules=[_rule(place_types=["zoo"])]), "known place-type codes"),
        (_table(rules=[_rule(place_types=[])]), "known place-type codes"),
        (
            _table(rules=[_rule(criteria={"all": [{"metric": "area", "op": ">=", "value": 1}]})]),
            "unknown metric",
        ),
        (
            _table(rules=[_rule(criteria={"all": [{"metric": "seats", "op": "=>", "value": 1}]})]),
            "unknown op",
        ),
        (_table(rules=[_rule(criteria={"all": [{"metric": "seats", "op": ">="}]})]), "missing 'value'"),
        (
            _table(rules=[_rule(criteria={"all": [{"metric": "seats", "op": ">=", "value": "1"}]})]),
            "does not suit",
        ),
        (
            _table(rules=[_rule(criteria={"all": [{"metric": "airport", "op": ">=", "value": True}]})]),
            "ordered",
        ),
        (
            _table(
                rules=[_rule(criteria={"all": [{"metric": "government_kind", "op": ">=", "value": "court"}]})]
            ),
            "ordered",
        ),
        (
            _table(rules=[_rule(criteria={"all": [{"metric": "admin_level", "op": "==", "value": "x"}]})]),
            "suit",
        ),
        (
            _table(rules=[_rule(criteria={"all": [{"metric": "admin_level", "op": "in", "value": []}]})]),
            "non-empty",
        ),
        (_table(rules=[_rule(criteria={"any": []})]), "non-empty for 'any'"),
        (_table(rules=[_rule(criteria={"all": [], "any": []})]), "exactly one key"),
        (_table(rules=[_rule(criteria={"all": ["x"]})]), "criteria must be an object"),
    ],
)
def test_invalid_tables_are_rejected_with_clear_errors(table, fragment):
    with pytest.raises(TableError) as info:
        parse_table(table, "province.json")
    assert fragment in str(info.value)
    assert str(info.value).startswith("province.json")


def test_rule_errors_name_the_rule(tmp_path):
    bad = _table(
        rules=[_rule(), _rule(id="2", criteria={"all": [{"metric": "seats", "op": "~", "value": 1}]})]
    )
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(TableError, match=r"rule #2 \('2'\).*unknown op '~'"):
        load_table(path)


@pytest.mark.parametrize("spec", ["key-units/nowhere-1999", "../etc/passwd", "KEY-UNITS/NATIONAL-2001"])
def test_unknown_table_id(spec):
    with pytest.raises(TableError, match="unknown rule table id"):
        load_table(spec)


def test_unreadable_and_invalid_table_files(tmp_path):
    with pytest.raises(TableError, match="cannot read"):
        load_table(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(TableError, match="invalid JSON at line 1"):
        load_table(broken)
    with pytest.raises(TableError):
        load_table(123)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_load_table_only_raises_table_error(spec):
    try:
        table = load_table(spec)
    except TableError:
        return
    assert spec in (DEFAULT_KEY_TABLE, DEFAULT_HIGH_RISK_TABLE) and table.id == spec


def test_table_of_the_wrong_kind_is_refused():
    with pytest.raises(TableError, match="decides 'high_risk', not 'key_unit'"):
        classify({"id": 1, "place_type": "other"}, key_table=DEFAULT_HIGH_RISK_TABLE)
    with pytest.raises(TableError):
        classify({"id": 1, "place_type": "other"}, key_table=None)


def test_tables_are_immutable_objects():
    table = load_table(DEFAULT_KEY_TABLE)
    assert isinstance(table, RuleTable)
    with pytest.raises(AttributeError):
        table.id = "x"  # type: ignore[misc]


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "unit,unit_id,field,fragment",
    [
        ("hotel", None, "id", "must be an object"),
        ({"place_type": "hotel"}, None, "id", "missing unit id"),
        ({"id": None, "place_type": "hotel"}, None, "id", "missing unit id"),
        ({"id": "  ", "place_type": "hotel"}, None, "id", "missing unit id"),
        ({"id": ["a"], "place_type": "hotel"}, "['a']", "id", "string or an integer"),
        ({"id": True, "place_type": "hotel"}, "True", "id", "string or an integer"),
        ({"id": "u9"}, "u9", "place_type", "missing place_type"),
        ({"id": "u9", "place_type": ""}, "u9", "place_type", "missing place_type"),
        ({"id": "u9", "place_type": "zoo"}, "u9", "place_type", "unknown place type 'zoo'"),
        ({"id": "u9", "place_type": 3}, "u9", "place_type", "unknown place type 3"),
        ({"id": "u9", "place_type": "hotel", "guest_rooms": -1}, "u9", "guest_rooms", "negative"),
        (
            {"id": "u9", "place_type": "hotel", "guest_rooms": "many"},
            "u9",
            "guest_rooms",
            "not a valid number",
        ),
        ({"id": "u9", "place_type": "hotel", "rooms": 5}, "u9", "rooms", "unknown attribute"),
        ({"id": "u9", "place_type": "government", "admin_level": "x"}, "u9", "admin_level", "allowed"),
    ],
)
def test_classify_errors(unit, unit_id, field, fragment):
    with pytest.raises(ClassifyError) as info:
        classify(unit)
    error = info.value
    assert error.unit_id == unit_id
    assert error.field == field
    assert fragment in error.message_en
    assert error.message_zh
    assert field in str(error)


def test_classify_error_is_bilingual():
    with pytest.raises(ClassifyError) as info:
        classify({"id": "u9", "place_type": "zoo"})
    assert "未知的场所类型" in str(info.value)
    assert "unknown place type" in str(info.value)
    assert info.value.message == "未知的场所类型 'zoo' / unknown place type 'zoo' (see place_types.json)"


def test_place_type_is_trimmed_and_case_insensitive():
    assert run(" Hotel ", guest_rooms=50)["key_unit"]


# --------------------------------------------------------------------------- properties

_attr_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=200_000),
    st.floats(min_value=-1, max_value=1e6),
    st.floats(allow_nan=True),
    st.sampled_from(["是", "否", "12", "county", "national", "甲", "hotel", "x", ""]),
    st.text(max_size=10),
)
_attr_names = st.one_of(st.sampled_from(sorted(ATTRIBUTES)), st.text(max_size=8))
_units = st.one_of(
    st.fixed_dictionaries(
        {
            "id": st.one_of(st.text(max_size=5), st.integers(), st.none(), st.booleans(), st.floats()),
            "place_type": st.one_of(st.sampled_from(sorted(PLACE_TYPES)), st.text(max_size=8), st.none()),
        }
    ).flatmap(
        lambda base: st.dictionaries(_attr_names, _attr_values, max_size=6).map(lambda a: {**a, **base})
    ),
    st.none(),
    st.integers(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=3),
)


@settings(max_examples=400, deadline=None)
@given(_units)
def test_classify_only_raises_classify_error(unit):
    try:
        result = classify(unit)
    except ClassifyError as exc:
        assert exc.field is not None and exc.message_zh and exc.message_en
        return
    assert list(result) == RESULT_KEYS
    assert result["high_risk"] in (True, False, None)
    assert_flags_explained(result)


_valid_units = st.builds(
    lambda place_type, attrs: {"id": "p", "place_type": place_type, **attrs},
    st.sampled_from(sorted(PLACE_TYPES)),
    st.fixed_dictionaries(
        {},
        optional={
            "building_area_m2": st.integers(0, 120_000),
            "building_height_m": st.floats(0, 200),
            "floors_above": st.integers(0, 60),
            "guest_rooms": st.integers(0, 400),
            "sells_combustible_goods": st.booleans(),
            "underground_business": st.booleans(),
            "distinct_functions": st.integers(0, 8),
            "small_place_subtype": st.sampled_from(ATTRIBUTES["small_place_subtype"].codes()),
        },
    ),
)


@settings(max_examples=300, deadline=None)
@given(_valid_units)
def test_every_true_flag_has_a_reason_and_derived_flags_are_consistent(unit):
    result = classify(unit)
    assert_flags_explained(result)
    if result["super_high_rise"]:
        assert result["high_rise"]
    if result["public_gathering"]:
        assert result["crowded_place"]
    assert (
        result["gaodidahua"]
        is any(result[f] for f in ("high_rise", "underground", "large_complex", "hazmat"))
        or PLACE_TYPES[unit["place_type"]].chemical
    )
