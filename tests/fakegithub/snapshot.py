"""All of a fake server's state as plain data that compares equal across runs.

Ids and timestamps differ from run to run and are left out; a ref to an annotated tag is shown
as the tag it points at (a tag object's sha depends on its date). Two runs that wrote the
same things, once each, give equal snapshots; a duplicate shows.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from .state import RepoState, Store


def snapshot(store: Store) -> dict[str, Any]:
    return {name: _repo(repo) for name, repo in sorted(store.repos.items())}


def _ref_target(repo: RepoState, sha: str) -> str:
    tag = repo.git_tag_map.get(sha)
    if tag is None:
        return sha
    return f"tag {tag.tag} -> {tag.object_type} {tag.object_sha}: {tag.message}"


def _repo(repo: RepoState) -> dict[str, Any]:
    issues = sorted(repo.issue_map.values(), key=lambda issue: issue.number)
    releases = sorted(repo.release_map.values(), key=lambda release: release.id)
    return {
        "issues": [
            {"number": i.number, "pull": i.is_pull, "title": i.title, "body": i.body,
             "state": i.state, "labels": sorted(i.labels), "author": i.author.login,
             "comments": [{"author": c.author.login, "body": c.body}
                          for c in sorted(repo.comment_map.values(), key=lambda c: c.id)
                          if c.issue_number == i.number]}
            for i in issues
        ],
        "releases": [
            {"tag_name": r.tag_name, "target_commitish": r.target_commitish, "name": r.name,
             "body": r.body, "draft": r.draft, "prerelease": r.prerelease,
             "assets": sorted(
                 ({"name": a.name, "label": a.label, "content_type": a.content_type,
                   "size": len(a.data), "sha256": a.sha256}
                  for a in repo.asset_map.values() if a.release_id == r.id),
                 key=lambda asset: str(asset["name"]))}
            for r in releases
        ],
        "refs": {ref: _ref_target(repo, sha) for ref, sha in sorted(repo.ref_map.items())},
        "deployments": [
            {"ref": d.ref, "sha": d.sha, "task": d.task, "environment": d.environment,
             "payload": d.payload, "description": d.description,
             "transient_environment": d.transient_environment,
             "production_environment": d.production_environment,
             "statuses": [{"state": s.state, "description": s.description,
                           "environment_url": s.environment_url, "log_url": s.log_url}
                          for s in d.statuses]}
            for d in sorted(repo.deployment_map.values(), key=lambda d: d.id)
        ],
        "dispatches": [asdict(d) for d in repo.dispatch_list],
    }
