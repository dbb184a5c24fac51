"""``exitflow sign-in``: a dev person's token from a real local provider, verified for real."""

from __future__ import annotations

import argparse
import json
import socket
from collections.abc import Iterator

import pytest

from config import get_settings
from devstack.oidc_provider import DEV_CLIENT_ID, LocalOidcProvider, run_oidc_provider
from identity.oidc import TokenVerifier
from starter import cli, local_stack

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def provider(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalOidcProvider]:
    """The dev stack's provider (its dev users) and a terminal with no EXITFLOW_OIDC_*."""
    for name in ("EXITFLOW_OIDC_ISSUER", "EXITFLOW_OIDC_AUDIENCE", "EXITFLOW_OIDC_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(local_stack, "VAR_DIR", tmp_path)
    get_settings.cache_clear()
    with run_oidc_provider() as running:
        yield running
    get_settings.cache_clear()


async def _run(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, object]]:
    args: argparse.Namespace = cli._parser().parse_args(argv)
    code = await args.run(args)
    printed: dict[str, object] = json.loads(capsys.readouterr().out)
    return code, printed


@pytest.mark.parametrize(
    ("user", "role", "jobs"), [("hr.dev", "hr", None), ("ops.dev", "ops", None)]
)
async def test_the_printed_token_proves_the_dev_person(
    provider: LocalOidcProvider,
    capsys: pytest.CaptureFixture[str],
    user: str,
    role: str,
    jobs: frozenset[str] | None,
) -> None:
    """The token printed for a dev user is one the API's verifier accepts as that person."""
    code, printed = await _run(["sign-in", "--user", user, "--issuer", provider.issuer], capsys)

    assert code == 0 and printed["user"] == user
    token = str(printed["authorization"]).removeprefix("Bearer ")
    verifier = TokenVerifier(issuer=provider.issuer, audience=DEV_CLIENT_ID)
    try:
        person = await verifier.verify(token)
    finally:
        await verifier.aclose()
    # Both dev people see every job: hr.dev's scope is "*".
    assert (person.kind, person.subject, person.role, person.jobs) == ("person", user, role, None)


async def test_no_provider_is_an_error_not_a_traceback(
    provider: LocalOidcProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    """A port where no provider answers gives ``sign_in_failed`` and exit status 1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    code, printed = await _run(["sign-in", "--issuer", f"http://127.0.0.1:{port}"], capsys)

    assert code == 1
    assert printed["error"]["code"] == "sign_in_failed"  # type: ignore[index]
