"""Issues, issue comments and pull requests."""

from __future__ import annotations

from typing import Any

from . import paging, shapes
from .routing import Call, Reply, Router, field_error, invalid, not_found
from .state import Comment, Issue, RepoState, now_iso

MAX_BODY = 65536
"""GitHub refuses issue and comment bodies longer than this many characters."""

ISSUES = "/api/v3/repos/{owner}/{repo}/issues"
COMMENTS = "/api/v3/repos/{owner}/{repo}/issues/comments/{comment_id}"


def register(router: Router) -> None:
    router.add("GET", ISSUES, list_issues)
    router.add("POST", ISSUES, create_issue)
    router.add("GET", ISSUES + "/{issue_number}", get_issue)
    router.add("PATCH", ISSUES + "/{issue_number}", update_issue)
    router.add("GET", ISSUES + "/{issue_number}/comments", list_comments)
    router.add("POST", ISSUES + "/{issue_number}/comments", create_comment)
    router.add("GET", COMMENTS, get_comment)
    router.add("PATCH", COMMENTS, update_comment)
    router.add("DELETE", COMMENTS, delete_comment)
    router.add("GET", "/api/v3/repos/{owner}/{repo}/labels/{name}", get_label)
    router.add("GET", "/api/v3/repos/{owner}/{repo}/pulls", list_pulls)
    router.add("GET", "/api/v3/repos/{owner}/{repo}/pulls/{pull_number}", get_pull)


def _issue(call: Call, repo: RepoState) -> Issue:
    issue = repo.issue_map.get(call.int_param("issue_number"))
    if issue is None:
        raise not_found()
    return issue


def _comment(call: Call, repo: RepoState) -> Comment:
    comment = repo.comment_map.get(call.int_param("comment_id"))
    if comment is None:
        raise not_found()
    return comment


def _text(body: dict[str, Any], key: str, resource: str, *, required: bool) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise field_error(resource, key, "missing_field")
        return None
    if not isinstance(value, str):
        raise invalid(f"Invalid request.\n\nFor '{key}', {value!r} is not a string.")
    if len(value) > MAX_BODY:
        raise field_error(resource, key, "custom",
                          f"{key} is too long (maximum is {MAX_BODY} characters)")
    return value


def _labels(body: dict[str, Any]) -> list[str] | None:
    labels = body.get("labels")
    if labels is None:
        return None
    names = [item.get("name") if isinstance(item, dict) else item for item in labels]
    if not all(isinstance(name, str) and name for name in names):
        raise invalid("Invalid request.\n\nFor 'labels', each label is a non-empty string.")
    return [str(name) for name in names]


def list_issues(call: Call) -> Reply:
    repo = call.repo
    state = call.query.get("state", "open")
    wanted = [name for name in call.query.get("labels", "").split(",") if name]
    issues = [
        issue for issue in repo.issue_map.values()
        if state in ("all", issue.state) and all(name in issue.labels for name in wanted)
    ]
    issues.sort(key=lambda issue: issue.number, reverse=call.query.get("direction") != "asc")
    return paging.page(call, [shapes.issue(call.urls, repo, issue) for issue in issues])


def create_issue(call: Call) -> Reply:
    repo, body = call.repo, call.body()
    title = _text(body, "title", "Issue", required=True)
    issue = repo.new_issue(title or "", _text(body, "body", "Issue", required=False),
                           call.token.user, _labels(body) or [])
    return Reply(201, shapes.issue(call.urls, repo, issue))


def get_issue(call: Call) -> Reply:
    repo = call.repo
    return Reply(200, shapes.issue(call.urls, repo, _issue(call, repo)))


def update_issue(call: Call) -> Reply:
    repo, body = call.repo, call.body()
    issue = _issue(call, repo)
    title = _text(body, "title", "Issue", required=False)
    text = _text(body, "body", "Issue", required=False)
    labels = _labels(body)
    state = body.get("state")
    if state not in (None, "open", "closed"):
        raise field_error("Issue", "state", "invalid")
    if title is not None:
        issue.title = title
    if "body" in body:
        issue.body = text
    if labels is not None:
        repo.set_labels(issue, labels)
    if state is not None and state != issue.state:
        issue.state = state
        issue.closed_at = now_iso() if state == "closed" else None
        issue.state_reason = body.get("state_reason") or (
            "completed" if state == "closed" else "reopened")
    issue.updated_at = now_iso()
    return Reply(200, shapes.issue(call.urls, repo, issue))


def get_label(call: Call) -> Reply:
    repo = call.repo
    item = repo.label_map.get(call.params["name"])
    if item is None:
        raise not_found()
    return Reply(200, shapes.label(call.urls, repo, item))


def list_comments(call: Call) -> Reply:
    repo = call.repo
    issue = _issue(call, repo)
    since = call.query.get("since", "")
    comments = sorted(
        (c for c in repo.comment_map.values()
         if c.issue_number == issue.number and c.updated_at >= since),
        key=lambda c: c.id,
    )
    return paging.page(call, [shapes.comment(call.urls, repo, c) for c in comments])


def create_comment(call: Call) -> Reply:
    repo, body = call.repo, call.body()
    issue = _issue(call, repo)
    text = _text(body, "body", "IssueComment", required=True)
    comment = repo.new_comment(issue.number, text or "", call.token.user)
    issue.updated_at = comment.created_at
    return Reply(201, shapes.comment(call.urls, repo, comment),
                 {"Location": shapes.comment(call.urls, repo, comment)["url"]})


def get_comment(call: Call) -> Reply:
    repo = call.repo
    return Reply(200, shapes.comment(call.urls, repo, _comment(call, repo)))


def update_comment(call: Call) -> Reply:
    repo, body = call.repo, call.body()
    comment = _comment(call, repo)
    comment.body = _text(body, "body", "IssueComment", required=True) or ""
    comment.updated_at = now_iso()
    return Reply(200, shapes.comment(call.urls, repo, comment))


def delete_comment(call: Call) -> Reply:
    repo = call.repo
    del repo.comment_map[_comment(call, repo).id]
    return Reply(204)


def _pull_json(call: Call, repo: RepoState, number: int) -> dict[str, Any]:
    pull = repo.pull_map[number]
    head_repo = call.store.repos.get(pull.head_repo.lower())
    if head_repo is None:  # a fork nobody created: make it exist, as it does on GitHub
        head_repo = call.store.add_repo(pull.head_repo, repo.default_branch)
    return shapes.pull(call.urls, repo, head_repo, pull)


def list_pulls(call: Call) -> Reply:
    repo = call.repo
    state = call.query.get("state", "open")
    head = call.query.get("head")
    base = call.query.get("base")
    numbers = [
        pull.number for pull in sorted(repo.pull_map.values(), key=lambda p: -p.number)
        if state in ("all", repo.issue_map[pull.number].state)
        and (base is None or pull.base_ref == base)
        and (head is None or head == f"{pull.head_repo.split('/')[0]}:{pull.head_ref}")
    ]
    return paging.page(call, [_pull_json(call, repo, number) for number in numbers])


def get_pull(call: Call) -> Reply:
    repo = call.repo
    number = call.int_param("pull_number")
    if number not in repo.pull_map:
        raise not_found()
    return Reply(200, _pull_json(call, repo, number))
