"""The example model, loaded once per session, served on a thread for each test module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_ci.config.model import ModelSpec
from mlops_ci.serving.app import ServingApp
from mlops_ci.serving.columns import InputColumn
from mlops_ci.serving.predictor import Predictor
from mlops_ci.serving.server import RunningServer, start_in_thread
from tests.serving.example import churn_columns, churn_spec, train_churn


@pytest.fixture(scope="session")
def churn() -> ModelSpec:
    return churn_spec()


@pytest.fixture(scope="session")
def churn_model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_churn(tmp_path_factory.mktemp("churn-model"))


@pytest.fixture(scope="session")
def churn_columns_schema(churn: ModelSpec) -> tuple[InputColumn, ...]:
    return churn_columns(churn)


@pytest.fixture(scope="session")
def churn_predictor(churn: ModelSpec, churn_model_file: Path) -> Predictor:
    return Predictor.load("churn", churn_model_file, churn.evaluate.trusted_types,
                          churn_columns(churn), version="v1.0.0")


@pytest.fixture(scope="module")
def served(churn_predictor: Predictor) -> Iterator[RunningServer]:
    server = start_in_thread(ServingApp(churn_predictor))
    yield server
    server.stop()
