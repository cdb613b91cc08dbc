"""The one deadline-and-escalation engine.

Anything with a due time registers it here with a policy (EscalationPolicy, data): reminders before
the due time, escalation steps after it, and optional repeats until the deadline is acknowledged.
One periodic job (``run_due``, scheduled by Huey) fires the steps; the app that owns the subject
says who each audience is by registering a resolver for its model.

A step is a dict::

    {"offset_workdays": -2, "action": "remind", "audience": "unit_managers"}
    {"offset_minutes": 0, "action": "escalate", "audience": "brigade", "repeat_minutes": 1440}

Offsets are relative to the due time (negative = before), in minutes, working days or, for alarms,
seconds (``offset_seconds``); working-day steps fire at 09:00 local time. A step with
``repeat_minutes`` (or ``repeat_seconds``) fires again every so often until the deadline is acknowledged or done, or the next step's time comes;
acknowledging also stops later ``escalate`` steps, while ``remind`` steps go on until it is done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from firegov.core import notify, worktime
from firegov.core.models import Deadline, DeadlineEvent, DeadlineState, EscalationPolicy

log = logging.getLogger("firegov.deadlines")

AudienceResolver = Callable[[object, str], Iterable]
_resolvers: dict[str, AudienceResolver] = {}
_default_policies: dict[str, dict] = {}
LIVE = (DeadlineState.OPEN, DeadlineState.ACKNOWLEDGED)
OFFSETS = ("offset_minutes", "offset_seconds", "offset_workdays")
WORKDAY_STEP_HOUR = 9


class PolicyError(ValueError):
    pass


def register_audience(model_label: str, resolver: AudienceResolver) -> None:
    """Say who ``audience`` means for subjects of ``model_label`` ("app_label.modelname")."""
    _resolvers[model_label.lower()] = resolver


def define_policy(code: str, name: str, steps: list[dict]) -> None:
    """Declare an app's default policy; it is stored on first use and admins may then edit it."""
    validate_steps(steps)
    _default_policies[code] = {"name": name, "steps": steps}


def get_policy(code: str) -> EscalationPolicy:
    policy = EscalationPolicy.objects.filter(code=code).first()
    if policy is None:
        if code not in _default_policies:
            raise PolicyError(f"unknown escalation policy {code!r}")
        policy, _created = EscalationPolicy.objects.get_or_create(code=code, defaults=_default_policies[code])
    return policy


def validate_steps(steps) -> None:
    if not isinstance(steps, list) or not steps:
        raise PolicyError("steps must be a non-empty list")
    for i, step in enumerate(steps):
        if not isinstance(step, dict):
            raise PolicyError(f"step {i + 1}: must be an object")
        given = [key for key in OFFSETS if key in step]
        if len(given) != 1:
            raise PolicyError(f"step {i + 1}: give exactly one of {', '.join(OFFSETS)}")
        offset = step[given[0]]
        if isinstance(offset, bool) or not isinstance(offset, int):
            raise PolicyError(f"step {i + 1}: the offset must be an integer")
        if step.get("action") not in ("remind", "escalate"):
            raise PolicyError(f"step {i + 1}: action must be remind or escalate")
        if not isinstance(step.get("audience"), str) or not step["audience"]:
            raise PolicyError(f"step {i + 1}: audience is required")
        if "repeat_minutes" in step and "repeat_seconds" in step:
            raise PolicyError(f"step {i + 1}: give repeat_minutes or repeat_seconds, not both")
        for key in ("repeat_minutes", "repeat_seconds"):
            repeat = step.get(key)
            if repeat is not None and (isinstance(repeat, bool) or not isinstance(repeat, int) or repeat <= 0):
                raise PolicyError(f"step {i + 1}: {key} must be a positive integer")


def repeat_interval(step: dict) -> timedelta | None:
    if step.get("repeat_seconds"):
        return timedelta(seconds=step["repeat_seconds"])
    if step.get("repeat_minutes"):
        return timedelta(minutes=step["repeat_minutes"])
    return None


def step_time(due_at: datetime, step: dict) -> datetime:
    """When a step fires: minutes count from the due time; working-day steps fire at the start of
    office hours (09:00 local) on that working day, not at the due time's hour (often 23:59)."""
    if "offset_minutes" in step:
        return due_at + timedelta(minutes=step["offset_minutes"])
    if "offset_seconds" in step:
        return due_at + timedelta(seconds=step["offset_seconds"])
    local = timezone.localtime(due_at)
    day = worktime.add_workdays(local.date(), step["offset_workdays"])
    return local.replace(year=day.year, month=day.month, day=day.day, hour=WORKDAY_STEP_HOUR, minute=0, second=0,
                         microsecond=0)


def _schedule(deadline: Deadline, now: datetime) -> None:
    """Set next_step/next_fire_at to the first step still to fire (steps already past fire at once)."""
    steps = deadline.policy.steps
    while deadline.next_step < len(steps):
        step = steps[deadline.next_step]
        if deadline.state == DeadlineState.ACKNOWLEDGED and step["action"] == "escalate":
            deadline.next_step += 1
            continue
        deadline.next_fire_at = step_time(deadline.due_at, step)
        return
    deadline.next_fire_at = None


def register(subject, purpose: str, title: str, due_at: datetime, policy_code: str,
             now: datetime | None = None, policy: EscalationPolicy | None = None, new: bool = False) -> Deadline:
    """Create or move the live deadline of ``subject`` for ``purpose`` (``now``: the clock by default).

    ``policy``: the policy of ``policy_code`` when the caller already read it; ``new``: the subject was
    created in this transaction and cannot have a deadline yet (no lookup, no row lock)."""
    policy = policy or get_policy(policy_code)
    validate_steps(policy.steps)
    ct = ContentType.objects.get_for_model(subject)
    now = now or timezone.now()
    with transaction.atomic(savepoint=not new):
        deadline = None if new else (
            Deadline.objects.select_for_update()
            .filter(content_type=ct, object_id=str(subject.pk), purpose=purpose, state__in=LIVE)
            .first()
        )
        if deadline is None:
            deadline = Deadline(content_type=ct, object_id=str(subject.pk), purpose=purpose)
        deadline.title, deadline.policy, deadline.due_at = title[:200], policy, due_at
        deadline.state, deadline.next_step = DeadlineState.OPEN, 0
        _skip_past_reminders(deadline, now)
        _schedule(deadline, now)
        deadline.save()
    return deadline


def _skip_past_reminders(deadline: Deadline, now: datetime) -> None:
    """A reminder whose time passed before registration is pointless; escalations still fire.

    This holds also when the deadline is already overdue at registration: the reminders are not
    sent (one per run) ahead of the escalation that is due at once.
    """
    steps = deadline.policy.steps
    while (
        deadline.next_step < len(steps)
        and steps[deadline.next_step]["action"] == "remind"
        and step_time(deadline.due_at, steps[deadline.next_step]) < now
    ):
        deadline.next_step += 1


def is_live(subject, purpose: str) -> bool:
    """Whether ``subject`` has an open or acknowledged deadline for ``purpose``."""
    return _live(subject, purpose).exists()


def _live(subject, purpose: str):
    ct = ContentType.objects.get_for_model(subject)
    return Deadline.objects.filter(content_type=ct, object_id=str(subject.pk), purpose=purpose, state__in=LIVE)


def acknowledge(subject, purpose: str) -> int:
    count = 0
    for deadline in _live(subject, purpose).filter(state=DeadlineState.OPEN).select_related("policy"):
        deadline.state = DeadlineState.ACKNOWLEDGED
        steps = deadline.policy.steps
        if (
            deadline.next_step < len(steps)
            and deadline.next_fire_at is not None
            and deadline.next_fire_at > step_time(deadline.due_at, steps[deadline.next_step])
        ):
            # The current step has fired and only waits to repeat: acknowledging ends the repeats,
            # it must not send the step again at its original (past) time.
            deadline.next_step += 1
        _schedule(deadline, timezone.now())
        deadline.save(update_fields=["state", "next_step", "next_fire_at"])
        count += 1
    return count


def complete(subject, purpose: str, state: str = DeadlineState.DONE) -> int:
    return _live(subject, purpose).update(state=state, next_fire_at=None, closed_at=timezone.now())


def cancel(subject, purpose: str) -> int:
    return complete(subject, purpose, DeadlineState.CANCELLED)


def _fire(deadline: Deadline, step: dict, now: datetime) -> int:
    resolver = _resolvers.get(deadline.content_type.app_label + "." + deadline.content_type.model)
    subject = deadline.subject
    if resolver is None or subject is None:
        log.warning("deadline %s: no audience resolver or subject gone", deadline.pk)
        recipients = []
    else:
        recipients = list(resolver(subject, step["audience"]))
    overdue = now >= deadline.due_at
    kind = f"deadline.{step['action']}"
    due_local = timezone.localtime(deadline.due_at).strftime("%Y-%m-%d %H:%M")
    if step["action"] == "escalate" or overdue:
        subject_line = f"[逾期] {deadline.title}（期限 {due_local}）"
    else:
        subject_line = f"[提醒] {deadline.title}（期限 {due_local}）"
    link = subject.get_absolute_url() if hasattr(subject, "get_absolute_url") else ""
    notify.notify(recipients, kind, subject_line, body=deadline.title, link=link)
    DeadlineEvent.objects.create(deadline=deadline, step=deadline.next_step, action=step["action"],
                                 audience=step["audience"], fired_at=now, recipients=len(recipients))
    return len(recipients)


def run_due(now: datetime | None = None, limit: int = 500, purposes: Iterable[str] | None = None) -> int:
    """Fire every step whose time has come (of the given ``purposes`` only, when given: the alarm clock
    runs alarm deadlines every second). Returns the number of steps fired."""
    now = now or timezone.now()
    fired = 0
    due = Deadline.objects.filter(state__in=LIVE, next_fire_at__lte=now)
    if purposes is not None:
        due = due.filter(purpose__in=list(purposes))
    ids = list(due.order_by("next_fire_at").values_list("pk", flat=True)[:limit])
    for pk in ids:
        try:
            fired += _run_one(pk, now)
        except Exception:  # noqa: BLE001 - one broken deadline must not stop the others
            log.exception("deadline %s: step failed; it will be retried at the next run", pk)
    return fired


def _run_one(pk: int, now: datetime) -> int:
    """Fire the due steps of one deadline under a row lock; returns how many fired."""
    fired = 0
    with transaction.atomic():
        deadline = (
            Deadline.objects.select_for_update().select_related("policy", "content_type")
            .filter(pk=pk, state__in=LIVE, next_fire_at__lte=now).first()
        )
        if deadline is None:
            return 0
        # Fire every step whose time has come (several when the deadline was registered late or
        # the job did not run for a while), so that a second run with the same ``now`` fires nothing.
        while deadline.next_fire_at is not None and deadline.next_fire_at <= now:
            step = deadline.policy.steps[deadline.next_step]
            _fire(deadline, step, now)
            fired += 1
            repeat = repeat_interval(step)
            current = deadline.next_step
            deadline.next_step += 1
            _schedule(deadline, now)
            if repeat and deadline.state == DeadlineState.OPEN:
                again = now + repeat
                if deadline.next_fire_at is None or again < deadline.next_fire_at:
                    # Repeat this step until acknowledged, unless a later step is due first.
                    deadline.next_step, deadline.next_fire_at = current, again
        deadline.save(update_fields=["next_step", "next_fire_at"])
    return fired
