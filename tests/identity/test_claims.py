"""How verified claims become a Principal: the decisions ``identity.claims`` documents."""

from __future__ import annotations

from typing import Any

import pytest

from identity.claims import claims_to_principal
from identity.errors import InvalidToken


def principal(**claims: Any) -> Any:
    return claims_to_principal(
        {"sub": "p-1", **claims}, roles_claim="roles", scope_claim="exitflow_jobs"
    )


@pytest.mark.parametrize(
    ("claims", "role", "jobs"),
    [
        ({"roles": ["hr", "ops"], "exitflow_jobs": ["job-a"]}, "ops", None),
        ({"roles": "hr platform", "exitflow_jobs": "job-a job-b"}, "hr", {"job-a", "job-b"}),
        ({"roles": ["hr"]}, "hr", set()),
        ({"roles": ["hr"], "exitflow_jobs": ["job-a", "*"]}, "hr", None),
        ({"roles": ["hr"], "exitflow_jobs": ["job-a", "..", "x" * 129, 7]}, "hr", {"job-a"}),
    ],
    ids=["both-roles-is-ops", "space-separated", "hr-without-scope", "star", "bad-ids-dropped"],
)
def test_roles_and_scope(claims: dict[str, Any], role: str, jobs: set[str] | None) -> None:
    """Only hr/ops count, ops wins over hr; hr without a scope sees nothing, ``*`` everything."""
    person = principal(**claims)
    assert (person.role, person.jobs) == (role, None if jobs is None else frozenset(jobs))


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"roles": ["platform", "admin"]}, "no exitflow role"),
        ({"roles": {"hr": True}}, "no exitflow role"),
        ({"roles": ["hr"], "sub": "x" * 256}, "bad subject"),
        ({"roles": ["hr"], "sub": "line\nbreak"}, "bad subject"),
        ({"roles": ["hr"], "exitflow_jobs": ["job"] * 1001}, "scope too large"),
    ],
)
def test_refusals(claims: dict[str, Any], reason: str) -> None:
    """A person with no exitflow role, an unusable subject or a huge scope is refused."""
    with pytest.raises(InvalidToken) as refused:
        principal(**claims)
    assert refused.value.reason == reason


def test_display_fields_are_bounded_not_refused() -> None:
    """A long name is cut; an email that is too long or not an address is dropped."""
    person = principal(roles=["ops"], name="N" * 500, email="a" * 400 + "@x.test")
    assert (person.name, person.email) == ("N" * 200, None)
    fallback = principal(roles=["ops"], preferred_username="dev", email="not an address")
    assert (fallback.name, fallback.email) == ("dev", None)


def test_a_dotted_claim_name_reads_a_nested_claim() -> None:
    """Keycloak's ``realm_access.roles`` works without a mapper; a literal dotted claim wins."""
    nested = claims_to_principal(
        {"sub": "p", "realm_access": {"roles": ["ops"]}},
        roles_claim="realm_access.roles",
        scope_claim="exitflow_jobs",
    )
    literal = claims_to_principal(
        {"sub": "p", "realm_access.roles": ["hr"], "realm_access": {"roles": ["ops"]}},
        roles_claim="realm_access.roles",
        scope_claim="exitflow_jobs",
    )
    assert (nested.role, literal.role) == ("ops", "hr")
