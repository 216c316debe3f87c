"""Monitoring issues found again by a hidden marker in their body.

An issue is ours when its body STARTS with the marker (``markers.owns``) and its author is
the token's identity (``GitHubApi.login``); a marker quoted anywhere else does not count.
Issues of every state are listed newest first; on the first page holding ours an open one is
preferred. An open one is edited when title, body or labels differ; a
closed one is reopened (one issue per marker, its history kept); only when neither exists is
one created. Pull requests, which the issues API lists too, are skipped. ``read_issue`` reads
back, by the same rules, the issue ``upsert_issue`` would edit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mlops_ci.forge import markers
from mlops_ci.forge.github import GitHubApi
from mlops_ci.forge.limits import COMMENT_LIMIT, fit_comment
from mlops_ci.forge.protocol import ExistingIssue, IssueResult, Outcome, existing_issue
from mlops_ci.forge.retry import ForgeReadOnly


def find_issue(api: GitHubApi, marker_text: str) -> dict[str, Any] | None:
    """Our issue carrying ``marker_text``: on the first page holding any, an open one first."""
    login = api.login()
    for page in api.pages(f"{api.repo}/issues", {"state": "all"}):
        ours = [
            dict(issue)
            for issue in page
            if "pull_request" not in issue
            and (issue.get("user") or {}).get("login") == login
            and markers.owns(issue.get("body") or "", marker_text)
        ]
        if ours:
            return next((issue for issue in ours if issue.get("state") == "open"), ours[0])
    return None


def read_issue(api: GitHubApi, marker: str) -> ExistingIssue | None:
    """Our issue carrying ``marker`` (``find_issue``'s rules), or ``None``; reads only."""
    issue = find_issue(api, markers.issue_marker(marker))
    if issue is None:
        return None
    url = issue.get("html_url") or issue.get("url")
    return existing_issue(issue, url if isinstance(url, str) else None)


def _labels(issue: dict[str, Any]) -> list[str]:
    return sorted(
        str(label.get("name") if isinstance(label, dict) else label)
        for label in issue.get("labels") or []
    )


def upsert_issue(
    api: GitHubApi, marker: str, title: str, body: str, labels: Sequence[str]
) -> IssueResult:
    marker_text = markers.issue_marker(marker)
    text = markers.marked(
        marker_text, fit_comment(body, limit=COMMENT_LIMIT - len(marker_text) - 1)
    )
    wanted_labels = sorted(set(labels))
    try:
        issue = find_issue(api, marker_text)
        if issue is None:
            created = api.create(
                f"issue {marker}",
                f"{api.repo}/issues",
                {"title": title, "body": text, "labels": wanted_labels},
                lambda: find_issue(api, marker_text),
            )
            return IssueResult(Outcome.CREATED, int(created["number"]), created.get("html_url"))
        number = int(issue["number"])
        changes: dict[str, Any] = {}
        if issue.get("title") != title:
            changes["title"] = title
        if (issue.get("body") or "").replace("\r\n", "\n").strip() != text.strip():
            changes["body"] = text
        if _labels(issue) != wanted_labels:
            changes["labels"] = wanted_labels
        reopen = issue.get("state") == "closed"
        if reopen:
            changes["state"] = "open"
        if not changes:
            return IssueResult(Outcome.UNCHANGED, number, issue.get("html_url"))
        api.send("PATCH", f"{api.repo}/issues/{number}", changes)
        outcome = Outcome.REOPENED if reopen else Outcome.UPDATED
        return IssueResult(outcome, number, issue.get("html_url"))
    except ForgeReadOnly as error:
        return IssueResult(Outcome.READ_ONLY, warning=error.message)


def close_issue(api: GitHubApi, issue_number: int) -> IssueResult:
    """Close the issue (reason: completed) unless it is closed already."""
    path = f"{api.repo}/issues/{issue_number}"
    try:
        issue = api.get(path)
        if issue.get("state") == "closed":
            return IssueResult(Outcome.UNCHANGED, issue_number, issue.get("html_url"))
        api.send("PATCH", path, {"state": "closed", "state_reason": "completed"})
    except ForgeReadOnly as error:
        return IssueResult(Outcome.READ_ONLY, issue_number, warning=error.message)
    return IssueResult(Outcome.CLOSED, issue_number, issue.get("html_url"))
