"""Exit analytics over the store: SQL aggregates (SQLAlchemy Core), pure of Temporal.

Each report is an ``async`` function of an ``AsyncConnection`` and a ``ReportFilter``
returning a pydantic model; ``REPORTS`` names them for the CLI, the API and the dashboard.
"""

from reports._common import Report, ReportFilter
from reports.faults import FaultBreakdown, FaultShare, fault_breakdown
from reports.funnel import StageExits, StageFunnel, stage_funnel
from reports.interviewers import (
    InterviewerExits,
    InterviewerReport,
    interviewer_report,
)
from reports.reasons import (
    JobReasons,
    ReasonShare,
    WithdrawalReasons,
    withdrawal_reasons,
)
from reports.recruiting import (
    JobEffect,
    PeriodRates,
    RecruitingEffect,
    recruiting_effect,
)
from reports.reengagement import (
    ReengagementCandidate,
    ReengagementList,
    reengagement_list,
)
from reports.registry import REPORTS, ReportOptions, ReportTimeout, run_report
from reports.resume import ResumeReport, resume_report
from reports.tags import CandidateTag, CandidateTags, TagCount, candidate_tags

__all__ = [
    "REPORTS",
    "CandidateTag",
    "CandidateTags",
    "FaultBreakdown",
    "FaultShare",
    "InterviewerExits",
    "InterviewerReport",
    "JobEffect",
    "JobReasons",
    "PeriodRates",
    "ReasonShare",
    "RecruitingEffect",
    "ReengagementCandidate",
    "ReengagementList",
    "Report",
    "ReportFilter",
    "ReportOptions",
    "ReportTimeout",
    "ResumeReport",
    "StageExits",
    "StageFunnel",
    "TagCount",
    "WithdrawalReasons",
    "candidate_tags",
    "fault_breakdown",
    "interviewer_report",
    "recruiting_effect",
    "reengagement_list",
    "resume_report",
    "run_report",
    "stage_funnel",
    "withdrawal_reasons",
]
