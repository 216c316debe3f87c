"""Helpers for tests that drive real git."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

IDENTITY = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Tagger",
    "GIT_COMMITTER_EMAIL": "tagger@example.com",
    "GIT_ALLOW_PROTOCOL": "file",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
}
BASE_TIME = 1_700_000_000


def git(repo: Path, *args: str, date: int | None = None) -> str:
    """Run git in ``repo``; ``date`` pins the committer (tagger) time."""
    env = dict(os.environ)
    if date is not None:
        env["GIT_COMMITTER_DATE"] = f"{date} +0000"
        env["GIT_AUTHOR_DATE"] = f"{date} +0000"
    done = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()



def commits(repo: Path) -> list[str]:
    """The clone's commits, oldest first."""
    return git(repo, "rev-list", "--reverse", "HEAD").split()
