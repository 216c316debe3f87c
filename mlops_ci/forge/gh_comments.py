"""Comments found again by a hidden marker: the PR report comment and keyed issue comments.

A comment is ours when its body STARTS with the marker (``markers.owns``) AND its author is the
token's own identity (``GitHubApi.login``): a marker pasted by someone else, or quoted in the
middle of another comment by the same bot identity (every workflow's token is
``github-actions[bot]``), is ignored, never edited or deleted. One rule, ``_is_ours``, for the
look-up, the read-back after a create and the re-read that collapses racing duplicates. Comments are
listed oldest first, 100 per page, and the search stops at the first page holding ours.

Exactly one comment per marker survives any interleaving of runs: two runs that both find
none both create one, so a run that creates its comment reads all of ours again and keeps
the oldest (lowest id), deleting the others; a run whose comment was not the oldest writes
its text into the survivor, as a later run would (a report never over a newer run's report).
Duplicates found by a later run collapse the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlops_ci.errors import ExternalError
from mlops_ci.forge import markers
from mlops_ci.forge.github import GitHubApi
from mlops_ci.forge.limits import COMMENT_LIMIT, fit_comment
from mlops_ci.forge.protocol import CommentResult, Outcome, ReportStamp
from mlops_ci.forge.retry import ForgeReadOnly


@dataclass(frozen=True, slots=True)
class Comment:
    id: int
    body: str
    author: str
    url: str


def parse_comment(item: Any) -> Comment:
    user = item.get("user") or {}
    return Comment(
        id=int(item["id"]),
        body=str(item.get("body") or ""),
        author=str(user.get("login") or ""),
        url=str(item.get("html_url") or item.get("url") or ""),
    )


def _same_text(left: str, right: str) -> bool:
    return left.replace("\r\n", "\n").strip() == right.replace("\r\n", "\n").strip()


def _is_ours(comment: Comment, marker: str, login: str) -> bool:
    return comment.author == login and markers.owns(comment.body, marker)


def find_marked(api: GitHubApi, issue_number: int, marker: str) -> list[Comment]:
    """Our comments carrying ``marker`` on the first page that has any, oldest first."""
    login = api.login()
    path = f"{api.repo}/issues/{issue_number}/comments"
    for page in api.pages(path):
        ours = [
            comment
            for comment in map(parse_comment, page)
            if _is_ours(comment, marker, login)
        ]
        if ours:
            return ours
    return []


def _all_marked(api: GitHubApi, issue_number: int, marker: str) -> list[Comment]:
    """Our comments carrying ``marker`` on every page, lowest id (oldest) first."""
    login = api.login()
    path = f"{api.repo}/issues/{issue_number}/comments"
    found = [
        comment
        for page in api.pages(path)
        for comment in map(parse_comment, page)
        if _is_ours(comment, marker, login)
    ]
    return sorted(found, key=lambda comment: comment.id)


def _create(api: GitHubApi, issue_number: int, marker: str, text: str) -> Comment:
    def read_back() -> Comment | None:  # ours, with this text: not another racer's comment
        found = find_marked(api, issue_number, marker)
        return next((c for c in found if _same_text(c.body, text)), None)

    created = api.create(
        f"comment on #{issue_number}",
        f"{api.repo}/issues/{issue_number}/comments",
        {"body": text},
        read_back,
    )
    return created if isinstance(created, Comment) else parse_comment(created)


@dataclass(frozen=True, slots=True)
class _Created:
    """What creating our comment left: the one comment kept, every one read, those deleted."""

    created: Comment
    survivor: Comment
    read: list[Comment]
    deleted: int

    def result(self) -> CommentResult:
        return CommentResult(Outcome.CREATED, self.created.id, self.created.url, self.deleted)


def _create_one(api: GitHubApi, issue_number: int, marker: str, text: str) -> _Created:
    """Create our comment, then make sure it is the only one carrying ``marker``.

    Two runs that both found no comment both create one. Each then reads every comment of
    ours again (all pages), keeps the oldest (lowest id) and deletes the others, so the
    racers converge on the same survivor whatever the interleaving: at least one of them
    reads after both comments exist. When the survivor is not the comment just created,
    the caller writes its text into the survivor, as a later run would. Should GitHub fail
    that second look (after its retries), the comment just written stands, ``CREATED`` as
    callers that act once per creation rely on, and a later run collapses any duplicate.
    """
    created = _create(api, issue_number, marker, text)
    alone = _Created(created, created, [created], 0)
    try:
        found = _all_marked(api, issue_number, marker)
        if not found:  # deleted since, or not listed yet: ours is the one written
            return alone
        deleted = _delete_extras(api, found[1:])
    except ExternalError:  # the comment is written: a duplicate waits for the next run
        return alone
    return _Created(created, found[0], found, deleted)


def _delete_extras(api: GitHubApi, extras: list[Comment]) -> int:
    for comment in extras:
        api.delete_if_present(f"{api.repo}/issues/comments/{comment.id}")
    return len(extras)


def _edit_report(
    api: GitHubApi,
    keep: Comment,
    ours: list[Comment],
    text: str,
    stamp: ReportStamp,
    deleted: int,
) -> CommentResult:
    """Write ``text`` into ``keep`` unless it says the same or a newer run's report is there."""
    newest = max(
        (s for s in (markers.read_stamp(c.body) for c in ours) if s is not None),
        key=lambda s: s.run_key,
        default=None,
    )
    if _same_text(keep.body, text):
        return CommentResult(Outcome.UNCHANGED, keep.id, keep.url, deleted)
    if markers.is_older(stamp, newest):
        return CommentResult(Outcome.SKIPPED_STALE, keep.id, keep.url, deleted)
    api.send("PATCH", f"{api.repo}/issues/comments/{keep.id}", {"body": text})
    return CommentResult(Outcome.UPDATED, keep.id, keep.url, deleted)


def _edit(api: GitHubApi, keep: Comment, text: str, deleted: int) -> CommentResult:
    """Write ``text`` into ``keep`` unless it already says it."""
    if _same_text(keep.body, text):
        return CommentResult(Outcome.UNCHANGED, keep.id, keep.url, deleted)
    api.send("PATCH", f"{api.repo}/issues/comments/{keep.id}", {"body": text})
    return CommentResult(Outcome.UPDATED, keep.id, keep.url, deleted)


def upsert_report_comment(
    api: GitHubApi, pr_number: int, report_id: str, body: str, stamp: ReportStamp
) -> CommentResult:
    """The one report comment of ``report_id`` on the PR, written unless newer or equal."""
    marker = markers.report_marker(report_id)
    text = markers.report_body(report_id, stamp, body)
    if len(text) > COMMENT_LIMIT:
        room = COMMENT_LIMIT - len(markers.report_body(report_id, stamp, ""))
        text = markers.report_body(report_id, stamp, fit_comment(body, limit=room))
    try:
        ours = find_marked(api, pr_number, marker)
        if not ours:
            made = _create_one(api, pr_number, marker, text)
            if made.survivor.id == made.created.id:
                return made.result()
            return _edit_report(api, made.survivor, made.read, text, stamp, made.deleted)
        deleted = _delete_extras(api, ours[1:])
        return _edit_report(api, ours[0], ours, text, stamp, deleted)
    except ForgeReadOnly as error:
        return CommentResult(Outcome.READ_ONLY, warning=error.message)


def upsert_keyed_comment(api: GitHubApi, issue_number: int, key: str, body: str) -> CommentResult:
    """The one comment of ``key`` on an issue: created once, edited when the body changes."""
    marker = markers.comment_marker(key)
    text = markers.marked(marker, fit_comment(body, limit=COMMENT_LIMIT - len(marker) - 1))
    try:
        ours = find_marked(api, issue_number, marker)
        if not ours:
            made = _create_one(api, issue_number, marker, text)
            if made.survivor.id == made.created.id:
                return made.result()
            return _edit(api, made.survivor, text, made.deleted)
        deleted = _delete_extras(api, ours[1:])
        return _edit(api, ours[0], text, deleted)
    except ForgeReadOnly as error:
        return CommentResult(Outcome.READ_ONLY, warning=error.message)
