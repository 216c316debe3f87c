"""The rendered InferenceService's pod, run without Kubernetes: its init container's command and
arguments, then its server container's, exactly as rendered (only ``/mnt/models`` and the port
moved to the test's), against a release on the fake GitHub. The server must come up ready on
the readiness path and answer predictions for the model the init container fetched."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from mlops_ci.config.model import Environment
from mlops_ci.deploy.inferenceservice import MODEL_DIR
from mlops_ci.deploy.kubernetes import render
from mlops_ci.deploy.probe import smoke_test, wait_ready
from mlops_ci.forge.github import GitHubApi
from mlops_ci.forge.github_forge import GitHubForge
from mlops_ci.forge.protocol import AssetFile
from tests.deploy.conftest import MakeRequest
from tests.deploy.manifest_schemas import kserve_container
from tests.deploy.workspace import FAST, REPO
from tests.fakegithub import FakeGitHub

ENVIRONMENT = Environment(name="churn-production", stage="production", backend="kubernetes",
                          manifests_path="deploy", kind="inferenceservice")


def command_of(container: dict[str, Any], models: Path, port: int) -> list[str]:
    """The container's command line, run by this interpreter, with the pod's paths moved."""
    command = [sys.executable if part == "python" else part for part in container["command"]]
    args = [part.replace(MODEL_DIR, str(models)) for part in container["args"]]
    if "--port" in args:
        args[args.index("--port") + 1] = str(port)
        args += ["--host", "127.0.0.1"]
    return command + args


@pytest.fixture
def pod(fake_github: FakeGitHub, make_request: MakeRequest,
        churn_model_file: Path) -> dict[str, Any]:
    """The predictor of the InferenceService of churn v1.0.0, released on the fake GitHub."""
    fake_github.create_repo(REPO)
    api = GitHubApi(api_url=fake_github.api_url, token=fake_github.token, repository=REPO,
                    policy=FAST, timeout=5,
                    seconds_between_writes=0)
    forge = GitHubForge(api)
    forge.ensure_release("churn@v1.0.0", "churn v1.0.0", "card",
                         [AssetFile("model.skops", churn_model_file)])
    forge.close()
    fake_github.redirect_downloads = True
    environ = {"GITHUB_API_URL": fake_github.api_url, "GITHUB_REPOSITORY": REPO}
    request = replace(make_request(ENVIRONMENT, "v1.0.0", churn_model_file, environ=environ),
                      release_tag="churn@v1.0.0")
    manifests = render(request)
    predictor: dict[str, Any] = manifests["inferenceservice.yaml"]["spec"]["predictor"]
    predictor["containers"] = [kserve_container(manifests["servingruntime.yaml"], predictor)]
    predictor["smoke_rows"] = request.smoke_rows
    return predictor


def test_the_pod_fetches_the_model_then_serves_it_ready(
    pod: dict[str, Any], fake_github: FakeGitHub, tmp_path: Path
) -> None:
    models = tmp_path / "models"
    [fetch] = pod["initContainers"]
    env = {**os.environ, "GITHUB_TOKEN": fake_github.token}
    fetched = subprocess.run(command_of(fetch, models, 0), capture_output=True, text=True,
                             env=env, timeout=60, check=False)
    assert fetched.returncode == 0, fetched.stderr
    assert "compiled " in fetched.stdout, fetched.stdout
    assert sorted(path.name for path in models.iterdir()) == [
        "columns.json", "model.skops", "model.skops.fused.npz"]

    [server] = pod["containers"]
    process = subprocess.Popen(command_of(server, models, 0), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("serving churn on http://127.0.0.1:"), process.stderr
        url = line.split()[3]
        ready = wait_ready(url, server["readinessProbe"]["httpGet"]["path"],
                           timeout_seconds=30, interval_seconds=0.2)
        assert ready.ok, ready.detail
        answered = smoke_test(url, pod["smoke_rows"])
        assert answered.ok, answered.detail
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert "fused: ColumnTransformer -> LogisticRegression (fused), compiled ahead of time" in err
