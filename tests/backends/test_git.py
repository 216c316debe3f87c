"""The git wrapper: where it runs, and the user errors for a repository that is not one."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_ci.backends.git import Git
from mlops_ci.errors import UserError


def test_a_file_given_as_the_repository_is_a_user_error(tmp_path: Path) -> None:
    config = tmp_path / "mlops.yaml"
    config.write_text("version: 1\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"mlops\.yaml: a file, not a directory"):
        Git(config).run(["status"])


def test_a_missing_repository_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="nope: no such directory"):
        Git(tmp_path / "nope").run(["status"])


def test_stream_yields_the_whole_output_in_chunks(tmp_path: Path) -> None:
    git = Git(tmp_path)
    git.run(["init", "-q"])
    big = b"x" * 300_000
    blob = git.run(["hash-object", "-w", "--stdin"], stdin=big).text.strip()

    chunks = list(git.stream(["cat-file", "blob", blob], chunk_bytes=4096))

    assert len(chunks) > 1
    assert b"".join(chunks) == big


def test_stream_raises_with_gits_reason_when_git_fails(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="is not a git repository"):
        list(Git(tmp_path).stream(["for-each-ref", "refs/tags/"]))


def test_stream_in_a_missing_repository_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="nope: no such directory"):
        list(Git(tmp_path / "nope").stream(["status"]))
