"""exitflow's relational store and the activities that write to it."""

from activities.database.activities import DatabaseActivities, RecordDelivery
from activities.database.audit import AuditVerification
from activities.database.reads import ExitPage, InvalidCursor, StoredExit
from activities.database.store import Store

__all__ = [
    "AuditVerification",
    "DatabaseActivities",
    "ExitPage",
    "InvalidCursor",
    "RecordDelivery",
    "Store",
    "StoredExit",
]
