"""The GitHub events ``mlops-ci demo`` plays, each made the way GitHub (or a person) would.

Each step function prepares the demo repository for its step (a branch, a tag, a data file) and
returns the step's environment (``GITHUB_EVENT_NAME``, ``GITHUB_SHA``) and event payload. The
payload builders (``pull_request_payload``, ``push_payload``, ``schedule_payload``,
``dispatch_payload``) shape the webhook payloads as GitHub does; ``mlops-ci run --event``
(``commands/local_events.py``) builds its events with them too.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mlops_ci.backends.git import Git
from mlops_ci.errors import UserError
from mlops_ci.registry.store import RegistryStore

REPOSITORY = "demo/churn"


def head_commit(repo: Path) -> str:
    return Git(repo).resolve_commit("HEAD")


def repository(full_name: str = REPOSITORY, default_branch: str = "main") -> dict[str, str]:
    return {"full_name": full_name, "default_branch": default_branch}


EventFiles = tuple[dict[str, str], dict[str, object]]


@dataclass(frozen=True, slots=True)
class PullRequest:
    """What a ``pull_request`` payload says of the pull request: its branches and commits."""

    number: int
    title: str
    head_ref: str
    head_sha: str
    base_ref: str
    base_sha: str


def pull_request_payload(
    pr: PullRequest, repo: dict[str, str], sender: str = "demo"
) -> dict[str, object]:
    """A ``pull_request`` ``opened`` payload, shaped like GitHub's."""
    same = {"full_name": repo["full_name"]}
    return {
        "action": "opened",
        "number": pr.number,
        "pull_request": {
            "number": pr.number,
            "title": pr.title,
            "merged": False,
            "head": {"ref": pr.head_ref, "sha": pr.head_sha, "repo": same},
            "base": {"ref": pr.base_ref, "sha": pr.base_sha, "repo": same},
        },
        "repository": repo,
        "sender": {"login": sender},
    }


def push_payload(ref: str, after: str, repo: dict[str, str], sender: str = "demo") -> dict[
    str, object
]:
    """A ``push`` payload of ``ref`` (``refs/heads/B`` or ``refs/tags/T``) at ``after``."""
    return {
        "ref": ref,
        "before": "0" * 40,
        "after": after,
        "repository": repo,
        "sender": {"login": sender},
    }


def schedule_payload(cron: str, repo: dict[str, str]) -> dict[str, object]:
    """A ``schedule`` payload: the cron expression that fired."""
    return {"schedule": cron, "repository": repo}


def dispatch_payload(
    ref: str, inputs: Mapping[str, str], repo: dict[str, str], sender: str = "demo"
) -> dict[str, object]:
    """A ``workflow_dispatch`` payload: the inputs typed in, on ``ref``."""
    return {"ref": ref, "inputs": dict(inputs), "repository": repo, "sender": {"login": sender}}


def pull_request(repo: Path) -> EventFiles:
    head = head_commit(repo)
    pr = PullRequest(1, "Retrain the churn model", "retrain", head, "main", head)
    payload = pull_request_payload(pr, repository())
    return {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_SHA": "f" * 40}, payload


def merge(repo: Path) -> EventFiles:
    head = head_commit(repo)
    payload = push_payload("refs/heads/main", head, repository())
    return {"GITHUB_EVENT_NAME": "push", "GITHUB_SHA": head}, payload


def promotion(repo: Path) -> EventFiles:
    """What a person (or ``mlops-ci registry promote``) does: the latest version to
    production, pushed as a tag; the tag's push event then runs the deploy."""

    store = RegistryStore(repo, remote="origin")
    version = store.state().latest_version("churn")
    if version is None:
        raise UserError("the merge registered no version, so there is nothing to promote")
    assignment = store.promote("churn", version, "production")
    payload = push_payload(f"refs/tags/{assignment.tag}", assignment.commit, repository())
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
    pr = PullRequest(2, SECOND_PR_TITLE, SECOND_PR_BRANCH, head, "main", base)
    payload = pull_request_payload(pr, repository())
    return {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_SHA": "e" * 40}, payload


def monitoring(repo: Path) -> EventFiles:
    payload = schedule_payload("0 6 * * *", repository())
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
