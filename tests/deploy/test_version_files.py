"""A version's requirements file is read from its commit, not from today's checkout."""

from __future__ import annotations

import os
from pathlib import Path

from mlops_ci.deploy.version_files import requirements_at
from tests.commands.repos import git


def repo_with_a_tagged_version(root: Path, folder: str) -> Path:
    """A repository whose config folder ``folder`` had ``tinyreq==0.1`` at ``churn@v1.0.0``
    and has ``tinyreq==0.2`` now."""
    repo = root / "repo"
    workspace = repo / folder
    workspace.mkdir(parents=True)
    git(root, "init", "-q", "--initial-branch=main", str(repo))
    (workspace / "requirements.txt").write_text("tinyreq==0.1\n", encoding="utf-8")
    git(repo, "add", "--all")
    git(repo, "commit", "-q", "-m", "v1's requirements")
    git(repo, "tag", "-a", "-m", "Registering churn v1.0.0", "churn@v1.0.0")
    (workspace / "requirements.txt").write_text("tinyreq==0.2\n", encoding="utf-8")
    git(repo, "commit", "-q", "-am", "later requirements")
    return workspace


def test_the_file_is_the_one_at_the_versions_commit(tmp_path: Path) -> None:
    workspace = repo_with_a_tagged_version(tmp_path, ".")

    found = requirements_at(workspace, "churn@v1.0.0", "requirements.txt", os.environ)

    assert found == b"tinyreq==0.1\n"


def test_a_config_in_a_subfolder_reads_the_file_beside_it(tmp_path: Path) -> None:
    workspace = repo_with_a_tagged_version(tmp_path, "models/churn")

    found = requirements_at(workspace, "churn@v1.0.0", "requirements.txt", os.environ)

    assert found == b"tinyreq==0.1\n"


def test_no_file_at_the_commit_or_none_declared_is_none(tmp_path: Path) -> None:
    workspace = repo_with_a_tagged_version(tmp_path, ".")

    assert requirements_at(workspace, "churn@v1.0.0", "deps.txt", os.environ) is None
    assert requirements_at(workspace, "churn@v1.0.0", None, os.environ) is None
