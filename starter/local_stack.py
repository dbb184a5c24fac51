"""Settings for commands run by hand next to ``exitflow up``.

The embedded stack encrypts payloads and signs resume tokens with development secrets it
keeps in ``var/dev-secrets.json``. A command run in another terminal reads them from there
when the environment names none, so ``exitflow session ...`` works with nothing exported;
the environment, when set, always wins.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from pydantic import SecretStr

from config import VAR_DIR, Settings, get_settings

if TYPE_CHECKING:
    from store import Store

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


async def with_store(call: Callable[[Store], Awaitable[int]]) -> int:
    """Run ``call`` on the store :func:`cli_settings` names, and close it after."""
    from store import Store

    store = Store.from_url(cli_settings().database_url)
    try:
        return await call(store)
    finally:
        await store.dispose()
