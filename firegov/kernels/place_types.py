"""Place types (场所类型) and the attribute schema of a unit (社会单位).

The table itself is data in ``rules/place_types.json``; this module loads it once and offers:

* ``PLACE_TYPES``: read-only ordered mapping code -> :class:`PlaceType`;
* ``FLAGS``: read-only mapping flag name -> :class:`FlagDef` (公众聚集场所, 人员密集场所, ...);
* ``ATTRIBUTES``: read-only ordered mapping attribute name -> :class:`Attribute`;
* :func:`get_place_type` and :func:`validate_attributes`.

Codes are a contract shared with imports and the ``firegov classify`` command: extend the table,
never rename a code.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

RULES_DIR = Path(__file__).resolve().parent / "rules"
PLACE_TYPES_FILE = RULES_DIR / "place_types.json"

ATTRIBUTE_TYPES = ("number", "int", "bool", "enum", "year")
YEAR_MIN, YEAR_MAX = 1, 2100
_MAX_TEXT_LEN = 40  # longer strings cannot be a sensible number, boolean or enum value

_TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "是", "有", "对", "真"})
_FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "否", "无", "没有", "不是", "假"})
_DECIMAL_RE = re.compile(r"^\+?(\d+)(\.\d+)?$", re.ASCII)


class AttributeValueError(ValueError):
    """A unit attribute has an unknown name or a value that cannot be used."""

    def __init__(self, field: str, message_zh: str, message_en: str):
        self.field = field
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{field}: {message_zh} / {message_en}")


@dataclass(frozen=True)
class FlagDef:
    """A classification that follows from the place type alone."""

    name: str
    zh: str
    en: str
    clause: str
    verified: bool
    note: str = ""


@dataclass(frozen=True)
class PlaceType:
    """One place type. ``flags`` maps each flag that applies to the clause deciding it."""

    code: str
    zh: str
    en: str
    flags: Mapping[str, str] = field(hash=False)
    flag_conditions: Mapping[str, str] = field(default_factory=dict, hash=False)
    note: str = ""

    def has(self, flag: str) -> bool:
        return flag in self.flags

    def clause(self, flag: str) -> str | None:
        return self.flags.get(flag)

    @property
    def public_gathering(self) -> bool:
        return self.has("public_gathering")

    @property
    def crowded(self) -> bool:
        return self.has("crowded")

    @property
    def hazmat(self) -> bool:
        return self.has("hazmat")

    @property
    def chemical(self) -> bool:
        return self.has("chemical")

    @property
    def nine_small(self) -> bool:
        return self.has("nine_small")

    @property
    def three_in_one(self) -> bool:
        return self.has("three_in_one")

    @property
    def important_place(self) -> bool:
        return self.has("important_place")

    @property
    def residential(self) -> bool:
        return self.has("residential")


@dataclass(frozen=True)
class EnumValue:
    code: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()
    place_type: str | None = None  # for small_place_subtype: the full place type it follows


@dataclass(frozen=True)
class Attribute:
    """One attribute (metric) of a unit, e.g. ``guest_rooms``."""

    name: str
    type: str
    zh: str
    en: str
    unit: str = ""
    note: str = ""
    added: bool = False  # not in the shared vocabulary (place_types.md); added for the rules
    ordered: bool = False
    values: tuple[EnumValue, ...] = ()

    def codes(self) -> tuple[str, ...]:
        return tuple(v.code for v in self.values)

    def rank(self, code: str) -> int:
        """Position of an enum code, lowest rank first (only meaningful when ``ordered``)."""
        return self.codes().index(code)

    def value(self, code: str) -> EnumValue:
        return next(v for v in self.values if v.code == code)

    def label_zh(self, value: Any) -> str:
        """Chinese rendering of a (validated) value for explanations."""
        if self.type == "enum":
            return self.value(value).zh
        if self.type == "bool":
            return "是" if value else "否"
        text = format_number(value)
        return f"{text} {self.unit}" if self.unit else text


def format_number(value: Any) -> str:
    """12 -> '12', 12.0 -> '12', 24.10 -> '24.1'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --------------------------------------------------------------------------- loading


def _load_json() -> dict:
    with PLACE_TYPES_FILE.open(encoding="utf-8") as fh:
        return json.load(fh)


def _build_flags(raw: dict) -> dict[str, FlagDef]:
    return {
        name: FlagDef(name, d["zh"], d["en"], d["clause"], bool(d["verified"]), d.get("note", ""))
        for name, d in raw.items()
    }


def _build_place_type(raw: dict, flags: Mapping[str, FlagDef]) -> PlaceType:
    clauses = raw.get("clauses", {})
    resolved = {name: clauses.get(name, flags[name].clause) for name in raw["flags"]}
    conditions = raw.get("flag_conditions", {})
    return PlaceType(
        code=raw["code"],
        zh=raw["zh"],
        en=raw["en"],
        flags=MappingProxyType(resolved),
        flag_conditions=MappingProxyType(dict(conditions)),
        note=raw.get("note", ""),
    )


def _build_attribute(raw: dict) -> Attribute:
    values = tuple(
        EnumValue(v["code"], v["zh"], v["en"], tuple(v.get("aliases", ())), v.get("place_type"))
        for v in raw.get("values", ())
    )
    return Attribute(
        name=raw["name"],
        type=raw["type"],
        zh=raw["zh"],
        en=raw["en"],
        unit=raw.get("unit", ""),
        note=raw.get("note", ""),
        added=bool(raw.get("added", False)),
        ordered=bool(raw.get("ordered", False)),
        values=values,
    )


def _check_consistency(place_types: Mapping[str, PlaceType], attributes: Mapping[str, Attribute]) -> None:
    """Fail loudly at import time if the JSON table contradicts itself."""
    for attr in attributes.values():
        if attr.type not in ATTRIBUTE_TYPES:
            raise ValueError(f"place_types.json: attribute {attr.name}: unknown type {attr.type!r}")
        if (attr.type == "enum") != bool(attr.values):
            raise ValueError(f"place_types.json: attribute {attr.name}: enum values missing or misplaced")
        for value in attr.values:
            if value.place_type is not None and value.place_type not in place_types:
                where = f"place_types.json: {attr.name}={value.code}"
                raise ValueError(f"{where}: unknown place type {value.place_type}")
    for pt in place_types.values():
        for flag, condition in pt.flag_conditions.items():
            attr = attributes.get(condition)
            if flag not in pt.flags or attr is None or attr.type != "bool":
                raise ValueError(f"place_types.json: {pt.code}: bad flag condition {flag} -> {condition}")


def _unique(items: list[dict], key: str) -> list[dict]:
    keys = [item[key] for item in items]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise ValueError(f"place_types.json: duplicate {key}s {duplicates}")
    return items


def _load() -> tuple[Mapping[str, FlagDef], Mapping[str, PlaceType], Mapping[str, Attribute]]:
    data = _load_json()
    flags = _build_flags(data["flags"])
    place_types = {raw["code"]: _build_place_type(raw, flags) for raw in _unique(data["place_types"], "code")}
    attributes = {raw["name"]: _build_attribute(raw) for raw in _unique(data["attributes"], "name")}
    _check_consistency(place_types, attributes)
    return MappingProxyType(flags), MappingProxyType(place_types), MappingProxyType(attributes)


FLAGS, PLACE_TYPES, ATTRIBUTES = _load()


def get_place_type(code: str) -> PlaceType:
    """Return the place type for ``code``; raise ``KeyError`` for an unknown code."""
    try:
        return PLACE_TYPES[code]
    except (KeyError, TypeError):
        raise KeyError(code) from None


def small_place_equivalent(attrs: Mapping[str, Any]) -> PlaceType | None:
    """The full place type a 九小场所 follows, from its validated ``small_place_subtype``."""
    subtype = attrs.get("small_place_subtype")
    if subtype is None:
        return None
    return PLACE_TYPES[ATTRIBUTES["small_place_subtype"].value(subtype).place_type]


# --------------------------------------------------------------------------- validation


def _normalise_text(value: str) -> str:
    """Full-width to half-width, trimmed; '1,000' keeps its comma (removed for numbers only)."""
    return unicodedata.normalize("NFKC", value).strip()


def _fail(name: str, zh: str, en: str) -> AttributeValueError:
    return AttributeValueError(name, zh, en)


def _parse_decimal(name: str, raw: str) -> int | float:
    text = _normalise_text(raw).replace(",", "")
    if text.startswith("-") and _DECIMAL_RE.match(text[1:]):
        raise _fail(name, f"不能为负数：{raw!r}", f"must not be negative: {raw!r}")
    match = _DECIMAL_RE.match(text)
    if len(text) > _MAX_TEXT_LEN or not match:
        raise _fail(name, f"不是有效的数值：{raw!r}", f"not a valid number: {raw!r}")
    return float(text) if match.group(2) else int(match.group(1))


def _check_real(name: str, value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        got = type(value).__name__
        raise _fail(name, f"应为数值，实际为 {got}", f"must be a number, got {got}")
    if isinstance(value, float) and not math.isfinite(value):
        raise _fail(name, f"不是有限数值：{value!r}", f"not a finite number: {value!r}")
    if value < 0:
        raise _fail(name, f"不能为负数：{value!r}", f"must not be negative: {value!r}")
    return value


def _coerce_number(name: str, value: Any) -> int | float:
    if isinstance(value, str):
        value = _parse_decimal(name, value)
    return _check_real(name, value)


def _coerce_int(name: str, value: Any) -> int:
    number = _coerce_number(name, value)
    if isinstance(number, float):
        if not number.is_integer():
            raise _fail(name, f"应为整数：{value!r}", f"must be a whole number: {value!r}")
        return int(number)
    return number


def _coerce_year(name: str, value: Any) -> int:
    year = _coerce_int(name, value)
    if not YEAR_MIN <= year <= YEAR_MAX:
        span = f"{YEAR_MIN}–{YEAR_MAX}"
        raise _fail(name, f"年份超出范围 {span}：{value!r}", f"year out of range {span}: {value!r}")
    return year


def _coerce_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and len(value) <= _MAX_TEXT_LEN:
        word = _normalise_text(value).lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    raise _fail(name, f"不是有效的是/否值：{value!r}", f"not a valid yes/no value: {value!r}")


def _enum_lookup(attr: Attribute) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for v in attr.values:
        for key in (v.code, v.zh, v.en, *v.aliases):
            if lookup.setdefault(key.lower(), v.code) != v.code:
                raise ValueError(f"place_types.json: {attr.name}: {key!r} names two values")
    return lookup


_ENUM_LOOKUPS = {a.name: _enum_lookup(a) for a in ATTRIBUTES.values() if a.type == "enum"}


def _coerce_enum(name: str, value: Any) -> str:
    if isinstance(value, str) and len(value) <= _MAX_TEXT_LEN:
        code = _ENUM_LOOKUPS[name].get(_normalise_text(value).lower())
        if code is not None:
            return code
    codes = ATTRIBUTES[name].codes()
    raise _fail(
        name,
        f"取值 {value!r} 无效，可选：{'、'.join(codes)}",
        f"invalid value {value!r}; allowed: {', '.join(codes)}",
    )


_COERCERS = {
    "number": _coerce_number,
    "int": _coerce_int,
    "bool": _coerce_bool,
    "enum": _coerce_enum,
    "year": _coerce_year,
}


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not _normalise_text(value))


def _known_attribute(name: Any) -> Attribute:
    if not isinstance(name, str):
        raise _fail(repr(name), "属性名必须是字符串", "attribute names must be strings")
    attr = ATTRIBUTES.get(name)
    if attr is None:
        raise _fail(name, f"未知属性 {name!r}", f"unknown attribute {name!r}")
    return attr


def coerce_attribute(name: Any, value: Any) -> Any:
    """Validate and coerce one attribute value; raise :class:`AttributeValueError`."""
    return _COERCERS[_known_attribute(name).type](name, value)


def validate_attributes(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """Return a new dict of validated, coerced attributes.

    ``None`` and blank strings mean "not given" and are dropped. Numbers accept strings such as
    "12", "1,000" or full-width "１２"; booleans accept true/false, 1/0, yes/no, 是/否, 有/无.
    Enum values accept the code, its Chinese or English label, or an alias.
    """
    if not isinstance(attrs, Mapping):
        raise _fail("", "属性必须是对象（键值对）", "attributes must be a mapping")
    result: dict[str, Any] = {}
    for name, value in attrs.items():
        _known_attribute(name)
        if not _is_blank(value):
            result[name] = coerce_attribute(name, value)
    return result
