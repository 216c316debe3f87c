"""Small webhook payloads with only the fields mlops-ci reads, for tests of plain inputs.

Shapes follow GitHub's webhook payloads (see ``../shared/github/webhooks/``); each builder
takes the few values a test varies. ``webhook`` reads a real one from that corpus
(``tests/github_corpus.py``: a test skips without it, or fails under ``CI=true``).
"""

from __future__ import annotations

import json
from typing import Any

from tests.github_corpus import WEBHOOKS, require

HEAD_SHA = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
BASE_SHA = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
MERGE_SHA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
PUSH_SHA = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
ZERO_SHA = "0" * 40
REPO = "octo/models"

Payload = dict[str, Any]


def webhook(file_name: str) -> Payload:
    """A real payload from the shared corpus, as a fresh dict a test may change."""
    require(WEBHOOKS)
    data: Payload = json.loads((WEBHOOKS / file_name).read_text(encoding="utf-8"))
    return data


def repository(default_branch: str = "main") -> Payload:
    return {"full_name": REPO, "default_branch": default_branch}


def push(ref: str, *, deleted: bool = False) -> Payload:
    return {
        "ref": ref,
        "before": ZERO_SHA if not deleted else PUSH_SHA,
        "after": ZERO_SHA if deleted else PUSH_SHA,
        "deleted": deleted,
        "repository": repository(),
        "sender": {"login": "alice"},
    }


def pull_request(
    action: str, *, number: int = 12, merged: bool = False, head_repo: str | None = REPO
) -> Payload:
    head: Payload = {"ref": "feature/x", "sha": HEAD_SHA, "repo": None}
    if head_repo is not None:
        head["repo"] = {"full_name": head_repo}
    return {
        "action": action,
        "number": number,
        "pull_request": {
            "number": number,
            "title": "Improve the model",
            "merged": merged,
            "head": head,
            "base": {"ref": "main", "sha": BASE_SHA, "repo": {"full_name": REPO}},
        },
        "repository": repository(),
        "sender": {"login": "bob"},
    }


def create(ref: str, ref_type: str = "tag") -> Payload:
    return {"ref": ref, "ref_type": ref_type, "repository": repository()}


def release(action: str, tag: str, *, prerelease: bool = False, draft: bool = False) -> Payload:
    return {
        "action": action,
        "release": {"tag_name": tag, "prerelease": prerelease, "draft": draft},
        "repository": repository(),
    }


def schedule(cron: str = "0 6 * * *") -> Payload:
    return {"schedule": cron}


def workflow_dispatch(**inputs: str) -> Payload:
    return {"ref": "refs/heads/main", "inputs": inputs, "repository": repository()}


def repository_dispatch(event_type: str, **client_payload: Any) -> Payload:
    return {
        "action": event_type,
        "branch": "main",
        "client_payload": client_payload,
        "repository": repository(),
    }


def deployment(environment: str = "production") -> Payload:
    return {
        "action": "created",
        "deployment": {
            "id": 7,
            "sha": PUSH_SHA,
            "ref": "main",
            "environment": environment,
            "task": "deploy",
        },
        "repository": repository(),
    }


def workflow_run(
    *,
    action: str = "completed",
    event: str = "pull_request",
    conclusion: str | None = "success",
    head_repo: str | None = "forker/models",
    pull_numbers: tuple[int, ...] = (),
    run_id: int = 30433642,
) -> Payload:
    """A ``workflow_run`` payload as GitHub sends it (fields as in GitHub's webhook docs).

    For a fork's pull request (the default) ``pull_requests`` is empty and
    ``head_repository`` is the fork: GitHub links only pull requests of the same repository.
    """
    head_repository = None if head_repo is None else {
        "id": 2, "name": head_repo.split("/")[1], "full_name": head_repo, "fork": True,
        "owner": {"login": head_repo.split("/")[0]},
    }
    return {
        "action": action,
        "workflow_run": {
            "id": run_id,
            "name": "mlops",
            "run_number": 562,
            "run_attempt": 1,
            "event": event,
            "status": "completed" if action == "completed" else "queued",
            "conclusion": conclusion if action == "completed" else None,
            "head_branch": "feature/x",
            "head_sha": HEAD_SHA,
            "path": ".github/workflows/mlops.yml",
            "workflow_id": 159038,
            "pull_requests": [
                {
                    "id": 1000 + number,
                    "number": number,
                    "url": f"https://api.github.com/repos/{REPO}/pulls/{number}",
                    "head": {"ref": "feature/x", "sha": HEAD_SHA,
                             "repo": {"id": 1, "name": "models"}},
                    "base": {"ref": "main", "sha": BASE_SHA,
                             "repo": {"id": 1, "name": "models"}},
                }
                for number in pull_numbers
            ],
            "head_repository": head_repository,
            "repository": {"id": 1, "name": "models", "full_name": REPO},
        },
        "workflow": {"id": 159038, "name": "mlops", "path": ".github/workflows/mlops.yml"},
        "repository": repository(),
        "sender": {"login": "forker"},
    }
