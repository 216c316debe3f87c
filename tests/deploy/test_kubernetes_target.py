"""The kubernetes target: manifests rendered into the GitOps path and committed with git."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mlops_ci.config.model import Environment
from mlops_ci.deploy.kubernetes import KubernetesTarget
from mlops_ci.errors import UserError
from tests.deploy.conftest import MakeRequest
from tests.deploy.workspace import git


def environment(**changes: object) -> Environment:
    values: dict[str, object] = {"name": "churn-production", "stage": "production",
                                 "backend": "kubernetes", "manifests_path": "deploy/production",
                                 "namespace": "ml", "replicas": 3}
    values.update(changes)
    return Environment(**values)  # type: ignore[arg-type]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "README.md").write_text("x\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "start")
    return tmp_path


def test_renders_deployment_and_service_and_commits_them(
    make_request: MakeRequest, repo: Path, churn_model_file: Path
) -> None:
    target = KubernetesTarget()
    env = environment()
    request = make_request(env, "v1.4.0", churn_model_file,
                           environ={"GITHUB_REPOSITORY": "Octo/Churn"})
    request = type(request)(**{**{f: getattr(request, f) for f in request.__slots__},
                               "workspace": repo})

    deployed = target.deploy(request)

    folder = repo / "deploy" / "production"
    deployment = yaml.safe_load((folder / "deployment.yaml").read_text())
    service = yaml.safe_load((folder / "service.yaml").read_text())
    assert deployment["kind"] == "Deployment"
    assert deployment["metadata"]["namespace"] == "ml"
    assert deployment["spec"]["replicas"] == 3
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "ghcr.io/octo/churn/churn-serving:v1.4.0"
    assert container["readinessProbe"]["httpGet"]["path"] == "/v2/health/ready"
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert git(repo, "log", "-1", "--format=%s") == "deploy churn v1.4.0 to churn-production"
    assert git(repo, "status", "--porcelain") == ""
    assert "committed" in deployed.detail
    assert target.current_version(env, repo, {}) == "v1.4.0"

    again = target.deploy(request)

    assert again.detail.endswith("unchanged")
    assert git(repo, "rev-list", "--count", "HEAD") == "2"


def test_a_path_outside_the_repository_is_refused(
    make_request: MakeRequest, repo: Path, churn_model_file: Path
) -> None:
    env = environment(manifests_path="../elsewhere")
    request = make_request(env, "v1.4.0", churn_model_file)
    request = type(request)(**{**{f: getattr(request, f) for f in request.__slots__},
                               "workspace": repo})
    with pytest.raises(UserError, match="leaves the repository"):
        KubernetesTarget().deploy(request)
