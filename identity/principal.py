"""The proven caller of a request: a person (OIDC) or a machine (API key)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contract.codes import Role

ALL_JOBS = "*"


class Principal(BaseModel):
    """Who a credential proves the caller to be, and what it may see.

    A person's ``subject``, ``name`` and ``email`` come from a verified token, so they are the
    actor of what that person does (``verified``). A key proves only its role: the actor of
    what is done with it is whatever the body says, marked ``verified: false``.
    """

    model_config = ConfigDict(frozen=True)

    kind: Literal["person", "key"]
    role: Role
    subject: str = Field(min_length=1, max_length=255)
    """A person's ``sub`` at the provider; a key's name (``platform``, ``hr-2``, ...)."""
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    jobs: frozenset[str] | None = None
    """The jobs an HR person may see and act on; None: every job (ops, keys, ``*``)."""

    @property
    def verified(self) -> bool:
        """Whether the credential proves who the person is (a key proves only a role)."""
        return self.kind == "person"

    def may_see_job(self, job_id: str | None) -> bool:
        """Whether this caller may see and act on ``job_id``'s sessions."""
        return self.jobs is None or (job_id is not None and job_id in self.jobs)
