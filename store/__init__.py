"""exitflow's relational store: tables, migrations, reads and writes, behind ``Store``."""

from store.audit import AuditVerification
from store.reads import ExitPage, InvalidCursor, StoredExit
from store.store import Store

__all__ = ["AuditVerification", "ExitPage", "InvalidCursor", "Store", "StoredExit"]
