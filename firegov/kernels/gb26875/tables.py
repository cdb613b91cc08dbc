"""The GB/T 26875.3-2011 rule table, read from ``rules/gb26875_2011.json`` into fast lookup structures.

Each ADU type with a layout becomes a :class:`Layout`: a precompiled :class:`struct.Struct` for its
fixed part, the JSON key of every field, which fields are times or texts, and the bit table its
``status``/``op`` field uses. Types 6 and 26 (variable-length text) have ``variable=True``.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path

TABLE_PATH = Path(__file__).resolve().parent.parent / "rules" / "gb26875_2011.json"

# Field format -> struct code. "text" (variable length) is handled by the codec, not by struct.
_STRUCT = {"u8": "B", "u16": "H", "u32": "I", "i16": "h", "time": "6s", "text31": "31s"}
_RANGE = {"u8": (0, 0xFF), "u16": (0, 0xFFFF), "u32": (0, 0xFFFFFFFF), "i16": (-0x8000, 0x7FFF)}


@dataclass(frozen=True)
class Layout:
    type: int
    name_zh: str
    name_en: str
    direction: str
    max_n: int
    clause: str
    keys: tuple[str, ...]
    formats: tuple[str, ...]
    struct: struct.Struct | None  # None for the variable-size types 6 and 26
    flag_table: tuple[str | None, ...] | None
    flag_field: str | None  # "status" or "op"
    answer: int | None  # for reads: the upload type that answers it

    @property
    def size(self) -> int:
        return self.struct.size if self.struct is not None else 0

    @property
    def variable(self) -> bool:
        return self.struct is None

    @property
    def object_keys(self) -> tuple[str, ...]:
        """The keys of a decoded object, in schema order (``flags`` follows its field)."""
        out: list[str] = []
        for key in self.keys:
            out.append(key)
            if key == self.flag_field:
                out.append("flags")
        return tuple(out)


@dataclass(frozen=True)
class AnalogType:
    code: int
    name_zh: str
    unit: str
    resolution: Decimal
    min: int
    max: int


@dataclass(frozen=True)
class Protocol:
    id: str
    max_adu: int
    commands: dict[int, str]
    layouts: dict[int, Layout]
    flag_tables: dict[str, tuple[str | None, ...]]
    system_types: dict[int, str]
    component_types: dict[int, str]
    analog_types: dict[int, AnalogType]


def flag_names(table: tuple[str | None, ...], value: int) -> list[str]:
    """Names of the bits that are 1, in ascending bit order; a reserved bit is ``reserved_<bit>``."""
    return list(_flag_names(table, value))


@lru_cache(maxsize=4096)  # status words repeat: most are "normal" or one condition
def _flag_names(table: tuple[str | None, ...], value: int) -> tuple[str, ...]:
    names = []
    bit = 0
    while value:
        if value & 1:
            name = table[bit] if bit < len(table) else None
            names.append(name if name is not None else f"reserved_{bit}")
        value >>= 1
        bit += 1
    return tuple(names)


def value_range(fmt: str) -> tuple[int, int]:
    return _RANGE[fmt]


def _layout(code: int, raw: dict, flag_tables: dict) -> Layout:
    keys = tuple(key for key, _ in raw["fields"])
    formats = tuple(fmt for _, fmt in raw["fields"])
    if "text" in formats:
        compiled = None
    else:
        compiled = struct.Struct("<" + "".join(_STRUCT[fmt] for fmt in formats))
    flag_key = raw.get("flags")
    flag_field = None
    if flag_key:
        flag_field = "status" if "status" in keys else "op"
    return Layout(
        type=code, name_zh=raw["zh"], name_en=raw["en"], direction=raw["dir"], max_n=raw["max_n"],
        clause=raw["clause"], keys=keys, formats=formats, struct=compiled,
        flag_table=flag_tables[flag_key] if flag_key else None, flag_field=flag_field,
        answer=raw.get("answer"),
    )


@cache
def load(path: str | None = None) -> Protocol:
    """Read a protocol table (the 2011 edition by default)."""
    data = json.loads(Path(path or TABLE_PATH).read_text(encoding="utf-8"))
    flag_tables = {name: tuple(spec["names"]) for name, spec in data["flags"].items()}
    return Protocol(
        id=data["id"],
        max_adu=data["frame"]["max_adu"],
        commands={int(code): spec["name"] for code, spec in data["frame"]["commands"].items()},
        layouts={int(code): _layout(int(code), raw, flag_tables) for code, raw in data["types"].items()},
        flag_tables=flag_tables,
        system_types={int(c): name for c, name in data["system_types"]["codes"].items()},
        component_types={int(c): name for c, name in data["component_types"]["codes"].items()},
        analog_types={
            int(c): AnalogType(int(c), spec["zh"], spec["unit"], Decimal(spec["resolution"]), spec["min"], spec["max"])
            for c, spec in data["analog_types"]["codes"].items()
        },
    )
