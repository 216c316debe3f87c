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
