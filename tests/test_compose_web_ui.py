"""The production Web UI's sign-in and codec wiring, checked by reading docker-compose.yml."""

from __future__ import annotations

from tests.test_compose import ENVIRONMENTS, SERVICES, _with_defaults


def test_the_web_ui_signs_people_in_and_passes_their_token_to_the_codec_server() -> None:
    """People sign in to the UI with OIDC; the UI sends their access token to an https
    codec endpoint (it sends none to http), and the codec server checks it against the
    same provider."""
    ui, codec = ENVIRONMENTS["temporal-ui"], ENVIRONMENTS["codec-server"]
    assert ui["TEMPORAL_AUTH_ENABLED"] == "true"
    assert ui["TEMPORAL_CODEC_PASS_ACCESS_TOKEN"] == "true"
    assert _with_defaults(ui["TEMPORAL_CODEC_ENDPOINT"]).startswith("https://")
    assert ui["TEMPORAL_AUTH_PROVIDER_URL"] == codec["EXITFLOW_OIDC_ISSUER"]
    assert ui["TEMPORAL_AUTH_CALLBACK_URL"].endswith("/auth/sso/callback")
    command = SERVICES["codec-server"]["command"]
    assert "--tls-cert" in command and "--tls-key" in command


def test_the_codec_server_audits_into_exitflows_database() -> None:
    """Decodes are audited in the same chain as everything else."""
    codec = ENVIRONMENTS["codec-server"]
    assert codec["EXITFLOW_DATABASE_URL"] == ENVIRONMENTS["api"]["EXITFLOW_DATABASE_URL"]
