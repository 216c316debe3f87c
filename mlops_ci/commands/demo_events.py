"""The GitHub events ``mlops-ci demo`` plays, each made the way GitHub (or a person) would.

Each function prepares the demo repository for its step (a branch, a tag, a data file) and
returns the step's environment (``GITHUB_EVENT_NAME``, ``GITHUB_SHA``) and event payload.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from mlops_ci.backends.git import Git
from mlops_ci.errors import UserError
from mlops_ci.registry.store import RegistryStore

REPOSITORY = "demo/churn"


def head_commit(repo: Path) -> str:
    return Git(repo).resolve_commit("HEAD")


def repository() -> dict[str, str]:
    return {"full_name": REPOSITORY, "default_branch": "main"}


EventFiles = tuple[dict[str, str], dict[str, object]]


def pull_request(repo: Path) -> EventFiles:
    head = head_commit(repo)
    payload: dict[str, object] = {
        "action": "opened",
        "number": 1,
        "pull_request": {
            "number": 1,
            "title": "Retrain the churn model",
            "merged": False,
            "head": {"ref": "retrain", "sha": head, "repo": {"full_name": REPOSITORY}},
            "base": {"ref": "main", "sha": head, "repo": {"full_name": REPOSITORY}},
        },
        "repository": repository(),
        "sender": {"login": "demo"},
    }
    return {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_SHA": "f" * 40}, payload


def merge(repo: Path) -> EventFiles:
    head = head_commit(repo)
    payload: dict[str, object] = {
        "ref": "refs/heads/main",
        "before": "0" * 40,
        "after": head,
        "repository": repository(),
        "sender": {"login": "demo"},
    }
    return {"GITHUB_EVENT_NAME": "push", "GITHUB_SHA": head}, payload


def promotion(repo: Path) -> EventFiles:
    """What a person (or ``mlops-ci registry promote``) does: the latest version to
    production, pushed as a tag; the tag's push event then runs the deploy."""

    store = RegistryStore(repo, remote="origin")
    version = store.state().latest_version("churn")
    if version is None:
        raise UserError("the merge registered no version, so there is nothing to promote")
    assignment = store.promote("churn", version, "production")
    payload: dict[str, object] = {
        "ref": f"refs/tags/{assignment.tag}",
        "before": "0" * 40,
        "after": assignment.commit,
        "repository": repository(),
        "sender": {"login": "demo"},
    }
    return {"GITHUB_EVENT_NAME": "push", "GITHUB_SHA": assignment.commit}, payload


SECOND_PR_BRANCH = "drop-support-calls"
SECOND_PR_TITLE = "Drop the support_calls feature"
SUPPORT_CALLS = ', "support_calls")'


def second_pull_request(repo: Path) -> EventFiles:
    """A branch whose ``train.py`` no longer uses ``support_calls``, opened as pull request #2."""
    script = repo / "train.py"
    text = script.read_text(encoding="utf-8") if script.is_file() else ""
    if SUPPORT_CALLS not in text:
        raise UserError("the example's train.py has no support_calls feature to drop")
    git = Git(repo)
    base = head_commit(repo)
    git.run(["checkout", "--quiet", "-b", SECOND_PR_BRANCH])
    script.write_text(text.replace(SUPPORT_CALLS, ")", 1), encoding="utf-8")
    git.run(["commit", "--quiet", "--all", "-m", SECOND_PR_TITLE])
    head = head_commit(repo)
    payload: dict[str, object] = {
        "action": "opened",
        "number": 2,
        "pull_request": {
            "number": 2,
            "title": SECOND_PR_TITLE,
            "merged": False,
            "head": {"ref": SECOND_PR_BRANCH, "sha": head, "repo": {"full_name": REPOSITORY}},
            "base": {"ref": "main", "sha": base, "repo": {"full_name": REPOSITORY}},
        },
        "repository": repository(),
        "sender": {"login": "demo"},
    }
    return {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_SHA": "e" * 40}, payload


def monitoring(repo: Path) -> EventFiles:
    payload: dict[str, object] = {"schedule": "0 6 * * *", "repository": repository()}
    return {"GITHUB_EVENT_NAME": "schedule", "GITHUB_SHA": head_commit(repo)}, payload


FEEDBACK_FILE = "data/feedback/labelled.csv"


def flipped_feedback(repo: Path) -> EventFiles:
    """Production data without drift, and labelled feedback with one segment flipped."""
    if not (repo / "data" / "feedback" / "flipped.csv").is_file():
        raise UserError("the example has no data/feedback/flipped.csv to play feedback with")
    shutil.copyfile(repo / "data" / "production_clean.csv", repo / "data" / "production.csv")
    shutil.copyfile(repo / "data" / "feedback" / "flipped.csv", repo / FEEDBACK_FILE)
    return monitoring(repo)


def clean_feedback(repo: Path) -> EventFiles:
    """The committed feedback sample again: labels as the model expects them."""

    (repo / FEEDBACK_FILE).write_bytes(Git(repo).run(["show", f"HEAD:{FEEDBACK_FILE}"]).stdout)
    return monitoring(repo)
