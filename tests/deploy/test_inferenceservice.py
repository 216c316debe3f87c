"""The kubernetes target with ``kind: inferenceservice``: the KServe manifest, its model fetched
from the release, and canaries completed or rolled back by the stage's next promotion."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlops_ci.config.model import Environment
from mlops_ci.deploy.inferenceservice import Rollout, decide_rollout
from mlops_ci.deploy.kubernetes import KubernetesTarget
from mlops_ci.deploy.protocol import DeployRequest
from mlops_ci.digest import sha256_file
from mlops_ci.errors import UserError
from tests.deploy.conftest import MakeRequest
from tests.deploy.manifest_schemas import kserve_container, validate_manifest
from tests.deploy.workspace import git, kubernetes_environment, one_commit_repo

ENVIRON = {"GITHUB_REPOSITORY": "Octo/Churn", "GITHUB_API_URL": "https://ghe.example/api/v3"}


def environment(**changes: object) -> Environment:
    return kubernetes_environment(**{"kind": "inferenceservice", **changes})


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return one_commit_repo(tmp_path / "repo")


@pytest.fixture
def promote(make_request: MakeRequest, repo: Path, churn_model_file: Path):  # type: ignore[no-untyped-def]
    """Deploy ``version`` for the promotion ``number`` of the stage; the committed manifest."""

    def run(env: Environment, version: str, number: int) -> dict[str, Any]:
        request: DeployRequest = replace(
            make_request(env, version, churn_model_file, environ=ENVIRON), workspace=repo,
            release_tag=f"churn@{version}", promotion=f"churn#production#{number}")
        KubernetesTarget().deploy(request)
        folder = repo / "deploy" / "production"
        for path in folder.glob("*.yaml"):
            validate_manifest(yaml.safe_load(path.read_text()))
        path = folder / "inferenceservice.yaml"
        if not path.is_file():
            return {}
        manifest = yaml.safe_load(path.read_text())
        runtime = yaml.safe_load((folder / "servingruntime.yaml").read_text())
        manifest["served"] = kserve_container(runtime, manifest["spec"]["predictor"])
        manifest["runtime"] = runtime
        return manifest

    return run


def commits(repo: Path) -> int:
    return int(git(repo, "rev-list", "--count", "HEAD"))


def test_predictor_serves_oip_with_the_release_model_checked_by_sha256(
    promote: Any, repo: Path, churn_model_file: Path
) -> None:
    manifest = promote(environment(), "v1.4.0", 1)

    assert manifest["apiVersion"] == "serving.kserve.io/v1beta1"
    assert manifest["kind"] == "InferenceService"
    assert manifest["metadata"]["namespace"] == "ml"
    predictor = manifest["spec"]["predictor"]
    assert predictor["minReplicas"] == 2
    assert "canaryTrafficPercent" not in predictor
    [fetch] = predictor["initContainers"]
    args = fetch["args"]
    assert args[args.index("--release") + 1] == (
        "https://ghe.example/api/v3/repos/Octo/Churn/releases/tags/churn%40v1.4.0")
    assert args[args.index("--asset") + 1] == churn_model_file.name
    assert args[args.index("--sha256") + 1] == sha256_file(churn_model_file)
    assert "--compile" in args  # into the model volume, with the server's trusted types
    assert args[args.index("--trusted-type") + 1] == "numpy.dtype"
    assert "containers" not in predictor  # KServe's model spec, run by our ServingRuntime
    model = predictor["model"]
    assert model["protocolVersion"] == "v2"
    assert model["modelFormat"] == {"name": "mlops-ci-skops", "version": "1"}
    runtime = manifest["runtime"]
    assert runtime["kind"] == "ServingRuntime"
    assert runtime["apiVersion"] == "serving.kserve.io/v1alpha1"
    assert runtime["metadata"]["name"] == model["runtime"]
    assert runtime["spec"]["protocolVersions"] == ["v2"]
    server = manifest["served"]
    assert server["name"] == "kserve-container"
    assert server["command"] == ["python", "-m", "mlops_ci.serving"]
    assert server["image"] == fetch["image"] == "ghcr.io/octo/mlops-ci:v0.1.0"
    assert server["readinessProbe"]["httpGet"] == {"path": "/v2/health/ready", "port": 8080}
    assert server["resources"]["requests"] == {"cpu": "250m", "memory": "512Mi"}
    assert server["args"][server["args"].index("--model") + 1] == "/mnt/models/model.skops"
    assert sorted(p.name for p in (repo / "deploy" / "production").iterdir()) == [
        "inferenceservice.yaml", "servingruntime.yaml"]
    assert KubernetesTarget().current_version(environment(), repo, {}) == "v1.4.0"


def test_canary_then_the_same_version_promoted_again_completes_it(
    promote: Any, repo: Path
) -> None:
    env = environment(canary=10)
    promote(env, "v1.0.0", 1)
    canary = promote(env, "v1.1.0", 2)

    assert canary["spec"]["predictor"]["canaryTrafficPercent"] == 10
    assert canary["metadata"]["annotations"]["mlops-ci.stable-version"] == "v1.0.0"
    assert KubernetesTarget().current_version(env, repo, {}) == "v1.1.0"
    assert KubernetesTarget().current_promotion(env, repo, {}) == "churn#production#2"
    before = commits(repo)
    assert promote(env, "v1.1.0", 2) == canary  # a rerun of the same promotion
    assert commits(repo) == before

    completed = promote(env, "v1.1.0", 3)

    assert "canaryTrafficPercent" not in completed["spec"]["predictor"]
    assert "mlops-ci.stable-version" not in completed["metadata"]["annotations"]
    assert completed["metadata"]["annotations"]["mlops-ci.version"] == "v1.1.0"
    assert KubernetesTarget().current_version(env, repo, {}) == "v1.1.0"
    assert commits(repo) == before + 1


def test_canary_rolled_back_by_promoting_the_stable_version_again(
    promote: Any, repo: Path
) -> None:
    env = environment(canary=25)
    promote(env, "v1.0.0", 1)
    promote(env, "v1.1.0", 2)

    rolled_back = promote(env, "v1.0.0", 3)

    predictor = rolled_back["spec"]["predictor"]
    assert "canaryTrafficPercent" not in predictor
    assert rolled_back["metadata"]["annotations"]["mlops-ci.version"] == "v1.0.0"
    args = rolled_back["served"]["args"]
    assert args[args.index("--version") + 1] == "v1.0.0"
    assert KubernetesTarget().current_version(env, repo, {}) == "v1.0.0"


def test_switching_kind_removes_the_other_kinds_manifests(promote: Any, repo: Path) -> None:
    promote(environment(kind="deployment"), "v1.0.0", 1)
    folder = repo / "deploy" / "production"
    assert sorted(p.name for p in folder.iterdir()) == ["deployment.yaml", "service.yaml"]

    promote(environment(), "v1.0.0", 1)

    assert sorted(p.name for p in folder.iterdir()) == [
        "inferenceservice.yaml", "servingruntime.yaml"]
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "ls-files", "deploy").splitlines() == [
        "deploy/production/inferenceservice.yaml", "deploy/production/servingruntime.yaml"]


def test_preflight_needs_the_repository_whose_releases_hold_the_models(
    make_request: MakeRequest, repo: Path, churn_model_file: Path
) -> None:
    request = replace(make_request(environment(), "v1.0.0", churn_model_file, environ={}),
                      workspace=repo, release_tag="churn@v1.0.0")
    with pytest.raises(UserError, match=r"GITHUB_REPOSITORY \(unset\) does not name"):
        KubernetesTarget().preflight(request)
    KubernetesTarget().preflight(replace(request, environ=ENVIRON))


def test_an_unknown_release_tag_is_a_user_error(
    make_request: MakeRequest, repo: Path, churn_model_file: Path
) -> None:
    request = replace(make_request(environment(), "v1.0.0", churn_model_file), workspace=repo)
    with pytest.raises(UserError, match="release tag is unknown"):
        KubernetesTarget().deploy(request)


S, V, C = "v1.0.0", "v1.1.0", "v1.2.0"


@pytest.mark.parametrize(
    ("committed", "version", "promotion", "canary", "expected"),
    [
        (None, V, "#1", 10, Rollout(V, promotion="#1")),  # nothing to split with yet
        (Rollout(S, promotion="#1"), V, "#2", None, Rollout(V, promotion="#2")),
        (Rollout(S, promotion="#1"), V, "#2", 10, Rollout(V, S, 10, "#2")),
        (Rollout(V, S, 10, "#2"), V, "#2", 10, Rollout(V, S, 10, "#2")),  # rerun
        (Rollout(V, S, 10, "#2"), V, "#3", 10, Rollout(V, promotion="#3")),  # complete
        (Rollout(V, S, 10, "#2"), S, "#3", 10, Rollout(S, promotion="#3")),  # roll back
        (Rollout(V, S, 10, "#2"), C, "#3", 20, Rollout(C, S, 20, "#3")),  # new canary vs S
        (Rollout(S, promotion="#1"), S, "#2", 10, Rollout(S, promotion="#1")),  # serves already
        (Rollout(V, S, 10, "#2"), V, "#3", None, Rollout(V, promotion="#3")),  # canary removed
    ],
)
def test_decide_rollout(committed: Rollout | None, version: str, promotion: str,
                        canary: int | None, expected: Rollout) -> None:
    assert decide_rollout(committed, version, promotion, canary) == expected
