"""The alarm lifecycle as one transition table.

An alarm's state (``Alarm.status``) is active or cleared (the device says) × acknowledged or not (an
operator says), and ``verified`` once a fire alarm has its verdict. Operators of the monitoring centre
(监控中心), fire officers and the unit's own managers (its fire control room) handle alarms; only the
centre and fire officers forward a fire to 119.

Timing (configurable, ``docs/configuration.md``): a fire alarm is to be verified within
``FIREGOV_ALARM_VERIFY_S`` seconds (180 by default), other alarms of major or critical severity
acknowledged within ``FIREGOV_ALARM_ACK_S`` (900); past that, the escalation policies below tell the
unit's managers and then the brigade, again and again until someone acknowledges. A confirmed fire is
forwarded to the 119 command centre at once: GB 50440 allows 3 s from confirmation to 119
(reference/gb26875/protocol.md §9).
"""

from __future__ import annotations

from firegov.core.lifecycle import FIRE_OFFICERS, MONITORING, UNIT
from firegov.core.lifecycle import table as _table
from firegov.core.lifecycle import transition as _t

HANDLERS = FIRE_OFFICERS | {MONITORING, UNIT}
CENTRE = FIRE_OFFICERS | {MONITORING}
OPEN = "active active_ack cleared cleared_ack"
ANY = OPEN + " verified"

ALARM_TRANSITIONS = _table(
    _t("acknowledge", "active cleared", None, HANDLERS, (), "Acknowledge", "确认收到"),
    _t("assign", OPEN, None, CENTRE, ("assignee",), "Assign", "指派"),
    _t("comment", ANY, None, HANDLERS, ("note",), "Comment", "备注"),
    _t("verify", OPEN, "verified", HANDLERS, ("verdict",), "Verify", "核实"),
    _t("forward", "verified", "verified", CENTRE, (), "Forward to 119", "转报119"),
)

FIRE_PURPOSE = "alarm.verify"
ACK_PURPOSE = "alarm.acknowledge"
PURPOSES = (FIRE_PURPOSE, ACK_PURPOSE)

# Escalation policies (data; admins may edit them once stored). Offsets count from the due time.
FIRE_POLICY = [
    {"offset_seconds": 0, "action": "escalate", "audience": "unit_managers", "repeat_seconds": 60},
    {"offset_seconds": 120, "action": "escalate", "audience": "brigade", "repeat_seconds": 120},
]
ACK_POLICY = [
    {"offset_seconds": 0, "action": "escalate", "audience": "unit_managers", "repeat_seconds": 1800},
    {"offset_seconds": 3600, "action": "escalate", "audience": "brigade", "repeat_seconds": 7200},
]

# Conditions that become hazards of the unit when they last longer than FIREGOV_HAZARD_AFTER_H hours
# (设施故障、屏蔽、离线、水压不足、电气火灾隐患), with the hazard category each becomes.
HAZARD_CATEGORY = {
    "fault": "fire_alarm_faulty",
    "shielded": "fire_alarm_faulty",
    "power": "fire_power_supply",
    "offline": "facility_damaged",
    "low_pressure": "hydrant_no_water",
    "electrical": "electrical_defect",
}
FALSE_ALARM_CATEGORY = "fire_alarm_faulty"  # repeated false alarms: detectors that need servicing
