"""The GB 35181 judge kernel as the hazards app uses it: a unit's place kinds from its classification,
choices for the forms, and the kernel's answer as stored JSON."""

from __future__ import annotations

from functools import cache

from django.core.exceptions import ValidationError

from firegov.kernels import judge as kernel


@cache
def _table() -> kernel.JudgeTable:
    return kernel.resolve_table(kernel.DEFAULT_STANDARD)


def all_items() -> frozenset[str]:
    return frozenset(_table().items)


def item_choices() -> list[tuple[str, str, bool, bool]]:
    """(clause, text, direct, verified) for every element, direct ones first."""
    items = sorted(_table().items.values(), key=lambda i: (not i.direct, [int(p) for p in i.clause.split(".")]))
    return [(i.clause, i.ref.text_zh, i.direct, i.ref.verified) for i in items]


def exemption_choices() -> list[tuple[str, str]]:
    return [(e.id, e.ref.text_zh) for e in _table().exemptions]


def place_kind_choices() -> list[tuple[str, str]]:
    return [(k.code, k.zh) for k in _table().place_kinds.values()]


def place_kinds_of(unit) -> list[str]:
    """Crowded place, hazmat place or important place from the unit's type; otherwise "other"."""
    kinds = []
    if unit.crowded_place:
        kinds.append("crowded")
    if unit.hazmat:
        kinds.append("hazmat")
    from firegov.kernels.place_types import PLACE_TYPES

    place_type = PLACE_TYPES.get(unit.place_type)
    if place_type is not None and place_type.important_place:
        kinds.append("important")
    return kinds or ["other"]


def judge_unit(unit, items, direct_items, exemptions, place_kinds=None) -> dict:
    kinds = list(place_kinds) if place_kinds else place_kinds_of(unit)
    try:
        result = kernel.judge(kinds, items, direct_items, exemptions=exemptions, standard=kernel.DEFAULT_STANDARD)
    except kernel.JudgeError as exc:
        name = exc.field.split("[")[0].split(".")[0]
        field = name if name in ("items", "direct_items", "exemptions", "place_kind") else "items"
        raise ValidationError({field: getattr(exc, "message_zh", str(exc))}) from exc
    return dict(result.as_dict(), place_kinds=list(result.place_kinds))
