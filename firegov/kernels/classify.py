"""Unit classification (单位分类) and the rule-table engine behind it.

:func:`classify` tells, for one unit, whether it is a fire-safety key unit (消防安全重点单位), a crowded
place (人员密集场所), a public gathering place (公众聚集场所), in a high-rise (高层) or super high-rise
(超高层) building, a large commercial complex (大型商业综合体), an underground place (地下场所), one of
the "gao-di-da-hua" places (“高低大化”), a "nine small" place (九小场所), a "three-in-one" place
(“三合一”场所) and a fire high-risk unit (火灾高危单位), each with the rule and clause that decided it.

Key units and high-risk units come from versioned rule tables (JSON) that a province can replace with
its own file of the same schema; see :func:`load_table`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple, Union

from firegov.kernels.place_types import (
    ATTRIBUTES,
    FLAGS,
    PLACE_TYPES,
    RULES_DIR,
    AttributeValueError,
    PlaceType,
    format_number,
    small_place_equivalent,
    validate_attributes,
)

DEFAULT_KEY_TABLE = "key-units/national-2001"
DEFAULT_HIGH_RISK_TABLE = "high-risk/shandong-2013"

OPS = (">=", ">", "==", "in")
TABLE_KINDS = ("key_unit", "high_risk")
WILDCARD = "*"
# Booleans computed by classify() before the tables run; rule tables may use them as metrics.
DERIVED_METRICS = {
    "high_rise": "高层建筑",
    "super_high_rise": "超高层建筑",
    "large_complex": "大型商业综合体",
    "underground": "地下场所",
    "public_gathering": "公众聚集场所",
    "crowded_place": "人员密集场所",
    "hazmat": "易燃易爆危险品场所",
}
# Unit keys that are not attributes: the identity and descriptive fields an import row carries.
NON_ATTRIBUTE_KEYS = frozenset({"id", "place_type", "name", "address"})

RESIDENTIAL_HIGH_RISE_M = 27
OTHER_HIGH_RISE_M = 24
SUPER_HIGH_RISE_M = 100
LARGE_COMPLEX_M2 = 50000

_OP_SYMBOLS = {">=": "≥", ">": ">", "==": "=", "in": "∈"}
_TABLE_ID_RE = re.compile(r"^[a-z0-9-]+/[a-z0-9-]+$")

TableSpec = Union["RuleTable", str, os.PathLike, None]


class ClassifyError(ValueError):
    """A unit cannot be classified: missing id, unknown/missing place type or bad attribute."""

    def __init__(self, unit_id: Any, field: str, message: str, message_en: str = ""):
        self.unit_id = unit_id
        self.field = field
        self.message_zh = message
        self.message_en = message_en or message
        self.message = f"{message} / {message_en}" if message_en else message
        zh = f"单位 {unit_id!r} 字段 {field}：{self.message_zh}"
        super().__init__(f"{zh} / unit {unit_id!r}, field {field}: {self.message_en}")


class TableError(ValueError):
    """A rule table cannot be found, read or has an invalid structure."""


# --------------------------------------------------------------------------- rule tables


@dataclass(frozen=True)
class Condition:
    metric: str
    op: str
    value: Any


@dataclass(frozen=True)
class Group:
    mode: str  # "all" or "any"
    items: tuple[Group | Condition, ...]


@dataclass(frozen=True)
class Rule:
    id: str
    clause: str
    text_zh: str
    text_en: str
    place_types: frozenset[str] | None  # None: every place type ("*")
    criteria: Group
    verified: bool
    codified: bool = True  # False: the item is known to exist but its text was not retrieved


@dataclass(frozen=True)
class RuleTable:
    id: str
    kind: str
    title: str
    document: str
    effective: str
    rules: tuple[Rule, ...]
    jurisdiction: str = ""
    source: str = ""


def _require(data: Mapping, key: str, kind: type | tuple, where: str) -> Any:
    if key not in data:
        raise TableError(f"{where}: missing {key!r}")
    value = data[key]
    if not isinstance(value, kind) or (kind is str and not value.strip()):
        raise TableError(f"{where}: {key!r} has the wrong type or is empty")
    return value


def _metric_spec(metric: str, where: str) -> tuple[str, Any]:
    if metric in DERIVED_METRICS:
        return "bool", None
    if metric in ATTRIBUTES:
        return ATTRIBUTES[metric].type, ATTRIBUTES[metric]
    raise TableError(f"{where}: unknown metric {metric!r}")


def _check_scalar(metric: str, value: Any, where: str) -> None:
    kind, attr = _metric_spec(metric, where)
    if kind in ("number", "int", "year"):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif kind == "bool":
        ok = isinstance(value, bool)
    else:
        ok = isinstance(value, str) and value in attr.codes()
    if not ok:
        raise TableError(f"{where}: value {value!r} does not suit metric {metric!r} ({kind})")


def _parse_condition(raw: Mapping, where: str) -> Condition:
    metric = _require(raw, "metric", str, where)
    op = _require(raw, "op", str, where)
    if op not in OPS:
        raise TableError(f"{where}: unknown op {op!r} (allowed: {', '.join(OPS)})")
    if "value" not in raw:
        raise TableError(f"{where}: missing 'value'")
    value = raw["value"]
    kind, attr = _metric_spec(metric, where)
    if op in (">=", ">") and not (kind in ("number", "int", "year") or (attr is not None and attr.ordered)):
        raise TableError(f"{where}: op {op!r} needs a numeric or ordered metric, {metric!r} is {kind}")
    if op == "in":
        if not isinstance(value, list) or not value:
            raise TableError(f"{where}: op 'in' needs a non-empty list")
        for item in value:
            _check_scalar(metric, item, where)
        return Condition(metric, op, tuple(value))
    _check_scalar(metric, value, where)
    return Condition(metric, op, value)


def _parse_node(raw: Any, where: str) -> Group | Condition:
    if not isinstance(raw, Mapping):
        raise TableError(f"{where}: criteria must be an object")
    modes = [m for m in ("all", "any") if m in raw]
    if not modes:
        return _parse_condition(raw, where)
    if len(modes) > 1 or len(raw) > 1:
        raise TableError(f"{where}: a criteria group has exactly one key, 'all' or 'any'")
    mode = modes[0]
    items = raw[mode]
    if not isinstance(items, list) or (mode == "any" and not items):
        raise TableError(f"{where}: {mode!r} needs a list (non-empty for 'any')")
    return Group(mode, tuple(_parse_node(item, f"{where} > {mode}[{i}]") for i, item in enumerate(items)))


def _parse_place_types(raw: Mapping, where: str) -> frozenset[str] | None:
    codes = _require(raw, "place_types", list, where)
    if codes == [WILDCARD]:
        return None
    unknown = [c for c in codes if not isinstance(c, str) or c not in PLACE_TYPES]
    if not codes or unknown:
        bad = unknown or codes
        raise TableError(f"{where}: place_types must be '*' or known place-type codes; bad: {bad}")
    return frozenset(codes)


def _parse_rule(raw: Any, where: str) -> Rule:
    if not isinstance(raw, Mapping):
        raise TableError(f"{where}: a rule must be an object")
    criteria = _parse_node(_require(raw, "criteria", dict, where), f"{where} criteria")
    if isinstance(criteria, Condition):
        criteria = Group("all", (criteria,))
    codified = raw.get("codified", True)
    if not isinstance(codified, bool):
        raise TableError(f"{where}: 'codified' must be true or false")
    return Rule(
        id=_require(raw, "id", str, where),
        clause=_require(raw, "clause", str, where),
        text_zh=_require(raw, "text_zh", str, where),
        text_en=_require(raw, "text_en", str, where),
        place_types=_parse_place_types(raw, where),
        criteria=criteria,
        verified=_require(raw, "verified", bool, where),
        codified=codified,
    )


def _parse_rules(data: Mapping, where: str) -> tuple[Rule, ...]:
    raw_rules = _require(data, "rules", list, where)
    if not raw_rules:
        raise TableError(f"{where}: 'rules' is empty")
    rules = []
    for i, raw in enumerate(raw_rules):
        rule_id = raw.get("id") if isinstance(raw, Mapping) else None
        rules.append(_parse_rule(raw, f"{where}: rule #{i + 1} ({rule_id!r})"))
    ids = [r.id for r in rules]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise TableError(f"{where}: duplicate rule ids {duplicates}")
    return tuple(rules)


def parse_table(data: Any, where: str = "<table>") -> RuleTable:
    """Validate a decoded JSON table and build a :class:`RuleTable`; raise :class:`TableError`."""
    if not isinstance(data, Mapping):
        raise TableError(f"{where}: a rule table must be a JSON object")
    kind = _require(data, "kind", str, where)
    if kind not in TABLE_KINDS:
        raise TableError(f"{where}: 'kind' must be one of {', '.join(TABLE_KINDS)}, got {kind!r}")
    effective = _require(data, "effective", str, where)
    try:
        date.fromisoformat(effective)
    except ValueError:
        raise TableError(f"{where}: 'effective' must be a date YYYY-MM-DD, got {effective!r}") from None
    return RuleTable(
        id=_require(data, "id", str, where),
        kind=kind,
        title=_require(data, "title", str, where),
        document=_require(data, "document", str, where),
        effective=effective,
        rules=_parse_rules(data, where),
        jurisdiction=data.get("jurisdiction", "") if isinstance(data.get("jurisdiction"), str) else "",
        source=where,
    )


def _read_table_file(path: Path) -> RuleTable:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TableError(f"cannot read rule table {path}: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TableError(f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    return parse_table(data, str(path))


def available_tables() -> list[str]:
    """Ids of the rule tables shipped in the package ``rules/`` directory."""
    ids = []
    for path in sorted(RULES_DIR.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and "rules" in data and isinstance(data.get("id"), str):
            ids.append(data["id"])
    return ids


def _is_file(path: str | os.PathLike) -> bool:
    try:
        return Path(path).is_file()
    except (OSError, ValueError):  # e.g. a name too long for the file system
        return False


@cache
def _load_package_table(table_id: str) -> RuleTable:
    path = RULES_DIR / (table_id.replace("/", "_").replace("-", "_") + ".json")
    if not _TABLE_ID_RE.match(table_id) or not _is_file(path):
        known = ", ".join(available_tables())
        hint = f"available: {known}; or give the path of a .json file"
        raise TableError(f"unknown rule table id {table_id!r} ({hint})")
    table = _read_table_file(path)
    if table.id != table_id:
        raise TableError(f"{path}: declares id {table.id!r}, expected {table_id!r}")
    return table


def _is_path(spec: str | os.PathLike) -> bool:
    if isinstance(spec, os.PathLike):
        return True
    return spec.endswith(".json") or _is_file(spec)


def load_table(path_or_id: str | os.PathLike) -> RuleTable:
    """Load a rule table by id (e.g. ``key-units/national-2001``) or from a JSON file path.

    Package tables live in ``firegov/kernels/rules/`` and are cached; a province can ship its own
    file with the same schema and pass its path. Raise :class:`TableError` with a clear message.
    """
    if not isinstance(path_or_id, (str, os.PathLike)):
        raise TableError(f"a rule table is given by id or path, got {type(path_or_id).__name__}")
    if _is_path(path_or_id):
        return _read_table_file(Path(path_or_id))
    return _load_package_table(path_or_id)


def resolve_table(spec: TableSpec, kind: str) -> RuleTable | None:
    """Load ``spec`` (id, path, table or None) and check that it decides ``kind``."""
    if spec is None:
        return None
    table = spec if isinstance(spec, RuleTable) else load_table(spec)
    if table.kind != kind:
        raise TableError(f"rule table {table.id!r} decides {table.kind!r}, not {kind!r}")
    return table


# --------------------------------------------------------------------------- unit input


@dataclass(frozen=True)
class _Unit:
    id: Any
    place_type: PlaceType
    attrs: dict[str, Any]
    equivalent: PlaceType | None  # the full type a 九小场所 follows (small_place_subtype)

    def types(self) -> tuple[PlaceType, ...]:
        return (self.place_type,) if self.equivalent is None else (self.place_type, self.equivalent)


def _unit_id(unit: Any) -> Any:
    if not isinstance(unit, Mapping):
        got = type(unit).__name__
        raise ClassifyError(None, "id", "单位必须是 JSON 对象", f"a unit must be an object, got {got}")
    unit_id = unit.get("id")
    if unit_id is None or (isinstance(unit_id, str) and not unit_id.strip()):
        raise ClassifyError(None, "id", "缺少单位编号 id", "missing unit id")
    if isinstance(unit_id, bool) or not isinstance(unit_id, (str, int)):
        raise ClassifyError(
            repr(unit_id), "id", "单位编号必须是字符串或整数", "the unit id must be a string or an integer"
        )
    return unit_id


def _place_type(unit: Mapping, unit_id: Any) -> PlaceType:
    code = unit.get("place_type")
    if code is None or (isinstance(code, str) and not code.strip()):
        raise ClassifyError(unit_id, "place_type", "缺少场所类型 place_type", "missing place_type")
    if not isinstance(code, str) or code.strip().lower() not in PLACE_TYPES:
        zh = f"未知的场所类型 {code!r}"
        raise ClassifyError(unit_id, "place_type", zh, f"unknown place type {code!r} (see place_types.json)")
    return PLACE_TYPES[code.strip().lower()]


def _attributes(unit: Mapping, unit_id: Any) -> dict[str, Any]:
    raw = {k: v for k, v in unit.items() if k not in NON_ATTRIBUTE_KEYS}
    try:
        return validate_attributes(raw)
    except AttributeValueError as exc:
        raise ClassifyError(unit_id, exc.field, exc.message_zh, exc.message_en) from None


def _read_unit(unit: Any) -> _Unit:
    unit_id = _unit_id(unit)
    place_type = _place_type(unit, unit_id)
    attrs = _attributes(unit, unit_id)
    equivalent = small_place_equivalent(attrs) if place_type.code == "small_place" else None
    return _Unit(unit_id, place_type, attrs, equivalent)


# --------------------------------------------------------------------------- reasons


def _reason(rule: str, clause: str, text: str, verified: bool) -> dict[str, Any]:
    return {"rule": rule, "clause": clause, "text": text, "verified": verified}


def _via_subtype(unit: _Unit, pt: PlaceType) -> str:
    """Explain that a 九小场所 was treated as its full place type."""
    if pt is unit.place_type or unit.equivalent is None:
        return ""
    subtype = ATTRIBUTES["small_place_subtype"].label_zh(unit.attrs["small_place_subtype"])
    return f"（九小场所「{subtype}」按「{pt.zh}」认定）"


def _label(metric: str, value: Any) -> str:
    return ATTRIBUTES[metric].label_zh(value)


def _describe(cond: Condition, actual: Any, notes: Mapping[str, str]) -> str:
    """Chinese explanation of a condition that held, with the unit's actual value."""
    if cond.metric in DERIVED_METRICS:
        note = notes.get(cond.metric)
        label = DERIVED_METRICS[cond.metric]
        return (f"属于{label}（{note}）" if note else f"属于{label}") if actual else f"不属于{label}"
    attr = ATTRIBUTES[cond.metric]
    if attr.type == "bool" or (attr.type == "enum" and cond.op == "=="):
        return f"{attr.zh}：{_label(cond.metric, actual)}"
    if cond.op == "in":
        allowed = "、".join(_label(cond.metric, v) for v in cond.value)
        return f"{attr.zh} {_label(cond.metric, actual)}（属于{allowed}）"
    return f"{attr.zh} {_label(cond.metric, actual)} {_OP_SYMBOLS[cond.op]} {_label(cond.metric, cond.value)}"


# --------------------------------------------------------------------------- rule evaluation


def _rank(metric: str, value: Any) -> Any:
    attr = ATTRIBUTES.get(metric)
    return attr.rank(value) if attr is not None and attr.type == "enum" else value


def _holds(cond: Condition, metrics: Mapping[str, Any]) -> bool:
    actual = metrics.get(cond.metric)
    if actual is None:
        return False
    if cond.op == "in":
        return actual in cond.value
    if cond.op == "==":
        return actual == cond.value
    left, right = _rank(cond.metric, actual), _rank(cond.metric, cond.value)
    return left >= right if cond.op == ">=" else left > right


def _evaluate(
    node: Group | Condition, metrics: Mapping[str, Any], notes: Mapping[str, str]
) -> list[str] | None:
    """Explanations of the conditions that made ``node`` hold, or None when it does not hold.

    ``notes`` explains derived metrics (e.g. why the unit is high-rise).
    """
    if isinstance(node, Condition):
        return [_describe(node, metrics[node.metric], notes)] if _holds(node, metrics) else None
    parts = [_evaluate(child, metrics, notes) for child in node.items]
    if node.mode == "all" and any(p is None for p in parts):
        return None
    held = [p for p in parts if p is not None]
    if node.mode == "any" and not held:
        return None
    return [text for part in held for text in part]


def _matching_type(rule: Rule, unit: _Unit) -> PlaceType | None:
    if rule.place_types is None:
        return unit.place_type
    return next((pt for pt in unit.types() if pt.code in rule.place_types), None)


def _rule_reason(table: RuleTable, rule: Rule, unit: _Unit, pt: PlaceType, details: list[str]) -> dict:
    facts = "；".join(details) if details else f"场所类型「{pt.zh}」"
    text = f"{rule.text_zh}：{facts}{_via_subtype(unit, pt)}"
    return _reason(f"{table.id}/{rule.id}", rule.clause, text, rule.verified)


def _apply_table(
    table: RuleTable, unit: _Unit, metrics: Mapping[str, Any], notes: Mapping[str, str]
) -> tuple[list[dict], list[dict]]:
    """Return (reasons of rules that fired, reasons of un-codified items that may apply)."""
    fired: list[dict] = []
    undetermined: list[dict] = []
    for rule in table.rules:
        pt = _matching_type(rule, unit)
        if pt is None:
            continue
        if not rule.codified:
            text = f"无法判定：{rule.text_zh}，场所类型「{pt.zh}」可能适用"
            undetermined.append(_reason(f"{table.id}/{rule.id}", rule.clause, text, False))
            continue
        details = _evaluate(rule.criteria, metrics, notes)
        if details is not None:
            fired.append(_rule_reason(table, rule, unit, pt, details))
    return fired, undetermined


# --------------------------------------------------------------------------- building classes


def _type_flag(unit: _Unit, flag: str) -> PlaceType | None:
    """The type (own, or 九小 equivalent) that gives ``flag``, honouring flag conditions."""
    for pt in unit.types():
        condition = pt.flag_conditions.get(flag)
        if pt.has(flag) and not (condition and unit.attrs.get(condition) is False):
            return pt
    return None


def _type_flag_reason(unit: _Unit, flag: str, pt: PlaceType) -> dict:
    definition = FLAGS[flag]
    text = f"场所类型「{pt.zh}」属于{definition.zh}{_via_subtype(unit, pt)}"
    return _reason(f"place-type/{flag}", pt.clause(flag) or definition.clause, text, definition.verified)


def _high_rise(unit: _Unit) -> str | None:
    """GB 50016: residential > 27 m; other buildings > 24 m unless single-storey."""
    height = unit.attrs.get("building_height_m")
    if unit.place_type.code == "residential_highrise":
        return "场所类型为高层住宅"
    if height is None:
        return None
    if unit.place_type.residential:
        if height <= RESIDENTIAL_HIGH_RISE_M:
            return None
        return f"住宅建筑高度 {format_number(height)} m > {RESIDENTIAL_HIGH_RISE_M} m"
    floors = unit.attrs.get("floors_above")
    if height <= OTHER_HIGH_RISE_M or (floors is not None and floors <= 1):
        return None
    storeys = f"地上 {floors} 层" if floors is not None else "地上层数未填，按非单层建筑计"
    return f"建筑高度 {format_number(height)} m > {OTHER_HIGH_RISE_M} m，{storeys}"


def _super_high_rise(unit: _Unit) -> str | None:
    height = unit.attrs.get("building_height_m")
    if height is None or height <= SUPER_HIGH_RISE_M or _high_rise(unit) is None:
        return None
    return f"建筑高度 {format_number(height)} m > {SUPER_HIGH_RISE_M} m"


def _large_complex(unit: _Unit) -> str | None:
    area = unit.attrs.get("building_area_m2")
    if unit.place_type.code != "commercial_complex" or area is None or area < LARGE_COMPLEX_M2:
        return None
    return f"商业综合体建筑面积 {format_number(area)} m² ≥ {LARGE_COMPLEX_M2} m²"


def _underground(unit: _Unit) -> str | None:
    if unit.place_type.code == "underground_public":
        return f"场所类型「{unit.place_type.zh}」"
    if unit.attrs.get("underground_business") is True:
        return "地下经营：是"
    return None


class _BuildingRule(NamedTuple):
    flag: str
    rule_id: str
    clause: str
    label: str
    verified: bool
    detect: Callable[[_Unit], str | None]


_BUILDING_RULES = (
    _BuildingRule(
        "high_rise", "building/high-rise", "GB 50016-2014（2018年版）2.1.1", "高层建筑", True, _high_rise
    ),
    _BuildingRule(
        "super_high_rise",
        "building/super-high-rise",
        "GB 50352-2019 3.1.2",
        "超高层建筑",
        False,
        _super_high_rise,
    ),
    _BuildingRule(
        "large_complex",
        "building/large-complex",
        "《大型商业综合体消防安全管理规则（试行）》（应急消〔2019〕314号）",
        "大型商业综合体",
        False,
        _large_complex,
    ),
    _BuildingRule(
        "underground",
        "building/underground",
        "firegov 分类约定：地下经营或地下公共建筑",
        "地下场所",
        True,
        _underground,
    ),
)
_GAODIDAHUA = ("building/gaodidahua", "消防安全专项整治三年行动（2020–2022）“高低大化”场所")


# --------------------------------------------------------------------------- classify


@dataclass
class _Findings:
    flags: dict[str, bool]
    reasons: list[dict]
    notes: dict[str, str]  # short explanation of each derived flag, reused in rule reasons


def _type_flags(unit: _Unit, found: _Findings, pairs: tuple[tuple[str, str], ...]) -> None:
    for out_name, flag in pairs:
        pt = _type_flag(unit, flag)
        found.flags[out_name] = pt is not None
        if pt is not None:
            found.reasons.append(_type_flag_reason(unit, flag, pt))
            found.notes[out_name] = f"场所类型「{pt.zh}」"


def _building_flags(unit: _Unit, found: _Findings) -> None:
    for rule in _BUILDING_RULES:
        detail = rule.detect(unit)
        found.flags[rule.flag] = detail is not None
        if detail is not None:
            found.reasons.append(
                _reason(rule.rule_id, rule.clause, f"属于{rule.label}：{detail}", rule.verified)
            )
            found.notes[rule.flag] = detail


def _gaodidahua(unit: _Unit, found: _Findings) -> None:
    parts = [r.label for r in _BUILDING_RULES if r.flag != "super_high_rise" and found.flags[r.flag]]
    chemical = _type_flag(unit, "chemical") or _type_flag(unit, "hazmat")
    if chemical is not None:
        parts.append(f"化工/易燃易爆危险品场所（「{chemical.zh}」）")
    found.flags["gaodidahua"] = bool(parts)
    if parts:
        rule_id, clause = _GAODIDAHUA
        found.reasons.append(_reason(rule_id, clause, "属于“高低大化”场所：" + "、".join(parts), False))


def _find(unit: _Unit) -> _Findings:
    found = _Findings({}, [], {})
    _type_flags(unit, found, (("public_gathering", "public_gathering"), ("crowded_place", "crowded")))
    _building_flags(unit, found)
    by_type = (("hazmat", "hazmat"), ("nine_small", "nine_small"), ("three_in_one", "three_in_one"))
    _type_flags(unit, found, by_type)
    _gaodidahua(unit, found)
    return found


def _metrics(unit: _Unit, flags: Mapping[str, bool]) -> dict[str, Any]:
    metrics = dict(unit.attrs)
    metrics.update({name: flags[name] for name in DERIVED_METRICS})
    return metrics


def classify(
    unit: Mapping[str, Any],
    key_table: TableSpec = DEFAULT_KEY_TABLE,
    high_risk_table: TableSpec = DEFAULT_HIGH_RISK_TABLE,
) -> dict[str, Any]:
    """Classify one unit ``{"id", "place_type", **attributes}``.

    ``key_table`` and ``high_risk_table`` are table ids, paths or loaded :class:`RuleTable` objects;
    ``high_risk_table=None`` yields ``high_risk: None``. ``high_risk`` is also None when no codified item
    fires but the unit's type may fall under an item whose text was not retrieved.
    Raise :class:`ClassifyError` for a bad unit and :class:`TableError` for a bad table.
    """
    key = resolve_table(key_table, "key_unit")
    if key is None:
        raise TableError("a key-unit rule table is required")
    high_risk = resolve_table(high_risk_table, "high_risk")
    data = _read_unit(unit)
    found = _find(data)
    flags, reasons = found.flags, found.reasons
    metrics = _metrics(data, flags)
    key_fired, _ = _apply_table(key, data, metrics, found.notes)
    reasons.extend(key_fired)
    high_risk_value: bool | None = None
    if high_risk is not None:
        fired, undetermined = _apply_table(high_risk, data, metrics, found.notes)
        high_risk_value = True if fired else (None if undetermined else False)
        reasons.extend(fired or undetermined)
    return {
        "id": data.id,
        "key_unit": bool(key_fired),
        "crowded_place": flags["crowded_place"],
        "public_gathering": flags["public_gathering"],
        "high_rise": flags["high_rise"],
        "super_high_rise": flags["super_high_rise"],
        "large_complex": flags["large_complex"],
        "underground": flags["underground"],
        "hazmat": flags["hazmat"],
        "gaodidahua": flags["gaodidahua"],
        "nine_small": flags["nine_small"],
        "three_in_one": flags["three_in_one"],
        "high_risk": high_risk_value,
        "reasons": reasons,
    }
