"""The forge layer: idempotent, retried writes to GitHub, or files in the local outbox.

Stages receive a ``Forge`` (see ``protocol.py``) and never import PyGithub; ``open_forge``
picks GitHub when a token is present and the outbox (``.mlops/outbox/``) otherwise. Importing
this package is cheap: PyGithub is imported only when a GitHub forge is built.
"""

from __future__ import annotations

from mlops_ci.forge.limits import fit_comment, fit_summary
from mlops_ci.forge.outbox import OutboxForge
from mlops_ci.forge.outbox_layout import outbox_directory
from mlops_ci.forge.protocol import (
    AssetFile,
    CommentResult,
    DeploymentRef,
    DeploymentState,
    DispatchResult,
    ExistingIssue,
    Forge,
    IssueResult,
    Outcome,
    PullInfo,
    ReleaseResult,
    ReportStamp,
    StatusResult,
)
from mlops_ci.forge.retry import ForgeReadOnly, RetryPolicy
from mlops_ci.forge.select import open_forge

__all__ = [
    "AssetFile",
    "CommentResult",
    "DeploymentRef",
    "DeploymentState",
    "DispatchResult",
    "ExistingIssue",
    "Forge",
    "ForgeReadOnly",
    "IssueResult",
    "OutboxForge",
    "Outcome",
    "PullInfo",
    "ReleaseResult",
    "ReportStamp",
    "RetryPolicy",
    "StatusResult",
    "fit_comment",
    "fit_summary",
    "open_forge",
    "outbox_directory",
]
