"""exitflow's one configuration object, read from ``EXITFLOW_*`` environment variables.

Only the worker, the starters and the activities read it; workflows get every value they
need through their input so that they stay deterministic.
"""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import (
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.payload_keys import parse_payload_keys
from config.secrets import api_key_entries, is_placeholder, refuse_shared, refuse_weak, weakness

VAR_DIR = Path("var")


class Settings(BaseSettings):
    """Everything exitflow reads from its environment.

    Secrets have no working default, and a weak one stops the process at start (see
    ``config/secrets.py``): the embedded stack (``exitflow up``) generates its own and passes
    them in explicitly, through :meth:`for_dev_stack`.
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
    """``role:key,role:key`` for machines; several per role, so one can be rotated."""

    oidc_issuer: str | None = Field(default=None, max_length=500)
    """The people's OIDC provider (the discovery URL's base); unset: API keys only."""
    oidc_audience: str | None = Field(default=None, max_length=500)
    """The ``aud`` an access token must name (exitflow's client id at the provider)."""
    oidc_roles_claim: str = Field(default="roles", min_length=1, max_length=100)
    """The claim holding a person's roles (``hr``, ``ops``)."""
    oidc_scope_claim: str = Field(default="exitflow_jobs", min_length=1, max_length=100)
    """The claim holding the job ids (or ``*``) an HR person may see and act on."""
    oidc_client_id: str | None = Field(default=None, max_length=500)
    """The browser pages' client id for the authorization-code flow (default: the audience)."""
    oidc_client_secret: SecretStr | None = None
    """The browser pages' client secret, when the provider wants one (PKCE is always used)."""
    session_cookie_secret: SecretStr | None = None
    """Signs the HR pages' sign-in cookie; unset: a random one per process (sign-ins do not
    survive a restart)."""
    resume_url_base: str = "http://localhost:8000/resume"
    contest_url_base: str = "http://localhost:8000/contest"
    """The candidate's page to contest a termination; the email adds session_id and token."""
    resume_token_secret: SecretStr | None = None

    log_level: str = "INFO"

    retention_days: int = Field(default=365, ge=1)
    """Ended sessions quiet for this many days lose their personal data (daily schedule)."""
    report_timeout_seconds: float = Field(default=30.0, gt=0, le=3600, allow_inf_nan=False)
    """How long a report may query the database before it is stopped (503 report_timeout)."""

    payload_keys: SecretStr | None = None
    """``kid:base64key,...`` (AES-256, first is active); unset means payloads in clear."""
    web_ui_origin: str | None = None
    """Origins (comma-separated) of the Temporal Web UI the codec server answers."""
    metrics_bind: str | None = None
    """``host:port`` of the worker's Prometheus endpoint; unset means no endpoint."""
    max_request_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=1024**3)
    """Larger API request bodies are refused with 413 before the key is checked."""

    # Each API process counts on its own: N processes admit N times these rates.
    rate_limit_key_per_second: float = Field(default=100.0, gt=0, le=1e6, allow_inf_nan=False)
    """Requests per second one API key may make (a platform with ~1000 live interviews
    beating every 15 s needs ~70)."""
    rate_limit_key_burst: int = Field(default=500, ge=1, le=1_000_000)
    """Requests one API key may make at once, above its rate."""
    rate_limit_link_per_minute: float = Field(default=10.0, gt=0, le=1e6, allow_inf_nan=False)
    """Requests per minute on one candidate link (its session and the client's address)."""
    rate_limit_link_burst: int = Field(default=10, ge=1, le=1_000_000)
    """Requests on one candidate link at once, above its rate."""
    rate_limit_table_size: int = Field(default=10_000, ge=1, le=10_000_000)
    """Buckets each rate limit keeps at most; the least recently used go first."""
    progress_in_flight_per_session: int = Field(default=4, ge=1, le=1000)
    """Progress updates of one session an API process has in Temporal at once (Temporal
    allows 10 in flight per workflow; the rest stay free for exits and faults)."""
    progress_waiting_per_session: int = Field(default=16, ge=0, le=10_000)
    """Progress updates of one session that wait their turn; any more are 429 at once."""

    # Never read from the environment: only ``for_dev_stack`` sets it.
    _dev_stack: bool = PrivateAttr(default=False)

    @classmethod
    def for_dev_stack(cls, **values: Any) -> Settings:
        """The embedded development stack's settings (``exitflow up``), which makes its own
        secrets; it alone may run without :meth:`require_resume_token_secret`'s secret."""
        settings = cls(**values)
        settings._dev_stack = True
        return settings

    @property
    def dev_stack(self) -> bool:
        """Whether these are the embedded development stack's settings."""
        return self._dev_stack

    def require_resume_token_secret(self) -> None:
        """Refuse to start a process that issues candidate links without a secret to sign them.

        Raises:
            SystemExit: Without ``EXITFLOW_RESUME_TOKEN_SECRET``, outside the dev stack.
        """
        if self.resume_token_secret is None and not self.dev_stack:
            raise SystemExit(
                "exitflow: EXITFLOW_RESUME_TOKEN_SECRET is not set, so candidate links would "
                "go out unsigned; set it to a random secret of 32 bytes or more"
            )

    @field_validator("hris_webhook_secret")
    @classmethod
    def _webhook_secret_is_standard(cls, value: SecretStr | None) -> SecretStr | None:
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
        if (reason := weakness(key)) is not None:
            raise ValueError(
                f"EXITFLOW_HRIS_WEBHOOK_SECRET's key {reason}; make one with: "
                "echo whsec_$(openssl rand -base64 32)"
            )
        return value

    @field_validator("resume_token_secret", "session_cookie_secret")
    @classmethod
    def _our_secret_is_strong(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        # exitflow's own secrets: made by whoever deploys it, so held to every rule.
        if value is not None:
            refuse_weak(f"EXITFLOW_{str(info.field_name).upper()}", value.get_secret_value())
        return value

    @field_validator("api_keys")
    @classmethod
    def _api_keys_are_strong(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            api_key_entries(value.get_secret_value())
        return value

    @field_validator("smtp_password", "oidc_client_secret")
    @classmethod
    def _issued_secret_is_real(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        # The mail or sign-in provider issues these, so only a placeholder is refused, not
        # their length.
        if value is not None and is_placeholder(value.get_secret_value()):
            name = f"EXITFLOW_{str(info.field_name).upper()}"
            raise ValueError(f"{name} is a placeholder; set the real one")
        return value

    @field_validator("payload_keys")
    @classmethod
    def _payload_keys_are_real(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                parse_payload_keys(value.get_secret_value())
            except ValueError as err:
                raise ValueError(f"EXITFLOW_PAYLOAD_KEYS: {err}") from None
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.hris_webhook_url and self.hris_webhook_secret is None:
            raise ValueError(
                "EXITFLOW_HRIS_WEBHOOK_SECRET is required when EXITFLOW_HRIS_WEBHOOK_URL is set"
            )
        return self

    @model_validator(mode="after")
    def _no_secret_serves_twice(self) -> Settings:
        refuse_shared(self._secrets())
        return self

    def _secrets(self) -> list[tuple[str, list[bytes]]]:
        """Every configured secret's purpose and forms (as written and decoded)."""
        named = [
            (name, [value.get_secret_value().encode()])
            for name, value in (
                ("EXITFLOW_RESUME_TOKEN_SECRET", self.resume_token_secret),
                ("EXITFLOW_SMTP_PASSWORD", self.smtp_password),
                ("EXITFLOW_SESSION_COOKIE_SECRET", self.session_cookie_secret),
                ("EXITFLOW_OIDC_CLIENT_SECRET", self.oidc_client_secret),
            )
            if value is not None
        ]
        if self.hris_webhook_secret is not None and self.hris_webhook_key is not None:
            raw = self.hris_webhook_secret.get_secret_value().encode()
            named.append(("EXITFLOW_HRIS_WEBHOOK_SECRET", [raw, self.hris_webhook_key]))
        if self.api_keys is not None:
            for role, key in api_key_entries(self.api_keys.get_secret_value()):
                named.append((f"EXITFLOW_API_KEYS ({role})", [key.encode()]))
        if self.payload_keys is not None:
            for entry in parse_payload_keys(self.payload_keys.get_secret_value()):
                named.append((f"EXITFLOW_PAYLOAD_KEYS ({entry.key_id})", [entry.secret]))
        return named

    @property
    def hris_webhook_key(self) -> bytes | None:
        """The raw HMAC key behind ``whsec_...``, or None when webhooks are off."""
        if self.hris_webhook_secret is None:
            return None
        return base64.b64decode(self.hris_webhook_secret.get_secret_value().removeprefix("whsec_"))


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment.

    Raises:
        SystemExit: When the environment is refused, naming each variable and why (never
            its value).
    """
    try:
        return Settings()
    except ValidationError as err:
        raise SystemExit(configuration_refused(err)) from None


def configuration_refused(err: ValidationError) -> str:
    """The message a process stops with when its ``EXITFLOW_*`` variables are refused."""
    lines = []
    for error in err.errors(include_input=False, include_url=False):
        message = str(error["msg"]).removeprefix("Value error, ")
        variable = "_".join(str(part) for part in error["loc"]).upper()
        if variable and not message.startswith("EXITFLOW_"):
            message = f"EXITFLOW_{variable}: {message}"
        lines.append(message)
    return "exitflow refuses its configuration:\n  " + "\n  ".join(lines)
