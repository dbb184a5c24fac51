"""exitflow's relational store: tables, migrations, reads and writes, behind ``Store``.

Code outside ``store/`` reaches the store through ``Store`` (``store.rights`` for data
rights, ``store.contests`` for the review queue, ``store.keys`` for API keys,
``store.policies`` for exit policies) and the names
exported here.
"""

from store.api_keys import ApiKeys, KeyNameTaken, StoredKey
from store.audit import AuditVerification
from store.audit_export import AuditEntryView, AuditPage
from store.contests import ContestPage, Contests, ReviewTask, StoredContest
from store.holds import RightsRefused
from store.liveness import Beat
from store.paging import InvalidCursor
from store.policies import Policies, PolicyConflict
from store.reads import ExitPage, SchemaRevision, StoredExit
from store.rights import CandidateRights
from store.store import Store

__all__ = [
    "ApiKeys",
    "AuditEntryView",
    "AuditPage",
    "AuditVerification",
    "Beat",
    "CandidateRights",
    "ContestPage",
    "Contests",
    "ExitPage",
    "InvalidCursor",
    "KeyNameTaken",
    "Policies",
    "PolicyConflict",
    "ReviewTask",
    "RightsRefused",
    "SchemaRevision",
    "Store",
    "StoredContest",
    "StoredExit",
    "StoredKey",
]
