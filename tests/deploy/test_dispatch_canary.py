"""A KServe canary completed or rolled back by a workflow_dispatch, through the action's entry.

Each run is ``mlops-ci action`` (the Docker action's entry, ``command: run`` by default) with
the variables a runner sets for a ``workflow_dispatch`` (GitHub's example payload, its inputs
replaced), against the fake GitHub, in a real git repository whose deploy section renders a
KServe ``InferenceService`` with ``canary: 10``. Stage tags, manifests and commits are read
from git; the GitHub deployments and their statuses from the fake server.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from mlops_ci.cli import main
from mlops_ci.errors import EXIT_USER_ERROR
from tests.deploy.test_stage import statuses
from tests.deploy.test_stage_kserve import KSERVE, manifest
from tests.deploy.workspace import REPO, DeployWorkspace, git, make_workspace
from tests.events.payloads import webhook
from tests.fakegithub import FakeGitHub

pytestmark = pytest.mark.github_corpus  # GitHub's real payloads (tests/github_corpus.py)


class Dispatches:
    """Runs the action on workflow_dispatch events of one workspace, as a runner would."""

    def __init__(self, workspace: DeployWorkspace, monkeypatch: pytest.MonkeyPatch) -> None:
        self.workspace, self.monkeypatch, self.runs = workspace, monkeypatch, 0

    def __call__(self, version: str, *, action_inputs: dict[str, str] | None = None,
                 **inputs: str) -> tuple[int, str]:
        """``mlops-ci action`` on a dispatch of ``{model: churn, version, stage: production}``
        and ``inputs``, with the action's ``action_inputs`` (names upper-cased, as
        ``INPUT_*``); its exit code and everything it printed."""
        self.runs += 1
        scratch = self.workspace.root.parent / f"run-{self.runs}"
        scratch.mkdir()
        payload = webhook("workflow_dispatch.1.json")
        payload["inputs"] = {"model": "churn", "version": version, "stage": "production",
                             **inputs}
        (scratch / "event.json").write_text(json.dumps(payload), encoding="utf-8")
        fake = self.workspace.fake
        environ = {
            "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "workflow_dispatch",
            "GITHUB_EVENT_PATH": str(scratch / "event.json"), "GITHUB_REPOSITORY": REPO,
            "GITHUB_SHA": git(self.workspace.root, "rev-parse", "HEAD"),
            "GITHUB_REF": "refs/heads/main", "GITHUB_RUN_ID": str(500 + self.runs),
            "GITHUB_API_URL": fake.api_url, "GITHUB_TOKEN": fake.token,
            "GITHUB_WORKSPACE": str(self.workspace.root),
            "GITHUB_OUTPUT": str(scratch / "output"),
            "GITHUB_STEP_SUMMARY": str(scratch / "summary.md"),
            "MLOPS_CI_SECONDS_BETWEEN_WRITES": "0",
        }
        with self.monkeypatch.context() as patch:
            for name in [n for n in os.environ if n.startswith(("GITHUB_", "INPUT_", "RUNNER_"))]:
                patch.delenv(name)
            for key, value in environ.items():
                patch.setenv(key, value)
            for key, value in (action_inputs or {}).items():
                patch.setenv(f"INPUT_{key.upper()}", value)
            out, err = io.StringIO(), io.StringIO()
            with patch.context() as inner:
                inner.setattr("sys.stdout", out)
                code = main(["action"], stderr=err)
        return code, out.getvalue() + err.getvalue()

    def outputs(self) -> str:
        return (self.workspace.root.parent / f"run-{self.runs}" / "output").read_text()


def stage_tags(workspace: DeployWorkspace) -> list[str]:
    return git(workspace.root, "tag", "--list", "churn#production#*").split()


def commits(workspace: DeployWorkspace) -> str:
    return git(workspace.root, "rev-list", "--count", "HEAD")


@pytest.fixture
def canary(
    fake_github: FakeGitHub, tmp_path: Path, churn_model_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[DeployWorkspace, Dispatches]:
    """v1.0.0 serving production fully, then v1.1.0 promoted by a dispatch as its canary."""
    workspace = make_workspace(tmp_path / "repo", fake_github, KSERVE)
    workspace.register("v1.0.0", churn_model_file)
    workspace.register("v1.1.0", churn_model_file)
    dispatch = Dispatches(workspace, monkeypatch)
    code, said = dispatch("v1.0.0")
    assert code == 0, said
    code, said = dispatch("v1.1.0")
    assert code == 0, said
    predictor = manifest(workspace)["spec"]["predictor"]
    assert predictor["canaryTrafficPercent"] == 10
    return workspace, dispatch


def test_dispatching_the_canarys_version_again_without_canary_changes_nothing(
    canary: tuple[DeployWorkspace, Dispatches],
) -> None:
    workspace, dispatch = canary
    tags, before = stage_tags(workspace), manifest(workspace)

    code, said = dispatch("v1.1.0")

    assert code == 0, said
    assert "v1.1.0 is deployed already; nothing to do" in said
    assert stage_tags(workspace) == tags
    assert manifest(workspace) == before


def test_canary_complete_writes_a_stage_tag_and_sends_all_traffic_to_it(
    canary: tuple[DeployWorkspace, Dispatches], fake_github: FakeGitHub,
) -> None:
    workspace, dispatch = canary
    tags = stage_tags(workspace)

    code, said = dispatch("v1.1.0", canary="complete")

    assert code == 0, said
    [new_tag] = sorted(set(stage_tags(workspace)) - set(tags))
    assert "completing the canary of churn v1.1.0 in production (churn-production)" in said
    completed = manifest(workspace)
    assert "canaryTrafficPercent" not in completed["spec"]["predictor"]
    annotations = completed["metadata"]["annotations"]
    assert (annotations["mlops-ci.version"], annotations["mlops-ci.promotion"]) == (
        "v1.1.0", new_tag)
    assert "mlops-ci.stable-version" not in annotations
    assert statuses(fake_github, "v1.1.0")[-3:] == ["queued", "in_progress", "success"]
    assert statuses(fake_github, "v1.0.0")[-1] == "inactive"
    assert "deployed_version<<" in dispatch.outputs() and "v1.1.0" in dispatch.outputs()
    assert git(workspace.root, "status", "--porcelain", "--", "deploy") == ""


def test_rerunning_a_completed_canary_dispatch_writes_nothing(
    canary: tuple[DeployWorkspace, Dispatches], fake_github: FakeGitHub,
) -> None:
    workspace, dispatch = canary
    assert dispatch("v1.1.0", canary="complete")[0] == 0
    tags, count, written = stage_tags(workspace), commits(workspace), statuses(fake_github,
                                                                                "v1.1.0")
    fake_github.clear_requests()

    code, said = dispatch("v1.1.0", canary="complete")

    assert code == 0, said
    assert "churn v1.1.0 takes all of production's traffic already: no canary of it to " \
        "complete; no tag written" in said
    assert stage_tags(workspace) == tags
    assert commits(workspace) == count
    assert statuses(fake_github, "v1.1.0") == written
    assert fake_github.writes() == []


def test_canary_rollback_promotes_the_stable_version_again(
    canary: tuple[DeployWorkspace, Dispatches], fake_github: FakeGitHub,
) -> None:
    workspace, dispatch = canary
    tags = stage_tags(workspace)

    code, said = dispatch("v1.1.0", canary="rollback")

    assert code == 0, said
    assert "promoting the stable version v1.0.0 again" in said
    [new_tag] = sorted(set(stage_tags(workspace)) - set(tags))
    assert git(workspace.root, "rev-parse", f"{new_tag}^{{commit}}") == git(
        workspace.root, "rev-parse", "churn@v1.0.0^{commit}")
    rolled_back = manifest(workspace)
    assert "canaryTrafficPercent" not in rolled_back["spec"]["predictor"]
    assert rolled_back["metadata"]["annotations"]["mlops-ci.version"] == "v1.0.0"
    assert statuses(fake_github, "v1.0.0")[-1] == "success"
    assert statuses(fake_github, "v1.1.0")[-1] == "inactive"
    count = commits(workspace)

    code, said = dispatch("v1.1.0", canary="rollback")  # the same dispatch, run again

    assert code == 0, said
    assert "was rolled back already: production holds v1.0.0" in said
    assert set(stage_tags(workspace)) == {*tags, new_tag}
    assert commits(workspace) == count


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        pytest.param({"canary": "finish"},
                     "workflow_dispatch input canary: 'finish' is not one of none, complete, "
                     "rollback", id="unknown-value"),
        pytest.param({"canary": "complete", "version": "v1.0.0"},
                     "production holds v1.1.0 of churn, not v1.0.0: there is no canary of "
                     "v1.0.0 to complete", id="not-the-canary"),
    ],
)
def test_a_bad_canary_input_exits_2_naming_it_and_writes_nothing(
    canary: tuple[DeployWorkspace, Dispatches], fake_github: FakeGitHub,
    inputs: dict[str, str], message: str,
) -> None:
    workspace, dispatch = canary
    tags, before, count = stage_tags(workspace), manifest(workspace), commits(workspace)
    version = inputs.pop("version", "v1.1.0")

    code, said = dispatch(version, **inputs)

    assert code == EXIT_USER_ERROR, said
    assert message in said
    assert "Traceback" not in said
    assert (stage_tags(workspace), manifest(workspace), commits(workspace)) == (
        tags, before, count)


def test_command_promote_with_canary_complete_pushes_the_tag_a_dispatch_then_deploys(
    canary: tuple[DeployWorkspace, Dispatches], fake_github: FakeGitHub,
) -> None:
    workspace, dispatch = canary
    remote = workspace.root.parent / "remote.git"
    git(workspace.root.parent, "init", "-q", "--bare", str(remote))
    git(workspace.root, "remote", "add", "origin", str(remote))
    git(workspace.root, "push", "-q", "origin", "main", "--tags")
    promote = {"command": "promote", "model": "churn", "version": "v1.1.0",
               "stage": "production", "canary": "complete"}
    tags = stage_tags(workspace)

    code, said = dispatch("v1.1.0", action_inputs=promote)

    assert code == 0, said
    [new_tag] = sorted(set(stage_tags(workspace)) - set(tags))
    assert f"promoted again, completing its canary: churn v1.1.0 -> production (tag {new_tag})" \
        in said
    assert git(remote, "tag", "--list", new_tag) == new_tag
    assert manifest(workspace)["spec"]["predictor"]["canaryTrafficPercent"] == 10  # not yet

    code, said = dispatch("v1.1.0", action_inputs=promote)  # the same step, run again

    assert code == 0, said
    assert f"{new_tag} completes the canary of churn v1.1.0 and is written already" in said
    assert set(stage_tags(workspace)) == {*tags, new_tag}

    code, said = dispatch("v1.1.0")  # what the action says deploys it: a dispatch, no canary

    assert code == 0, said
    assert "canaryTrafficPercent" not in manifest(workspace)["spec"]["predictor"]
    assert manifest(workspace)["metadata"]["annotations"]["mlops-ci.promotion"] == new_tag
    assert statuses(fake_github, "v1.1.0")[-1] == "success"


def test_a_dry_run_of_canary_complete_says_what_it_would_write_and_writes_nothing(
    canary: tuple[DeployWorkspace, Dispatches], fake_github: FakeGitHub,
) -> None:
    workspace, dispatch = canary
    tags, before, count = stage_tags(workspace), manifest(workspace), commits(workspace)
    fake_github.clear_requests()

    code, said = dispatch("v1.1.0", action_inputs={"dry_run": "true"}, canary="complete")

    assert code == 0, said
    assert "dry run: would promote v1.1.0 to production again (a new stage tag: completes its " \
        "canary)" in said
    assert (stage_tags(workspace), manifest(workspace), commits(workspace)) == (
        tags, before, count)
    assert fake_github.writes() == []
