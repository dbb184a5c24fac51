"""A local SMTP server that keeps every message it receives, for ``exitflow up`` and tests.

Each message is written to ``<directory>/<timestamp>-<n>.eml`` exactly as received, and a
line describing it is appended to ``<directory>/index.jsonl``. The parsed messages are also
kept in memory, so a test can assert on what actually arrived.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

INDEX_FILE = "index.jsonl"
T = TypeVar("T")
_SURROGATES = re.compile("[\udc80-\udcff]")
_FOLD = re.compile(r"\r?\n(?=[ \t])")


def parse_message(raw: bytes) -> EmailMessage:
    """Parse a received message, reading raw UTF-8 (SMTPUTF8) headers as text.

    Parsing bytes keeps 8-bit bodies right, but leaves raw UTF-8 in structured headers
    (addresses) as undecodable surrogates; those headers are decoded again here.
    """
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    items = list(message.raw_items())
    if not any(_SURROGATES.search(value) for _, value in items):
        return message
    fixed = [(name, _utf8(value)) for name, value in items]
    for name in {name for name, _ in fixed}:
        del message[name]
    for name, value in fixed:
        message[name] = value
    return message


def _utf8(value: str) -> str:
    unfolded = _FOLD.sub("", value)
    return unfolded.encode("ascii", "surrogateescape").decode("utf-8", "replace")


class _Controller(Controller):
    # Asking the OS for a free port (port 0) and reading it back once the server is bound
    # avoids the race of probing for a free port first and binding it later.
    def _trigger_server(self) -> None:
        if self.port == 0 and self.server is not None:
            self.port = self.server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        super()._trigger_server()


class _Handler:
    def __init__(self, mailbox: Mailbox) -> None:
        self._mailbox = mailbox

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.lower() in self._mailbox.refused_recipients:
            return "550 5.1.1 Mailbox unavailable: no such user here"
        if address.lower() in self._mailbox.deferred_recipients:
            return "451 4.2.1 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        self._mailbox._keep(raw, envelope.mail_from or "", list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


class Mailbox:
    """An SMTP server on ``hostname:port`` that stores what it receives under ``directory``.

    It accepts 8-bit and SMTPUTF8 mail, so Chinese names and subjects arrive as sent. It
    runs in a thread of its own; use it as a context manager (``with`` or ``async with``),
    or call ``start()`` and ``stop()``.

    Attributes:
        messages: Every message received so far, parsed, oldest first.
        refused_recipients: Lower-cased addresses answered with a permanent ``550``, to
            play a bouncing mailbox.
        deferred_recipients: Lower-cased addresses answered with a temporary ``451``.
    """

    def __init__(
        self,
        directory: Path | str,
        *,
        hostname: str = "127.0.0.1",
        port: int = 0,
        refused_recipients: Collection[str] = (),
        deferred_recipients: Collection[str] = (),
    ) -> None:
        """Prepare the server; nothing listens until ``start()``.

        Args:
            directory: Where ``.eml`` files and the index are written; created if missing.
            hostname: The address to listen on.
            port: The port to listen on; 0 picks a free one, readable from ``port`` after
                ``start()``.
            refused_recipients: Addresses to refuse for good (``550``).
            deferred_recipients: Addresses to refuse for now (``451``).
        """
        self.directory = Path(directory)
        self.hostname = hostname
        self.messages: list[EmailMessage] = []
        self.refused_recipients = {address.lower() for address in refused_recipients}
        self.deferred_recipients = {address.lower() for address in deferred_recipients}
        self._lock = threading.Lock()
        self._count = 0
        self._controller = self._new_controller(port)

    def _new_controller(self, port: int) -> _Controller:
        return _Controller(
            _Handler(self),
            hostname=self.hostname,
            port=port,
            # Its greeting's name; unset, aiosmtpd looks up socket.getfqdn() (reverse DNS)
            # for every connection.
            server_hostname="exitflow-mailbox",
            enable_SMTPUTF8=True,
            decode_data=False,
        )

    @property
    def port(self) -> int:
        """The port the server listens on (the chosen one when asked for port 0)."""
        return self._controller.port

    @property
    def running(self) -> bool:
        """Whether the server is listening."""
        return self._controller.server is not None

    def start(self) -> None:
        """Listen for mail, in a background thread; after a ``stop()``, on the same port."""
        self.directory.mkdir(parents=True, exist_ok=True)
        if self._controller.loop.is_closed():
            # A stopped controller's loop is gone; an outage ends with a fresh one.
            self._controller = self._new_controller(self._controller.port)
        self._controller.start()

    def stop(self) -> None:
        """Stop listening; received messages stay on disk and in ``messages``."""
        if self.running:
            self._controller.stop()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)

    def matching(self, predicate: Callable[[EmailMessage], bool]) -> list[EmailMessage]:
        """The received messages for which ``predicate`` holds."""
        with self._lock:
            return [message for message in self.messages if predicate(message)]

    async def wait_for(
        self,
        predicate: Callable[[Mailbox], T],
        timeout: float = 10.0,  # noqa: ASYNC109 - a plain argument reads better in tests
    ) -> T:
        """Wait until ``predicate(self)`` is truthy, and return what it returned.

        For example ``await mailbox.wait_for(lambda m: len(m.messages) == 2)``, or
        ``[email] = await mailbox.wait_for(lambda m: m.matching(is_reminder))``.

        Raises:
            TimeoutError: The predicate stayed falsy for ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while not (result := predicate(self)):
            if time.monotonic() >= deadline:
                raise TimeoutError(f"mailbox condition not met within {timeout} s")
            await asyncio.sleep(0.02)
        return result

    def _keep(self, raw: bytes, mail_from: str, rcpt_tos: list[str]) -> None:
        # Runs on the server thread; the lock keeps numbering and the list consistent.
        parsed = parse_message(raw)
        received_at = datetime.now(UTC)
        with self._lock:
            self._count += 1
            name = f"{received_at:%Y%m%dT%H%M%S%fZ}-{self._count}.eml"
            partial = self.directory / f".{name}.part"
            partial.write_bytes(raw)
            partial.replace(self.directory / name)
            entry: dict[str, Any] = {
                "file": name,
                "received_at": received_at.isoformat(),
                "mail_from": mail_from,
                "rcpt_tos": rcpt_tos,
                "message_id": parsed["Message-ID"],
                "subject": parsed["Subject"],
                "event": parsed["X-Exitflow-Event"],
            }
            with (self.directory / INDEX_FILE).open("a", encoding="utf-8") as index:
                index.write(json.dumps(entry, ensure_ascii=False) + "\n")
            self.messages.append(parsed)
