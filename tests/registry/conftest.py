"""Real git repositories in temp dirs: a bare "remote" and a clone, with a pinned identity."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.registry.gitutil import BASE_TIME, IDENTITY, git


@pytest.fixture(autouse=True)
def pinned_git(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in IDENTITY.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("GIT_COMMITTER_DATE", raising=False)


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    return bare


@pytest.fixture
def repo(tmp_path: Path, remote: Path) -> Iterator[Path]:
    """A clone of ``remote`` with three commits pushed to it."""
    work = tmp_path / "work"
    subprocess.run(["git", "clone", "-q", remote.as_uri(), str(work)], check=True,
                   capture_output=True)
    for number in range(3):
        (work / "model.txt").write_text(f"model {number}\n")
        git(work, "add", "model.txt")
        git(work, "commit", "-q", "-m", f"commit {number}", date=BASE_TIME + number)
    git(work, "push", "-q", "origin", "HEAD:refs/heads/main")
    yield work
