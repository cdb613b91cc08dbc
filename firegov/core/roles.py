"""What each role may do, as data. Scope (which rows) is separate: see firegov.core.scoping."""

from __future__ import annotations

from firegov.core.models import Role

ALL = frozenset(Role.values)
FIRE = frozenset({Role.SYSTEM_ADMIN, Role.DETACHMENT, Role.BRIGADE_SUPERVISOR, Role.INSPECTOR})
MANAGERS = frozenset({Role.SYSTEM_ADMIN, Role.DETACHMENT, Role.BRIGADE_SUPERVISOR})

# resource -> action -> roles allowed. Actions: view, add, change, delete, export, import.
PERMISSIONS: dict[str, dict[str, frozenset[str]]] = {
    "core.region": {"view": ALL, "add": frozenset({Role.SYSTEM_ADMIN}), "change": frozenset({Role.SYSTEM_ADMIN})},
    "core.agency": {"view": ALL - {Role.UNIT_MANAGER}, "add": frozenset({Role.SYSTEM_ADMIN}),
                    "change": frozenset({Role.SYSTEM_ADMIN})},
    "registry.unit": {
        "view": ALL,
        "add": FIRE | {Role.GRID_WORKER},
        "change": FIRE | {Role.GRID_WORKER, Role.DEPARTMENT_OFFICER, Role.UNIT_MANAGER},
        "delete": MANAGERS,
        "export": ALL - {Role.UNIT_MANAGER},
        "import": MANAGERS,
    },
    "registry.community": {
        "view": ALL - {Role.UNIT_MANAGER},
        "add": FIRE | {Role.GRID_WORKER},
        "change": FIRE | {Role.GRID_WORKER, Role.DEPARTMENT_OFFICER},
        "delete": MANAGERS,
        "export": ALL - {Role.UNIT_MANAGER},
    },
    # Inspections and hazards: who may act is decided by the transition tables and services; these
    # entries say who may see the lists at all.
    "inspections.inspection": {"view": ALL - {Role.MONITORING_OPERATOR}, "add": ALL - {Role.MONITORING_OPERATOR},
                               "change": ALL - {Role.MONITORING_OPERATOR}, "export": ALL - {Role.UNIT_MANAGER}},
    "inspections.draw": {"view": FIRE, "add": MANAGERS, "change": MANAGERS},
    "hazards.hazard": {"view": ALL, "add": ALL - {Role.MONITORING_OPERATOR}, "change": ALL - {Role.MONITORING_OPERATOR},
                       "export": ALL - {Role.UNIT_MANAGER}},
    "hazards.case": {"view": ALL - {Role.MONITORING_OPERATOR}, "add": FIRE, "change": ALL - {Role.MONITORING_OPERATOR}},
    "hazards.report": {"view": FIRE, "change": FIRE},
    # Campaigns: the issuing agency writes the lists (checked by the services); the responsible
    # agencies report progress.
    "campaigns.campaign": {"view": ALL - {Role.UNIT_MANAGER, Role.MONITORING_OPERATOR}, "add": MANAGERS,
                           "change": MANAGERS},
    "campaigns.report": {"view": ALL - {Role.UNIT_MANAGER, Role.MONITORING_OPERATOR},
                         "add": FIRE | {Role.DEPARTMENT_OFFICER, Role.GRID_WORKER},
                         "change": FIRE | {Role.DEPARTMENT_OFFICER, Role.GRID_WORKER}},
    # Fire monitoring: who may act on an alarm is decided by its transition table (firegov.iot.lifecycle).
    "iot.alarm": {"view": ALL - {Role.GRID_WORKER}, "change": FIRE | {Role.MONITORING_OPERATOR, Role.UNIT_MANAGER},
                  "export": ALL - {Role.UNIT_MANAGER, Role.GRID_WORKER}},
    "iot.device": {"view": ALL - {Role.GRID_WORKER}, "add": MANAGERS, "change": MANAGERS},
}


def can(user, action: str, resource: str) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.role in PERMISSIONS.get(resource, {}).get(action, frozenset())
