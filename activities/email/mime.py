"""The MIME message of a candidate email, built from its rendering; no I/O."""

from __future__ import annotations

import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from activities.email.templates import RenderedEmail
from contract.events import SessionEvent

_NOT_ATEXT = re.compile(r"[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]")


def mail_domain(mail_from: str) -> str:
    """The domain of the sender address, e.g. ``exitflow.localhost``."""
    _, address = parseaddr(mail_from)
    domain = address.rpartition("@")[2]
    return domain or "exitflow.localhost"


def message_id(event_id: str, *, mail_from: str) -> str:
    """``<{event_id}@{sender domain}>``: the same on every retry of one event.

    Characters a Message-ID may not hold (RFC 5322 ``dot-atom-text``) become ``-``; the
    mapping is deterministic, so retries still agree.
    """
    return f"<{_NOT_ATEXT.sub('-', event_id).strip('.')}@{mail_domain(mail_from)}>"


def sender_address(mail_from: str) -> Address:
    """``EXITFLOW_MAIL_FROM`` (``Name <addr>`` or a bare address) as a header address."""
    name, address = parseaddr(mail_from)
    return Address(display_name=name, addr_spec=address)


def build_candidate_message(
    event: SessionEvent, rendered: RenderedEmail, *, mail_from: str
) -> EmailMessage:
    """Put a rendered email into a ``multipart/alternative`` message to the candidate.

    Non-ASCII names and subjects are encoded by the ``email`` package when the message is
    serialised (RFC 2047, or raw UTF-8 where the server speaks SMTPUTF8).
    """
    candidate = event.session.candidate
    message = EmailMessage()
    message["From"] = sender_address(mail_from)
    message["To"] = Address(display_name=candidate.name, addr_spec=candidate.email)
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(event.at)
    message["Message-ID"] = message_id(event.event_id, mail_from=mail_from)
    message["Auto-Submitted"] = "auto-generated"
    message["X-Exitflow-Event"] = event.type.value
    message["X-Exitflow-Session"] = event.session.session_id
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    # After the parts: set_content and add_alternative move Content-* headers into them.
    message["Content-Language"] = candidate.locale
    return message
