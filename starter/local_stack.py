"""Settings for commands run by hand next to ``exitflow up``.

The embedded stack encrypts payloads and signs resume tokens with development secrets it
keeps in ``var/dev-secrets.json``. A command run in another terminal reads them from there
when the environment names none, so ``exitflow session ...`` works with nothing exported;
the environment, when set, always wins.
"""

from __future__ import annotations

import json

from pydantic import SecretStr

from config import VAR_DIR, Settings, get_settings

_FROM_DEV_SECRETS = ("payload_keys", "resume_token_secret")


def cli_settings() -> Settings:
    """The environment's settings, completed from the embedded stack's secrets if present."""
    settings = get_settings()
    path = VAR_DIR / "dev-secrets.json"
    if not path.exists():
        return settings
    kept = json.loads(path.read_text())
    update = {
        name: SecretStr(kept[name])
        for name in _FROM_DEV_SECRETS
        if getattr(settings, name) is None and name in kept
    }
    return settings.model_copy(update=update) if update else settings
