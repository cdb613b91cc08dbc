"""What the layers above read off decoded GB/T 26875.3 objects.

- :func:`address_views`: the vendor readings of a 4-byte component address (protocol.md §10 item 3).
  The wire value stays the u32 LE; these are views on top, chosen per device by its vendor profile.
- :func:`scale_analog`: a raw analog value in engineering units by Table 6 (the decoder keeps raw).
- :func:`system_type_name`, :func:`component_type_name`: names from Tables 4 and 5; unknown and
  reserved codes are data, not errors.
"""

from __future__ import annotations

from decimal import Decimal

from firegov.kernels.gb26875.codec import PROTOCOL

#: Vendor profiles for component addresses, with how each reads the u32.
ADDRESS_PROFILES = {
    "zone_point": "2012 vendor documentation: zone = low u16, point = high u16 (0A 00 02 00 → 2号10区)",
    "loop_node": "Hikvision: loop (circuit) = low u16, node = high u16",
    "point_zone": "Sanjiang-oriented parsers: point = low u16, zone = high u16",
    "gst": "GST (海湾): the u32 in decimal, zero-padded to 9 digits (10100203 → 010100203)",
}


def address_views(comp_addr: int) -> dict[str, str]:
    """Every vendor reading of a component address, as display text."""
    low, high = comp_addr & 0xFFFF, comp_addr >> 16
    return {
        "zone_point": f"{low}区{high}号",
        "loop_node": f"{low}回路{high}号",
        "point_zone": f"{high}区{low}号",
        "gst": f"{comp_addr:09d}",
    }


def address_label(comp_addr: int, profile: str | None) -> str:
    """The address as a device of the given vendor profile prints it (the plain number otherwise)."""
    if profile in ADDRESS_PROFILES:
        return address_views(comp_addr)[profile]
    return str(comp_addr)


def scale_analog(analog_type: int, raw: int) -> tuple[Decimal, str] | None:
    """Value and unit of a raw analog reading (Table 6); None for unused, reserved and private types."""
    spec = PROTOCOL.analog_types.get(analog_type)
    if spec is None:
        return None
    return Decimal(raw) * spec.resolution, spec.unit


def analog_in_range(analog_type: int, value: Decimal) -> bool:
    """Whether a scaled value lies in Table 6's valid range for its type (unknown types: True)."""
    spec = PROTOCOL.analog_types.get(analog_type)
    return spec is None or spec.min <= value <= spec.max


def system_type_name(code: int) -> str:
    return PROTOCOL.system_types.get(code) or ("用户自定义" if code >= 128 else "预留")


def component_type_name(code: int) -> str:
    return PROTOCOL.component_types.get(code) or ("用户自定义" if code >= 128 else "预留")
