"""Normalised events: what a GB/T 26875.3 frame, an MQTT message and an HTTP post all become.

Pure Python (no Django), so that the three channels provably produce the same events. A
:class:`Reading` names the point it concerns (``None``: the device itself), the alarm conditions it
sets or clears (``fire``, ``fault``, ``supervisory``, ``start``, ``shielded``, ``power``, and for
sensors ``low_pressure``/``electrical``), or an analog value with its quantity and unit.

Status objects of GB/T 26875.3 carry a point's whole state, so a bit that is 0 clears its condition.
Bit 0 = 0 ("test state") never suppresses an alarm (protocol.md §5.6).

The JSON payload of MQTT and HTTP (docs/iot.md) is::

    {"device": "CODE", "time": "2026-11-23T10:00:00+08:00",
     "readings": [{"point": "pressure", "value": 0.32, "quantity": "pressure", "unit": "MPa"},
                  {"point": "smoke", "condition": "fire", "active": true, "label": "3F 走廊"}]}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from firegov.kernels.gb26875 import Frame, parse_time
from firegov.kernels.gb26875.views import scale_analog

CONDITIONS = ("fire", "fault", "supervisory", "start", "shielded", "power", "low_pressure", "electrical")
SHANGHAI = timezone(timedelta(hours=8))

# GB/T 26875.3 flag names -> the condition each one sets (Figs. 6, 7, 13).
_FLAG_CONDITION = {
    "fire_alarm": "fire", "fault": "fault", "bus_fault": "fault", "channel_fault": "fault",
    "monitor_line_fault": "fault", "shielded": "shielded", "supervisory": "supervisory", "started": "start",
    "feedback": "start", "power_fault": "power", "main_power_fault": "power", "backup_power_fault": "power",
}
_STATUS_CONDITIONS = {
    1: ("fire", "fault", "shielded", "supervisory", "start", "power"),
    2: ("fire", "fault", "shielded", "supervisory", "start", "power"),
    21: ("fire", "fault", "power"),
}
_ANALOG_QUANTITY = {1: "count", 2: "height", 3: "temperature", 4: "pressure", 5: "pressure", 6: "gas",
                    7: "time", 8: "voltage", 9: "current", 10: "flow", 11: "air_volume", 12: "wind_speed"}


class PayloadError(ValueError):
    """A JSON payload that cannot be taken; ``message`` names the field."""


@dataclass
class Reading:
    kind: str  # status | analog | operation | info
    point: str | None = None  # None: the device itself
    conditions: dict[str, bool] = field(default_factory=dict)
    value: Decimal | None = None
    quantity: str = ""
    unit: str = ""
    label: str = ""
    device_time: datetime | None = None
    detail: dict = field(default_factory=dict)
    point_info: dict = field(default_factory=dict)  # sys_type, sys_addr, comp_type, comp_addr


def _clean(text: str) -> str:
    """Text for the database: no NUL characters (PostgreSQL refuses them)."""
    return text.replace("\x00", "")


def device_time(text: str | None) -> datetime | None:
    """A decoded GB/T 26875.3 time (device local time, Asia/Shanghai) as an aware datetime, or None."""
    moment = parse_time(text) if text else None
    return moment.replace(tzinfo=SHANGHAI) if moment else None


def _conditions(kind: int, flags: list[str]) -> dict[str, bool]:
    raised = {_FLAG_CONDITION[f] for f in flags if f in _FLAG_CONDITION}
    return {name: name in raised for name in _STATUS_CONDITIONS[kind]}


def from_frame(frame: Frame) -> list[Reading]:
    """The readings of an uplink frame (send data or a response); [] for a heartbeat."""
    adu = frame.adu
    if adu is None:
        return []
    kind = adu["type"]
    out: list[Reading] = []
    for obj in adu["objects"]:
        when = device_time(obj.get("time"))
        if kind in (1, 2):
            key = f"{obj['sys_type']}-{obj['sys_addr']}" + (f"-{obj['comp_addr']}" if kind == 2 else "")
            info = {k: obj[k] for k in ("sys_type", "sys_addr", "comp_type", "comp_addr") if k in obj}
            out.append(Reading("status", key, _conditions(kind, obj["flags"]), label=_clean(obj.get("desc", "")),
                               device_time=when, detail={"status": obj["status"], "flags": obj["flags"]},
                               point_info=info))
        elif kind == 21:
            out.append(Reading("status", None, _conditions(21, obj["flags"]), device_time=when,
                               detail={"status": obj["status"], "flags": obj["flags"]}))
        elif kind == 3:
            scaled = scale_analog(obj["analog_type"], obj["value"])
            info = {k: obj[k] for k in ("sys_type", "sys_addr", "comp_type", "comp_addr")}
            out.append(Reading(
                "analog", f"{obj['sys_type']}-{obj['sys_addr']}-{obj['comp_addr']}",
                value=scaled[0] if scaled else Decimal(obj["value"]), unit=scaled[1] if scaled else "",
                quantity=_ANALOG_QUANTITY.get(obj["analog_type"], ""), device_time=when,
                detail={"analog_type": obj["analog_type"], "raw": obj["value"]}, point_info=info))
        elif kind in (4, 24):
            point = f"{obj['sys_type']}-{obj['sys_addr']}" if kind == 4 else None
            out.append(Reading("operation", point, device_time=when,
                               detail={"op": obj["op"], "flags": obj["flags"], "operator": obj["operator"]}))
        elif kind == 7:
            out.append(Reading("info", f"{obj['sys_type']}-{obj['sys_addr']}-{obj['comp_addr']}", label=_clean(obj["desc"]),
                               detail={"config": True},
                               point_info={k: obj[k] for k in ("sys_type", "sys_addr", "comp_type", "comp_addr")}))
        elif kind in (5, 25):
            out.append(Reading("info", None, detail={"software_version": f"{obj['major']}.{obj['minor']}"}))
        elif kind in (8, 28):
            out.append(Reading("info", None, device_time=when, detail={"clock": obj["time"]}))
        else:
            out.append(Reading("info", None, detail={"adu": {k: v for k, v in obj.items()}, "type": kind}))
    if "raw" in adu:  # a reserved or user-defined type: no layout, no objects
        out.append(Reading("info", None, detail={"type": kind, "raw": adu.get("raw", "")}))
    return out


def _number(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise PayloadError(f"{where}: 'value' must be a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise PayloadError(f"{where}: 'value' must be a number") from None
    if not number.is_finite() or abs(number) >= Decimal("1e9"):
        raise PayloadError(f"{where}: 'value' is out of range")
    return number.quantize(Decimal("0.001"))


def _text(item: dict, key: str, where: str, size: int, default: str = "") -> str:
    value = item.get(key, default)
    if not isinstance(value, str) or len(value) > size or "\x00" in value:
        raise PayloadError(f"{where}: '{key}' must be text of at most {size} characters")
    return value


def _iso_time(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise PayloadError(f"{where}: 'time' must be an ISO 8601 time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise PayloadError(f"{where}: 'time' must be an ISO 8601 time") from None
    if not 2000 <= moment.year <= 2200:
        raise PayloadError(f"{where}: 'time' must lie between 2000 and 2200")
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


def from_payload(payload: Any, max_readings: int = 200) -> tuple[str, list[Reading]]:
    """The device code and readings of an MQTT/HTTP JSON payload; :class:`PayloadError` if malformed."""
    if not isinstance(payload, dict):
        raise PayloadError("the payload must be a JSON object")
    code = payload.get("device")
    if not isinstance(code, str) or not 0 < len(code) <= 40 or "\x00" in code:
        raise PayloadError("'device' must be the device code")
    when = _iso_time(payload.get("time"), "payload")
    items = payload.get("readings")
    if not isinstance(items, list) or not 0 < len(items) <= max_readings:
        raise PayloadError(f"'readings' must be a list of 1 to {max_readings} readings")
    readings = []
    for index, item in enumerate(items, start=1):
        where = f"readings[{index}]"
        if not isinstance(item, dict):
            raise PayloadError(f"{where} must be an object")
        point = _text(item, "point", where, 40, "main") or "main"
        moment = _iso_time(item.get("time"), where) or when
        label = _text(item, "label", where, 100)
        if "value" in item:
            readings.append(Reading("analog", point, value=_number(item["value"], where),
                                    quantity=_text(item, "quantity", where, 24), unit=_text(item, "unit", where, 12),
                                    label=label, device_time=moment))
        elif "condition" in item:
            condition, active = item["condition"], item.get("active", True)
            if condition not in CONDITIONS:
                raise PayloadError(f"{where}: 'condition' must be one of {', '.join(CONDITIONS)}")
            if not isinstance(active, bool):
                raise PayloadError(f"{where}: 'active' must be true or false")
            readings.append(Reading("status", point, {condition: active}, label=label, device_time=moment))
        else:
            raise PayloadError(f"{where}: give a 'value' or a 'condition'")
    return code, readings
