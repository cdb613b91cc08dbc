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
}


def can(user, action: str, resource: str) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.role in PERMISSIONS.get(resource, {}).get(action, frozenset())
