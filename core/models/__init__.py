"""The domain's tables, SQLAlchemy 2.x typed models; later capabilities add behaviour, not tables."""

from core.models.base import Base, RightsBasis, Role, utcnow
from core.models.discovery import (
    ApiCache,
    Candidate,
    CandidateStat,
    QuotaUsage,
    Subscription,
    Watch,
)
from core.models.jobs import Job, JobState, OutboxEvent, OutboxKind
from core.models.media import Preset, Proposal, ProposalState, Render, Source
from core.models.publishing import Account, MetricSnapshot, OAuthState, Publication
from core.models.workspace import AuditEntry, Lease, Member, OneTimeCode, RoleMapping, Workspace

__all__ = [
    "Account", "ApiCache", "AuditEntry", "Base", "Candidate", "CandidateStat", "Job", "JobState",
    "Lease", "Member", "MetricSnapshot", "OAuthState", "OneTimeCode", "OutboxEvent", "OutboxKind",
    "Preset", "Proposal", "ProposalState", "Publication", "QuotaUsage", "Render", "RightsBasis",
    "Role", "RoleMapping", "Source", "Subscription", "Watch", "Workspace", "utcnow",
]
