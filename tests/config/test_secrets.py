"""Weak configuration stops a process at start, naming the variable and never the secret."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from activities.hris.signing import new_secret
from config import Settings, get_settings
from config.payload_keys import new_payload_key
from config.secrets import weakness
from tests.fixtures.strong_secrets import strong_secret

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = strong_secret("shared")
WEAK_WEBHOOK_SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
WORDY_PAYLOAD_KEY = "k1:" + base64.b64encode(b"changeme-password-placeholder-xy").decode()

WEAK = [
    ("EXITFLOW_API_KEYS", "platform:changeme,hr:changeme,ops:changeme", "shorter than 32"),
    ("EXITFLOW_API_KEYS", f"platform:{STRONG_KEY},hr:{STRONG_KEY}", "same secret"),
    ("EXITFLOW_API_KEYS", "platform:x", "shorter than 32"),
    ("EXITFLOW_API_KEYS", "changemechangemechangemechangeme", "not role:key"),
    ("EXITFLOW_RESUME_TOKEN_SECRET", "x", "shorter than 32"),
    ("EXITFLOW_RESUME_TOKEN_SECRET", "changeme" * 4, "placeholders and common words"),
    ("EXITFLOW_RESUME_TOKEN_SECRET", "My-Resume-Token-Secret-Password!", "common words"),
    ("EXITFLOW_RESUME_TOKEN_SECRET", "ab" * 20, "too few different characters"),
    ("EXITFLOW_HRIS_WEBHOOK_SECRET", WEAK_WEBHOOK_SECRET, "shorter than 32"),
    ("EXITFLOW_PAYLOAD_KEYS", WORDY_PAYLOAD_KEY, "common words"),
    ("EXITFLOW_SMTP_PASSWORD", "changeme", "placeholder"),
    ("EXITFLOW_SESSION_COOKIE_SECRET", "cookie", "shorter than 32"),
    ("EXITFLOW_SESSION_COOKIE_SECRET", "changeme" * 4, "placeholders and common words"),
    ("EXITFLOW_OIDC_CLIENT_SECRET", "changeme", "placeholder"),
]


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """An environment with no ``EXITFLOW_*`` variable but those the test sets."""
    for name in [name for name in os.environ if name.startswith("EXITFLOW_")]:
        monkeypatch.delenv(name)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


@pytest.mark.parametrize(("variable", "value", "reason"), WEAK)
def test_a_weak_secret_stops_the_process_naming_the_variable(
    environment: pytest.MonkeyPatch, variable: str, value: str, reason: str
) -> None:
    """Short, placeholder, repetitive, wordy or shared secrets are refused, by name only."""
    environment.setenv(variable, value)

    with pytest.raises(SystemExit) as refused:
        get_settings()

    message = str(refused.value.code)
    assert variable in message
    assert reason in message
    for secret in {value, *(part.partition(":")[2] for part in value.split(","))} - {"", "x"}:
        assert secret not in message


def test_one_secret_for_two_variables_is_refused(environment: pytest.MonkeyPatch) -> None:
    """A resume token secret that is also an API key is refused, naming both variables."""
    environment.setenv("EXITFLOW_API_KEYS", f"platform:{STRONG_KEY}")
    environment.setenv("EXITFLOW_RESUME_TOKEN_SECRET", STRONG_KEY)

    with pytest.raises(SystemExit) as refused:
        get_settings()

    message = str(refused.value.code)
    assert "EXITFLOW_RESUME_TOKEN_SECRET" in message
    assert "EXITFLOW_API_KEYS (platform)" in message
    assert STRONG_KEY not in message


def test_strong_configuration_is_accepted(environment: pytest.MonkeyPatch) -> None:
    """Distinct random secrets, readable prefixes and all, start the process."""
    keys = {role: strong_secret(role) for role in ("platform", "hr", "ops")}
    environment.setenv("EXITFLOW_API_KEYS", ",".join(f"{r}:{k}" for r, k in keys.items()))
    environment.setenv("EXITFLOW_RESUME_TOKEN_SECRET", strong_secret("resume-token-secret"))
    environment.setenv("EXITFLOW_HRIS_WEBHOOK_URL", "https://hr.example.com/hooks")
    environment.setenv("EXITFLOW_HRIS_WEBHOOK_SECRET", new_secret())
    environment.setenv("EXITFLOW_PAYLOAD_KEYS", f"{new_payload_key('a')},{new_payload_key('b')}")
    environment.setenv("EXITFLOW_SMTP_PASSWORD", "Tr0ub4dor&3")

    settings = get_settings()

    settings.require_resume_token_secret()
    assert settings.api_keys is not None


def test_generated_secrets_are_never_refused() -> None:
    """Random secrets in the usual encodings pass, so a strong secret is never turned away."""
    for _ in range(20_000):
        for secret in (secrets.token_urlsafe(32), secrets.token_hex(16), uuid.uuid4().hex):
            assert weakness(secret.encode()) is None


def test_only_the_embedded_stack_runs_without_a_resume_token_secret(
    environment: pytest.MonkeyPatch,
) -> None:
    """Links would go out unsigned: refused unless the settings are the dev stack's own,
    which no environment variable can claim."""
    environment.setenv("EXITFLOW_DEV_STACK", "true")

    with pytest.raises(SystemExit, match="EXITFLOW_RESUME_TOKEN_SECRET"):
        get_settings().require_resume_token_secret()
    Settings.for_dev_stack().require_resume_token_secret()


@pytest.mark.parametrize(
    ("argv", "variable"),
    [
        ([sys.executable, "worker.py"], "EXITFLOW_RESUME_TOKEN_SECRET"),
        ([str(Path(sys.executable).parent / "exitflow"), "api"], "EXITFLOW_RESUME_TOKEN_SECRET"),
        ([sys.executable, "worker.py"], "EXITFLOW_API_KEYS"),
    ],
    ids=["worker-unsigned-links", "api-unsigned-links", "worker-weak-key"],
)
def test_the_worker_and_the_api_refuse_to_start(argv: list[str], variable: str) -> None:
    """A real process stops at once with the refusal on stderr, before it connects anywhere."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("EXITFLOW_")}
    env["EXITFLOW_TEMPORAL_ADDRESS"] = "127.0.0.1:1"  # nothing there: a start would hang
    if variable == "EXITFLOW_API_KEYS":
        env["EXITFLOW_API_KEYS"] = "platform:changeme-0123,hr:changeme-0123"
        env["EXITFLOW_RESUME_TOKEN_SECRET"] = strong_secret("resume")

    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)

    assert done.returncode == 1
    assert variable in done.stderr
    assert "changeme-0123" not in done.stderr + done.stdout
