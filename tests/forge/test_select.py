"""Choosing the forge from the environment, and the cost of importing the forge layer."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from mlops_ci.errors import UserError
from mlops_ci.forge.github_forge import GitHubForge
from mlops_ci.forge.outbox import OutboxForge
from mlops_ci.forge.select import open_forge
from tests.fakegithub import FakeGitHub
from tests.forge.conftest import PR, REPO


def test_no_token_means_the_outbox(tmp_path: Path) -> None:
    forge = open_forge(tmp_path, {"GITHUB_REPOSITORY": REPO, "GITHUB_TOKEN": "  "})
    assert isinstance(forge, OutboxForge)


def test_token_input_wins_and_the_api_url_is_honoured(fake: FakeGitHub, tmp_path: Path) -> None:
    environ = {
        "INPUT_GITHUB_TOKEN": fake.token,
        "GITHUB_TOKEN": "ghs_wrong",
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_API_URL": fake.api_url,
    }
    forge = open_forge(tmp_path, environ, timeout=1, seconds_between_writes=0)
    assert isinstance(forge, GitHubForge)
    assert forge.read_pull(PR).head_ref == "tune-model"
    assert fake.requests[0].headers["authorization"].endswith(fake.token)


def test_token_without_repository_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="GITHUB_REPOSITORY"):
        open_forge(tmp_path, {"GITHUB_TOKEN": "ghs_x"})


def test_malformed_repository_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="OWNER/NAME"):
        open_forge(tmp_path, {"GITHUB_TOKEN": "ghs_x", "GITHUB_REPOSITORY": "no-slash"})


@pytest.mark.parametrize(
    "url", ["not a url", "ftp://h/api/v3", "https://", "http://127.0.0.1:port/api", "/api/v3"]
)
def test_an_api_url_that_is_not_http_is_a_user_error(tmp_path: Path, url: str) -> None:
    environ = {"GITHUB_TOKEN": "ghs_x", "GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": url}
    with pytest.raises(UserError, match=f"GITHUB_API_URL {re.escape(repr(url))} is not an http"):
        open_forge(tmp_path, environ)


def test_importing_the_forge_layer_does_not_import_pygithub() -> None:
    code = "import sys, mlops_ci.forge, mlops_ci.forge.github_forge; print('github' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
