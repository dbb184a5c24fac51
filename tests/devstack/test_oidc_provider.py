"""The dev stack's local OIDC provider: its users sign in, its key rotates, it stops."""

from __future__ import annotations

import socket

import httpx
import pytest

from devstack.oidc_provider import run_oidc_provider
from identity.oidc import TokenVerifier
from tests.fixtures.oidc import token_for

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the provider's authlib


async def test_the_dev_users_sign_in_as_hr_and_ops() -> None:
    """``exitflow up``'s users: an HR person seeing every job, and an operations person."""
    with run_oidc_provider() as provider:
        verifier = TokenVerifier(issuer=provider.issuer, audience="exitflow")
        try:
            hr = await verifier.verify(
                await token_for(provider.issuer, "hr.dev", client_id="exitflow")
            )
            ops = await verifier.verify(
                await token_for(provider.issuer, "ops.dev", client_id="exitflow")
            )
        finally:
            await verifier.aclose()

    assert (hr.role, hr.jobs, hr.email) == ("hr", None, "hr.dev@exitflow.test")
    assert (ops.role, ops.jobs, ops.name) == ("ops", None, "Dev Ops")


async def test_rotating_replaces_the_published_key() -> None:
    """After a rotation the JWKS publishes one key, and not the one it published before."""
    with run_oidc_provider() as provider:
        async with httpx.AsyncClient() as http:
            before = (await http.get(f"{provider.issuer}/jwks")).json()["keys"]
            provider.rotate_signing_key()
            after = (await http.get(f"{provider.issuer}/jwks")).json()["keys"]

    assert len(before) == len(after) == 1
    assert before[0]["kid"] != after[0]["kid"]


def test_leaving_the_block_frees_the_port() -> None:
    """The provider stops cleanly: its port can be bound again at once."""
    with run_oidc_provider() as provider:
        port = int(provider.issuer.rsplit(":", 1)[1])

    with socket.socket() as again:
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", port))
