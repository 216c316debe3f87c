"""A comparison gate fails, never passes silently, when production's model cannot be fetched.

``mlops-ci registry register`` and ``registry promote`` (or ``gto``) from a laptop write the
tags only: the registry then names a production version that has no release. A pull request
compared "against production" must not pass because that model is missing: the gate fails
(exit 1) naming the version and what is missing. A gate is skipped only when no version is in
the stage it compares with. Real git repositories with a bare remote, the example's own
training, the fake GitHub over real HTTP or the local outbox.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from mlops_ci.commands.run import RunOutcome, RunRequest, execute
from mlops_ci.errors import EXIT_CHECK_FAILED
from mlops_ci.gates import GateStatus
from mlops_ci.registry.store import RegistryStore
from mlops_ci.report.escape import escape_markdown
from mlops_ci.stages.results import Evaluation
from tests.commands.repos import PR, REPOSITORY, example_repo, git, pr_payload, push_payload
from tests.fakegithub import FakeGitHub

PRODUCTION_GATE = "evaluate.gates[1].max_regression"
BASE_GATE = "evaluate.gates[2].max_regression"


def run(repo: Path, name: str, payload: dict[str, object], run_id: int,
        fake: FakeGitHub | None) -> tuple[RunOutcome, str]:
    event = repo.parent / f"event-{run_id}.json"
    event.write_text(json.dumps(payload), encoding="utf-8")
    environ = {
        "PATH": "/usr/bin:/bin",
        "GITHUB_EVENT_NAME": name,
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_RUN_ID": str(run_id),
    }
    if fake is not None:
        environ.update({"GITHUB_API_URL": fake.api_url, "GITHUB_TOKEN": fake.token,
                        "MLOPS_CI_SECONDS_BETWEEN_WRITES": "0"})
    out = io.StringIO()
    return execute(RunRequest(config=repo / "mlops.yaml"), environ=environ, out=out), out.getvalue()


def pull_request_commit(repo: Path) -> str:
    """A commit of the pull request on top of the registered one."""
    (repo / "NOTES.md").write_text("a change to review\n", encoding="utf-8")
    git(repo, "add", "NOTES.md")
    git(repo, "commit", "-q", "-m", "a change to review")
    return git(repo, "rev-parse", "HEAD")


def evaluation(outcome: RunOutcome) -> Evaluation:
    assert outcome.report is not None
    (model,) = outcome.report.models
    detail = model.results[-1].detail
    assert isinstance(detail, Evaluation)
    return detail


def report_body(repo: Path, fake: FakeGitHub | None) -> str:
    if fake is not None:
        (comment,) = fake.repo(REPOSITORY).comments(PR)
        return comment.body or ""
    (comment,) = (repo / ".mlops" / "outbox" / "comments").iterdir()
    return comment.read_text(encoding="utf-8")


@pytest.fixture
def fake() -> FakeGitHub:
    with FakeGitHub() as server:
        server.create_repo(REPOSITORY)
        yield server


@pytest.mark.parametrize("forge", ["github", "outbox"])
def test_production_registered_by_tag_only_fails_the_gate_naming_the_version(
    tmp_path: Path, fake: FakeGitHub, forge: str
) -> None:
    repo = example_repo(tmp_path)
    store = RegistryStore(repo)  # what `mlops-ci registry register/promote` and gto write
    store.register("churn", version="v0.2.0")
    store.promote("churn", "v0.2.0", "production")
    head = pull_request_commit(repo)
    chosen = fake if forge == "github" else None
    fake.repo(REPOSITORY).add_pull(PR, head_sha=head, head_ref="retrain", title="Retrain")

    outcome, log = run(repo, "pull_request", pr_payload(head), 100, chosen)

    assert outcome.exit_code == EXIT_CHECK_FAILED, log
    detail = evaluation(outcome)
    assert detail.production_version == "v0.2.0"
    (gate,) = [g for g in detail.gates if g.config_path == PRODUCTION_GATE]
    assert gate.status is GateStatus.FAILED
    assert gate.explanation.startswith(
        "the production model v0.2.0 cannot be fetched: no published release churn@v0.2.0")
    assert not any("no model in production yet" in note for note in detail.notes)
    body = report_body(repo, chosen)
    assert "mlops-ci: checks failed: churn evaluate" in body
    missing = "the production model v0.2.0 cannot be fetched: no published release churn@v0.2.0"
    assert escape_markdown(missing) in body
    assert "no model in production yet" not in body
    assert "registry register" in body  # the note says how such a version gets its model


def test_no_version_in_production_still_skips_the_gate(tmp_path: Path) -> None:
    repo = example_repo(tmp_path)
    head = git(repo, "rev-parse", "HEAD")

    outcome, log = run(repo, "pull_request", pr_payload(head), 100, None)

    assert outcome.exit_code == 0, log
    (gate,) = [g for g in evaluation(outcome).gates if g.config_path == PRODUCTION_GATE]
    assert (gate.status, gate.explanation) == (GateStatus.SKIPPED, "no model in production yet")


def test_a_production_model_whose_checksum_does_not_match_fails_the_gate(
    tmp_path: Path, fake: FakeGitHub
) -> None:
    repo = example_repo(tmp_path)
    head = git(repo, "rev-parse", "HEAD")
    merged, log = run(repo, "push", push_payload(head), 200, fake)
    assert merged.exit_code == 0, log
    RegistryStore(repo).promote("churn", "v0.1.0", "production")
    (release,) = fake.repo(REPOSITORY).releases
    (model_file,) = [a for a in fake.repo(REPOSITORY).assets(release.id)
                     if a.name == "model.skops"]
    model_file.data = model_file.data + b"tampered"
    head = pull_request_commit(repo)
    fake.repo(REPOSITORY).add_pull(PR, head_sha=head, head_ref="retrain", title="Retrain")

    outcome, log = run(repo, "pull_request", pr_payload(head), 201, fake)

    assert outcome.exit_code == EXIT_CHECK_FAILED, log
    (gate,) = [g for g in evaluation(outcome).gates if g.config_path == PRODUCTION_GATE]
    assert gate.status is GateStatus.FAILED
    assert gate.explanation.startswith("the production model v0.1.0 cannot be fetched: release "
                                       "churn@v0.1.0: asset 'model.skops' has sha256")
    assert "cannot be fetched" in report_body(repo, fake)


def test_the_commits_own_version_without_its_release_is_not_a_reference(
    tmp_path: Path, fake: FakeGitHub
) -> None:
    """A tag pushed by `gto register` starts a run that is to publish that version's release:
    the version registered at the commit under evaluation is the candidate itself."""
    repo = example_repo(tmp_path)
    head = git(repo, "rev-parse", "HEAD")
    RegistryStore(repo).register("churn", version="v0.2.0")
    fake.repo(REPOSITORY).add_pull(PR, head_sha=head, head_ref="retrain", title="Retrain")

    outcome, log = run(repo, "pull_request", pr_payload(head), 100, fake)

    assert outcome.exit_code == 0, log
    (gate,) = [g for g in evaluation(outcome).gates if g.config_path == BASE_GATE]
    assert gate.status is GateStatus.SKIPPED
    assert any("v0.2.0 is this commit's own version" in note
               for note in evaluation(outcome).notes)
