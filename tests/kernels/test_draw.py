"""Tests for the verifiable double-random draw kernel and its ``firegov draw`` command (no Django)."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import math
import random
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firegov.kernels import draw as draw_module
from firegov.kernels.cli_draw import format_result, run_draw
from firegov.kernels.draw import (
    ALGORITHM,
    DrawError,
    commitment,
    draw,
    inputs_sha256,
    new_seed,
    parse_seed,
    random_sequence,
    verify,
)

SEED = bytes(range(32))
OTHER_SEED = bytes(range(1, 33))
AS_OF = "2026-04-01"


def unit(ident, **fields):
    record = {
        "id": ident,
        "region": "370403001",
        "place_type": "hotel",
        "key_unit": False,
        "crowded": False,
        "penalised_last_year": False,
        "last_inspected": None,
        "last_inspectors": [],
    }
    record.update(fields)
    return record


def inspector(ident, **fields):
    record = {
        "id": ident,
        "name": f"检查员{ident}",
        "agency": "薛城区大队",
        "available": True,
        "conflicts": [],
        "relatives_units": [],
    }
    record.update(fields)
    return record


def rules(*strata, **fields):
    record = {
        "as_of": AS_OF,
        "inspectors_per_unit": 2,
        "exclude_inspected_within_days": 90,
        "recuse_last_inspectors": True,
        "max_units_per_inspector": None,
        "strata": list(strata) or [{"code": "all", "label": "全部", "filter": {}, "ratio": 1}],
    }
    record.update(fields)
    return record


def city(units=60, inspectors=12):
    """A small city: key, crowded, penalised and general units, inspectors with declared conflicts."""
    rng = random.Random(7)
    unit_list = []
    for n in range(units):
        last = None if n % 3 == 0 else (date(2026, 4, 1) - timedelta(days=rng.randint(1, 200))).isoformat()
        unit_list.append(
            unit(
                f"u{n:03d}",
                key_unit=n % 4 == 0,
                crowded=n % 5 == 0,
                penalised_last_year=n % 7 == 0,
                region=rng.choice(["370403001", "370403002", "370481001"]),
                place_type=rng.choice(["hotel", "mall", "school"]),
                last_inspected=last,
                last_inspectors=[f"i{rng.randrange(inspectors):02d}"] if last else [],
            )
        )
    inspector_list = [
        inspector(
            f"i{n:02d}",
            available=n != 5,
            conflicts=[f"u{3 * n:03d}"],
            relatives_units=[f"u{3 * n + 1:03d}"] if n % 2 else [],
        )
        for n in range(inspectors)
    ]
    strata = [
        {
            "code": "crowded_key",
            "label": "人员密集重点单位",
            "filter": {"key_unit": True, "crowded": True},
            "count": 3,
        },
        {
            "code": "key",
            "label": "其他重点单位",
            "filter": {"key_unit": True},
            "ratio": 0.5,
            "rounding": "ceil",
        },
        {
            "code": "penalised",
            "label": "上年度受处罚单位",
            "filter": {"penalised_last_year": True},
            "ratio": 0.5,
        },
        {
            "code": "general",
            "label": "一般单位",
            "filter": {"region_prefix": "3704"},
            "ratio": 0.2,
            "rounding": "floor",
        },
    ]
    return unit_list, inspector_list, rules(*strata)


def teams(result):
    return {a["unit"]: a["inspectors"] for a in result["assignments"]}


# --------------------------------------------------------------------------- a reference implementation


def reference_draw(seed, units, inspectors, rule_set):
    """firegov-draw/1 re-implemented from the module docstring alone, the slow and obvious way."""

    def text(ident):
        return ident if isinstance(ident, str) else str(ident)

    def sequence(label, name, count):
        data = hashlib.shake_256(seed + label.encode() + b"\x00" + name.encode()).digest(8 * count)
        return [int.from_bytes(data[8 * i : 8 * i + 8], "big") for i in range(count)]

    def options(value):
        return [value] if isinstance(value, str) else value

    def matches(flt, u):
        for flag in ("key_unit", "crowded", "penalised_last_year"):
            if flag in flt and u.get(flag, False) != flt[flag]:
                return False
        if "region_prefix" in flt and (
            u.get("region") is None
            or not any(u["region"].startswith(p) for p in options(flt["region_prefix"]))
        ):
            return False
        return "place_type" not in flt or u.get("place_type") in options(flt["place_type"])

    as_of = date.fromisoformat(rule_set["as_of"])
    drawn_this_year = {
        code: [text(i) for i in ids] for code, ids in (rule_set.get("drawn_this_year") or {}).items()
    }
    k = rule_set.get("inspectors_per_unit", 2)
    window = rule_set.get("exclude_inspected_within_days")
    cap = rule_set.get("max_units_per_inspector")
    recuse_last = rule_set.get("recuse_last_inspectors", True)
    ordered_units = sorted(units, key=lambda u: text(u["id"]))
    stratum_of = {}
    for u in ordered_units:
        for s in rule_set["strata"]:
            if matches(s.get("filter", {}), u):
                stratum_of[text(u["id"])] = s["code"]
                break
    drawn, summary = [], []
    for s in rule_set["strata"]:
        members = [u for u in ordered_units if stratum_of.get(text(u["id"])) == s["code"]]
        yearly = s.get("per", "month") == "year"
        before = drawn_this_year.get(s["code"], []) if yearly else []
        eligible = [
            u
            for u in members
            if not (
                window is not None
                and u.get("last_inspected") is not None
                and date.fromisoformat(u["last_inspected"]) > as_of - timedelta(days=window)
            )
            and text(u["id"]) not in before
        ]
        if s.get("count") is not None:
            quota = s["count"]
        else:
            mode = {"ceil": ROUND_CEILING, "floor": ROUND_FLOOR, "round": ROUND_HALF_UP}[
                s.get("rounding", "ceil")
            ]
            quota = int((Decimal(repr(s["ratio"])) * len(members)).to_integral_value(rounding=mode))
        if yearly:
            quota = max(0, math.ceil(Fraction(quota - len(before), 13 - as_of.month)))
        x = sequence("units", s["code"], len(eligible))
        chosen = sorted(range(len(eligible)), key=lambda i: (x[i], i))[:quota]
        drawn += [(eligible[i], s["code"]) for i in chosen]
        summary.append(
            (s["code"], len(members), len(members) - len(eligible), len(eligible), quota, len(chosen))
        )
    available = sorted((i for i in inspectors if i.get("available", True)), key=lambda i: text(i["id"]))
    y = sequence("inspectors", "", len(available))
    ordered = [available[i] for i in sorted(range(len(available)), key=lambda i: (y[i], i))]
    m = len(ordered)
    starts = sequence("slots", "", len(drawn) * k)
    load = [0] * m
    assignments = []
    for number, (u, code) in enumerate(drawn, start=1):
        uid = text(u["id"])
        last = {text(i) for i in (u.get("last_inspectors") or [])}
        recused = {
            p
            for p, insp in enumerate(ordered)
            if uid in {text(t) for t in insp.get("conflicts") or []}
            or uid in {text(t) for t in insp.get("relatives_units") or []}
            or (recuse_last and text(insp["id"]) in last)
        }
        team = []
        for j in range(k):
            s = starts[(number - 1) * k + j] % m if m else 0
            candidates = [
                p for p in range(m) if p not in recused and p not in team and (cap is None or load[p] < cap)
            ]
            if not candidates:
                team = None
                break
            team.append(min(candidates, key=lambda p, s=s: (load[p], (p - s) % m)))
        for p in team or []:
            load[p] += 1
        assignments.append((u["id"], code, [ordered[p]["id"] for p in team] if team else []))
    return assignments, summary


def as_reference(result):
    assignments = [(a["unit"], a["stratum"], a["inspectors"]) for a in result["assignments"]]
    summary = [
        (s["code"], s["pool"], s["excluded"], s["eligible"], s["quota"], s["drawn"]) for s in result["strata"]
    ]
    return assignments, summary


def test_matches_the_reference_implementation():
    units, inspectors, rule_set = city(120, 15)
    result = draw(SEED, units, inspectors, rule_set)
    assert as_reference(result) == reference_draw(SEED, units, inspectors, rule_set)
    assert len(result["assignments"]) > 10


def _pinned_variant(name):
    if name == "many":
        units, inspectors, rule_set = city(5000, 300)
        rule_set["max_units_per_inspector"] = 30
    elif name == "short":  # 40 inspectors capped at 30 units each cannot staff 849 units
        units, inspectors, rule_set = city(3000, 40)
        rule_set["max_units_per_inspector"] = 30
    else:  # integer ids and a yearly stratum with units drawn earlier in the year
        units, inspectors, rule_set = city(3000, 200)
        for record in units:
            record["id"] = int(record["id"][1:])
        for record in inspectors:
            record["conflicts"] = [int(ident[1:]) for ident in record["conflicts"]]
        rule_set["strata"][-1].update(per="year", ratio=0.5)
        rule_set["drawn_this_year"] = {"general": list(range(0, 3000, 7))}
    return units, inspectors, rule_set


@pytest.mark.parametrize(
    "variant, digest, drawn, shortfalls",
    [
        ("many", "b23c53c5b35423bf1b72def563138c6a012dd8b0c361222b0689de27176d2d9f", 1413, 0),
        ("short", "e9fe77439d5a69a3177e5f6dcf9b34c48409f2abefbdd0ffd31d8050bbd8ca1e", 849, 264),
        ("yearly", "6b355346b75675d70a857f1b4bbfb75c25e44a7187e3790e275861b3b766994c", 524, 0),
    ],
)
def test_published_results_never_change(variant, digest, drawn, shortfalls):
    """Results published under firegov-draw/1 must be re-computable byte for byte by every later
    version: these digests were taken from the implementation that published the first draws."""
    result = draw(SEED, *_pinned_variant(variant))
    assert (len(result["assignments"]), len(result["shortfalls"])) == (drawn, shortfalls)
    text = json.dumps(result, ensure_ascii=False, sort_keys=True)
    assert hashlib.sha256(text.encode()).hexdigest() == digest


def test_random_sequence_is_shake256_big_endian():
    data = hashlib.shake_256(SEED + b"units\x00key").digest(24)
    expected = [int.from_bytes(data[i : i + 8], "big") for i in (0, 8, 16)]
    assert random_sequence(SEED, "units", "key", 3) == expected
    assert random_sequence(SEED, "units", "key", 0) == []


def test_smallest_is_exact_with_and_without_the_cutoff():
    rng = random.Random(3)
    for n, count in [(1000, 10), (1000, 999), (50, 50), (5, 9), (400, 0)]:
        values = [rng.getrandbits(64) for _ in range(n)]
        expected = sorted(range(n), key=lambda i: (values[i], i))[:count]
        assert draw_module._smallest(values, count) == expected
    ties = [5, 3, 5, 3, 1] * 40
    assert draw_module._smallest(ties, 7) == sorted(range(200), key=lambda i: (ties[i], i))[:7]


# --------------------------------------------------------------------------- reproducibility


def test_same_inputs_give_the_same_result():
    units, inspectors, rule_set = city()
    first = draw(SEED, units, inspectors, rule_set)
    assert draw(SEED, copy.deepcopy(units), copy.deepcopy(inspectors), copy.deepcopy(rule_set)) == first
    assert first["algorithm"] == ALGORITHM
    assert first["seed"] == SEED.hex()
    assert first["seed_sha256"] == hashlib.sha256(SEED).hexdigest()
    json.dumps(first)  # JSON-serialisable


def test_input_order_does_not_matter():
    units, inspectors, rule_set = city()
    first = draw(SEED, units, inspectors, rule_set)
    rng = random.Random(11)
    for _ in range(3):
        shuffled_units, shuffled_inspectors = units[:], inspectors[:]
        rng.shuffle(shuffled_units)
        rng.shuffle(shuffled_inspectors)
        assert draw(SEED, shuffled_units, shuffled_inspectors, rule_set) == first


def test_key_order_within_records_does_not_matter():
    units, inspectors, rule_set = city()
    reversed_units = [dict(reversed(list(u.items()))) for u in units]
    reversed_rules = dict(reversed(list(rule_set.items())))
    assert draw(SEED, reversed_units, inspectors, reversed_rules) == draw(SEED, units, inspectors, rule_set)


def test_integer_ids_are_ordered_as_text():
    units = [unit(n) for n in (10, 9, 100, 1)] + [unit("2a")]
    shuffled = [units[i] for i in (3, 0, 4, 2, 1)]
    result = draw(SEED, units, [inspector(n) for n in range(4)], rules())
    assert draw(SEED, shuffled, [inspector(n) for n in (3, 1, 0, 2)], rules()) == result
    assert sorted(a["unit"] for a in result["assignments"] if isinstance(a["unit"], int)) == [1, 9, 10, 100]
    assert all(isinstance(i, int) for a in result["assignments"] for i in a["inspectors"])


def test_a_different_seed_gives_a_different_draw():
    units, inspectors, rule_set = city()
    first = draw(SEED, units, inspectors, rule_set)
    second = draw(OTHER_SEED, units, inspectors, rule_set)
    assert first["seed_sha256"] != second["seed_sha256"]
    assert teams(first) != teams(second)
    assert [s["drawn"] for s in first["strata"]] == [s["drawn"] for s in second["strata"]]


def test_missing_fields_take_their_defaults():
    bare = [{"id": "a"}, {"id": "b", "key_unit": True}]
    full = [
        unit("a", region=None, place_type=None, last_inspectors=None),
        unit("b", key_unit=True, region=None, place_type=None, last_inspectors=None),
    ]
    people = [{"id": "x"}, {"id": "y"}]
    assert draw(SEED, bare, people, rules()) == draw(
        SEED,
        full,
        [
            inspector("x", name=None, agency=None, conflicts=None, relatives_units=None),
            inspector("y", name=None, agency=None, conflicts=None, relatives_units=None),
        ],
        rules(),
    )


def test_commitment_and_seeds():
    assert commitment(SEED) == hashlib.sha256(SEED).hexdigest()
    seed = new_seed()
    assert isinstance(seed, bytes) and len(seed) == 32
    assert new_seed() != seed
    assert parse_seed(SEED.hex()) == SEED
    for bad in ("zz", "00" * 15, 7):
        with pytest.raises(DrawError) as caught:
            parse_seed(bad)
        assert caught.value.field == "seed"
    with pytest.raises(DrawError, match="16"):
        draw(b"short", [], [], rules())
    with pytest.raises(DrawError, match="bytes"):
        commitment("not bytes")


ODD_TEXT = 'a"b\\c/\n\t\x01\x1f\x7f 中文 \u2028\u2029 \U0001f600'


@pytest.mark.parametrize("odd", ["", "text", "integers"])
def test_input_digests_are_canonical_json(odd):
    units, inspectors, rule_set = city(10, 4)
    if odd == "text":  # escapes, control characters, non-ASCII: the digest is still canonical JSON
        units += [unit(ODD_TEXT, region=ODD_TEXT, place_type="中", last_inspectors=[ODD_TEXT, 2**64 - 1])]
        inspectors += [inspector(-(2**63), name=ODD_TEXT, agency="大队", conflicts=[ODD_TEXT])]
        rule_set["title"] = ODD_TEXT
    elif odd == "integers":  # beyond 64 bits
        units += [unit(2**70), unit(-(2**64)), unit(-5), unit(2**63, last_inspectors=[2**64, -1])]
        inspectors += [inspector(2**64, name=ODD_TEXT), inspector(-(2**63) - 1)]
    result = draw(SEED, units, inspectors, rule_set)

    def digest(value):
        return hashlib.sha256(
            json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
        ).hexdigest()

    unit_rows = [[u[f] for f in draw_module.UNIT_FIELDS] for u in sorted(units, key=lambda u: str(u["id"]))]
    inspector_rows = [
        [i[f] for f in draw_module.INSPECTOR_FIELDS] for i in sorted(inspectors, key=lambda i: str(i["id"]))
    ]
    assert result["inputs_sha256"] == {
        "units": digest(unit_rows),
        "inspectors": digest(inspector_rows),
        "rules": digest(rule_set),
    }


# --------------------------------------------------------------------------- strata and quotas


def quota_of(units, stratum, **rule_fields):
    result = draw(SEED, units, [inspector(n) for n in range(6)], rules(stratum, **rule_fields))
    return result["strata"][0], result


def test_count_quota():
    summary, result = quota_of([unit(n) for n in range(20)], {"code": "s", "filter": {}, "count": 7})
    assert (summary["pool"], summary["eligible"], summary["quota"], summary["drawn"]) == (20, 20, 7, 7)
    assert len(result["assignments"]) == 7
    assert [a["order"] for a in result["assignments"]] == list(range(1, 8))
    assert summary["label"] == "s"  # the code when no label is given


@pytest.mark.parametrize(
    ("pool", "ratio", "rounding", "quota"),
    [
        (25, 0.1, "ceil", 3),
        (25, 0.1, "floor", 2),
        (25, 0.1, "round", 3),
        (24, 0.1, "round", 2),
        (30, 0.1, "ceil", 3),  # 0.1 × 30 is exactly 3, not 3.0000000000000004
        (30, 0.1, None, 3),
        (7, 1, "floor", 7),
        (7, 0, "ceil", 0),
        (10, 0.25, "round", 3),
    ],
)
def test_ratio_quota_and_rounding(pool, ratio, rounding, quota):
    stratum = {"code": "s", "filter": {}, "ratio": ratio}
    if rounding:
        stratum["rounding"] = rounding
    summary, _ = quota_of([unit(n) for n in range(pool)], stratum)
    assert summary["quota"] == quota
    assert summary["drawn"] == quota


def test_ratio_is_of_the_pool_before_exclusions():
    units = [unit(n, last_inspected="2026-03-30" if n < 10 else None) for n in range(20)]
    summary, result = quota_of(units, {"code": "s", "filter": {}, "ratio": 0.5})
    assert (summary["pool"], summary["excluded"], summary["eligible"], summary["quota"]) == (20, 10, 10, 10)
    assert summary["drawn"] == 10
    assert result["shortfalls"] == []


def test_pool_smaller_than_quota_is_a_shortfall():
    units = [unit(n, last_inspected="2026-03-30" if n < 3 else None) for n in range(5)]
    summary, result = quota_of(units, {"code": "s", "filter": {}, "count": 4})
    assert (summary["pool"], summary["eligible"], summary["quota"], summary["drawn"]) == (5, 2, 4, 2)
    [shortfall] = result["shortfalls"]
    assert shortfall["kind"] == "quota" and shortfall["stratum"] == "s"
    assert (shortfall["quota"], shortfall["eligible"], shortfall["missing"]) == (4, 2, 2)
    assert "少于" in shortfall["reason_zh"] and "fewer" in shortfall["reason_en"]


def test_a_unit_belongs_to_the_first_matching_stratum_only():
    units = [unit(f"k{n}", key_unit=True, crowded=True) for n in range(4)] + [unit(f"g{n}") for n in range(4)]
    strata = [
        {"code": "key", "filter": {"key_unit": True}, "count": 100},
        {"code": "crowded_key", "filter": {"key_unit": True, "crowded": True}, "count": 100},
        {"code": "rest", "filter": {}, "count": 100},
    ]
    result = draw(SEED, units, [inspector(n) for n in range(4)], rules(*strata, max_units_per_inspector=None))
    assert [(s["code"], s["pool"], s["drawn"]) for s in result["strata"]] == [
        ("key", 4, 4),
        ("crowded_key", 0, 0),
        ("rest", 4, 4),
    ]
    drawn = [a["unit"] for a in result["assignments"]]
    assert len(drawn) == len(set(drawn)) == 8
    assert [a["stratum"] for a in result["assignments"]] == ["key"] * 4 + ["rest"] * 4


def test_filters_and_unstratified_units():
    units = [
        unit("a", region="370403001", place_type="hotel"),
        unit("b", region="370481001", place_type="mall"),
        unit("c", region="370403002", place_type="school"),
        unit("d", region=None, place_type=None),
        unit("e", region="110101001", place_type="hotel", penalised_last_year=True),
    ]
    strata = [
        {
            "code": "xc",
            "filter": {"region_prefix": ["370403", "999"], "place_type": ["hotel", "school"]},
            "count": 9,
        },
        {"code": "tz_mall", "filter": {"region_prefix": "370481", "place_type": "mall"}, "count": 9},
        {"code": "penalised", "filter": {"penalised_last_year": True}, "count": 9},
    ]
    result = draw(SEED, units, [inspector(n) for n in range(4)], rules(*strata))
    assert {a["unit"]: a["stratum"] for a in result["assignments"]} == {
        "a": "xc",
        "c": "xc",
        "b": "tz_mall",
        "e": "penalised",
    }
    assert result["counts"]["unstratified"] == 1
    assert result["counts"]["units"] == 5


# --------------------------------------------------------------------------- exclusion


def test_recently_inspected_boundary_day():
    units = [
        unit("day90", last_inspected="2026-01-01"),
        unit("day89", last_inspected="2026-01-02"),
        unit("today", last_inspected=AS_OF),
        unit("future", last_inspected="2026-05-01"),
        unit("never"),
        unit("long_ago", last_inspected="2020-01-01"),
    ]
    result = draw(SEED, units, [inspector(n) for n in range(4)], rules())
    assert {a["unit"] for a in result["assignments"]} == {"day90", "never", "long_ago"}
    assert result["exclusions"] == {"inspected_recently": 3}
    assert result["strata"][0]["exclusions"] == {"inspected_recently": 3}


def test_no_exclusion_window():
    units = [unit("a", last_inspected=AS_OF), unit("b", last_inspected="2026-03-31")]
    result = draw(SEED, units, [inspector(n) for n in range(4)], rules(exclude_inspected_within_days=None))
    assert {a["unit"] for a in result["assignments"]} == {"a", "b"}
    zero = draw(SEED, units, [inspector(n) for n in range(4)], rules(exclude_inspected_within_days=0))
    assert {a["unit"] for a in zero["assignments"]} == {"a", "b"}


def test_a_huge_window_excludes_every_inspected_unit():
    units = [unit("a", last_inspected="0001-01-01"), unit("b")]
    result = draw(SEED, units, [inspector(n) for n in range(4)], rules(exclude_inspected_within_days=10**7))
    assert [a["unit"] for a in result["assignments"]] == ["b"]


# --------------------------------------------------------------------------- recusal and teams


@pytest.mark.parametrize("kind", ["conflict", "relative", "last_inspector"])
def test_each_kind_of_recusal(kind):
    people = [inspector("x"), inspector("y"), inspector("z")]
    target = unit("u")
    if kind == "conflict":
        people[0]["conflicts"] = ["u"]
    elif kind == "relative":
        people[0]["relatives_units"] = ["u"]
    else:
        target["last_inspectors"] = ["x"]
    for seed in (SEED, OTHER_SEED, bytes(16), b"\xff" * 16):
        result = draw(seed, [target], people, rules())
        [assignment] = result["assignments"]
        assert sorted(assignment["inspectors"]) == ["y", "z"]
        assert assignment["recused"] == ["x"]
        assert result["recusals"] == {k: int(k == kind) for k in ("conflict", "relative", "last_inspector")}


def test_last_inspectors_may_go_again_when_asked():
    people = [inspector("x"), inspector("y")]
    result = draw(
        SEED, [unit("u", last_inspectors=["x", "gone"])], people, rules(recuse_last_inspectors=False)
    )
    assert sorted(result["assignments"][0]["inspectors"]) == ["x", "y"]
    assert result["assignments"][0]["recused"] == []


def test_unavailable_inspectors_are_never_assigned():
    people = [inspector(n, available=n % 2 == 0) for n in range(10)]
    result = draw(SEED, [unit(n) for n in range(30)], people, rules())
    assigned = {i for a in result["assignments"] for i in a["inspectors"]}
    assert assigned == {0, 2, 4, 6, 8}
    assert result["counts"]["available_inspectors"] == 5


def test_teams_have_the_required_number_of_distinct_inspectors():
    result = draw(
        SEED, [unit(n) for n in range(20)], [inspector(n) for n in range(7)], rules(inspectors_per_unit=3)
    )
    assert all(len(set(a["inspectors"])) == 3 for a in result["assignments"])
    assert result["inspectors_per_unit"] == 3


def test_not_enough_inspectors_is_a_shortfall():
    people = [inspector("x", conflicts=["hard"]), inspector("y"), inspector("z", available=False)]
    units = [unit("easy"), unit("hard")]
    result = draw(SEED, units, people, rules())
    assert teams(result)["hard"] == []
    assert sorted(teams(result)["easy"]) == ["x", "y"]
    [shortfall] = result["shortfalls"]
    assert shortfall["kind"] == "inspectors" and shortfall["unit"] == "hard" and shortfall["stratum"] == "all"
    assert (shortfall["needed"], shortfall["found"]) == (2, 1)
    assert "hard" in shortfall["reason_zh"] and "needs 2 inspectors" in shortfall["reason_en"]
    assert result["load"]["max"] == 1  # the failed team took no load


def test_no_available_inspector_at_all():
    result = draw(SEED, [unit("a"), unit("b")], [inspector("x", available=False)], rules())
    assert [a["inspectors"] for a in result["assignments"]] == [[], []]
    assert [s["kind"] for s in result["shortfalls"]] == ["inspectors", "inspectors"]
    assert result["load"] == {"max_units_per_inspector": None, "inspectors_used": 0, "min": 0, "max": 0}


def test_max_units_per_inspector():
    result = draw(
        SEED, [unit(n) for n in range(5)], [inspector(n) for n in range(4)], rules(max_units_per_inspector=1)
    )
    formed = [a for a in result["assignments"] if a["inspectors"]]
    assert len(formed) == 2
    assert len(result["shortfalls"]) == 3
    assigned = [i for a in formed for i in a["inspectors"]]
    assert sorted(assigned) == [0, 1, 2, 3]
    assert result["load"]["max"] == 1


def test_load_is_spread_evenly():
    result = draw(SEED, [unit(n) for n in range(50)], [inspector(n) for n in range(20)], rules())
    loads = {}
    for a in result["assignments"]:
        for i in a["inspectors"]:
            loads[i] = loads.get(i, 0) + 1
    assert set(loads.values()) == {5}
    assert result["load"]["min"] == result["load"]["max"] == 5
    pairs = {tuple(sorted(a["inspectors"])) for a in result["assignments"]}
    assert len(pairs) > 35  # partners vary


# --------------------------------------------------------------------------- verification


def codes(report):
    return [p["code"] for p in report["problems"]]


@pytest.fixture
def published():
    units, inspectors, rule_set = city()
    return json.loads(json.dumps(draw(SEED, units, inspectors, rule_set))), units, inspectors, rule_set


def test_verify_ok(published):
    result, units, inspectors, rule_set = published
    report = verify(result, units, inspectors, rule_set)
    assert report == {"ok": True, "algorithm": ALGORITHM, "problems": []}
    shuffled = units[::-1]
    assert verify(result, shuffled, inspectors[::-1], rule_set)["ok"]


def test_verify_detects_a_tampered_seed(published):
    result, units, inspectors, rule_set = published
    result["seed"] = OTHER_SEED.hex()
    report = verify(result, units, inspectors, rule_set)
    assert not report["ok"]
    assert codes(report)[0] == "commitment"
    assert "assignment" in codes(report)  # the re-run with that seed differs too
    problem = report["problems"][0]
    assert problem["field"] == "seed_sha256"
    assert "承诺" in problem["message_zh"] and "commitment" in problem["message_en"]


def test_verify_detects_a_tampered_commitment(published):
    result, units, inspectors, rule_set = published
    result["seed_sha256"] = hashlib.sha256(b"something else").hexdigest()
    assert codes(verify(result, units, inspectors, rule_set)) == ["commitment"]


def test_verify_detects_a_seed_and_commitment_both_replaced(published):
    result, units, inspectors, rule_set = published
    result["seed"], result["seed_sha256"] = OTHER_SEED.hex(), commitment(OTHER_SEED)
    report = verify(result, units, inspectors, rule_set)
    assert not report["ok"] and "commitment" not in codes(report)
    assert "assignment" in codes(report)  # a draw under another seed cannot pass for this one


def test_verify_detects_a_tampered_assignment(published):
    result, units, inspectors, rule_set = published
    target = result["assignments"][2]
    target["inspectors"] = target["inspectors"][::-1]
    report = verify(result, units, inspectors, rule_set)
    assert codes(report) == ["assignment"]
    problem = report["problems"][0]
    assert problem["unit"] == target["unit"]
    assert problem["field"] == f"assignments[unit={target['unit']}]"
    assert "inspectors" in problem["message_en"] and target["unit"] in problem["message_zh"]


def test_verify_detects_a_swapped_unit(published):
    result, units, inspectors, rule_set = published
    drawn = {a["unit"] for a in result["assignments"]}
    outsider = next(u["id"] for u in units if u["id"] not in drawn)
    victim = result["assignments"][0]["unit"]
    result["assignments"][0]["unit"] = outsider
    report = verify(result, units, inspectors, rule_set)
    assert sorted(codes(report)) == ["assignment_extra", "assignment_missing"]
    assert {p["unit"] for p in report["problems"]} == {outsider, victim}


def test_verify_detects_a_dropped_assignment_and_counts(published):
    result, units, inspectors, rule_set = published
    dropped = result["assignments"].pop()
    report = verify(result, units, inspectors, rule_set)
    assert codes(report) == ["assignment_missing"]
    assert report["problems"][0]["unit"] == dropped["unit"]
    result["assignments"].append(dropped)
    result["strata"][0]["drawn"] += 1
    report = verify(result, units, inspectors, rule_set)
    assert codes(report) == ["mismatch"] and report["problems"][0]["field"] == "strata"


def test_verify_detects_a_changed_unit_directory(published):
    result, units, inspectors, rule_set = published
    changed = copy.deepcopy(units)
    changed[5]["key_unit"] = not changed[5]["key_unit"]
    report = verify(result, changed, inspectors, rule_set)
    assert codes(report)[0] == "inputs_sha256"
    assert report["problems"][0]["field"] == "inputs_sha256.units"
    assert "单位名录" in report["problems"][0]["message_zh"]
    assert not verify(result, units[:-1], inspectors, rule_set)["ok"]


def test_verify_detects_a_changed_inspector_directory(published):
    result, units, inspectors, rule_set = published
    changed = copy.deepcopy(inspectors)
    changed[0]["conflicts"].append("u999")
    report = verify(result, units, changed, rule_set)
    assert codes(report) == ["inputs_sha256"]
    assert report["problems"][0]["field"] == "inputs_sha256.inspectors"


def test_verify_detects_changed_rules(published):
    result, units, inspectors, rule_set = published
    changed = copy.deepcopy(rule_set)
    changed["strata"][3]["ratio"] = 0.3
    report = verify(result, units, inspectors, changed)
    assert codes(report)[0] == "inputs_sha256"
    assert report["problems"][0]["field"] == "inputs_sha256.rules"
    assert "mismatch" in codes(report) or "assignment_missing" in codes(report)


def test_verify_lists_at_most_a_few_assignment_problems(published):
    result, units, inspectors, rule_set = published
    result["seed"] = OTHER_SEED.hex()
    result["seed_sha256"] = commitment(OTHER_SEED)
    problems = verify(result, units, inspectors, rule_set)["problems"]
    assert (
        len([p for p in problems if p["code"].startswith("assignment")])
        <= draw_module.MAX_PROBLEMS_LISTED + 1
    )


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda r: r.update(algorithm="other/1"), "algorithm"),
        (lambda r: r.update(seed="not hex"), "seed"),
        (lambda r: r.update(seed="00"), "seed"),
        (lambda r: r.update(assignments={"a": 1}), "assignment"),
        (lambda r: r["assignments"].append("junk"), "assignment"),
        (lambda r: r.update(inputs_sha256=None), "inputs_sha256"),
    ],
)
def test_verify_unreadable_results(published, mutate, code):
    result, units, inspectors, rule_set = published
    mutate(result)
    report = verify(result, units, inspectors, rule_set)
    assert not report["ok"] and code in codes(report)


def test_verify_a_non_object_and_bad_inputs(published):
    result, units, inspectors, rule_set = published
    assert codes(verify([], units, inspectors, rule_set)) == ["format"]
    broken = copy.deepcopy(units)
    broken[1]["last_inspected"] = "2026-13-01"
    report = verify(result, broken, inspectors, rule_set)
    assert codes(report) == ["input"]
    assert report["problems"][0]["field"] == "units[u001].last_inspected"
    assert report["problems"][0]["source"] == "units"


# --------------------------------------------------------------------------- bad inputs


def raises(units=None, inspectors=None, rule_set=None):
    with pytest.raises(DrawError) as caught:
        draw(
            SEED,
            [unit("a")] if units is None else units,
            [inspector("x"), inspector("y")] if inspectors is None else inspectors,
            rules() if rule_set is None else rule_set,
        )
    exc = caught.value
    assert exc.message_zh and exc.message_en
    assert f"{exc.where}：" in str(exc) and f" / {exc.where}: " in str(exc)
    return exc


@pytest.mark.parametrize(
    ("units", "where", "words"),
    [
        ([unit("a"), unit("b"), unit("a")], "units[a].id", "records #1 and #3"),
        ([unit(5), unit("5")], "units[5].id", "duplicate unit id"),
        ([unit("a", last_inspected="2026-02-30")], "units[a].last_inspected", "invalid date"),
        ([unit("a", last_inspected="20260201")], "units[a].last_inspected", "YYYY-MM-DD"),
        ([unit("a", last_inspected=20260201)], "units[a].last_inspected", "invalid date"),
        ([unit("a", key_unit="yes")], "units[a].key_unit", "true or false"),
        ([unit("a", crowded=1)], "units[a].crowded", "true or false"),
        ([unit("b"), unit("a", penalised_last_year=None)], "units[a].penalised_last_year", "true or false"),
        ([unit("a", region=370403)], "units[a].region", "string or null"),
        ([unit("a", place_type=["hotel"])], "units[a].place_type", "string or null"),
        ([unit("a", last_inspectors="x")], "units[a].last_inspectors", "list of ids"),
        ([unit("a", last_inspectors=["x", ""])], "units[a].last_inspectors[1]", "invalid id"),
        ([unit("a", last_inspectors=[True])], "units[a].last_inspectors[0]", "invalid id"),
        ([unit("a"), "b"], "units[#2]", "must be a JSON object"),
        ([unit("a"), {"name": "no id"}], "units[#2].id", "missing id"),
        ([unit("")], "units[#1].id", "invalid id"),
        ([unit(1.5)], "units[#1].id", "invalid id"),
        ([unit(True)], "units[#1].id", "invalid id"),
    ],
)
def test_bad_units_name_record_and_field(units, where, words):
    exc = raises(units=units)
    assert exc.where == where
    assert exc.source == "units"
    assert words in exc.message_en


@pytest.mark.parametrize(
    ("units", "inspectors", "rule_set", "where"),
    [
        ([unit("a", region="3704\ud800")], None, None, "units[a].region"),
        ([unit("a", place_type="\udfff")], None, None, "units[a].place_type"),
        ([unit("a", last_inspectors=["x\ud800"])], None, None, "units[a].last_inspectors[0]"),
        ([unit("\ud800")], None, None, "units[\\ud800].id"),
        (None, [inspector("x", name="\ud800"), inspector("y")], None, "inspectors[x].name"),
        (None, [inspector("x", conflicts=["\ud83d"]), inspector("y")], None, "inspectors[x].conflicts[0]"),
        (None, None, rules(title="\ud800"), "rules.title"),
    ],
)
def test_text_that_is_not_unicode_is_a_draw_error(units, inspectors, rule_set, where):
    """JSON may carry a lone surrogate ("\\ud800"), which has no UTF-8 form and so no digest."""
    exc = raises(units, inspectors, rule_set)
    assert exc.where == where
    assert "UTF-8" in exc.message_en
    str(exc).encode("utf-8")  # the message itself can be printed


def test_bad_units_with_missing_fields_take_the_slow_path():
    exc = raises(units=[{"id": "a"}, {"id": "b", "crowded": "no"}])
    assert exc.where == "units[b].crowded"
    exc = raises(units=[{"id": "a"}, {"id": "a"}])
    assert exc.where == "units[a].id"
    exc = raises(units={"a": 1})
    assert exc.source == "units" and "JSON list" in exc.message_en


@pytest.mark.parametrize(
    ("inspectors", "where", "words"),
    [
        ([inspector("x"), inspector("x")], "inspectors[x].id", "duplicate inspector id"),
        ([inspector("x", available="yes")], "inspectors[x].available", "true or false"),
        ([inspector("x", conflicts="u1")], "inspectors[x].conflicts", "list of ids"),
        ([inspector("x", relatives_units=[None])], "inspectors[x].relatives_units[0]", "invalid id"),
        ([inspector("x", name=5)], "inspectors[x].name", "string or null"),
        ([{"name": "nobody"}], "inspectors[#1].id", "missing id"),
        (["x"], "inspectors[#1]", "must be a JSON object"),
    ],
)
def test_bad_inspectors_name_record_and_field(inspectors, where, words):
    exc = raises(inspectors=inspectors)
    assert exc.where == where
    assert words in exc.message_en


@pytest.mark.parametrize(
    ("changes", "where", "words"),
    [
        ({"inspectors_per_unit": 1}, "rules.inspectors_per_unit", "at least 2"),
        ({"inspectors_per_unit": 2.0}, "rules.inspectors_per_unit", "at least 2"),
        ({"inspectors_per_unit": 11}, "rules.inspectors_per_unit", "at most 10"),
        ({"as_of": "2026-4-1"}, "rules.as_of", "YYYY-MM-DD"),
        ({"as_of": None}, "rules.as_of", "invalid as_of"),
        ({"exclude_inspected_within_days": -1}, "rules.exclude_inspected_within_days", "at least 0"),
        ({"max_units_per_inspector": 0}, "rules.max_units_per_inspector", "at least 1"),
        ({"recuse_last_inspectors": "yes"}, "rules.recuse_last_inspectors", "true or false"),
        ({"strata": []}, "rules.strata", "non-empty list"),
        ({"strata": [{"code": "a", "count": -1}]}, "rules.strata[0].count", "non-negative"),
        ({"strata": [{"code": "a", "count": 1.5}]}, "rules.strata[0].count", "non-negative"),
        ({"strata": [{"code": "a", "ratio": 1.5}]}, "rules.strata[0].ratio", "from 0 to 1"),
        ({"strata": [{"code": "a", "ratio": -0.1}]}, "rules.strata[0].ratio", "from 0 to 1"),
        ({"strata": [{"code": "a", "ratio": True}]}, "rules.strata[0].ratio", "from 0 to 1"),
        (
            {"strata": [{"code": "a", "ratio": 0.1, "rounding": "up"}]},
            "rules.strata[0].rounding",
            "unknown rounding",
        ),
        (
            {"strata": [{"code": "a", "count": 1, "rounding": "ceil"}]},
            "rules.strata[0].rounding",
            "ratio only",
        ),
        ({"strata": [{"code": "a", "count": 1, "ratio": 0.1}]}, "rules.strata[0]", "exactly one"),
        ({"strata": [{"code": "a"}]}, "rules.strata[0]", "exactly one"),
        (
            {"strata": [{"code": "a", "count": 1}, {"code": "a", "count": 1}]},
            "rules.strata[1].code",
            "duplicate",
        ),
        ({"strata": [{"count": 1}]}, "rules.strata[0].code", "non-empty string"),
        (
            {"strata": [{"code": "a", "count": 1, "filter": {"keyunit": True}}]},
            "rules.strata[0].filter.keyunit",
            "unknown filter",
        ),
        (
            {"strata": [{"code": "a", "count": 1, "filter": {"key_unit": "yes"}}]},
            "rules.strata[0].filter.key_unit",
            "true or false",
        ),
        (
            {"strata": [{"code": "a", "count": 1, "filter": {"place_type": []}}]},
            "rules.strata[0].filter.place_type",
            "non-empty",
        ),
        ({"strata": [{"code": "a", "count": 1, "filter": []}]}, "rules.strata[0].filter", "JSON object"),
        (
            {"strata": [{"code": "a", "count": 1, "quota": 3}]},
            "rules.strata[0].quota",
            "unknown stratum field",
        ),
        ({"inspector_per_unit": 3}, "rules.inspector_per_unit", "unknown rule field"),
    ],
)
def test_bad_rules_name_the_field(changes, where, words):
    exc = raises(rule_set=rules(**changes))
    assert exc.where == where
    assert exc.source == "rules"
    assert words in exc.message_en


def test_descriptive_rule_fields():
    described = rules(title="2026年4月双随机抽查", description="薛城区大队")
    described["strata"][0]["description"] = "全部单位"
    assert draw(SEED, [unit("a")], [inspector("x"), inspector("y")], described)["assignments"]
    assert raises(rule_set=rules(title=float("nan"))).where == "rules.title"
    bad = rules()
    bad["strata"][0]["description"] = 5
    assert raises(rule_set=bad).where == "rules.strata[0].description"


def test_rules_must_be_an_object():
    assert raises(rule_set=[]).where == "rules"


# --------------------------------------------------------------------------- properties

IDS = st.integers(min_value=0, max_value=40).map(lambda n: f"u{n}")


@st.composite
def scenarios(draw_):
    unit_ids = sorted(draw_(st.sets(st.integers(min_value=0, max_value=40), max_size=30)))
    as_of = draw_(st.sampled_from([date(2026, 1, 1), date(2026, 4, 1), date(2026, 11, 15), date(2026, 12, 1)]))
    inspector_ids = [f"i{n}" for n in range(draw_(st.integers(min_value=0, max_value=9)))]
    dates = st.one_of(
        st.none(),
        st.integers(min_value=-5, max_value=200).map(lambda d: (as_of - timedelta(days=d)).isoformat()),
    )
    references = st.lists(st.sampled_from(inspector_ids + ["ghost"]), max_size=3)
    units = [
        unit(
            n if draw_(st.booleans()) else f"u{n}",
            key_unit=draw_(st.booleans()),
            crowded=draw_(st.booleans()),
            penalised_last_year=draw_(st.booleans()),
            region=draw_(st.sampled_from(["370403001", "370481002", None])),
            place_type=draw_(st.sampled_from(["hotel", "mall", None])),
            last_inspected=draw_(dates),
            last_inspectors=draw_(references),
        )
        for n in unit_ids
    ]
    unit_refs = st.lists(st.one_of(IDS, st.integers(min_value=0, max_value=40)), max_size=4)
    inspectors = [
        inspector(
            i,
            available=draw_(st.booleans()) or draw_(st.booleans()),
            conflicts=draw_(unit_refs),
            relatives_units=draw_(unit_refs),
        )
        for i in inspector_ids
    ]
    filters = st.fixed_dictionaries(
        {},
        optional={
            "key_unit": st.booleans(),
            "crowded": st.booleans(),
            "penalised_last_year": st.booleans(),
            "region_prefix": st.sampled_from(["3704", "370403", ["370481", "1101"]]),
            "place_type": st.sampled_from(["hotel", ["hotel", "mall"]]),
        },
    )
    strata = []
    for n in range(draw_(st.integers(min_value=1, max_value=4))):
        stratum = {"code": f"s{n}", "filter": draw_(filters)}
        if draw_(st.booleans()):
            stratum["count"] = draw_(st.integers(min_value=0, max_value=12))
        else:
            stratum["ratio"] = draw_(st.sampled_from([0, 0.05, 0.1, 0.25, 0.5, 1]))
            stratum["rounding"] = draw_(st.sampled_from(["ceil", "floor", "round"]))
        if draw_(st.booleans()):
            stratum["per"] = draw_(st.sampled_from(["month", "year"]))
        strata.append(stratum)
    # Units drawn earlier in the year: some in the directory (int or text id), some gone since.
    listed = st.lists(st.one_of(IDS, st.integers(min_value=0, max_value=40), st.just("gone")), unique_by=str)
    yearly = [s["code"] for s in strata if s.get("per") == "year"]
    extra = {}
    if yearly and draw_(st.booleans()):
        extra["drawn_this_year"] = {code: draw_(listed) for code in yearly if draw_(st.booleans())}
    rule_set = rules(
        *strata,
        as_of=as_of.isoformat(),
        **extra,
        inspectors_per_unit=draw_(st.integers(min_value=2, max_value=3)),
        exclude_inspected_within_days=draw_(st.sampled_from([None, 0, 30, 90])),
        recuse_last_inspectors=draw_(st.booleans()),
        max_units_per_inspector=draw_(st.sampled_from([None, 1, 2, 5])),
    )
    seed = draw_(st.binary(min_size=16, max_size=40))
    return seed, units, inspectors, rule_set


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_properties(scenario):
    seed, units, inspectors, rule_set = scenario
    result = draw(seed, units, inspectors, rule_set)
    k = rule_set["inspectors_per_unit"]
    text = str
    by_id = {text(u["id"]): u for u in units}

    # Exactly the reference algorithm.
    assert as_reference(result) == reference_draw(seed, units, inspectors, rule_set)

    # No unit is drawn twice; every drawn unit is eligible in its own stratum, and a yearly stratum
    # draws none of the units it drew earlier in the year.
    drawn = [text(a["unit"]) for a in result["assignments"]]
    assert len(drawn) == len(set(drawn))
    codes_in_order = [s["code"] for s in rule_set["strata"]]
    as_of = date.fromisoformat(rule_set["as_of"])
    earlier = {c: {text(i) for i in ids} for c, ids in rule_set.get("drawn_this_year", {}).items()}
    for a in result["assignments"]:
        u = by_id[text(a["unit"])]
        first = next(s for s in rule_set["strata"] if _matches(s["filter"], u))
        assert first["code"] == a["stratum"]
        assert text(a["unit"]) not in earlier.get(a["stratum"], ())
        window = rule_set["exclude_inspected_within_days"]
        if window is not None and u["last_inspected"] is not None:
            assert date.fromisoformat(u["last_inspected"]) <= as_of - timedelta(days=window)
    assert [a["stratum"] for a in result["assignments"]] == sorted(
        (a["stratum"] for a in result["assignments"]), key=codes_in_order.index
    )

    # No recused or unavailable inspector is assigned; teams are complete or a shortfall says why.
    people = {text(i["id"]): i for i in inspectors}
    short = {text(s["unit"]) for s in result["shortfalls"] if s["kind"] == "inspectors"}
    loads: dict[str, int] = {}
    for a in result["assignments"]:
        uid = text(a["unit"])
        if uid in short:
            assert a["inspectors"] == []
            continue
        assert len(a["inspectors"]) == k and len({text(i) for i in a["inspectors"]}) == k
        for ident in a["inspectors"]:
            person = people[text(ident)]
            assert person["available"]
            assert uid not in {text(t) for t in person["conflicts"] + person["relatives_units"]}
            if rule_set["recuse_last_inspectors"]:
                assert text(ident) not in {text(t) for t in by_id[uid]["last_inspectors"]}
            loads[text(ident)] = loads.get(text(ident), 0) + 1
    cap = rule_set["max_units_per_inspector"]
    assert cap is None or all(n <= cap for n in loads.values())

    # drawn = min(quota, eligible), with a quota shortfall when short.
    quota_short = {s["stratum"] for s in result["shortfalls"] if s["kind"] == "quota"}
    for s in result["strata"]:
        assert s["drawn"] == min(s["quota"], s["eligible"])
        assert s["pool"] == s["eligible"] + s["excluded"] == s["eligible"] + sum(s["exclusions"].values())
        assert (s["code"] in quota_short) == (s["eligible"] < s["quota"])
        if s.get("per") == "year":  # spread: what is left of the year's quota, over the months left
            left = s["year_quota"] - s["drawn_before"]
            assert s["months_left"] == 13 - as_of.month
            assert s["quota"] * s["months_left"] >= left and (s["quota"] - 1) * s["months_left"] < max(left, 1)
            assert s["months_left"] > 1 or s["quota"] == max(left, 0)  # December takes all that remains
    yearly = any(s.get("per") == "year" for s in rule_set["strata"])
    assert ("drawn_this_year" in result["exclusions"]) == yearly
    assert sum(s["pool"] for s in result["strata"]) + result["counts"]["unstratified"] == len(units)

    # It verifies, and input order does not matter.
    assert verify(result, units[::-1], inspectors[::-1], rule_set)["ok"]


def _matches(flt, u):
    for flag in ("key_unit", "crowded", "penalised_last_year"):
        if flag in flt and u[flag] != flt[flag]:
            return False
    prefixes = flt.get("region_prefix")
    if prefixes is not None:
        prefixes = [prefixes] if isinstance(prefixes, str) else prefixes
        if u["region"] is None or not any(u["region"].startswith(p) for p in prefixes):
            return False
    types = flt.get("place_type")
    return types is None or u["place_type"] in ([types] if isinstance(types, str) else types)


@settings(max_examples=100, deadline=None)
@given(scenarios(), st.binary(min_size=16, max_size=16))
def test_property_tampering_any_team_is_detected(scenario, other_seed):
    seed, units, inspectors, rule_set = scenario
    result = draw(seed, units, inspectors, rule_set)
    if not result["assignments"]:
        return
    result["assignments"][-1]["inspectors"] = result["assignments"][-1]["inspectors"] + ["intruder"]
    assert "assignment" in codes(verify(result, units, inspectors, rule_set))


# --------------------------------------------------------------------------- command line


def cli(argv, stdin_text=""):
    stdout, stderr = io.StringIO(), io.StringIO()
    status = run_draw(argv, io.StringIO(stdin_text), stdout, stderr)
    return status, stdout.getvalue(), stderr.getvalue()


@pytest.fixture
def files(tmp_path):
    units, inspectors, rule_set = city()
    paths = {}
    for name, value in (("units", units), ("inspectors", inspectors), ("rules", rule_set)):
        paths[name] = tmp_path / f"{name}.json"
        paths[name].write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    return paths


def inputs(paths):
    return [
        "--units",
        str(paths["units"]),
        "--inspectors",
        str(paths["inspectors"]),
        "--rules",
        str(paths["rules"]),
    ]


def test_cli_draw_prints_the_result(files):
    status, out, err = cli(inputs(files) + ["--seed", SEED.hex()])
    assert status == 0, err
    assert err == ""
    result = json.loads(out)
    units, inspectors, rule_set = city()
    assert result == json.loads(json.dumps(draw(SEED, units, inspectors, rule_set)))
    assert "人员密集重点单位" in out  # ensure_ascii=False


def test_format_result_puts_one_assignment_per_line():
    units, inspectors, rule_set = city()
    result = draw(SEED, units, inspectors, rule_set)
    text = format_result(result)
    assert json.loads(text) == json.loads(json.dumps(result))
    lines = text.splitlines()
    assert sum(line.startswith('    {"order": ') for line in lines) == len(result["assignments"])
    assert text.startswith('{\n  "algorithm": ') and text.endswith("}\n")
    empty = draw(SEED, [], inspectors, rule_set)
    assert '"assignments": []' in format_result(empty)
    assert json.loads(format_result(empty)) == json.loads(json.dumps(empty))


def test_cli_draw_units_from_stdin(files):
    units_text = files["units"].read_text(encoding="utf-8")
    argv = [
        "--units",
        "-",
        "--inspectors",
        str(files["inspectors"]),
        "--rules",
        str(files["rules"]),
        "--seed",
        SEED.hex(),
    ]
    status, out, _ = cli(argv, units_text)
    assert status == 0
    assert json.loads(out)["seed"] == SEED.hex()


def test_cli_draw_checks_the_commitment(files):
    status, out, err = cli(inputs(files) + ["--seed", SEED.hex(), "--commitment", commitment(SEED).upper()])
    assert status == 0 and out
    status, out, err = cli(inputs(files) + ["--seed", SEED.hex(), "--commitment", commitment(OTHER_SEED)])
    assert status == 2 and out == ""
    assert "承诺" in err and "commitment" in err


def test_cli_verify(files, tmp_path):
    result_path = tmp_path / "result.json"
    status, _, _ = cli(inputs(files) + ["--seed", SEED.hex(), "--output", str(result_path)])
    assert status == 0
    status, out, err = cli(["verify", "--result", str(result_path)] + inputs(files))
    assert status == 0, err
    assert "验证通过" in out and "verified" in out
    status, out, _ = cli(["verify", "--result", str(result_path), "--json"] + inputs(files))
    assert status == 0 and json.loads(out)["ok"] is True

    result = json.loads(result_path.read_text(encoding="utf-8"))
    result["assignments"][0]["inspectors"] = ["i99", "i98"]
    result_path.write_text(json.dumps(result), encoding="utf-8")
    status, out, err = cli(["verify", "--result", str(result_path)] + inputs(files))
    assert status == 1
    assert "验证失败" in out and "verification failed" in out
    assert f"[assignment] assignments[unit={result['assignments'][0]['unit']}]" in out
    status, out, _ = cli(["verify", "--result", str(result_path), "--json"] + inputs(files))
    assert status == 1 and json.loads(out)["ok"] is False


def test_cli_verify_tampered_seed(files, tmp_path):
    status, out, _ = cli(inputs(files) + ["--seed", SEED.hex()])
    result = json.loads(out)
    result["seed"] = OTHER_SEED.hex()
    path = tmp_path / "result.json"
    path.write_text(json.dumps(result), encoding="utf-8")
    status, out, _ = cli(["verify", "--result", str(path)] + inputs(files))
    assert status == 1
    assert "[commitment] seed_sha256" in out


def test_cli_verify_bad_inputs_exit_2(files, tmp_path):
    status, out, _ = cli(inputs(files) + ["--seed", SEED.hex()])
    path = tmp_path / "result.json"
    path.write_text(out, encoding="utf-8")
    units = json.loads(files["units"].read_text(encoding="utf-8"))
    units[2]["crowded"] = "maybe"
    files["units"].write_text(json.dumps(units), encoding="utf-8")
    status, out, err = cli(["verify", "--result", str(path)] + inputs(files))
    assert status == 2 and out == ""
    assert str(files["units"]) in err and "units[u002].crowded" in err
    assert "错误" in err and "error" in err
    path.write_text("[]", encoding="utf-8")
    status, _, err = cli(["verify", "--result", str(path)] + inputs(files))
    assert status == 2 and "draw result" in err


@pytest.mark.parametrize(
    ("mangle", "words"),
    [
        (lambda p: p.unlink(), "cannot read"),
        (lambda p: p.write_text("[{", encoding="utf-8"), "not valid JSON (line 1"),
        (lambda p: p.write_text("{}", encoding="utf-8"), "must contain the unit directory (a JSON list)"),
        (lambda p: p.write_bytes(b"\xff\xfe["), "cannot read"),
    ],
)
def test_cli_bad_unit_file_exits_2(files, mangle, words):
    mangle(files["units"])
    status, out, err = cli(inputs(files) + ["--seed", SEED.hex()])
    assert status == 2 and out == ""
    assert str(files["units"]) in err and words in err


def test_cli_bad_record_names_file_record_and_field(files):
    inspectors = json.loads(files["inspectors"].read_text(encoding="utf-8"))
    inspectors.append(dict(inspectors[0]))
    files["inspectors"].write_text(json.dumps(inspectors), encoding="utf-8")
    status, out, err = cli(inputs(files) + ["--seed", SEED.hex()])
    assert status == 2 and out == ""
    assert f"错误：{files['inspectors']}：inspectors[i00].id：" in err
    assert f"error: {files['inspectors']}: inspectors[i00].id: duplicate inspector id" in err


def test_cli_bad_rule_and_seed(files):
    rule_set = json.loads(files["rules"].read_text(encoding="utf-8"))
    rule_set["inspectors_per_unit"] = 1
    files["rules"].write_text(json.dumps(rule_set), encoding="utf-8")
    status, _, err = cli(inputs(files) + ["--seed", SEED.hex()])
    assert status == 2 and "rules.inspectors_per_unit" in err and str(files["rules"]) in err
    status, _, err = cli(inputs(files) + ["--seed", "abc"])
    assert status == 2 and "--seed" in err and "not valid hex" in err


def test_cli_usage_errors(files):
    status, _, err = cli(inputs(files))
    assert status == 2 and "--seed" in err
    status, out, _ = cli(["--help"])
    assert status == 0 and "verify" in out
    status, _, err = cli(["verify", "--units", "-", "--inspectors", "-", "--rules", "r", "--result", "x"])
    assert status == 2 and "stdin" in err


def test_cli_commit():
    status, out, err = cli(["commit", "--seed", SEED.hex()])
    assert (status, out, err) == (0, commitment(SEED) + "\n", "")
    status, out, _ = cli(["commit"])
    made = json.loads(out)
    assert status == 0 and commitment(bytes.fromhex(made["seed"])) == made["seed_sha256"]
    status, _, err = cli(["commit", "--seed", "00"])
    assert status == 2 and "16" in err


# --------------------------------------------------------------------------- yearly quotas


def test_monthly_results_are_byte_identical_to_those_before_yearly_quotas():
    units, inspectors, rule_set = city(120, 15)
    text = json.dumps(draw(SEED, units, inspectors, rule_set), ensure_ascii=False)  # key order included
    assert hashlib.sha256(text.encode()).hexdigest() == (
        "416c5ddad3e65757fb44ab253da08a09f7c9ca2842a20dd635f9a6718d355b33"
    )
    assert '"per"' not in text and "drawn_this_year" not in text


def yearly(units, as_of, drawn=None, **stratum):
    spec = {"code": "general", "filter": {}, "per": "year", **stratum}
    fields = {"as_of": as_of, "exclude_inspected_within_days": 90}
    if drawn is not None:
        fields["drawn_this_year"] = {"general": drawn}
    result = draw(SEED, units, [inspector("x"), inspector("y")], rules(spec, **fields))
    return result["strata"][0], result


def test_the_worked_example_of_the_docstring():
    units = [unit(f"u{n:04d}") for n in range(1000)]
    ids = [u["id"] for u in units]
    months = []
    for month, before in (("01", []), ("02", ids[:5]), ("03", ids[:10]), ("04", ids[:14])):
        summary, _ = yearly(units, f"2026-{month}-01", before, ratio=0.05)
        months.append((summary["year_quota"], summary["months_left"], summary["drawn_before"], summary["quota"]))
    assert months == [(50, 12, 0, 5), (50, 11, 5, 5), (50, 10, 10, 4), (50, 9, 14, 4)]
    summary, _ = yearly(units, "2026-04-01", ids[:12], ratio=0.05)  # March fell 2 short
    assert summary["quota"] == 5
    grown = units + [unit(f"v{n:03d}") for n in range(100)]
    summary, _ = yearly(grown, "2026-04-01", ids[:14], ratio=0.05)
    assert (summary["year_quota"], summary["quota"]) == (55, 5)
    assert summary["exclusions"] == {"inspected_recently": 0, "drawn_this_year": 14}


def test_december_takes_all_that_remains_and_a_quota_is_never_negative():
    units = [unit(n) for n in range(40)]
    summary, result = yearly(units, "2026-12-01", list(range(3)), count=20)
    assert (summary["months_left"], summary["quota"], summary["drawn"]) == (1, 17, 17)
    assert result["shortfalls"] == []
    summary, result = yearly(units, "2026-06-01", list(range(25)), count=20)
    assert (summary["quota"], summary["drawn"], result["assignments"]) == (0, 0, [])
    summary, result = yearly(units[:2], "2026-12-01", [], count=20)
    assert [s["kind"] for s in result["shortfalls"]] == ["quota"] and summary["drawn"] == 2


def test_units_drawn_earlier_in_the_year_by_the_stratum_are_excluded():
    units = [unit(n) for n in range(10)] + [unit("r", last_inspected="2026-03-20"), unit("k", key_unit=True)]
    key = {"code": "key", "filter": {"key_unit": True}, "count": 5}
    general = {"code": "general", "filter": {}, "ratio": 1, "per": "year"}
    listed = ["0", 1, "r", "k", "closed-since"]  # ids match by text; "k" is another stratum's now
    result = draw(SEED, units, [inspector("x"), inspector("y")],
                  rules(key, general, drawn_this_year={"general": listed}))
    key_summary, summary = result["strata"]
    assert "per" not in key_summary and key_summary["drawn"] == 1  # "k": listed only under general
    assert summary["exclusions"] == {"inspected_recently": 0, "drawn_this_year": 3}  # 0, 1 and r
    assert (summary["pool"], summary["eligible"], summary["drawn_before"]) == (11, 8, 5)
    assert summary["quota"] == 1  # ceil((11 - 5) / 9)
    drawn = {str(a["unit"]) for a in result["assignments"] if a["stratum"] == "general"}
    assert drawn.isdisjoint({"0", "1", "r"})
    assert result["exclusions"] == {"inspected_recently": 0, "drawn_this_year": 3}


def test_a_yearly_stratum_without_earlier_draws_and_a_monthly_one_agree_in_january():
    units = [unit(n) for n in range(30)]
    monthly, _ = quota_of(units, {"code": "s", "filter": {}, "count": 24}, as_of="2026-01-01")
    summary, _ = yearly(units, "2026-01-01", None, count=24 * 12)
    assert summary["quota"] == monthly["quota"] == 24
    assert summary["drawn_before"] == 0 and summary["exclusions"]["drawn_this_year"] == 0


@pytest.mark.parametrize(
    ("changes", "where", "words"),
    [
        ({"strata": [{"code": "a", "count": 1, "per": "quarter"}]}, "rules.strata[0].per", "unknown quota period"),
        ({"strata": [{"code": "a", "count": 1, "per": None}]}, "rules.strata[0].per", "unknown quota period"),
        ({"drawn_this_year": ["u1"]}, "rules.drawn_this_year", "must be a JSON object"),
        ({"drawn_this_year": {"all": []}}, "rules.drawn_this_year.all", "not the code of a stratum with a yearly"),
        (
            {"strata": [{"code": "y", "count": 1, "per": "year"}], "drawn_this_year": {"z": []}},
            "rules.drawn_this_year.z",
            "yearly quota",
        ),
        (
            {"strata": [{"code": "y", "count": 1, "per": "year"}], "drawn_this_year": {"y": "u1"}},
            "rules.drawn_this_year.y",
            "list of ids",
        ),
        (
            {"strata": [{"code": "y", "count": 1, "per": "year"}], "drawn_this_year": {"y": ["u1", 2.5]}},
            "rules.drawn_this_year.y[1]",
            "invalid id",
        ),
        (
            {"strata": [{"code": "y", "count": 1, "per": "year"}], "drawn_this_year": {"y": [5, "u1", "5"]}},
            "rules.drawn_this_year.y[2]",
            "unit 5 is listed twice",
        ),
    ],
)
def test_bad_yearly_rules_name_the_field(changes, where, words):
    exc = raises(rule_set=rules(**changes))
    assert (exc.where, exc.source) == (where, "rules")
    assert words in exc.message_en
    assert exc.message_zh and exc.message_zh != exc.message_en


def test_monthly_strata_may_say_so():
    units, inspectors, rule_set = city()
    explicit = copy.deepcopy(rule_set)
    for stratum in explicit["strata"]:
        stratum["per"] = "month"
    result = draw(SEED, units, inspectors, explicit)
    plain = draw(SEED, units, inspectors, rule_set)
    assert result["assignments"] == plain["assignments"] and result["strata"] == plain["strata"]
    assert result["inputs_sha256"]["rules"] != plain["inputs_sha256"]["rules"]  # the rules as given


# --------------------------------------------------------------------------- what is published before the draw


def test_inputs_sha256_are_the_digests_the_draw_reports():
    units, inspectors, rule_set = city()
    assert inputs_sha256(units, inspectors, rule_set) == draw(SEED, units, inspectors, rule_set)["inputs_sha256"]
    assert inputs_sha256(units[::-1], inspectors, rule_set) == inputs_sha256(units, inspectors, rule_set)
    with pytest.raises(DrawError) as caught:
        inputs_sha256(units, inspectors, {**rule_set, "inspectors_per_unit": 1})
    assert caught.value.where == "rules.inspectors_per_unit"
    with pytest.raises(DrawError) as caught:
        inputs_sha256(units + [unit("u001")], inspectors, rule_set)
    assert caught.value.where == "units[u001].id"


def before_the_draw(units, inspectors, rule_set, seed=SEED):
    return {"seed_sha256": commitment(seed), "inputs_sha256": inputs_sha256(units, inspectors, rule_set)}


def test_verify_against_what_was_published(published):
    result, units, inspectors, rule_set = published
    announced = before_the_draw(units, inspectors, rule_set)
    assert verify(result, units, inspectors, rule_set, announced)["ok"]
    assert verify(result, units, inspectors, rule_set, {})["ok"]  # nothing published: nothing to compare
    assert verify(result, units, inspectors, rule_set, {"inputs_sha256": {"units": announced["inputs_sha256"][
        "units"]}})["ok"]


@pytest.mark.parametrize("name", ["units", "inspectors", "rules"])
def test_verify_names_an_input_changed_after_it_was_published(published, name):
    result, units, inspectors, rule_set = published
    announced = before_the_draw(units, inspectors, rule_set)
    inputs_now = {"units": units, "inspectors": inspectors, "rules": rule_set}
    changed = copy.deepcopy(inputs_now[name])
    if name == "rules":
        changed["strata"][0]["count"] += 1
    else:
        changed.pop()
    inputs_now[name] = changed
    # Whoever changed it re-ran the draw, so the result matches the changed input...
    rerun = draw(SEED, inputs_now["units"], inputs_now["inspectors"], inputs_now["rules"])
    assert verify(rerun, inputs_now["units"], inputs_now["inspectors"], inputs_now["rules"])["ok"]
    # ...but not what was published before the draw.
    report = verify(rerun, inputs_now["units"], inputs_now["inspectors"], inputs_now["rules"], announced)
    assert [(p["code"], p["field"], p["source"]) for p in report["problems"]] == [
        ("published", f"published.inputs_sha256.{name}", name)
    ]
    assert announced["inputs_sha256"][name][:16] in report["problems"][0]["message_en"]
    assert "changed after its digest was published" in report["problems"][0]["message_en"]


def test_verify_notices_a_result_committed_to_another_seed(published):
    result, units, inspectors, rule_set = published
    announced = before_the_draw(units, inspectors, rule_set, seed=OTHER_SEED)
    report = verify(result, units, inspectors, rule_set, announced)
    assert codes(report) == ["published"] and report["problems"][0]["field"] == "published.seed_sha256"


@pytest.mark.parametrize("announced", [[], "abc", {"inputs_sha256": ["x"]}])
def test_verify_refuses_an_unreadable_publication(published, announced):
    result, units, inspectors, rule_set = published
    report = verify(result, units, inspectors, rule_set, announced)
    assert codes(report) == ["format"] and report["problems"][0]["field"] == "published"


def test_cli_digests(files):
    status, out, err = cli(["digests"] + inputs(files))
    assert status == 0, err
    units, inspectors, rule_set = city()
    assert json.loads(out) == {"algorithm": ALGORITHM, "inputs_sha256": inputs_sha256(units, inspectors, rule_set)}
    rule_set["strata"][0]["per"] = "week"
    files["rules"].write_text(json.dumps(rule_set), encoding="utf-8")
    status, out, err = cli(["digests"] + inputs(files))
    assert status == 2 and out == "" and "rules.strata[0].per" in err and str(files["rules"]) in err


def test_cli_verify_published(files, tmp_path):
    result_path, published_path = tmp_path / "result.json", tmp_path / "commitment.json"
    _, digests, _ = cli(["digests"] + inputs(files))
    announced = {"seed_sha256": commitment(SEED), **json.loads(digests)}
    published_path.write_text(json.dumps(announced), encoding="utf-8")
    assert cli(inputs(files) + ["--seed", SEED.hex(), "--output", str(result_path)])[0] == 0
    argv = ["verify", "--result", str(result_path), "--published", str(published_path)] + inputs(files)
    status, out, err = cli(argv)
    assert status == 0, out + err
    announced["inputs_sha256"]["inspectors"] = "0" * 64
    published_path.write_text(json.dumps(announced), encoding="utf-8")
    status, out, _ = cli(argv)
    assert status == 1 and "[published] published.inputs_sha256.inspectors" in out
    published_path.write_text("[]", encoding="utf-8")
    status, _, err = cli(argv)
    assert status == 2 and str(published_path) in err
