"""Exit analytics over the store: SQL aggregates (SQLAlchemy Core), pure of Temporal.

Each report is an ``async`` function of an ``AsyncConnection`` and a ``ReportFilter``
returning a pydantic model; ``REPORTS`` names them for the CLI, the API and the dashboard.
"""

from activities.database.reports._common import Report, ReportFilter
from activities.database.reports.faults import FaultBreakdown, FaultShare, fault_breakdown
from activities.database.reports.funnel import StageExits, StageFunnel, stage_funnel
from activities.database.reports.interviewers import (
    InterviewerExits,
    InterviewerReport,
    interviewer_report,
)
from activities.database.reports.reasons import (
    JobReasons,
    ReasonShare,
    WithdrawalReasons,
    withdrawal_reasons,
)
from activities.database.reports.recruiting import (
    JobEffect,
    PeriodRates,
    RecruitingEffect,
    recruiting_effect,
)
from activities.database.reports.reengagement import (
    ReengagementCandidate,
    ReengagementList,
    reengagement_list,
)
from activities.database.reports.registry import REPORTS, ReportOptions, run_report
from activities.database.reports.resume import ResumeReport, resume_report
from activities.database.reports.tags import CandidateTag, CandidateTags, TagCount, candidate_tags

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
