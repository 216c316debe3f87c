"""The in-memory state of a fake GitHub: users, tokens, repositories and what they hold.

Objects here are plain mutable records (the server changes them as requests arrive); the
HTTP layer turns them into GitHub-shaped JSON in ``shapes.py``. Every mutation happens under
the owning ``Store``'s lock, held by the server for the whole of one request.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from .ratelimit import RateBudget

TokenKind = Literal["installation", "user"]

BOT_LOGIN = "github-actions[bot]"
BOT_ID = 41898282


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fake_sha(*parts: str) -> str:
    """A stable 40-hex object id derived from the parts (the fake has no real objects)."""
    return hashlib.sha1("\0".join(parts).encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True, slots=True)
class User:
    login: str
    id: int
    type: Literal["User", "Bot", "Organization"] = "User"


@dataclass(frozen=True, slots=True)
class Token:
    value: str
    kind: TokenKind
    user: User
    read_only: bool = False
    """An installation token without write permissions (a fork's pull request): every write
    is answered 403 "Resource not accessible by integration"."""
    push: bool = True
    """A user token: whether its user may push (``permissions.push`` of ``GET /repos``)."""


@dataclass(slots=True)
class Label:
    id: int
    name: str
    color: str = "ededed"


@dataclass(slots=True)
class Issue:
    number: int
    id: int
    title: str
    body: str | None
    author: User
    created_at: str
    updated_at: str
    state: Literal["open", "closed"] = "open"
    state_reason: str | None = None
    closed_at: str | None = None
    labels: list[str] = field(default_factory=list)
    is_pull: bool = False


@dataclass(slots=True)
class Pull:
    number: int
    head_sha: str
    head_ref: str
    base_ref: str
    head_repo: str
    """``owner/name`` of the repository the head branch lives in (differs for a fork)."""


@dataclass(slots=True)
class Comment:
    id: int
    issue_number: int
    body: str
    author: User
    created_at: str
    updated_at: str


@dataclass(slots=True)
class Asset:
    id: int
    release_id: int
    name: str
    label: str | None
    content_type: str
    data: bytes
    uploader: User
    created_at: str
    updated_at: str
    download_count: int = 0

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(slots=True)
class Release:
    id: int
    tag_name: str
    target_commitish: str
    name: str | None
    body: str | None
    draft: bool
    prerelease: bool
    author: User
    created_at: str
    published_at: str | None
    make_latest: str = "true"


@dataclass(slots=True)
class GitTag:
    """An annotated tag object (``POST /git/tags``); refs point at it by ``sha``."""

    sha: str
    tag: str
    message: str
    object_sha: str
    object_type: str
    tagger_name: str
    tagger_email: str
    tagger_date: str


@dataclass(slots=True)
class DeploymentStatus:
    id: int
    deployment_id: int
    state: str
    description: str
    environment: str
    environment_url: str
    log_url: str
    creator: User
    created_at: str


@dataclass(slots=True)
class Deployment:
    id: int
    ref: str
    sha: str
    task: str
    environment: str
    payload: Any
    description: str | None
    creator: User
    transient_environment: bool
    production_environment: bool
    auto_merge: bool
    required_contexts: list[str] | None
    created_at: str
    statuses: list[DeploymentStatus] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Dispatch:
    """A ``repository_dispatch`` or a ``workflow_dispatch`` the fake received."""

    kind: Literal["repository_dispatch", "workflow_dispatch"]
    event_type: str | None = None
    client_payload: Any = None
    workflow: str | None = None
    ref: str | None = None
    inputs: Any = None


class Ids:
    """One increasing counter for every object id of one fake server."""

    def __init__(self) -> None:
        self._counter = itertools.count(1001)

    def next(self) -> int:
        return next(self._counter)


class RepoState:
    """One repository's contents. The ``add_*`` methods pre-seed state for a test."""

    def __init__(self, store: Store, owner: User, name: str, default_branch: str) -> None:
        self._store = store
        self.owner = owner
        self.name = name
        self.id = store.ids.next()
        self.default_branch = default_branch
        self.created_at = now_iso()
        self.issue_numbers = itertools.count(1)
        self.issue_map: dict[int, Issue] = {}
        self.pull_map: dict[int, Pull] = {}
        self.comment_map: dict[int, Comment] = {}
        self.label_map: dict[str, Label] = {}
        self.release_map: dict[int, Release] = {}
        self.asset_map: dict[int, Asset] = {}
        self.ref_map: dict[str, str] = {f"refs/heads/{default_branch}": fake_sha(name, "init")}
        self.git_tag_map: dict[str, GitTag] = {}
        self.deployment_map: dict[int, Deployment] = {}
        self.dispatch_list: list[Dispatch] = []
        self.auto_merge_answer: Literal[None, 202, 409] = None
        """What ``POST /deployments`` answers when ``auto_merge`` is not false: None means 201
        (nothing to merge), 202 "Auto-merged ...", 409 "Conflict merging ..."."""

    @property
    def full_name(self) -> str:
        return f"{self.owner.login}/{self.name}"

    # --- seeding, for tests -------------------------------------------------------------
    def add_issue(self, title: str, body: str | None = None, *, author: str = "someone",
                  labels: tuple[str, ...] = ()) -> Issue:
        with self._store.lock:
            return self.new_issue(title, body, self._store.user(author), list(labels))

    def add_pull(self, number: int | None = None, *, head_sha: str, head_ref: str,
                 base_ref: str | None = None, title: str = "A change", author: str = "someone",
                 head_repo: str | None = None) -> Pull:
        """A pull request; ``head_repo`` other than this repository makes it a fork's PR."""
        with self._store.lock:
            issue = self.new_issue(title, None, self._store.user(author), [], number=number)
            issue.is_pull = True
            pull = Pull(issue.number, head_sha, head_ref, base_ref or self.default_branch,
                        head_repo or self.full_name)
            self.pull_map[issue.number] = pull
            return pull

    def add_comment(self, issue_number: int, body: str, author: str = "someone") -> Comment:
        with self._store.lock:
            if issue_number not in self.issue_map:
                self.new_issue(f"Issue {issue_number}", None, self._store.user(author), [],
                               number=issue_number)
            return self.new_comment(issue_number, body, self._store.user(author))

    def set_ref(self, ref: str, sha: str) -> None:
        """Point ``refs/...`` (e.g. ``refs/heads/topic``) at ``sha``."""
        with self._store.lock:
            self.ref_map[ref] = sha

    # --- mutations used by the handlers (caller holds the lock) ---------------------------
    def new_issue(self, title: str, body: str | None, author: User, labels: list[str],
                  number: int | None = None) -> Issue:
        if number is None:
            number = next(self.issue_numbers)
            while number in self.issue_map:
                number = next(self.issue_numbers)
        if number in self.issue_map:
            raise ValueError(f"issue or pull #{number} already exists in {self.full_name}")
        stamp = now_iso()
        issue = Issue(number, self._store.ids.next(), title, body, author, stamp, stamp)
        self.set_labels(issue, labels)
        self.issue_map[number] = issue
        return issue

    def set_labels(self, issue: Issue, names: list[str]) -> None:
        for name in names:
            if name not in self.label_map:
                self.label_map[name] = Label(self._store.ids.next(), name)
        issue.labels = list(dict.fromkeys(names))

    def new_comment(self, issue_number: int, body: str, author: User) -> Comment:
        stamp = now_iso()
        comment = Comment(self._store.ids.next(), issue_number, body, author, stamp, stamp)
        self.comment_map[comment.id] = comment
        return comment

    def resolve(self, ref: str) -> str | None:
        """The commit a branch, tag, full ref or sha names, or None."""
        for candidate in (ref, f"refs/heads/{ref}", f"refs/tags/{ref}"):
            if candidate in self.ref_map:
                sha = self.ref_map[candidate]
                while sha in self.git_tag_map:
                    sha = self.git_tag_map[sha].object_sha
                return sha
        if len(ref) == 40 and all(c in "0123456789abcdef" for c in ref):
            return ref
        return None

    # --- reading, for assertions ----------------------------------------------------------
    def comments(self, issue_number: int) -> list[Comment]:
        with self._store.lock:
            return [c for c in self.comment_map.values() if c.issue_number == issue_number]

    @property
    def issues(self) -> list[Issue]:
        """Issues and pull requests, by number."""
        with self._store.lock:
            return sorted(self.issue_map.values(), key=lambda issue: issue.number)

    @property
    def pulls(self) -> list[Pull]:
        with self._store.lock:
            return sorted(self.pull_map.values(), key=lambda pull: pull.number)

    @property
    def releases(self) -> list[Release]:
        with self._store.lock:
            return list(self.release_map.values())

    def assets(self, release_id: int) -> list[Asset]:
        with self._store.lock:
            return [a for a in self.asset_map.values() if a.release_id == release_id]

    @property
    def refs(self) -> dict[str, str]:
        """Every ref (``refs/heads/...``, ``refs/tags/...``) and the sha it points at."""
        with self._store.lock:
            return dict(self.ref_map)

    @property
    def tags(self) -> dict[str, str]:
        """Tag name -> the sha its ref points at (a tag object's sha for annotated tags)."""
        with self._store.lock:
            return {ref.removeprefix("refs/tags/"): sha for ref, sha in self.ref_map.items()
                    if ref.startswith("refs/tags/")}

    @property
    def tag_objects(self) -> list[GitTag]:
        with self._store.lock:
            return list(self.git_tag_map.values())

    @property
    def deployments(self) -> list[Deployment]:
        with self._store.lock:
            return list(self.deployment_map.values())

    def deployment_statuses(self, deployment_id: int) -> list[DeploymentStatus]:
        with self._store.lock:
            return list(self.deployment_map[deployment_id].statuses)

    @property
    def dispatches(self) -> list[Dispatch]:
        with self._store.lock:
            return list(self.dispatch_list)


class Store:
    """Everything one fake server knows; ``lock`` guards all of it."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.ids = Ids()
        self.users: dict[str, User] = {}
        self.tokens: dict[str, Token] = {}
        self.repos: dict[str, RepoState] = {}
        self.rate = RateBudget()
        self.bot = User(BOT_LOGIN, BOT_ID, "Bot")
        self.users[BOT_LOGIN] = self.bot
        self.redirect_downloads = False
        """Answer asset downloads (``Accept: application/octet-stream``) with a 302 to the
        storage host, as github.com does, instead of serving the bytes directly."""

    def user(self, login: str) -> User:
        with self.lock:
            if login not in self.users:
                self.users[login] = User(login, self.ids.next())
            return self.users[login]

    def add_token(self, value: str, kind: TokenKind, login: str | None = None, *,
                  read_only: bool = False, push: bool = True) -> Token:
        with self.lock:
            user = self.bot if kind == "installation" else self.user(login or "octocat")
            token = Token(value, kind, user, read_only, push)
            self.tokens[value] = token
            return token

    def add_repo(self, full_name: str, default_branch: str) -> RepoState:
        owner_login, _, name = full_name.partition("/")
        if not owner_login or not name or "/" in name:
            raise ValueError(f"a repository is named owner/name, got {full_name!r}")
        with self.lock:
            if full_name.lower() in self.repos:
                raise ValueError(f"repository {full_name} already exists")
            repo = RepoState(self, self.user(owner_login), name, default_branch)
            self.repos[full_name.lower()] = repo
            return repo
