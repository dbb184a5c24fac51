"""The search attributes operators filter sessions by in the Temporal Web UI."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

SESSION_STATUS = SearchAttributeKey.for_keyword("SessionStatus")
EXIT_KIND = SearchAttributeKey.for_keyword("ExitKind")
EXIT_REASON = SearchAttributeKey.for_keyword("ExitReason")
FAULT_CAUSE = SearchAttributeKey.for_keyword("FaultCause")
JOB_ID = SearchAttributeKey.for_keyword("JobId")
CANDIDATE_ID = SearchAttributeKey.for_keyword("CandidateId")
INTERVIEWER_ID = SearchAttributeKey.for_keyword("InterviewerId")
INTERVIEW_STAGE = SearchAttributeKey.for_keyword("InterviewStage")
STUCK_STEP = SearchAttributeKey.for_keyword("StuckStep")
"""The most serious pipeline step of the session that failed for good; unset when none."""

ALL_KEYS = (
    SESSION_STATUS,
    EXIT_KIND,
    EXIT_REASON,
    FAULT_CAUSE,
    JOB_ID,
    CANDIDATE_ID,
    INTERVIEWER_ID,
    INTERVIEW_STAGE,
    STUCK_STEP,
)
"""Every key, for registering them on a server (all are Keyword)."""
