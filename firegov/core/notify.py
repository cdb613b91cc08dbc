"""The one way firegov tells people: in-app inbox, email, and a webhook for SMS/IM gateways.

``notify()`` stores one inbox notification per recipient and one delivery record per outside
channel; the deliveries are sent by a background task after the transaction commits, and each
records its status, attempts and the gateway's answer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.request
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from firegov.core.models import Delivery, DeliveryStatus, Notification

log = logging.getLogger("firegov.notify")


def absolute(link: str) -> str:
    """Links leave firegov as full addresses (FIREGOV_SITE_URL), in mails and gateway messages."""
    return link if "://" in link else settings.FIREGOV["SITE_URL"] + link


class Channel:
    name = ""

    def applies(self, notification: Notification) -> bool:
        raise NotImplementedError

    def send(self, notification: Notification) -> str:
        """Send; return a short detail for the record; raise on failure."""
        raise NotImplementedError


class EmailChannel(Channel):
    name = "email"

    def applies(self, notification):
        return bool(notification.recipient.email)

    def send(self, notification):
        body = notification.body
        if notification.link:
            body = f"{body}\n\n{absolute(notification.link)}"
        send_mail(notification.subject, body, None, [notification.recipient.email])
        return notification.recipient.email


class WebhookChannel(Channel):
    """POST a JSON message to a gateway (SMS, WeCom, DingTalk…) signed with HMAC-SHA256."""

    name = "webhook"

    def applies(self, notification):
        return bool(settings.FIREGOV["NOTIFY_WEBHOOK_URL"])

    def send(self, notification):
        recipient = notification.recipient
        payload = {
            "id": notification.pk,
            "kind": notification.kind,
            "subject": notification.subject,
            "body": notification.body,
            "link": absolute(notification.link) if notification.link else "",
            "recipient": {"username": recipient.username, "name": str(recipient), "phone": recipient.phone,
                          "email": recipient.email},
            "created_at": notification.created_at.isoformat(),
        }
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8"}
        secret = settings.FIREGOV["NOTIFY_WEBHOOK_SECRET"]
        if secret:
            digest = hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()
            headers["X-Firegov-Signature"] = f"sha256={digest}"
        request = urllib.request.Request(settings.FIREGOV["NOTIFY_WEBHOOK_URL"], data=data, headers=headers)
        with urllib.request.urlopen(request, timeout=settings.FIREGOV["NOTIFY_WEBHOOK_TIMEOUT"]) as response:
            return f"HTTP {response.status}"


CHANNELS: dict[str, Channel] = {c.name: c for c in (EmailChannel(), WebhookChannel())}
MAX_ATTEMPTS = 5


def register_channel(channel: Channel) -> None:
    CHANNELS[channel.name] = channel


def notify(recipients: Iterable, kind: str, subject: str, body: str = "", link: str = "") -> list[Notification]:
    seen, created = set(), []
    for user in recipients:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        note = Notification.objects.create(recipient=user, kind=kind, subject=subject[:200], body=body,
                                           link=link)
        for channel in CHANNELS.values():
            if channel.applies(note):
                Delivery.objects.create(notification=note, channel=channel.name)
        created.append(note)
    if created:
        ids = [n.pk for n in created]
        transaction.on_commit(lambda: _enqueue(ids))
    return created


def _enqueue(notification_ids: list[int]) -> None:
    from firegov.core.tasks import deliver_notifications

    deliver_notifications(notification_ids)


def deliver(delivery: Delivery) -> bool:
    """Send one delivery. The attempt is claimed first (compare-and-set on the attempt count), so two
    workers, or the after-commit task and the retry job, never send the same delivery twice, and no
    transaction stays open while a gateway is called."""
    claimed = Delivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.PENDING, attempts=delivery.attempts
    ).update(attempts=F("attempts") + 1)
    if not claimed:
        return False
    channel = CHANNELS.get(delivery.channel)
    delivery.attempts += 1
    if channel is None:
        delivery.status, delivery.detail = DeliveryStatus.SKIPPED, "channel not configured"
    else:
        try:
            delivery.detail = channel.send(delivery.notification)[:300]
            delivery.status = DeliveryStatus.SENT
        except Exception as exc:  # noqa: BLE001 - a channel reports failure by raising anything
            # (http.client.HTTPException from a gateway that is not HTTP, a plugin's own errors):
            # whatever it is, it is recorded and retried, and the other deliveries still go out.
            log.warning("delivery %s over %s failed: %s", delivery.pk, delivery.channel, exc)
            delivery.detail = str(exc)[:300]
            delivery.status = DeliveryStatus.FAILED if delivery.attempts >= MAX_ATTEMPTS else DeliveryStatus.PENDING
    delivery.save(update_fields=["attempts", "detail", "status", "updated_at"])
    return delivery.status == DeliveryStatus.SENT


def deliver_pending(notification_ids: list[int] | None = None) -> int:
    deliveries = Delivery.objects.filter(status=DeliveryStatus.PENDING).select_related("notification__recipient")
    if notification_ids is not None:
        deliveries = deliveries.filter(notification_id__in=notification_ids)
    return sum(deliver(d) for d in deliveries)


def mark_read(user, notification_ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=list(notification_ids))
    return qs.update(read_at=timezone.now())


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
