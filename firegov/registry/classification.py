"""Applying the classification kernel to units, with the rule tables chosen by configuration."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.conf import settings

from firegov.kernels.classify import classify, load_table

FLAG_NAMES = [
    "key_unit", "high_risk", "crowded_place", "public_gathering", "high_rise", "super_high_rise",
    "large_complex", "underground", "hazmat", "gaodidahua", "nine_small", "three_in_one",
]


def _resolve(table_id: str):
    if not table_id or table_id == "none":
        return None
    extra = settings.FIREGOV.get("RULES_DIR")
    if extra:
        candidate = Path(extra) / (table_id.replace("/", "_") + ".json")
        if candidate.exists():
            return load_table(str(candidate))
    return load_table(table_id)


@lru_cache(maxsize=4)
def tables(key_id: str, high_risk_id: str):
    return _resolve(key_id), _resolve(high_risk_id)


def current_tables():
    return tables(settings.FIREGOV["KEY_UNIT_TABLE"], settings.FIREGOV["HIGH_RISK_TABLE"])


def classify_unit_data(unit_id, place_type: str, attributes: dict, tables=None) -> dict:
    key_table, high_risk_table = tables or current_tables()
    payload = {"id": unit_id, "place_type": place_type, **attributes}
    return classify(payload, key_table=key_table, high_risk_table=high_risk_table)


def apply_classification(unit) -> None:
    """Recompute the unit's classification flags and reasons from its type and attributes."""
    tables = current_tables()
    result = classify_unit_data(unit.pk or 0, unit.place_type, unit.attributes or {}, tables)
    for flag in FLAG_NAMES:
        value = result.get(flag)
        setattr(unit, flag, value if flag == "high_risk" else bool(value))
    unit.classification = result["reasons"]
    unit.classified_with = ",".join(table.id for table in tables if table is not None)
