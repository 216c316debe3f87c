"""The docker target against the real engine: build, run, serve, and roll back on failure."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from mlops_ci.config.model import Environment, HealthCheck
from mlops_ci.deploy.docker import DockerTarget, container_name
from mlops_ci.deploy.protocol import DeployFailed
from mlops_ci.modelio import load_model
from tests.deploy.conftest import MakeRequest
from tests.serving.example import TEST_CSV, post_json, request, rows_of_test_set, train_churn

pytestmark = [pytest.mark.docker, pytest.mark.slow]

FEATURES = [
    "tenure_months",
    "monthly_charges",
    "total_charges",
    "support_calls",
    "contract",
    "payment_method",
    "region",
    "paperless",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(name: str) -> Environment:
    return Environment(
        name=name,
        stage="staging",
        backend="docker",
        port=free_port(),
        health=HealthCheck(timeout_seconds=60, interval_seconds=0.2),
    )


def serving_containers(client: Any, env: str) -> list[Any]:
    return client.containers.list(all=True, filters={"label": f"mlops-ci.environment={env}"})


def test_deploy_serves_the_model_and_a_failed_version_keeps_the_previous_one(
    make_request: MakeRequest,
    docker_environ: dict[str, str],
    docker_client: Any,
    churn_model_file: Path,
    tmp_path: Path,
    docker_model: str,
) -> None:
    target = DockerTarget()
    env = environment(f"{docker_model}-staging")
    url = f"http://127.0.0.1:{env.port}"

    first = target.deploy(
        make_request(env, "v1.0.0", churn_model_file, model=docker_model, environ=docker_environ)
    )
    assert first.url == url
    assert target.current_version(env, tmp_path, docker_environ) == "v1.0.0"
    table = pd.read_csv(TEST_CSV).head(200)
    rows = rows_of_test_set(200)
    answer = post_json(url, "/predict", {"rows": rows})
    assert answer.status == 200, answer.body
    local = load_model(churn_model_file, ["numpy.dtype"])
    assert answer.body["predictions"] == local.predict(table[FEATURES]).tolist()  # type: ignore[attr-defined]
    assert request(url, "GET", f"/v2/models/{docker_model}").body["versions"] == ["v1.0.0"]

    broken = tmp_path / "broken.skops"
    broken.write_bytes(b"\x80\x04 this is a pickle, not a skops file")
    with pytest.raises(DeployFailed) as failed:
        target.deploy(
            make_request(env, "v1.1.0", broken, model=docker_model, environ=docker_environ)
        )
    assert failed.value.previous_serving
    assert "exited with code 2" in failed.value.message
    assert "not a skops model file" in failed.value.message
    assert target.current_version(env, tmp_path, docker_environ) == "v1.0.0"
    assert request(url, "GET", "/v2/health/ready").status == 200
    assert [c.name for c in serving_containers(docker_client, env.name)] == [
        container_name(env.name, "v1.0.0")
    ]

    second_model = train_churn(tmp_path / "v2", seed=7)
    second = target.deploy(
        make_request(env, "v1.2.0", second_model, model=docker_model, environ=docker_environ)
    )
    assert "replaced v1.0.0" in second.detail
    assert target.current_version(env, tmp_path, docker_environ) == "v1.2.0"
    assert request(url, "GET", f"/v2/models/{docker_model}").body["versions"] == ["v1.2.0"]
    assert [c.name for c in serving_containers(docker_client, env.name)] == [
        container_name(env.name, "v1.2.0")
    ]


def test_the_served_predictions_are_logged_with_their_ids_when_asked(
    make_request: MakeRequest,
    docker_environ: dict[str, str],
    churn_model_file: Path,
    tmp_path: Path,
    docker_model: str,
) -> None:
    import dataclasses
    import json

    logs = tmp_path / "logs"
    logs.mkdir()
    env = environment(f"{docker_model}-logged")
    environ = {**docker_environ, "MLOPS_PREDICTION_LOG_DIR": str(logs)}
    deploy = dataclasses.replace(
        make_request(env, "v1.0.0", churn_model_file, model=docker_model, environ=environ),
        id_column="customer_id",
    )
    DockerTarget().deploy(deploy)
    rows = rows_of_test_set(3, with_ids=True)
    answer = post_json(f"http://127.0.0.1:{env.port}", "/predict", {"rows": rows})

    assert answer.status == 200, answer.body
    records = [json.loads(line) for line in (logs / f"{env.name}.jsonl").read_text().splitlines()]
    assert [r["id"] for r in records][-3:] == [str(row["customer_id"]) for row in rows]
    assert {r["version"] for r in records} == {"v1.0.0"}


def test_a_serving_base_that_is_absent_and_cannot_be_pulled_is_named(
    make_request: MakeRequest, docker_client: Any, churn_model_file: Path, docker_model: str,
) -> None:
    """The pull goes to a closed port on loopback: refused, and said so with the fix."""
    from mlops_ci.errors import UserError

    base = "127.0.0.1:9/mlops-ci-test/absent:never"
    env = environment(f"{docker_model}-staging")
    environ = {**os.environ, "MLOPS_CI_SERVING_BASE": base}

    with pytest.raises(UserError) as caught:
        DockerTarget().deploy(make_request(env, "v1.0.0", churn_model_file, model=docker_model,
                                           environ=environ))

    assert caught.value.message.startswith(
        f"the serving base image {base!r} is not on the Docker engine and cannot be pulled: ")
    assert caught.value.hint is not None and "MLOPS_CI_SERVING_BASE" in caught.value.hint
    assert serving_containers(docker_client, env.name) == []
