"""The identity tests' real servers: local OIDC providers (``tests.fixtures.oidc``)."""

from tests.fixtures.oidc import (  # noqa: F401
    oidc_provider,
    other_oidc_provider,
    rotating_oidc_provider,
    short_lived_oidc_provider,
    verifier_for,
)
