"""Tests for the major-fire-hazard judge kernel (GB 35181-2017) and ``firegov judge`` (no Django)."""

from __future__ import annotations

import copy
import dataclasses
import io
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firegov.kernels import classify
from firegov.kernels.cli_judge import run_judge
from firegov.kernels.judge import (
    KINDS,
    JudgeError,
    JudgeTableError,
    available_tables,
    judge,
    judge_case,
    load_table,
    parse_table,
    procedure_problems,
    table_for_date,
    table_for_standard,
)

TABLE_FILE = Path(classify.__file__).resolve().parent / "rules" / "gb35181_2017.json"
TABLE = load_table("gb35181/2017")
DIRECT = [f"6.{n}" for n in range(1, 11)]
COMPOSITE = sorted(
    (c for c, i in TABLE.items.items() if not i.direct), key=lambda c: tuple(map(int, c.split(".")))
)
RULE_A = ["7.3.1", "7.3.2", "7.3.3", "7.3.4", "7.3.5", "7.3.6", "7.3.7", "7.3.8", "7.3.9", "7.5", "7.9.3"]
RULE_B = ["7.1.1", "7.1.2", "7.1.3", "7.4.5", "7.4.6"]
NEITHER = [c for c in COMPOSITE if c not in RULE_A and c not in RULE_B]  # count only for c) and d)
EXEMPTIONS = ["5.1.3a", "5.1.3b", "5.1.3c"]

# Elements marked [V] in the reference notes; every other element is [M] or [C].
VERIFIED_COMPOSITE = {
    "7.1.1", "7.1.2", "7.1.3", "7.1.4", "7.2.1", "7.2.2", "7.2.3", "7.3.1", "7.3.2", "7.3.3", "7.3.4",
    "7.3.5", "7.3.6", "7.3.7", "7.4.6", "7.5", "7.7.2",
}  # fmt: skip


def raw_table() -> dict:
    return json.loads(TABLE_FILE.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- the shipped table


def test_shipped_table_identity():
    assert available_tables() == ["gb35181/2017"]
    assert TABLE.id == "gb35181/2017"
    assert TABLE.standard == "GB 35181-2017"
    assert TABLE.effective_from == date(2018, 7, 1) and TABLE.effective_from_verified is False
    assert TABLE.effective_to == date(2025, 10, 31)
    assert TABLE.superseded_by == "GB 35181-2025"
    assert load_table("gb35181/2017") is TABLE  # cached


def test_classify_tables_are_not_disturbed():
    assert "gb35181/2017" not in classify.available_tables()


def test_table_has_every_element_with_verification_levels():
    direct = [c for c, i in TABLE.items.items() if i.direct]
    assert direct == DIRECT
    assert len(COMPOSITE) == 39
    assert "7.5" in COMPOSITE and "7.5.1" not in TABLE.items
    assert all(TABLE.items[c].ref.verified for c in DIRECT)
    assert {c for c in COMPOSITE if TABLE.items[c].ref.verified} == VERIFIED_COMPOSITE
    for item in TABLE.items.values():
        assert item.ref.text_zh and item.ref.text_en and item.ref.source
        assert item.group == (
            "6" if item.direct else item.clause.rsplit(".", 1)[0] if item.clause != "7.5" else "7.5"
        )


def test_table_rules_thresholds_and_exemptions():
    rules = {r.clause: r for r in TABLE.composite_rules}
    assert list(rules) == ["5.3.3 a)", "5.3.3 b)", "5.3.3 c)", "5.3.3 d)"]
    assert [r.min_count for r in rules.values()] == [3, 3, 4, 6]
    assert rules["5.3.3 a)"].items == frozenset(RULE_A)
    assert rules["5.3.3 b)"].items == frozenset(RULE_B)
    assert rules["5.3.3 c)"].items is None and rules["5.3.3 d)"].items is None
    assert rules["5.3.3 c)"].place_kinds == {"crowded", "hazmat", "important"}
    assert rules["5.3.3 d)"].place_kinds == {"other"}
    assert TABLE.direct_rule.clause == "5.2.2" and TABLE.direct_rule.min_count == 1
    assert [e.id for e in TABLE.exemptions] == EXEMPTIONS
    assert [(c.rule, c.item, c.counted) for c in TABLE.conflicts] == [("5.3.3b", "7.9.2", False)]
    proc = TABLE.procedure
    assert (proc.min_participants, proc.min_experts, proc.approval) == (3, 7, (2, 3))
    assert {d.id: d.working_days for d in proc.deadlines} == {
        "decision": 7,
        "notice": 3,
        "expert_extension": 10,
    }
    assert not any(d.verified for d in proc.deadlines)  # Art. 21 numbering is from memory


# --------------------------------------------------------------------------- direct determination


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("item", DIRECT)
def test_each_direct_item_alone_is_major(item, kind):
    result = judge(kind, direct_items=[item])
    assert result.major is True
    assert result.rule == "5.2.2" and result.fired == ("5.2.2",)
    assert result.direct == (item,) and result.counted == ()
    assert [c.clause for c in result.clauses] == [item, "5.2.2"]
    assert result.procedure is not None


def test_direct_and_composite_fire_together():
    result = judge("crowded", RULE_A[:3], ["6.5"])
    assert result.fired == ("5.2.2", "5.3.3 a)")
    assert result.rule == "5.2.2"
    assert result.counted == tuple(RULE_A[:3])


# --------------------------------------------------------------------------- composite determination

THRESHOLD_CASES = [
    # (place kind, elements, expected first rule or None)
    ("crowded", RULE_A[:2], None),
    ("crowded", RULE_A[:3], "5.3.3 a)"),
    ("crowded", RULE_A[-3:], "5.3.3 a)"),  # 7.9.3, 7.5, 7.3.9
    ("crowded", NEITHER[:3], None),
    ("crowded", NEITHER[:4], "5.3.3 c)"),
    ("hazmat", RULE_B[:2], None),
    ("hazmat", RULE_B[:3], "5.3.3 b)"),
    ("hazmat", RULE_B[2:], "5.3.3 b)"),  # 7.1.3, 7.4.5, 7.4.6
    ("hazmat", NEITHER[:3], None),
    ("hazmat", NEITHER[:4], "5.3.3 c)"),
    ("hazmat", RULE_A[:3], None),  # rule a is for crowded places only
    ("important", NEITHER[:3], None),
    ("important", NEITHER[:4], "5.3.3 c)"),
    ("important", RULE_A[:3], None),
    ("important", RULE_B[:3], None),
    ("other", NEITHER[:5], None),
    ("other", NEITHER[:6], "5.3.3 d)"),
    ("other", RULE_A[:5], None),
    ("other", RULE_A[:6], "5.3.3 d)"),
    ("other", RULE_B, None),
]


@pytest.mark.parametrize("kind,items,expected", THRESHOLD_CASES)
def test_composite_thresholds(kind, items, expected):
    result = judge(kind, items)
    assert result.major is (expected is not None)
    assert result.rule == expected
    if expected is None:
        assert result.fired == () and result.counted == () and result.procedure is None
    else:
        assert result.counted == tuple(sorted(items, key=lambda c: tuple(map(int, c.split(".")))))


def test_rule_a_only_counts_its_own_items():
    three = ["7.4.1", "7.4.2", "7.4.3"]
    assert judge("crowded", three).major is False
    result = judge("crowded", [*three, "7.4.4"])
    assert result.fired == ("5.3.3 c)",)
    outcome = {o.rule: o for o in result.evaluated}
    assert outcome["5.3.3 a)"].count == 0 and outcome["5.3.3 c)"].count == 4
    mixed = judge("crowded", ["7.3.1", "7.3.2", "7.4.1"])  # a) sees 2, c) sees 3
    assert mixed.major is False
    assert {o.rule: o.count for o in mixed.evaluated} == {"5.2.2": 0, "5.3.3 a)": 2, "5.3.3 c)": 3}


def test_rule_b_without_7_9_2():
    result = judge("hazmat", ["7.1.1", "7.1.2", "7.9.2"])
    assert result.major is False
    assert {o.rule: o.count for o in result.evaluated}["5.3.3 b)"] == 2
    assert any("7.9.2" in w and "would fire" in w for w in result.warnings)
    assert judge("hazmat", ["7.1.1", "7.1.2", "7.1.3"]).rule == "5.3.3 b)"


def test_rule_b_7_9_2_warning_when_it_does_not_matter():
    result = judge("hazmat", ["7.1.1", "7.1.2", "7.1.3", "7.9.2"])
    assert result.fired == ("5.3.3 b)", "5.3.3 c)")
    assert "7.9.2" not in {o.rule: o for o in result.evaluated}["5.3.3 b)"].counted
    warning = next(w for w in result.warnings if "7.9.2" in w)
    assert "would fire" not in warning
    assert not any("7.9.2" in w for w in judge("crowded", ["7.9.2"]).warnings)  # rule b does not apply


def test_several_place_kinds():
    kinds = ["crowded", "hazmat"]
    assert judge(kinds, ["7.3.1", "7.3.2", "7.1.1"]).major is False
    four = judge(kinds, ["7.3.1", "7.3.2", "7.1.1", "7.1.2"])
    assert four.fired == ("5.3.3 c)",)
    both = judge(kinds, ["7.3.1", "7.3.2", "7.3.3", "7.1.1", "7.1.2", "7.1.3"])
    assert both.fired == ("5.3.3 a)", "5.3.3 b)", "5.3.3 c)")
    assert both.rule == "5.3.3 a)"
    assert both.counted == ("7.1.1", "7.1.2", "7.1.3", "7.3.1", "7.3.2", "7.3.3")
    important = judge(["important", "crowded"], RULE_A[:3])
    assert important.place_kinds == ("crowded", "important") and important.rule == "5.3.3 a)"
    assert judge(("hazmat", "important"), RULE_B[:3]).rule == "5.3.3 b)"
    assert judge(["crowded", "crowded"], RULE_A[:3]).place_kinds == ("crowded",)


def test_place_kind_by_chinese_term():
    assert judge("人员密集场所", RULE_A[:3]).rule == "5.3.3 a)"
    assert judge(["易燃易爆危险品场所", "重要场所"], RULE_B[:3]).place_kinds == ("hazmat", "important")


# --------------------------------------------------------------------------- place types


@pytest.mark.parametrize(
    "place_type,kinds",
    [
        ("hotel", ("crowded",)),
        ("hospital", ("crowded",)),
        ("hazmat_storage", ("hazmat",)),
        ("fuel_station", ("hazmat",)),
        ("government", ("important",)),
        ("museum", ("crowded", "important")),
        ("office", ("other",)),
        ("factory", ("other",)),
        ("hazmat_transport", ("other",)),
        ("small_place", ("other",)),
    ],
)
def test_place_type_maps_through_flags(place_type, kinds):
    assert judge(place_type=place_type).place_kinds == kinds


def test_place_type_warnings():
    assert any("open_to_public" in w for w in judge(place_type="restaurant").warnings)
    assert any("important place" in w for w in judge(place_type="archive").warnings)
    assert any("'nine small'" in w for w in judge(place_type="small_place").warnings)
    assert judge(place_type="hotel").warnings == ()


def test_place_type_and_kind_merge():
    assert judge("important", place_type="hotel").place_kinds == ("crowded", "important")
    assert judge("crowded", place_type="office").place_kinds == ("crowded",)  # type's "other" gives way
    with pytest.raises(JudgeError) as err:
        judge("other", place_type="hotel")
    assert err.value.field == "place_kind"


def test_other_needs_six_even_for_a_type():
    assert judge(place_type="office", items=NEITHER[:5]).major is False
    assert judge(place_type="office", items=NEITHER[:6]).rule == "5.3.3 d)"
    assert judge(place_type="hotel", items=NEITHER[:4]).rule == "5.3.3 c)"


# --------------------------------------------------------------------------- exemptions, 5.1.2, duplicates


@pytest.mark.parametrize("exemption", EXEMPTIONS)
def test_each_exemption_blocks(exemption):
    result = judge("crowded", RULE_A[:3], ["6.6"], exemptions=[exemption])
    assert result.major is False
    assert result.exempted_by == (exemption,)
    assert result.fired == ("5.2.2", "5.3.3 a)") and result.rule == "5.2.2"
    assert result.procedure is not None  # the procedure still decides the would-be major hazard
    assert exemption.replace("5.1.3", "5.1.3 ") + ")" in [c.clause for c in result.clauses]


@pytest.mark.parametrize("spelling", ["5.1.3b", "5.1.3 b)", "b", "B", "5.1.3(b)", "5.1.3（b）", " 5.1.3 b "])
def test_exemption_spellings(spelling):
    assert judge("other", exemptions=[spelling]).exempted_by == ("5.1.3b",)


def test_exemptions_without_a_firing_rule():
    result = judge("crowded", ["7.3.1"], exemptions=["a", "c", "a"])
    assert result.major is False and result.fired == () and result.exempted_by == ("5.1.3a", "5.1.3c")


def test_correctable_items_never_count():
    items = ["7.3.1", "7.3.2", {"item": "7.3.3", "correctable_at_once": True}]
    result = judge("crowded", items)
    assert result.major is False
    assert result.ignored == ("7.3.3",)
    assert result.clauses[0].clause == "5.1.2"
    direct = judge("crowded", direct_items=[{"item": "6.5", "correctable_at_once": True}])
    assert direct.major is False and direct.ignored == ("6.5",) and direct.direct == ()
    counted = judge("crowded", [*items, {"item": "7.3.4", "correctable_at_once": False}])
    assert counted.major is True and counted.counted == ("7.3.1", "7.3.2", "7.3.4")


def test_an_item_counts_if_any_occurrence_cannot_be_corrected():
    items = ["7.3.1", "7.3.2", {"item": "7.3.3", "correctable_at_once": True}, {"item": "7.3.3"}]
    result = judge("crowded", items)
    assert result.major is True and result.ignored == ()


def test_duplicates_count_once():
    result = judge("crowded", ["7.3.1", "7.3.1", "7.3.1", {"item": "7.3.1"}])
    assert result.major is False
    assert {o.rule: o.count for o in result.evaluated}["5.3.3 a)"] == 1
    assert judge("other", direct_items=["6.1", "6.1"]).direct == ("6.1",)


def test_items_are_normalised():
    assert judge("crowded", ["７.３.１", " 7.3.2 ", "7.3.3"]).counted == ("7.3.1", "7.3.2", "7.3.3")


# --------------------------------------------------------------------------- result details


def test_clauses_and_unverified():
    result = judge("crowded", ["7.3.8", "7.3.9", "7.9.3", "7.3.1"])
    assert result.rule == "5.3.3 a)" and result.fired == ("5.3.3 a)", "5.3.3 c)")
    clauses = {c.clause: c for c in result.clauses}
    assert list(clauses) == ["7.3.1", "7.3.8", "7.3.9", "7.9.3", "5.3.3 a)", "5.3.3 c)"]
    assert clauses["7.3.1"].verified and not clauses["7.3.8"].verified
    assert clauses["5.3.3 a)"].kind == "rule" and clauses["7.3.8"].kind == "composite_item"
    assert result.unverified == ("7.3.8", "7.3.9", "7.9.3", "《消防监督检查规定》第二十一条")


def test_procedure_only_when_something_fired():
    assert judge("crowded", ["7.3.1"]).procedure is None
    procedure = judge("other", direct_items=["6.4"]).as_dict()["procedure"]
    assert procedure["required"] is True
    assert (procedure["min_participants"], procedure["min_experts"], procedure["approval"]) == (3, 7, "2/3")
    assert [s["clause"] for s in procedure["steps"]] == ["4.2 a)", "4.2 b)", "4.2 c)", "4.3", "4.4"]
    days = {d["id"]: (d["working_days"], d["from"]) for d in procedure["deadlines"]}
    assert days == {
        "decision": (7, "inspection"),
        "notice": (3, "determination"),
        "expert_extension": (10, "decision"),
    }


def test_result_is_frozen_and_json_ready():
    result = judge("crowded", RULE_A[:3], case_id="c1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.major = False  # type: ignore[misc]
    data = result.as_dict()
    assert list(data)[:8] == ["id", "major", "rule", "fired", "counted", "direct", "ignored", "exempted_by"]
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert "id" not in judge("crowded").as_dict()


def test_inputs_are_not_modified():
    items = [{"item": "7.3.1", "correctable_at_once": True}, "7.3.2"]
    before = copy.deepcopy(items)
    judge("crowded", items)
    assert items == before


# --------------------------------------------------------------------------- dates and standards


def test_table_for_date():
    assert table_for_date(date(2018, 7, 1)) is TABLE
    assert table_for_date("2025-10-31") is TABLE
    with pytest.raises(JudgeError) as err:
        table_for_date(date(2025, 11, 1))
    assert err.value.field == "date" and "GB 35181-2025" in err.value.message_en
    assert "not available yet" in err.value.message_en
    with pytest.raises(JudgeError) as err:
        table_for_date("2018-06-30")
    assert "GA 653-2006" in err.value.message_en
    with pytest.raises(JudgeError) as err:
        table_for_date("2020-13-01")
    assert err.value.field == "date"


def test_date_warnings():
    assert judge("crowded", date="2024-05-01").warnings == ()
    late = judge("crowded", date=date(2025, 11, 1))
    assert any("superseded by GB 35181-2025" in w for w in late.warnings)
    early = judge("crowded", date="2018-01-01")
    assert any("not yet in force" in w and "GA 653-2006" in w for w in early.warnings)
    assert "effective_from 2018-07-01" in early.unverified
    assert "effective_from 2018-07-01" not in judge("crowded").unverified


def test_standards():
    assert table_for_standard("GB 35181-2017") is TABLE
    assert table_for_standard("gb35181—2017") is TABLE
    assert table_for_standard("gb35181/2017") is TABLE
    assert judge("crowded", standard="GB 35181-2017").standard == "GB 35181-2017"
    with pytest.raises(JudgeError) as err:
        judge("crowded", standard="GB 35181-2025")
    assert err.value.field == "standard" and "not available yet" in err.value.message_en
    assert "尚未提供" in err.value.message_zh
    with pytest.raises(JudgeError) as err:
        judge("crowded", standard="GB 50016-2014")
    assert err.value.field == "standard" and "unknown standard" in err.value.message_en


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "kwargs,field,fragment",
    [
        ({"place_kind": "crowded", "items": ["7.3.13"]}, "items[0]", "unknown element '7.3.13'"),
        ({"place_kind": "crowded", "items": ["7.3.1", "6.1"]}, "items[1]", "direct element"),
        ({"place_kind": "crowded", "direct_items": ["7.5"]}, "direct_items[0]", "composite element"),
        ({"place_kind": "crowded", "items": [7.5]}, "items[0]", "unknown element"),
        ({"place_kind": "crowded", "items": "7.3.1"}, "items", "must be a list"),
        ({"place_kind": "crowded", "items": [{"item": "7.3.1", "fixed": True}]}, "items[0]", "unknown keys"),
        ({"place_kind": "crowded", "items": [{"correctable_at_once": True}]}, "items[0]", "missing 'item'"),
        (
            {"place_kind": "crowded", "items": [{"item": "7.3.1", "correctable_at_once": "yes"}]},
            "items[0].correctable_at_once",
            "true or false",
        ),
        ({"place_kind": "park"}, "place_kind", "unknown place kind 'park'"),
        ({"place_kind": []}, "place_kind", "must not be empty"),
        ({"place_kind": ["crowded", "other"]}, "place_kind", "cannot be combined"),
        ({}, "place_kind", "missing place_kind or place_type"),
        ({"place_type": "zoo"}, "place_type", "unknown place type 'zoo'"),
        ({"place_kind": "crowded", "exemptions": ["d"]}, "exemptions[0]", "unknown exemption 'd'"),
        ({"place_kind": "crowded", "exemptions": ["5.1.3a", 3]}, "exemptions[1]", "unknown exemption"),
        ({"place_kind": "crowded", "standard": "GB 35181"}, "standard", "unknown standard"),
        ({"place_kind": "crowded", "date": "2024/01/01"}, "date", "YYYY-MM-DD"),
    ],
)
def test_errors(kwargs, field, fragment):
    with pytest.raises(JudgeError) as err:
        judge(**kwargs)
    assert err.value.field == field
    assert fragment in err.value.message_en
    assert err.value.message_zh and err.value.message_zh != err.value.message_en
    assert f"field {field}" in str(err.value) and f"字段 {field}" in str(err.value)


def test_errors_name_the_case():
    with pytest.raises(JudgeError) as err:
        judge_case({"id": "k7", "place_kind": "crowded", "items": ["9.9"]})
    assert err.value.case_id == "k7" and "case 'k7'" in str(err.value)
    with pytest.raises(JudgeError) as err:
        judge_case({"id": "k8", "place_kind": "crowded", "itmes": ["7.3.1"]})
    assert err.value.field == "itmes"
    with pytest.raises(JudgeError) as err:
        judge_case(["crowded"])
    assert err.value.field == "case"
    with pytest.raises(JudgeError) as err:
        judge_case({"id": True, "place_kind": "crowded"})
    assert err.value.field == "id"


# --------------------------------------------------------------------------- custom tables


def province_table(tmp_path: Path) -> Path:
    """A province-style table: 7.9.2 counts for rule b and rule d needs only 5 elements."""
    data = raw_table()
    data["id"] = "gb35181/2017-province"
    rules = {r["id"]: r for r in data["composite_rules"]}
    rules["5.3.3b"]["items"].append("7.9.2")
    rules["5.3.3d"]["min_count"] = 5
    data["conflicts"][0]["counted"] = True
    path = tmp_path / "province.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_province_table_by_path(tmp_path):
    path = province_table(tmp_path)
    result = judge("hazmat", ["7.1.1", "7.1.2", "7.9.2"], table=path)
    assert result.rule == "5.3.3 b)" and result.table == "gb35181/2017-province"
    assert result.counted == ("7.1.1", "7.1.2", "7.9.2")
    assert any("would no longer fire" in w for w in result.warnings)
    assert judge("other", NEITHER[:5], table=str(path)).rule == "5.3.3 d)"
    assert judge("other", NEITHER[:5]).major is False  # the shipped table is unchanged
    assert judge("other", NEITHER[:5], table=path, standard="GB 35181-2017").major is True
    with pytest.raises(JudgeError) as err:
        judge("other", table=path, standard="GB 35181-2025")
    assert err.value.field == "standard"


def _broken(mutate) -> dict:
    data = raw_table()
    mutate(data)
    return data


@pytest.mark.parametrize(
    "mutate,fragment",
    [
        (lambda d: d.pop("composite_rules"), "missing 'composite_rules'"),
        (lambda d: d.update(kind="key_unit"), "'kind' must be 'major_hazard'"),
        (lambda d: d["composite_rules"][0]["items"].append("7.10.1"), "unknown composite elements"),
        (lambda d: d["composite_rules"][0].update(min_count=0), "at least 1"),
        (lambda d: d["composite_rules"][0].update(place_kinds=["park"]), "place kinds"),
        (lambda d: d["composite_items"].append(copy.deepcopy(d["composite_items"][0])), "duplicate element"),
        (lambda d: d["conflicts"][0].update(counted=True), "'counted' disagrees"),
        (lambda d: d.update(effective_to="2010-01-01"), "before 'effective_from'"),
        (lambda d: d["place_kinds"].pop("other"), "must define exactly"),
        (lambda d: d["direct_items"][0].update(verified="yes"), "'verified' has the wrong type"),
        (lambda d: d["procedure"].update(min_experts=0), "must be positive"),
        (lambda d: d["exemptions"][1].update(id="5.1.3a"), "exemption"),
    ],
)
def test_bad_tables(mutate, fragment):
    with pytest.raises(JudgeTableError) as err:
        parse_table(_broken(mutate), "t.json")
    assert fragment in err.value.message_en
    assert err.value.field == "table"


def test_bad_table_files(tmp_path):
    with pytest.raises(JudgeTableError, match="cannot read rule table"):
        load_table(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(JudgeTableError, match="invalid JSON"):
        load_table(bad)
    with pytest.raises(JudgeTableError, match="unknown rule table id"):
        load_table("gb35181/2025")
    with pytest.raises(JudgeTableError, match="unknown rule table id"):
        load_table("key-units/national-2001")  # a classification table, not a judge table


def test_procedure_problems():
    assert procedure_problems(3) == []
    assert len(procedure_problems(2)) == 1
    assert procedure_problems(3, 7, 5) == []  # 5/7 >= 2/3
    assert procedure_problems(3, 9, 6) == []  # exactly 2/3 (三分之二以上 includes the number)
    assert len(procedure_problems(3, 7, 4)) == 1
    assert len(procedure_problems(3, 6, 6)) == 1
    assert len(procedure_problems(3, 7)) == 1  # expert review without a tally


def test_no_django_import():
    code = (
        "import sys; import firegov.kernels.judge, firegov.kernels.cli_judge; "
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules), 'django imported'"
    )
    root = Path(classify.__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


# --------------------------------------------------------------------------- properties

_kinds = st.one_of(
    st.just(["other"]),
    st.lists(st.sampled_from(["crowded", "hazmat", "important"]), min_size=1, max_size=3, unique=True),
)
_composite = st.lists(st.sampled_from(COMPOSITE), max_size=12)
_direct = st.lists(st.sampled_from(DIRECT), max_size=2)


def _oracle(kinds: list[str], items: list[str], direct: list[str]) -> bool:
    """An independent reading of 5.2.2 and 5.3.3 a)-d)."""
    present = set(items)
    return bool(
        direct
        or ("crowded" in kinds and len(present & set(RULE_A)) >= 3)
        or ("hazmat" in kinds and len(present & set(RULE_B)) >= 3)
        or (set(kinds) & {"crowded", "hazmat", "important"} and len(present) >= 4)
        or ("other" in kinds and len(present) >= 6)
    )


@settings(max_examples=300, deadline=None)
@given(_kinds, _composite, _direct)
def test_property_matches_the_oracle(kinds, items, direct):
    assert judge(kinds, items, direct).major is _oracle(kinds, items, direct)


@settings(max_examples=300, deadline=None)
@given(_kinds, _composite, _direct, _composite, _direct)
def test_property_adding_items_never_removes_major(kinds, items, direct, more, more_direct):
    before = judge(kinds, items, direct)
    after = judge(kinds, items + more, direct + more_direct)
    if before.major:
        assert after.major
    assert set(before.fired) <= set(after.fired)


@settings(max_examples=300, deadline=None)
@given(_kinds, _composite, _direct, st.data())
def test_property_order_and_duplicates_do_not_matter(kinds, items, direct, data):
    shuffled = data.draw(
        st.permutations(items + data.draw(st.lists(st.sampled_from(items), max_size=5)) if items else [])
    )
    shuffled_kinds = data.draw(st.permutations(kinds))
    assert (
        judge(shuffled_kinds, shuffled, direct[::-1] + direct).as_dict()
        == judge(kinds, items, direct).as_dict()
    )


@settings(max_examples=300, deadline=None)
@given(_kinds, _composite, _direct, st.lists(st.sampled_from(EXEMPTIONS), min_size=1, max_size=3))
def test_property_any_exemption_means_not_major(kinds, items, direct, exemptions):
    result = judge(kinds, items, direct, exemptions=exemptions)
    assert result.major is False
    assert set(result.exempted_by) == set(exemptions)
    assert result.fired == judge(kinds, items, direct).fired  # still reported


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(COMPOSITE), max_size=12).filter(lambda xs: len(set(xs)) < 6))
def test_property_other_below_six_is_never_major(items):
    assert judge("other", items).major is False


# --------------------------------------------------------------------------- CLI


def judge_cli(argv, stdin_text=""):
    stdout, stderr = io.StringIO(), io.StringIO()
    status = run_judge(argv, io.StringIO(stdin_text), stdout, stderr)
    return status, stdout.getvalue(), stderr.getvalue()


CASE = {
    "standard": "GB 35181-2017",
    "place_kind": "crowded",
    "items": ["7.3.1", "7.3.2", {"item": "7.3.3", "correctable_at_once": False}],
    "direct_items": [],
    "exemptions": [],
    "date": "2024-03-01",
}


def test_cli_one_case():
    status, out, err = judge_cli(["-"], json.dumps(CASE))
    assert status == 0, err
    assert err == ""
    result = json.loads(out)
    assert isinstance(result, dict)
    for key in ("major", "rule", "counted", "clauses", "exempted_by", "procedure"):
        assert key in result
    assert result["major"] is True and result["rule"] == "5.3.3 a)"
    assert "人员密集场所" in out  # ensure_ascii=False


def test_cli_list_of_cases(tmp_path):
    cases = [
        {**CASE, "id": "a1"},
        {"id": 2, "place_type": "office", "items": NEITHER[:5]},
        {"id": "a3", "place_kind": "hazmat", "direct_items": ["6.2"], "exemptions": ["5.1.3b"]},
    ]
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(cases, ensure_ascii=False), encoding="utf-8")
    status, out, err = judge_cli([str(path)])
    assert status == 0, err
    results = json.loads(out)
    assert [r["id"] for r in results] == ["a1", 2, "a3"]
    assert [r["major"] for r in results] == [True, False, False]
    assert results[2]["exempted_by"] == ["5.1.3b"] and results[2]["rule"] == "5.2.2"
    assert results[1]["procedure"] is None


def test_cli_empty_list():
    assert judge_cli(["-"], "[]") == (0, "[]\n", "")


@pytest.mark.parametrize(
    "stdin_text,fragment",
    [
        ("{", "not valid JSON (line 1, column 2"),
        ("", "not valid JSON"),
        ('"crowded"', "must contain a JSON object or a list of cases"),
    ],
)
def test_cli_bad_json(stdin_text, fragment):
    status, out, err = judge_cli(["-"], stdin_text)
    assert status == 2 and out == ""
    assert fragment in err and " / " in err


def test_cli_unknown_item_names_case_and_field():
    cases = [{**CASE, "id": "ok"}, {"id": "x9", "place_kind": "crowded", "items": ["7.3.1", "7.3.99"]}]
    status, out, err = judge_cli(["-"], json.dumps(cases))
    assert status == 2 and out == ""
    assert "x9" in err and "items[1]" in err and "7.3.99" in err
    assert "未知的判定要素" in err and "unknown element" in err


def test_cli_every_bad_case_is_reported():
    cases = [{"place_kind": "zoo"}, "crowded", {"id": "b", "place_kind": "crowded", "exemptions": ["z"]}]
    status, _, err = judge_cli(["-"], json.dumps(cases))
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 3
    assert "case #1" in lines[0] and "field place_kind" in lines[0]
    assert "case #2" in lines[1] and "field case" in lines[1]
    assert "case b (#3)" in lines[2] and "field exemptions[0]" in lines[2]


def test_cli_standard_2025():
    status, out, err = judge_cli(["-"], json.dumps({**CASE, "standard": "GB 35181-2025"}))
    assert status == 2 and out == ""
    assert "field standard" in err and "not available yet" in err


def test_cli_table_option(tmp_path):
    path = province_table(tmp_path)
    case = {"place_kind": "hazmat", "items": ["7.1.1", "7.1.2", "7.9.2"]}
    status, out, err = judge_cli(["-", "--table", str(path)], json.dumps(case))
    assert status == 0, err
    assert json.loads(out)["rule"] == "5.3.3 b)"
    status, out, _ = judge_cli(["-", "--table", "gb35181/2017"], json.dumps(case))
    assert status == 0 and json.loads(out)["major"] is False
    status, out, err = judge_cli(["-", "--table", "gb35181/1999"], json.dumps(case))
    assert status == 2 and out == "" and "unknown rule table id" in err
    status, _, err = judge_cli(["-", "--table", str(tmp_path / "none.json")], "{}")
    assert status == 2 and "cannot read rule table" in err


def test_cli_unreadable_file(tmp_path):
    status, out, err = judge_cli([str(tmp_path / "missing.json")])
    assert status == 2 and out == "" and "cannot read" in err


@pytest.mark.parametrize("argv", [[], ["a.json", "b.json"], ["-", "--bogus"], ["-", "--table"]])
def test_cli_usage_errors(argv):
    status, out, err = judge_cli(argv)
    assert status == 2 and out == ""
    assert "usage: firegov judge" in err


def test_cli_help():
    status, out, err = judge_cli(["--help"])
    assert status == 0 and err == ""
    assert "usage: firegov judge" in out and "--table" in out
