"""Exit policies (contract section 10), versioned: reach them as ``Store.policies``.

Every save that changes something adds a version (a row) and an audit entry
``policy.saved`` in the same transaction; a save that changes nothing returns the current
version. A job's policy is the one whose ``job_ids`` names it, else ``default``: a job named
by two policies is refused at the second save (``PolicyConflict``), so the answer is always
one policy. Saves take the audit chain's lock, which also serialises them, so two saves
naming the same job at once cannot both pass that check.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from contract.policies import (
    DEFAULT_POLICY_ID,
    MAX_HISTORY,
    POLICY_CONFLICT,
    ExitPolicy,
    ExitPolicyFields,
    PolicyAuthor,
    PolicyHistory,
    PolicyId,
)
from contract.sessions import Actor
from store.audit_entries import append_entry
from store.substore import SubStore
from store.tables import ExitPolicyRow

__all__ = ["POLICY_SAVED", "Policies", "PolicyConflict"]

POLICY_SAVED = "policy.saved"
MAX_POLICIES = 500
"""Policies are made by hand, per job group: this many is far beyond need, and keeps every
read of all current versions small."""

_POLICY_ID: TypeAdapter[str] = TypeAdapter(PolicyId)


class PolicyConflict(Exception):
    """A save refused for what other policies hold; nothing was written."""

    def __init__(self, message: str, details: dict[str, Any]) -> None:
        """Keep the message and the facts (``policy_id``, ``job_ids``, ...)."""
        super().__init__(message)
        self.code = POLICY_CONFLICT
        self.message = message
        self.details = details


def _policy(row: ExitPolicyRow) -> ExitPolicy:
    return ExitPolicy(
        policy_id=row.policy_id,
        version=row.version,
        author=PolicyAuthor(id=row.author_id, name=row.author_name, verified=row.author_verified),
        at=row.at,
        fields=ExitPolicyFields.model_validate(row.fields),
    )


async def _current(session: AsyncSession) -> dict[str, ExitPolicy]:
    latest = (
        select(ExitPolicyRow.policy_id, func.max(ExitPolicyRow.version).label("version"))
        .group_by(ExitPolicyRow.policy_id)
        .subquery()
    )
    query = (
        select(ExitPolicyRow)
        .join(
            latest,
            and_(
                ExitPolicyRow.policy_id == latest.c.policy_id,
                ExitPolicyRow.version == latest.c.version,
            ),
        )
        .order_by(ExitPolicyRow.policy_id)
    )
    return {row.policy_id: _policy(row) for row in (await session.scalars(query)).all()}


class Policies(SubStore):
    """Exit policies on one store's database; ``Store.policies``."""

    async def list(self) -> list[ExitPolicy]:
        """Every policy's current version, by ``policy_id``."""
        async with self._reads() as session:
            return list((await _current(session)).values())

    async def get(self, policy_id: str) -> ExitPolicy | None:
        """The policy's current version, or None when no policy has this id."""
        query = (
            select(ExitPolicyRow)
            .where(ExitPolicyRow.policy_id == policy_id)
            .order_by(ExitPolicyRow.version.desc())
            .limit(1)
        )
        async with self._reads() as session:
            row = await session.scalar(query)
        return None if row is None else _policy(row)

    async def version(self, policy_id: str, version: int) -> ExitPolicy | None:
        """One version of a policy (what a session pinned), or None when there is none."""
        async with self._reads() as session:
            row = await session.get(ExitPolicyRow, (policy_id, version))
        return None if row is None else _policy(row)

    async def history(self, policy_id: str, *, limit: int = 50) -> PolicyHistory | None:
        """The policy's versions, newest first, at most ``limit`` (1 to ``MAX_HISTORY``).

        Raises:
            ValueError: When ``limit`` is out of range.
        """
        if not 1 <= limit <= MAX_HISTORY:
            raise ValueError(f"limit must be from 1 to {MAX_HISTORY}")
        query = (
            select(ExitPolicyRow)
            .where(ExitPolicyRow.policy_id == policy_id)
            .order_by(ExitPolicyRow.version.desc())
            .limit(limit)
        )
        async with self._reads() as session:
            rows = (await session.scalars(query)).all()
        if not rows:
            return None
        versions = [_policy(row) for row in rows]
        return PolicyHistory(
            policy_id=policy_id,
            current=versions[0],
            versions=versions,
            version_count=rows[0].version,
        )

    async def current_for_job(self, job_id: str) -> ExitPolicy:
        """The policy a session for ``job_id`` runs under now: the one naming the job, else
        ``default``."""
        async with self._reads() as session:
            current = await _current(session)
        for policy in current.values():
            if job_id in (policy.fields.job_ids or []) and policy.policy_id != DEFAULT_POLICY_ID:
                return policy
        return current[DEFAULT_POLICY_ID]

    async def save(
        self, policy_id: str, fields: ExitPolicyFields, *, author: Actor
    ) -> tuple[ExitPolicy, bool]:
        """Merge ``fields`` into the current version and save the result as a new version.

        A field that is None keeps its current value. A policy saved for the first time
        starts from the default's current fields, with no job (``job_ids: []``).

        Returns:
            The current version after the save, and whether this call made it (False when
            nothing changed: no row and no audit entry were written).

        Raises:
            pydantic.ValidationError: Naming ``policy_id`` or each field the merged policy
                breaks (a reminder outside a window changed by this save, for instance).
            PolicyConflict: When another policy names one of the jobs, or there are
                ``MAX_POLICIES`` already.
        """
        policy_id = _POLICY_ID.validate_python(policy_id)
        at = self._clock()
        async with self._writing() as session:
            current = await _current(session)
            before = current.get(policy_id)
            if before is None:
                if len(current) >= MAX_POLICIES:
                    raise PolicyConflict(
                        f"There are {MAX_POLICIES} policies already; change one instead.",
                        {"policy_id": policy_id},
                    )
                base = current[DEFAULT_POLICY_ID].fields.model_dump(mode="json") | {"job_ids": []}
            else:
                base = before.fields.model_dump(mode="json")
            merged = ExitPolicyFields.model_validate(
                base | fields.model_dump(mode="json", exclude_none=True),
                context={"policy_id": policy_id},
            )
            if before is not None and merged == before.fields:
                return before, False
            _refuse_shared_jobs(policy_id, merged, current)
            after = merged.model_dump(mode="json")
            changed = sorted(name for name, value in after.items() if base.get(name) != value)
            row = ExitPolicyRow(
                policy_id=policy_id,
                version=1 if before is None else before.version + 1,
                fields=after,
                author_id=author.id,
                author_name=author.name,
                author_verified=author.verified,
                at=at,
            )
            session.add(row)
            await session.flush()
            await append_entry(
                session,
                event_id=f"{POLICY_SAVED}:{policy_id}:{row.version}",
                type=POLICY_SAVED,
                at=at,
                facts={
                    "policy_id": policy_id,
                    "version": row.version,
                    "author_id": author.id,
                    "author_verified": author.verified,
                    "changed": changed,
                },
            )
        return _policy(row), True


def _refuse_shared_jobs(
    policy_id: str, fields: ExitPolicyFields, current: dict[str, ExitPolicy]
) -> None:
    wanted = set(fields.job_ids or [])
    for other in current.values():
        if other.policy_id in (policy_id, DEFAULT_POLICY_ID):
            continue
        shared = sorted(wanted & set(other.fields.job_ids or []))
        if shared:
            raise PolicyConflict(
                f"Policy {other.policy_id!r} already applies to job {shared[0]!r}; a job has "
                "one policy: remove it there first.",
                {"policy_id": other.policy_id, "job_ids": shared[:20]},
            )
