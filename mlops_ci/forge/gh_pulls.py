"""Pull requests on GitHub: read one by number, or find the open one by its head commit.

Finding by head commit is what the second phase of a fork's report needs: the
``workflow_run`` event names the head sha but its ``pull_requests`` list is empty for a fork.
``GET /commits/{sha}/pulls`` does not find a fork's pull request either (the commit is not in
the base repository), so the open pull requests are listed, most recently updated first, and
matched on ``head.sha``; the search stops at the first page holding a match.
"""

from __future__ import annotations

from typing import Any

from mlops_ci.errors import UserError
from mlops_ci.forge.github import GitHubApi
from mlops_ci.forge.protocol import PullInfo


def parse_pull(pull: Any) -> PullInfo:
    """A ``PullInfo`` from GitHub's pull request JSON; a deleted fork counts as a fork."""
    head = pull.get("head") or {}
    base = pull.get("base") or {}
    head_repo = (head.get("repo") or {}).get("full_name")
    base_repo = (base.get("repo") or {}).get("full_name")
    return PullInfo(
        number=int(pull["number"]),
        head_sha=str(head.get("sha", "")),
        head_ref=str(head.get("ref", "")),
        base_ref=str(base.get("ref", "")),
        title=str(pull.get("title") or ""),
        is_fork=head_repo is None or head_repo != base_repo,
    )


def read_pull(api: GitHubApi, number: int) -> PullInfo:
    pull = api.get_or_none(f"{api.repo}/pulls/{number}")
    if pull is None:
        raise UserError(f"pull request #{number} does not exist in {api.repository}")
    return parse_pull(pull)


def find_pull_by_head(api: GitHubApi, head_sha: str, head_ref: str | None) -> PullInfo | None:
    """The open pull request whose head is ``head_sha`` (and ``head_ref`` when given)."""
    params = {"state": "open", "sort": "updated", "direction": "desc"}
    for page in api.pages(f"{api.repo}/pulls", params):
        for item in page:
            pull = parse_pull(item)
            if pull.head_sha == head_sha and head_ref in (None, pull.head_ref):
                return pull
    return None
