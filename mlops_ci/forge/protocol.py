"""The forge: what stages may ask of GitHub (or of the local outbox), as typed values.

Stages never talk to GitHub; they get a ``Forge`` and call these methods. Every write is
idempotent by a key (see DESIGN.md, "Idempotency keys"): a rerun of the same event finds what
an earlier run wrote and completes only what is missing, so calling a method twice with the
same arguments leaves one object, not two. No PyGithub object crosses this boundary.

A write that the token may not make (a fork's pull request, a read-only token) does not raise:
it returns a result whose ``outcome`` is ``Outcome.READ_ONLY`` and whose ``warning`` says why,
so the caller can put the report into the job summary instead.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

JsonScalar = str | int | float | bool | None
JsonValue = JsonScalar | Sequence["JsonValue"] | Mapping[str, "JsonValue"]

DeploymentState = Literal[
    "error", "failure", "inactive", "in_progress", "queued", "pending", "success"
]


class Outcome(enum.StrEnum):
    """What a call did. For a write, ``UNCHANGED`` means no write request was sent.

    ``FOUND``, ``MISSING_RELEASE`` and ``MISSING_ASSET`` answer ``fetch_release_asset``.
    """

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REOPENED = "reopened"
    CLOSED = "closed"
    SENT = "sent"
    SKIPPED_STALE = "skipped_stale"  # a report of a newer run is already there
    UNCERTAIN = "uncertain"  # the request may or may not have taken effect (see warning)
    READ_ONLY = "read_only"  # the token may not write here (fork PR, read-only token)
    FOUND = "found"
    MISSING_RELEASE = "missing_release"  # no published release of the tag (drafts don't count)
    MISSING_ASSET = "missing_asset"  # the release is published but holds no such asset


@dataclass(frozen=True, slots=True)
class PullInfo:
    number: int
    head_sha: str
    head_ref: str
    base_ref: str
    title: str
    is_fork: bool


class Permission(enum.StrEnum):
    """A write permission of a workflow token, spelled as in a workflow's ``permissions:``."""

    CONTENTS = "contents: write"  # tags, releases and their assets
    PULL_REQUESTS = "pull-requests: write"  # the report comment on a pull request
    ISSUES = "issues: write"  # the monitoring issue and its comments
    DEPLOYMENTS = "deployments: write"  # deployments and their statuses


@dataclass(frozen=True, slots=True)
class AccessCheck:
    """What the token was found able to do, before any write.

    ``verified`` is False when the token cannot tell (a workflow's installation token cannot
    introspect itself): then ``missing`` is empty and ``note`` says the first write will tell.
    ``missing`` holds the needed permissions the token is known to lack.
    """

    verified: bool
    missing: tuple[Permission, ...] = ()
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ReportStamp:
    """Which run wrote a report, so that an older run never overwrites a newer one.

    ``run_key`` must grow with every new run of the workflow: ``GITHUB_RUN_ID`` does (it is
    unique and increasing per repository, and the attempts of one run share it). A report is
    replaced only by one whose ``run_key`` is equal or greater; ``head_sha`` is recorded for
    readers and for the rule "equal run, other sha" (then the newer write wins).
    """

    head_sha: str
    run_key: int = 0


@dataclass(frozen=True, slots=True)
class CommentResult:
    outcome: Outcome
    comment_id: int | None = None
    url: str | None = None
    deleted_duplicates: int = 0
    warning: str | None = None


@dataclass(frozen=True, slots=True)
class AssetFile:
    """A local file to attach to a release under ``name``."""

    name: str
    path: Path


@dataclass(frozen=True, slots=True)
class ReleaseResult:
    outcome: Outcome
    tag: str
    release_id: int | None = None
    url: str | None = None
    uploaded: tuple[str, ...] = ()  # asset names sent in this call
    kept: tuple[str, ...] = ()  # asset names already present with the same sha256
    replaced: tuple[str, ...] = ()  # asset names present with another sha256, re-uploaded
    published: bool = False
    warning: str | None = None


def kept_published_warning(tag: str, names: Sequence[str]) -> str | None:
    if not names:
        return None
    return (
        f"release {tag} is published: kept its {', '.join(names)} (this run's differ in bytes;"
        " a published version's files are never replaced)"
    )


VerifiedBy = Literal["expected", "SHA256SUMS", "digest"]
"""What vouched for a fetched file's sha256, strongest first: the caller's ``expected_sha256``,
the release's ``SHA256SUMS`` asset, the digest the forge recorded at upload."""


@dataclass(frozen=True, slots=True)
class FetchResult:
    """A release asset read back: ``path`` and ``sha256`` are set when ``outcome`` is ``FOUND``.

    ``verified_by`` is ``None`` only when nothing could vouch for the bytes (no expected hash,
    no ``SHA256SUMS`` entry, no digest from the forge); the caller decides whether to trust them.
    """

    outcome: Outcome
    tag: str
    name: str
    path: Path | None = None
    sha256: str | None = None
    verified_by: VerifiedBy | None = None

    @property
    def found(self) -> bool:
        return self.outcome is Outcome.FOUND


@dataclass(frozen=True, slots=True)
class DeploymentRef:
    """A deployment; when found again (``UNCHANGED``), ``latest_state`` is its latest status.

    A rerun that finds ``latest_state == "success"`` has nothing left to deploy.
    """

    outcome: Outcome
    environment: str
    version: str
    ref: str
    deployment_id: int | None = None
    latest_state: DeploymentState | None = None
    warning: str | None = None


@dataclass(frozen=True, slots=True)
class StatusResult:
    outcome: Outcome
    state: DeploymentState
    warning: str | None = None


@dataclass(frozen=True, slots=True)
class IssueResult:
    outcome: Outcome
    number: int | None = None
    url: str | None = None
    warning: str | None = None


@dataclass(frozen=True, slots=True)
class ExistingIssue:
    """The issue carrying a marker, read back: where a caller keeps state between runs."""

    number: int
    state: Literal["open", "closed"]
    body: str
    title: str = ""
    url: str | None = None

    @property
    def is_open(self) -> bool:
        return self.state == "open"


def existing_issue(fields: Mapping[str, object], url: str | None) -> ExistingIssue | None:
    """The ``ExistingIssue`` of an issue's JSON fields; ``None`` without an integer number.

    Any state but ``"closed"`` reads as open; a missing or non-text body or title reads as "".
    """
    number = fields.get("number")
    if not isinstance(number, int):
        return None
    body, title = fields.get("body"), fields.get("title")
    return ExistingIssue(
        number=number,
        state="closed" if fields.get("state") == "closed" else "open",
        body=body if isinstance(body, str) else "",
        title=title if isinstance(title, str) else "",
        url=url,
    )


@dataclass(frozen=True, slots=True)
class DispatchResult:
    outcome: Outcome
    warning: str | None = None


class Forge(Protocol):
    """What a stage may ask of the forge. Implemented by GitHub and the local outbox."""

    def read_pull(self, number: int) -> PullInfo:
        """The pull request ``number``; ``UserError`` if there is none."""
        ...

    def find_pull_by_head(self, head_sha: str, head_ref: str | None = None) -> PullInfo | None:
        """The OPEN pull request whose head is commit ``head_sha`` (and branch ``head_ref``).

        Works for pull requests from forks too. With several matches (the same commit pushed
        to two branches) the most recently updated wins; ``None`` when no open pull request
        has it (closed, or pushed to since).
        """
        ...

    def check_access(self, needs: Sequence[Permission]) -> AccessCheck:
        """Whether the token holds ``needs``, asked without writing anything."""
        ...

    def upsert_report_comment(
        self, pr_number: int, report_id: str, body: str, stamp: ReportStamp
    ) -> CommentResult:
        """Create or edit the one comment of ``report_id`` on the pull request."""
        ...

    def ensure_release(
        self,
        tag: str,
        name: str,
        body: str,
        assets: Sequence[AssetFile],
        *,
        prerelease: bool = False,
    ) -> ReleaseResult:
        """The release of ``tag`` with exactly these assets, published once all are verified."""
        ...

    def fetch_release_asset(
        self, tag: str, name: str, dest: Path, *, expected_sha256: str | None = None
    ) -> FetchResult:
        """Asset ``name`` of the PUBLISHED release of ``tag``, written to ``dest``, verified.

        A missing release (drafts don't count) or asset is an outcome, not an error: the first
        model of a repository has no production version yet. The sha256 is checked against
        ``expected_sha256`` if given, else the release's ``SHA256SUMS`` (when it lists the
        asset), else the forge's digest; a mismatch raises ``UserError`` and leaves no file
        at ``dest``. ``dest`` is written atomically (temporary file, then rename) and its
        directory created; when it already holds the expected bytes, nothing is downloaded.
        """
        ...

    def find_deployment(self, environment: str, version: str) -> DeploymentRef | None:
        """The deployment of ``version`` to ``environment`` if there is one (reads only)."""
        ...

    def create_deployment(
        self,
        environment: str,
        ref: str,
        version: str,
        description: str,
        payload: Mapping[str, JsonValue],
    ) -> DeploymentRef:
        """The deployment of ``version`` to ``environment`` (found again on a rerun)."""
        ...

    def set_deployment_status(
        self,
        deployment: DeploymentRef,
        state: DeploymentState,
        *,
        environment_url: str | None = None,
        description: str | None = None,
    ) -> StatusResult:
        """Add a status, unless the latest status already has this state."""
        ...

    def mark_inactive(self, deployment: DeploymentRef) -> StatusResult:
        """Mark a superseded deployment inactive."""
        ...

    def upsert_issue(
        self, marker: str, title: str, body: str, labels: Sequence[str]
    ) -> IssueResult:
        """Open, reopen or edit the one issue carrying ``marker``."""
        ...

    def read_issue(self, marker: str) -> ExistingIssue | None:
        """The one issue carrying ``marker`` (the one ``upsert_issue`` writes), or ``None``.

        Reads only. On GitHub the issue must also be written by the token's identity (a marker
        pasted by someone else is not ours); with several, an open one is preferred.
        """
        ...

    def comment_issue(self, issue_number: int, body: str, *, key: str) -> CommentResult:
        """Add a comment to an issue once per ``key`` (a rerun edits it instead)."""
        ...

    def close_issue(self, issue_number: int, comment: str, *, key: str) -> IssueResult:
        """Comment (once per ``key``) and close the issue, unless it is closed already."""
        ...

    def dispatch(self, event_type: str, client_payload: Mapping[str, JsonValue]) -> DispatchResult:
        """Send a ``repository_dispatch`` event."""
        ...

    def dispatch_workflow(
        self, workflow: str, ref: str, inputs: Mapping[str, str]
    ) -> DispatchResult:
        """Start ``workflow`` (file name or id) on ``ref`` via ``workflow_dispatch``."""
        ...
