"""Small webhook payloads with only the fields mlops-ci reads, for tests of plain inputs.

Shapes follow GitHub's webhook payloads (see ``../shared/github/webhooks/``); each builder
takes the few values a test varies.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

WEBHOOKS = Path(__file__).resolve().parents[2].parent / "shared" / "github" / "webhooks"

HEAD_SHA = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
BASE_SHA = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
MERGE_SHA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
PUSH_SHA = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
ZERO_SHA = "0" * 40
REPO = "octo/models"

Payload = dict[str, Any]


def webhook(file_name: str) -> Payload:
    """A real payload from the shared corpus, as a fresh dict a test may change."""
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
