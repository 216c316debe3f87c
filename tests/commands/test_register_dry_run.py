"""A merge run's ``--dry-run`` says what the real run of that event would do, and writes nothing.

Real git with a bare remote, the example's own training, the fake GitHub through PyGithub.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from mlops_ci.commands.run import RunOutcome, RunRequest, execute
from mlops_ci.config.model import StageName
from tests.commands.repos import REPOSITORY, example_repo, git, push_payload
from tests.fakegithub import FakeGitHub


def run_merge(repo: Path, fake: FakeGitHub, head: str, *, run_id: int,
              dry_run: bool = False) -> tuple[RunOutcome, str]:
    event = repo.parent / f"event-{run_id}.json"
    event.write_text(json.dumps(push_payload(head)), encoding="utf-8")
    environ = {
        "PATH": "/usr/bin:/bin",
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_SHA": head,
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_RUN_ID": str(run_id),
        "GITHUB_API_URL": fake.api_url,
        "GITHUB_TOKEN": fake.token,
        "MLOPS_CI_SECONDS_BETWEEN_WRITES": "0",
    }
    out = io.StringIO()
    request = RunRequest(config=repo / "mlops.yaml", dry_run=dry_run)
    return execute(request, environ=environ, out=out), out.getvalue()


def register_summary(outcome: RunOutcome) -> str:
    assert outcome.report is not None
    [result] = [r for model in outcome.report.models for r in model.results
                if r.stage is StageName.REGISTER]
    return result.summary


def test_dry_run_of_a_registered_merge_says_already_registered_and_writes_nothing(
    tmp_path: Path,
) -> None:
    repo = example_repo(tmp_path)
    head = git(repo, "rev-parse", "HEAD")
    with FakeGitHub() as fake:
        fake.create_repo(REPOSITORY)
        real, log = run_merge(repo, fake, head, run_id=300)
        assert real.exit_code == 0, log
        assert "registered churn@v0.1.0" in register_summary(real)
        remote_tags = git(repo, "ls-remote", "--tags", "origin")
        writes = len(fake.writes())

        dry, log = run_merge(repo, fake, head, run_id=301, dry_run=True)

        assert dry.exit_code == 0, log
        summary = register_summary(dry)
        assert summary.startswith("dry run: already registered churn@v0.1.0"), summary
        assert "would register" not in summary
        assert len(fake.writes()) == writes
        assert git(repo, "ls-remote", "--tags", "origin") == remote_tags


def test_dry_run_of_a_new_merge_names_the_tag_the_real_run_writes(tmp_path: Path) -> None:
    repo = example_repo(tmp_path)
    head = git(repo, "rev-parse", "HEAD")
    with FakeGitHub() as fake:
        fake.create_repo(REPOSITORY)

        dry, log = run_merge(repo, fake, head, run_id=310, dry_run=True)
        real, real_log = run_merge(repo, fake, head, run_id=311)

        assert dry.exit_code == 0, log
        assert register_summary(dry).startswith("dry run: would register churn@v0.1.0 at ")
        assert real.exit_code == 0, real_log
        assert register_summary(real).startswith("registered churn@v0.1.0 at ")
