"""The action end to end, run the way GitHub runs a docker container action (issue 11).

The image built from the working tree (``conftest.py``) runs on a checkout of the churn example
owned by another uid than the container's, with the event file, ``GITHUB_*`` and one
``INPUT_*`` per input of ``action.yml`` (``runner.py``), against the fake GitHub on the host's
network. ``origin`` is a bare repository mounted at its own absolute path, so the container
pushes tags to it as a job pushes to github.com. Production deploys with the ``command``
backend: a script in the workspace that records its environment.

Three jobs, as a repository sees them: a pull request, its merge to main, the promotion tag.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mlops_ci.registry.store import RegistryStore
from tests.commands.repos import EXAMPLE, git, pr_payload, push_payload
from tests.docker.runner import REPOSITORY, ActionRun, ActionRunner
from tests.fakegithub import FakeGitHub

pytestmark = [pytest.mark.docker, pytest.mark.slow]

PR = 7
MARKER = "<!-- mlops-ci:report:churn-ci -->"
DEPLOY_LOG = "deploy-log.jsonl"
DEPLOY_SCRIPT = f"""\
import json, os
entry = {{k: v for k, v in os.environ.items() if k.startswith("MLOPS_")}}
entry["model_file_exists"] = os.path.isfile(os.environ["MLOPS_MODEL_FILE"])
with open({DEPLOY_LOG!r}, "a") as log:
    log.write(json.dumps(entry) + "\\n")
"""
COMMAND_DEPLOY = """\
    deploy:
      environments:
        churn-production:
          stage: production
          backend: command
          command: [python, deploy.py]
"""


@dataclass
class Checkout:
    """The repository a workflow checks out (its ``origin`` a bare repository) and its runner."""

    repo: Path
    runner: ActionRunner

    @property
    def head(self) -> str:
        return git(self.repo, "rev-parse", "HEAD")

    def pull_request(self) -> ActionRun:
        """One job with a write token that comments itself (``pull_request_report: comment``);
        the default, ``artifact``, is tested in tests/docker/test_action_user_project.py."""
        return self.runner.run("pull_request", pr_payload(self.head), sha="f" * 40,
                               ref=f"refs/pull/{PR}/merge",
                               inputs={"pull_request_report": "comment"})

    def push_main(self) -> ActionRun:
        return self.runner.run("push", push_payload(self.head), sha=self.head,
                               ref="refs/heads/main")

    def push_tag(self, tag: str) -> ActionRun:
        commit = git(self.repo, "rev-parse", f"{tag}^{{commit}}")
        ref = f"refs/tags/{tag}"
        return self.runner.run("push", push_payload(commit, ref), sha=commit, ref=ref)

    def deploy_calls(self) -> list[dict[str, object]]:
        log = self.repo / DEPLOY_LOG
        if not log.is_file():
            return []
        return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def _example_with_command_deploy(repo: Path) -> None:
    shutil.copytree(EXAMPLE, repo, ignore=shutil.ignore_patterns(".mlops", "out", "__pycache__"))
    config = repo / "mlops.yaml"
    text, replaced = re.subn(r"    deploy:\n(?:      .*\n)+", COMMAND_DEPLOY,
                             config.read_text(encoding="utf-8"))
    assert replaced == 1, "the example's deploy section moved: update COMMAND_DEPLOY"
    config.write_text(text, encoding="utf-8")
    (repo / "deploy.py").write_text(DEPLOY_SCRIPT, encoding="utf-8")
    (repo / ".gitignore").write_text(f".mlops/\nout/\n{DEPLOY_LOG}\n", encoding="utf-8")


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        server.create_repo(REPOSITORY)
        yield server
    assert not server.internal_errors, "\n".join(server.internal_errors)


def _checkout(tmp_path: Path, fake: FakeGitHub, image: str, *, folder: str = ".") -> Checkout:
    """The example in ``folder`` of a repository pushed to its bare ``origin``."""
    repo, remote = tmp_path / "checkout", tmp_path / "remote.git"
    _example_with_command_deploy(repo / folder)
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "init", "-q", "--initial-branch=main")
    git(repo, "add", "--all")
    git(repo, "commit", "-q", "-m", "the example")
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "main")
    runner = ActionRunner(image, repo, tmp_path / "runner", api_url=fake.api_url,
                          web_url=fake.web_url, token=fake.token, mounts=(remote,))
    return Checkout(repo, runner)


@pytest.fixture
def checkout(tmp_path: Path, fake: FakeGitHub, image: str) -> Checkout:
    return _checkout(tmp_path, fake, image)


def _assert_clean_log(run: ActionRun, token: str) -> None:
    """Exit 0, no traceback, the token masked before anything else and never printed again."""
    assert run.exit_code == 0, run.log
    assert "Traceback" not in run.log
    lines = run.stdout.splitlines()
    assert lines[0] == f"::add-mask::{token}"
    assert token not in "\n".join(lines[1:]) + run.stderr
    assert token not in run.summary + "\n".join(run.outputs.values())


def test_pull_request_leaves_one_report_comment(checkout: Checkout, fake: FakeGitHub) -> None:
    fake.repo(REPOSITORY).add_pull(PR, head_sha=checkout.head, head_ref="retrain",
                                   title="Retrain")

    run = checkout.pull_request()

    _assert_clean_log(run, fake.token)
    [comment] = fake.repo(REPOSITORY).comments(PR)
    assert MARKER in comment.body
    assert "roc\\_auc" in comment.body
    assert run.outputs["verdict"] == "passed"
    assert run.outputs["report_url"].startswith(fake.web_url)
    assert run.outputs["drift"] == "false"  # the example's training data matches its reference
    assert run.summary.startswith("### ✅ mlops-ci: all checks passed")
    assert "model_version" not in run.outputs
    assert fake.repo(REPOSITORY).releases == []
    assert git(checkout.repo, "ls-remote", "--tags", "origin") == ""


def test_push_to_main_registers_a_tag_and_a_release_with_assets(
    checkout: Checkout, fake: FakeGitHub
) -> None:
    run = checkout.push_main()

    _assert_clean_log(run, fake.token)
    remote_tags = git(checkout.repo, "ls-remote", "--tags", "origin")
    assert f"{checkout.head}\trefs/tags/churn@v0.1.0^{{}}" in remote_tags
    [release] = fake.repo(REPOSITORY).releases
    assert release.tag_name == "churn@v0.1.0"
    assets = {asset.name: asset for asset in fake.repo(REPOSITORY).assets(release.id)}
    assert {"SHA256SUMS", "metrics.json", "model-card.md", "model.skops"} <= set(assets)
    model_sha256 = assets["model.skops"].sha256
    assert f"{model_sha256}  model.skops" in assets["SHA256SUMS"].data.decode()
    assert run.outputs["model_sha256"] == model_sha256
    assert run.outputs["verdict"] == "passed"
    assert run.outputs["model_version"] == "v0.1.0"
    assert run.outputs["tag"] == "churn@v0.1.0"
    assert run.outputs["release_url"].startswith(fake.web_url)
    assert fake.repo(REPOSITORY).comments(PR) == []


def test_promotion_tag_deploys_that_version_with_a_successful_deployment(
    checkout: Checkout, fake: FakeGitHub
) -> None:
    registered = checkout.push_main()
    assert registered.exit_code == 0, registered.log
    git(checkout.repo, "fetch", "-q", "--tags", "origin")
    promotion = RegistryStore(checkout.repo).promote("churn", "v0.1.0", "production")
    assert promotion.tag == "churn#production#1"

    run = checkout.push_tag(promotion.tag)

    _assert_clean_log(run, fake.token)
    [deployment] = fake.repo(REPOSITORY).deployments
    assert deployment.environment == "churn-production"
    assert deployment.ref == "churn@v0.1.0"
    states = [status.state for status in fake.repo(REPOSITORY).deployment_statuses(deployment.id)]
    assert states == ["queued", "in_progress", "success"]
    [call] = checkout.deploy_calls()
    assert call["MLOPS_MODEL_VERSION"] == "v0.1.0"
    assert call["MLOPS_STAGE"] == "production"
    assert call["MLOPS_ACTION"] == "deploy"
    assert call["model_file_exists"] is True
    assert run.outputs["verdict"] == "passed"
    assert run.outputs["deployed_version"] == "v0.1.0"



def test_rerun_of_the_pull_request_edits_the_same_comment(
    checkout: Checkout, fake: FakeGitHub
) -> None:
    fake.repo(REPOSITORY).add_pull(PR, head_sha=checkout.head, head_ref="retrain",
                                   title="Retrain")
    first = checkout.pull_request()

    second = checkout.pull_request()

    _assert_clean_log(second, fake.token)
    [comment] = fake.repo(REPOSITORY).comments(PR)
    assert second.outputs["report_url"] == first.outputs["report_url"]
    assert "/actions/runs/4002" in comment.body  # the second job's report, not the first's


def test_dry_run_input_writes_nothing_to_github_or_git(
    checkout: Checkout, fake: FakeGitHub
) -> None:
    run = checkout.runner.run("push", push_payload(checkout.head), sha=checkout.head,
                              ref="refs/heads/main", inputs={"dry_run": "true"})

    _assert_clean_log(run, fake.token)
    assert "dry run: would register" in run.stdout
    assert fake.writes() == []
    assert git(checkout.repo, "ls-remote", "--tags", "origin") == ""
    assert git(checkout.repo, "tag", "--list") == ""


def test_working_directory_input_runs_a_config_in_a_subfolder(
    tmp_path: Path, fake: FakeGitHub, image: str
) -> None:
    """A monorepo: the config and data in ``ml/``, the git repository (and tags) at the root."""
    checkout = _checkout(tmp_path, fake, image, folder="ml")

    run = checkout.runner.run("push", push_payload(checkout.head), sha=checkout.head,
                              ref="refs/heads/main", inputs={"working_directory": "ml"})

    _assert_clean_log(run, fake.token)
    assert run.outputs["model_version"] == "v0.1.0"
    assert "refs/tags/churn@v0.1.0" in git(checkout.repo, "ls-remote", "--tags", "origin")
    assert [release.tag_name for release in fake.repo(REPOSITORY).releases] == ["churn@v0.1.0"]
