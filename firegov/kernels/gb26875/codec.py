"""GB/T 26875.3-2011 frame and ADU codec (报警传输网络通信协议).

Decoding follows ``shared/reference/gb26875/protocol.md`` §11: :func:`decode_frame` turns the bytes of
one frame into a :class:`Frame` whose :meth:`Frame.as_json` is exactly the decoder output schema, and
raises :class:`CodecError` with the schema's error code (checked in the §11.6 order) otherwise.
:func:`decode_adu` decodes an application data unit alone. :func:`encode_frame`, :func:`encode_adu`
and :func:`reply` build frames. :class:`CodecError` is the only exception any of them raises, whatever
the input.

Decoded objects are plain dicts keyed as in the schema: times are ``"YYYY-MM-DDTHH:MM:SS"`` strings
printed from the binary time tag without calendar checks, descriptions are GB 18030 text with trailing
NUL/space padding removed, ``flags`` names the bits that are 1. The encoder accepts the same dicts
(``flags`` is ignored when ``status``/``op`` is given, and turned back into the number otherwise).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from firegov.kernels.gb26875 import tables

PROTOCOL = tables.load()

START = b"@@"
END = b"##"
HEADER_SIZE = 27  # start marker .. command byte
OVERHEAD = 30  # header + checksum + end marker
MAX_ADU = PROTOCOL.max_adu
MAX_ADDRESS = (1 << 48) - 1

#: Error codes of rejected frames (§11.6), plus ``value`` for values the encoder cannot put on the wire.
ERROR_CODES = ("start_marker", "truncated", "adu_length", "end_marker", "checksum", "command", "value")

_HEADER = struct.Struct("<HBB6s6s6sHB")  # serial, version, time, source, destination, L, command
_TIME_TEXT = re.compile(r"(\d{4})-(\d{2,3})-(\d{2,3})T(\d{2,3}):(\d{2,3}):(\d{2,3})")


class CodecError(ValueError):
    """Why a frame or an ADU was rejected, or why a value cannot be encoded.

    ``code`` is one of :data:`ERROR_CODES`; ``message`` says more in English.
    """

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


# --- time tags (§8.2.2, Fig. 17) ---------------------------------------------------------------------

@lru_cache(maxsize=4096)  # a device's frames and their objects share the second they were sent in
def format_time(tag: bytes) -> str:
    """A 6-byte binary time tag (s, min, h, d, mon, y) as ``YYYY-MM-DDTHH:MM:SS``, unchecked (§11.4)."""
    s, mi, h, d, mo, y = tag
    return f"{2000 + y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}"


def time_tag(value: Any) -> bytes:
    """The 6 wire bytes of a time given as a datetime, a §11.4 string or 6 bytes."""
    if isinstance(value, (bytes, bytearray)) and len(value) == 6:
        return bytes(value)
    if isinstance(value, datetime):
        if not 2000 <= value.year <= 2255:
            raise CodecError("value", f"year {value.year} cannot be sent (2000-2255)")
        return bytes((value.second, value.minute, value.hour, value.day, value.month, value.year - 2000))
    if isinstance(value, str):
        match = _TIME_TEXT.fullmatch(value)
        if match:
            y, mo, d, h, mi, s = (int(part) for part in match.groups())
            fields = (s, mi, h, d, mo, y - 2000)
            if all(0 <= f <= 255 for f in fields):
                return bytes(fields)
    raise CodecError("value", f"not a time tag: {value!r}")


@lru_cache(maxsize=4096)
def parse_time(text: str) -> datetime | None:
    """A decoded time string as a naive datetime, or None when the device sent an impossible date."""
    # Exactly what format_time writes; fromisoformat takes more (and, on newer Pythons, hour 24).
    if len(text) != 19 or text[10] != "T" or text[11:13] >= "24":
        return None
    try:
        moment = datetime.fromisoformat(text)  # strptime costs ten times as much, on every frame
    except ValueError:
        return None
    return moment if moment.tzinfo is None else None


# --- text (§4.4) ----------------------------------------------------------------------------------------

def decode_text(raw: bytes) -> str:
    """Trailing NUL and space bytes removed, the rest decoded as GB 18030 with U+FFFD for bad bytes."""
    return raw.rstrip(b"\x00 ").decode("gb18030", errors="replace")


def encode_text(text: Any, size: int | None = None) -> bytes:
    if not isinstance(text, str):
        raise CodecError("value", f"description must be text, not {type(text).__name__}")
    try:
        raw = text.encode("gb18030")
    except UnicodeEncodeError as exc:
        raise CodecError("value", f"description cannot be encoded in GB 18030: {exc.reason}") from None
    if size is not None:
        if len(raw) > size:
            raise CodecError("value", f"description is {len(raw)} bytes in GB 18030, at most {size} fit")
        raw = raw.ljust(size, b"\x00")
    return raw


# --- frames -----------------------------------------------------------------------------------------------

@dataclass(slots=True)
class Frame:
    """One accepted frame. ``adu`` is None when L = 0, else ``{"type", "objects"[, "raw"]}``."""

    serial: int
    version: tuple[int, int]
    sent_at: str
    source: int
    destination: int
    command: int
    adu_length: int
    adu: dict | None

    @property
    def adu_type(self) -> int | None:
        return None if self.adu is None else self.adu["type"]

    def as_json(self) -> dict:
        """The §11.2 decoder output object."""
        return {
            "ok": True, "serial": self.serial, "version": list(self.version), "sent_at": self.sent_at,
            "source": self.source, "destination": self.destination, "command": self.command,
            "adu_length": self.adu_length, "adu": self.adu,
        }


def checksum(data: bytes | bytearray | memoryview) -> int:
    """Arithmetic sum modulo 256 (§6.6 Table 1: 校验和)."""
    return sum(data) & 0xFF


def decode_frame(data: bytes | bytearray | memoryview) -> Frame:
    """Decode one whole frame; raise :class:`CodecError` with the first failed §11.6 check."""
    data = bytes(data)
    size = len(data)
    if size == 0 or data[0] != 0x40 or (size > 1 and data[1] != 0x40):
        raise CodecError("start_marker", "a frame starts with 40 40")
    if size < HEADER_SIZE:
        raise CodecError("truncated", f"{size} bytes, the header alone is {HEADER_SIZE}")
    serial, main, user, sent, src, dst, length, command = _HEADER.unpack_from(data, 2)
    if length > MAX_ADU:
        raise CodecError("adu_length", f"ADU length {length} is over {MAX_ADU}")
    if size < OVERHEAD + length:
        raise CodecError("truncated", f"{size} bytes, the length field asks for {OVERHEAD + length}")
    if size > OVERHEAD + length:
        raise CodecError("adu_length", f"{size} bytes, the length field says {OVERHEAD + length}")
    if data[-2:] != END:
        raise CodecError("end_marker", "a frame ends with 23 23")
    if checksum(data[2:27 + length]) != data[27 + length]:
        raise CodecError("checksum", "the checksum does not match")
    if not 1 <= command <= 6:
        raise CodecError("command", f"command byte {command} is not recognised")
    adu = decode_adu(data[27:27 + length]) if length else None
    return Frame(serial, (main, user), format_time(sent), int.from_bytes(src, "little"),
                 int.from_bytes(dst, "little"), command, length, adu)


def decode_result(data: bytes | bytearray | memoryview) -> dict:
    """The §11 output object for one input: the frame's, or ``{"ok": false, "error": code}``."""
    try:
        return decode_frame(data).as_json()
    except CodecError as exc:
        return {"ok": False, "error": exc.code}


def header(data: bytes | bytearray | memoryview) -> dict | None:
    """Serial, version and addresses of a (possibly bad) frame whose 27-byte header is readable."""
    if len(data) < HEADER_SIZE or data[0] != 0x40 or data[1] != 0x40:
        return None
    serial, main, user, _, src, dst, length, command = _HEADER.unpack_from(bytes(data[:HEADER_SIZE]), 2)
    return {"serial": serial, "version": (main, user), "source": int.from_bytes(src, "little"),
            "destination": int.from_bytes(dst, "little"), "adu_length": length, "command": command}


# --- application data units (§7, §8) ----------------------------------------------------------------

def _object(layout: tables.Layout, row: tuple) -> dict:
    obj: dict[str, Any] = {}
    for key, fmt, value in zip(layout.keys, layout.formats, row, strict=True):
        if fmt == "time":
            value = format_time(value)
        elif fmt == "text31":
            value = decode_text(value)
        obj[key] = value
        if key == layout.flag_field:
            obj["flags"] = tables.flag_names(layout.flag_table, value)
    return obj


def _variable_objects(layout: tables.Layout, body: bytes, count: int) -> list[dict]:
    """Types 6 and 26: fixed u8 fields, a length byte, then that many text bytes; must fill the ADU."""
    prefix = len(layout.keys) - 1  # every key before the text, the length byte included
    objects, pos = [], 0
    for _ in range(count):
        if pos + prefix > len(body):
            raise CodecError("adu_length", f"type {layout.type}: object {len(objects) + 1} is cut short")
        values = body[pos:pos + prefix]
        text_len = values[-1]
        pos += prefix
        if pos + text_len > len(body):
            raise CodecError("adu_length", f"type {layout.type}: text of object {len(objects) + 1} is cut short")
        obj = dict(zip(layout.keys[:-1], values, strict=True))
        obj["desc"] = decode_text(body[pos:pos + text_len])
        pos += text_len
        objects.append(obj)
    if pos != len(body):
        raise CodecError("adu_length", f"type {layout.type}: {len(body) - pos} bytes after the last object")
    return objects


def decode_adu(data: bytes | bytearray | memoryview) -> dict:
    """Decode an ADU (type flag, count, objects); raise ``CodecError("adu_length")`` when it does not fit."""
    data = bytes(data)
    if not data:
        raise CodecError("adu_length", "an ADU has at least a type flag")
    kind = data[0]
    layout = PROTOCOL.layouts.get(kind)
    if layout is None:
        return {"type": kind, "objects": [], "raw": data[1:].hex()}
    if len(data) < 2:
        raise CodecError("adu_length", f"type {kind}: no object count")
    count = data[1]
    body = data[2:]
    if layout.struct is None:
        return {"type": kind, "objects": _variable_objects(layout, body, count)}
    if len(body) != count * layout.struct.size:
        raise CodecError(
            "adu_length", f"type {kind}: {count} objects of {layout.struct.size} bytes need {2 + count * layout.struct.size}, "
            f"the ADU has {len(data)}")
    return {"type": kind, "objects": [_object(layout, row) for row in layout.struct.iter_unpack(body)]}


# --- encoding -----------------------------------------------------------------------------------------

def _int(obj: dict, key: str, fmt: str, where: str) -> int:
    value = obj.get(key)
    if key == "reserved" and value is None:
        value = 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise CodecError("value", f"{where}: '{key}' must be an integer")
    low, high = tables.value_range(fmt)
    if not low <= value <= high:
        raise CodecError("value", f"{where}: '{key}' = {value} is outside {low}..{high}")
    return value


def _bits(layout: tables.Layout, obj: dict, where: str) -> int:
    """The status/op number from ``flags`` when the number itself is not given."""
    flags = obj.get("flags")
    if not isinstance(flags, (list, tuple)):
        raise CodecError("value", f"{where}: give '{layout.flag_field}' or 'flags'")
    value = 0
    for name in flags:
        if isinstance(name, str) and name in layout.flag_table:
            value |= 1 << layout.flag_table.index(name)
        elif isinstance(name, str) and name.startswith("reserved_") and name[9:].isdigit():
            value |= 1 << int(name[9:])
        else:
            raise CodecError("value", f"{where}: unknown flag {name!r}")
    return value


def _encode_object(layout: tables.Layout, obj: Any, where: str) -> bytes:
    if not isinstance(obj, dict):
        raise CodecError("value", f"{where}: an object must be a JSON object")
    if layout.flag_field and layout.flag_field not in obj:
        obj = {**obj, layout.flag_field: _bits(layout, obj, where)}
    if layout.struct is None:  # types 6 and 26: u8 fields, the length byte, then that many text bytes
        text = encode_text(obj.get("desc", ""))
        size = len(text) if obj.get("len") is None else _int(obj, "len", "u8", where)
        if len(text) > size or size > 255:
            raise CodecError("value", f"{where}: description of {len(text)} bytes does not fit 'len' {size}")
        head = [_int(obj, key, fmt, where) for key, fmt in zip(layout.keys[:-2], layout.formats[:-2], strict=True)]
        return bytes([*head, size]) + text.ljust(size, b"\x00")
    parts: list[Any] = []
    for key, fmt in zip(layout.keys, layout.formats, strict=True):
        if fmt == "time":
            parts.append(time_tag(obj.get(key)))
        elif fmt == "text31":
            parts.append(encode_text(obj.get(key, ""), 31))
        else:
            parts.append(_int(obj, key, fmt, where))
    try:
        return layout.struct.pack(*parts)
    except struct.error as exc:  # pragma: no cover - ranges are checked above
        raise CodecError("value", f"{where}: {exc}") from None


def encode_adu(kind: int, objects: Any = (), raw: bytes | str | None = None) -> bytes:
    """Encode an ADU; types without a layout take ``raw`` (the bytes after the type flag)."""
    if isinstance(kind, bool) or not isinstance(kind, int) or not 0 <= kind <= 255:
        raise CodecError("value", f"ADU type must be 0..255, not {kind!r}")
    layout = PROTOCOL.layouts.get(kind)
    if layout is None:
        if isinstance(raw, str):
            try:
                raw = bytes.fromhex(raw)
            except ValueError:
                raise CodecError("value", "'raw' must be hex text") from None
        if not isinstance(raw, (bytes, bytearray)):
            raise CodecError("value", f"type {kind} has no layout: give its bytes as 'raw'")
        data = bytes((kind,)) + bytes(raw)
    else:
        if not isinstance(objects, (list, tuple)) or len(objects) > 255:
            raise CodecError("value", f"type {kind}: 'objects' must be a list of at most 255 objects")
        body = b"".join(_encode_object(layout, obj, f"type {kind} object {i + 1}") for i, obj in enumerate(objects))
        data = bytes((kind, len(objects))) + body
    if len(data) > MAX_ADU:
        raise CodecError("value", f"the ADU is {len(data)} bytes, at most {MAX_ADU} fit in a frame")
    return data


def _adu_bytes(adu: Any) -> bytes:
    if adu is None:
        return b""
    if isinstance(adu, (bytes, bytearray)):
        if len(adu) > MAX_ADU:
            raise CodecError("value", f"the ADU is {len(adu)} bytes, at most {MAX_ADU} fit in a frame")
        return bytes(adu)
    if isinstance(adu, dict):
        return encode_adu(adu.get("type"), adu.get("objects", ()), adu.get("raw"))
    raise CodecError("value", "the ADU must be bytes, a decoded ADU object or None")


def _u(value: Any, bits: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < (1 << bits):
        raise CodecError("value", f"{name} must be an integer in 0..{(1 << bits) - 1}, not {value!r}")
    return value


def encode_frame(*, serial: int, command: int, source: int, destination: int, sent_at: Any,
                 adu: Any = None, version: tuple[int, int] = (1, 1)) -> bytes:
    """A whole frame: header, ADU (bytes, a decoded-ADU dict or None), checksum and end marker."""
    body = _adu_bytes(adu)
    if not isinstance(version, (list, tuple)) or len(version) != 2:
        raise CodecError("value", "version must be a pair of bytes")
    control = struct.pack(
        "<HBB6s6s6sHB", _u(serial, 16, "serial"), _u(version[0], 8, "version"), _u(version[1], 8, "version"),
        time_tag(sent_at), _u(source, 48, "source").to_bytes(6, "little"),
        _u(destination, 48, "destination").to_bytes(6, "little"), len(body), _u(command, 8, "command"))
    return START + control + body + bytes((checksum(control + body),)) + END


def reply(to: Frame | dict, command: int, sent_at: Any, adu: Any = None) -> bytes:
    """Confirm (3), deny (6) or respond (5) to a frame: same serial and version, addresses swapped (§8.3).

    ``to`` is a decoded :class:`Frame` or the :func:`header` of a rejected one.
    """
    if isinstance(to, Frame):
        serial, version, source, destination = to.serial, to.version, to.source, to.destination
    else:
        serial, version, source, destination = to["serial"], to["version"], to["source"], to["destination"]
    return encode_frame(serial=serial, version=version, source=destination, destination=source,
                        command=command, sent_at=sent_at, adu=adu)
