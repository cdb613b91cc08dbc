"""Verifiable double-random draw (双随机抽查) of inspection targets and inspectors.

Under 双随机、一公开 (国办发〔2015〕58号) the targets of a spot check (监督抽查) are drawn by lot from the
inspection-target directory (检查对象名录库) and the inspectors from the inspector directory
(执法检查人员名录库), and the results are published. This module makes such a draw a pure, deterministic
function of (seed, unit directory, inspector directory, rules), so that anyone holding the published
inputs and the revealed seed can recompute it (:func:`verify`). It imports nothing from Django.

Procedure: freeze the rules and the directories and publish their digests (:func:`inputs_sha256`),
generate a seed (:func:`new_seed`) and publish its commitment (:func:`commitment`) with them. Then
run :func:`draw` and publish the result, which reveals the seed. The commitment proves that the seed
was fixed before the draw, and the digests prove which inputs were used. Once both are published,
nobody can steer the draw: a different seed breaks the commitment, and different inputs break the
digests (:func:`verify` checks both, given what was published beforehand). What a commitment cannot
show is that whoever made the seed did not privately try several seeds first. Where that matters,
mix into the seed a value nobody knew when the inputs were published, such as a witness's
contribution at the draw (摇号现场) or a public lottery result.

Algorithm ``firegov-draw/1``
============================

Notation: ``‖`` is byte concatenation, ``UTF8(s)`` the UTF-8 bytes of ``s``. The *text* of an id is
the string itself, or the decimal form of an integer id. Records whose ids have the same text are
duplicates. Every reference to a unit or an inspector (``conflicts``, ``relatives_units``,
``last_inspectors``) is matched by text, and references to ids absent from the directory are
ignored. Texts are ordered by Unicode code point. A *random sequence* is::

    R(label, name) = SHAKE-256(seed ‖ UTF8(label) ‖ 0x00 ‖ UTF8(name))

read as consecutive unsigned 64-bit big-endian integers ``R[0], R[1], …`` (the labels are ASCII
words without 0x00, so the encoding is unambiguous). Because every list below is put in id-text
order before random numbers are attached to it, the order of the records in the inputs never
matters.

1. Commitment. ``seed`` has at least 16 bytes (``new_seed`` gives 32). ``seed_sha256 =
   hex(SHA-256(seed))`` is published before the draw; ``seed`` (hex) is revealed with the result.
2. Strata. Each unit belongs to the FIRST stratum, in rules order, whose filter matches it, so no
   unit can be drawn twice. Units matching none are *unstratified* and never drawn. A filter is a
   conjunction of ``key_unit``, ``crowded``, ``penalised_last_year`` (the unit's flag equals the
   value), ``region_prefix`` (the unit's region starts with the prefix, or with one of a list) and
   ``place_type`` (equal to the value, or one of a list). An empty filter matches every unit.
   ``pool`` is the number of units in the stratum.
3. Exclusion. If ``exclude_inspected_within_days`` is a number N, a unit whose ``last_inspected``
   is later than ``as_of − N days`` is excluded (reason ``inspected_recently``): it was inspected
   fewer than N days before ``as_of``, or after it. With ``as_of`` 2026-04-01 and N = 90, a unit
   inspected on 2026-01-01 (exactly 90 days before) is eligible, and one inspected on 2026-01-02
   is not. A stratum with a yearly quota (step 4) also excludes the units listed under its own code
   in ``drawn_this_year`` (reason ``drawn_this_year``), so that it never draws a unit twice in a
   year; a unit excluded for both reasons counts as ``drawn_this_year`` only. ``eligible = pool −
   excluded``.
4. Quota. The base quota is either ``count``, or ``ratio × pool`` rounded by ``rounding``: ``ceil``
   (the default), ``floor`` or ``round`` (half up). The ratio applies to the pool BEFORE
   exclusions, and is read as the exact decimal it is written as (0.1 is 1/10). A stratum's
   ``per`` is ``month`` (the default) or ``year``. Per month, the base quota is this draw's quota.
   Per year, it is the stratum's quota for the calendar year of ``as_of``, ``year_quota``, spread
   over the draws of that year, one a month: with ``drawn_before`` the number of ids listed under
   the stratum's code in ``drawn_this_year`` (every listed id counts, whether or not the unit is
   still in the directory or in this stratum) and ``months_left = 13 − month(as_of)`` (the months
   from ``as_of``'s to December, both included), this draw's ``quota = max(0,
   ceil((year_quota − drawn_before) / months_left))``. A month without a draw, or a shortfall, leaves
   more for the months after it; December takes all that remains. Then, for either period,
   ``drawn = min(quota, eligible)``; when ``eligible < quota`` a ``quota`` shortfall is recorded.
5. Targets. Let ``u_0 … u_{n−1}`` be a stratum's eligible units in id-text order and
   ``x_i = R("units", code)[i]``, where ``code`` is the stratum code. The units with the ``drawn``
   smallest pairs ``(x_i, i)`` are drawn, in that order. The assignments list the strata in rules
   order, and the units of a stratum in this order; ``order`` numbers them 1, 2, …
6. Inspectors. Let ``v_0 … v_{m−1}`` be the available inspectors (``available`` true) in id-text
   order and ``y_i = R("inspectors", "")[i]``. Sorting them by ``(y_i, i)`` gives each a
   position ``p = 0 … m−1``. Every ``load[p]`` starts at 0.
7. Recusal (回避). Inspector I is recused for unit U when U is in I's ``conflicts`` (``conflict``),
   when U is in I's ``relatives_units`` (``relative``), or when ``recuse_last_inspectors`` is true
   and I is in U's ``last_inspectors`` (``last_inspector``).
8. Teams. Let ``k = inspectors_per_unit`` (at least 2). The drawn units are taken in assignment
   order; take the one numbered ``o``. For each slot ``j = 0 … k−1`` let
   ``s = R("slots", "")[(o − 1)·k + j] mod m``. Candidates are the positions that are not recused
   for U, not already in U's team, and have ``load[p] < max_units_per_inspector`` (no limit when
   null). The slot takes the candidate with the smallest ``(load[p], (p − s) mod m)``. If some slot
   finds no candidate, U gets no team (``inspectors`` is empty, no load changes) and an
   ``inspectors`` shortfall is recorded. Otherwise each member's load grows by 1. The team is
   listed in slot order. Loads therefore stay level, since the least loaded go first, while who
   goes with whom stays random.

``drawn_this_year`` is an input like the directories: whoever runs the draws fills it in, for
each stratum with a yearly quota, from the published results of the year's earlier draws (firegov
lists the units of that stratum's assignments that got a team, in the earlier draws of the same
plan). Since it is part of the rules, the rules digest covers it, and a re-run needs nothing else.

Worked example. A stratum ``{"code": "general", "filter": {}, "ratio": 0.05, "per": "year"}`` with
a pool of 1,000 units has a year_quota of 50. January (months_left 12, nothing drawn before) draws
ceil(50 / 12) = 5, February ceil(45 / 11) = 5, March ceil(40 / 10) = 4. April's rules carry
``"drawn_this_year": {"general": [the 14 ids]}``: months_left is 9, the quota ceil(36 / 9) = 4, and
the 14 units are excluded as ``drawn_this_year``. Had March found only 2 eligible units (a shortfall
of 2), April would list 12 ids and draw ceil(38 / 9) = 5. Had the pool grown to 1,100 units by
April, year_quota would be 55 and April's quota ceil(41 / 9) = 5.

Input digests (``inputs_sha256``) are the SHA-256 of canonical JSON. Canonical JSON has no
whitespace, object keys sorted by code point, non-ASCII characters as UTF-8, and the string escapes
of Python's ``json`` module.

* Rules: the rules object as given (``drawn_this_year`` included).
* Directories: the list of records in id-text order. Each record becomes one array of the fields
  this algorithm defines, as given, with missing ones filled by their defaults:
  ``[id, key_unit, crowded, penalised_last_year, region, place_type, last_inspected,
  last_inspectors]`` for units, ``[id, name, agency, available, conflicts, relatives_units]`` for
  inspectors.
* Other attributes a record may carry (a unit's name, address…) play no part in the draw and are
  deliberately left out: serialising them would cost more than the whole draw of 300,000 units.

Defaults for missing fields: ``key_unit``, ``crowded`` and ``penalised_last_year`` are false,
``available`` is true, and the other fields are null (a null list is empty). The rules default to
``inspectors_per_unit`` 2 (10 at most), ``exclude_inspected_within_days`` null,
``recuse_last_inspectors`` true, ``max_units_per_inspector`` null and ``drawn_this_year`` null (no
unit drawn earlier); a stratum's ``per`` defaults to ``month``. ``drawn_this_year`` maps codes of
strata with a yearly quota (and no others) to lists of distinct unit ids.

The result also counts recusals by kind over the drawn units, as (unit, inspector, kind) triples,
including inspectors who are unavailable anyway. Each assignment lists its unit's ``recused``
inspectors in id-text order. The summary of a stratum with a yearly quota also gives ``per``,
``year_quota``, ``drawn_before`` and ``months_left``, and counts its exclusions by both reasons;
the draw's ``exclusions`` count ``drawn_this_year`` only when some stratum has a yearly quota.

Yearly quotas came after the first results were published. A result whose rules have no yearly
quota is the same, byte for byte, as before them, which is why the algorithm is still ``/1``; rules
that use them are refused by an implementation that predates them, never drawn differently.
"""

from __future__ import annotations

import gc
import hashlib
import json
import secrets
import sys
from array import array
from bisect import bisect_left, insort
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from itertools import chain, compress, islice
from math import isqrt
from operator import add, eq, itemgetter, lt
from typing import Any

import orjson

ALGORITHM = "firegov-draw/1"
MIN_SEED_BYTES = 16
SEED_BYTES = 32
ROUNDINGS = {"ceil": ROUND_CEILING, "floor": ROUND_FLOOR, "round": ROUND_HALF_UP}
EXCLUSION_REASONS = {
    "inspected_recently": ("近期已检查", "inspected recently"),
    "drawn_this_year": ("本年度已抽中", "drawn earlier this year"),
}
PERIODS = ("month", "year")
RECUSAL_KINDS = {
    "conflict": ("申报利害关系", "declared conflict of interest"),
    "relative": ("近亲属所在单位", "a relative's unit"),
    "last_inspector": ("上次检查人员", "inspected the unit last time"),
}
RULE_KEYS = frozenset(
    {
        "as_of",
        "inspectors_per_unit",
        "exclude_inspected_within_days",
        "recuse_last_inspectors",
        "max_units_per_inspector",
        "strata",
        "drawn_this_year",
        "title",
        "description",
    }
)
STRATUM_KEYS = frozenset({"code", "label", "filter", "count", "ratio", "rounding", "per", "description"})
FLAG_FILTERS = ("key_unit", "crowded", "penalised_last_year")
LIST_FILTERS = ("region_prefix", "place_type")
UNIT_FIELDS = (
    "id",
    "key_unit",
    "crowded",
    "penalised_last_year",
    "region",
    "place_type",
    "last_inspected",
    "last_inspectors",
)
UNIT_DEFAULTS = (None, False, False, False, None, None, None, None)
INSPECTOR_FIELDS = ("id", "name", "agency", "available", "conflicts", "relatives_units")
MAX_PROBLEMS_LISTED = 20
MAX_INSPECTORS_PER_UNIT = 10

_UNIT_ROW = itemgetter(*UNIT_FIELDS)
_FIRST = itemgetter(0)
_NATIVE_UINT64 = array("Q").itemsize == 8


class DrawError(ValueError):
    """Invalid draw input. ``source`` is units, inspectors, rules or seed. ``record`` is the record's id
    text (``#n`` for the n-th record when it has no usable id), and ``field`` the field within it."""

    def __init__(self, field: str, message_zh: str, message_en: str, *, source: str = "", record: Any = None):
        self.field = field
        self.message_zh = message_zh
        self.message_en = message_en
        self.source = source
        self.record = record
        super().__init__(f"{self.where}：{message_zh} / {self.where}: {message_en}")

    @property
    def where(self) -> str:
        """Path naming the record and the field, e.g. ``units[u17].last_inspected``."""
        if self.record is not None:
            record = f"{self.source}[{self.record}]"
            return f"{record}.{self.field}" if self.field else record
        if self.source and self.field and self.field != self.source:
            return f"{self.source}.{self.field}"
        return self.source or self.field


# --------------------------------------------------------------------------- seed and randomness


def new_seed() -> bytes:
    """A fresh 32-byte seed from the operating system's CSPRNG (``secrets``)."""
    return secrets.token_bytes(SEED_BYTES)


def _check_seed(seed: Any) -> bytes:
    if not isinstance(seed, (bytes, bytearray)):
        raise DrawError(
            "seed",
            f"种子应为字节串，实为 {type(seed).__name__}",
            f"the seed must be bytes, not {type(seed).__name__}",
            source="seed",
        )
    if len(seed) < MIN_SEED_BYTES:
        raise DrawError(
            "seed",
            f"种子至少 {MIN_SEED_BYTES} 字节，实为 {len(seed)} 字节",
            f"the seed must have at least {MIN_SEED_BYTES} bytes, not {len(seed)}",
            source="seed",
        )
    return bytes(seed)


def commitment(seed: bytes) -> str:
    """The commitment published before the draw: hex SHA-256 of the seed."""
    return hashlib.sha256(_check_seed(seed)).hexdigest()


def parse_seed(text: Any) -> bytes:
    """Decode a hex seed (as printed in a result) and check its length; raise DrawError otherwise."""
    if not isinstance(text, str):
        raise DrawError("seed", "种子应为十六进制字符串", "the seed must be a hex string", source="seed")
    try:
        seed = bytes.fromhex(text)
    except ValueError:
        raise DrawError(
            "seed", "种子不是有效的十六进制串", "the seed is not valid hex", source="seed"
        ) from None
    return _check_seed(seed)


def random_sequence(seed: bytes, label: str, name: str, count: int) -> list[int]:
    """``R(label, name)[0:count]``: SHAKE-256(seed ‖ label ‖ 0x00 ‖ name) as big-endian uint64s."""
    if count <= 0:
        return []
    data = hashlib.shake_256(seed + label.encode() + b"\x00" + name.encode()).digest(8 * count)
    if not _NATIVE_UINT64:  # pragma: no cover - a platform whose "Q" array is not 8 bytes
        return [int.from_bytes(data[i : i + 8], "big") for i in range(0, len(data), 8)]
    numbers = array("Q", data)
    if sys.byteorder == "little":
        numbers.byteswap()
    return numbers.tolist()


def _smallest(values: list[int], count: int) -> list[int]:
    """Indices of the ``count`` smallest pairs (values[i], i), in that order.

    Uniform 64-bit values make a cut-off that keeps a little more than ``count`` of them cheap to
    guess; when the guess keeps too few, the full sort decides. Either way the answer is exact.
    """
    n = len(values)
    if count <= 0:
        return []
    if count < n:
        cutoff = ((count + 6 * isqrt(count) + 16) << 64) // n + 1
        if cutoff < 1 << 64:
            kept = list(compress(range(n), map(cutoff.__gt__, values)))
            if len(kept) >= count:
                kept.sort(key=values.__getitem__)  # stable: equal values stay in index order
                return kept[:count]
    return sorted(range(n), key=values.__getitem__)[:count]


# --------------------------------------------------------------------------- validation helpers


def _parse_date(value: Any) -> date | None:
    """A strict ``YYYY-MM-DD`` date, or None when ``value`` is not one."""
    if type(value) is not str or len(value) != 10 or value[4] != "-" or value[7] != "-":
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _id_text(value: Any) -> str | None:
    cls = value.__class__
    if cls is str:
        return value if value else None
    if cls is int:
        return str(value)
    return None


def _check_id_list(value: Any, field: str, source: str, record: str) -> list:
    if value is None:
        return []
    if type(value) is not list:
        raise DrawError(field, "应为编号列表", "must be a list of ids", source=source, record=record)
    for position, item in enumerate(value):
        if _id_text(item) is None:
            raise DrawError(
                f"{field}[{position}]",
                f"编号 {item!r} 无效（应为非空字符串或整数）",
                f"invalid id {item!r} (must be a non-empty string or an integer)",
                source=source,
                record=record,
            )
    return value


def _record_id(record: Any, index: int, source: str, noun_zh: str, noun_en: str) -> str:
    if not isinstance(record, dict):
        raise DrawError(
            "",
            f"第 {index + 1} 条{noun_zh}应为 JSON 对象",
            f"{noun_en} #{index + 1} must be a JSON object",
            source=source,
            record=f"#{index + 1}",
        )
    if "id" not in record:
        raise DrawError("id", "缺少编号", "missing id", source=source, record=f"#{index + 1}")
    text = _id_text(record["id"])
    if text is None:
        raise DrawError(
            "id",
            f"编号 {record['id']!r} 无效（应为非空字符串或整数）",
            f"invalid id {record['id']!r} (must be a non-empty string or an integer)",
            source=source,
            record=f"#{index + 1}",
        )
    return text


def _duplicate(text: str, first: int, index: int, source: str, noun_zh: str, noun_en: str) -> DrawError:
    return DrawError(
        "id",
        f"{noun_zh}编号重复（第 {first + 1} 条与第 {index + 1} 条）",
        f"duplicate {noun_en} id (records #{first + 1} and #{index + 1})",
        source=source,
        record=text,
    )


def _check_bool(value: Any, field: str, source: str, record: str | None) -> bool:
    if type(value) is not bool:
        raise DrawError(
            field,
            f"应为 true 或 false，实为 {value!r}",
            f"must be true or false, not {value!r}",
            source=source,
            record=record,
        )
    return value


def _check_optional_str(value: Any, field: str, source: str, record: str | None) -> str | None:
    if value is not None and type(value) is not str:
        raise DrawError(
            field,
            f"应为字符串或 null，实为 {value!r}",
            f"must be a string or null, not {value!r}",
            source=source,
            record=record,
        )
    return value


def _check_unit(index: int, unit: Any) -> str:
    """Validate one unit field by field (the slow path that names the problem); return its id text."""
    text = _record_id(unit, index, "units", "单位", "unit")
    for field in FLAG_FILTERS:
        _check_bool(unit.get(field, False), field, "units", text)
    for field in ("region", "place_type"):
        _check_optional_str(unit.get(field), field, "units", text)
    last = unit.get("last_inspected")
    if last is not None and _parse_date(last) is None:
        raise DrawError(
            "last_inspected",
            f"日期 {last!r} 无效（应为 YYYY-MM-DD 或 null）",
            f"invalid date {last!r} (must be YYYY-MM-DD or null)",
            source="units",
            record=text,
        )
    _check_id_list(unit.get("last_inspectors"), "last_inspectors", "units", text)
    return text


def _diagnose_units(units: list) -> None:
    """Raise the first problem, in input order, of a directory the column checks rejected."""
    first_of: dict[str, int] = {}
    for index, unit in enumerate(units):
        text = _check_unit(index, unit)
        if text in first_of:
            raise _duplicate(text, first_of[text], index, "units", "单位", "unit")
        first_of[text] = index
    raise AssertionError("the unit directory was rejected without a reason")  # pragma: no cover


def _canonical_json(value: Any) -> bytes:
    return json.dumps(
        value,
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
        check_circular=False,
        allow_nan=False,
    ).encode("utf-8")


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _rows_sha256(rows: list[tuple], source: str, fields: tuple[str, ...]) -> str:
    """Hex SHA-256 of the canonical JSON of checked directory rows (tuples of strings, integers,
    booleans, nulls and lists of ids; no floats, no objects). orjson writes exactly the bytes of
    :func:`_canonical_json` for such rows, five times faster; what it refuses (an integer beyond 64
    bits, a string with no UTF-8 form) goes through the json module, which names the latter."""
    try:
        return _sha256_hex(orjson.dumps(rows))
    except TypeError:
        pass
    try:
        return _sha256_hex(_canonical_json(rows))
    except UnicodeEncodeError:
        raise _not_unicode_row(rows, source, fields) from None


def _has_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _not_unicode(field: str, text: str, source: str, record: str | None = None) -> DrawError:
    bad = next(c for c in text if not _has_utf8(c))
    return DrawError(
        field,
        f"含有不能以 UTF-8 表示的字符（孤立的代理项 U+{ord(bad):04X}）",
        f"contains a character with no UTF-8 form (a lone surrogate, U+{ord(bad):04X})",
        source=source,
        record=record,
    )


def _not_unicode_row(rows: list[tuple], source: str, fields: tuple[str, ...]) -> DrawError:
    for row in rows:
        record = str(row[0]).encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
        for field, value in zip(fields, row, strict=True):
            items = enumerate(value) if type(value) is list else ((None, value),)
            for position, item in items:
                if type(item) is str and not _has_utf8(item):
                    name = field if position is None else f"{field}[{position}]"
                    return _not_unicode(name, item, source, record)
    raise AssertionError("no text without a UTF-8 form was found")  # pragma: no cover


def _rules_sha256(rules: dict) -> str:
    try:
        return _sha256_hex(_canonical_json(rules))
    except UnicodeEncodeError:
        pass
    stack: list[tuple[str, Any]] = [("", rules)]
    while stack:
        path, value = stack.pop()
        if type(value) is dict:
            for key, item in value.items():
                name = f"{path}.{key}" if path else str(key)
                if type(key) is str and not _has_utf8(key):
                    raise _not_unicode(path or "rules", key, "rules")
                stack.append((name, item))
        elif type(value) is list:
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
        elif type(value) is str and not _has_utf8(value):
            raise _not_unicode(path, value, "rules")
    raise AssertionError("no text without a UTF-8 form was found")  # pragma: no cover


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Stratum:
    code: str
    label: str
    match: Callable[[tuple], bool]  # over (key_unit, crowded, penalised_last_year, region, place_type)
    reads: frozenset[int]  # the positions of that signature the filter reads
    count: int | None
    ratio: Decimal | None
    rounding: str | None
    per: str = "month"

    def quota(self, pool: int) -> int:
        """The base quota (step 4): this draw's when per month, the year's when per year."""
        if self.count is not None:
            return self.count
        exact = self.ratio * pool
        return int(exact.to_integral_value(rounding=ROUNDINGS[self.rounding]))


@dataclass(frozen=True)
class Rules:
    as_of: date
    inspectors_per_unit: int
    exclude_within_days: int | None
    recuse_last_inspectors: bool
    max_units_per_inspector: int | None
    strata: tuple[Stratum, ...]
    drawn_this_year: dict[str, list[str]]  # stratum code -> id texts of the units it drew earlier this year

    @property
    def months_left(self) -> int:
        """The months from as_of's to December, both included."""
        return 13 - self.as_of.month

    def this_quota(self, stratum: Stratum, pool: int) -> int:
        """Step 4: this draw's quota."""
        base = stratum.quota(pool)
        if stratum.per == "month":
            return base
        remaining = base - len(self.drawn_this_year.get(stratum.code, ()))
        return max(0, -(-remaining // self.months_left))

    @property
    def recent_after(self) -> str | None:
        """ISO date after which a last inspection excludes a unit (ISO dates sort as strings)."""
        if self.exclude_within_days is None:
            return None
        try:
            return (self.as_of - timedelta(days=self.exclude_within_days)).isoformat()
        except OverflowError:
            return "0000-00-00"  # before every valid date: every inspected unit is recent


def _rule_error(field: str, zh: str, en: str) -> DrawError:
    return DrawError(field, zh, en, source="rules")


def _optional_count(rules: Mapping, key: str, minimum: int) -> int | None:
    value = rules.get(key)
    if value is None:
        return None
    if type(value) is not int or value < minimum:
        raise _rule_error(
            key,
            f"应为不小于 {minimum} 的整数或 null，实为 {value!r}",
            f"must be an integer of at least {minimum} or null, not {value!r}",
        )
    return value


def _string_options(value: Any, field: str) -> tuple[str, ...]:
    options = [value] if isinstance(value, str) else value
    if not isinstance(options, list) or not options or not all(isinstance(v, str) and v for v in options):
        raise _rule_error(
            field, "应为非空字符串或非空字符串列表", "must be a non-empty string or a non-empty list of them"
        )
    return tuple(options)


def _compile_filter(spec: Any, field: str) -> tuple[Callable[[tuple], bool], frozenset[int]]:
    """The filter as a predicate over a signature, and the signature positions it reads."""
    if not isinstance(spec, dict):
        raise _rule_error(field, "筛选条件应为 JSON 对象", "the filter must be a JSON object")
    flags: list[tuple[int, bool]] = []
    prefixes: tuple[str, ...] | None = None
    place_types: frozenset[str] | None = None
    for key, value in spec.items():
        if key in FLAG_FILTERS:
            flags.append((FLAG_FILTERS.index(key), _check_bool(value, f"{field}.{key}", "rules", None)))
        elif key == "region_prefix":
            prefixes = _string_options(value, f"{field}.{key}")
        elif key == "place_type":
            place_types = frozenset(_string_options(value, f"{field}.{key}"))
        else:
            known = ", ".join(FLAG_FILTERS + LIST_FILTERS)
            raise _rule_error(
                f"{field}.{key}", f"未知的筛选条件（可用：{known}）", f"unknown filter (known: {known})"
            )

    def match(signature: tuple) -> bool:
        if any(signature[position] is not wanted for position, wanted in flags):
            return False
        region, place_type = signature[3], signature[4]
        if prefixes is not None and (region is None or not region.startswith(prefixes)):
            return False
        return place_types is None or place_type in place_types

    reads = {position for position, _ in flags}
    reads |= {3} if prefixes is not None else set()
    reads |= {4} if place_types is not None else set()
    return match, frozenset(reads)


def _check_stratum(spec: Any, index: int, seen: set[str]) -> Stratum:
    field = f"strata[{index}]"
    if not isinstance(spec, dict):
        raise _rule_error(field, "分层应为 JSON 对象", "a stratum must be a JSON object")
    unknown = sorted(set(spec) - STRATUM_KEYS)
    if unknown:
        raise _rule_error(f"{field}.{unknown[0]}", "未知的分层字段", "unknown stratum field")
    _check_optional_str(spec.get("description"), f"{field}.description", "rules", None)
    code = spec.get("code")
    if not isinstance(code, str) or not code:
        raise _rule_error(
            f"{field}.code", "分层代码应为非空字符串", "the stratum code must be a non-empty string"
        )
    if code in seen:
        raise _rule_error(f"{field}.code", f"分层代码 {code!r} 重复", f"duplicate stratum code {code!r}")
    seen.add(code)
    label = spec.get("label", code)
    if not isinstance(label, str):
        raise _rule_error(f"{field}.label", "名称应为字符串", "the label must be a string")
    match, reads = _compile_filter(spec.get("filter", {}), f"{field}.filter")
    per = spec.get("per", "month")
    if not isinstance(per, str) or per not in PERIODS:
        raise _rule_error(
            f"{field}.per",
            f"未知的配额周期 {per!r}（可用：month 每次抽取、year 全年）",
            f"unknown quota period {per!r} (known: month, per draw; year, over the year)",
        )
    has_count, has_ratio = spec.get("count") is not None, spec.get("ratio") is not None
    if has_count == has_ratio:
        raise _rule_error(
            field, "应给出 count 或 ratio 之一（且仅一个）", "give exactly one of count and ratio"
        )
    if has_count:
        count = spec["count"]
        if type(count) is not int or count < 0:
            raise _rule_error(
                f"{field}.count",
                f"抽取数量应为非负整数，实为 {count!r}",
                f"the count must be a non-negative integer, not {count!r}",
            )
        if "rounding" in spec:
            raise _rule_error(
                f"{field}.rounding", "rounding 只适用于 ratio", "rounding applies to ratio only"
            )
        return Stratum(code, label, match, reads, count, None, None, per)
    ratio = spec["ratio"]
    if type(ratio) not in (int, float) or not 0 <= ratio <= 1:
        raise _rule_error(
            f"{field}.ratio",
            f"抽取比例应在 0 到 1 之间，实为 {ratio!r}",
            f"the ratio must be a number from 0 to 1, not {ratio!r}",
        )
    rounding = spec.get("rounding", "ceil")
    if not isinstance(rounding, str) or rounding not in ROUNDINGS:
        raise _rule_error(
            f"{field}.rounding",
            f"未知的取整方式 {rounding!r}（可用：ceil、floor、round）",
            f"unknown rounding {rounding!r} (known: ceil, floor, round)",
        )
    return Stratum(code, label, match, reads, None, Decimal(repr(ratio)), rounding, per)


def check_rules(rules: Any) -> Rules:
    """Validate the rules object and return its typed form; raise DrawError naming the field."""
    if not isinstance(rules, dict):
        raise _rule_error("rules", "规则应为 JSON 对象", "the rules must be a JSON object")
    unknown = sorted(set(rules) - RULE_KEYS)
    if unknown:
        raise _rule_error(unknown[0], "未知的规则字段", "unknown rule field")
    for key in ("title", "description"):
        _check_optional_str(rules.get(key), key, "rules", None)
    as_of = _parse_date(rules.get("as_of"))
    if as_of is None:
        raise _rule_error(
            "as_of",
            f"抽查基准日 {rules.get('as_of')!r} 无效（应为 YYYY-MM-DD）",
            f"invalid as_of date {rules.get('as_of')!r} (must be YYYY-MM-DD)",
        )
    per_unit = rules.get("inspectors_per_unit", 2)
    if type(per_unit) is not int or per_unit < 2:
        raise _rule_error(
            "inspectors_per_unit",
            f"每个单位至少 2 名检查人员（消防监督检查规定第十四条），实为 {per_unit!r}",
            f"at least 2 inspectors per unit are required (Art. 14), not {per_unit!r}",
        )
    if per_unit > MAX_INSPECTORS_PER_UNIT:
        raise _rule_error(
            "inspectors_per_unit",
            f"每个单位最多 {MAX_INSPECTORS_PER_UNIT} 名检查人员，实为 {per_unit}",
            f"at most {MAX_INSPECTORS_PER_UNIT} inspectors per unit, not {per_unit}",
        )
    window = _optional_count(rules, "exclude_inspected_within_days", 0)
    cap = _optional_count(rules, "max_units_per_inspector", 1)
    recuse_last = rules.get("recuse_last_inspectors", True)
    _check_bool(recuse_last, "recuse_last_inspectors", "rules", None)
    strata_spec = rules.get("strata")
    if not isinstance(strata_spec, list) or not strata_spec:
        raise _rule_error("strata", "应为非空的分层列表", "must be a non-empty list of strata")
    seen: set[str] = set()
    strata = tuple(_check_stratum(spec, index, seen) for index, spec in enumerate(strata_spec))
    drawn = _check_drawn_this_year(rules.get("drawn_this_year"), strata)
    return Rules(as_of, per_unit, window, recuse_last, cap, strata, drawn)


def _check_drawn_this_year(value: Any, strata: tuple[Stratum, ...]) -> dict[str, list[str]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _rule_error(
            "drawn_this_year",
            "应为 JSON 对象：按年配额的分层代码 → 本年度此前各次抽取中该分层抽中的单位编号列表",
            "must be a JSON object: the code of a stratum with a yearly quota → the ids of the units "
            "it drew in the earlier draws of the year",
        )
    yearly = {stratum.code for stratum in strata if stratum.per == "year"}
    drawn: dict[str, list[str]] = {}
    for code, ids in value.items():
        field = f"drawn_this_year.{code}"
        if code not in yearly:
            raise _rule_error(
                field,
                f"{code!r} 不是按年配额（\"per\": \"year\"）的分层代码",
                f"{code!r} is not the code of a stratum with a yearly quota (\"per\": \"year\")",
            )
        texts = [_id_text(ident) for ident in _check_id_list(ids, field, "rules", None)]
        seen: set[str] = set()
        for position, text in enumerate(texts):
            if text in seen:
                raise _rule_error(
                    f"{field}[{position}]", f"单位 {text} 重复列出", f"unit {text} is listed twice"
                )
            seen.add(text)
        drawn[code] = texts
    return drawn


# --------------------------------------------------------------------------- directories


@dataclass
class _Inspector:
    text: str
    id: Any
    available: bool
    conflicts: list
    relatives: list


def _check_inspectors(inspectors: Any) -> tuple[list[_Inspector], str]:
    """Validate the inspector directory: (records in id-text order, digest)."""
    if not isinstance(inspectors, list):
        raise DrawError(
            "",
            "检查人员名录应为 JSON 数组",
            "the inspector directory must be a JSON list",
            source="inspectors",
        )
    first_of: dict[str, int] = {}
    records: dict[str, _Inspector] = {}
    rows: dict[str, tuple] = {}
    for index, record in enumerate(inspectors):
        text = _record_id(record, index, "inspectors", "检查人员", "inspector")
        if text in first_of:
            raise _duplicate(text, first_of[text], index, "inspectors", "检查人员", "inspector")
        first_of[text] = index
        name = _check_optional_str(record.get("name"), "name", "inspectors", text)
        agency = _check_optional_str(record.get("agency"), "agency", "inspectors", text)
        available = _check_bool(record.get("available", True), "available", "inspectors", text)
        conflicts = _check_id_list(record.get("conflicts"), "conflicts", "inspectors", text)
        relatives = _check_id_list(record.get("relatives_units"), "relatives_units", "inspectors", text)
        records[text] = _Inspector(text, record["id"], available, conflicts, relatives)
        rows[text] = (
            record["id"],
            name,
            agency,
            available,
            record.get("conflicts"),
            record.get("relatives_units"),
        )
    order = sorted(records)
    digest = _rows_sha256([rows[text] for text in order], "inspectors", INSPECTOR_FIELDS)
    return [records[text] for text in order], digest


@dataclass
class _Units:
    rows: list[tuple]  # one tuple of UNIT_FIELDS per unit, in id-text order
    texts: list[str]  # the id texts, same order
    eligible: list[list[int]]  # per stratum: indices into rows of the eligible units, in id-text order
    pool: list[int]
    recent: list[int]  # per stratum: units excluded as inspected_recently
    repeat: list[int]  # per stratum: units excluded as drawn_this_year
    unstratified: int
    digest: str


def _unit_rows(units: list) -> list[tuple]:
    try:
        return list(map(_UNIT_ROW, units))  # the common case: every field present
    except (KeyError, TypeError):
        pass
    rows = []
    for index, unit in enumerate(units):
        try:
            rows.append(_UNIT_ROW(unit))
        except (KeyError, TypeError):
            _record_id(unit, index, "units", "单位", "unit")  # raises for a non-object or a missing id
            defaults = zip(UNIT_FIELDS, UNIT_DEFAULTS, strict=True)
            rows.append(tuple(unit.get(field, default) for field, default in defaults))
    return rows


_COLUMN = [itemgetter(i) for i in range(len(UNIT_FIELDS))]


def _columns_ok(rows: list[tuple], dates: set) -> bool:
    """Type checks over whole columns at C speed; False sends the caller to the slow, naming path.

    Regions and place types are checked on their distinct values (an unhashable one raises
    TypeError, which the caller treats the same way).
    """
    if any(set(map(type, map(_COLUMN[i], rows))) - {bool} for i in (1, 2, 3)):
        return False
    for i in (4, 5):
        if any(not (v is None or type(v) is str) for v in set(map(_COLUMN[i], rows))):
            return False
    if any(v is not None and _parse_date(v) is None for v in dates):
        return False
    lists = list(map(_COLUMN[7], rows))
    if set(map(type, lists)) - {list, type(None)}:
        return False
    ids = list(chain.from_iterable(filter(None, lists)))
    return not (set(map(type, ids)) - {str, int}) and "" not in ids


class _Irregular(Exception):
    """A unit the column checks cannot accept; the record-by-record pass will name the problem."""


class _StratumOf(dict):
    """Memo: the signature fields some filter reads → 2 × the index of the first matching stratum, or
    -2 when none matches. Keys hold only the fields read, so most directories need a handful."""

    def __init__(self, strata: tuple[Stratum, ...]):
        super().__init__()
        self.strata = strata
        self.reads = sorted(set().union(*(stratum.reads for stratum in strata)))
        # One field gives a bare value, several a tuple, none a constant key.
        self.key = itemgetter(*(1 + position for position in self.reads)) if self.reads else None

    def __missing__(self, key: Any) -> int:
        values = key if len(self.reads) > 1 else (key,) if self.reads else ()
        signature: list[Any] = [None] * 5
        for position, value in zip(self.reads, values, strict=True):
            signature[position] = value
        found = next((2 * i for i, s in enumerate(self.strata) if s.match(tuple(signature))), -2)
        self[key] = found
        return found

    def codes(self, rows: list[tuple]) -> list[int]:
        if self.key is None:
            return [self[None]] * len(rows)
        return list(map(self.__getitem__, map(self.key, rows)))


def _scan_units(units: Any, rules: Rules) -> _Units:
    """Validate the unit directory, put it in id-text order, stratify it and apply the exclusion.

    The work is done on whole columns with C-level builtins (map, set, sorted) rather than unit by
    unit in Python. Any irregularity hands over to a record-by-record pass that names the culprit.
    """
    if not isinstance(units, list):
        raise DrawError(
            "", "单位名录应为 JSON 数组", "the unit directory must be a JSON list", source="units"
        )
    rows = _unit_rows(units)
    n = len(rows)
    ids = list(map(_FIRST, rows))
    id_types = set(map(type, ids))
    if id_types - {str, int} or "" in ids:
        _diagnose_units(units)
    if id_types == {str} and all(map(lt, ids, islice(ids, 1, None))):
        texts = ids  # already in id-text order, hence without duplicates (an export's usual order)
    else:
        if id_types == {str}:
            rows.sort(key=_FIRST)
            texts = list(map(_FIRST, rows))
        else:
            unsorted = [v if v.__class__ is str else str(v) for v in ids]
            order = sorted(range(n), key=unsorted.__getitem__)
            rows = [rows[i] for i in order]
            texts = [unsorted[i] for i in order]
        if any(map(eq, texts, islice(texts, 1, None))):
            _diagnose_units(units)  # a duplicate id, reported with both record numbers
    last_inspected = list(map(_COLUMN[6], rows))
    try:
        dates = set(last_inspected)
        if not _columns_ok(rows, dates):
            raise _Irregular
        # Code of each unit: 2·s when eligible in stratum s, 2·s + 1 when excluded from it, -2 or -1
        # when in no stratum. A stable sort by code then lists each stratum's units in id-text order.
        codes = _StratumOf(rules.strata).codes(rows)
    except (_Irregular, TypeError):  # TypeError: an unhashable value (a list…) where a string belongs
        _diagnose_units(units)
    recent_after = rules.recent_after
    if recent_after is not None:
        recent = {d: d is not None and d > recent_after for d in dates}
        codes = list(map(add, codes, map(recent.__getitem__, last_inspected)))
    counts = Counter(codes)
    order = sorted(range(n), key=codes.__getitem__)
    start = counts[-2] + counts[-1]
    eligible: list[list[int]] = []
    for stratum in range(len(rules.strata)):
        size = counts[2 * stratum]
        eligible.append(order[start : start + size])
        start += size + counts[2 * stratum + 1]
    recent = [counts[2 * stratum + 1] for stratum in range(len(rules.strata))]
    pool = [len(group) + out for group, out in zip(eligible, recent, strict=True)]
    repeat = [0] * len(rules.strata)
    for stratum, spec in enumerate(rules.strata):
        listed = rules.drawn_this_year.get(spec.code)
        if listed:
            repeat[stratum], recent[stratum], eligible[stratum] = _exclude_drawn(
                listed, texts, codes, stratum, recent[stratum], eligible[stratum]
            )
    digest = _rows_sha256(rows, "units", UNIT_FIELDS)
    return _Units(rows, texts, eligible, pool, recent, repeat, n - sum(pool), digest)


def _exclude_drawn(
    listed: list[str], texts: list[str], codes: list[int], stratum: int, recent: int, eligible: list[int]
) -> tuple[int, int, list[int]]:
    """Step 3 for a yearly stratum: (units excluded as drawn_this_year, units still excluded as
    inspected_recently, the eligible units left). ``codes`` are _scan_units' codes, in row order."""
    n = len(texts)
    hits: set[int] = set()
    for text in listed:
        index = bisect_left(texts, text)
        if index < n and texts[index] == text and codes[index] >> 1 == stratum:
            hits.add(index)
            recent -= codes[index] & 1  # excluded for both reasons: counted as drawn_this_year
    if hits:
        eligible = [index for index in eligible if index not in hits]
    return len(hits), recent, eligible


# --------------------------------------------------------------------------- the draw


class _Teams:
    """Step 8: the least-loaded candidate, ties broken by the cyclic distance from a random start.

    Each load level keeps its positions in a sorted list, so the first candidate at or after the
    start is a binary search away; only recused or already chosen positions make it look further,
    and they are few.
    """

    def __init__(self, starts: list[int], available: int, per_unit: int, cap: int | None):
        self.starts = starts
        self.m = available
        self.k = per_unit
        self.cap = cap
        self.load = [0] * available
        self.levels: dict[int, list[int]] = {0: list(range(available))} if available else {}
        self.level_keys = sorted(self.levels)  # the levels present, ascending

    def team(self, number: int, recused: set[int]) -> list[int] | None:
        """The team of the unit numbered ``number`` (1-based) in assignment order, or None when it
        cannot be formed. ``recused`` holds the recused positions."""
        m, k, levels = self.m, self.k, self.levels
        if not m:
            return None
        base = (number - 1) * k
        team: list[int] = []
        for start in self.starts[base : base + k]:
            start %= m
            for level in self.level_keys:
                members = levels[level]
                size = len(members)
                first = bisect_left(members, start)
                found = members[first if first < size else 0]
                if found in recused or found in team:
                    for step in range(first + 1, first + size):
                        found = members[step % size]
                        if found not in recused and found not in team:
                            break
                    else:
                        continue  # every position of this level is taken: try the next level
                break
            else:
                return None
            team.append(found)
        load, cap, keys = self.load, self.cap, self.level_keys
        for position in team:
            level = load[position]
            members = levels[level]
            del members[bisect_left(members, position)]
            if not members:
                del levels[level]
                keys.remove(level)
            level += 1
            load[position] = level
            if cap is None or level < cap:
                if level in levels:
                    insort(levels[level], position)
                else:
                    levels[level] = [position]
                    insort(keys, level)
        return team

    def candidates(self, recused: set[int]) -> int:
        """How many inspectors a unit could still get (for a shortfall record)."""
        return sum(1 for members in self.levels.values() for position in members if position not in recused)


def _reason(kind: str, **facts: Any) -> tuple[str, str]:
    if kind == "quota":
        return (
            f"分层 {facts['stratum']} 可抽单位 {facts['eligible']} 个，少于抽取数量 {facts['quota']}",
            f"stratum {facts['stratum']} has {facts['eligible']} eligible units, fewer than its quota "
            f"of {facts['quota']}",
        )
    return (
        f"单位 {facts['unit']} 需要 {facts['needed']} 名检查人员，除去回避、不可用和已达负荷上限者后仅有 "
        f"{facts['found']} 名",
        f"unit {facts['unit']} needs {facts['needed']} inspectors; only {facts['found']} are available, "
        f"not recused and under the load limit",
    )


def draw(seed: bytes, units: list[dict], inspectors: list[dict], rules: dict) -> dict[str, Any]:
    """Run draw ``firegov-draw/1`` (see the module docstring) and return the JSON-serialisable result.

    Raises DrawError for an invalid seed, directory record or rule. The cyclic garbage collector is
    paused meanwhile: the draw allocates hundreds of thousands of small objects and frees none.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _draw(seed, units, inspectors, rules)
    finally:
        if was_enabled:
            gc.enable()


def _declared_recusals(inspectors: list[_Inspector]) -> dict[str, list[tuple[str, str]]]:
    """Unit id text → [(inspector id text, kind)] from the inspectors' declarations."""
    declared: dict[str, list[tuple[str, str]]] = {}
    for record in inspectors:
        for kind, targets in (("conflict", record.conflicts), ("relative", record.relatives)):
            for target in targets:
                declared.setdefault(_id_text(target), []).append((record.text, kind))
    return declared


def inputs_sha256(units: list[dict], inspectors: list[dict], rules: dict) -> dict[str, str]:
    """The input digests a draw on these inputs reports, computed without a seed, to be published
    before the draw. Raises DrawError for invalid input, as :func:`draw` does."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _checked_inputs(units, inspectors, rules)[3]
    finally:
        if was_enabled:
            gc.enable()


def _checked_inputs(
    units: list[dict], inspectors: list[dict], rules: dict
) -> tuple[Rules, list[_Inspector], _Units, dict[str, str]]:
    checked = check_rules(rules)
    directory, inspectors_digest = _check_inspectors(inspectors)
    scan = _scan_units(units, checked)
    digests = {"units": scan.digest, "inspectors": inspectors_digest, "rules": _rules_sha256(rules)}
    return checked, directory, scan, digests


def _stratum_summary(
    stratum: Stratum, rules: Rules, pool: int, recent: int, repeat: int, eligible: int, quota: int, drawn: int
) -> dict[str, Any]:
    if stratum.per == "month":  # exactly the summary of draws made before yearly quotas existed
        return {
            "code": stratum.code,
            "label": stratum.label,
            "pool": pool,
            "excluded": recent,
            "exclusions": {"inspected_recently": recent},
            "eligible": eligible,
            "quota": quota,
            "drawn": drawn,
        }
    return {
        "code": stratum.code,
        "label": stratum.label,
        "per": stratum.per,
        "pool": pool,
        "excluded": recent + repeat,
        "exclusions": {"inspected_recently": recent, "drawn_this_year": repeat},
        "eligible": eligible,
        "year_quota": stratum.quota(pool),
        "drawn_before": len(rules.drawn_this_year.get(stratum.code, ())),
        "months_left": rules.months_left,
        "quota": quota,
        "drawn": drawn,
    }


def _draw(seed: bytes, units: list[dict], inspectors: list[dict], rules: dict) -> dict[str, Any]:
    seed = _check_seed(seed)
    checked, directory, scan, digests = _checked_inputs(units, inspectors, rules)

    # Steps 4 and 5: the quota and the targets of each stratum.
    strata_out: list[dict[str, Any]] = []
    shortfalls: list[dict[str, Any]] = []
    picks: list[tuple[str, list[int]]] = []
    for stratum, eligible, pool, recent, repeat in zip(
        checked.strata, scan.eligible, scan.pool, scan.recent, scan.repeat, strict=True
    ):
        quota = checked.this_quota(stratum, pool)
        chosen = _smallest(random_sequence(seed, "units", stratum.code, len(eligible)), quota)
        picks.append((stratum.code, [eligible[i] for i in chosen]))
        strata_out.append(
            _stratum_summary(stratum, checked, pool, recent, repeat, len(eligible), quota, len(chosen))
        )
        if len(eligible) < quota:
            zh, en = _reason("quota", stratum=stratum.code, eligible=len(eligible), quota=quota)
            shortfalls.append(
                {
                    "kind": "quota",
                    "stratum": stratum.code,
                    "quota": quota,
                    "eligible": len(eligible),
                    "missing": quota - len(eligible),
                    "reason_zh": zh,
                    "reason_en": en,
                }
            )

    # Step 6: the inspectors' positions.
    available = [record for record in directory if record.available]
    ranks = random_sequence(seed, "inspectors", "", len(available))
    ordered = [available[i] for i in sorted(range(len(available)), key=ranks.__getitem__)]
    position_of = {record.text: p for p, record in enumerate(ordered)}
    by_text = {record.text: record for record in directory}
    declared = _declared_recusals(directory)

    # Steps 7 and 8: recusals and teams, unit by unit in assignment order.
    k = checked.inspectors_per_unit
    total = sum(len(drawn) for _, drawn in picks)
    starts = random_sequence(seed, "slots", "", total * k)
    teams = _Teams(starts, len(ordered), k, checked.max_units_per_inspector)
    recusals = dict.fromkeys(RECUSAL_KINDS, 0)
    recuse_last = checked.recuse_last_inspectors
    ordered_ids = [record.id for record in ordered]
    rows, texts = scan.rows, scan.texts
    assignments: list[dict[str, Any]] = []
    for code, drawn in picks:
        for index in drawn:
            row, text = rows[index], texts[index]
            declared_here = declared.get(text)
            last = row[7] if recuse_last else None
            if declared_here is None:
                if last:  # the common case: only the last inspectors are recused
                    listed = {ident if ident.__class__ is str else str(ident) for ident in last}
                    recused_texts = sorted([t for t in listed if t in by_text])
                    recusals["last_inspector"] += len(recused_texts)
                else:
                    recused_texts = []
            else:
                pairs = set(declared_here)  # (inspector id text, kind)
                for ident in last or ():
                    inspector = ident if ident.__class__ is str else str(ident)
                    if inspector in by_text:
                        pairs.add((inspector, "last_inspector"))
                for _, kind in pairs:
                    recusals[kind] += 1
                recused_texts = sorted({inspector for inspector, _ in pairs})
            recused = {position_of[t] for t in recused_texts if t in position_of}
            number = len(assignments) + 1
            team = teams.team(number, recused)
            if team is None:
                found = teams.candidates(recused)
                zh, en = _reason("inspectors", unit=text, needed=k, found=found)
                shortfalls.append(
                    {
                        "kind": "inspectors",
                        "unit": row[0],
                        "stratum": code,
                        "needed": k,
                        "found": found,
                        "reason_zh": zh,
                        "reason_en": en,
                    }
                )
            assignments.append(
                {
                    "order": number,
                    "unit": row[0],
                    "stratum": code,
                    "inspectors": [ordered_ids[p] for p in team] if team else [],
                    "recused": [by_text[t].id for t in recused_texts],
                }
            )

    loads = teams.load
    exclusions = {"inspected_recently": sum(scan.recent)}
    if any(stratum.per == "year" for stratum in checked.strata):
        exclusions["drawn_this_year"] = sum(scan.repeat)
    return {
        "algorithm": ALGORITHM,
        "as_of": checked.as_of.isoformat(),
        "seed_sha256": hashlib.sha256(seed).hexdigest(),
        "seed": seed.hex(),
        "inputs_sha256": digests,
        "inspectors_per_unit": k,
        "counts": {
            "units": len(scan.rows),
            "unstratified": scan.unstratified,
            "inspectors": len(directory),
            "available_inspectors": len(ordered),
        },
        "strata": strata_out,
        "exclusions": exclusions,
        "recusals": recusals,
        "load": {
            "max_units_per_inspector": checked.max_units_per_inspector,
            "inspectors_used": sum(1 for n in loads if n),
            "min": min(loads, default=0),
            "max": max(loads, default=0),
        },
        "assignments": assignments,
        "shortfalls": shortfalls,
    }


# --------------------------------------------------------------------------- verification

_INPUT_NAMES = {
    "units": ("单位名录", "unit directory"),
    "inspectors": ("检查人员名录", "inspector directory"),
    "rules": ("抽查规则", "rules"),
}
# Result fields compared one by one after a re-run; the others get their own, more precise checks.
_SEPARATELY_CHECKED = frozenset({"algorithm", "seed", "seed_sha256", "inputs_sha256", "assignments"})


def _problem(code: str, field: str, zh: str, en: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "field": field, "message_zh": zh, "message_en": en, **extra}


def _short(value: Any, limit: int = 200) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[:limit] + "…"


def _compare_assignments(recorded: Any, expected: list[dict]) -> list[dict[str, Any]]:
    if not isinstance(recorded, list):
        return [
            _problem(
                "assignment",
                "assignments",
                "抽取结果中的 assignments 应为列表",
                "assignments must be a list in the result",
            )
        ]
    problems: list[dict[str, Any]] = []
    by_unit: dict[str, dict] = {}
    for position, item in enumerate(recorded):
        text = _id_text(item.get("unit")) if isinstance(item, dict) else None
        if text is None or text in by_unit:
            what_zh = "重复出现" if text is not None else "格式无效"
            what_en = "appears twice" if text is not None else "is malformed"
            problems.append(
                _problem(
                    "assignment",
                    f"assignments[{position}]",
                    f"第 {position + 1} 条分配{what_zh}",
                    f"assignment #{position + 1} {what_en}",
                )
            )
            continue
        by_unit[text] = item
    expected_texts = set()
    for wanted in expected:
        text = _id_text(wanted["unit"])
        expected_texts.add(text)
        got = by_unit.get(text)
        field = f"assignments[unit={text}]"
        if got is None:
            problems.append(
                _problem(
                    "assignment_missing",
                    field,
                    f"单位 {text} 应被抽中，但结果中没有",
                    f"unit {text} should have been drawn but is missing",
                    unit=wanted["unit"],
                )
            )
        elif got != wanted:
            keys = sorted(k for k in set(got) | set(wanted) if got.get(k) != wanted.get(k))
            detail = "; ".join(f"{k}: {_short(got.get(k))} ≠ {_short(wanted.get(k))}" for k in keys)
            problems.append(
                _problem(
                    "assignment",
                    field,
                    f"单位 {text} 的分配与重算结果不同（记录 ≠ 重算：{detail}）",
                    f"the assignment of unit {text} differs from the re-run (recorded ≠ expected: {detail})",
                    unit=wanted["unit"],
                )
            )
    for text, item in by_unit.items():
        if text not in expected_texts:
            problems.append(
                _problem(
                    "assignment_extra",
                    f"assignments[unit={text}]",
                    f"单位 {text} 不应被抽中",
                    f"unit {text} should not have been drawn",
                    unit=item.get("unit"),
                )
            )
    if len(problems) > MAX_PROBLEMS_LISTED:
        more = len(problems) - MAX_PROBLEMS_LISTED
        problems = problems[:MAX_PROBLEMS_LISTED]
        problems.append(
            _problem(
                "assignment", "assignments", f"另有 {more} 处分配不一致", f"{more} more assignments differ"
            )
        )
    return problems


def _check_published(published: Any, result: dict, digests: dict[str, str]) -> list[dict[str, Any]]:
    """Problems with the result's seed commitment and inputs against what was published beforehand."""
    if not isinstance(published, dict) or not isinstance(published.get("inputs_sha256", {}), dict):
        return [
            _problem(
                "format",
                "published",
                "抽取前公布的承诺应为 JSON 对象（seed_sha256、inputs_sha256）",
                "what was published before the draw must be a JSON object (seed_sha256, inputs_sha256)",
            )
        ]
    problems = []
    if "seed_sha256" in published and published["seed_sha256"] != result.get("seed_sha256"):
        problems.append(
            _problem(
                "published",
                "published.seed_sha256",
                "抽取结果中的种子承诺值与抽取前公布的不同",
                "the seed commitment in the result differs from the one published before the draw",
            )
        )
    for name, given in published.get("inputs_sha256", {}).items():
        if name not in _INPUT_NAMES or given == digests[name]:
            continue
        zh, en = _INPUT_NAMES[name]
        problems.append(
            _problem(
                "published",
                f"published.inputs_sha256.{name}",
                f"{zh}在抽取前公布摘要之后被改动过（公布的摘要 {str(given)[:16]}…，现在为 "
                f"{digests[name][:16]}…）",
                f"the {en} was changed after its digest was published before the draw (published "
                f"{str(given)[:16]}…, now {digests[name][:16]}…)",
                source=name,
            )
        )
    return problems


def verify(
    result: Any, units: list[dict], inspectors: list[dict], rules: dict, published: Any = None
) -> dict[str, Any]:
    """Check a published draw against the published inputs.

    Returns ``{"ok": bool, "algorithm": ..., "problems": [{"code", "field", "message_zh",
    "message_en", …}]}``. Codes: ``format`` and ``algorithm`` (the result cannot be read), ``seed``
    (the revealed seed is unusable), ``commitment`` (the seed does not hash to ``seed_sha256``),
    ``input`` (an input is invalid; ``source`` names it), ``inputs_sha256`` (a directory or the rules
    differ from those the draw used), ``assignment``, ``assignment_missing``, ``assignment_extra``
    (the re-run gives other assignments; ``unit`` names the unit) and ``mismatch`` (any other
    recorded field differs from the re-run).

    ``published``, when given, is what was published before the draw: an object with the seed's
    ``seed_sha256`` and the inputs' ``inputs_sha256`` (either may be missing, and so may any of the
    three digests). Code ``published``: the result's commitment, or an input (``source`` names it),
    differs from what was published, i.e. the input was changed after it was frozen.
    """
    problems: list[dict[str, Any]] = []
    report = {"ok": False, "algorithm": ALGORITHM, "problems": problems}
    if not isinstance(result, dict):
        problems.append(
            _problem("format", "result", "抽取结果应为 JSON 对象", "the result must be a JSON object")
        )
        return report
    if result.get("algorithm") != ALGORITHM:
        given = result.get("algorithm")
        problems.append(
            _problem(
                "algorithm",
                "algorithm",
                f"不支持的算法 {given!r}（应为 {ALGORITHM}）",
                f"unsupported algorithm {given!r} (expected {ALGORITHM})",
            )
        )
        return report
    try:
        seed = parse_seed(result.get("seed"))
    except DrawError as exc:
        problems.append(
            _problem(
                "seed",
                "seed",
                f"公开的种子无效：{exc.message_zh}",
                f"the revealed seed is unusable: {exc.message_en}",
            )
        )
        return report
    if hashlib.sha256(seed).hexdigest() != result.get("seed_sha256"):
        problems.append(
            _problem(
                "commitment",
                "seed_sha256",
                "公开的种子与事先公布的承诺值（SHA-256）不符",
                "the revealed seed does not hash to the published commitment (SHA-256)",
            )
        )
    try:
        expected = draw(seed, units, inspectors, rules)
    except DrawError as exc:
        problems.append(_problem("input", exc.where, exc.message_zh, exc.message_en, source=exc.source))
        return report
    recorded_inputs = result.get("inputs_sha256")
    recorded_inputs = recorded_inputs if isinstance(recorded_inputs, dict) else {}
    for name, (zh, en) in _INPUT_NAMES.items():
        if recorded_inputs.get(name) != expected["inputs_sha256"][name]:
            problems.append(
                _problem(
                    "inputs_sha256",
                    f"inputs_sha256.{name}",
                    f"{zh}与抽取时所用的不一致（摘要不符）",
                    f"the {en} differs from the one the draw used (digest mismatch)",
                    source=name,
                )
            )
    if published is not None:
        problems.extend(_check_published(published, result, expected["inputs_sha256"]))
    problems.extend(_compare_assignments(result.get("assignments"), expected["assignments"]))
    for key in sorted(set(result) | set(expected)):
        if key in _SEPARATELY_CHECKED or result.get(key) == expected.get(key):
            continue
        problems.append(
            _problem(
                "mismatch",
                key,
                f"字段 {key} 与重算结果不同（记录 {_short(result.get(key))}，"
                f"重算 {_short(expected.get(key))}）",
                f"field {key} differs from the re-run (recorded {_short(result.get(key))}, "
                f"expected {_short(expected.get(key))})",
            )
        )
    report["ok"] = not problems
    return report
