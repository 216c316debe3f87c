"""``GitHubForge``: the ``Forge`` protocol on GitHub's REST API.

Each operation lives in its own module (comments, releases, deployments, issues); this class
binds them to one ``GitHubApi`` and adds the two dispatches. Build it with ``from_environ`` in
Actions, or directly in tests (``GitHubApi`` takes the fake server's URL and fast retry knobs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mlops_ci.forge import gh_access, gh_assets, gh_comments, gh_issues, gh_pulls, gh_releases
from mlops_ci.forge.gh_deployments import Deployments
from mlops_ci.forge.github import GitHubApi, api_from_environ, quote
from mlops_ci.forge.protocol import (
    AccessCheck,
    AssetFile,
    CommentResult,
    DeploymentRef,
    DeploymentState,
    DispatchResult,
    ExistingIssue,
    FetchResult,
    IssueResult,
    JsonValue,
    Outcome,
    Permission,
    PullInfo,
    ReleaseResult,
    ReportStamp,
    StatusResult,
)
from mlops_ci.forge.retry import ForgeReadOnly, UncertainWrite


class GitHubForge:
    """A ``Forge`` writing to one GitHub repository through ``GitHubApi``."""

    def __init__(self, api: GitHubApi) -> None:
        self.api = api
        self._deployments = Deployments(api)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], **options: Any) -> GitHubForge | None:
        """The forge of ``GITHUB_REPOSITORY``; ``None`` without a token (``api_from_environ``)."""
        api = api_from_environ(environ, **options)
        return None if api is None else cls(api)

    def __repr__(self) -> str:
        return f"GitHubForge({self.api!r})"

    def close(self) -> None:
        self.api.close()

    def read_pull(self, number: int) -> PullInfo:
        return gh_pulls.read_pull(self.api, number)

    def find_pull_by_head(self, head_sha: str, head_ref: str | None = None) -> PullInfo | None:
        return gh_pulls.find_pull_by_head(self.api, head_sha, head_ref)

    def check_access(self, needs: Sequence[Permission]) -> AccessCheck:
        return gh_access.check_access(self.api, needs)

    def upsert_report_comment(
        self, pr_number: int, report_id: str, body: str, stamp: ReportStamp
    ) -> CommentResult:
        return gh_comments.upsert_report_comment(self.api, pr_number, report_id, body, stamp)

    def ensure_release(
        self,
        tag: str,
        name: str,
        body: str,
        assets: Sequence[AssetFile],
        *,
        prerelease: bool = False,
    ) -> ReleaseResult:
        return gh_releases.ensure_release(self.api, tag, name, body, assets, prerelease=prerelease)

    def fetch_release_asset(
        self, tag: str, name: str, dest: Path, *, expected_sha256: str | None = None
    ) -> FetchResult:
        return gh_assets.fetch_release_asset(
            self.api, tag, name, dest, expected_sha256=expected_sha256
        )

    def find_deployment(self, environment: str, version: str) -> DeploymentRef | None:
        return self._deployments.existing(environment, version)

    def create_deployment(
        self,
        environment: str,
        ref: str,
        version: str,
        description: str,
        payload: Mapping[str, JsonValue],
    ) -> DeploymentRef:
        return self._deployments.create(environment, ref, version, description, payload)

    def set_deployment_status(
        self,
        deployment: DeploymentRef,
        state: DeploymentState,
        *,
        environment_url: str | None = None,
        description: str | None = None,
    ) -> StatusResult:
        return self._deployments.set_status(deployment, state, environment_url, description)

    def mark_inactive(self, deployment: DeploymentRef) -> StatusResult:
        return self._deployments.set_status(deployment, "inactive", None, None)

    def upsert_issue(
        self, marker: str, title: str, body: str, labels: Sequence[str]
    ) -> IssueResult:
        return gh_issues.upsert_issue(self.api, marker, title, body, labels)

    def read_issue(self, marker: str) -> ExistingIssue | None:
        return gh_issues.read_issue(self.api, marker)

    def comment_issue(self, issue_number: int, body: str, *, key: str) -> CommentResult:
        return gh_comments.upsert_keyed_comment(self.api, issue_number, key, body)

    def close_issue(self, issue_number: int, comment: str, *, key: str) -> IssueResult:
        commented = self.comment_issue(issue_number, comment, key=key)
        if commented.outcome is Outcome.READ_ONLY:
            return IssueResult(Outcome.READ_ONLY, issue_number, warning=commented.warning)
        return gh_issues.close_issue(self.api, issue_number)

    def dispatch(self, event_type: str, client_payload: Mapping[str, JsonValue]) -> DispatchResult:
        """Send ``repository_dispatch``.

        GitHub keeps no readable record of a dispatch, so there is nothing to read back: after
        an ambiguous failure (5xx, timeout, lost response) it is NOT sent again and the result
        is ``UNCERTAIN``. To send once per run across reruns, gate it on a keyed issue comment:
        ``comment_issue(n, text, key=f"dispatch-{run_id}")`` returns ``CREATED`` only once.
        """
        body = {"event_type": event_type, "client_payload": dict(client_payload)}
        return self._send_dispatch(f"dispatch {event_type}", f"{self.api.repo}/dispatches", body)

    def dispatch_workflow(
        self, workflow: str, ref: str, inputs: Mapping[str, str]
    ) -> DispatchResult:
        """Start ``workflow`` via ``workflow_dispatch``; same once-only rule as ``dispatch``."""
        path = f"{self.api.repo}/actions/workflows/{quote(workflow)}/dispatches"
        body = {"ref": ref, "inputs": dict(inputs)}
        return self._send_dispatch(f"workflow {workflow}", path, body)

    def _send_dispatch(self, what: str, path: str, body: Mapping[str, Any]) -> DispatchResult:
        try:
            self.api.post_once(what, path, body)
        except ForgeReadOnly as error:
            return DispatchResult(Outcome.READ_ONLY, error.message)
        except UncertainWrite as error:
            return DispatchResult(Outcome.UNCERTAIN, error.message)
        return DispatchResult(Outcome.SENT)
