"""Tests for the checklist templates, the hazard category table and template selection (no Django)."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firegov.kernels import checklists
from firegov.kernels.checklists import (
    ANSWERS,
    CATEGORIES_FILE,
    CHECKLISTS_FILE,
    GB35181_ITEMS,
    KINDS,
    KNOWN_FLAGS,
    SUBJECTS,
    ChecklistError,
    Template,
    failed_items_to_hazards,
    load,
    templates_for,
)
from firegov.kernels.place_types import FLAGS, PLACE_TYPES

REQUIRED_TEMPLATES = {
    "crowded_place": "unit",
    "highrise_residential": "unit",
    "large_complex": "unit",
    "nine_small": "unit",
    "three_in_one": "unit",
    "hazmat": "unit",
    "warehouse": "unit",
    "ebike_charging": "unit",
    "old_community": "community",
    "fire_lane": "fire_lane",
    "general": "unit",
    "key_unit_management": "unit",
    "grid_patrol": "unit",
    "unit_self_inspection": "unit",
}

REQUIRED_CATEGORIES = [
    "blocked_exit", "locked_exit", "facility_damaged", "facility_switched_off", "private_wiring",
    "ebike_indoor_charging", "sandwich_panel", "fire_lane_occupied", "fire_separation_missing",
    "hazmat_in_crowded_place", "exit_sign_lighting", "extinguisher_missing", "fire_door_damaged",
    "fire_door_kept_open", "hydrant_obstructed", "hydrant_no_water", "sprinkler_not_working",
    "fire_alarm_faulty", "smoke_control_not_working", "control_room_unattended", "combustible_decoration",
    "three_in_one_living", "windows_blocked", "open_flame", "gas_noncompliant", "no_patrol_records",
    "no_training_drills", "no_safety_manager", "no_emergency_plan", "micro_station_unequipped", "other",
]  # fmt: skip

# The GB 35181-2017 item ids, written out: direct 6.1–6.10 and the 39 composite items.
EXPECTED_GB_IDS = (
    {f"6.{n}" for n in range(1, 11)}
    | {f"7.1.{n}" for n in range(1, 5)}
    | {f"7.2.{n}" for n in range(1, 4)}
    | {f"7.3.{n}" for n in range(1, 13)}
    | {f"7.4.{n}" for n in range(1, 7)}
    | {"7.5"}
    | {f"7.6.{n}" for n in range(1, 4)}
    | {f"7.7.{n}" for n in range(1, 4)}
    | {f"7.8.{n}" for n in range(1, 3)}
    | {f"7.9.{n}" for n in range(1, 6)}
)

SUPERVISORY_KINDS = ["random", "routine", "complaint", "reinspection", "joint", "expert", "campaign"]


def ids(templates: list[Template]) -> list[str]:
    return [t.id for t in templates]


# --------------------------------------------------------------------------- the data


def test_packaged_tables_load():
    table = load()
    assert table.id == "checklists" and table.version
    assert table.categories_id == "hazard-categories" and table.categories_version
    assert checklists.default() is checklists.default()


def test_gb35181_item_ids_are_exactly_the_2017_items():
    assert GB35181_ITEMS == EXPECTED_GB_IDS
    assert len(GB35181_ITEMS) == 49


@pytest.mark.parametrize("code", REQUIRED_CATEGORIES)
def test_required_category_exists(code):
    cat = checklists.category(code)
    assert cat.zh and cat.en and cat.clause
    assert cat.code.isascii() and cat.code == cat.code.lower()


def test_categories_are_well_formed():
    table = load()
    for cat in checklists.categories():
        assert cat.group in table.groups
        assert set(cat.gb35181) <= GB35181_ITEMS
        assert isinstance(cat.urgent, bool) and isinstance(cat.typically_fixable_on_spot, bool)


def test_urgent_categories_follow_article_18():
    urgent = {c.code for c in checklists.categories() if c.urgent}
    assert {"blocked_exit", "locked_exit", "facility_switched_off"} <= urgent
    assert "fire_lane_occupied" not in urgent  # 第十八条 names evacuation routes and exits, not fire lanes
    assert "extinguisher_missing" not in urgent


def test_key_categories_map_to_their_gb35181_items():
    assert checklists.category("sandwich_panel").gb35181 == ("6.10",)
    assert checklists.category("hazmat_in_crowded_place").gb35181 == ("6.8",)
    assert "7.1.1" in checklists.category("fire_lane_occupied").gb35181
    assert "7.3.6" in checklists.category("exit_sign_lighting").gb35181
    assert checklists.category("private_wiring").typically_fixable_on_spot


@pytest.mark.parametrize("template_id,subject", sorted(REQUIRED_TEMPLATES.items()))
def test_required_template_exists_with_enough_items(template_id, subject):
    tpl = checklists.template(template_id)
    assert tpl.subject == subject
    assert 10 <= len(tpl.items) <= 25
    assert tpl.zh and tpl.en and tpl.version


def test_every_item_is_valid():
    table = load()
    for tpl in table.templates():
        prefixes = {item.code.split("-")[0] for item in tpl.items}
        assert len(prefixes) == 1, tpl.id  # one code prefix per template
        assert len(tpl.codes()) == len(tpl.items)
        for item in tpl.items:
            cat = table.category(item.hazard_category)
            assert item.zh and item.en and item.clause, (tpl.id, item.code)
            if item.gb35181 is not None:
                assert item.gb35181 in GB35181_ITEMS
                assert item.gb35181 in cat.gb35181, (tpl.id, item.code)


def test_templates_target_known_place_types_and_flags():
    for tpl in checklists.templates():
        for code in tpl.applies_to:
            assert code == "*" or code in PLACE_TYPES or code in KNOWN_FLAGS
        assert tpl.kinds == ("*",) or set(tpl.kinds) <= set(KINDS)


def test_key_unit_template_covers_article_11():
    items = checklists.template("key_unit_management").items
    categories = {item.hazard_category for item in items}
    assert {"no_safety_manager", "no_patrol_records", "no_training_drills", "no_fire_files"} <= categories
    assert checklists.template("key_unit_management").flags == {"key_unit", "high_risk"}


def test_lookups_raise_key_error():
    with pytest.raises(KeyError):
        checklists.template("nope")
    with pytest.raises(KeyError):
        checklists.category("nope")
    with pytest.raises(KeyError):
        checklists.template("crowded_place").item("XX-01")


# --------------------------------------------------------------------------- selection


@pytest.mark.parametrize(
    "place_type,expected",
    [
        ("hotel", "crowded_place"),
        ("entertainment", "crowded_place"),
        ("hospital", "crowded_place"),
        ("residential_highrise", "highrise_residential"),
        ("commercial_complex", "large_complex"),
        ("small_place", "nine_small"),
        ("three_in_one", "three_in_one"),
        ("self_built_commercial", "three_in_one"),
        ("hazmat_storage", "hazmat"),
        ("fuel_station", "hazmat"),
        ("chemical_park", "hazmat"),
        ("warehouse", "warehouse"),
        ("grain_depot", "warehouse"),
        ("ebike_charging", "ebike_charging"),
    ],
)
def test_best_template_for_place_type(place_type, expected):
    found = templates_for(place_type, [], "random")
    assert found[0].id == expected
    assert found[-1].id == "general"


def test_unknown_or_plain_place_type_gets_the_fallback():
    assert ids(templates_for("no_such_type", [], "random")) == ["general"]
    assert ids(templates_for("office", [], "routine")) == ["general"]
    assert ids(templates_for(None, [], "complaint")) == ["general"]


def test_place_type_match_comes_before_flag_match():
    found = ids(templates_for("commercial_complex", ["key_unit"], "routine"))
    assert found == ["large_complex", "crowded_place", "key_unit_management", "general"]


def test_key_unit_management_is_its_own_template():
    assert ids(templates_for("hotel", ["key_unit"], "routine")) == [
        "crowded_place",
        "key_unit_management",
        "general",
    ]
    assert ids(templates_for("office", ["key_unit"], "random")) == ["key_unit_management", "general"]
    assert "key_unit_management" not in ids(templates_for("hotel", [], "routine"))


def test_flags_from_classification_select_templates():
    assert ids(templates_for("office", ["crowded_place"], "random"))[0] == "crowded_place"  # classify() name
    assert ids(templates_for("office", ["large_complex"], "random"))[0] == "large_complex"
    assert ids(templates_for("no_such_type", ["hazmat"], "random"))[0] == "hazmat"


def test_patrol_and_self_inspection_fallbacks():
    assert ids(templates_for("hotel", [], "patrol")) == ["grid_patrol"]
    assert ids(templates_for("small_place", [], "patrol")) == ["nine_small", "grid_patrol"]
    assert ids(templates_for("hotel", [], "self")) == ["crowded_place", "unit_self_inspection"]


def test_community_and_fire_lane_subjects():
    for kind in KINDS:
        assert ids(templates_for("residential_community", [], kind, subject="community")) == ["old_community"]
        assert ids(templates_for(None, [], kind, subject="fire_lane")) == ["fire_lane"]


@pytest.mark.parametrize(
    "args,field",
    [
        (("hotel", [], "inspection"), "kind"),
        (("hotel", [], "random", "building"), "subject"),
        (("hotel", ["glamorous"], "random"), "flags"),
        (("hotel", "crowded", "random"), "flags"),
        ((42, [], "random"), "place_type"),
    ],
)
def test_selection_rejects_unknown_arguments(args, field):
    with pytest.raises(ChecklistError) as info:
        templates_for(*args)
    assert info.value.where == field
    assert info.value.message_zh and info.value.message_en


@settings(max_examples=200, deadline=None)
@given(
    place_type=st.one_of(st.sampled_from(sorted(PLACE_TYPES)), st.text(max_size=12), st.none()),
    flags=st.sets(st.sampled_from(sorted(KNOWN_FLAGS))),
    kind=st.sampled_from(KINDS),
    subject=st.sampled_from(SUBJECTS),
)
def test_templates_for_never_comes_back_empty(place_type, flags, kind, subject):
    found = templates_for(place_type, flags, kind, subject)
    assert found
    assert all(t.subject == subject and t.serves(kind) for t in found)
    assert len(set(ids(found))) == len(found)
    fallbacks = [t.is_fallback for t in found]
    assert fallbacks == sorted(fallbacks)  # specific templates first, fallbacks last
    assert fallbacks[-1]


@pytest.mark.parametrize("place_type", sorted(PLACE_TYPES))
@pytest.mark.parametrize("kind", KINDS)
def test_every_place_type_and_kind_has_a_template(place_type, kind):
    assert templates_for(place_type, [], kind)


def test_every_place_flag_is_known_to_the_selector():
    assert set(FLAGS) <= KNOWN_FLAGS


# --------------------------------------------------------------------------- answers to hazards


def test_failed_items_become_hazard_drafts_in_template_order():
    answers = {"CP-19": "fail", "CP-01": "pass", "CP-02": "fail", "CP-10": "na"}
    assert failed_items_to_hazards("crowded_place", answers) == [
        {"item": "CP-02", "category": "blocked_exit", "gb35181": "7.3.3", "photo_required": True},
        {"item": "CP-19", "category": "hazmat_in_crowded_place", "gb35181": "6.8", "photo_required": True},
    ]


def test_failed_item_without_gb_id_and_template_object():
    tpl = checklists.template("grid_patrol")
    assert failed_items_to_hazards(tpl, {"GP-07": "fail"}) == [
        {"item": "GP-07", "category": "extinguisher_missing", "gb35181": None, "photo_required": False}
    ]
    assert failed_items_to_hazards(tpl, {}) == []
    assert failed_items_to_hazards(tpl, dict.fromkeys(tpl.codes(), "pass")) == []


@pytest.mark.parametrize(
    "template,answers,fragment",
    [
        ("crowded_place", {"XX-01": "fail"}, "has no item"),
        ("crowded_place", {"GP-01": "fail"}, "has no item"),
        ("crowded_place", {"CP-01": "FAIL"}, "invalid result"),
        ("crowded_place", {"CP-01": "bad"}, "invalid result"),
        ("crowded_place", {"CP-01": None}, "invalid result"),
        ("crowded_place", [("CP-01", "fail")], "must be a mapping"),
        ("no_such_template", {}, "unknown checklist template"),
    ],
)
def test_failed_items_reject_bad_input(template, answers, fragment):
    with pytest.raises(ChecklistError, match=fragment):
        failed_items_to_hazards(template, answers)


def test_answer_values_are_the_three_results():
    assert ANSWERS == ("pass", "fail", "na")


# --------------------------------------------------------------------------- broken tables


def _tables() -> tuple[dict, dict]:
    with CHECKLISTS_FILE.open(encoding="utf-8") as fh:
        lists = json.load(fh)
    with CATEGORIES_FILE.open(encoding="utf-8") as fh:
        cats = json.load(fh)
    return copy.deepcopy(lists), copy.deepcopy(cats)


def _write(tmp_path, name: str, data) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def _template(lists: dict, template_id: str) -> dict:
    return next(t for t in lists["templates"] if t["id"] == template_id)


def _item(lists: dict, template_id: str, code: str) -> dict:
    return next(i for i in _template(lists, template_id)["items"] if i["code"] == code)


def _break_lists(case: str, lists: dict) -> None:
    crowded = _template(lists, "crowded_place")
    if case == "unknown_category":
        _item(lists, "crowded_place", "CP-02")["hazard_category"] = "spontaneous_combustion"
    elif case == "unknown_place_type":
        crowded["applies_to"].append("spaceport")
    elif case == "unknown_kind":
        crowded["kinds"].append("surprise")
    elif case == "invalid_gb_id":
        _item(lists, "crowded_place", "CP-02")["gb35181"] = "7.3.13"
    elif case == "gb_id_outside_category":
        _item(lists, "crowded_place", "CP-02")["gb35181"] = "6.10"
    elif case == "duplicate_item_code":
        _item(lists, "crowded_place", "CP-03")["code"] = "CP-02"
    elif case == "duplicate_template_id":
        _template(lists, "warehouse")["id"] = "crowded_place"
    elif case == "unknown_subject":
        crowded["subject"] = "building"
    elif case == "missing_fallback":
        lists["templates"] = [t for t in lists["templates"] if t["id"] != "grid_patrol"]
    elif case == "unknown_key":
        _item(lists, "crowded_place", "CP-02")["hazard_catgory"] = "blocked_exit"
    elif case == "wrong_type":
        _item(lists, "crowded_place", "CP-02")["verified"] = "yes"
    elif case == "wildcard_mixed":
        crowded["applies_to"] = ["*", "hotel"]
    elif case == "empty_items":
        crowded["items"] = []
    elif case == "bad_item_code":
        _item(lists, "crowded_place", "CP-02")["code"] = "cp 2"


LIST_CASES = {
    "unknown_category": ("CP-02", "unknown hazard category 'spontaneous_combustion'", "未知隐患类别"),
    "unknown_place_type": ("crowded_place", "unknown place type or place flag 'spaceport'", "未知场所类型"),
    "unknown_kind": ("crowded_place", "unknown inspection kind 'surprise'", "未知检查类型"),
    "invalid_gb_id": ("CP-02", "invalid GB 35181-2017 item id '7.3.13'", "无效的 GB 35181-2017"),
    "gb_id_outside_category": ("CP-02", "not one category blocked_exit may evidence", "不在隐患类别"),
    "duplicate_item_code": ("crowded_place", "duplicate item codes: ['CP-02']", "检查项编号重复"),
    "duplicate_template_id": ("checklists.json", "duplicate template ids: ['crowded_place']", "模板编号重复"),
    "unknown_subject": ("crowded_place", "unknown subject 'building'", "未知检查对象"),
    "missing_fallback": ("checklists.json", "no fallback template", "缺少"),
    "unknown_key": ("CP-02", "unknown keys ['hazard_catgory']", "未知字段"),
    "wrong_type": ("(CP-02).verified", "must be a boolean", "应为布尔值 true/false"),
    "wildcard_mixed": ("crowded_place", "'*' cannot be combined", "不能与其他取值并列"),
    "empty_items": ("crowded_place", "'items' is empty", "检查项不能为空"),
    "bad_item_code": (
        "templates[0] (crowded_place).items[1] (cp 2).code",
        "must look like CP-07",
        "格式应如",
    ),
}


@pytest.mark.parametrize("case", sorted(LIST_CASES))
def test_broken_checklist_table_is_rejected(tmp_path, case):
    lists, _ = _tables()
    _break_lists(case, lists)
    where, english, chinese = LIST_CASES[case]
    with pytest.raises(ChecklistError) as info:
        load(_write(tmp_path, "checklists.json", lists))
    message = str(info.value)
    assert where in message and english in message and chinese in message


def _break_categories(case: str, cats: dict) -> None:
    first = cats["categories"][0]
    if case == "duplicate_category":
        cats["categories"][1]["code"] = first["code"]
    elif case == "invalid_category_gb_id":
        first["gb35181"] = ["8.1"]
    elif case == "unknown_group":
        first["group"] = "miscellany"
    elif case == "non_snake_code":
        first["code"] = "Blocked-Exit"
    elif case == "missing_urgent":
        del first["urgent"]


CATEGORY_CASES = {
    "duplicate_category": "duplicate category codes: ['blocked_exit']",
    "invalid_category_gb_id": "invalid GB 35181-2017 item id '8.1'",
    "unknown_group": "unknown group 'miscellany'",
    "non_snake_code": "must be lower-case ASCII snake_case",
    "missing_urgent": "missing keys ['urgent']",
}


@pytest.mark.parametrize("case", sorted(CATEGORY_CASES))
def test_broken_category_table_is_rejected(tmp_path, case):
    _, cats = _tables()
    _break_categories(case, cats)
    with pytest.raises(ChecklistError, match=r"hazard_categories\.json") as info:
        load(categories_path=_write(tmp_path, "hazard_categories.json", cats))
    assert CATEGORY_CASES[case] in str(info.value)


def test_removing_a_used_category_breaks_the_checklists(tmp_path):
    _, cats = _tables()
    cats["categories"] = [c for c in cats["categories"] if c["code"] != "sandwich_panel"]
    with pytest.raises(ChecklistError, match="unknown hazard category 'sandwich_panel'"):
        load(categories_path=_write(tmp_path, "hazard_categories.json", cats))


def test_unreadable_tables_are_reported(tmp_path):
    bad = tmp_path / "checklists.json"
    bad.write_text('{"id": "checklists",', encoding="utf-8")
    with pytest.raises(ChecklistError, match="invalid JSON at line 1"):
        load(bad)
    with pytest.raises(ChecklistError, match="cannot read file"):
        load(tmp_path / "missing.json")
    with pytest.raises(ChecklistError, match="must be a JSON object"):
        load(_write(tmp_path, "list.json", []))


def test_a_valid_custom_table_loads_and_selects(tmp_path):
    lists, _ = _tables()
    lists["version"] = "2099.1"
    _template(lists, "warehouse")["applies_to"].append("factory")
    table = load(_write(tmp_path, "checklists.json", lists))
    assert table.version == "2099.1"
    assert ids(table.templates_for("factory", [], "random")) == ["warehouse", "general"]
    assert ids(templates_for("factory", [], "random")) == ["general"]  # the packaged table is untouched
