"""Login, throttling, password rules, CSRF and session protection."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from firegov.core.models import User


def test_login_and_logout(city, client):
    response = client.post("/login/", {"username": "xuecheng", "password": "Firegov-2026"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/units/").status_code == 200
    client.post("/logout/")
    assert client.get("/units/").status_code == 302


def test_repeated_failures_lock_the_login(city, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "xuecheng", "password": "wrong-password"})
    response = client.post("/login/", {"username": "xuecheng", "password": "Firegov-2026"})
    assert response.status_code == 429
    # another user from the same address is not locked out
    assert Client().post("/login/", {"username": "tengzhou", "password": "Firegov-2026"}).status_code == 302


def test_api_token_login_is_locked_and_throttled(city):
    from rest_framework.test import APIClient

    api = APIClient()
    codes = [api.post("/api/auth/token/", {"username": "tengzhou", "password": "nope"}).status_code
             for _ in range(6)]
    assert codes == [400] * 6
    # locked out: even the right password gets no token now
    right = api.post("/api/auth/token/", {"username": "tengzhou", "password": "Firegov-2026"})
    assert right.status_code != 200
    codes = [api.post("/api/auth/token/", {"username": "x", "password": "y"}).status_code for _ in range(6)]
    assert codes[-1] == 429


@pytest.mark.parametrize("password", ["short1", "12345678901", "password123", "xuecheng2026"])
def test_weak_passwords_are_refused(city, password):
    with pytest.raises(ValidationError):
        validate_password(password, city.xuecheng)


def test_csrf_is_enforced(city):
    client = Client(enforce_csrf_checks=True)
    client.force_login(city.xc_supervisor)
    response = client.post(f"/units/{city.xc_hotel.pk}/delete/")
    assert response.status_code == 403


def test_responses_carry_security_headers_and_request_id(city, client):
    client.force_login(city.admin)
    response = client.get("/units/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert len(response["X-Request-ID"]) == 16
    fresh = Client()
    fresh.post("/login/", {"username": "xuecheng", "password": "Firegov-2026"})
    assert fresh.cookies["sessionid"]["httponly"] and fresh.cookies["sessionid"]["samesite"] == "Lax"


@pytest.mark.parametrize(
    ("first", "last", "full"),
    [("文", "郭", "郭文"), ("丹丹", "朱", "朱丹丹"), ("\U00020000", "李", "李\U00020000"),
     ("John", "Smith", "John Smith"), ("", "", "")],
)
def test_full_names_in_chinese_order(first, last, full):
    """Pages and documents listed inspectors as "文 郭" (Django's "first last")."""
    user = User(username="u", first_name=first, last_name=last)
    assert user.get_full_name() == full
    assert str(user) == (full or "u")
