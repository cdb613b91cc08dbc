"""GB/T 26875.3-2011 codec: public conformance vectors, the §11 rules, round trips, deframing and fuzzing.

The vectors and the worked examples are read in place from ``../shared/reference/gb26875/`` (never
copied into the project).
"""

from __future__ import annotations

import io
import json
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firegov.kernels.cli_decode import run_decode
from firegov.kernels.gb26875 import (
    CodecError,
    Deframer,
    Frame,
    Rejected,
    decode_adu,
    decode_frame,
    decode_result,
    encode_adu,
    encode_frame,
    header,
    parse_time,
    reply,
    time_tag,
)
from firegov.kernels.gb26875.codec import PROTOCOL
from firegov.kernels.gb26875.views import (
    address_label,
    address_views,
    analog_in_range,
    component_type_name,
    scale_analog,
)
from tests.conftest import require_service

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "gb26875"
VECTORS = REFERENCE / "vectors_public.json"
PROTOCOL_MD = REFERENCE / "protocol.md"


def _vectors() -> list[dict]:
    return json.loads(VECTORS.read_text(encoding="utf-8")) if VECTORS.exists() else []


def _worked_examples() -> list[tuple[str, dict]]:
    """The rows ``| `hex` | `{json}` |`` of protocol.md §11.6 (synthetic frames with their output)."""
    if not PROTOCOL_MD.exists():
        return []
    rows = re.findall(r"^\| `([0-9a-f]+)`[^|]*\| `(\{.*\})` \|$", PROTOCOL_MD.read_text(encoding="utf-8"), re.M)
    return [(hex_text, json.loads(output)) for hex_text, output in rows]


VECTOR_LIST = _vectors()
FRAME_VECTORS = [v for v in VECTOR_LIST if v["kind"] == "frame"]
ADU_VECTORS = [v for v in VECTOR_LIST if v["kind"] == "adu"]
WORKED = _worked_examples()


@pytest.fixture(autouse=True)
def reference_present():
    require_service(VECTORS.exists() and PROTOCOL_MD.exists(), f"GB/T 26875.3 reference not found at {REFERENCE}")


def cli(argv, stdin_text=""):
    out, err = io.StringIO(), io.StringIO()
    status = run_decode(argv, io.StringIO(stdin_text), out, err)
    return status, [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def wrap(adu: bytes, command: int = 2) -> bytes:
    return encode_frame(serial=7, command=command, source=889, destination=88888,
                        sent_at="2012-09-26T09:58:32", adu=adu)


# --- conformance ----------------------------------------------------------------------------------------

def test_the_reference_is_read_in_place():
    assert len(VECTOR_LIST) == 47
    assert len(FRAME_VECTORS) == 21 and len(ADU_VECTORS) == 26
    assert len(WORKED) == 8


@pytest.mark.parametrize("vector", FRAME_VECTORS, ids=lambda v: v["note"][:40])
def test_frame_vector_with_the_codec(vector):
    assert decode_result(bytes.fromhex(vector["hex"])) == vector["decodes_to"]
    assert vector["expect"] == ("accept" if vector["decodes_to"]["ok"] else f"reject_{vector['decodes_to']['error']}")


def test_every_frame_vector_through_the_command_line():
    status, lines, err = cli([v["hex"] for v in FRAME_VECTORS])
    assert status == 0 and err == ""
    assert lines == [v["decodes_to"] for v in FRAME_VECTORS]


@pytest.mark.parametrize("vector", ADU_VECTORS, ids=lambda v: v["note"][-40:])
def test_adu_vector_directly_and_in_a_frame_under_every_command(vector):
    adu = bytes.fromhex(vector["hex"])
    assert decode_adu(adu) == vector["decodes_to"]
    status, lines, _ = cli([wrap(adu, command).hex() for command in range(1, 7)])
    assert status == 0
    assert [line["adu"] for line in lines] == [vector["decodes_to"]] * 6


@pytest.mark.parametrize("hex_text,expected", WORKED, ids=[f"example{i}" for i in range(len(WORKED))])
def test_worked_examples_of_the_decoder_schema(hex_text, expected):
    assert decode_result(bytes.fromhex(hex_text)) == expected


def test_encoder_rebuilds_every_accepted_public_frame_byte_for_byte():
    for vector in FRAME_VECTORS:
        raw = bytes.fromhex(vector["hex"])
        if not vector["decodes_to"]["ok"]:
            continue
        frame = decode_frame(raw)
        rebuilt = encode_frame(serial=frame.serial, version=frame.version, sent_at=frame.sent_at,
                               source=frame.source, destination=frame.destination, command=frame.command,
                               adu=raw[27:-3])
        assert rebuilt == raw


def test_confirm_to_the_vendor_fire_alarm_is_the_vendor_confirm():
    upload = decode_frame(bytes.fromhex(FRAME_VECTORS[0]["hex"]))
    assert upload.adu["objects"][0]["flags"] == ["fire_alarm"]
    confirm = reply(upload, 3, datetime(2012, 9, 26, 9, 58, 35))
    assert confirm == bytes.fromhex(FRAME_VECTORS[1]["hex"])
    deny = reply(header(bytes.fromhex(FRAME_VECTORS[0]["hex"])), 6, "2012-09-26T09:58:35")
    assert deny == bytes.fromhex(FRAME_VECTORS[2]["hex"])


# --- the §11 rules the vectors do not exercise ----------------------------------------------------------

HEAD = bytes.fromhex("404002000101203a091a090c790300000000385b01000000")  # the 24 bytes before L


def frame_with(command: int, adu: bytes) -> bytes:
    body = HEAD[2:] + len(adu).to_bytes(2, "little") + bytes([command]) + adu
    return b"@@" + body + bytes([sum(body) & 0xFF]) + b"##"


@pytest.mark.parametrize("raw,error", [
    (b"", "start_marker"),
    (b"\x40", "truncated"),
    (b"\x40\x41", "start_marker"),
    (b"\x41\x40", "start_marker"),
    (bytes.fromhex("4040") + bytes(20), "truncated"),
    (frame_with(2, bytes.fromhex("1c01203a091a090c"))[:-1], "truncated"),
    (frame_with(2, bytes.fromhex("1c01203a091a090c")) + b"#", "adu_length"),
    (frame_with(0, b""), "command"),
    (frame_with(7, b""), "command"),
    (frame_with(128, b""), "command"),
    (frame_with(255, b""), "command"),
    (frame_with(2, bytes([2])), "adu_length"),  # a type with a layout needs a count byte
    (frame_with(2, bytes.fromhex("0201") + bytes(45)), "adu_length"),  # type 2 object is 46 bytes
    (frame_with(2, bytes.fromhex("0201") + bytes(48)), "adu_length"),  # the 33-byte description
    (frame_with(2, bytes.fromhex("060101010a41")), "adu_length"),  # text shorter than its length byte
    (frame_with(2, bytes.fromhex("06010101014142")), "adu_length"),  # a byte after the last object
    (frame_with(2, bytes.fromhex("1a0205414243")), "adu_length"),  # type 26: two objects announced, one there
])
def test_rejections_follow_the_check_order(raw, error):
    assert decode_result(raw) == {"ok": False, "error": error}
    with pytest.raises(CodecError) as caught:
        decode_frame(raw)
    assert caught.value.code == error


def test_checks_run_in_order():
    good = frame_with(2, bytes.fromhex("1c01203a091a090c"))
    both = bytearray(good)
    both[-3] ^= 0xFF  # bad checksum
    both[26] = 9  # and bad command: the checksum is checked first
    assert decode_result(bytes(both))["error"] == "checksum"
    over = bytearray(good[:27])
    over[24:26] = (1025).to_bytes(2, "little")
    assert decode_result(bytes(over))["error"] == "adu_length"  # before "truncated"


def test_types_without_layout_keep_their_bytes():
    for kind in (0, 9, 22, 27, 60, 87, 92, 127, 128, 150, 200, 255):
        frame = decode_frame(frame_with(2, bytes([kind]) + bytes.fromhex("01010203")))
        assert frame.adu == {"type": kind, "objects": [], "raw": "01010203"}
    assert decode_frame(frame_with(2, bytes([200]))).adu == {"type": 200, "objects": [], "raw": ""}
    assert encode_adu(200, raw="01010203") == bytes.fromhex("c801010203")


def test_maximum_counts_are_not_enforced_beyond_the_size_check():
    adu = bytes.fromhex("1c02") + bytes.fromhex("203a091a090c") * 2
    assert [o["time"] for o in decode_adu(adu)["objects"]] == ["2012-09-26T09:58:32"] * 2
    assert decode_adu(bytes.fromhex("0100")) == {"type": 1, "objects": []}


def test_version_is_printed_as_sent_and_89_decodes_alike_under_commands_1_and_4():
    adu = bytes.fromhex("590100")
    for command in (1, 4):
        out = decode_frame(frame_with(command, adu)).as_json()
        assert out["adu"] == {"type": 89, "objects": [{"reserved": 0}]}
    raw = bytearray(frame_with(1, adu))
    raw[4:6] = b"\x02\x03"
    raw[-3] = sum(raw[2:-3]) & 0xFF
    assert decode_frame(bytes(raw)).version == (2, 3)


def test_description_padding_and_bad_bytes():
    def desc(field: bytes) -> str:
        adu = bytes.fromhex("070101010a0a000200") + field
        return decode_adu(adu)["objects"][0]["desc"]

    assert desc(b"\x02" + bytes(30)) == "\x02"
    assert desc(b" " * 30 + b"\x00") == ""
    assert desc(b" A" + b"\x00 \x00" * 9 + b"  ") == " A"
    assert desc("一号楼".encode("gb18030") + bytes(25)) == "一号楼"
    assert "\ufffd" in desc(b"\xff\xfe" + bytes(29))


@given(st.binary(min_size=6, max_size=6))
def test_every_time_tag_reads_back_as_strict_parsing_reads_it(tag):
    """parse_time takes exactly what strptime with the §11.4 format takes, and means the same."""
    from firegov.kernels.gb26875.codec import format_time

    text = format_time(tag)
    try:
        strict = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        strict = None
    if strict is not None and len(text) != 19:  # strptime also takes one-digit fields; no tag makes them
        strict = None
    assert parse_time(text) == strict


def test_time_tags_are_binary_and_unchecked():
    assert decode_adu(bytes.fromhex("1c01") + bytes([99, 88, 77, 66, 55, 255]))["objects"][0]["time"] == \
        "2255-55-66T77:88:99"
    assert parse_time("2255-55-66T77:88:99") is None
    assert parse_time("2012-09-26T09:58:32") == datetime(2012, 9, 26, 9, 58, 32)
    for other in ("2012-09-26 09:58:32", "2012-09-26T09:58+08", "2012-09-26", "2012-09-26T09:58:32.5",
                  "2012-09-26T24:00:00"):
        assert parse_time(other) is None  # ISO forms the standard's time is not
    assert time_tag("2255-55-66T77:88:99") == bytes([99, 88, 77, 66, 55, 255])
    for bad in ("2012-09-26 09:58:32", "1999-01-01T00:00:00", "2012-09-26T09:58:256", None, 5, datetime(1999, 1, 1)):
        with pytest.raises(CodecError) as caught:
            time_tag(bad)
        assert caught.value.code == "value"


def test_status_bits_in_practice():
    """Bit 0 = 0 (test state) leaves the fire bit standing (§5.6); reserved bits are named."""
    adu = encode_adu(2, [{"sys_type": 1, "sys_addr": 1, "comp_type": 40, "comp_addr": 1, "status": 0x0002 | 0x8000,
                          "desc": "", "time": "2026-01-01T00:00:00"}])
    assert decode_adu(adu)["objects"][0]["flags"] == ["fire_alarm", "reserved_15"]
    by_flags = encode_adu(21, [{"flags": ["normal", "main_power_fault"], "time": "2026-01-01T00:00:00"}])
    assert decode_adu(by_flags)["objects"][0]["status"] == 0x09


@pytest.mark.parametrize("call", [
    lambda: encode_adu(2, [{"sys_type": 1}]),
    lambda: encode_adu(2, [{"sys_type": 1, "sys_addr": 1, "comp_type": 1, "comp_addr": 1, "status": 1,
                            "desc": "超过三十一个字节的部件说明文字超过三十一个字节", "time": "2026-01-01T00:00:00"}]),
    lambda: encode_adu(3, [{"sys_type": 1, "sys_addr": 1, "comp_type": 1, "comp_addr": 1, "analog_type": 3,
                            "value": 40000, "time": "2026-01-01T00:00:00"}]),
    lambda: encode_adu(21, [{"flags": ["smoke"], "time": "2026-01-01T00:00:00"}]),
    lambda: encode_adu(21, [{"time": "2026-01-01T00:00:00"}]),
    lambda: encode_adu(1, [{"sys_type": True, "sys_addr": 1, "status": 1, "time": "2026-01-01T00:00:00"}]),
    lambda: encode_adu(26, [{"len": 2, "desc": "abc"}]),
    lambda: encode_adu(26, [{"desc": "\ud800"}]),
    lambda: encode_adu(26, [{"desc": 5}]),
    lambda: encode_adu(1, "no list"),
    lambda: encode_adu(1, [5]),
    lambda: encode_adu(300),
    lambda: encode_adu(200),
    lambda: encode_adu(200, raw="zz"),
    lambda: encode_adu(200, raw=bytes(1024)),
    lambda: encode_frame(serial=70000, command=2, source=1, destination=2, sent_at="2026-01-01T00:00:00"),
    lambda: encode_frame(serial=1, command=2, source=1 << 48, destination=2, sent_at="2026-01-01T00:00:00"),
    lambda: encode_frame(serial=1, command=2, source=1, destination=2, sent_at="2026-01-01T00:00:00", version=(1,)),
    lambda: encode_frame(serial=1, command=2, source=1, destination=2, sent_at="2026-01-01T00:00:00", adu=5),
])
def test_the_encoder_refuses_what_cannot_go_on_the_wire(call):
    with pytest.raises(CodecError) as caught:
        call()
    assert caught.value.code == "value"


def test_variable_texts_encode_with_their_length():
    adu = encode_adu(6, [{"sys_type": 1, "sys_addr": 1, "desc": "火灾报警系统"},
                         {"sys_type": 10, "sys_addr": 2, "len": 30, "desc": "联动"}])
    objects = decode_adu(adu)["objects"]
    assert [(o["len"], o["desc"]) for o in objects] == [(12, "火灾报警系统"), (30, "联动")]


# --- properties -----------------------------------------------------------------------------------------

TIMES = st.tuples(*(st.integers(0, 255) for _ in range(6))).map(
    lambda t: f"{2000 + t[5]:04d}-{t[4]:02d}-{t[3]:02d}T{t[2]:02d}:{t[1]:02d}:{t[0]:02d}")
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=10).map(
    lambda s: s.rstrip(" \x00")).filter(lambda s: len(s.encode("gb18030")) <= 31)
_FIELD = {"u8": st.integers(0, 255), "u16": st.integers(0, 0xFFFF), "u32": st.integers(0, 0xFFFFFFFF),
          "i16": st.integers(-0x8000, 0x7FFF), "time": TIMES, "text31": TEXT, "text": TEXT}


def object_strategy(kind: int):
    layout = PROTOCOL.layouts[kind]
    fields = {key: _FIELD[fmt] for key, fmt in zip(layout.keys, layout.formats, strict=True) if key != "len"}
    return st.fixed_dictionaries(fields)


@st.composite
def adus(draw):
    kind = draw(st.sampled_from(sorted(PROTOCOL.layouts) + [0, 9, 130, 200, 255]))
    if kind not in PROTOCOL.layouts:
        return kind, None, draw(st.binary(max_size=40))
    layout = PROTOCOL.layouts[kind]
    size = layout.size or 40
    objects = draw(st.lists(object_strategy(kind), max_size=min(5, (1022 // size))))
    return kind, objects, None


def expected_objects(kind, objects):
    layout = PROTOCOL.layouts[kind]
    out = []
    for obj in objects:
        obj = dict(obj)
        if layout.flag_field:
            from firegov.kernels.gb26875.tables import flag_names
            obj["flags"] = flag_names(layout.flag_table, obj[layout.flag_field])
        if "len" in layout.keys:
            obj["len"] = len(obj["desc"].encode("gb18030"))
        out.append(obj)
    return out


@given(adus())
def test_adu_round_trip(case):
    kind, objects, raw = case
    data = encode_adu(kind, objects or [], raw)
    decoded = decode_adu(data)
    if raw is not None:
        assert decoded == {"type": kind, "objects": [], "raw": raw.hex()}
    else:
        assert decoded == {"type": kind, "objects": expected_objects(kind, objects)}
        assert encode_adu(kind, decoded["objects"]) == data  # decoded objects encode back (flags ignored)


FRAMES = st.builds(
    lambda serial, version, when, src, dst, command, adu: encode_frame(
        serial=serial, version=version, sent_at=when, source=src, destination=dst, command=command,
        adu=encode_adu(adu[0], adu[1] or [], adu[2]) if adu else None),
    st.integers(0, 0xFFFF), st.tuples(st.integers(0, 255), st.integers(0, 255)), TIMES,
    st.integers(0, (1 << 48) - 1), st.integers(0, (1 << 48) - 1), st.integers(1, 6), st.none() | adus())


@given(FRAMES)
def test_frame_round_trip(raw):
    frame = decode_frame(raw)
    again = encode_frame(serial=frame.serial, version=frame.version, sent_at=frame.sent_at, source=frame.source,
                         destination=frame.destination, command=frame.command, adu=frame.adu)
    assert again == raw
    assert json.loads(json.dumps(frame.as_json())) == frame.as_json()


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


@given(st.lists(FRAMES, min_size=1, max_size=8), st.lists(st.integers(0, 10_000), max_size=20))
def test_deframer_under_random_splitting(frames, cuts):
    deframer = Deframer()
    got = []
    for piece in split(b"".join(frames), cuts):
        got += deframer.feed(piece)
    assert got == [decode_frame(raw) for raw in frames]
    assert deframer.pending == 0 and deframer.discarded == 0


GARBAGE = st.binary(max_size=30).map(lambda b: b.replace(b"@", b"A"))  # no start marker at all
HEARTBEAT = st.binary(min_size=6, max_size=6).map(lambda t: b"@@" + t + b"\x02\x00##")  # vendor short frame


@given(st.lists(st.tuples(GARBAGE | HEARTBEAT, FRAMES), min_size=1, max_size=6),
       st.lists(st.integers(0, 10_000), max_size=10))
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_deframer_resynchronises_after_garbage_and_short_frames(items, cuts):
    deframer = Deframer()
    stream = b"".join(junk + raw for junk, raw in items)
    got = []
    for piece in split(stream, cuts):
        got += deframer.feed(piece)
    assert [g for g in got if isinstance(g, Frame)] == [decode_frame(raw) for _, raw in items]
    assert deframer.discarded == sum(len(junk) for junk, _ in items)


def test_deframer_reports_bad_frames_with_their_header():
    good = frame_with(2, bytes.fromhex("1c01203a091a090c"))
    bad = bytearray(good)
    bad[-3] ^= 1
    deframer = Deframer()
    out = deframer.feed(bytes(bad) + good)
    assert [type(x) for x in out] == [Rejected, Frame]
    assert out[0].error == "checksum" and out[0].header["serial"] == 2


@pytest.mark.parametrize("junk", [b"@", b"@@", b"@@@", b"\x00@", b"@\x00@"])
def test_a_stray_start_byte_before_a_frame_costs_nothing(junk):
    """A stray '@' makes a candidate whose length field is read off the real frame's bytes (here over
    1024): it is dropped one byte at a time, never with the real frame's first byte."""
    good = frame_with(2, bytes.fromhex("1c01203a091a090c"))
    deframer = Deframer()
    assert deframer.feed(junk + good + junk + good) == [decode_frame(good)] * 2
    assert (deframer.discarded, deframer.pending) == (2 * len(junk), 0)


def test_a_false_start_does_not_hold_back_the_frames_behind_it():
    good = frame_with(2, bytes.fromhex("1c01203a091a090c"))
    false_start = b"@@" + bytes(22) + (1000).to_bytes(2, "little") + b"\x02"  # claims 1,030 bytes
    deframer = Deframer()
    assert deframer.feed(false_start + good) == [decode_frame(good)]
    assert deframer.pending == 0


@given(st.binary(max_size=200))
def test_decoder_fuzz_random_bytes(data):
    result = decode_result(data)
    assert result["ok"] in (True, False)
    try:
        decode_adu(data)
    except CodecError:
        pass
    with_start = b"@@" + data
    assert isinstance(decode_result(with_start), dict)


@given(FRAMES, st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 255), st.sampled_from("fid")), min_size=1,
                        max_size=4))
def test_decoder_fuzz_mutated_frames(raw, edits):
    data = bytearray(raw)
    for where, value, how in edits:
        at = where % (len(data) + 1)
        if how == "f" and at < len(data):
            data[at] = value
        elif how == "i":
            data.insert(at, value)
        elif how == "d" and at < len(data):
            del data[at]
    result = decode_result(bytes(data))
    if result["ok"]:
        assert decode_frame(bytes(data)).as_json() == result
    else:
        assert result["error"] in ("start_marker", "truncated", "adu_length", "end_marker", "checksum", "command")
    deframer = Deframer()
    for piece in split(bytes(data) * 2, [where for where, _, _ in edits]):
        deframer.feed(piece)
    assert deframer.pending <= 1054


# --- views ----------------------------------------------------------------------------------------------

def test_vendor_views_of_a_component_address():
    views = address_views(int.from_bytes(bytes.fromhex("0a000200"), "little"))
    assert views["zone_point"] == "10区2号"
    assert address_views(10100203)["gst"] == "010100203"
    assert address_label(10100203, "gst") == "010100203" and address_label(5, None) == "5"


def test_analog_scaling_by_table_6():
    assert scale_analog(3, 800) == (Decimal("80.0"), "°C")
    assert scale_analog(3, -100) == (Decimal("-10.0"), "°C")
    assert scale_analog(5, 3500) == (Decimal("350.0"), "kPa")
    assert scale_analog(0, 5) is None and scale_analog(200, 5) is None
    assert analog_in_range(6, Decimal("100.0")) and not analog_in_range(6, Decimal("100.1"))
    assert component_type_name(40) == "感烟火灾探测器" and component_type_name(73) == "预留"
    assert component_type_name(31) == "点型感温火灾探测器"


# --- command line ---------------------------------------------------------------------------------------

def test_cli_reads_stdin_ignoring_case_whitespace_and_empty_lines():
    text = FRAME_VECTORS[1]["hex"].upper()
    spaced = " ".join(text[i:i + 2] for i in range(0, len(text), 2))
    status, lines, err = cli(["-"], f"{spaced}\n\n  \n2323\r\n")
    assert status == 0 and err == ""
    assert lines == [FRAME_VECTORS[1]["decodes_to"], {"ok": False, "error": "start_marker"}]


def test_cli_reports_text_that_is_not_hex_and_goes_on():
    status, lines, err = cli(["zz", "404", FRAME_VECTORS[1]["hex"]])
    assert status == 1
    assert lines == [FRAME_VECTORS[1]["decodes_to"]]
    assert "argument 1" in err and "argument 2" in err


def test_cli_prints_chinese_unescaped_or_escaped_alike():
    vector = next(v for v in ADU_VECTORS if v["decodes_to"]["type"] == 2)
    _, lines, _ = cli([wrap(bytes.fromhex(vector["hex"])).hex()])
    assert lines[0]["adu"]["objects"][0]["desc"] == "这是一个转码测试"


def test_cli_usage():
    status, _, err = cli([])
    assert status == 2 and "HEX" in err
