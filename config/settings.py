"""exitflow's one configuration object, read from ``EXITFLOW_*`` environment variables.

Only the worker, the starters and the activities read it; workflows get every value they
need through their input so that they stay deterministic.
"""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.payload_keys import parse_payload_keys

VAR_DIR = Path("var")

_PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "password", "test", "dev", "xxx"}


def _refuse_placeholder(value: SecretStr | None, name: str) -> SecretStr | None:
    if value is not None and value.get_secret_value().strip().lower() in _PLACEHOLDER_SECRETS:
        raise ValueError(f"{name} is a placeholder; set a real secret")
    return value


class Settings(BaseSettings):
    """Everything exitflow reads from its environment.

    Secrets have no working default: the embedded stack (``exitflow up``) generates its own
    and passes them in explicitly.
    """

    model_config = SettingsConfigDict(
        env_prefix="EXITFLOW_", extra="ignore", hide_input_in_errors=True
    )

    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    task_queue: str = "interview-sessions"

    database_url: str = Field(default=f"sqlite+aiosqlite:///{VAR_DIR}/exitflow.db")

    smtp_host: str = "localhost"
    smtp_port: int = 8025
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 20.0
    mail_from: str = "exitflow <no-reply@exitflow.localhost>"

    hris_webhook_url: str | None = None
    hris_webhook_secret: SecretStr | None = None
    hris_timeout_seconds: float = 10.0

    sms_webhook_url: str | None = None

    api_keys: SecretStr | None = None
    resume_url_base: str = "http://localhost:8000/resume"
    contest_url_base: str = "http://localhost:8000/contest"
    """The candidate's page to contest a termination; the email adds session_id and token."""
    resume_token_secret: SecretStr | None = None

    log_level: str = "INFO"

    retention_days: int = Field(default=365, ge=1)
    """Ended sessions quiet for this many days lose their personal data (daily schedule)."""

    payload_keys: SecretStr | None = None
    """``kid:base64key,...`` (AES-256, first is active); unset means payloads in clear."""
    web_ui_origin: str | None = None
    """Origins (comma-separated) of the Temporal Web UI the codec server answers."""
    metrics_bind: str | None = None
    """``host:port`` of the worker's Prometheus endpoint; unset means no endpoint."""

    @field_validator("hris_webhook_secret")
    @classmethod
    def _webhook_secret_is_standard(cls, value: SecretStr | None) -> SecretStr | None:
        value = _refuse_placeholder(value, "EXITFLOW_HRIS_WEBHOOK_SECRET")
        if value is None:
            return None
        raw = value.get_secret_value()
        if not raw.startswith("whsec_"):
            raise ValueError("EXITFLOW_HRIS_WEBHOOK_SECRET must look like whsec_<base64>")
        try:
            key = base64.b64decode(raw.removeprefix("whsec_"), validate=True)
        except binascii.Error as err:
            raise ValueError(
                "EXITFLOW_HRIS_WEBHOOK_SECRET is not valid base64 after whsec_"
            ) from err
        if len(key) < 24:
            raise ValueError("EXITFLOW_HRIS_WEBHOOK_SECRET must hold at least 24 random bytes")
        return value

    @field_validator("smtp_password", "resume_token_secret", "api_keys")
    @classmethod
    def _no_placeholder(cls, value: SecretStr | None) -> SecretStr | None:
        return _refuse_placeholder(value, "secret")

    @field_validator("payload_keys")
    @classmethod
    def _payload_keys_are_real(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parse_payload_keys(value.get_secret_value())
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.hris_webhook_url and self.hris_webhook_secret is None:
            raise ValueError(
                "EXITFLOW_HRIS_WEBHOOK_SECRET is required when EXITFLOW_HRIS_WEBHOOK_URL is set"
            )
        return self

    @property
    def hris_webhook_key(self) -> bytes | None:
        """The raw HMAC key behind ``whsec_...``, or None when webhooks are off."""
        if self.hris_webhook_secret is None:
            return None
        return base64.b64decode(self.hris_webhook_secret.get_secret_value().removeprefix("whsec_"))


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
