"""The one way to tell people: inbox, email (locmem backend) and a signed webhook to a real local server."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.db import transaction
from huey.contrib.djhuey import HUEY

from firegov.core import notify
from firegov.core.models import Delivery, DeliveryStatus, Notification, User

SECRET = "s3cret-密钥"


@pytest.fixture(autouse=True)
def immediate_huey():
    """Deliveries run as Huey tasks: run them in Huey's own immediate mode whatever the environment says."""
    previous = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = previous


@pytest.fixture
def email_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "firegov@example.org"
    settings.FIREGOV = {**settings.FIREGOV, "NOTIFY_WEBHOOK_URL": "", "NOTIFY_WEBHOOK_SECRET": ""}
    return settings


class Gateway:
    """A real HTTP server on 127.0.0.1 standing for an SMS/IM gateway; records what it receives."""

    def __init__(self):
        self.requests = []
        self.status = 200
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                gateway.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                self.send_response(gateway.status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if gateway.status < 400 else b"gateway broken")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook?token=abc"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def gateway(email_settings):
    gw = Gateway()
    email_settings.FIREGOV = {**email_settings.FIREGOV, "NOTIFY_WEBHOOK_URL": gw.url,
                              "NOTIFY_WEBHOOK_SECRET": SECRET, "NOTIFY_WEBHOOK_TIMEOUT": 5}
    yield gw
    gw.close()


class NotHttp:
    """A TCP server on 127.0.0.1 that answers every connection with something that is not HTTP."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                conn.recv(65536)
                conn.sendall(b"220 smtp.example.org ESMTP ready\r\n\r\n")

    def close(self):
        self.running = False
        self.thread.join(5)
        self.sock.close()


def closed_port_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


def people(city, **emails):
    for name, email in emails.items():
        user = getattr(city, name)
        user.email = email
        user.save(update_fields=["email"])
    return city


# ------------------------------------------------------------------ inbox


def test_one_inbox_notification_per_recipient(city, email_settings, django_capture_on_commit_callbacks):
    city.nobody.is_active = False
    city.nobody.save()
    with django_capture_on_commit_callbacks(execute=True):
        created = notify.notify([city.danwei, city.xuecheng, city.danwei, None, city.nobody],
                                "hazard.assigned", "隐患待整改" + "很长" * 150, body="请于三日内整改", link="/x/1/")
    assert [n.recipient for n in created] == [city.danwei, city.xuecheng]
    assert Notification.objects.count() == 2
    note = Notification.objects.get(recipient=city.danwei)
    assert note.kind == "hazard.assigned" and note.body == "请于三日内整改" and note.link == "/x/1/"
    assert len(note.subject) == 200 and note.read_at is None
    assert not Delivery.objects.exists()  # no email address, no webhook configured
    assert mail.outbox == []


def test_notify_accepts_a_queryset(city, email_settings):
    created = notify.notify(User.objects.filter(agency=city.xc_brigade), "k", "s")
    assert sorted(n.recipient.username for n in created) == ["xc_dd", "xuecheng"]


def test_nobody_to_tell_schedules_nothing(city, email_settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        assert notify.notify([], "k", "s") == []
        assert notify.notify([city.nobody.__class__.objects.create_user("gone", is_active=False)], "k", "s") == []
    assert callbacks == []


# ------------------------------------------------------------------ email


def test_email_is_sent_to_the_recipient_after_commit(city, email_settings, django_capture_on_commit_callbacks):
    people(city, danwei="danwei@example.org")
    with django_capture_on_commit_callbacks() as callbacks:
        notify.notify([city.danwei, city.xuecheng], "hazard.overdue", "隐患逾期", body="请尽快整改",
                      link="/hazards/7/")
        delivery = Delivery.objects.get()
        assert (delivery.channel, delivery.status, delivery.attempts) == ("email", "pending", 0)
    assert mail.outbox == []  # nothing leaves before the transaction commits
    assert len(callbacks) == 1
    callbacks[0]()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["danwei@example.org"]
    assert message.subject == "隐患逾期"
    assert message.from_email == "firegov@example.org"
    assert message.body == "请尽快整改\n\nhttp://127.0.0.1:8000/hazards/7/"  # FIREGOV_SITE_URL + link
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.detail) == ("sent", 1, "danwei@example.org")
    assert delivery.notification.recipient == city.danwei

    # a later retry run does not send it again
    assert notify.deliver_pending() == 0
    assert len(mail.outbox) == 1


def test_rolled_back_notification_is_never_sent(city, email_settings, django_capture_on_commit_callbacks):
    people(city, danwei="danwei@example.org")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            notify.notify([city.danwei], "k", "never")
            raise RuntimeError("the surrounding write failed")
    assert callbacks == []
    assert mail.outbox == []
    assert not Notification.objects.exists()


# ------------------------------------------------------------------ webhook


def test_webhook_posts_signed_json(city, gateway, django_capture_on_commit_callbacks):
    people(city, danwei="danwei@example.org")
    city.danwei.phone, city.danwei.last_name, city.danwei.first_name = "13800000001", "王", "五"
    city.danwei.save()
    with django_capture_on_commit_callbacks(execute=True):
        (note,) = notify.notify([city.danwei], "alarm.fire", "火警：薛城宾馆", body="3楼烟感报警", link="/alarms/5/")

    assert len(gateway.requests) == 1
    request = gateway.requests[0]
    assert request["path"] == "/hook?token=abc"
    assert request["headers"]["Content-Type"] == "application/json; charset=utf-8"
    body = request["body"]
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert request["headers"]["X-Firegov-Signature"] == expected
    assert json.loads(body.decode("utf-8")) == {
        "id": note.pk, "kind": "alarm.fire", "subject": "火警：薛城宾馆", "body": "3楼烟感报警",
        "link": "http://127.0.0.1:8000/alarms/5/",
        "recipient": {"username": "danwei", "name": "王五", "phone": "13800000001", "email": "danwei@example.org"},
        "created_at": note.created_at.isoformat(),
    }
    assert "火警".encode() in body  # UTF-8, not \u escapes

    deliveries = {d.channel: d for d in Delivery.objects.filter(notification=note)}
    assert set(deliveries) == {"email", "webhook"}
    assert (deliveries["webhook"].status, deliveries["webhook"].attempts, deliveries["webhook"].detail) == \
        ("sent", 1, "HTTP 200")
    assert deliveries["email"].status == "sent" and len(mail.outbox) == 1


def test_webhook_signature_does_not_match_another_secret(city, gateway, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify.notify([city.xuecheng], "k", "s")
    request = gateway.requests[0]
    wrong = "sha256=" + hmac.new(b"other", request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-Firegov-Signature"] != wrong


def test_webhook_without_secret_is_unsigned(city, gateway, django_capture_on_commit_callbacks, settings):
    settings.FIREGOV = {**settings.FIREGOV, "NOTIFY_WEBHOOK_SECRET": ""}
    with django_capture_on_commit_callbacks(execute=True):
        notify.notify([city.xuecheng], "k", "s")
    assert len(gateway.requests) == 1
    assert "X-Firegov-Signature" not in gateway.requests[0]["headers"]
    assert Delivery.objects.get().status == "sent"


def test_failing_webhook_is_retried_until_max_attempts(city, gateway, django_capture_on_commit_callbacks):
    gateway.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        notify.notify([city.xuecheng], "k", "s")
    delivery = Delivery.objects.get(channel="webhook")
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert "500" in delivery.detail

    for attempt in range(2, notify.MAX_ATTEMPTS + 1):
        assert notify.deliver_pending() == 0
        delivery.refresh_from_db()
        assert delivery.attempts == attempt
        assert delivery.status == (DeliveryStatus.FAILED if attempt == notify.MAX_ATTEMPTS else DeliveryStatus.PENDING)
    assert len(gateway.requests) == notify.MAX_ATTEMPTS

    notify.deliver_pending()  # a failed delivery is not tried again
    delivery.refresh_from_db()
    assert delivery.attempts == notify.MAX_ATTEMPTS
    assert len(gateway.requests) == notify.MAX_ATTEMPTS


def test_webhook_recovers_after_a_failure(city, gateway, django_capture_on_commit_callbacks):
    gateway.status = 503
    with django_capture_on_commit_callbacks(execute=True):
        notify.notify([city.xuecheng], "k", "s")
    gateway.status = 200
    assert notify.deliver_pending() == 1
    delivery = Delivery.objects.get(channel="webhook")
    assert (delivery.status, delivery.attempts, delivery.detail) == ("sent", 2, "HTTP 200")


def test_unreachable_webhook_stays_pending_then_fails(city, email_settings, django_capture_on_commit_callbacks):
    people(city, xuecheng="xuecheng@example.org")
    email_settings.FIREGOV = {**email_settings.FIREGOV, "NOTIFY_WEBHOOK_URL": closed_port_url(),
                              "NOTIFY_WEBHOOK_TIMEOUT": 2}
    with django_capture_on_commit_callbacks(execute=True):
        (note,) = notify.notify([city.xuecheng], "k", "s")
    webhook = Delivery.objects.get(notification=note, channel="webhook")
    assert (webhook.status, webhook.attempts) == ("pending", 1)
    assert "refused" in webhook.detail.lower()
    assert Delivery.objects.get(notification=note, channel="email").status == "sent"  # one channel's failure

    for _ in range(notify.MAX_ATTEMPTS - 1):
        notify.deliver_pending([note.pk])
    webhook.refresh_from_db()
    assert (webhook.status, webhook.attempts) == ("failed", notify.MAX_ATTEMPTS)
    assert len(mail.outbox) == 1


def test_gateway_answering_garbage_is_a_recorded_failure(city, email_settings):
    people(city, xuecheng="xuecheng@example.org")
    server = NotHttp()
    try:
        email_settings.FIREGOV = {**email_settings.FIREGOV, "NOTIFY_WEBHOOK_URL": server.url,
                                  "NOTIFY_WEBHOOK_TIMEOUT": 2}
        first = notify.notify([city.xuecheng], "k", "one")[0]
        second = notify.notify([city.xuecheng], "k", "two")[0]
        assert notify.deliver_pending() == 2  # both emails, although the webhooks failed in between
    finally:
        server.close()
    for note in (first, second):
        webhook = Delivery.objects.get(notification=note, channel="webhook")
        assert (webhook.status, webhook.attempts) == ("pending", 1)
        assert webhook.detail
        assert Delivery.objects.get(notification=note, channel="email").status == "sent"


class ExplodingChannel(notify.Channel):
    """A pluggable channel (as an IM plugin would register) whose client raises its own error."""

    name = "im-test"

    def applies(self, notification):
        return notification.recipient.username == "xuecheng"

    def send(self, notification):
        raise RuntimeError("IM gateway says: token expired")


@pytest.fixture
def exploding_channel():
    notify.register_channel(ExplodingChannel())
    yield
    notify.CHANNELS.pop(ExplodingChannel.name, None)


def test_a_plugin_channel_failure_is_recorded(city, email_settings, exploding_channel,
                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify.notify([city.xuecheng, city.tengzhou], "k", "s")
    delivery = Delivery.objects.get(channel="im-test")
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.detail == "IM gateway says: token expired"
    for _ in range(notify.MAX_ATTEMPTS - 1):
        notify.deliver_pending()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", notify.MAX_ATTEMPTS)


def test_deliver_pending_limited_to_given_notifications(city, email_settings):
    email_settings.FIREGOV = {**email_settings.FIREGOV, "NOTIFY_WEBHOOK_URL": closed_port_url()}
    first = notify.notify([city.xuecheng], "k", "one")[0]
    second = notify.notify([city.tengzhou], "k", "two")[0]
    notify.deliver_pending([first.pk])
    assert Delivery.objects.get(notification=first).attempts == 1
    assert Delivery.objects.get(notification=second).attempts == 0


def test_unknown_channel_is_skipped(city, email_settings):
    note = notify.notify([city.xuecheng], "k", "s")[0]
    delivery = Delivery.objects.create(notification=note, channel="carrier-pigeon")
    assert notify.deliver(delivery) is False
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.detail) == ("skipped", 1, "channel not configured")


# ------------------------------------------------------------------ read state and the inbox page


def test_mark_read_and_unread_count(city, email_settings):
    a = notify.notify([city.danwei], "k", "a")[0]
    b = notify.notify([city.danwei], "k", "b")[0]
    notify.notify([city.danwei], "k", "c")
    other = notify.notify([city.xuecheng], "k", "other")[0]
    assert notify.unread_count(city.danwei) == 3

    assert notify.mark_read(city.danwei, [a.pk, other.pk]) == 1  # another user's notification is untouched
    assert notify.unread_count(city.danwei) == 2
    assert notify.unread_count(city.xuecheng) == 1
    assert notify.mark_read(city.danwei, [a.pk]) == 0  # already read: read_at is kept
    first_read = Notification.objects.get(pk=a.pk).read_at
    assert first_read is not None

    assert notify.mark_read(city.danwei) == 2
    assert notify.unread_count(city.danwei) == 0
    assert Notification.objects.get(pk=a.pk).read_at == first_read
    assert Notification.objects.get(pk=b.pk).read_at is not None
    assert Notification.objects.get(pk=other.pk).read_at is None
    assert notify.mark_read(city.danwei, []) == 0


def test_inbox_page_shows_only_own_notifications(city, client, email_settings):
    notify.notify([city.danwei], "k", "给单位的通知", body="单位正文")
    notify.notify([city.xuecheng], "k", "给大队的通知", body="大队正文")
    client.force_login(city.danwei)
    html = client.get("/inbox/").content.decode()
    assert "给单位的通知" in html and "单位正文" in html
    assert "给大队的通知" not in html and "大队正文" not in html


def test_inbox_requires_login(client, db):
    response = client.get("/inbox/")
    assert response.status_code == 302 and "login" in response["Location"]
    assert client.post("/inbox/read/").status_code == 302
    assert client.get("/inbox/read/").status_code in (302, 405)


def test_inbox_read_marks_one_or_all_of_own(city, client, email_settings):
    mine = [notify.notify([city.danwei], "k", f"n{i}")[0] for i in range(3)]
    theirs = notify.notify([city.xuecheng], "k", "theirs")[0]
    client.force_login(city.danwei)

    response = client.post("/inbox/read/", {"id": [str(mine[0].pk), str(theirs.pk)]})
    assert response.status_code == 302 and response["Location"].endswith("/inbox/")
    assert notify.unread_count(city.danwei) == 2
    assert Notification.objects.get(pk=theirs.pk).read_at is None

    assert client.get("/inbox/read/").status_code == 405  # reading state changes only by POST
    client.post("/inbox/read/")
    assert notify.unread_count(city.danwei) == 0
    assert notify.unread_count(city.xuecheng) == 1
