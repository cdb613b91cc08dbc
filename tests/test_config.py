"""Configuration comes only from FIREGOV_* variables, with *_FILE for secrets."""

from __future__ import annotations

import pytest

from firegov import config


def test_plain_and_file_values(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n", encoding="utf-8")
    monkeypatch.delenv("FIREGOV_SECRET_KEY", raising=False)
    monkeypatch.setenv("FIREGOV_SECRET_KEY_FILE", str(secret))
    assert config.raw("SECRET_KEY") == "s3cret"
    monkeypatch.setenv("FIREGOV_SECRET_KEY", "direct")
    assert config.raw("SECRET_KEY") == "direct"


def test_unreadable_file_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("FIREGOV_EMAIL_PASSWORD_FILE", str(tmp_path / "missing"))
    with pytest.raises(config.ConfigError, match="FIREGOV_EMAIL_PASSWORD_FILE"):
        config.raw("EMAIL_PASSWORD")


@pytest.mark.parametrize("value,expected", [("1", True), ("yes", True), ("off", False), ("", False)])
def test_booleans(monkeypatch, value, expected):
    monkeypatch.setenv("FIREGOV_DEBUG", value)
    assert config.boolean("DEBUG") is expected


def test_bad_values_are_refused(monkeypatch):
    monkeypatch.setenv("FIREGOV_DEBUG", "maybe")
    with pytest.raises(config.ConfigError, match="FIREGOV_DEBUG"):
        config.boolean("DEBUG")
    monkeypatch.setenv("FIREGOV_UPLOAD_MAX_MB", "lots")
    with pytest.raises(config.ConfigError, match="integer"):
        config.integer("UPLOAD_MAX_MB", 20)


def test_lists(monkeypatch):
    monkeypatch.setenv("FIREGOV_ALLOWED_HOSTS", "a.example, b.example,,")
    assert config.listing("ALLOWED_HOSTS", []) == ["a.example", "b.example"]


def test_debug_is_off_by_default(settings):
    import os

    if "FIREGOV_DEBUG" not in os.environ:
        assert settings.DEBUG is False
