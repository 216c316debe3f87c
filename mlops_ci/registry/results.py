"""What a registry write returns: enough to act on it (a GitHub release, a deployment, a report).

Each names the tag written (or found, on a rerun), the version and the commit it points at, so the
forge can make a release from a :class:`Registration` without reading git again.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlops_ci.registry.evidence import Evidence
from mlops_ci.registry.tags import Action


@dataclass(frozen=True, slots=True)
class Registration:
    model: str
    version: str
    tag: str
    commit: str
    evidence: Evidence | None  # None when the registration existed already (created=False)
    created: bool  # False: this commit had this version already; nothing was written
    remote: str | None  # where the tag was pushed; None when kept local


@dataclass(frozen=True, slots=True)
class Assignment:
    model: str
    version: str
    stage: str
    tag: str
    commit: str
    counter: int
    created: bool  # False: the version was in the stage already; nothing was written
    remote: str | None


@dataclass(frozen=True, slots=True)
class TagChange:
    """A deregistration, unassignment or deprecation that was written."""

    action: Action
    model: str
    version: str | None
    stage: str | None
    tag: str
    commit: str
    remote: str | None
