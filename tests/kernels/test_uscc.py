"""Tests for unified social credit code checks (no Django)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from firegov.kernels import uscc

# Check characters below were computed with stdnum, not guessed.
VALID_CODES = [
    "91110000600037341L",  # the python-stdnum doctest example
    "91350200776049653A",
    "91440101MA5CJQ4N59",
    "123502001549897397",  # authority 1 (机构编制), type 2 (事业单位)
    "92371000MA3MXH0E3W",  # authority 9, type 2 (个体工商户)
    "11100000000013127D",  # region 100000 (central registration)
]


@pytest.mark.parametrize("code", VALID_CODES)
def test_valid_codes(code):
    result = uscc.check(code)
    assert result.valid, result
    assert result.code == code
    assert result.reason_zh == result.reason_en == ""
    assert result.expected_check_char == code[-1]
    assert uscc.is_valid(code)
    assert stdnum_uscc.is_valid(code)


def test_wrong_check_character_names_the_expected_one():
    result = uscc.check("91320000134785425Y")
    assert not result.valid
    assert result.expected_check_char == "N"
    assert result.reason_zh == "校验码错误：第 18 位应为 'N'，实际为 'Y'"
    assert result.reason_en == "wrong check character: expected 'N', got 'Y'"
    assert uscc.is_valid("91320000134785425N")


@pytest.mark.parametrize(
    "raw",
    [
        " 9111 0000 6000 3734 1L ",
        "91110000600037341l",
        "９１１１００００６０００３７３４１Ｌ",
        "9111\u30000000600037341L",
        "91110000600037341L\n",
    ],
)
def test_normalisation(raw):
    assert uscc.normalise(raw) == "91110000600037341L"
    result = uscc.check(raw)
    assert result.valid and result.code == "91110000600037341L"


@pytest.mark.parametrize(
    "code,zh,en",
    [
        ("", "长度应为 18 位，实际为 0 位", "must be 18 characters long, got 0"),
        ("91110000600037341", "实际为 17 位", "got 17"),
        ("91110000600037341LL", "实际为 19 位", "got 19"),
        ("9111000060003734IL", "第 17 位字符 'I' 不允许", "the letters I, O, Z, S, V are never used"),
        ("9111000060003734OL", "第 17 位字符 'O'", "character 17 'O' is not allowed"),
        ("911100006000373Z1L", "'Z' 不允许", "'Z' is not allowed"),
        ("91110000600037S41L", "'S' 不允许", "'S' is not allowed"),
        ("91110000600037V41L", "'V' 不允许", "'V' is not allowed"),
        ("91110000600037#41L", "'#' 无效", "only digits and capital letters"),
        ("91110000600037-41L", "'-' 无效", "character 15 '-' is invalid"),
        (
            "B1110000600037341L",
            "第 1 位登记管理部门代码 'B' 无效",
            "registration-authority code (1st character) 'B'",
        ),
        ("01110000600037341L", "登记管理部门代码 '0'", "authority code (1st character) '0' is invalid"),
        (
            "94110000600037341L",
            "第 2 位机构类别代码 '4'",
            "unit-type code (2nd character) '4' is invalid for authority 9",
        ),
        ("Y2110000600037341L", "第 2 位机构类别代码 '2'", "invalid for authority Y (other)"),
        ("5A110000600037341L", "机构类别代码 'A'", "unit-type code (2nd character) 'A'"),
        (
            "9111A000600037341L",
            "行政区划码应为 6 位数字",
            "region code (characters 3-8) must be 6 digits, got '11A000'",
        ),
        ("91110000600037341X", "应为 'L'，实际为 'X'", "expected 'L', got 'X'"),
    ],
)
def test_failure_reasons(code, zh, en):
    result = uscc.check(code)
    assert not result.valid
    assert zh in result.reason_zh
    assert en in result.reason_en


def test_check_of_a_non_string():
    result = uscc.check(None)  # type: ignore[arg-type]
    assert not result.valid
    assert "string" in result.reason_en


def test_expected_check_char_only_when_structure_is_sound():
    assert uscc.check("9111000060003734IL").expected_check_char is None
    assert uscc.check("91110000600037341X").expected_check_char == "L"


def test_make_reproduces_real_codes():
    assert uscc.make("9", "1", "110000", "600037341") == "91110000600037341L"
    assert uscc.make("9", "1", "320000", "134785425") == "91320000134785425N"


def test_make_accepts_letter_authorities_that_stdnum_rejects():
    code = uscc.make("N", "2", "370481", "MA3MXH0E3")
    assert uscc.is_valid(code)
    # python-stdnum requires the first 8 characters to be digits, so it refuses letter authorities.
    assert not stdnum_uscc.is_valid(code)
    assert code[-1] == stdnum_uscc.calc_check_digit(code[:17])


@pytest.mark.parametrize(
    "parts,fragment",
    [
        (("B", "1", "110000", "600037341"), "registration-authority"),
        (("9", "9", "110000", "600037341"), "unit-type"),
        (("9", "1", "11000", "600037341"), "region6 must be 6 characters"),
        (("9", "1", "11000A", "600037341"), "region code"),
        (("9", "1", "110000", "60003734I"), "'I' is not allowed"),
        (("9", "1", "110000", "6000373"), "org9 must be 9 characters"),
        (("91", "1", "110000", "600037341"), "authority must be 1 characters"),
    ],
)
def test_make_rejects_bad_parts(parts, fragment):
    with pytest.raises(ValueError, match=fragment):
        uscc.make(*parts)


# --------------------------------------------------------------------------- properties

_authority_and_type = st.sampled_from(
    [(authority, unit_type) for authority, (_, _, types) in uscc.AUTHORITIES.items() for unit_type in types]
)
_region = st.text(alphabet="0123456789", min_size=6, max_size=6)
_org = st.text(alphabet=uscc.ALPHABET, min_size=9, max_size=9)


@settings(max_examples=300, deadline=None)
@given(_authority_and_type, _region, _org)
def test_make_always_produces_valid_codes(authority_and_type, region, org):
    code = uscc.make(*authority_and_type, region, org)
    assert len(code) == 18
    assert uscc.check(code).valid


@settings(max_examples=400, deadline=None)
@given(_authority_and_type, _region, _org, st.integers(0, 17), st.sampled_from(uscc.ALPHABET))
def test_changing_one_character_invalidates_the_code(authority_and_type, region, org, position, replacement):
    code = uscc.make(*authority_and_type, region, org)
    if code[position] == replacement:
        return
    mutated = code[:position] + replacement + code[position + 1 :]
    result = uscc.check(mutated)
    assert not result.valid
    if result.expected_check_char is not None and position < 17:
        assert result.expected_check_char != code[17]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_check_never_raises(text):
    result = uscc.check(text)
    assert isinstance(result.valid, bool)
    if not result.valid:
        assert result.reason_zh and result.reason_en
