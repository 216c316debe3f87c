"""The deploy stage with the docker target on the real engine and the fake GitHub."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from mlops_ci.stages.base import Status
from tests.deploy.test_stage import deploy, statuses
from tests.deploy.workspace import REPO, make_workspace
from tests.fakegithub import FakeGitHub
from tests.serving.example import request

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_docker_deploy_records_statuses_with_the_url_and_a_rerun_writes_nothing(
    fake_github: FakeGitHub, tmp_path: Path, churn_model_file: Path,
    docker_environ: dict[str, str], docker_model: str,
) -> None:
    port = free_port()
    environments = (
        "    deploy:\n"
        "      environments:\n"
        f"        {docker_model}-production:\n"
        "          stage: production\n"
        "          backend: docker\n"
        f"          port: {port}\n"
        "          health: {timeout: 60s, interval: 1s}\n"
    )
    workspace = make_workspace(tmp_path / "repo", fake_github, environments)
    # The container's model name is the config's; the cleanup finds it by this model label.
    text = (workspace.root / "mlops.yaml").read_text().replace("  churn:\n", f"  {docker_model}:\n")
    (workspace.root / "mlops.yaml").write_text(text)
    from mlops_ci.config.loader import load_config

    workspace.config = load_config(workspace.root / "mlops.yaml")
    registration = workspace.register("v1.0.0", churn_model_file, model=docker_model)
    assert registration == f"{docker_model}@v1.0.0"
    promotion = workspace.promote("v1.0.0", model=docker_model)
    environ = {"MLOPS_CI_SERVING_BASE": docker_environ["MLOPS_CI_SERVING_BASE"]}

    result = deploy(workspace, promotion, model=docker_model, **environ)

    assert result.status is Status.PASSED, result.summary
    url = f"http://127.0.0.1:{port}"
    assert statuses(fake_github, "v1.0.0") == ["queued", "in_progress", "success"]
    [deployment] = fake_github.repo(REPO).deployments
    assert deployment.statuses[-1].environment_url == url
    assert request(url, "GET", f"/v2/models/{docker_model}").body["versions"] == ["v1.0.0"]
    writes = len(fake_github.writes())

    again = deploy(workspace, promotion, model=docker_model, **environ)

    assert "nothing to do" in again.summary
    assert len(fake_github.writes()) == writes
