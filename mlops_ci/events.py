"""What triggered this run, as one typed ``Event``: the value every later layer reads.

:mod:`mlops_ci.webhooks` builds it from the runner's event name, webhook payload and
environment (or a local run's commit). Facts a caller may rely on:

- ``Event.sha`` is the commit to check, report on and register. On ``pull_request`` that is
  ``pull_request.head.sha``, never ``GITHUB_SHA`` (a merge commit that exists nowhere else,
  kept as ``merge_sha``). On a push that deletes its ref there is none (``None``).
- ``Event.untrusted`` is true for a pull request from a fork (head repository differs from the
  base repository, or was deleted): its code and text come from someone without write access.
- On ``workflow_run`` (the second phase of a fork's report), ``Event.sha`` and ``branch`` are
  the finished run's ``head_sha`` and ``head_branch``; ``Event.workflow_run`` says which run
  (its ``id`` names the artifact to fetch), what triggered it and how it ended. Its
  ``pull_requests`` list is empty for a fork's pull request, so the PR is found by head sha.
- ``Event.registry_tag`` is ``Event.tag`` read with the registry's grammar
  (``registry.tags.parse_tag``), ``None`` when the tag is not a registry tag.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass

from mlops_ci.registry.tags import RegistryTag

DEFAULT_SERVER_URL = "https://github.com"


class EventKind(enum.StrEnum):
    """What happened, refined from the GitHub event name by what the payload says."""

    LOCAL = "local"
    PUSH_BRANCH = "push_branch"
    PUSH_TAG = "push_tag"
    PULL_REQUEST = "pull_request"
    CREATE_BRANCH = "create_branch"
    CREATE_TAG = "create_tag"
    RELEASE = "release"
    SCHEDULE = "schedule"
    WORKFLOW_DISPATCH = "workflow_dispatch"
    REPOSITORY_DISPATCH = "repository_dispatch"
    DEPLOYMENT = "deployment"
    WORKFLOW_RUN = "workflow_run"


@dataclass(frozen=True, slots=True)
class PullRequestRef:
    number: int
    head_sha: str
    head_ref: str
    base_ref: str
    base_sha: str
    title: str
    is_fork: bool
    merged: bool


@dataclass(frozen=True, slots=True)
class ReleaseRef:
    tag_name: str
    prerelease: bool
    draft: bool


@dataclass(frozen=True, slots=True)
class DeploymentEventRef:
    id: int
    environment: str
    ref: str
    task: str


@dataclass(frozen=True, slots=True)
class WorkflowRunRef:
    """The finished (or requested) run a ``workflow_run`` event is about.

    ``event`` is what triggered THAT run (``pull_request`` for a report to post);
    ``head_repository`` is where its head commit lives (a fork's full name for a fork's PR);
    ``pull_numbers`` lists the pull requests GitHub linked to it (empty for forks).
    """

    id: int
    name: str
    event: str
    status: str | None
    conclusion: str | None
    head_sha: str
    head_branch: str | None
    head_repository: str | None
    pull_numbers: tuple[int, ...]
    is_fork: bool


@dataclass(frozen=True, slots=True)
class Event:
    """One triggering event. ``name`` is GitHub's event name (``local`` without one)."""

    name: str
    kind: EventKind
    action: str | None = None  # payload "action"; repository_dispatch: its event_type
    sha: str | None = None
    merge_sha: str | None = None  # pull_request only: GITHUB_SHA, the test-merge commit
    ref: str | None = None
    branch: str | None = None
    tag: str | None = None
    registry_tag: RegistryTag | None = None  # ``tag`` read with the registry grammar
    ref_deleted: bool = False  # a push or create that deleted its ref
    pr: PullRequestRef | None = None
    release: ReleaseRef | None = None
    deployment: DeploymentEventRef | None = None
    workflow_run: WorkflowRunRef | None = None
    schedule: str | None = None  # the cron line that fired
    actor: str | None = None
    repository: str | None = None
    default_branch: str | None = None  # as the payload's repository says
    inputs: tuple[tuple[str, str], ...] = ()  # workflow_dispatch inputs / client_payload
    run_id: str | None = None
    server_url: str = DEFAULT_SERVER_URL

    @property
    def untrusted(self) -> bool:
        """A pull request from a fork: its code and text come from outside the repository."""
        return self.pr is not None and self.pr.is_fork

    def input(self, name: str) -> str | None:
        """The input (or client_payload field) ``name``, ``None`` when absent or empty."""
        for key, value in self.inputs:
            if key == name:
                return value or None
        return None

    def to_json(self) -> dict[str, object]:
        """The event as plain JSON values; keys are stable (see ``plan.Plan.to_json``)."""
        return {
            "name": self.name,
            "kind": self.kind.value,
            "action": self.action,
            "sha": self.sha,
            "merge_sha": self.merge_sha,
            "ref": self.ref,
            "branch": self.branch,
            "tag": self.tag,
            "ref_deleted": self.ref_deleted,
            "pull_request": None if self.pr is None else asdict(self.pr),
            "release": None if self.release is None else asdict(self.release),
            "deployment": None if self.deployment is None else asdict(self.deployment),
            "workflow_run": None if self.workflow_run is None else asdict(self.workflow_run),
            "schedule": self.schedule,
            "actor": self.actor,
            "repository": self.repository,
            "default_branch": self.default_branch,
            "inputs": dict(self.inputs),
            "run_id": self.run_id,
            "server_url": self.server_url,
            "untrusted": self.untrusted,
        }

    def describe(self) -> str:
        """One line naming the event, e.g. ``pull_request #12 opened``; text is not escaped."""
        if self.pr is not None:
            return f"{self.name} #{self.pr.number} {self.action}"
        if self.kind in (EventKind.PUSH_TAG, EventKind.CREATE_TAG):
            return f"{self.name} of tag {self.tag}"
        if self.kind in (EventKind.PUSH_BRANCH, EventKind.CREATE_BRANCH):
            return f"{self.name} to branch {self.branch}"
        if self.release is not None:
            return f"{self.name} {self.action} {self.release.tag_name}"
        if self.workflow_run is not None:
            run = self.workflow_run
            return f"{self.name} {self.action} of run {run.id} ({run.event})"
        if self.action:
            return f"{self.name} {self.action}"
        return self.name
