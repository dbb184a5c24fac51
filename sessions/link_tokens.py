"""The tokens of a candidate's links, as the CLI and the API hand them out and take them back.

The workflow issues a raw token per suspension and per termination and checks it itself.
With ``EXITFLOW_RESUME_TOKEN_SECRET`` set, the only token a caller hands out or accepts is
the signed one the emails link to (``links/``): it is opened here to the raw token, and a
bad or late one is refused before the workflow hears of it. Without the secret the raw
token passes through unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from config import Settings
from contract.codes import ErrorCode
from contract.contests import ContestInput, ContestReceipt
from contract.sessions import FaultAck, FaultInput, ResumeInput, SessionView
from links.contest import open_contest_token
from links.resume import open_resume_token, resume_token_key, sign_resume_token
from links.signing import InvalidLinkToken, LinkTokenExpired
from sessions.client import SessionClient
from sessions.refusals import SessionRefused


@dataclass(frozen=True)
class _TokenKind:
    """How a token of one kind is opened, and how its refusal is reported."""

    open_raw: Callable[[bytes, str, str, datetime], str]
    field: str
    invalid: ErrorCode
    invalid_message: str
    expired: ErrorCode
    expired_message: str


_RESUME = _TokenKind(
    open_raw=lambda key, token, session_id, now: open_resume_token(
        key, token, session_id=session_id, now=now
    ),
    field="resume_token",
    invalid=ErrorCode.INVALID_RESUME_TOKEN,
    invalid_message="The resume token is not one this service issued for this session.",
    expired=ErrorCode.RESUME_WINDOW_CLOSED,
    expired_message="The resume window of this token is over.",
)
_CONTEST = _TokenKind(
    open_raw=lambda key, token, session_id, now: (
        open_contest_token(key, token, session_id=session_id, now=now).raw_token
    ),
    field="contest_token",
    invalid=ErrorCode.INVALID_CONTEST_TOKEN,
    invalid_message="The contest token is not one this service issued for this session.",
    expired=ErrorCode.CONTEST_WINDOW_CLOSED,
    expired_message="The period to contest this termination is over.",
)


@dataclass(frozen=True)
class LinkTokens:
    """Signs the tokens a caller hands out and opens the ones it is handed, with one key."""

    sessions: SessionClient
    key: bytes | None
    """``EXITFLOW_RESUME_TOKEN_SECRET`` as bytes; None passes raw tokens."""
    hide_unknown_sessions: bool = False
    """For a caller whose only credential is the link (the candidate pages): a bad token is
    refused as such without asking whether its session exists, so that an unknown session
    and a bad link look alike. Callers with an API key learn ``session_not_found``."""

    @classmethod
    def for_settings(cls, sessions: SessionClient, settings: Settings) -> LinkTokens:
        """The tokens signed with the secret ``settings`` name, if any."""
        return cls(sessions, resume_token_key(settings.resume_token_secret))

    def signed_fault_ack(self, session_id: str, ack: FaultAck) -> FaultAck:
        """The fault answer with its token signed: the very token the fault email links to."""
        if self.key is None:
            return ack
        token = sign_resume_token(
            self.key,
            session_id=session_id,
            raw_token=ack.resume_token,
            resume_deadline=ack.resume_deadline,
        )
        return ack.model_copy(update={"resume_token": token})

    async def report_fault(self, session_id: str, fault: FaultInput) -> FaultAck:
        """Suspend the session after a fault; the answer carries the signed resume token."""
        ack = await self.sessions.report_fault(session_id, fault)
        return self.signed_fault_ack(session_id, ack)

    async def raw_resume_token(self, session_id: str, token: str, *, now: datetime) -> str:
        """The raw token the workflow checks, from the signed one of the resume link.

        Raises:
            SessionRefused: ``session_not_found`` for an unknown session (unless
                ``hide_unknown_sessions``), ``invalid_resume_token`` for a tampered,
                malformed, foreign or unsigned token, ``resume_window_closed`` for an
                expired one.
        """
        return await self._raw(_RESUME, session_id, token, now)

    async def raw_contest_token(self, session_id: str, token: str, *, now: datetime) -> str:
        """The raw token the workflow checks, from the signed one of the contest link.

        Raises:
            SessionRefused: ``session_not_found`` for an unknown session (unless
                ``hide_unknown_sessions``), ``invalid_contest_token`` for a tampered,
                malformed, foreign or unsigned token, ``contest_window_closed`` for an
                expired one.
        """
        return await self._raw(_CONTEST, session_id, token, now)

    async def resume(self, session_id: str, request: ResumeInput, *, now: datetime) -> SessionView:
        """Resume the session with the token the candidate brought; every saved segment returns.

        Raises:
            SessionRefused: As :meth:`raw_resume_token`, or the session's own refusal
                (``session_ended``, ``session_not_suspended``, ``resume_window_closed``, ...).
        """
        raw = await self.raw_resume_token(session_id, request.resume_token, now=now)
        return await self.sessions.resume(session_id, ResumeInput(resume_token=raw))

    async def contest(
        self, session_id: str, request: ContestInput, *, now: datetime
    ) -> ContestReceipt:
        """File the contest with the token the candidate brought.

        Raises:
            SessionRefused: As :meth:`raw_contest_token`, or the session's own refusal
                (``session_not_terminated``, ``already_contested``, ...).
        """
        raw = await self.raw_contest_token(session_id, request.contest_token, now=now)
        return await self.sessions.contest(
            session_id, request.model_copy(update={"contest_token": raw})
        )

    async def _raw(self, kind: _TokenKind, session_id: str, token: str, now: datetime) -> str:
        if self.key is None:
            return token
        try:
            return kind.open_raw(self.key, token, session_id, now)
        except (InvalidLinkToken, LinkTokenExpired) as err:
            if not self.hide_unknown_sessions:
                # An unknown session is session_not_found whatever token came with it.
                await self.sessions.status(session_id)
            code, message = (
                (kind.expired, kind.expired_message)
                if isinstance(err, LinkTokenExpired)
                else (kind.invalid, kind.invalid_message)
            )
            fields = [{"field": kind.field, "message": str(err)}]
            raise SessionRefused(code, message, {"fields": fields}) from err
