"""Git repositories holding the example, with a bare remote, for tests that run the lifecycle."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "mlops_ci" / "examples" / "churn"
REPOSITORY = "octo/churn"
PR = 7
FIRST_GATE = "- {metric: roc_auc, min: 0.70}"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.invalid",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.invalid",
    "GIT_ALLOW_PROTOCOL": "file",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    done = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def example_repo(root: Path, *, gate: str | None = None) -> Path:
    """``root/churn``: the example committed on main and pushed to ``root/remote.git``."""
    repo = root / "churn"
    shutil.copytree(EXAMPLE, repo, ignore=shutil.ignore_patterns(".mlops", "out", "__pycache__"))
    if gate is not None:
        config = repo / "mlops.yaml"
        text = config.read_text(encoding="utf-8")
        assert FIRST_GATE in text
        config.write_text(text.replace(FIRST_GATE, f"- {gate}"), encoding="utf-8")
    (repo / ".gitignore").write_text(".mlops/\nout/\n", encoding="utf-8")
    git(root, "init", "-q", "--bare", "remote.git")
    git(repo, "init", "-q", "--initial-branch=main")
    git(repo, "config", "user.name", "Test Author")
    git(repo, "config", "user.email", "author@example.invalid")
    git(repo, "add", "--all")
    git(repo, "commit", "-q", "-m", "the example")
    git(repo, "remote", "add", "origin", str(root / "remote.git"))
    git(repo, "push", "-q", "origin", "main")
    return repo


def shallow_clone(repo: Path, target: Path) -> Path:
    """What actions/checkout makes: one commit, no tags."""
    remote = repo.parent / "remote.git"
    git(
        repo.parent,
        "clone",
        "-q",
        "--depth",
        "1",
        "--no-tags",
        "--branch",
        "main",
        f"file://{remote}",
        str(target),
    )
    git(target, "config", "user.name", "Test Author")
    git(target, "config", "user.email", "author@example.invalid")
    return target


def pr_payload(
    head_sha: str, *, branch: str = "retrain", title: str = "Retrain"
) -> dict[str, object]:
    """A ``pull_request`` ``synchronize`` payload of PR #7, shaped like GitHub's."""
    repo = {"full_name": REPOSITORY, "default_branch": "main"}
    return {
        "action": "synchronize",
        "number": PR,
        "pull_request": {
            "number": PR,
            "title": title,
            "merged": False,
            "head": {"ref": branch, "sha": head_sha, "repo": repo},
            "base": {"ref": "main", "sha": head_sha, "repo": repo},
        },
        "repository": repo,
        "sender": {"login": "alice"},
    }


def push_payload(sha: str, ref: str = "refs/heads/main") -> dict[str, object]:
    """A ``push`` payload of ``ref`` (a branch, or a tag) at ``sha``."""
    return {
        "ref": ref,
        "before": "0" * 40,
        "after": sha,
        "deleted": False,
        "repository": {"full_name": REPOSITORY, "default_branch": "main"},
        "sender": {"login": "alice"},
    }


ACTION_RUNNER_VARIABLES = (
    "GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_TOKEN", "GITHUB_EVENT_NAME",
    "GITHUB_EVENT_PATH", "GITHUB_RUN_ID", "GITHUB_REPOSITORY",
)
ACTION_INPUTS = ("COMMAND", "CONFIG", "MODEL", "DRY_RUN", "VERSION", "STAGE", "CANARY",
                 "GITHUB_TOKEN")


def action_checkout(root: Path, monkeypatch: pytest.MonkeyPatch, command: str) -> Path:
    """The example with churn v0.1.0 registered and pushed, as the action's ``command`` sees it:
    the cwd and workspace, no runner variables or inputs but ``command`` and the folder."""
    from mlops_ci.registry.store import RegistryStore

    for key, value in {**GIT_ENV, "GIT_CONFIG_GLOBAL": "/dev/null"}.items():
        monkeypatch.setenv(key, value)
    for name in ACTION_RUNNER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name in ACTION_INPUTS:
        monkeypatch.delenv(f"INPUT_{name}", raising=False)
    checkout = example_repo(root)
    RegistryStore(checkout).register("churn", version="v0.1.0")
    monkeypatch.chdir(checkout)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(checkout))
    monkeypatch.setenv("INPUT_WORKING_DIRECTORY", ".")
    monkeypatch.setenv("INPUT_COMMAND", command)
    return checkout
