"""Promotions through the deploy stage to a KServe environment with a canary, as a user runs
them: stage tags written with ``mlops-ci registry promote``, each tag's run rendering and
committing the InferenceService in a real git repository, releases on the fake GitHub."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

import yaml

from mlops_ci.cli import main
from mlops_ci.digest import sha256_file
from mlops_ci.errors import EXIT_USER_ERROR
from mlops_ci.stages.base import Status
from tests.deploy.manifest_schemas import validate_manifest
from tests.deploy.test_stage import deploy, statuses
from tests.deploy.workspace import DeployWorkspace, git, make_workspace
from tests.fakegithub import FakeGitHub

KSERVE = """\
    deploy:
      environments:
        churn-production:
          stage: production
          backend: kubernetes
          kind: inferenceservice
          manifests_path: deploy/production
          namespace: ml
          canary: 10
"""


def promote_cli(workspace: DeployWorkspace, version: str, *extra: str) -> tuple[int, str, str]:
    """``mlops-ci registry promote churn VERSION production`` in the workspace; the new tag."""
    out, err = io.StringIO(), io.StringIO()
    before = set(git(workspace.root, "tag", "--list", "churn#*").split())
    with contextlib.redirect_stdout(out):
        code = main(["registry", "promote", "churn", version, "production", "--repo",
                     str(workspace.root), "--no-push", *extra], stderr=err)
    new = set(git(workspace.root, "tag", "--list", "churn#*").split()) - before
    return code, (new.pop() if new else ""), out.getvalue() + err.getvalue()


def manifest(workspace: DeployWorkspace) -> dict[str, Any]:
    path = workspace.root / "deploy" / "production" / "inferenceservice.yaml"
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    validate_manifest(loaded)
    return loaded


def test_canary_promotion_then_complete_then_rollback(
    fake_github: FakeGitHub, tmp_path: Path, churn_model_file: Path
) -> None:
    workspace = make_workspace(tmp_path / "repo", fake_github, KSERVE)
    workspace.register("v1.0.0", churn_model_file)
    workspace.register("v1.1.0", churn_model_file)
    environ = {"GITHUB_REPOSITORY": "octo/churn"}

    code, first, _ = promote_cli(workspace, "v1.0.0")
    assert code == 0
    result = deploy(workspace, first, **environ)
    assert result.status is Status.PASSED, result.summary
    assert "canaryTrafficPercent" not in manifest(workspace)["spec"]["predictor"]
    fetch = manifest(workspace)["spec"]["predictor"]["initContainers"][0]["args"]
    assert fetch[fetch.index("--sha256") + 1] == sha256_file(churn_model_file)
    assert fetch[fetch.index("--release") + 1].endswith(
        "/repos/octo/churn/releases/tags/churn%40v1.0.0")

    _, second, _ = promote_cli(workspace, "v1.1.0")
    result = deploy(workspace, second, **environ)
    assert result.status is Status.PASSED, result.summary
    assert "canary: 10% of the traffic, v1.0.0 keeps the rest" in result.summary
    canary = manifest(workspace)
    assert canary["spec"]["predictor"]["canaryTrafficPercent"] == 10
    assert canary["metadata"]["annotations"]["mlops-ci.stable-version"] == "v1.0.0"
    commits = git(workspace.root, "rev-list", "--count", "HEAD")

    written = len(statuses(fake_github, "v1.1.0"))
    rerun = deploy(workspace, second, **environ)  # the same event again
    assert rerun.status is Status.PASSED, rerun.summary
    assert "v1.1.0 is deployed already; nothing to do" in rerun.summary
    assert len(statuses(fake_github, "v1.1.0")) == written
    assert manifest(workspace) == canary
    assert git(workspace.root, "rev-list", "--count", "HEAD") == commits

    code, third, said = promote_cli(workspace, "v1.1.0", "--complete")
    assert code == 0, said
    assert "completing its canary" in said
    result = deploy(workspace, third, **environ)
    assert result.status is Status.PASSED, result.summary
    completed = manifest(workspace)
    assert "canaryTrafficPercent" not in completed["spec"]["predictor"]
    assert completed["metadata"]["annotations"]["mlops-ci.version"] == "v1.1.0"
    assert statuses(fake_github, "v1.1.0")[-1] == "success"

    workspace.register("v1.2.0", churn_model_file)
    _, fourth, _ = promote_cli(workspace, "v1.2.0")
    deploy(workspace, fourth, **environ)
    assert manifest(workspace)["metadata"]["annotations"]["mlops-ci.stable-version"] == "v1.1.0"
    _, fifth, _ = promote_cli(workspace, "v1.1.0")  # roll the canary of v1.2.0 back

    result = deploy(workspace, fifth, **environ)

    assert result.status is Status.PASSED, result.summary
    rolled_back = manifest(workspace)
    assert "canaryTrafficPercent" not in rolled_back["spec"]["predictor"]
    assert rolled_back["metadata"]["annotations"]["mlops-ci.version"] == "v1.1.0"
    assert git(workspace.root, "status", "--porcelain", "--", "deploy") == ""


def test_complete_refuses_a_version_the_stage_does_not_hold(
    fake_github: FakeGitHub, tmp_path: Path, churn_model_file: Path
) -> None:
    workspace = make_workspace(tmp_path / "repo", fake_github, KSERVE)
    workspace.register("v1.0.0", churn_model_file)
    workspace.register("v1.1.0", churn_model_file)
    promote_cli(workspace, "v1.0.0")

    code, tag, said = promote_cli(workspace, "v1.1.0", "--complete")

    assert (code, tag) == (EXIT_USER_ERROR, "")
    assert "production holds v1.0.0 of churn, not v1.1.0" in said
    assert "Traceback" not in said
