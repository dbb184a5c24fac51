"""The codec server audits every decode, admits the dev stack's Web UI on loopback only, and
``exitflow codec-server`` takes the keys ``exitflow up`` made."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from google.protobuf import json_format
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload, Payloads

from config import Settings, get_settings
from config.payload_keys import parse_payload_keys
from devstack.stack import dev_api_keys, dev_secrets
from runtime.codec import EncryptionCodec
from starter import codec_command, local_stack
from starter.codec_audit import DecodeAudit, Reader
from starter.codec_command import codec_settings, running_codec
from starter.codec_server import create_codec_app
from store import AuditEntryView, Store
from tests.starter.api.helpers import KEYS, OPS
from tests.starter.test_codec_server import PAYLOAD_KEYS, UI_ORIGIN

CODEC = EncryptionCodec(parse_payload_keys(PAYLOAD_KEYS))
DEV_SETTINGS: dict[str, Any] = {"payload_keys": SecretStr(PAYLOAD_KEYS), "web_ui_origin": UI_ORIGIN}


async def _body(value: dict[str, object]) -> dict[str, object]:
    plain = Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(value).encode())
    loaded: dict[str, object] = json.loads(
        json_format.MessageToJson(Payloads(payloads=await CODEC.encode([plain])))
    )
    return loaded


async def _decodes(store: Store) -> list[AuditEntryView]:
    page = await store.audit_entries(limit=1000)
    return [entry for entry in page.items if entry.type == "payloads.decoded"]


def _client(app: object, base_url: str = "http://codec") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)  # type: ignore[arg-type]


@pytest.fixture
async def codec_http(store: Store) -> AsyncIterator[httpx.AsyncClient]:
    """The production codec server (keys only) on the test's store."""
    settings = Settings(
        **DEV_SETTINGS, api_keys=SecretStr(",".join(f"{r}:{k}" for r, k in KEYS.items()))
    )
    async with _client(create_codec_app(settings, store=store)) as http:
        yield http


async def test_a_decode_is_audited_naming_the_reader_and_the_session(
    codec_http: httpx.AsyncClient, store: Store
) -> None:
    """The entry names the ops key, the namespace and the session the payload belongs to,
    and none of the candidate's data."""
    body = await _body({"session_id": "s-audit-1", "candidate": {"name": "Ann Lee"}})

    response = await codec_http.post(
        "/decode", json=body, headers={**OPS, "X-Namespace": "default"}
    )

    assert response.status_code == 200
    [entry] = await _decodes(store)
    assert entry.session_id == "s-audit-1"
    assert entry.facts["reader"] == {"kind": "key", "role": "ops", "subject": "ops"}
    assert entry.facts["namespace"] == "default"
    assert entry.facts["session_ids"] == ["s-audit-1"]
    assert "Ann Lee" not in json.dumps(entry.facts)
    assert (await store.verify_audit_chain()).ok


async def test_a_refreshing_reader_adds_no_entries(
    codec_http: httpx.AsyncClient, store: Store
) -> None:
    """The UI decodes each event and again on refresh: one entry per reader and sessions,
    another for payloads that name no session."""
    session_body = await _body({"session_id": "s-audit-2"})
    update_body = await _body({"reason_code": "other"})

    for _ in range(5):
        for body in (session_body, update_body):
            response = await codec_http.post("/decode", json=body, headers=OPS)
            assert response.status_code == 200

    entries = await _decodes(store)
    assert sorted(entry.session_id for entry in entries) == ["", "s-audit-2"]


async def test_each_window_and_each_process_share_one_entry(store: Store) -> None:
    """A second process in the same window finds the entry; the next window gets its own."""
    reader = Reader(kind="person", role="ops", subject="ops-person-1")
    at = datetime(2026, 12, 8, 10, 1, tzinfo=UTC)

    await DecodeAudit(store).record(reader, namespace="default", session_ids=["s-3"], at=at)
    await DecodeAudit(store).record(
        reader, namespace="default", session_ids=["s-3"], at=at + timedelta(minutes=2)
    )
    await DecodeAudit(store).record(
        reader, namespace="default", session_ids=["s-3"], at=at + timedelta(minutes=5)
    )

    entries = await _decodes(store)
    assert [entry.facts["window_start"] for entry in entries] == [
        "2026-12-08T10:00:00+00:00",
        "2026-12-08T10:05:00+00:00",
    ]


async def test_a_decode_that_cannot_be_audited_shows_nothing(tmp_path: Path) -> None:
    """No audit entry, no plaintext: 503 ``audit_unavailable`` (here: a database without
    the audit table)."""
    store = Store.from_url(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    settings = Settings(**DEV_SETTINGS, api_keys=SecretStr(f"ops:{KEYS['ops']}"))
    try:
        async with _client(create_codec_app(settings, store=store)) as http:
            body = await _body({"session_id": "s-4", "name": "Ann Lee"})
            response = await http.post("/decode", json=body, headers=OPS)
    finally:
        await store.dispose()

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "audit_unavailable"
    assert "Ann Lee" not in response.text


async def test_a_namespace_header_past_its_bound_is_a_400(codec_http: httpx.AsyncClient) -> None:
    """``X-Namespace`` is at most 255 characters, and the refusal names the header."""
    body = await _body({"session_id": "s-5"})
    response = await codec_http.post(
        "/decode", json=body, headers={**OPS, "X-Namespace": "n" * 256}
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"]["fields"][0]["field"] == "X-Namespace"


@pytest.mark.parametrize(
    ("base_url", "origin", "status"),
    [
        ("http://127.0.0.1:8081", UI_ORIGIN, 200),
        ("http://localhost:8081", UI_ORIGIN, 200),
        ("http://127.0.0.1:8081", "http://evil.example", 401),
        ("http://127.0.0.1:8081", None, 401),
        ("http://rebound.example:8081", UI_ORIGIN, 401),
    ],
)
async def test_the_dev_stack_admits_its_own_web_ui_without_a_key(
    store: Store, base_url: str, origin: str | None, status: int
) -> None:
    """The embedded Web UI cannot send a key: its origin, on loopback, is admitted (and
    audited as ``dev-web-ui``); another origin, none, or a non-loopback Host are not."""
    app = create_codec_app(
        Settings.for_dev_stack(**DEV_SETTINGS), store=store, dev_ui_origins=(UI_ORIGIN,)
    )
    headers = {"Origin": origin} if origin else {}
    async with _client(app, base_url) as http:
        body = await _body({"session_id": "s-6", "name": "Ann Lee"})
        response = await http.post("/decode", json=body, headers=headers)

    assert response.status_code == status
    entries = await _decodes(store)
    if status == 200:
        [decoded] = json_format.ParseDict(response.json(), Payloads()).payloads
        assert b"Ann Lee" in decoded.data
        assert [entry.facts["reader"]["kind"] for entry in entries] == ["dev-web-ui"]
    else:
        assert "payloads" not in response.json() and entries == []


async def test_only_the_dev_stack_admits_a_web_ui_without_a_credential(store: Store) -> None:
    """Production settings (not ``Settings.for_dev_stack``) refuse the dev UI admission,
    and ``running_codec`` refuses it on an address that is not loopback."""
    with pytest.raises(ValueError, match="dev stack"):
        create_codec_app(Settings(**DEV_SETTINGS), store=store, dev_ui_origins=(UI_ORIGIN,))
    with pytest.raises(ValueError, match="loopback"):
        async with running_codec(
            Settings.for_dev_stack(**DEV_SETTINGS),
            host="0.0.0.0",
            port=0,
            dev_ui_origins=(UI_ORIGIN,),
        ):
            pass


async def test_codec_server_command_takes_the_keys_up_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """With nothing exported, ``exitflow codec-server`` reads ``var/dev-secrets.json``: the
    ops key ``exitflow up`` prints decodes what the stack's payload key encrypted."""
    kept = dev_secrets(tmp_path)
    for name in ("EXITFLOW_API_KEYS", "EXITFLOW_PAYLOAD_KEYS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("EXITFLOW_DATABASE_URL", database_url)
    monkeypatch.setattr(local_stack, "VAR_DIR", tmp_path)
    monkeypatch.setattr(codec_command, "VAR_DIR", tmp_path)
    get_settings.cache_clear()
    try:
        settings = codec_settings()
    finally:
        get_settings.cache_clear()
    stack_codec = EncryptionCodec(parse_payload_keys(kept["payload_keys"]))
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b'{"name": "Ann Lee"}')
    body = json.loads(
        json_format.MessageToJson(Payloads(payloads=await stack_codec.encode([plain])))
    )

    ops = {"Authorization": f"Bearer {dev_api_keys(kept)['ops']}"}
    hr = {"Authorization": f"Bearer {dev_api_keys(kept)['hr']}"}
    async with (
        running_codec(settings, host="127.0.0.1", port=0) as url,
        httpx.AsyncClient() as http,
    ):
        response = await http.post(f"{url}/decode", json=body, headers=ops)
        refused = await http.post(f"{url}/decode", json=body, headers=hr)

    assert response.status_code == 200 and "Ann Lee" not in response.text
    assert json_format.ParseDict(response.json(), Payloads()).payloads[0] == plain
    assert refused.status_code == 403
