"""Tests for the pure ``firegov classify`` / ``firegov uscc`` implementations (no Django)."""

from __future__ import annotations

import io
import json

import pytest

from firegov.kernels.cli_kernels import run_classify, run_uscc

UNITS = [
    {"id": "h1", "place_type": "hotel", "guest_rooms": "60", "guest_beds": 120},
    {"id": "m1", "place_type": "mall", "building_area_m2": 10001, "sells_combustible_goods": "是"},
    {"id": "f1", "place_type": "fuel_station"},
]


def classify_cli(argv, stdin_text=""):
    stdout, stderr = io.StringIO(), io.StringIO()
    status = run_classify(argv, io.StringIO(stdin_text), stdout, stderr)
    return status, stdout.getvalue(), stderr.getvalue()


def uscc_cli(argv):
    stdout, stderr = io.StringIO(), io.StringIO()
    status = run_uscc(argv, stdout, stderr)
    return status, stdout.getvalue(), stderr.getvalue()


# --------------------------------------------------------------------------- classify


def test_classify_from_stdin():
    status, out, err = classify_cli(["-"], json.dumps(UNITS))
    assert status == 0, err
    assert err == ""
    results = json.loads(out)
    assert [r["id"] for r in results] == ["h1", "m1", "f1"]
    assert [r["key_unit"] for r in results] == [True, True, True]
    assert [r["high_risk"] for r in results] == [False, True, None]


def test_classify_output_is_readable_json():
    status, out, _ = classify_cli(["-"], json.dumps(UNITS[:1]))
    assert status == 0
    assert "公通字〔2001〕97号" in out  # ensure_ascii=False
    assert out.startswith('[\n  {\n    "id"')  # indent=2
    assert out.endswith("\n")


def test_classify_from_file(tmp_path):
    path = tmp_path / "units.json"
    path.write_text(json.dumps(UNITS, ensure_ascii=False), encoding="utf-8")
    status, out, _ = classify_cli([str(path)])
    assert status == 0
    assert len(json.loads(out)) == 3


def test_classify_empty_list():
    assert classify_cli(["-"], "[]") == (0, "[]\n", "")


def test_high_risk_table_none():
    status, out, _ = classify_cli(["-", "--high-risk-table", "none"], json.dumps(UNITS))
    assert status == 0
    assert all(r["high_risk"] is None for r in json.loads(out))


def test_key_table_from_a_path(tmp_path):
    table = {
        "id": "key-units/test-province",
        "kind": "key_unit",
        "title": "测试",
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
    path = tmp_path / "province.json"
    path.write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")
    units = json.dumps([{"id": "s1", "place_type": "mall", "building_area_m2": 300}])
    status, out, _ = classify_cli(["-", "--key-table", str(path)], units)
    assert status == 0
    result = json.loads(out)[0]
    assert result["key_unit"] is True
    assert any(r["rule"] == "key-units/test-province/1" for r in result["reasons"])


def test_unknown_place_type_names_unit_and_field():
    units = json.dumps([UNITS[0], {"id": "z9", "place_type": "zoo"}])
    status, out, err = classify_cli(["-"], units)
    assert status == 2
    assert out == ""
    assert "z9" in err and "place_type" in err and "zoo" in err
    assert "未知的场所类型" in err and "unknown place type" in err


def test_bad_value_names_unit_and_field():
    status, out, err = classify_cli(
        ["-"], json.dumps([{"id": "h2", "place_type": "hotel", "guest_rooms": -5}])
    )
    assert status == 2
    assert out == ""
    assert "h2" in err and "guest_rooms" in err and "negative" in err


def test_every_bad_unit_is_reported():
    units = json.dumps([{"place_type": "hotel"}, "x", {"id": "a", "place_type": "zoo"}])
    status, _, err = classify_cli(["-"], units)
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 3
    assert "unit #1" in lines[0] and "missing unit id" in lines[0]
    assert "unit #2" in lines[1]
    assert "unit a (#3)" in lines[2]


@pytest.mark.parametrize(
    "stdin_text,fragment",
    [
        ("{", "not valid JSON (line 1, column 2"),
        ("", "not valid JSON"),
        ('{"id": "h1"}', "must contain a JSON list of units"),
        ('"hotel"', "must contain a JSON list of units"),
    ],
)
def test_bad_input(stdin_text, fragment):
    status, out, err = classify_cli(["-"], stdin_text)
    assert status == 2
    assert out == ""
    assert fragment in err


def test_unreadable_file(tmp_path):
    status, out, err = classify_cli([str(tmp_path / "missing.json")])
    assert status == 2
    assert "cannot read" in err and "missing.json" in err
    status, _, err = classify_cli([str(tmp_path)])
    assert status == 2
    assert "cannot read" in err


def test_non_utf8_file(tmp_path):
    path = tmp_path / "gbk.json"
    path.write_bytes('[{"id": "宾馆"}]'.encode("gbk"))
    status, _, err = classify_cli([str(path)])
    assert status == 2
    assert "cannot read" in err


@pytest.mark.parametrize(
    "argv,fragment",
    [
        (["-", "--key-table", "key-units/atlantis-1999"], "unknown rule table id"),
        (["-", "--high-risk-table", "key-units/national-2001"], "decides 'key_unit', not 'high_risk'"),
        (["-", "--key-table", "/nowhere/table.json"], "cannot read rule table"),
    ],
)
def test_bad_tables(argv, fragment):
    status, out, err = classify_cli(argv, "[]")
    assert status == 2
    assert out == ""
    assert fragment in err


@pytest.mark.parametrize("argv", [[], ["a.json", "b.json"], ["-", "--bogus"], ["-", "--key-table"]])
def test_classify_usage_errors(argv):
    status, out, err = classify_cli(argv)
    assert status == 2
    assert "usage: firegov classify" in err


def test_classify_help():
    status, out, err = classify_cli(["--help"])
    assert status == 0
    assert "usage: firegov classify" in out
    assert "--high-risk-table" in out
    assert err == ""


# --------------------------------------------------------------------------- uscc


def test_uscc_all_valid():
    status, out, err = uscc_cli(["91110000600037341L", "91350200776049653A"])
    assert status == 0
    assert out == "91110000600037341L  有效/valid\n91350200776049653A  有效/valid\n"
    assert err == ""


def test_uscc_one_invalid():
    status, out, _ = uscc_cli(["91110000600037341L", "91320000134785425Y"])
    assert status == 1
    lines = out.splitlines()
    assert lines[0] == "91110000600037341L  有效/valid"
    assert lines[1].startswith("91320000134785425Y  无效: 校验码错误")
    assert "expected 'N'" in lines[1]


def test_uscc_shows_the_normalised_code():
    status, out, _ = uscc_cli(["91110000600037341l"])
    assert status == 0
    assert out == "91110000600037341L  有效/valid\n"


def test_uscc_json():
    status, out, _ = uscc_cli(["--json", "91110000600037341L", "9111000060003734IL"])
    assert status == 1
    records = json.loads(out)
    assert records[0] == {
        "input": "91110000600037341L",
        "code": "91110000600037341L",
        "valid": True,
        "reason_zh": "",
        "reason_en": "",
        "expected_check_char": "L",
    }
    assert records[1]["valid"] is False
    assert "'I'" in records[1]["reason_en"]
    assert records[1]["expected_check_char"] is None


@pytest.mark.parametrize("argv", [[], ["--json"], ["--bogus", "91110000600037341L"]])
def test_uscc_usage_errors(argv):
    status, out, err = uscc_cli(argv)
    assert status == 2
    assert out == ""
    assert "usage: firegov uscc" in err


def test_uscc_help():
    status, out, _ = uscc_cli(["-h"])
    assert status == 0
    assert "usage: firegov uscc" in out
