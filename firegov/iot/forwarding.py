"""Forwarding a confirmed fire to the 119 command centre (城市消防通信指挥中心).

Forwarders are pluggable: ``FIREGOV_FIRE_FORWARDER`` names a class with a ``name`` and a
``send(payload) -> str`` that returns the centre's answer and raises on failure. The default,
:class:`WebhookForwarder`, POSTs the JSON payload to ``FIREGOV_FIRE_WEBHOOK_URL`` (signed with
HMAC-SHA256 when ``FIREGOV_FIRE_WEBHOOK_SECRET`` is set), which is how command-centre integrations
(火警信息终端 adapters) are usually fed. Every attempt is recorded on the
:class:`~firegov.iot.models.Forwarding` with its time; GB 50440 allows 3 s from confirmation to 119.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from firegov.iot import live
from firegov.iot.models import Alarm, Forwarding, ForwardStatus

log = logging.getLogger("firegov.forwarding")
MAX_ATTEMPTS = 10


class ForwardingNotConfigured(RuntimeError):
    pass


class WebhookForwarder:
    name = "webhook"

    def send(self, payload: dict) -> str:
        url = settings.FIREGOV["FIRE_WEBHOOK_URL"]
        if not url:
            raise ForwardingNotConfigured("no 119 webhook configured (FIREGOV_FIRE_WEBHOOK_URL): call 119")
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8"}
        secret = settings.FIREGOV["FIRE_WEBHOOK_SECRET"]
        if secret:
            headers["X-Firegov-Signature"] = "sha256=" + hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()
        request = urllib.request.Request(url, data=data, headers=headers)
        with urllib.request.urlopen(request, timeout=settings.FIREGOV["FIRE_WEBHOOK_TIMEOUT"]) as response:
            body = response.read(300).decode("utf-8", "replace")
            return f"HTTP {response.status} {body}".strip()


def forwarder():
    return import_string(settings.FIREGOV["FIRE_FORWARDER"])()


def send(forwarding_id: int) -> bool:
    """One attempt, claimed first (compare-and-set on the attempt count) so that two workers never
    send the same forwarding twice at once. True once the centre has accepted it."""
    forwarding = Forwarding.objects.filter(pk=forwarding_id).first()
    if forwarding is None or forwarding.status != ForwardStatus.PENDING:
        return False
    now = timezone.now()
    # Claimed only when nobody is sending it: no attempt yet, or the last one has surely ended.
    idle = Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lt=now - in_flight())
    claimed = Forwarding.objects.filter(idle, pk=forwarding.pk, status=ForwardStatus.PENDING,
                                        attempts=forwarding.attempts).update(attempts=F("attempts") + 1,
                                                                             last_attempt_at=now)
    if not claimed:
        return False
    forwarding.attempts += 1
    try:
        answer = forwarder().send(forwarding.payload)
    except Exception as exc:  # noqa: BLE001 - a forwarder reports failure by raising anything
        log.warning("forwarding %s to 119 failed: %s", forwarding.pk, exc)
        final = isinstance(exc, ForwardingNotConfigured) or forwarding.attempts >= MAX_ATTEMPTS
        Forwarding.objects.filter(pk=forwarding.pk).update(
            answer=str(exc)[:300], status=ForwardStatus.FAILED if final else ForwardStatus.PENDING)
        return False
    sent = timezone.now()
    Forwarding.objects.filter(pk=forwarding.pk).update(answer=answer[:300], status=ForwardStatus.SENT, sent_at=sent)
    Alarm.objects.filter(pk=forwarding.alarm_id).update(forwarded_at=sent, changed_at=sent)
    live.publish_alarms([forwarding.alarm_id])
    return True


def in_flight() -> timedelta:
    """How long an attempt may still be under way: the timeout and a margin."""
    return timedelta(seconds=settings.FIREGOV["FIRE_WEBHOOK_TIMEOUT"] + 3)


def retry_pending() -> int:
    """Send again what failed for a passing reason (the alarm clock every 5 s, the worker every minute)."""
    due = Forwarding.objects.filter(status=ForwardStatus.PENDING, last_attempt_at__lt=timezone.now() - in_flight())
    return sum(send(pk) for pk in due.values_list("pk", flat=True))
