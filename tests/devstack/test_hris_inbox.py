"""The local HR webhook inbox: verification, recording, scripted answers, the server."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest

from activities.hris.signing import key_from_secret, new_secret, sign
from devstack.hris_inbox import HrisInbox, InboxServer, ScriptedResponse


def _signed(
    key: bytes, body: dict[str, object], msg_id: str = "msg_ev-1"
) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body, separators=(",", ":")).encode()
    timestamp = int(time.time())
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(key, msg_id, timestamp, raw),
    }
    return raw, headers


async def _post(
    inbox: HrisInbox, key: bytes, body: dict[str, object], msg_id: str = "msg_ev-1"
) -> httpx.Response:
    raw, headers = _signed(key, body, msg_id)
    assert inbox.url is not None
    async with httpx.AsyncClient() as client:
        return await client.post(inbox.url, content=raw, headers=headers)


async def test_signed_delivery_is_accepted_recorded_and_written(
    hris_inbox: HrisInbox, webhook_secret: str
) -> None:
    """A correctly signed POST is answered 204, kept in memory and written to disk."""
    key = key_from_secret(webhook_secret)
    response = await _post(hris_inbox, key, {"type": "interview.started", "data": {}}, "msg_a")

    assert response.status_code == 204
    [delivery] = hris_inbox.deliveries
    assert delivery.verified and delivery.accepted
    assert (delivery.webhook_id, delivery.type) == ("msg_a", "interview.started")
    assert hris_inbox.directory is not None
    [written] = hris_inbox.directory.glob("*.json")
    assert "msg_a" in written.name
    assert json.loads(written.read_text())["body"]["type"] == "interview.started"


async def test_files_sort_by_arrival(hris_inbox: HrisInbox, webhook_secret: str) -> None:
    """File names sort in the order the deliveries arrived."""
    key = key_from_secret(webhook_secret)
    for msg_id in ("msg_z", "msg_a", "msg_m"):
        await _post(hris_inbox, key, {"type": "interview.started"}, msg_id)
    assert hris_inbox.directory is not None
    names = sorted(path.name for path in hris_inbox.directory.glob("*.json"))
    assert [name.split("-")[-1] for name in names] == ["msg_z.json", "msg_a.json", "msg_m.json"]


async def test_badly_signed_delivery_is_rejected_with_401(hris_inbox: HrisInbox) -> None:
    """A POST signed with another secret is answered 401 and kept as rejected."""
    hris_inbox.script(503)
    response = await _post(hris_inbox, key_from_secret(new_secret()), {"type": "x"})

    assert response.status_code == 401
    assert "no matching" in response.text
    [delivery] = hris_inbox.rejected
    assert not delivery.verified and not delivery.accepted
    assert delivery.error == "no matching v1 signature"
    assert hris_inbox.accepted == []


async def test_unsigned_delivery_is_rejected_and_keeps_the_script(
    hris_inbox: HrisInbox, webhook_secret: str
) -> None:
    """A POST without signature headers is refused without using up a scripted answer."""
    hris_inbox.script(503)
    assert hris_inbox.url is not None
    async with httpx.AsyncClient() as client:
        unsigned = await client.post(hris_inbox.url, json={"type": "x"})
    signed = await _post(hris_inbox, key_from_secret(webhook_secret), {"type": "x"})
    assert (unsigned.status_code, signed.status_code) == (401, 503)


async def test_scripted_answers_are_used_once_each_in_order(
    hris_inbox: HrisInbox, webhook_secret: str
) -> None:
    """Scripted answers come back one per delivery, then the default."""
    key = key_from_secret(webhook_secret)
    hris_inbox.script(ScriptedResponse(429, retry_after=30), ScriptedResponse(400, body="bad"))
    answers = [await _post(hris_inbox, key, {"type": "interview.started"}) for _ in range(3)]

    assert [a.status_code for a in answers] == [429, 400, 204]
    assert answers[0].headers["retry-after"] == "30"
    assert answers[1].text == "bad"
    assert [d.status_code for d in hris_inbox.deliveries] == [429, 400, 204]
    assert len(hris_inbox.accepted) == 1


async def test_scripted_delay_holds_the_answer(hris_inbox: HrisInbox, webhook_secret: str) -> None:
    """A scripted delay keeps the sender waiting, while the delivery is already recorded."""
    hris_inbox.script(ScriptedResponse(200, delay_seconds=0.5))
    started = time.monotonic()
    post = asyncio.create_task(
        _post(hris_inbox, key_from_secret(webhook_secret), {"type": "interview.started"})
    )
    await hris_inbox.wait_for(lambda d: d.type == "interview.started", timeout=2)
    assert not post.done()
    assert (await post).status_code == 200
    assert time.monotonic() - started >= 0.5


async def test_wait_for_and_by_type(hris_inbox: HrisInbox, webhook_secret: str) -> None:
    """``wait_for`` returns the first match and ``by_type`` filters by event type."""
    key = key_from_secret(webhook_secret)
    await _post(hris_inbox, key, {"type": "interview.started"}, "msg_1")
    await _post(hris_inbox, key, {"type": "interview.withdrawn"}, "msg_2")

    found = await hris_inbox.wait_for(lambda d: d.type == "interview.withdrawn", timeout=1)
    assert found.webhook_id == "msg_2"
    assert [d.webhook_id for d in hris_inbox.by_type("interview.started")] == ["msg_1"]
    with pytest.raises(TimeoutError, match="no matching HR webhook"):
        await hris_inbox.wait_for(lambda d: d.type == "interview.expired", timeout=0.1)


async def test_deliveries_can_be_listed_over_http(
    hris_inbox: HrisInbox, webhook_secret: str
) -> None:
    """``GET /deliveries`` shows what arrived, for a person using the dev stack."""
    await _post(hris_inbox, key_from_secret(webhook_secret), {"type": "interview.started"})
    assert hris_inbox.url is not None
    async with httpx.AsyncClient() as client:
        listed = (await client.get(hris_inbox.url.replace("/hris", "/deliveries"))).json()
    assert [item["webhook_id"] for item in listed] == ["msg_ev-1"]


async def test_server_picks_a_free_port_and_stops(tmp_path: Path) -> None:
    """Port 0 gives a real port; after stopping, nothing listens there."""
    server = InboxServer(HrisInbox(key_from_secret(new_secret()), directory=tmp_path))
    await server.start()
    assert server.port != 0
    assert server.inbox.url == server.url == f"http://127.0.0.1:{server.port}/hris"
    await server.stop()
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.ConnectError):
            await client.post(server.url, content=b"{}")


async def test_taken_port_is_an_os_error() -> None:
    """Starting on a port already in use fails plainly instead of exiting the process."""
    inbox = HrisInbox(key_from_secret(new_secret()))
    async with InboxServer(inbox) as first:
        with pytest.raises(OSError):
            await InboxServer(inbox, port=first.port).start()
