"""Major-fire-hazard determination (重大火灾隐患判定) under GB 35181-2017 (重大火灾隐患判定方法).

:func:`judge` decides whether the hazards found at one place make a major fire hazard:

* direct determination (直接判定, 5.2.2): any one chapter 6 element is enough;
* composite determination (综合判定, 5.3.3 a)-d)): chapter 7 elements are counted against a threshold
  that depends on the kind of place: crowded place (人员密集场所), hazmat place (易燃易爆危险品场所),
  important place (重要场所) or any other place (其他场所). A place can be of several kinds; every
  applicable rule is evaluated;
* elements that can be corrected at once (立即改正) never count (5.1.2);
* the exemptions of 5.1.3 a)-c) mean "not major", but the rules that would have fired are still reported.

The rules live in a versioned JSON table (``rules/gb35181_2017.json``); a province can pass its own file
of the same schema by path, like the classification tables. GB 35181-2025 (重大火灾隐患判定规则) took
effect on 2025-11-01; its table is not available yet. Pure Python: no Django import.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date as Date
from datetime import timedelta
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Union

from firegov.kernels.place_types import PLACE_TYPES, RULES_DIR

TABLE_KIND = "major_hazard"
DEFAULT_STANDARD = "GB 35181-2017"
KINDS = ("crowded", "hazmat", "important", "other")
OTHER = "other"
WILDCARD = "*"
# place_types.json flag -> GB 35181 place kind
FLAG_KINDS = {"crowded": "crowded", "hazmat": "hazmat", "important_place": "important"}
CASE_KEYS = frozenset(
    {"id", "standard", "place_kind", "place_type", "items", "direct_items", "exemptions", "date", "note"}
)
ITEM_KEYS = frozenset({"item", "correctable_at_once", "note"})
CORRECTABLE_CLAUSE = "5.1.2"

_TABLE_ID_RE = re.compile(r"^[a-z0-9-]+/[a-z0-9-]+$")
_CLAUSE_RE = re.compile(r"^\d+(\.\d+)*$")
_DASHES = str.maketrans({"—": "-", "–": "-", "‐": "-", "－": "-"})

TableSpec = Union["JudgeTable", str, os.PathLike, None]


class JudgeError(ValueError):
    """Bad input to :func:`judge` or a rule table that cannot be used; ``field`` names the culprit."""

    def __init__(self, field: str, message_zh: str, message_en: str, case_id: Any = None):
        self.field = field
        self.message_zh = message_zh
        self.message_en = message_en
        self.case_id = case_id
        who_zh = f"案例 {case_id!r} " if case_id is not None else ""
        who_en = f"case {case_id!r}, " if case_id is not None else ""
        super().__init__(f"{who_zh}字段 {field}：{message_zh} / {who_en}field {field}: {message_en}")

    def for_case(self, case_id: Any) -> JudgeError:
        """The same error naming the case it belongs to."""
        return type(self)(self.field, self.message_zh, self.message_en, case_id)


class JudgeTableError(JudgeError):
    """A rule table cannot be found, read or has an invalid structure."""

    def __init__(self, message_en: str, message_zh: str = "", case_id: Any = None):
        super().__init__("table", message_zh or f"规则表不可用（{message_en}）", message_en, case_id)

    def for_case(self, case_id: Any) -> JudgeError:
        return JudgeTableError(self.message_en, self.message_zh, case_id)


# --------------------------------------------------------------------------- table model


@dataclass(frozen=True)
class Clause:
    """One clause of the table: an element, a rule, an exemption or a general requirement."""

    clause: str
    kind: str  # direct_item | composite_item | rule | exemption | general | procedure
    text_zh: str
    text_en: str
    verified: bool
    source: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "clause": self.clause,
            "kind": self.kind,
            "text": self.text_zh,
            "text_en": self.text_en,
            "verified": self.verified,
        }


@dataclass(frozen=True)
class Item:
    """A direct (chapter 6) or composite (chapter 7) element."""

    ref: Clause
    group: str
    direct: bool
    expected_kinds: frozenset[str] | None = None  # kinds the element is written for; None: any

    @property
    def clause(self) -> str:
        return self.ref.clause


@dataclass(frozen=True)
class CountRule:
    """A counting rule: 5.2.2 (direct, any place) or one of 5.3.3 a)-d)."""

    id: str
    ref: Clause
    place_kinds: frozenset[str] | None  # None: every place (the direct rule)
    items: frozenset[str] | None  # None: every element of its kind ("*")
    min_count: int
    direct: bool = False

    @property
    def clause(self) -> str:
        return self.ref.clause


@dataclass(frozen=True)
class Exemption:
    id: str
    ref: Clause
    aliases: frozenset[str] = field(default=frozenset(), repr=False)


@dataclass(frozen=True)
class Conflict:
    """A known disagreement between sources about whether ``item`` counts for ``rule``."""

    id: str
    rule: str
    item: str
    counted: bool
    text_zh: str
    text_en: str


@dataclass(frozen=True)
class Step:
    id: str
    clause: str
    text_zh: str
    text_en: str
    verified: bool
    when: str = "always"  # "always" or "complex" (only for complex or difficult cases)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "clause": self.clause,
            "when": self.when,
            "text": self.text_zh,
            "text_en": self.text_en,
            "verified": self.verified,
        }


@dataclass(frozen=True)
class Deadline:
    id: str
    clause: str
    working_days: int
    start: str  # the event the working days run from
    text_zh: str
    text_en: str
    verified: bool
    when: str = "always"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "clause": self.clause,
            "working_days": self.working_days,
            "from": self.start,
            "when": self.when,
            "text": self.text_zh,
            "text_en": self.text_en,
            "verified": self.verified,
        }


@dataclass(frozen=True)
class Procedure:
    """The chapter 4 procedure and the follow-up deadlines (《消防监督检查规定》)."""

    min_participants: int
    min_experts: int
    approval: tuple[int, int]  # at least numerator/denominator of the experts (inclusive)
    steps: tuple[Step, ...]
    deadlines: tuple[Deadline, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "required": True,
            "min_participants": self.min_participants,
            "min_experts": self.min_experts,
            "approval": f"{self.approval[0]}/{self.approval[1]}",
            "steps": [step.as_dict() for step in self.steps],
            "deadlines": [deadline.as_dict() for deadline in self.deadlines],
        }


@dataclass(frozen=True)
class PlaceKind:
    code: str
    zh: str
    en: str
    basis: str
    verified: bool


@dataclass(frozen=True)
class JudgeTable:
    id: str
    standard: str
    title_zh: str
    title_en: str
    effective_from: Date
    effective_to: Date | None
    effective_from_verified: bool
    superseded_by: str
    replaces: str
    place_kinds: Mapping[str, PlaceKind] = field(hash=False)
    items: Mapping[str, Item] = field(hash=False)  # clause -> element, direct and composite
    direct_rule: CountRule = field(hash=False)
    composite_rules: tuple[CountRule, ...] = field(hash=False)
    exemptions: tuple[Exemption, ...] = field(hash=False)
    conflicts: tuple[Conflict, ...] = field(hash=False)
    general: Mapping[str, Clause] = field(hash=False)
    procedure: Procedure = field(hash=False)
    source: str = ""

    def covers(self, day: Date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


# --------------------------------------------------------------------------- table parsing


def _require(data: Mapping, key: str, kind: type | tuple, where: str) -> Any:
    if key not in data:
        raise JudgeTableError(f"{where}: missing {key!r}")
    value = data[key]
    bad_type = not isinstance(value, kind) or (kind is int and isinstance(value, bool))
    if bad_type or (kind is str and not value.strip()):
        raise JudgeTableError(f"{where}: {key!r} has the wrong type or is empty")
    return value


def _optional_str(data: Mapping, key: str, where: str) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise JudgeTableError(f"{where}: {key!r} must be a string")
    return value


def _table_date(data: Mapping, key: str, where: str, required: bool = True) -> Date | None:
    if not required and data.get(key) is None:
        return None
    raw = _require(data, key, str, where)
    try:
        return Date.fromisoformat(raw)
    except ValueError:
        raise JudgeTableError(f"{where}: {key!r} must be a date YYYY-MM-DD, got {raw!r}") from None


def _source(raw: Mapping, where: str) -> tuple[str, ...]:
    source = raw.get("source", [])
    if isinstance(source, str):
        source = [source]
    if not isinstance(source, list) or not all(isinstance(s, str) for s in source):
        raise JudgeTableError(f"{where}: 'source' must be a string or a list of strings")
    return tuple(source)


def _clause(raw: Any, kind: str, where: str, key: str = "clause") -> Clause:
    if not isinstance(raw, Mapping):
        raise JudgeTableError(f"{where}: an entry must be an object")
    return Clause(
        clause=_require(raw, key, str, where),
        kind=kind,
        text_zh=_require(raw, "text_zh", str, where),
        text_en=_require(raw, "text_en", str, where),
        verified=_require(raw, "verified", bool, where),
        source=_source(raw, where),
    )


def _kind_set(raw: Any, known: Iterable[str], where: str, key: str) -> frozenset[str]:
    known = set(known)
    if not isinstance(raw, list) or not raw or not all(isinstance(k, str) and k in known for k in raw):
        raise JudgeTableError(f"{where}: {key!r} must be a non-empty list of place kinds {sorted(known)}")
    return frozenset(raw)


def _parse_place_kinds(data: Mapping, where: str) -> Mapping[str, PlaceKind]:
    raw = _require(data, "place_kinds", dict, where)
    if set(raw) != set(KINDS):
        raise JudgeTableError(f"{where}: 'place_kinds' must define exactly {', '.join(KINDS)}")
    kinds = {}
    for code in KINDS:
        spec = raw[code]
        at = f"{where}: place kind {code!r}"
        if not isinstance(spec, Mapping):
            raise JudgeTableError(f"{at}: must be an object")
        kinds[code] = PlaceKind(
            code,
            _require(spec, "zh", str, at),
            _require(spec, "en", str, at),
            _optional_str(spec, "basis", at),
            _require(spec, "verified", bool, at),
        )
    return MappingProxyType(kinds)


def _parse_items(data: Mapping, key: str, direct: bool, groups: set[str], where: str) -> list[Item]:
    raw_items = _require(data, key, list, where)
    if not raw_items:
        raise JudgeTableError(f"{where}: {key!r} is empty")
    items = []
    for i, raw in enumerate(raw_items):
        at = f"{where}: {key}[{i}]"
        ref = _clause(raw, "direct_item" if direct else "composite_item", at)
        if not _CLAUSE_RE.match(ref.clause):
            raise JudgeTableError(f"{at}: clause {ref.clause!r} must look like 6.1 or 7.3.10")
        group = _require(raw, "group", str, at)
        if groups and group not in groups:
            raise JudgeTableError(f"{at}: unknown group {group!r}")
        expected = raw.get("expected_kinds")
        expected_kinds = None if expected is None else _kind_set(expected, KINDS, at, "expected_kinds")
        items.append(Item(ref, group, direct, expected_kinds))
    return items


def _parse_rule(raw: Any, composite: frozenset[str], where: str) -> CountRule:
    ref = _clause(raw, "rule", where)
    rule_id = _require(raw, "id", str, where)
    min_count = _require(raw, "min_count", int, where)
    if min_count < 1:
        raise JudgeTableError(f"{where}: 'min_count' must be at least 1")
    if raw.get("inclusive", True) is not True:
        raise JudgeTableError(f"{where}: only inclusive thresholds (含本数) are supported")
    kinds = _kind_set(raw.get("place_kinds"), KINDS, where, "place_kinds")
    listed = raw.get("items")
    if listed == WILDCARD:
        items = None
    else:
        if not isinstance(listed, list) or not listed or not all(isinstance(c, str) for c in listed):
            raise JudgeTableError(f"{where}: 'items' must be '*' or a non-empty list of element clauses")
        unknown = sorted(set(listed) - composite)
        if unknown:
            raise JudgeTableError(f"{where}: 'items' names unknown composite elements {unknown}")
        items = frozenset(listed)
    return CountRule(rule_id, ref, kinds, items, min_count)


def _parse_direct_rule(data: Mapping, where: str) -> CountRule:
    raw = _require(data, "direct_rule", dict, where)
    at = f"{where}: direct_rule"
    ref = _clause(raw, "rule", at)
    min_count = _require(raw, "min_count", int, at)
    if min_count < 1:
        raise JudgeTableError(f"{at}: 'min_count' must be at least 1")
    return CountRule(_require(raw, "id", str, at), ref, None, None, min_count, direct=True)


def _exemption_key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"[\s()（）.,，、]", "", text)


def _parse_exemptions(data: Mapping, where: str) -> tuple[Exemption, ...]:
    raw_list = _require(data, "exemptions", list, where)
    exemptions = []
    for i, raw in enumerate(raw_list):
        at = f"{where}: exemptions[{i}]"
        ref = _clause(raw, "exemption", at)
        ex_id = _require(raw, "id", str, at)
        aliases = {_exemption_key(ex_id), _exemption_key(ref.clause)}
        letter = re.search(r"([a-z])\)?\s*$", ref.clause)
        if letter:
            aliases.add(letter.group(1))
        exemptions.append(Exemption(ex_id, ref, frozenset(aliases)))
    seen: dict[str, str] = {}
    for ex in exemptions:
        for alias in ex.aliases:
            if seen.setdefault(alias, ex.id) != ex.id:
                raise JudgeTableError(
                    f"{where}: exemptions {seen[alias]!r} and {ex.id!r} share the name {alias!r}"
                )
    return tuple(exemptions)


def _parse_conflicts(data: Mapping, rules: Mapping[str, CountRule], where: str) -> tuple[Conflict, ...]:
    raw_list = data.get("conflicts", [])
    if not isinstance(raw_list, list):
        raise JudgeTableError(f"{where}: 'conflicts' must be a list")
    conflicts = []
    for i, raw in enumerate(raw_list):
        at = f"{where}: conflicts[{i}]"
        if not isinstance(raw, Mapping):
            raise JudgeTableError(f"{at}: must be an object")
        rule = rules.get(_require(raw, "rule", str, at))
        if rule is None or rule.items is None:
            raise JudgeTableError(f"{at}: 'rule' must name a composite rule with a listed item set")
        item = _require(raw, "item", str, at)
        counted = _require(raw, "counted", bool, at)
        if counted != (item in rule.items):
            raise JudgeTableError(f"{at}: 'counted' disagrees with the items of rule {rule.id!r}")
        conflicts.append(
            Conflict(
                _require(raw, "id", str, at),
                rule.id,
                item,
                counted,
                _require(raw, "text_zh", str, at),
                _require(raw, "text_en", str, at),
            )
        )
    return tuple(conflicts)


def _parse_general(data: Mapping, where: str) -> Mapping[str, Clause]:
    raw_list = data.get("general", [])
    if not isinstance(raw_list, list):
        raise JudgeTableError(f"{where}: 'general' must be a list")
    general = {}
    for i, raw in enumerate(raw_list):
        ref = _clause(raw, "general", f"{where}: general[{i}]")
        general[ref.clause] = ref
    return MappingProxyType(general)


def _when(raw: Mapping, where: str) -> str:
    when = raw.get("when", "always")
    if when not in ("always", "complex"):
        raise JudgeTableError(f"{where}: 'when' must be 'always' or 'complex'")
    return when


def _parse_procedure(data: Mapping, where: str) -> Procedure:
    raw = _require(data, "procedure", dict, where)
    at = f"{where}: procedure"
    participants = _require(raw, "min_participants", int, at)
    experts = _require(raw, "min_experts", int, at)
    approval = _require(raw, "approval", dict, at)
    numerator = _require(approval, "numerator", int, f"{at} approval")
    denominator = _require(approval, "denominator", int, f"{at} approval")
    if participants < 1 or experts < 1 or not 0 < numerator <= denominator:
        raise JudgeTableError(f"{at}: participant/expert minimums and the approval fraction must be positive")
    steps = []
    for i, step in enumerate(_require(raw, "steps", list, at)):
        ref = _clause(step, "procedure", f"{at} steps[{i}]")
        step_id = _require(step, "id", str, f"{at} steps[{i}]")
        steps.append(Step(step_id, ref.clause, ref.text_zh, ref.text_en, ref.verified, _when(step, at)))
    deadlines = []
    for i, raw_deadline in enumerate(_require(raw, "deadlines", list, at)):
        dat = f"{at} deadlines[{i}]"
        ref = _clause(raw_deadline, "procedure", dat)
        days = _require(raw_deadline, "working_days", int, dat)
        if days < 1:
            raise JudgeTableError(f"{dat}: 'working_days' must be at least 1")
        deadlines.append(
            Deadline(
                _require(raw_deadline, "id", str, dat),
                ref.clause,
                days,
                _require(raw_deadline, "from", str, dat),
                ref.text_zh,
                ref.text_en,
                ref.verified,
                _when(raw_deadline, dat),
            )
        )
    return Procedure(participants, experts, (numerator, denominator), tuple(steps), tuple(deadlines))


def _unique(values: list[str], what: str, where: str) -> None:
    duplicates = sorted({v for v in values if values.count(v) > 1})
    if duplicates:
        raise JudgeTableError(f"{where}: duplicate {what} {duplicates}")


def parse_table(data: Any, where: str = "<table>") -> JudgeTable:
    """Validate a decoded JSON table and build a :class:`JudgeTable`; raise :class:`JudgeTableError`."""
    if not isinstance(data, Mapping):
        raise JudgeTableError(f"{where}: a rule table must be a JSON object")
    kind = _require(data, "kind", str, where)
    if kind != TABLE_KIND:
        raise JudgeTableError(f"{where}: 'kind' must be {TABLE_KIND!r}, got {kind!r}")
    effective_from = _table_date(data, "effective_from", where)
    effective_to = _table_date(data, "effective_to", where, required=False)
    if effective_to is not None and effective_to < effective_from:
        raise JudgeTableError(f"{where}: 'effective_to' is before 'effective_from'")
    groups = {g.get("id") for g in data.get("groups", []) if isinstance(g, Mapping)}
    direct = _parse_items(data, "direct_items", True, groups, where)
    composite = _parse_items(data, "composite_items", False, groups, where)
    _unique([item.clause for item in direct + composite], "element clauses", where)
    composite_clauses = frozenset(item.clause for item in composite)
    raw_rules = _require(data, "composite_rules", list, where)
    if not raw_rules:
        raise JudgeTableError(f"{where}: 'composite_rules' is empty")
    rules = tuple(
        _parse_rule(raw, composite_clauses, f"{where}: composite_rules[{i}]")
        for i, raw in enumerate(raw_rules)
    )
    direct_rule = _parse_direct_rule(data, where)
    _unique([r.id for r in rules] + [direct_rule.id], "rule ids", where)
    _unique([r.clause for r in rules] + [direct_rule.clause], "rule clauses", where)
    exemptions = _parse_exemptions(data, where)
    _unique([e.id for e in exemptions], "exemption ids", where)
    return JudgeTable(
        id=_require(data, "id", str, where),
        standard=_require(data, "standard", str, where),
        title_zh=_optional_str(data, "title_zh", where),
        title_en=_optional_str(data, "title_en", where),
        effective_from=effective_from,
        effective_to=effective_to,
        effective_from_verified=data.get("effective_from_verified", True) is True,
        superseded_by=_optional_str(data, "superseded_by", where),
        replaces=_optional_str(data, "replaces", where),
        place_kinds=_parse_place_kinds(data, where),
        items=MappingProxyType({item.clause: item for item in direct + composite}),
        direct_rule=direct_rule,
        composite_rules=rules,
        exemptions=exemptions,
        conflicts=_parse_conflicts(data, {r.id: r for r in rules}, where),
        general=_parse_general(data, where),
        procedure=_parse_procedure(data, where),
        source=where,
    )


# --------------------------------------------------------------------------- table loading


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise JudgeTableError(f"cannot read rule table {path}: {exc}", f"无法读取规则表 {path}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise JudgeTableError(
            f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
            f"规则表 {path} 不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列）",
        ) from None


def _is_file(path: str | os.PathLike) -> bool:
    try:
        return Path(path).is_file()
    except (OSError, ValueError):
        return False


@cache
def _package_index() -> tuple[tuple[str, str, Path], ...]:
    """(id, standard, path) of every major-hazard table shipped in ``rules/``."""
    found = []
    for path in sorted(RULES_DIR.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("kind") == TABLE_KIND:
            if isinstance(data.get("id"), str) and isinstance(data.get("standard"), str):
                found.append((data["id"], data["standard"], path))
    return tuple(found)


def available_tables() -> list[str]:
    """Ids of the major-hazard rule tables shipped with the package."""
    return [table_id for table_id, _, _ in _package_index()]


@cache
def _load_package_table(table_id: str) -> JudgeTable:
    path = RULES_DIR / (table_id.replace("/", "_").replace("-", "_") + ".json")
    if not _TABLE_ID_RE.match(table_id) or table_id not in available_tables():
        hint = f"available: {', '.join(available_tables())}; or give the path of a .json file"
        raise JudgeTableError(f"unknown rule table id {table_id!r} ({hint})", f"未知的规则表 {table_id!r}")
    table = parse_table(_read_json(path), str(path))
    if table.id != table_id:
        raise JudgeTableError(f"{path}: declares id {table.id!r}, expected {table_id!r}")
    return table


def load_table(path_or_id: str | os.PathLike) -> JudgeTable:
    """Load a table by id (``gb35181/2017``) or from a JSON file of the same schema."""
    if not isinstance(path_or_id, (str, os.PathLike)):
        raise JudgeTableError(f"a rule table is given by id or path, got {type(path_or_id).__name__}")
    if isinstance(path_or_id, os.PathLike) or path_or_id.endswith(".json") or _is_file(path_or_id):
        return parse_table(_read_json(Path(path_or_id)), str(path_or_id))
    return _load_package_table(path_or_id)


def _standard_key(name: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name).translate(_DASHES)).upper()


def _successors() -> dict[str, str]:
    """Standards named as successors of shipped tables, by normalised name -> (shipped) table id."""
    found = {}
    for table_id in available_tables():
        successor = _load_package_table(table_id).superseded_by
        if successor:
            found[_standard_key(successor)] = successor
    return found


def table_for_standard(standard: str) -> JudgeTable:
    """The shipped table of ``standard`` (e.g. ``"GB 35181-2017"``) or a table id."""
    if not isinstance(standard, str) or not standard.strip():
        raise JudgeError("standard", "标准必须是非空字符串", "the standard must be a non-empty string")
    key = _standard_key(standard)
    for table_id, name, _ in _package_index():
        if key == _standard_key(name) or standard.strip() == table_id:
            return _load_package_table(table_id)
    successor = _successors().get(key)
    if successor is not None:
        raise JudgeError(
            "standard",
            f"{successor} 的规则表尚未提供（需先取得正式文本）",
            f"the rule table of {successor} is not available yet (its official text must be obtained first)",
        )
    known = ", ".join(name for _, name, _ in _package_index())
    raise JudgeError(
        "standard",
        f"未知的标准 {standard!r}，可选：{known}",
        f"unknown standard {standard!r}; known: {known}",
    )


def _as_date(value: Any, field_name: str = "date") -> Date:
    if isinstance(value, Date) and type(value) is Date:
        return value
    if isinstance(value, str):
        try:
            return Date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise JudgeError(
        field_name, f"日期格式应为 YYYY-MM-DD：{value!r}", f"a date must be YYYY-MM-DD, got {value!r}"
    )


def table_for_date(day: Date | str) -> JudgeTable:
    """The shipped table in force on ``day`` (by ``effective_from``/``effective_to``).

    Raise :class:`JudgeError` (field ``date``) when no shipped table covers the day: after
    2025-10-31 GB 35181-2025 applies, whose table is not available yet; before the 2017 edition took
    effect GA 653-2006 applied. The 2017 ``effective_from`` (2018-07-01) is not verified.
    """
    day = _as_date(day)
    tables = [_load_package_table(table_id) for table_id in available_tables()]
    for table in tables:
        if table.covers(day):
            return table
    later = [t for t in tables if t.effective_to is not None and day > t.effective_to and t.superseded_by]
    if later:
        newest = max(later, key=lambda t: t.effective_to)
        successor = newest.superseded_by
        raise JudgeError(
            "date",
            f"{day} 适用 {successor}，其规则表尚未提供",
            f"{successor} applies on {day}; its rule table is not available yet",
        )
    earlier = [t for t in tables if day < t.effective_from]
    before = f"（此前适用 {earlier[0].replaces}）" if earlier and earlier[0].replaces else ""
    before_en = f" ({earlier[0].replaces} applied before)" if earlier and earlier[0].replaces else ""
    raise JudgeError(
        "date", f"{day} 没有适用的规则表{before}", f"no rule table is in force on {day}{before_en}"
    )


def resolve_table(standard: str | None = None, table: TableSpec = None) -> JudgeTable:
    """Pick the table: ``table`` (object, id or path) if given, else ``standard``, else GB 35181-2017.

    When both are given, the table must be a table of that standard.
    """
    if table is None:
        return table_for_standard(DEFAULT_STANDARD if standard is None else standard)
    resolved = table if isinstance(table, JudgeTable) else load_table(table)
    if standard is not None:
        if not isinstance(standard, str) or _standard_key(standard) not in (
            _standard_key(resolved.standard),
            _standard_key(resolved.id),
        ):
            raise JudgeError(
                "standard",
                f"规则表 {resolved.id} 对应 {resolved.standard}，与 {standard!r} 不符",
                f"rule table {resolved.id} is for {resolved.standard}, not {standard!r}",
            )
    return resolved


# --------------------------------------------------------------------------- result


@dataclass(frozen=True)
class RuleOutcome:
    """How one applicable rule was evaluated."""

    rule: str  # clause, e.g. "5.3.3 a)"
    id: str
    place_kinds: tuple[str, ...]  # the place's kinds the rule applies to (empty for the direct rule)
    counted: tuple[str, ...]
    count: int
    min_count: int
    fired: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "id": self.id,
            "place_kinds": list(self.place_kinds),
            "counted": list(self.counted),
            "count": self.count,
            "min_count": self.min_count,
            "fired": self.fired,
        }


@dataclass(frozen=True)
class Judgement:
    """The outcome of :func:`judge`; :meth:`as_dict` gives the JSON form used by ``firegov judge``."""

    major: bool
    rule: str | None
    fired: tuple[str, ...]
    counted: tuple[str, ...]
    direct: tuple[str, ...]
    ignored: tuple[str, ...]
    exempted_by: tuple[str, ...]
    place_kinds: tuple[str, ...]
    standard: str
    table: str
    clauses: tuple[Clause, ...]
    evaluated: tuple[RuleOutcome, ...]
    procedure: Procedure | None
    unverified: tuple[str, ...]
    warnings: tuple[str, ...]
    id: Any = None

    def as_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {} if self.id is None else {"id": self.id}
        result.update(
            {
                "major": self.major,
                "rule": self.rule,
                "fired": list(self.fired),
                "counted": list(self.counted),
                "direct": list(self.direct),
                "ignored": list(self.ignored),
                "exempted_by": list(self.exempted_by),
                "place_kinds": list(self.place_kinds),
                "standard": self.standard,
                "table": self.table,
                "clauses": [c.as_dict() for c in self.clauses],
                "evaluated": [o.as_dict() for o in self.evaluated],
                "procedure": None if self.procedure is None else self.procedure.as_dict(),
                "unverified": list(self.unverified),
                "warnings": list(self.warnings),
            }
        )
        return result


# --------------------------------------------------------------------------- input


def _clause_key(clause: str) -> tuple[int, ...]:
    return tuple(int(part) for part in clause.split("."))


def _as_list(value: Any, field_name: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise JudgeError(field_name, "应为列表", f"must be a list, got {type(value).__name__}")
    return list(value)


def _kind_lookup(table: JudgeTable) -> dict[str, str]:
    lookup = {}
    for code, kind in table.place_kinds.items():
        for name in (code, kind.zh, kind.en):
            lookup[unicodedata.normalize("NFKC", name).strip().lower()] = code
    return lookup


def _explicit_kinds(place_kind: Any, table: JudgeTable) -> set[str]:
    raw = [place_kind] if isinstance(place_kind, str) else _as_list(place_kind, "place_kind")
    if not raw:
        raise JudgeError("place_kind", "场所类别不能为空", "place_kind must not be empty")
    lookup = _kind_lookup(table)
    kinds = set()
    for value in raw:
        code = (
            lookup.get(unicodedata.normalize("NFKC", value).strip().lower())
            if isinstance(value, str)
            else None
        )
        if code is None:
            raise JudgeError(
                "place_kind",
                f"未知的场所类别 {value!r}，可选：{'、'.join(KINDS)}",
                f"unknown place kind {value!r}; allowed: {', '.join(KINDS)}",
            )
        kinds.add(code)
    if OTHER in kinds and len(kinds) > 1:
        raise JudgeError(
            "place_kind",
            "“其他场所”不能与其他场所类别同时选择",
            "'other' cannot be combined with another place kind",
        )
    return kinds


def _type_kinds(place_type: Any, table: JudgeTable, warnings: list[str]) -> set[str]:
    code = place_type.strip().lower() if isinstance(place_type, str) else None
    pt = PLACE_TYPES.get(code) if code else None
    if pt is None:
        raise JudgeError(
            "place_type",
            f"未知的场所类型 {place_type!r}",
            f"unknown place type {place_type!r} (see place_types.json)",
        )
    kinds = {kind for flag, kind in FLAG_KINDS.items() if pt.has(flag)}
    for flag, condition in pt.flag_conditions.items():
        if flag in FLAG_KINDS:
            warnings.append(
                f"场所类型「{pt.zh}」仅在 {condition} 为是时属于{table.place_kinds[FLAG_KINDS[flag]].zh}，已按属于处理"
                f" / place type {pt.code!r} is {FLAG_KINDS[flag]!r} only when {condition} is true; assumed so"
            )
    if "important" in kinds:
        warnings.append(
            f"场所类型「{pt.zh}」按重要场所处理；博物馆、档案馆限省级以上，文物限国家级，请核实"
            f" / place type {pt.code!r} is taken as an important place; museums and archives count only at"
            " provincial level or above, heritage only at national level: check"
        )
    if pt.nine_small and not kinds:
        warnings.append(
            "九小场所按其他场所处理；如属人员密集场所请给出 place_kind"
            " / a 'nine small' place is taken as 'other'; give place_kind if it is a crowded place"
        )
    return kinds or {OTHER}


def _place_kinds(place_kind: Any, place_type: Any, table: JudgeTable, warnings: list[str]) -> tuple[str, ...]:
    if place_kind is None and place_type is None:
        raise JudgeError(
            "place_kind", "缺少场所类别 place_kind 或场所类型 place_type", "missing place_kind or place_type"
        )
    explicit = set() if place_kind is None else _explicit_kinds(place_kind, table)
    derived = set() if place_type is None else _type_kinds(place_type, table, warnings)
    kinds = explicit | derived
    if OTHER in kinds and len(kinds) > 1:
        if OTHER in explicit:
            raise JudgeError(
                "place_kind",
                f"“其他场所”与场所类型 {place_type!r} 的类别矛盾",
                f"'other' contradicts place type {place_type!r}",
            )
        kinds.discard(OTHER)
    return tuple(k for k in KINDS if k in kinds)


@dataclass
class _Found:
    """Elements given for one list (direct or composite): clause -> counts (False: correctable at once)."""

    counts: dict[str, bool] = field(default_factory=dict)

    def add(self, clause: str, counts: bool) -> None:
        self.counts[clause] = self.counts.get(clause, False) or counts

    def present(self) -> list[str]:
        return sorted((c for c, ok in self.counts.items() if ok), key=_clause_key)

    def ignored(self) -> list[str]:
        return sorted((c for c, ok in self.counts.items() if not ok), key=_clause_key)


def _item_entry(raw: Any, where: str) -> tuple[Any, bool]:
    if isinstance(raw, Mapping):
        unknown = sorted(str(k) for k in set(raw) - ITEM_KEYS)
        if unknown:
            raise JudgeError(
                where, f"未知的键 {unknown}，可用：item、correctable_at_once", f"unknown keys {unknown}"
            )
        if "item" not in raw:
            raise JudgeError(where, "缺少 item", "missing 'item'")
        correctable = raw.get("correctable_at_once", False)
        if not isinstance(correctable, bool):
            raise JudgeError(f"{where}.correctable_at_once", "应为 true 或 false", "must be true or false")
        return raw["item"], correctable
    return raw, False


def _read_items(values: Any, field_name: str, direct: bool, table: JudgeTable) -> _Found:
    found = _Found()
    for index, raw in enumerate(_as_list(values, field_name)):
        where = f"{field_name}[{index}]"
        value, correctable = _item_entry(raw, where)
        clause = unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else None
        item = table.items.get(clause) if clause else None
        if item is None:
            raise JudgeError(
                where,
                f"未知的判定要素 {value!r}（{table.standard} 第6章、第7章）",
                f"unknown element {value!r} (chapters 6 and 7 of {table.standard})",
            )
        if item.direct != direct:
            if item.direct:
                zh, en = (
                    "是直接判定要素，应列入 direct_items",
                    "is a direct element: list it under direct_items",
                )
            else:
                zh, en = "是综合判定要素，应列入 items", "is a composite element: list it under items"
            raise JudgeError(where, f"{clause} {zh}", f"{clause} {en}")
        found.add(clause, not correctable)
    return found


def _exemption_ids(values: Any, table: JudgeTable) -> list[str]:
    chosen = set()
    for index, raw in enumerate(_as_list(values, "exemptions")):
        key = _exemption_key(raw) if isinstance(raw, str) else None
        match = next((ex for ex in table.exemptions if key in ex.aliases), None)
        if match is None:
            known = ", ".join(ex.id for ex in table.exemptions)
            raise JudgeError(
                f"exemptions[{index}]",
                f"未知的排除情形 {raw!r}，可选：{known}",
                f"unknown exemption {raw!r}; known: {known}",
            )
        chosen.add(match.id)
    return [ex.id for ex in table.exemptions if ex.id in chosen]


# --------------------------------------------------------------------------- evaluation


def _evaluate(rule: CountRule, kinds: tuple[str, ...], present: list[str]) -> RuleOutcome | None:
    """Count ``present`` elements for ``rule``; None when the rule does not apply to the place."""
    matched = () if rule.place_kinds is None else tuple(k for k in kinds if k in rule.place_kinds)
    if rule.place_kinds is not None and not matched:
        return None
    counted = tuple(c for c in present if rule.items is None or c in rule.items)
    return RuleOutcome(
        rule.clause, rule.id, matched, counted, len(counted), rule.min_count, len(counted) >= rule.min_count
    )


def _conflict_warnings(table: JudgeTable, outcomes: dict[str, RuleOutcome], present: list[str]) -> list[str]:
    warnings = []
    for conflict in table.conflicts:
        outcome = outcomes.get(conflict.rule)
        if outcome is None or conflict.item not in present:
            continue
        flipped = outcome.count + (-1 if conflict.counted else 1) >= outcome.min_count
        change_zh, change_en = "", ""
        if flipped != outcome.fired:
            verb = "不再成立" if outcome.fired else "将成立"
            verb_en = "would no longer fire" if outcome.fired else "would fire"
            change_zh = f"；若{'不' if conflict.counted else ''}计入 {conflict.item}，{outcome.rule} {verb}"
            change_en = f"; {outcome.rule} {verb_en} if {conflict.item} were {'not ' if conflict.counted else ''}counted"
        state = "已计入" if conflict.counted else "未计入"
        state_en = "counted" if conflict.counted else "not counted"
        warnings.append(
            f"{conflict.text_zh}（本表{state}）{change_zh} / {conflict.text_en} ({state_en} here){change_en}"
        )
    return warnings


def _kind_warnings(table: JudgeTable, kinds: tuple[str, ...], clauses: list[str]) -> list[str]:
    warnings = []
    for clause in clauses:
        expected = table.items[clause].expected_kinds
        if expected is not None and not expected & set(kinds):
            names = "、".join(table.place_kinds[k].zh for k in KINDS if k in expected)
            names_en = ", ".join(k for k in KINDS if k in expected)
            warnings.append(
                f"{clause} 针对{names}，但本场所不属于该类别，请核实"
                f" / {clause} concerns {names_en} places, which this place is not: check"
            )
    return warnings


def _after(table: JudgeTable, day: Date) -> bool:
    return table.effective_to is not None and day > table.effective_to


def _date_warnings(table: JudgeTable, day: Date | None) -> list[str]:
    if day is None:
        return []
    if _after(table, day):
        successor = table.superseded_by or "a newer standard"
        start = table.effective_to + timedelta(days=1)
        return [
            f"{table.standard} 已于 {start} 起被 {successor} 替代，仅适用于此前的判定"
            f" / {table.standard} was superseded by {successor} on {start}; use it only for earlier determinations"
        ]
    if day < table.effective_from:
        note = "，实施日期未核实" if not table.effective_from_verified else ""
        note_en = ", effective date unverified" if not table.effective_from_verified else ""
        before = f"，此前适用 {table.replaces}" if table.replaces else ""
        before_en = f"; {table.replaces} applied before" if table.replaces else ""
        return [
            f"{day} 时 {table.standard} 尚未实施（{table.effective_from} 起{note}）{before}"
            f" / {table.standard} was not yet in force on {day} (from {table.effective_from}{note_en}){before_en}"
        ]
    return []


def _clause_list(
    table: JudgeTable,
    ignored: list[str],
    direct: list[str],
    composite: list[str],
    fired: list[CountRule],
    exempted: list[str],
) -> list[Clause]:
    refs: list[Clause] = []
    if ignored and CORRECTABLE_CLAUSE in table.general:
        refs.append(table.general[CORRECTABLE_CLAUSE])
    refs.extend(table.items[c].ref for c in direct)
    refs.extend(table.items[c].ref for c in composite)
    refs.extend(rule.ref for rule in fired)
    refs.extend(ex.ref for ex in table.exemptions if ex.id in exempted)
    return refs


def judge(
    place_kind: str | Iterable[str] | None = None,
    items: Iterable[Any] = (),
    direct_items: Iterable[Any] = (),
    *,
    place_type: str | None = None,
    exemptions: Iterable[str] = (),
    standard: str | None = None,
    table: TableSpec = None,
    date: Date | str | None = None,
    case_id: Any = None,
) -> Judgement:
    """Determine whether the hazards at one place make a major fire hazard.

    ``place_kind`` is ``"crowded"``, ``"hazmat"``, ``"important"`` or ``"other"`` (or the Chinese term),
    or a list of several; ``place_type`` is a code from ``place_types.json`` mapped through its flags.
    Both may be given (their kinds are merged). ``items`` (chapter 7) and ``direct_items`` (chapter 6) are
    clauses such as ``"7.3.3"`` or objects ``{"item": "7.3.3", "correctable_at_once": true}``; items
    correctable at once never count (5.1.2) and are listed in ``ignored``. ``exemptions`` are 5.1.3 ids
    (``"5.1.3a"``, ``"5.1.3 a)"`` or ``"a"``). ``standard``/``table`` choose the rule table (default
    GB 35181-2017); ``date`` (the date of the determination) only adds warnings.

    Raise :class:`JudgeError` for bad input and :class:`JudgeTableError` for a bad table.
    """
    try:
        return _judge(place_kind, items, direct_items, place_type, exemptions, standard, table, date, case_id)
    except JudgeError as exc:
        if case_id is None or exc.case_id is not None:
            raise
        raise exc.for_case(case_id) from None


def _judge(
    place_kind: Any,
    items: Any,
    direct_items: Any,
    place_type: Any,
    exemptions: Any,
    standard: Any,
    table_spec: TableSpec,
    date: Any,
    case_id: Any,
) -> Judgement:
    table = resolve_table(standard, table_spec)
    day = None if date is None else _as_date(date)
    warnings: list[str] = []
    kinds = _place_kinds(place_kind, place_type, table, warnings)
    composite = _read_items(items, "items", False, table)
    direct = _read_items(direct_items, "direct_items", True, table)
    exempted = _exemption_ids(exemptions, table)
    present, direct_present = composite.present(), direct.present()
    ignored = sorted(composite.ignored() + direct.ignored(), key=_clause_key)

    outcomes = {rule.id: _evaluate(rule, kinds, present) for rule in table.composite_rules}
    applicable = {k: v for k, v in outcomes.items() if v is not None}
    direct_outcome = _evaluate(table.direct_rule, kinds, direct_present)  # applies to every place
    evaluated = [o for o in (direct_outcome, *applicable.values()) if o is not None]
    rules = {table.direct_rule.id: table.direct_rule} | {r.id: r for r in table.composite_rules}
    fired_rules = [rules[o.id] for o in evaluated if o.fired]
    counted = sorted({c for o in applicable.values() if o.fired for c in o.counted}, key=_clause_key)

    warnings.extend(_date_warnings(table, day))
    warnings.extend(_kind_warnings(table, kinds, direct_present + present))
    warnings.extend(_conflict_warnings(table, applicable, present))

    clauses = _clause_list(table, ignored, direct_present, present, fired_rules, exempted)
    procedure = table.procedure if fired_rules else None
    unverified = [c.clause for c in clauses if not c.verified]
    if procedure is not None:
        unverified.extend(d.clause for d in procedure.deadlines if not d.verified)
        unverified.extend(s.clause for s in procedure.steps if not s.verified)
    if day is not None and not table.effective_from_verified and not _after(table, day):
        unverified.append(f"effective_from {table.effective_from}")
    return Judgement(
        major=bool(fired_rules) and not exempted,
        rule=fired_rules[0].clause if fired_rules else None,
        fired=tuple(rule.clause for rule in fired_rules),
        counted=tuple(counted),
        direct=tuple(direct_present),
        ignored=tuple(ignored),
        exempted_by=tuple(exempted),
        place_kinds=kinds,
        standard=table.standard,
        table=table.id,
        clauses=tuple(clauses),
        evaluated=tuple(evaluated),
        procedure=procedure,
        unverified=tuple(dict.fromkeys(unverified)),
        warnings=tuple(warnings),
        id=case_id,
    )


def judge_case(case: Any, table: TableSpec = None) -> Judgement:
    """Judge one JSON case ``{"id"?, "standard"?, "place_kind"?, "place_type"?, "items", ...}``.

    Unknown keys are refused so that a misspelt key cannot silently drop hazards.
    """
    if not isinstance(case, Mapping):
        raise JudgeError(
            "case", "案例必须是 JSON 对象", f"a case must be a JSON object, got {type(case).__name__}"
        )
    case_id = case.get("id")
    if case_id is not None and (isinstance(case_id, bool) or not isinstance(case_id, (str, int))):
        raise JudgeError("id", "案例编号必须是字符串或整数", "the case id must be a string or an integer")
    unknown = sorted(str(k) for k in set(case) - CASE_KEYS)
    if unknown:
        allowed = ", ".join(sorted(CASE_KEYS))
        raise JudgeError(
            unknown[0],
            f"未知的键 {unknown}，可用：{allowed}",
            f"unknown keys {unknown}; allowed: {allowed}",
            case_id,
        )
    return judge(
        case.get("place_kind"),
        case.get("items"),
        case.get("direct_items"),
        place_type=case.get("place_type"),
        exemptions=case.get("exemptions"),
        standard=case.get("standard"),
        table=table,
        date=case.get("date"),
        case_id=case_id,
    )


def procedure_problems(
    participants: int, experts: int | None = None, agreeing: int | None = None, table: TableSpec = None
) -> list[str]:
    """Bilingual problems with how a determination was reached (4.2 b), 4.2 c), 4.3); empty when fine.

    ``experts``/``agreeing`` are given only when an expert review (专家技术论证) took place.
    """
    procedure = resolve_table(None, table).procedure
    problems = []
    if participants < procedure.min_participants:
        problems.append(
            f"集体讨论参加人数 {participants} 少于 {procedure.min_participants} 人"
            f" / {participants} participants in the collective discussion, at least {procedure.min_participants}"
        )
    if experts is not None:
        if experts < procedure.min_experts:
            problems.append(
                f"专家组 {experts} 人，少于 {procedure.min_experts} 人"
                f" / expert panel of {experts}, at least {procedure.min_experts}"
            )
        numerator, denominator = procedure.approval
        if agreeing is None or agreeing * denominator < experts * numerator:
            problems.append(
                f"同意的专家 {agreeing} 人，未达到 {numerator}/{denominator}"
                f" / {agreeing} experts agreeing, below {numerator}/{denominator}"
            )
    return problems
