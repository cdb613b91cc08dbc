"""Transition tables: the one shape every lifecycle in firegov is written in.

An app declares its table as data (``{action: Transition}``); its services look the action up with
:func:`allowed` before changing a status, and raise :class:`TransitionError` (the API answers 409) when
the current status does not allow it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.utils.translation import get_language
from django.utils.translation import gettext as _

ADMIN, DETACHMENT, SUPERVISOR, INSPECTOR = "system_admin", "detachment", "brigade_supervisor", "inspector"
DEPARTMENT, GRID, UNIT, MONITORING = "department_officer", "grid_worker", "unit_manager", "monitoring_operator"

FIRE_OFFICERS = frozenset({ADMIN, DETACHMENT, SUPERVISOR, INSPECTOR})
FIRE_LEADERS = frozenset({ADMIN, DETACHMENT, SUPERVISOR})
FINDERS = FIRE_OFFICERS | {DEPARTMENT, GRID, UNIT}


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str | None  # None: the service chooses (e.g. a re-inspection passes or fails)
    roles: frozenset[str]
    needs: tuple[str, ...] = ()
    label_en: str = ""
    label_zh: str = ""

    @property
    def label(self) -> str:
        """The step's name in the active language (the tables carry both)."""
        return self.label_zh if (get_language() or "zh-hans").lower().startswith("zh") else self.label_en


def transition(action: str, sources: str, target: str | None, roles, needs=(), en: str = "",
               zh: str = "") -> Transition:
    """Shorthand: ``sources`` is a space-separated list of states."""
    return Transition(action, frozenset(sources.split()), target, frozenset(roles), tuple(needs), en, zh)


def table(*transitions: Transition) -> dict[str, Transition]:
    return {t.action: t for t in transitions}


class TransitionError(Exception):
    """A transition the table does not allow from the current state."""

    def __init__(self, message: str, code: str = "wrong_state"):
        super().__init__(message)
        self.message = message
        self.code = code


def role_of(user) -> str:
    return ADMIN if user.is_system_admin else (user.role or "")


def allowed(transitions: dict[str, Transition], action: str, status: str, role: str) -> tuple[bool, str]:
    """Whether ``role`` may take ``action`` from ``status``; the second value says why not."""
    step = transitions.get(action)
    if step is None:
        return False, "unknown_action"
    if status not in step.sources:
        return False, "wrong_state"
    if role not in step.roles:
        return False, "role"
    return True, ""


def actions_from(transitions: dict[str, Transition], status: str, role: str) -> list[Transition]:
    return [t for t in transitions.values() if status in t.sources and role in t.roles]


def check_role(transitions: dict[str, Transition], action: str, user) -> None:
    """PermissionDenied unless the user's role may take ``action`` from some status. For records a
    role can reach but not read (a department officer and a public report of the area): checked
    before ``check``, the refusal does not name the record's status."""
    step = transitions.get(action)
    if step is not None and role_of(user) not in step.roles:
        raise PermissionDenied(_("Your role may not do this."))


def check(transitions: dict[str, Transition], action: str, record, user) -> Transition:
    """The transition of ``record`` (a model with a ``status`` choice field), or TransitionError (not
    allowed from its status, named in the user's language) / PermissionDenied (role)."""
    ok, why = allowed(transitions, action, record.status, role_of(user))
    if ok:
        return transitions[action]
    if why == "unknown_action":
        raise TransitionError(_("Unknown action."), why)
    if why == "wrong_state":
        raise TransitionError(
            _("“%(action)s” is not possible while the status is “%(status)s”.")
            % {"action": transitions[action].label, "status": record.get_status_display()}, why)
    raise PermissionDenied(_("Your role may not do this."))
