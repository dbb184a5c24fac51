"""``exitflow sign-in``: a person's token from the dev stack's OIDC provider, for curl.

``exitflow up`` runs a local provider with two people (``hr.dev``, ``ops.dev``); this signs
one in through the provider's authorization-code flow, as the browser would, and prints the
token the API and the codec server verify. It is for development: a company's provider asks
the person for a password, and its tokens come from its own sign-in page.
"""

from __future__ import annotations

import argparse

import httpx

from devstack.oidc_provider import DEV_CLIENT_ID, SignInFailed, sign_in
from devstack.stack import EmbeddedPorts
from starter.local_stack import cli_settings
from starter.output import print_json


def add_to(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``sign-in`` to the ``exitflow`` parser."""
    command = commands.add_parser(
        "sign-in", help="a dev person's token from exitflow up's OIDC provider"
    )
    command.add_argument("--user", default="hr.dev", help="hr.dev (default) or ops.dev")
    command.add_argument(
        "--issuer", help="the provider (default: EXITFLOW_OIDC_ISSUER, else exitflow up's)"
    )
    command.set_defaults(run=_sign_in)


async def _sign_in(args: argparse.Namespace) -> int:
    settings = cli_settings()
    issuer = args.issuer or settings.oidc_issuer or EmbeddedPorts().oidc_issuer
    client_id = settings.oidc_audience or settings.oidc_client_id or DEV_CLIENT_ID
    try:
        token = await sign_in(issuer.rstrip("/"), args.user, client_id=client_id)
    except (SignInFailed, httpx.HTTPError, ValueError, KeyError) as err:
        message = str(err) or f"the provider at {issuer} did not answer as expected"
        print_json({"error": {"code": "sign_in_failed", "message": message}})
        return 1
    print_json({"user": args.user, "authorization": f"Bearer {token}"})
    return 0
