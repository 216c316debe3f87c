"""Fixtures for deploy tests: the example model (trained once), requests, the Docker engine."""

from __future__ import annotations

import io
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mlops_ci.config.model import Environment, ModelSpec
from mlops_ci.deploy.probe import rows_from_csv
from mlops_ci.deploy.protocol import DeployRequest
from tests.deploy import docker_engine
from tests.serving.example import TEST_CSV, churn_columns, churn_spec, train_churn

MakeRequest = Callable[..., DeployRequest]


@pytest.fixture(scope="session")
def churn() -> ModelSpec:
    return churn_spec()


@pytest.fixture(scope="session")
def churn_model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_churn(tmp_path_factory.mktemp("churn-model"))


@pytest.fixture
def make_request(churn: ModelSpec, tmp_path: Path) -> MakeRequest:
    columns = churn_columns(churn)

    def make(environment: Environment, version: str, model_file: Path, *,
             model: str = "churn", environ: dict[str, str] | None = None,
             out: io.StringIO | None = None) -> DeployRequest:
        return DeployRequest(
            model=model, version=version, stage=environment.stage, model_file=model_file,
            environment=environment, columns=columns,
            trusted_types=churn.evaluate.trusted_types,
            smoke_rows=rows_from_csv(TEST_CSV, columns, environment.health.smoke_rows),
            workspace=tmp_path, scratch=tmp_path / "scratch" / version,
            environ=environ or {}, out=out or io.StringIO(),
        )

    return make


@pytest.fixture(scope="session")
def docker_client() -> Any:
    return docker_engine.engine()


@pytest.fixture(scope="session")
def serving_base(docker_client: Any) -> str:
    return docker_engine.serving_base(docker_client)


@pytest.fixture
def docker_model(docker_client: Any) -> Iterator[str]:
    """A model name of this test alone; its containers and images are removed afterwards
    (tests running in parallel each clean up only their own)."""
    name = f"churntest-{secrets.token_hex(4)}"
    yield name
    label = f"mlops-ci.model={name}"
    docker_engine.remove_labelled(docker_client, label)
    for image in docker_client.images.list(filters={"label": label}):
        docker_client.images.remove(image.id, force=True)


@pytest.fixture
def docker_environ(serving_base: str) -> dict[str, str]:
    """The environment a docker deploy gets: the serving base holds this tree's code."""
    return {**os.environ, "MLOPS_CI_SERVING_BASE": serving_base}
