"""GitHub-shaped JSON for the fake's state, as the REST API's OpenAPI schemas require.

Pure functions: state objects and the server's URLs in, plain JSON values out. URLs follow
GitHub Enterprise Server's layout on one host: ``web`` (``http://127.0.0.1:PORT``),
``api`` (``web + /api/v3``) and ``uploads`` (``web + /api/uploads``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from .state import (
    Asset,
    Comment,
    Deployment,
    DeploymentStatus,
    GitTag,
    Issue,
    Label,
    Pull,
    Release,
    RepoState,
    User,
    fake_sha,
)

JSON = dict[str, Any]
DOCS = "https://docs.github.com/rest"


@dataclass(frozen=True, slots=True)
class Urls:
    web: str

    @property
    def api(self) -> str:
        return f"{self.web}/api/v3"

    @property
    def uploads(self) -> str:
        return f"{self.web}/api/uploads"

    @property
    def storage(self) -> str:
        """Where asset downloads are redirected: the same server under another host name
        (``localhost``), so a client must treat it as a foreign host, as it would
        ``objects.githubusercontent.com``."""
        return f"{self.web.replace('127.0.0.1', 'localhost')}/_storage"

    def repo(self, repo: RepoState) -> str:
        return f"{self.api}/repos/{repo.full_name}"


def node_id(kind: str, number: int) -> str:
    return base64.b64encode(f"0:{kind}{number}".encode()).decode()


def error(message: str, errors: list[JSON] | None = None, doc: str = DOCS) -> JSON:
    body: JSON = {"message": message, "documentation_url": doc}
    if errors is not None:
        body["errors"] = errors
    return body


def user(urls: Urls, who: User) -> JSON:
    base = f"{urls.api}/users/{who.login}"
    return {
        "login": who.login, "id": who.id, "node_id": node_id("U", who.id),
        "avatar_url": f"{urls.web}/avatars/{who.id}", "gravatar_id": "",
        "url": base, "html_url": f"{urls.web}/{who.login}",
        "followers_url": f"{base}/followers",
        "following_url": f"{base}/following{{/other_user}}",
        "gists_url": f"{base}/gists{{/gist_id}}",
        "starred_url": f"{base}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{base}/subscriptions",
        "organizations_url": f"{base}/orgs", "repos_url": f"{base}/repos",
        "events_url": f"{base}/events{{/privacy}}",
        "received_events_url": f"{base}/received_events",
        "type": who.type, "site_admin": False, "user_view_type": "public",
    }


def private_user(urls: Urls, who: User, created_at: str) -> JSON:
    """``GET /user`` for a personal access token."""
    return user(urls, who) | {
        "user_view_type": "private", "name": who.login, "company": None, "blog": "",
        "location": None, "email": None, "hireable": None, "bio": None,
        "public_repos": 0, "public_gists": 0, "followers": 0, "following": 0,
        "created_at": created_at, "updated_at": created_at,
        "private_gists": 0, "total_private_repos": 0, "owned_private_repos": 0,
        "disk_usage": 0, "collaborators": 0, "two_factor_authentication": True,
    }


_REPO_URL_SUFFIXES = {
    "archive_url": "/{archive_format}{/ref}", "assignees_url": "/assignees{/user}",
    "blobs_url": "/git/blobs{/sha}", "branches_url": "/branches{/branch}",
    "collaborators_url": "/collaborators{/collaborator}", "comments_url": "/comments{/number}",
    "commits_url": "/commits{/sha}", "compare_url": "/compare/{base}...{head}",
    "contents_url": "/contents/{+path}", "contributors_url": "/contributors",
    "deployments_url": "/deployments", "downloads_url": "/downloads", "events_url": "/events",
    "forks_url": "/forks", "git_commits_url": "/git/commits{/sha}",
    "git_refs_url": "/git/refs{/sha}", "git_tags_url": "/git/tags{/sha}",
    "hooks_url": "/hooks", "issue_comment_url": "/issues/comments{/number}",
    "issue_events_url": "/issues/events{/number}", "issues_url": "/issues{/number}",
    "keys_url": "/keys{/key_id}", "labels_url": "/labels{/name}", "languages_url": "/languages",
    "merges_url": "/merges", "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "pulls_url": "/pulls{/number}", "releases_url": "/releases{/id}",
    "stargazers_url": "/stargazers", "statuses_url": "/statuses/{sha}",
    "subscribers_url": "/subscribers", "subscription_url": "/subscription", "tags_url": "/tags",
    "teams_url": "/teams", "trees_url": "/git/trees{/sha}",
}


def repository(urls: Urls, repo: RepoState, *, full: bool = False) -> JSON:
    """The ``repository`` schema; ``full`` adds what ``full-repository`` requires."""
    api = urls.repo(repo)
    html = f"{urls.web}/{repo.full_name}"
    open_issues = sum(1 for issue in repo.issue_map.values() if issue.state == "open")
    body: JSON = {
        "id": repo.id, "node_id": node_id("R", repo.id), "name": repo.name,
        "full_name": repo.full_name, "owner": user(urls, repo.owner), "private": False,
        "html_url": html, "description": None, "fork": False, "url": api,
        **{key: api + suffix for key, suffix in _REPO_URL_SUFFIXES.items()},
        "git_url": f"git://127.0.0.1/{repo.full_name}.git",
        "ssh_url": f"git@127.0.0.1:{repo.full_name}.git",
        "clone_url": f"{html}.git", "svn_url": html, "mirror_url": None, "homepage": None,
        "language": "Python", "forks": 0, "forks_count": 0, "stargazers_count": 0,
        "watchers_count": 0, "watchers": 0, "size": 0, "default_branch": repo.default_branch,
        "open_issues": open_issues, "open_issues_count": open_issues, "is_template": False,
        "topics": [], "has_issues": True, "has_projects": True, "has_wiki": True,
        "has_pages": False, "has_downloads": True, "has_discussions": False,
        "archived": False, "disabled": False, "visibility": "public", "license": None,
        "pushed_at": repo.created_at, "created_at": repo.created_at,
        "updated_at": repo.created_at,
        "permissions": {"admin": True, "maintain": True, "push": True, "triage": True,
                        "pull": True},
    }
    if full:
        body |= {"network_count": 0, "subscribers_count": 0, "allow_forking": True,
                 "web_commit_signoff_required": False}
    return body


def label(urls: Urls, repo: RepoState, item: Label) -> JSON:
    return {"id": item.id, "node_id": node_id("LA", item.id),
            "url": f"{urls.repo(repo)}/labels/{item.name}", "name": item.name,
            "description": None, "color": item.color, "default": False}


def issue(urls: Urls, repo: RepoState, item: Issue) -> JSON:
    api = f"{urls.repo(repo)}/issues/{item.number}"
    comments = sum(1 for c in repo.comment_map.values() if c.issue_number == item.number)
    body: JSON = {
        "id": item.id, "node_id": node_id("I", item.id), "url": api,
        "repository_url": urls.repo(repo), "labels_url": f"{api}/labels{{/name}}",
        "comments_url": f"{api}/comments", "events_url": f"{api}/events",
        "html_url": f"{urls.web}/{repo.full_name}/issues/{item.number}",
        "number": item.number, "state": item.state,
        "title": item.title, "body": item.body, "user": user(urls, item.author),
        "labels": [label(urls, repo, repo.label_map[name]) for name in item.labels],
        "assignee": None, "assignees": [], "milestone": None, "locked": False,
        "active_lock_reason": None, "comments": comments, "closed_at": item.closed_at,
        "created_at": item.created_at, "updated_at": item.updated_at,
        "author_association": "OWNER",
    }
    if item.state_reason is not None:
        body["state_reason"] = item.state_reason
    if item.is_pull:
        pulls = f"{urls.repo(repo)}/pulls/{item.number}"
        html = f"{urls.web}/{repo.full_name}/pull/{item.number}"
        body["pull_request"] = {"url": pulls, "html_url": html, "diff_url": f"{html}.diff",
                                "patch_url": f"{html}.patch", "merged_at": None}
    return body


def comment(urls: Urls, repo: RepoState, item: Comment) -> JSON:
    return {
        "id": item.id, "node_id": node_id("IC", item.id),
        "url": f"{urls.repo(repo)}/issues/comments/{item.id}",
        "html_url": f"{urls.web}/{repo.full_name}/issues/{item.issue_number}"
                    f"#issuecomment-{item.id}",
        "issue_url": f"{urls.repo(repo)}/issues/{item.issue_number}",
        "body": item.body, "user": user(urls, item.author),
        "created_at": item.created_at, "updated_at": item.updated_at,
        "author_association": "NONE" if item.author.type == "Bot" else "OWNER",
    }


def _branch(urls: Urls, repo: RepoState, owner_repo: RepoState, ref: str, sha: str) -> JSON:
    return {"label": f"{owner_repo.owner.login}:{ref}", "ref": ref, "sha": sha,
            "user": user(urls, owner_repo.owner), "repo": repository(urls, owner_repo)}


def pull(urls: Urls, repo: RepoState, head_repo: RepoState, item: Pull) -> JSON:
    """``head_repo`` is the fork the head branch lives in (the repository itself if none)."""
    as_issue = issue(urls, repo, repo.issue_map[item.number])
    api = f"{urls.repo(repo)}/pulls/{item.number}"
    html = f"{urls.web}/{repo.full_name}/pull/{item.number}"
    links = {"self": api, "html": html, "issue": as_issue["url"],
             "comments": as_issue["comments_url"], "review_comments": f"{api}/comments",
             "review_comment": f"{urls.repo(repo)}/pulls/comments{{/number}}",
             "commits": f"{api}/commits",
             "statuses": f"{urls.repo(repo)}/statuses/{item.head_sha}"}
    base_sha = repo.resolve(item.base_ref) or "0" * 40
    return {
        "url": api, "id": as_issue["id"], "node_id": node_id("PR", as_issue["id"]),
        "html_url": html, "diff_url": f"{html}.diff", "patch_url": f"{html}.patch",
        "issue_url": as_issue["url"], "commits_url": links["commits"],
        "review_comments_url": links["review_comments"],
        "review_comment_url": links["review_comment"], "comments_url": links["comments"],
        "statuses_url": links["statuses"], "number": item.number, "state": as_issue["state"],
        "locked": False, "title": as_issue["title"], "user": as_issue["user"],
        "body": as_issue["body"], "labels": as_issue["labels"], "milestone": None,
        "active_lock_reason": None, "created_at": as_issue["created_at"],
        "updated_at": as_issue["updated_at"], "closed_at": as_issue["closed_at"],
        "merged_at": None, "merge_commit_sha": None, "assignee": None, "assignees": [],
        "requested_reviewers": [], "requested_teams": [],
        "head": _branch(urls, repo, head_repo, item.head_ref, item.head_sha),
        "base": _branch(urls, repo, repo, item.base_ref, base_sha),
        "_links": {key: {"href": href} for key, href in links.items()},
        "author_association": "CONTRIBUTOR", "auto_merge": None, "draft": False,
        "merged": False, "mergeable": True, "rebaseable": True, "mergeable_state": "clean",
        "merged_by": None, "comments": as_issue["comments"], "review_comments": 0,
        "maintainer_can_modify": False, "commits": 1, "additions": 1, "deletions": 0,
        "changed_files": 1,
    }


def asset(urls: Urls, repo: RepoState, item: Asset) -> JSON:
    release = repo.release_map[item.release_id]
    return {
        "url": f"{urls.repo(repo)}/releases/assets/{item.id}",
        "browser_download_url": f"{urls.web}/{repo.full_name}/releases/download/"
                                f"{quote(release.tag_name)}/{quote(item.name)}",
        "id": item.id, "node_id": node_id("RA", item.id), "name": item.name,
        "label": item.label, "state": "uploaded", "content_type": item.content_type,
        "size": len(item.data), "digest": f"sha256:{item.sha256}",
        "download_count": item.download_count, "created_at": item.created_at,
        "updated_at": item.updated_at, "uploader": user(urls, item.uploader),
    }


def release(urls: Urls, repo: RepoState, item: Release) -> JSON:
    api = f"{urls.repo(repo)}/releases/{item.id}"
    html_tag = f"untagged-{item.id}" if item.draft else item.tag_name
    assets = [asset(urls, repo, a) for a in repo.asset_map.values() if a.release_id == item.id]
    return {
        "url": api, "html_url": f"{urls.web}/{repo.full_name}/releases/tag/{html_tag}",
        "assets_url": f"{api}/assets",
        "upload_url": f"{urls.uploads}/repos/{repo.full_name}/releases/{item.id}"
                      "/assets{?name,label}",
        "tarball_url": f"{urls.repo(repo)}/tarball/{item.tag_name}",
        "zipball_url": f"{urls.repo(repo)}/zipball/{item.tag_name}",
        "id": item.id, "node_id": node_id("RE", item.id), "tag_name": item.tag_name,
        "target_commitish": item.target_commitish, "name": item.name, "body": item.body,
        "draft": item.draft, "prerelease": item.prerelease, "created_at": item.created_at,
        "published_at": item.published_at, "author": user(urls, item.author),
        "assets": assets,
    }


def git_ref(urls: Urls, repo: RepoState, ref: str, sha: str) -> JSON:
    kind, path = ("tag", "tags") if sha in repo.git_tag_map else ("commit", "commits")
    return {"ref": ref, "node_id": node_id("REF", int(fake_sha(ref)[:8], 16)),
            "url": f"{urls.repo(repo)}/git/{quote(ref)}",
            "object": {"type": kind, "sha": sha, "url": f"{urls.repo(repo)}/git/{path}/{sha}"}}


def git_tag(urls: Urls, repo: RepoState, item: GitTag) -> JSON:
    path = "tags" if item.object_type == "tag" else f"{item.object_type}s"
    return {
        "node_id": node_id("TAG", int(item.sha[:8], 16)), "tag": item.tag, "sha": item.sha,
        "url": f"{urls.repo(repo)}/git/tags/{item.sha}", "message": item.message,
        "tagger": {"name": item.tagger_name, "email": item.tagger_email,
                   "date": item.tagger_date},
        "object": {"type": item.object_type, "sha": item.object_sha,
                   "url": f"{urls.repo(repo)}/git/{path}/{item.object_sha}"},
        "verification": {"verified": False, "reason": "unsigned", "signature": None,
                         "payload": None, "verified_at": None},
    }


def deployment(urls: Urls, repo: RepoState, item: Deployment) -> JSON:
    api = f"{urls.repo(repo)}/deployments/{item.id}"
    return {
        "url": api, "id": item.id, "node_id": node_id("DE", item.id), "sha": item.sha,
        "ref": item.ref, "task": item.task, "payload": item.payload,
        "original_environment": item.environment, "environment": item.environment,
        "description": item.description, "creator": user(urls, item.creator),
        "created_at": item.created_at, "updated_at": item.created_at,
        "statuses_url": f"{api}/statuses", "repository_url": urls.repo(repo),
        "transient_environment": item.transient_environment,
        "production_environment": item.production_environment,
    }


def deployment_status(urls: Urls, repo: RepoState, item: DeploymentStatus) -> JSON:
    deployment_url = f"{urls.repo(repo)}/deployments/{item.deployment_id}"
    return {
        "url": f"{deployment_url}/statuses/{item.id}", "id": item.id,
        "node_id": node_id("DES", item.id), "state": item.state,
        "creator": user(urls, item.creator), "description": item.description,
        "environment": item.environment, "target_url": item.log_url,
        "created_at": item.created_at, "updated_at": item.created_at,
        "deployment_url": deployment_url, "repository_url": urls.repo(repo),
        "environment_url": item.environment_url, "log_url": item.log_url,
    }
