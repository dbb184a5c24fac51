"""Payload encryption: the codec itself, key rotation, and what the Temporal server keeps."""

from __future__ import annotations

import asyncio
import base64
import os
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr, ValidationError
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from config import Settings
from config.payload_keys import new_payload_key, parse_payload_keys
from contract.sessions import FaultInput, ResumeInput, SegmentInput, SessionView, WithdrawInput
from runtime.codec import (
    ENCODING,
    KEY_ID,
    EncryptionCodec,
    PayloadDecryptionError,
    data_converter_for,
)
from runtime.worker import SANDBOX, WORKFLOWS, running_worker
from sessions.client import SessionClient
from tests.fixtures.temporal import session_body
from workflows.downstream import downstream_workflow_id
from workflows.session import session_workflow_id

HISTORIES = sorted((Path(__file__).parents[1] / "workflows" / "histories").glob("*.json"))


def _payload(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=text.encode())


async def test_encode_hides_the_payload_and_decode_restores_it() -> None:
    """An encoded payload names its key, holds no plaintext, and decodes to the original."""
    codec = EncryptionCodec(parse_payload_keys(new_payload_key("k1")))
    original = _payload('{"email": "ann.lee@example.com"}')

    [encoded] = await codec.encode([original])

    assert encoded.metadata["encoding"] == ENCODING
    assert encoded.metadata[KEY_ID] == b"k1"
    assert b"ann.lee" not in encoded.SerializeToString()
    assert await codec.decode([encoded]) == [original]


async def test_same_payload_encrypts_differently_each_time() -> None:
    """Every payload gets a fresh nonce, so equal inputs cannot be matched in history."""
    codec = EncryptionCodec(parse_payload_keys(new_payload_key("k1")))
    first, second = await codec.encode([_payload("same"), _payload("same")])
    assert first.data != second.data


async def test_payloads_under_the_old_key_open_after_rotation() -> None:
    """After a new active key is added in front, old payloads still decode; new ones use it."""
    old_entry = new_payload_key("2024-01")
    before = EncryptionCodec(parse_payload_keys(old_entry))
    [old_payload] = await before.encode([_payload("written before the rotation")])

    after = EncryptionCodec(parse_payload_keys(f"{new_payload_key('2024-07')},{old_entry}"))
    [new_payload] = await after.encode([_payload("written after")])

    assert after.active_key_id == "2024-07"
    assert new_payload.metadata[KEY_ID] == b"2024-07"
    assert await after.decode([old_payload]) == [_payload("written before the rotation")]
    with pytest.raises(PayloadDecryptionError, match="unknown key id '2024-07'"):
        await before.decode([new_payload])


async def test_plain_payloads_pass_through_decode() -> None:
    """Payloads written before encryption (old histories, plain JSON senders) stay readable."""
    codec = EncryptionCodec(parse_payload_keys(new_payload_key("k1")))
    plain = _payload('{"session_id": "s-1"}')
    assert await codec.decode([plain]) == [plain]


async def test_an_altered_payload_is_refused() -> None:
    """GCM authenticates: one flipped bit makes decoding fail loudly, never silently."""
    codec = EncryptionCodec(parse_payload_keys(new_payload_key("k1")))
    [encoded] = await codec.encode([_payload("x")])
    encoded.data = encoded.data[:-1] + bytes([encoded.data[-1] ^ 1])
    with pytest.raises(PayloadDecryptionError, match="does not verify"):
        await codec.decode([encoded])


@pytest.mark.parametrize("length", [0, 1, 11, 12, 27])
async def test_a_payload_too_short_to_be_ciphertext_is_refused(length: int) -> None:
    """Finding 8: an encrypted payload shorter than a nonce and a tag is refused as
    undecodable, where it failed with the cipher's own ``ValueError`` (a 500 in the codec
    server)."""
    codec = EncryptionCodec(parse_payload_keys(new_payload_key("k1")))
    short = Payload(metadata={"encoding": ENCODING, KEY_ID: b"k1"}, data=os.urandom(length))

    with pytest.raises(PayloadDecryptionError, match="too short"):
        await codec.decode([short])


async def test_ciphertext_that_is_not_a_payload_is_refused() -> None:
    """Finding 8: ciphertext that verifies under our key but holds no serialised payload is
    refused as undecodable, not a protobuf ``DecodeError``."""
    key = parse_payload_keys(new_payload_key("k1"))
    nonce = os.urandom(12)
    sealed = AESGCM(key[0].secret).encrypt(nonce, b"\xff\xff\xff", None)
    garbled = Payload(metadata={"encoding": ENCODING, KEY_ID: b"k1"}, data=nonce + sealed)

    with pytest.raises(PayloadDecryptionError, match="does not hold a serialised payload"):
        await EncryptionCodec(key).decode([garbled])


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("k1:" + base64.b64encode(os.urandom(16)).decode(), "must be 32 bytes"),
        ("k1:" + base64.b64encode(bytes(32)).decode(), "placeholder"),
        ("k1:not base64!", "not valid base64"),
        ("k1", "id:base64key"),
        ("bad id:" + base64.b64encode(os.urandom(32)).decode(), "id:base64key"),
        (f"{new_payload_key('k1')},{new_payload_key('k1')}", "appears twice"),
        (" , ", "holds no key"),
    ],
)
def test_weak_or_malformed_keys_are_refused(raw: str, message: str) -> None:
    """Short, placeholder, malformed and duplicate keys never reach the codec."""
    with pytest.raises(ValueError, match=message):
        parse_payload_keys(raw)


def test_settings_refuse_a_bad_key_without_echoing_it() -> None:
    """A misconfigured key stops the process, and the error does not print the key."""
    weak = base64.b64encode(b"A" * 32).decode()
    with pytest.raises(ValidationError) as caught:
        Settings(payload_keys=SecretStr(f"k1:{weak}"))
    assert "placeholder" in str(caught.value)
    assert weak not in str(caught.value)


def test_without_keys_the_converter_does_not_encrypt() -> None:
    """Unset ``EXITFLOW_PAYLOAD_KEYS`` means exitflow's plain converter."""
    assert data_converter_for(Settings()).payload_codec is None
    keyed = Settings(payload_keys=SecretStr(new_payload_key("k1")))
    assert isinstance(data_converter_for(keyed).payload_codec, EncryptionCodec)


@pytest.mark.parametrize("path", HISTORIES, ids=[path.stem for path in HISTORIES])
async def test_unencrypted_histories_replay_with_the_encrypting_converter(path: Path) -> None:
    """Sessions started before encryption was switched on keep running after it is."""
    settings = Settings(payload_keys=SecretStr(new_payload_key("k1")))
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    replayer = Replayer(
        workflows=WORKFLOWS, data_converter=data_converter_for(settings), workflow_runner=SANDBOX
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path.name}: {result.replay_failure}"


async def test_temporal_keeps_no_personal_data_in_clear(
    dev_env: WorkflowEnvironment, pipeline_settings: Settings, task_queue: str
) -> None:
    """A whole session through the encrypting client and worker: its raw history on the
    server holds neither the candidate's name, email nor phone, nor their answers."""
    settings = pipeline_settings.model_copy(
        update={"payload_keys": SecretStr(new_payload_key("test-1"))}
    )
    client = Client(
        dev_env.client.service_client,
        namespace=dev_env.client.namespace,
        data_converter=data_converter_for(settings),
    )
    marker = uuid.uuid4().hex[:10]
    body = session_body()
    candidate = body.candidate.model_copy(
        update={
            "name": f"Zelda Quintana {marker}",
            "email": f"zelda.{marker}@example.org",
            "phone": f"+44797{int(marker, 16) % 10**7:07d}",
        }
    )
    body = body.model_copy(update={"candidate": candidate})
    comment = f"I took another offer {marker}-comment"
    assert candidate.phone is not None
    personal = [candidate.name, candidate.email, candidate.phone, comment, "seg-answer-uri"]

    async with running_worker(client, settings, task_queue=task_queue):
        sessions = SessionClient(client, task_queue)
        await sessions.start(body)
        await sessions.progress(
            body.session_id,
            SegmentInput(
                stage="self_intro",
                segment_id="seg-1",
                kind="video",
                video_seconds=80,
                artifact_uri="s3://answers/seg-answer-uri.webm",
            ),
        )
        ack = await sessions.report_fault(
            body.session_id, FaultInput.model_validate({"cause": "network"})
        )
        await sessions.resume(body.session_id, ResumeInput(resume_token=ack.resume_token))
        receipt = await sessions.withdraw(
            body.session_id, WithdrawInput(reason_code="accepted_other_offer", comment=comment)
        )
        handle = client.get_workflow_handle(
            session_workflow_id(body.session_id), result_type=SessionView
        )
        final = await asyncio.wait_for(handle.result(), timeout=30)

    assert receipt.kind == "withdrawn"
    assert final.exit is not None and final.exit.comment == comment

    plain = Client(
        dev_env.client.service_client,
        namespace=dev_env.client.namespace,
        data_converter=pydantic_data_converter,
    )
    for workflow_id in (
        session_workflow_id(body.session_id),
        downstream_workflow_id(body.session_id, "wt-1"),
    ):
        history = await plain.get_workflow_handle(workflow_id).fetch_history()
        raw = b"".join(event.SerializeToString() for event in history.events)
        assert ENCODING in raw, f"{workflow_id}: no encrypted payload at all"
        for value in personal:
            assert value.encode() not in raw, f"{workflow_id} holds {value!r} in clear"
