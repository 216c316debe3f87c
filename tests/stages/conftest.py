"""Fixtures for the train and evaluate stages: the churn example, trained once per session."""

from __future__ import annotations

import io

import pytest

from mlops_ci.config.loader import load_config
from mlops_ci.config.model import ModelSpec
from mlops_ci.stages.results import TrainResult
from mlops_ci.stages.train import train_model
from tests.stages.workspaces import EXAMPLE, runner_environ


@pytest.fixture(scope="session")
def churn() -> ModelSpec:
    return load_config(EXAMPLE / "mlops.yaml").model("churn")


@pytest.fixture(scope="session")
def churn_trained(tmp_path_factory: pytest.TempPathFactory, churn: ModelSpec) -> TrainResult:
    """The example's own train.py run through train_model once for the session."""
    output = tmp_path_factory.mktemp("churn-command")
    return train_model(churn, workspace=EXAMPLE, output_dir=output, environ=runner_environ(),
                       out=io.StringIO(), git_sha="0" * 40)
