"""The token preflight of ``mlops-ci run``: a write the token may not make stops the run first."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from mlops_ci.cli import main
from tests.commands.repos import example_repo, git
from tests.fakegithub import FakeGitHub

REPOSITORY = "octo/churn"


def test_register_with_a_token_that_cannot_push_fails_before_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = example_repo(tmp_path)
    head = git(repo, "rev-parse", "HEAD")
    event = tmp_path / "event.json"
    payload = {
        "ref": "refs/heads/main",
        "before": "0" * 40,
        "after": head,
        "repository": {"full_name": REPOSITORY, "default_branch": "main"},
    }
    event.write_text(json.dumps(payload), encoding="utf-8")
    with FakeGitHub() as fake:
        fake.create_repo(REPOSITORY)
        fake.add_user_token("ghp_reader", "reader", push=False)
        for name, value in {
            "GITHUB_EVENT_NAME": "push",
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_SHA": head,
            "GITHUB_REPOSITORY": REPOSITORY,
            "GITHUB_API_URL": fake.api_url,
            "GITHUB_TOKEN": "ghp_reader",
        }.items():
            monkeypatch.setenv(name, value)
        for name in ("GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv("INPUT_GITHUB_TOKEN", raising=False)
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out):
            code = main(["run", "-c", str(repo / "mlops.yaml")], stderr=err)
        writes = fake.writes()

    assert code == 2
    assert "missing `contents: write`" in err.getvalue()
    assert "no push access to octo/churn" in err.getvalue()
    assert "plan: churn:validate, churn:drift, churn:train" in out.getvalue()
    assert "== [1/" not in out.getvalue()  # no stage started
    assert not (repo / ".mlops" / "run" / "churn").exists()
    assert writes == []
