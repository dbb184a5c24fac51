"""The codec server: the Temporal codec protocol, for ops keys only, with the UI's CORS."""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from google.protobuf import json_format
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload, Payloads

from config import Settings
from config.payload_keys import new_payload_key, parse_payload_keys
from runtime.codec import ENCODING, KEY_ID, EncryptionCodec
from starter import codec_command, codec_server
from starter.codec_server import create_codec_app
from store import Store
from tests.starter.api.helpers import HR, KEYS, OPS, PLATFORM

UI_ORIGIN = "http://localhost:8233"
PAYLOAD_KEYS = new_payload_key("k1")


def _settings() -> Settings:
    return Settings(
        payload_keys=SecretStr(PAYLOAD_KEYS),
        api_keys=SecretStr(",".join(f"{role}:{key}" for role, key in KEYS.items())),
        web_ui_origin=UI_ORIGIN,
    )


@pytest.fixture
async def codec_http(store: Store) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the codec server, configured with one key per role."""
    app = create_codec_app(_settings(), store=store)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://codec") as http:
        yield http


def _as_json(*payloads: Payload) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(json_format.MessageToJson(Payloads(payloads=payloads)))
    return loaded


def _from_json(body: dict[str, Any]) -> list[Payload]:
    return list(json_format.ParseDict(body, Payloads()).payloads)


PLAIN = Payload(metadata={"encoding": b"json/plain"}, data=b'{"name": "Ann Lee"}')


async def test_ops_key_decodes_what_the_worker_encrypted(codec_http: httpx.AsyncClient) -> None:
    """A payload from the worker's codec comes back as the original protobuf JSON."""
    [encrypted] = await EncryptionCodec(parse_payload_keys(PAYLOAD_KEYS)).encode([PLAIN])

    response = await codec_http.post(
        "/decode", json=_as_json(encrypted), headers={**OPS, "X-Namespace": "default"}
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert _from_json(response.json()) == [PLAIN]


async def test_encode_gives_payloads_the_worker_can_decrypt(codec_http: httpx.AsyncClient) -> None:
    """What the UI encodes (e.g. a signal input) the worker's codec decrypts."""
    response = await codec_http.post("/encode", json=_as_json(PLAIN), headers=OPS)

    assert response.status_code == 200
    [encoded] = _from_json(response.json())
    assert encoded.metadata["encoding"] == ENCODING and encoded.metadata[KEY_ID] == b"k1"
    assert await EncryptionCodec(parse_payload_keys(PAYLOAD_KEYS)).decode([encoded]) == [PLAIN]


async def test_only_the_last_path_segment_counts(codec_http: httpx.AsyncClient) -> None:
    """``--codec-endpoint http://host/{namespace}`` posts to ``/default/decode``."""
    response = await codec_http.post("/default/decode", json=_as_json(PLAIN), headers=OPS)
    assert response.status_code == 200
    assert _from_json(response.json()) == [PLAIN]


@pytest.mark.parametrize(
    ("headers", "status"), [({}, 401), (PLATFORM, 403), (HR, 403), ({"Authorization": "x"}, 401)]
)
async def test_only_ops_keys_may_decode(
    codec_http: httpx.AsyncClient, headers: dict[str, str], status: int
) -> None:
    """Decrypting shows candidates' data: no key, a platform key or an HR key are refused."""
    response = await codec_http.post("/decode", json=_as_json(PLAIN), headers=headers)
    assert response.status_code == status
    assert "Ann Lee" not in response.text


async def test_malformed_payloads_are_a_400(codec_http: httpx.AsyncClient) -> None:
    """A body that is not Payloads as protobuf JSON is refused with the contract's error."""
    response = await codec_http.post("/decode", content=b"not json", headers=OPS)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_payloads"


async def test_a_payload_under_an_unknown_key_is_a_400(codec_http: httpx.AsyncClient) -> None:
    """A payload from another deployment's key is refused, not passed through."""
    [foreign] = await EncryptionCodec(parse_payload_keys(new_payload_key("other"))).encode([PLAIN])
    response = await codec_http.post("/decode", json=_as_json(foreign), headers=OPS)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "undecodable_payload"


async def test_a_short_ciphertext_is_a_400_naming_the_payload(
    codec_http: httpx.AsyncClient,
) -> None:
    """Finding 8: a payload under our key too short to be ciphertext is 400
    ``undecodable_payload`` naming which payload, where it was a 500."""
    [good] = await EncryptionCodec(parse_payload_keys(PAYLOAD_KEYS)).encode([PLAIN])
    short = Payload(metadata={"encoding": ENCODING, KEY_ID: b"k1"}, data=b"\x00" * 5)

    response = await codec_http.post("/decode", json=_as_json(good, short), headers=OPS)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "undecodable_payload"
    assert error["details"]["fields"][0]["field"] == "payloads.1.data"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"payloads": [{"data": "AA==", "data": "AQ=="}]}', "payloads.0.data"),
        (b'{"payloads": [{"metadata": {"\\ud800": "AA=="}}]}', "payloads.0.metadata.?"),
        (b'{"payloads": [], "x": NaN}', "x"),
        (b"\xff", "body"),
        (b"[]", "body"),
    ],
)
async def test_bodies_that_are_not_i_json_payloads_are_a_400(
    codec_http: httpx.AsyncClient, body: bytes, field: str
) -> None:
    """I-JSON: duplicate keys, lone surrogates, non-finite numbers, bytes that are not UTF-8
    and a body that is no object are 400 ``malformed_payloads``, naming where when it can."""
    response = await codec_http.post("/decode", content=body, headers=OPS)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "malformed_payloads"
    named = (error["details"] or {}).get("fields", [{"field": "body"}])[0]["field"]
    assert named == field


async def test_a_body_over_the_limit_is_a_413_after_the_key(
    codec_http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding 6: the codec server reads a body only for an ops key, and stops at its limit
    with 413 ``body_too_large``."""
    monkeypatch.setattr(codec_server, "MAX_BODY_BYTES", 1024)
    body = json.dumps(_as_json(*[PLAIN] * 40)).encode()

    anonymous = await codec_http.post("/decode", content=body)
    ops = await codec_http.post("/decode", content=body, headers=OPS)

    assert anonymous.status_code == 401
    assert (ops.status_code, ops.json()["error"]["code"]) == (413, "body_too_large")


async def test_the_web_ui_origin_passes_the_cors_preflight(codec_http: httpx.AsyncClient) -> None:
    """The browser may send Authorization and X-Namespace from the configured UI origin."""
    response = await codec_http.options(
        "/decode",
        headers={
            "Origin": UI_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,x-namespace",
        },
    )

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == UI_ORIGIN
    allowed = response.headers["access-control-allow-headers"].lower()
    assert {"authorization", "content-type", "x-namespace"} <= set(
        allowed.replace(" ", "").split(",")
    )
    assert "POST" in response.headers["access-control-allow-methods"]


async def test_other_origins_get_no_cors_grant(codec_http: httpx.AsyncClient) -> None:
    """A page from any other origin cannot read decoded payloads."""
    response = await codec_http.options(
        "/decode",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def test_answers_carry_cors_headers_for_the_ui(codec_http: httpx.AsyncClient) -> None:
    """Both the decoded answer and a refusal reach the UI's page (it can show the error)."""
    ok = await codec_http.post(
        "/decode", json=_as_json(PLAIN), headers={**OPS, "Origin": UI_ORIGIN}
    )
    refused = await codec_http.post("/decode", json=_as_json(PLAIN), headers={"Origin": UI_ORIGIN})
    assert ok.headers["access-control-allow-origin"] == UI_ORIGIN
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == UI_ORIGIN


async def test_without_payload_keys_there_is_no_codec_server(store: Store) -> None:
    """Nothing to decode with: the command refuses to start instead of serving 500s."""
    with pytest.raises(ValueError, match="EXITFLOW_PAYLOAD_KEYS"):
        create_codec_app(Settings(), store=store)


def test_codec_server_command_parses_host_and_port() -> None:
    """``exitflow codec-server --host H --port P`` reaches the server with those values."""
    parser = argparse.ArgumentParser()
    codec_command.add_to(parser.add_subparsers())

    args = parser.parse_args(["codec-server", "--host", "0.0.0.0", "--port", "9081"])
    defaults = parser.parse_args(["codec-server"])

    assert (args.host, args.port) == ("0.0.0.0", 9081)
    assert (defaults.host, defaults.port) == ("127.0.0.1", codec_command.DEFAULT_PORT)
    assert args.run is defaults.run


async def test_a_key_made_at_run_time_decodes_for_ops_only(
    codec_http: httpx.AsyncClient, store: Store
) -> None:
    """An ops key made with ``exitflow keys create`` decodes like a configured one; an hr key
    made so is 403, and a revoked one 401."""
    _, ops = await store.keys.create("ops-runtime", "ops")
    _, hr = await store.keys.create("hr-runtime", "hr")
    [encrypted] = await EncryptionCodec(parse_payload_keys(PAYLOAD_KEYS)).encode([PLAIN])

    decoded = await codec_http.post(
        "/decode", json=_as_json(encrypted), headers={"Authorization": f"Bearer {ops}"}
    )
    wrong_role = await codec_http.post(
        "/decode", json=_as_json(encrypted), headers={"Authorization": f"Bearer {hr}"}
    )
    await store.keys.revoke("ops-runtime")
    revoked = await codec_http.post(
        "/decode", json=_as_json(encrypted), headers={"Authorization": f"Bearer {ops}"}
    )

    assert decoded.status_code == 200, decoded.text
    assert _from_json(decoded.json()) == [PLAIN]
    assert (wrong_role.status_code, revoked.status_code) == (403, 401)
