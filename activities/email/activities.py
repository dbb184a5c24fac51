"""The activity that emails the candidate about an event (contract section 5)."""

from __future__ import annotations

import asyncio
import socket
from email.message import EmailMessage
from typing import NoReturn

import aiosmtplib
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.deliveries import DeliveryLog
from activities.email.mime import build_candidate_message, sender_address
from activities.email.templates import render_candidate_email
from activities.metrics import count_email
from config import Settings
from contract.events import DeliveryOutcome, SessionEvent
from links.resume import resume_token_key
from store import Store

CHANNEL = "email"
UNAVAILABLE = "smtp_unavailable"
"""``type`` of the retryable error raised while the mail server cannot take a message."""

log = structlog.get_logger(__name__)


def permanent_rejection(
    err: aiosmtplib.SMTPException, recipient: str = ""
) -> tuple[int | None, str] | None:
    """The SMTP code and text when the server refused this message for good, else None.

    Only a 5xx answer to the sender, a recipient or the content is final, and a server
    without SMTPUTF8 asked to deliver to a non-ASCII address (the address is the data: no
    retry changes it). Authentication and greeting failures are configuration problems an
    operator can fix, so they stay retryable like every 4xx and every connection problem.
    """
    if isinstance(err, aiosmtplib.SMTPNotSupported) and not recipient.isascii():
        return None, "the mail server does not take non-ASCII addresses (no SMTPUTF8)"
    if isinstance(err, aiosmtplib.SMTPRecipientsRefused):
        refusals = err.recipients
        if refusals and all(refusal.code >= 500 for refusal in refusals):
            return refusals[0].code, "; ".join(r.message for r in refusals)
        return None
    final = (
        aiosmtplib.SMTPRecipientRefused,
        aiosmtplib.SMTPSenderRefused,
        aiosmtplib.SMTPDataError,
    )
    if isinstance(err, final) and err.code >= 500:
        return err.code, err.message
    return None


def without_address(text: str, address: str) -> str:
    """``text`` with the candidate's address replaced: SMTP answers often quote it."""
    return text.replace(address, "<recipient>") if address else text


class EmailActivities:
    """Sends the one email each candidate-facing event deserves.

    Each call makes at most one SMTP attempt; retries belong to the caller's
    ``RetryPolicy``. A server that cannot take the message now raises a retryable
    ``ApplicationError`` (``smtp_unavailable``); a permanent refusal is recorded and
    returned as ``failed`` so that it never fails the session workflow.
    """

    def __init__(self, settings: Settings, store: Store) -> None:
        """Keep the dependencies.

        Args:
            settings: Reads ``smtp_*``, ``mail_from``, ``resume_url_base``,
                ``contest_url_base`` and ``resume_token_secret``.
            store: Remembers which events were emailed, so that none is emailed twice.
        """
        self._settings = settings
        self._log = DeliveryLog(store, CHANNEL)
        self._local_hostname: str | None = None

    @activity.defn
    async def send_candidate_email(self, event: SessionEvent) -> DeliveryOutcome:
        """Email the candidate about one event, once.

        Args:
            event: The state change; its ``event_id`` gives the ``Message-ID``.

        Returns:
            ``sent`` (also when an earlier attempt already sent it), ``failed`` when the
            server refused the message for good, ``skipped`` when email is not a channel
            of the session or the event does not concern the candidate.

        Raises:
            ApplicationError: ``smtp_unavailable``, retryable, on a connection error, a
                timeout or a temporary (4xx) refusal.
        """
        attempt = activity.info().attempt
        logger = log.bind(
            event_id=event.event_id, event_type=str(event.type), attempt=attempt, channel=CHANNEL
        )
        if not event.type.emails_candidate:
            return DeliveryOutcome(
                channel=CHANNEL, outcome="skipped", attempts=attempt, detail="not for the candidate"
            )
        if CHANNEL not in event.session.policy.channels:
            skipped = DeliveryOutcome(
                channel=CHANNEL, outcome="skipped", attempts=attempt, detail="email not a channel"
            )
            await self._log.note(event.event_id, skipped, logger)
            count_email("skipped")
            return skipped
        if await self._log.already_sent(event.event_id):
            logger.info("email.already_sent")
            return DeliveryOutcome(channel=CHANNEL, outcome="sent", attempts=attempt)

        rendered = render_candidate_email(
            event,
            resume_url_base=self._settings.resume_url_base,
            resume_token_secret=resume_token_key(self._settings.resume_token_secret),
            contest_url_base=self._settings.contest_url_base,
        )
        message = build_candidate_message(event, rendered, mail_from=self._settings.mail_from)
        recipient = event.session.candidate.email
        try:
            await self._send(message, recipient)
        except aiosmtplib.SMTPException as err:
            rejection = permanent_rejection(err, recipient)
            if rejection is None:
                self._unavailable(err, attempt, logger, recipient)
            code, detail = rejection
            failed = DeliveryOutcome(
                channel=CHANNEL,
                outcome="failed",
                attempts=attempt,
                status_code=code,
                detail=without_address(detail, recipient),
            )
            # The server's text often quotes the address: the code alone goes to the log.
            logger.warning("email.refused", status_code=code)
            count_email("failed")
            await self._log.note(event.event_id, failed, logger)
            return failed
        except OSError as err:
            self._unavailable(err, attempt, logger, recipient)

        sent = DeliveryOutcome(channel=CHANNEL, outcome="sent", attempts=attempt)
        logger.info("email.sent", message_id=message["Message-ID"])
        count_email("sent")
        await self._log.note(event.event_id, sent, logger)
        return sent

    async def _send(self, message: EmailMessage, recipient: str) -> None:
        settings = self._settings
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        await aiosmtplib.send(
            message,
            sender=sender_address(settings.mail_from).addr_spec,
            recipients=[recipient],
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=password,
            start_tls=settings.smtp_starttls,
            timeout=settings.smtp_timeout_seconds,
            local_hostname=await self._ehlo_hostname(),
        )

    async def _ehlo_hostname(self) -> str:
        # Left to itself aiosmtplib asks socket.getfqdn(), a reverse DNS lookup, on every
        # connection: where reverse DNS is slow (many container networks) every email would
        # wait for it. The name does not change while the worker runs: ask once.
        if self._local_hostname is None:
            self._local_hostname = await asyncio.to_thread(socket.getfqdn)
        return self._local_hostname

    def _unavailable(
        self,
        err: Exception,
        attempt: int,
        logger: structlog.typing.FilteringBoundLogger,
        recipient: str,
    ) -> NoReturn:
        where = f"{self._settings.smtp_host}:{self._settings.smtp_port}"
        detail = without_address(f"{type(err).__name__}: {err}", recipient)
        logger.warning("email.unavailable", server=where, detail=detail)
        count_email("unavailable")
        raise ApplicationError(
            f"mail server {where} cannot take the message now ({detail}); "
            f"attempt {attempt} will be retried",
            type=UNAVAILABLE,
            non_retryable=False,
        ) from err
