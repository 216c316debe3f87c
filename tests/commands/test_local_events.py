"""``mlops-ci run --event KIND``: each lifecycle step run locally, its event built from the repo.

The example is played on a real git repository with a bare remote and the outbox as the forge:
a pull request from a branch, its merge (registration: the tag in the remote, the release in the
outbox), ``registry promote`` (which says how to deploy the tag here), the promotion (deployed
by a command backend), a workflow_dispatch promoting to staging, and the schedule (monitoring).
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from mlops_ci.cli import main
from mlops_ci.cli.run import EVENT_KINDS as CLI_KINDS
from mlops_ci.commands.demo import DEPLOY_SCRIPT
from mlops_ci.commands.local_events import EVENT_KINDS
from tests.commands.repos import GIT_ENV, example_repo, git

STEPS = (
    ("pull-request", ()),
    ("merge", ()),
    ("promote", ()),
    ("promotion", ()),
    ("dispatch", ("--input", "model=churn", "--input", "stage=staging")),
    ("schedule", ()),
)


@dataclass(frozen=True)
class Step:
    code: int
    out: str
    err: str


@dataclass(frozen=True)
class Played:
    repo: Path
    steps: dict[str, Step]


def cli(args: list[str]) -> Step:
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdout
    sys.stdout = out
    try:
        code = main(args, stderr=err)
    finally:
        sys.stdout = saved
    return Step(code, out.getvalue(), err.getvalue())


def command_backend(repo: Path) -> None:
    """Every environment deploys with the demo's deploy.py (copies the model file)."""
    config = repo / "mlops.yaml"
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    for environment in data["models"]["churn"]["deploy"]["environments"].values():
        stage = environment["stage"]
        environment.clear()
        environment.update(
            {"stage": stage, "backend": "command", "command": [sys.executable, "deploy.py"]}
        )
    config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    (repo / "deploy.py").write_text(DEPLOY_SCRIPT, encoding="utf-8")
    (repo / ".gitignore").write_text(".mlops/\nout/\ndeployments/\n", encoding="utf-8")
    git(repo, "add", "--all")
    git(repo, "commit", "-q", "-m", "deploy with a command")
    git(repo, "push", "-q", "origin", "main")


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> Played:
    """The steps, in order, each a real ``mlops-ci run --event`` (about a minute in all)."""
    root = tmp_path_factory.mktemp("local-events")
    steps: dict[str, Step] = {}
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name in [n for n in os.environ if n.startswith(("GITHUB_", "INPUT_", "RUNNER_"))]:
            monkeypatch.delenv(name)
        for key, value in {**GIT_ENV, "GIT_CONFIG_GLOBAL": "/dev/null"}.items():
            monkeypatch.setenv(key, value)
        repo = example_repo(root)
        command_backend(repo)
        monkeypatch.chdir(repo)
        git(repo, "switch", "-q", "-c", "retrain")
        steps["pull-request"] = cli(["run", "--event", "pull-request"])
        git(repo, "switch", "-q", "main")
        steps["merge"] = cli(["run", "--event", "merge"])
        version = git(repo, "tag", "--list", "churn@v*")
        steps["promote"] = cli(["registry", "promote", "churn", version[6:], "production"])
        for kind, extra in STEPS[3:]:
            if kind == "dispatch":
                extra = (*extra, "--input", f"version={version[6:]}")
            steps[kind] = cli(["run", "--event", kind, *extra])
    return Played(repo, steps)


def plan_of(step: Step) -> str:
    found = re.search(r"^plan: (churn:.*)$", step.out, re.MULTILINE)
    assert found is not None, step.out + step.err
    return found.group(1)


def test_the_cli_offers_the_kinds_the_command_builds() -> None:
    assert CLI_KINDS == EVENT_KINDS


def test_pull_request_runs_the_branch_against_main_and_comments(played: Played) -> None:
    step = played.steps["pull-request"]

    assert (step.code, step.err) == (0, ""), step.out
    assert "event: pull request #1 retrain -> main (pull_request" in step.out
    assert plan_of(step) == "churn:validate, churn:drift, churn:train, churn:evaluate, churn:report"
    payload = json.loads((played.repo / ".mlops/events/pull-request.json").read_text())
    assert payload["pull_request"]["head"]["ref"] == "retrain"
    assert list((played.repo / ".mlops/outbox/comments").iterdir())


def test_merge_registers_and_pushes_the_tag(played: Played) -> None:
    step = played.steps["merge"]

    assert (step.code, step.err) == (0, ""), step.out
    assert "event: push of " in step.out and "to refs/heads/main (push" in step.out
    assert "churn:register" in plan_of(step)
    remote = git(played.repo.parent / "remote.git", "tag", "--list").splitlines()
    assert [tag for tag in remote if "@" in tag] == [git(played.repo, "tag", "--list", "churn@v*")]
    assert re.fullmatch(r"churn@v\d+\.\d+\.\d+", remote[-1]), remote


def test_registry_promote_says_how_to_deploy_the_tag_here(played: Played) -> None:
    step = played.steps["promote"]

    assert (step.code, step.err) == (0, "")
    assert (
        "pushed churn#production#1: the promotion workflow (on: push: tags) deploys it on "
        "GitHub; locally: mlops-ci run --event promotion --tag 'churn#production#1'"
    ) in step.out


def test_promotion_deploys_the_latest_promotion_tag(played: Played) -> None:
    step = played.steps["promotion"]
    version = git(played.repo, "tag", "--list", "churn@v*")[6:]

    assert (step.code, step.err) == (0, ""), step.out
    assert "event: push of the promotion tag churn#production#1 (push" in step.out
    assert plan_of(step) == "churn:deploy"
    assert f"deployed {version} to deployments/churn-production" in step.out
    served = played.repo / "deployments" / "churn-production" / "VERSION"
    assert served.read_text().strip() == version


def test_dispatch_promotes_and_deploys_with_its_inputs(played: Played) -> None:
    step = played.steps["dispatch"]
    version = git(played.repo, "tag", "--list", "churn@v*")[6:]

    assert (step.code, step.err) == (0, ""), step.out
    assert f"model=churn, stage=staging, version={version}" in step.out
    assert plan_of(step) == "churn:deploy"
    remote = git(played.repo.parent / "remote.git", "tag", "--list")
    assert re.search(r"^churn#staging#\d+$", remote, re.MULTILINE), remote
    served = played.repo / "deployments" / "churn-staging" / "VERSION"
    assert served.read_text().strip() == version


def test_schedule_monitors_on_the_config_schedule(played: Played) -> None:
    step = played.steps["schedule"]

    assert "event: the schedule '0 6 * * *' (schedule" in step.out
    assert plan_of(step) == "churn:monitor"
    assert step.code == 1, step.out  # the example's production sample drifts on purpose


def test_event_with_event_name_is_refused(tmp_path: Path) -> None:
    step = cli(["run", "--event", "merge", "--event-name", "push"])

    assert step.code == 2
    assert "--event builds the event itself: it does not go with --event-name" in step.err


def test_pull_request_from_the_default_branch_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in {**GIT_ENV, "GIT_CONFIG_GLOBAL": "/dev/null"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("GITHUB_EVENT_NAME", raising=False)
    repo = example_repo(tmp_path)
    monkeypatch.chdir(repo)

    step = cli(["run", "--event", "pull-request"])

    assert step.code == 2
    assert "but the current branch is main" in step.err
    assert "git switch -c my-change" in step.err


def test_promotion_without_any_promotion_tag_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in {**GIT_ENV, "GIT_CONFIG_GLOBAL": "/dev/null"}.items():
        monkeypatch.setenv(key, value)
    repo = example_repo(tmp_path)
    monkeypatch.chdir(repo)

    step = cli(["run", "--event", "promotion"])

    assert step.code == 2
    assert "--event promotion: no promotion tag (NAME#STAGE#N)" in step.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--tag", "churn#production#1"], "--tag and --input go with --event"),
        (["run", "--event", "merge", "--tag", "churn#production#1"], "--tag goes with --event "
         "promotion only"),
        (["run", "--event", "dispatch", "--input", "stage"], "--input 'stage' is not key=value"),
    ],
)
def test_misplaced_tag_or_input_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    for key, value in {**GIT_ENV, "GIT_CONFIG_GLOBAL": "/dev/null"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(example_repo(tmp_path))

    step = cli(args)

    assert step.code == 2
    assert message in step.err
