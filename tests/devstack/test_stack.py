"""``exitflow up``'s development secrets: made once, API keys per role, kept under ``var/``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devstack.stack import EmbeddedPorts, dev_api_keys, dev_secrets, embedded_settings
from starter.api.auth import parse_api_keys


def test_secrets_are_made_once_with_one_api_key_per_role(tmp_path: Path) -> None:
    """A second call returns the same secrets, and each role has its own key."""
    first = dev_secrets(tmp_path)
    again = dev_secrets(tmp_path)

    assert first == again
    keys = dev_api_keys(first)
    assert sorted(keys) == ["hr", "ops", "platform"]
    assert len(set(keys.values())) == 3
    assert (tmp_path / "dev-secrets.json").stat().st_mode & 0o777 == 0o600


def test_an_older_file_gains_api_keys_and_keeps_its_secrets(tmp_path: Path) -> None:
    """A file from before the API keeps its webhook and resume secrets and gains the keys."""
    older = {"hris_webhook_secret": dev_secrets(tmp_path / "x")["hris_webhook_secret"]}
    older["resume_token_secret"] = "kept-resume-secret-of-some-length"
    (tmp_path / "dev-secrets.json").write_text(json.dumps(older))

    kept = dev_secrets(tmp_path)

    assert {k: kept[k] for k in older} == older
    assert set(dev_api_keys(kept)) == {"platform", "hr", "ops"}


def test_embedded_settings_carry_the_keys_and_the_resume_secret(tmp_path: Path) -> None:
    """The embedded API is configured with every role's key and the resume token secret,
    and its settings are marked as the development stack's."""
    kept = dev_secrets(tmp_path)

    settings = embedded_settings(EmbeddedPorts(), "http://127.0.0.1:8026/webhooks", kept)

    assert settings.api_keys is not None
    parsed = parse_api_keys(settings.api_keys.get_secret_value())
    assert {key.role: key.secret.decode() for key in parsed} == dev_api_keys(kept)
    assert settings.resume_token_secret is not None
    assert settings.resume_token_secret.get_secret_value() == kept["resume_token_secret"]
    assert settings.dev_stack


def test_embedded_email_links_follow_the_api_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``exitflow up --api-port`` moves the emails' links with the stand-in pages."""
    monkeypatch.delenv("EXITFLOW_RESUME_URL_BASE", raising=False)
    monkeypatch.setenv("EXITFLOW_CONTEST_URL_BASE", "https://careers.example.com/contest")
    kept = dev_secrets(tmp_path)

    settings = embedded_settings(EmbeddedPorts(api=9000), "http://127.0.0.1:8026/webhooks", kept)

    assert settings.resume_url_base == "http://localhost:9000/resume"
    assert settings.contest_url_base == "https://careers.example.com/contest"  # named: kept
