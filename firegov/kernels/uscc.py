"""Unified social credit code (统一社会信用代码, GB 32100-2015) checks with precise reasons.

Structure of the 18 characters:

1. registration-authority code (登记管理部门代码);
2. unit-type code (机构类别代码), valid values depend on the authority;
3. to 8. region code of the registering authority (登记管理机关行政区划码), 6 digits;
9. to 17. organisation identifier (主体标识码, the former organisation code);
18. check character (校验码).

The check character is computed by ``stdnum.cn.uscc``. This module does the structural checks
itself because ``stdnum`` requires the first 8 characters to be digits, which rejects codes whose
authority code is a letter (A, N, Y).
"""

from __future__ import annotations

from dataclasses import dataclass

from stdnum.cn import uscc as _stdnum_uscc

LENGTH = 18
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # digits and capitals without I, O, Z, S, V
FORBIDDEN_LETTERS = "IOZSV"

# Authority code -> (Chinese name, English name, {unit-type code: Chinese name}).
# GB 32100-2015 defines 1, 5, 9 and Y; the others were added later to the national code table.
AUTHORITIES: dict[str, tuple[str, str, dict[str, str]]] = {
    "1": (
        "机构编制",
        "institutional staffing",
        {"1": "机关", "2": "事业单位", "3": "中央编办直管群众团体", "9": "其他"},
    ),
    "2": ("外交", "foreign affairs", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": (
        "司法行政",
        "justice administration",
        {
            "1": "律师执业机构",
            "2": "公证处",
            "3": "基层法律服务所",
            "4": "司法鉴定机构",
            "5": "仲裁委员会",
            "9": "其他",
        },
    ),
    "4": ("文化", "culture", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", "civil affairs", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": (
        "旅游",
        "tourism",
        {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地代表机构", "9": "其他"},
    ),
    "7": ("宗教", "religious affairs", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", "trade unions", {"1": "基层工会", "9": "其他"}),
    "9": ("工商（市场监管）", "market regulation", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", "CMC reform and staffing office", {"1": "军队事业单位", "9": "其他"}),
    "N": (
        "农业",
        "agriculture",
        {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"},
    ),
    "Y": ("其他", "other", {"1": "其他"}),
}


@dataclass(frozen=True)
class Result:
    """Outcome of :func:`check`. ``expected_check_char`` is set once the first 17 characters are sound."""

    valid: bool
    code: str
    reason_zh: str = ""
    reason_en: str = ""
    expected_check_char: str | None = None


_FULLWIDTH_OFFSET = 0xFEE0


def normalise(code: str) -> str:
    """Strip all whitespace, convert full-width characters to half-width and upper-case."""
    half = "".join(chr(ord(ch) - _FULLWIDTH_OFFSET) if 0xFF01 <= ord(ch) <= 0xFF5E else ch for ch in code)
    return "".join(half.split()).upper()


def _invalid(code: str, zh: str, en: str, expected: str | None = None) -> Result:
    return Result(False, code, zh, en, expected)


def _bad_characters(code: str) -> Result | None:
    for position, ch in enumerate(code, start=1):
        if ch in ALPHABET:
            continue
        if ch in FORBIDDEN_LETTERS:
            zh = f"第 {position} 位字符 {ch!r} 不允许（统一社会信用代码不使用 I、O、Z、S、V）"
            en = f"character {position} {ch!r} is not allowed (the letters I, O, Z, S, V are never used)"
        else:
            zh = f"第 {position} 位字符 {ch!r} 无效（只能是数字或大写英文字母）"
            en = f"character {position} {ch!r} is invalid (only digits and capital letters are used)"
        return _invalid(code, zh, en)
    return None


def _bad_authority(code: str) -> Result | None:
    authority, unit_type = code[0], code[1]
    if authority not in AUTHORITIES:
        known = "、".join(AUTHORITIES)
        return _invalid(
            code,
            f"第 1 位登记管理部门代码 {authority!r} 无效（应为 {known} 之一）",
            f"registration-authority code (1st character) {authority!r} is invalid (expected one of {known})",
        )
    name_zh, name_en, types = AUTHORITIES[authority]
    if unit_type not in types:
        known = "、".join(types)
        return _invalid(
            code,
            f"第 2 位机构类别代码 {unit_type!r} 对登记管理部门 {authority}（{name_zh}）无效"
            f"（应为 {known} 之一）",
            f"unit-type code (2nd character) {unit_type!r} is invalid for authority {authority} ({name_en}); "
            f"expected one of {', '.join(types)}",
        )
    return None


def _bad_region(code: str) -> Result | None:
    region = code[2:8]
    if region.isascii() and region.isdigit():
        return None
    return _invalid(
        code,
        f"第 3–8 位登记管理机关行政区划码应为 6 位数字，实际为 {region!r}",
        f"region code (characters 3-8) must be 6 digits, got {region!r}",
    )


def check(code: str) -> Result:
    """Check a unified social credit code and explain the first problem found."""
    if not isinstance(code, str):
        return _invalid("", "代码必须是字符串", f"the code must be a string, got {type(code).__name__}")
    code = normalise(code)
    if len(code) != LENGTH:
        return _invalid(
            code,
            f"长度应为 {LENGTH} 位，实际为 {len(code)} 位",
            f"must be {LENGTH} characters long, got {len(code)}",
        )
    problem = _bad_characters(code) or _bad_authority(code) or _bad_region(code)
    if problem is not None:
        return problem
    expected = _stdnum_uscc.calc_check_digit(code[:17])
    if code[17] != expected:
        return _invalid(
            code,
            f"校验码错误：第 18 位应为 {expected!r}，实际为 {code[17]!r}",
            f"wrong check character: expected {expected!r}, got {code[17]!r}",
            expected,
        )
    return Result(True, code, expected_check_char=expected)


def is_valid(code: str) -> bool:
    return check(code).valid


def make(authority: str, unit_type: str, region6: str, org9: str) -> str:
    """Assemble a code from its parts and append the right check character.

    Raise ``ValueError`` (with the Chinese and English reason) when a part is malformed.
    """
    parts = [normalise(str(p)) for p in (authority, unit_type, region6, org9)]
    lengths = (1, 1, 6, 9)
    for part, size, name in zip(parts, lengths, ("authority", "unit_type", "region6", "org9"), strict=True):
        if len(part) != size:
            raise ValueError(f"{name} 应为 {size} 位 / {name} must be {size} characters, got {part!r}")
    body = "".join(parts)
    problem = _bad_characters(body) or _bad_authority(body) or _bad_region(body)
    if problem is not None:
        raise ValueError(f"{problem.reason_zh} / {problem.reason_en}")
    return body + _stdnum_uscc.calc_check_digit(body)
