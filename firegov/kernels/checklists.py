"""Inspection checklist templates (检查表模板) and the hazard category table (火灾隐患类别).

Both tables are data in ``rules/checklists.json`` and ``rules/hazard_categories.json``; this module
loads them, validates everything at load time and selects templates:

* :func:`load` reads and validates a pair of tables and returns a :class:`Checklists`;
* :func:`categories`, :func:`category`, :func:`templates`, :func:`template` read the packaged tables;
* :func:`templates_for` picks the templates for a place type, its flags, an inspection kind and a
  subject (unit, community or fire lane), best match first;
* :func:`failed_items_to_hazards` turns checklist answers into hazard drafts.

Pure Python: no Django import. Category codes and template ids are a contract with the database
(``Hazard.category``, ``Finding.hazard_category``): extend the tables, never rename a code.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from firegov.kernels.place_types import FLAGS, PLACE_TYPES, RULES_DIR

CHECKLISTS_FILE = RULES_DIR / "checklists.json"
CATEGORIES_FILE = RULES_DIR / "hazard_categories.json"

WILDCARD = "*"
# Inspection kinds (firegov.inspections.models.InspectionKind) and checklist subjects.
KINDS = ("random", "routine", "complaint", "reinspection", "joint", "expert", "campaign", "patrol", "self")
SUBJECTS = ("unit", "community", "fire_lane")
ANSWERS = ("pass", "fail", "na")

# Flags decided by classify() beyond the place type's own flags (place_types.json "flags").
CLASSIFICATION_FLAGS = MappingProxyType(
    {
        "key_unit": "消防安全重点单位",
        "high_risk": "火灾高危单位",
        "high_rise": "高层建筑",
        "super_high_rise": "超高层建筑",
        "large_complex": "大型商业综合体",
        "underground": "地下场所",
        "gaodidahua": "“高低大化”场所",
    }
)
# Names classify() uses in its result for a place_types.json flag.
FLAG_ALIASES = MappingProxyType({"crowded_place": "crowded"})
KNOWN_FLAGS = frozenset(FLAGS) | frozenset(CLASSIFICATION_FLAGS)


def _gb35181_items() -> frozenset[str]:
    """GB 35181-2017 item ids: direct 6.1–6.10 and the 39 composite items of chapter 7."""
    direct = [f"6.{n}" for n in range(1, 11)]
    groups = {"7.1": 4, "7.2": 3, "7.3": 12, "7.4": 6, "7.6": 3, "7.7": 3, "7.8": 2, "7.9": 5}
    composite = [f"{group}.{n}" for group, count in groups.items() for n in range(1, count + 1)]
    return frozenset([*direct, *composite, "7.5"])


GB35181_ITEMS = _gb35181_items()

_SNAKE_RE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$", re.ASCII)
_ITEM_CODE_RE = re.compile(r"^[A-Z]{1,4}-\d{2,3}$", re.ASCII)

PathLike = str | os.PathLike


class ChecklistError(ValueError):
    """A checklist or category table is invalid, or a call names something the tables do not know."""

    def __init__(self, where: str, message_zh: str, message_en: str):
        self.where = where
        self.message_zh = message_zh
        self.message_en = message_en
        prefix = f"{where}: " if where else ""
        super().__init__(f"{prefix}{message_zh} / {message_en}")


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class HazardGroup:
    code: str
    zh: str
    en: str


@dataclass(frozen=True)
class HazardCategory:
    """One hazard category. ``gb35181`` lists the GB 35181-2017 items the hazard may evidence."""

    code: str
    zh: str
    en: str
    group: str
    urgent: bool  # a complaint about it is checked within 24 hours (消防监督检查规定 第十八条)
    typically_fixable_on_spot: bool
    gb35181: tuple[str, ...]
    clause: str
    verified: bool
    note: str = ""


@dataclass(frozen=True)
class ChecklistItem:
    code: str
    zh: str
    en: str
    hazard_category: str
    gb35181: str | None
    clause: str
    verified: bool
    photo_required_on_fail: bool
    note: str = ""


@dataclass(frozen=True)
class Template:
    """A versioned checklist. ``applies_to`` is ``("*",)`` for a fallback template."""

    id: str
    version: str
    zh: str
    en: str
    subject: str
    applies_to: tuple[str, ...]
    kinds: tuple[str, ...]
    items: tuple[ChecklistItem, ...]
    note: str = ""
    _by_code: Mapping[str, ChecklistItem] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_code", MappingProxyType({item.code: item for item in self.items}))

    @property
    def is_fallback(self) -> bool:
        return self.applies_to == (WILDCARD,)

    @property
    def place_types(self) -> frozenset[str]:
        return frozenset(code for code in self.applies_to if code in PLACE_TYPES)

    @property
    def flags(self) -> frozenset[str]:
        return frozenset(code for code in self.applies_to if code in KNOWN_FLAGS)

    def serves(self, kind: str) -> bool:
        return self.kinds == (WILDCARD,) or kind in self.kinds

    def codes(self) -> tuple[str, ...]:
        return tuple(self._by_code)

    def item(self, code: str) -> ChecklistItem:
        """Return the item with ``code``; raise ``KeyError`` for an unknown code."""
        try:
            return self._by_code[code]
        except (KeyError, TypeError):
            raise KeyError(code) from None


@dataclass(frozen=True)
class Checklists:
    """A validated pair of tables: hazard categories and checklist templates."""

    id: str
    version: str
    categories_id: str
    categories_version: str
    groups: Mapping[str, HazardGroup] = field(hash=False)
    categories_by_code: Mapping[str, HazardCategory] = field(hash=False)
    templates_by_id: Mapping[str, Template] = field(hash=False)

    def categories(self) -> tuple[HazardCategory, ...]:
        return tuple(self.categories_by_code.values())

    def category(self, code: str) -> HazardCategory:
        """Return the category with ``code``; raise ``KeyError`` for an unknown code."""
        try:
            return self.categories_by_code[code]
        except (KeyError, TypeError):
            raise KeyError(code) from None

    def templates(self) -> tuple[Template, ...]:
        return tuple(self.templates_by_id.values())

    def template(self, template_id: str) -> Template:
        """Return the template with ``template_id``; raise ``KeyError`` for an unknown id."""
        try:
            return self.templates_by_id[template_id]
        except (KeyError, TypeError):
            raise KeyError(template_id) from None

    def templates_for(
        self, place_type: str | None, flags: Iterable[str], kind: str, subject: str = "unit"
    ) -> list[Template]:
        """Templates for a place, best match first.

        Order: templates naming the place type, then templates matching one of its flags (more
        matching flags first), then fallback templates (``applies_to: ["*"]``); within a rank a
        template listing ``kind`` explicitly comes before one serving every kind, then file order.
        The place type's own flags from place_types.json count as given. An unknown place type
        matches only by flags and the fallback. The key-unit management template is returned as a
        template of its own when ``key_unit`` (or ``high_risk``) is among the flags.
        Raise :class:`ChecklistError` for an unknown kind, subject or flag.
        """
        _choice(kind, KINDS, "kind", "检查类型")
        _choice(subject, SUBJECTS, "subject", "检查对象")
        if place_type is not None and not isinstance(place_type, str):
            got = type(place_type).__name__
            raise ChecklistError(
                "place_type", f"场所类型应为字符串，实际为 {got}", f"must be a string, got {got}"
            )
        have = _effective_flags(place_type, flags)
        ranked: list[tuple[tuple[int, int, int, int], Template]] = []
        for index, tpl in enumerate(self.templates_by_id.values()):
            if tpl.subject != subject or not tpl.serves(kind):
                continue
            if tpl.is_fallback:
                rank, hits = 2, 0
            elif place_type in PLACE_TYPES and place_type in tpl.applies_to:
                rank, hits = 0, 1
            else:
                hits = len(have & tpl.flags)
                if not hits:
                    continue
                rank = 1
            explicit = 0 if kind in tpl.kinds else 1
            ranked.append(((rank, -hits, explicit, index), tpl))
        ranked.sort(key=lambda pair: pair[0])
        return [tpl for _, tpl in ranked]

    def failed_items_to_hazards(
        self, template: Template | str, answers: Mapping[str, str]
    ) -> list[dict[str, Any]]:
        """Hazard drafts ``{item, category, gb35181, photo_required}`` for the items answered "fail".

        ``answers`` maps item codes to "pass", "fail" or "na"; unanswered items are skipped. Drafts
        follow the template's item order. Raise :class:`ChecklistError` for an unknown template,
        item code or answer value.
        """
        tpl = self._resolve_template(template)
        if not isinstance(answers, Mapping):
            got = type(answers).__name__
            raise ChecklistError(
                "answers",
                f"答案应为对象（检查项编号→结果），实际为 {got}",
                f"answers must be a mapping of item code to result, got {got}",
            )
        for code, value in answers.items():
            where = f"answers[{code!r}]"
            if not isinstance(code, str) or code not in tpl.codes():
                raise ChecklistError(
                    where, f"模板 {tpl.id} 中没有检查项 {code!r}", f"template {tpl.id} has no item {code!r}"
                )
            if not isinstance(value, str) or value not in ANSWERS:
                raise ChecklistError(
                    where,
                    f"结果 {value!r} 无效，可选：{'、'.join(ANSWERS)}",
                    f"invalid result {value!r}; allowed: {', '.join(ANSWERS)}",
                )
        return [
            {
                "item": item.code,
                "category": item.hazard_category,
                "gb35181": item.gb35181,
                "photo_required": item.photo_required_on_fail,
            }
            for item in tpl.items
            if answers.get(item.code) == "fail"
        ]

    def _resolve_template(self, template: Template | str) -> Template:
        if isinstance(template, Template):
            return template
        if isinstance(template, str) and template in self.templates_by_id:
            return self.templates_by_id[template]
        raise ChecklistError(
            "template", f"未知检查表模板 {template!r}", f"unknown checklist template {template!r}"
        )


def _choice(value: Any, allowed: tuple[str, ...], name: str, name_zh: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ChecklistError(
            name,
            f"未知{name_zh} {value!r}，可选：{'、'.join(allowed)}",
            f"unknown {name} {value!r}; allowed: {', '.join(allowed)}",
        )
    return value


def _effective_flags(place_type: str | None, flags: Iterable[str]) -> frozenset[str]:
    if isinstance(flags, (str, bytes)) or not isinstance(flags, Iterable):
        raise ChecklistError(
            "flags", "场所标记应为字符串列表", "flags must be an iterable of strings, not a string"
        )
    have: set[str] = set()
    for flag in flags:
        name = FLAG_ALIASES.get(flag, flag) if isinstance(flag, str) else flag
        if name not in KNOWN_FLAGS:
            raise ChecklistError("flags", f"未知场所标记 {flag!r}", f"unknown place flag {flag!r}")
        have.add(name)
    if place_type in PLACE_TYPES:
        have.update(PLACE_TYPES[place_type].flags)
    return frozenset(have)


# --------------------------------------------------------------------------- validation


_STR, _BOOL, _LIST, _DICT = "string", "boolean", "list", "object"
_OPTIONAL_GB = "GB 35181 item id or null"


def _fields(
    raw: Any, where: str, required: Mapping[str, str], optional: Mapping[str, str] | None = None
) -> dict:
    """Check that ``raw`` is an object with exactly these keys, each of the given JSON type."""
    if not isinstance(raw, dict):
        raise ChecklistError(where, "应为 JSON 对象", "must be a JSON object")
    missing = [key for key in required if key not in raw]
    if missing:
        raise ChecklistError(where, f"缺少字段 {missing}", f"missing keys {missing}")
    optional = optional or {}
    unknown = sorted(key for key in raw if key not in required and key not in optional)
    if unknown:
        raise ChecklistError(where, f"未知字段 {unknown}", f"unknown keys {unknown}")
    for key, kind in {**required, **optional}.items():
        if key in raw and not _is_kind(raw[key], kind):
            raise ChecklistError(f"{where}.{key}", f"应为{_KIND_ZH[kind]}", f"must be a {kind}")
    return raw


_KIND_ZH = {
    _STR: "非空字符串",
    _BOOL: "布尔值 true/false",
    _LIST: "列表",
    _DICT: "对象",
    _OPTIONAL_GB: "字符串或 null",
}


def _is_kind(value: Any, kind: str) -> bool:
    if kind == _STR:
        return isinstance(value, str) and bool(value.strip())
    if kind == _BOOL:
        return isinstance(value, bool)
    if kind == _LIST:
        return isinstance(value, list)
    if kind == _DICT:
        return isinstance(value, dict)
    return value is None or (isinstance(value, str) and bool(value.strip()))


def _label(where: str, raw: Any, key: str) -> str:
    """``where`` plus the entry's own code or id, when it has a usable one."""
    value = raw.get(key) if isinstance(raw, dict) else None
    return f"{where} ({value})" if isinstance(value, str) and value.strip() else where


def _snake(value: str, where: str, what_zh: str, what: str) -> str:
    if not _SNAKE_RE.match(value):
        raise ChecklistError(
            where,
            f"{what_zh} {value!r} 应为小写 ASCII snake_case",
            f"{what} {value!r} must be lower-case ASCII snake_case",
        )
    return value


def _gb_id(value: Any, where: str) -> str:
    if not isinstance(value, str) or value not in GB35181_ITEMS:
        raise ChecklistError(
            where, f"无效的 GB 35181-2017 条款编号 {value!r}", f"invalid GB 35181-2017 item id {value!r}"
        )
    return value


def _duplicates(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    repeated: set[str] = set()
    for value in values:
        (repeated if value in seen else seen).add(value)
    return sorted(repeated)


def _no_duplicates(values: list[str], where: str, what_zh: str, what: str) -> None:
    duplicates = _duplicates(values)
    if duplicates:
        raise ChecklistError(where, f"{what_zh}重复：{duplicates}", f"duplicate {what}: {duplicates}")


def _parse_groups(raw: Any, where: str) -> dict[str, HazardGroup]:
    if not isinstance(raw, dict) or not raw:
        raise ChecklistError(where, "groups 应为非空对象", "'groups' must be a non-empty object")
    groups = {}
    for code, spec in raw.items():
        here = f"{where}.{code}"
        _snake(code, here, "类别分组", "group")
        _fields(spec, here, {"zh": _STR, "en": _STR})
        groups[code] = HazardGroup(code, spec["zh"], spec["en"])
    return groups


def _parse_category(raw: Any, where: str, groups: Mapping[str, HazardGroup]) -> HazardCategory:
    required = {
        "code": _STR, "zh": _STR, "en": _STR, "group": _STR, "urgent": _BOOL, "typically_fixable_on_spot": _BOOL,
        "gb35181": _LIST, "clause": _STR, "verified": _BOOL,
    }  # fmt: skip
    where = _label(where, raw, "code")
    _fields(raw, where, required, {"note": _STR})
    code = _snake(raw["code"], f"{where}.code", "隐患类别代码", "category code")
    if raw["group"] not in groups:
        raise ChecklistError(
            f"{where}.group", f"未知分组 {raw['group']!r}", f"unknown group {raw['group']!r}"
        )
    items = [_gb_id(item, f"{where}.gb35181") for item in raw["gb35181"]]
    _no_duplicates(items, f"{where}.gb35181", "GB 35181 条款", "GB 35181 items")
    return HazardCategory(
        code=code,
        zh=raw["zh"],
        en=raw["en"],
        group=raw["group"],
        urgent=raw["urgent"],
        typically_fixable_on_spot=raw["typically_fixable_on_spot"],
        gb35181=tuple(items),
        clause=raw["clause"],
        verified=raw["verified"],
        note=raw.get("note", ""),
    )


def parse_categories(
    data: Any, where: str = "hazard_categories.json"
) -> tuple[str, str, dict[str, HazardGroup], dict[str, HazardCategory]]:
    """Validate a decoded category table; return ``(id, version, groups, categories)``."""
    _fields(
        data,
        where,
        {"id": _STR, "version": _STR, "groups": _DICT, "categories": _LIST},
        {"description": _STR},
    )
    groups = _parse_groups(data["groups"], f"{where}.groups")
    if not data["categories"]:
        raise ChecklistError(f"{where}.categories", "隐患类别不能为空", "'categories' is empty")
    parsed = [
        _parse_category(raw, f"{where}.categories[{i}]", groups) for i, raw in enumerate(data["categories"])
    ]
    _no_duplicates([c.code for c in parsed], f"{where}.categories", "隐患类别代码", "category codes")
    return data["id"], data["version"], groups, {c.code: c for c in parsed}


def _parse_item(raw: Any, where: str, categories: Mapping[str, HazardCategory]) -> ChecklistItem:
    required = {
        "code": _STR, "zh": _STR, "en": _STR, "hazard_category": _STR, "clause": _STR, "verified": _BOOL,
        "photo_required_on_fail": _BOOL,
    }  # fmt: skip
    where = _label(where, raw, "code")
    _fields(raw, where, required, {"gb35181": _OPTIONAL_GB, "note": _STR})
    code = raw["code"]
    if not _ITEM_CODE_RE.match(code):
        raise ChecklistError(
            f"{where}.code", f"检查项编号 {code!r} 格式应如 CP-07", f"item code {code!r} must look like CP-07"
        )
    category = categories.get(raw["hazard_category"])
    if category is None:
        cat = raw["hazard_category"]
        raise ChecklistError(
            f"{where}.hazard_category", f"未知隐患类别 {cat!r}", f"unknown hazard category {cat!r}"
        )
    gb = raw.get("gb35181")
    if gb is not None:
        _gb_id(gb, f"{where}.gb35181")
        if gb not in category.gb35181:
            raise ChecklistError(
                f"{where}.gb35181",
                f"GB 35181 条款 {gb} 不在隐患类别 {category.code} 的可证明条款 {list(category.gb35181)} 中",
                f"GB 35181 item {gb} is not one category {category.code} may evidence {list(category.gb35181)}",
            )
    return ChecklistItem(
        code=code,
        zh=raw["zh"],
        en=raw["en"],
        hazard_category=category.code,
        gb35181=gb,
        clause=raw["clause"],
        verified=raw["verified"],
        photo_required_on_fail=raw["photo_required_on_fail"],
        note=raw.get("note", ""),
    )


def _parse_applies_to(raw: list, where: str) -> tuple[str, ...]:
    if not raw:
        raise ChecklistError(
            where, '不能为空（通用模板用 ["*"]）', 'must not be empty (use ["*"] for a fallback)'
        )
    if WILDCARD in raw and raw != [WILDCARD]:
        raise ChecklistError(where, '"*" 不能与其他取值并列', "'*' cannot be combined with other values")
    for code in raw:
        if code != WILDCARD and (
            not isinstance(code, str) or (code not in PLACE_TYPES and code not in KNOWN_FLAGS)
        ):
            raise ChecklistError(
                where, f"未知场所类型或场所标记 {code!r}", f"unknown place type or place flag {code!r}"
            )
    _no_duplicates(raw, where, "适用对象", "entries")
    return tuple(raw)


def _parse_kinds(raw: list, where: str) -> tuple[str, ...]:
    if not raw:
        raise ChecklistError(
            where, '不能为空（全部类型用 ["*"]）', 'must not be empty (use ["*"] for every kind)'
        )
    if raw != [WILDCARD]:
        for kind in raw:
            if not isinstance(kind, str) or kind not in KINDS:
                raise ChecklistError(where, f"未知检查类型 {kind!r}", f"unknown inspection kind {kind!r}")
    _no_duplicates(raw, where, "检查类型", "kinds")
    return tuple(raw)


def _parse_template(raw: Any, where: str, categories: Mapping[str, HazardCategory]) -> Template:
    required = {
        "id": _STR, "version": _STR, "zh": _STR, "en": _STR, "subject": _STR, "applies_to": _LIST,
        "kinds": _LIST, "items": _LIST,
    }  # fmt: skip
    where = _label(where, raw, "id")
    _fields(raw, where, required, {"note": _STR})
    template_id = _snake(raw["id"], f"{where}.id", "模板编号", "template id")
    if raw["subject"] not in SUBJECTS:
        subject = raw["subject"]
        raise ChecklistError(
            f"{where}.subject",
            f"未知检查对象 {subject!r}，可选：{'、'.join(SUBJECTS)}",
            f"unknown subject {subject!r}; allowed: {', '.join(SUBJECTS)}",
        )
    applies_to = _parse_applies_to(raw["applies_to"], f"{where}.applies_to")
    kinds = _parse_kinds(raw["kinds"], f"{where}.kinds")
    if not raw["items"]:
        raise ChecklistError(f"{where}.items", "检查项不能为空", "'items' is empty")
    items = tuple(_parse_item(item, f"{where}.items[{i}]", categories) for i, item in enumerate(raw["items"]))
    _no_duplicates([item.code for item in items], f"{where}.items", "检查项编号", "item codes")
    return Template(
        id=template_id,
        version=raw["version"],
        zh=raw["zh"],
        en=raw["en"],
        subject=raw["subject"],
        applies_to=applies_to,
        kinds=kinds,
        items=items,
        note=raw.get("note", ""),
    )


def _check_fallbacks(templates: Mapping[str, Template], where: str) -> None:
    """Every subject and kind needs a fallback, so that templates_for never comes back empty."""
    for subject in SUBJECTS:
        for kind in KINDS:
            if not any(t.is_fallback and t.subject == subject and t.serves(kind) for t in templates.values()):
                raise ChecklistError(
                    where,
                    f'缺少检查对象 {subject}、检查类型 {kind} 的通用模板（applies_to ["*"]）',
                    f'no fallback template (applies_to ["*"]) for subject {subject}, kind {kind}',
                )


def parse_checklists(
    data: Any, categories: Mapping[str, HazardCategory], where: str = "checklists.json"
) -> tuple[str, str, dict[str, Template]]:
    """Validate a decoded checklist table against ``categories``; return ``(id, version, templates)``."""
    _fields(data, where, {"id": _STR, "version": _STR, "templates": _LIST}, {"description": _STR})
    parsed = [
        _parse_template(raw, f"{where}.templates[{i}]", categories) for i, raw in enumerate(data["templates"])
    ]
    _no_duplicates([t.id for t in parsed], f"{where}.templates", "模板编号", "template ids")
    templates = {t.id: t for t in parsed}
    _check_fallbacks(templates, where)
    return data["id"], data["version"], templates


# --------------------------------------------------------------------------- loading


def _read_json(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return json.load(fh)
    except OSError as exc:
        raise ChecklistError(
            str(path), f"无法读取文件：{exc.strerror or exc}", f"cannot read file: {exc}"
        ) from None
    except json.JSONDecodeError as exc:
        at = f"line {exc.lineno} column {exc.colno}"
        raise ChecklistError(
            str(path), f"JSON 格式错误（{at}）：{exc.msg}", f"invalid JSON at {at}: {exc.msg}"
        ) from None


def load(path: PathLike | None = None, categories_path: PathLike | None = None) -> Checklists:
    """Load and validate a checklist table (default: the packaged ``rules/checklists.json``) against a
    category table (default: the packaged ``rules/hazard_categories.json``).

    Raise :class:`ChecklistError` naming the file and entry for anything invalid: unknown category,
    place type, flag, kind or subject, invalid GB 35181-2017 item id, duplicate codes or ids, missing
    fallback templates, wrong types or unknown keys.
    """
    cat_path = Path(categories_path) if categories_path is not None else CATEGORIES_FILE
    list_path = Path(path) if path is not None else CHECKLISTS_FILE
    cat_id, cat_version, groups, categories = parse_categories(_read_json(cat_path), cat_path.name)
    list_id, list_version, templates = parse_checklists(_read_json(list_path), categories, list_path.name)
    return Checklists(
        id=list_id,
        version=list_version,
        categories_id=cat_id,
        categories_version=cat_version,
        groups=MappingProxyType(groups),
        categories_by_code=MappingProxyType(categories),
        templates_by_id=MappingProxyType(templates),
    )


@cache
def default() -> Checklists:
    """The packaged tables, loaded once."""
    return load()


def categories() -> tuple[HazardCategory, ...]:
    return default().categories()


def category(code: str) -> HazardCategory:
    return default().category(code)


def templates() -> tuple[Template, ...]:
    return default().templates()


def template(template_id: str) -> Template:
    return default().template(template_id)


def templates_for(
    place_type: str | None, flags: Iterable[str], kind: str, subject: str = "unit"
) -> list[Template]:
    """Packaged templates for a place, best match first; see :meth:`Checklists.templates_for`."""
    return default().templates_for(place_type, flags, kind, subject)


def failed_items_to_hazards(template: Template | str, answers: Mapping[str, str]) -> list[dict[str, Any]]:
    """Hazard drafts for the failed items; see :meth:`Checklists.failed_items_to_hazards`."""
    return default().failed_items_to_hazards(template, answers)
