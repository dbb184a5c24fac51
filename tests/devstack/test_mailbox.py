"""The local SMTP server keeps what it receives, on disk and parsed in memory."""

from __future__ import annotations

import json
import socket
from email import policy
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import pytest

from devstack.mailbox import INDEX_FILE, Mailbox


def chinese_message(to: str = "lilei@example.com") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "招聘团队 <no-reply@exitflow.test>"
    message["To"] = f"李雷 <{to}>"
    message["Subject"] = "您的「销售经理」面试已中断"
    message["Message-ID"] = "<ev-1@exitflow.test>"
    message["X-Exitflow-Event"] = "interview.suspended"
    message.set_content("作答已保存。")
    return message


async def test_port_zero_picks_a_free_port(tmp_path: Path):
    """Asking for port 0 listens on a real port that accepts connections."""
    with Mailbox(tmp_path) as box:
        assert box.port > 0
        with socket.create_connection((box.hostname, box.port), timeout=2) as conn:
            assert conn.recv(64).startswith(b"220")


async def test_message_is_kept_on_disk_and_indexed(mailbox: Mailbox):
    """Each message becomes one .eml file and one index line naming it."""
    await aiosmtplib.send(chinese_message(), hostname=mailbox.hostname, port=mailbox.port)
    [eml] = sorted(mailbox.directory.glob("*.eml"))
    assert eml.name.endswith("-1.eml")
    [line] = (mailbox.directory / INDEX_FILE).read_text(encoding="utf-8").splitlines()
    entry = json.loads(line)
    assert entry["file"] == eml.name
    assert entry["rcpt_tos"] == ["lilei@example.com"]
    assert entry["subject"] == "您的「销售经理」面试已中断"
    assert entry["message_id"] == "<ev-1@exitflow.test>"
    assert entry["event"] == "interview.suspended"
    assert b"Message-ID: <ev-1@exitflow.test>" in eml.read_bytes()


@pytest.mark.parametrize("smtputf8", [True, False], ids=["smtputf8", "rfc2047"])
async def test_chinese_headers_are_decoded(tmp_path: Path, smtputf8: bool):
    """Chinese subjects and names read back as sent, over SMTPUTF8 and over RFC 2047."""
    # Raw UTF-8 headers under SMTPUTF8, or encoded words (=?utf-8?...?=) under plain SMTP.
    raw = chinese_message().as_bytes(policy=policy.SMTPUTF8 if smtputf8 else policy.SMTP)
    assert ("您的".encode() in raw) is smtputf8
    with Mailbox(tmp_path) as box:
        async with aiosmtplib.SMTP(hostname=box.hostname, port=box.port) as client:
            await client.sendmail(
                "no-reply@exitflow.test",
                ["lilei@example.com"],
                raw,
                mail_options=["SMTPUTF8", "BODY=8BITMIME"] if smtputf8 else [],
            )
        [message] = await box.wait_for(
            lambda box: box.matching(lambda m: m["Message-ID"] == "<ev-1@exitflow.test>")
        )
    assert message["Subject"] == "您的「销售经理」面试已中断"
    assert message["To"].addresses[0].display_name == "李雷"
    assert message["From"].addresses[0].display_name == "招聘团队"
    assert message.get_content().strip() == "作答已保存。"


async def test_refused_recipient_gets_550(tmp_path: Path):
    """A recipient the mailbox is told to refuse is rejected for good and nothing is kept."""
    with Mailbox(tmp_path, refused_recipients={"Gone@Example.com"}) as box:
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as caught:
            await aiosmtplib.send(
                chinese_message("gone@example.com"), hostname=box.hostname, port=box.port
            )
        assert caught.value.recipients[0].code == 550
        assert box.messages == []
        assert not list(box.directory.glob("*.eml"))


async def test_wait_for_times_out(mailbox: Mailbox):
    """Waiting for a message that never comes raises TimeoutError."""
    with pytest.raises(TimeoutError):
        await mailbox.wait_for(lambda box: box.messages, timeout=0.1)


async def test_messages_are_numbered_in_arrival_order(mailbox: Mailbox):
    """Several messages keep their order in memory and in their file names."""
    for n in range(3):
        message = chinese_message()
        message.replace_header("Message-ID", f"<ev-{n}@exitflow.test>")
        await aiosmtplib.send(message, hostname=mailbox.hostname, port=mailbox.port)
    assert [m["Message-ID"] for m in mailbox.messages] == [
        f"<ev-{n}@exitflow.test>" for n in range(3)
    ]
    names = sorted(p.name for p in mailbox.directory.glob("*.eml"))
    assert [name.rsplit("-", 1)[1] for name in names] == ["1.eml", "2.eml", "3.eml"]


async def test_async_context_manager_serves_and_stops(tmp_path: Path):
    """``async with`` starts the server for the block and stops it after."""
    async with Mailbox(tmp_path, hostname="127.0.0.1", port=0) as box:
        await aiosmtplib.send(chinese_message(), hostname=box.hostname, port=box.port)
        port = box.port
    assert not box.running
    assert len(box.messages) == 1
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
