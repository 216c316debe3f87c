"""Configs the plan tests share: loaded once from real mlops.yaml files in a temp workspace."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mlops_ci.config.loader import load_config
from mlops_ci.config.model import Config

# Two models: churn (monitored, pre-releases go to staging, retrains on "retrain-now" too) and
# fraud, kept in a subfolder (registry name models/fraud:fraud), not monitored.
TWO_MODELS = """\
version: 1
default_branch: {branch}
stages: [staging, production]
models:
  churn:
    data: {{train: data/train.csv, test: data/test.csv, target: churned}}
    train: {{command: [python, train.py]}}
    evaluate: {{task: classification, metrics: [accuracy]}}
    register: {{prerelease_stage: staging}}
    monitor:
      production_data: [data/train.csv]
      schedule: "0 6 * * *"
      actions: {{dispatch_event_type: retrain-now}}
  fraud:
    path: models/fraud
    data: {{train: data/train.csv, test: data/test.csv, target: churned}}
    train: {{command: [python, train.py]}}
    evaluate: {{task: classification, metrics: [accuracy]}}
    monitor:
      production_data: [data/train.csv]
      schedule: "30 2 * * 1"
{triggers}"""

# TWO_MODELS without fraud: churn alone.
ONE_MODEL = TWO_MODELS[: TWO_MODELS.index("  fraud:\n")] + "{triggers}"


@pytest.fixture(scope="session")
def load_text(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Config]:
    """Write ``text`` as mlops.yaml in a fresh workspace with data files, and load it."""

    def load(text: str) -> Config:
        root = tmp_path_factory.mktemp("workspace")
        (root / "data").mkdir()
        for name in ("train.csv", "test.csv"):
            (root / "data" / name).write_text("x,churned\n1,0\n2,1\n", encoding="utf-8")
        (root / "train.py").write_text("", encoding="utf-8")  # what train.command runs
        path = root / "mlops.yaml"
        path.write_text(text, encoding="utf-8")
        return load_config(path)

    return load


@pytest.fixture(scope="session")
def two_models(load_text: Callable[[str], Config]) -> Config:
    """TWO_MODELS with the default branch ``main`` and default triggers."""
    return load_text(TWO_MODELS.format(branch="main", triggers=""))


@pytest.fixture(scope="session")
def on_master(load_text: Callable[[str], Config]) -> Config:
    """TWO_MODELS on ``master``, the default branch of the webhook corpus's repositories."""
    return load_text(TWO_MODELS.format(branch="master", triggers=""))


@pytest.fixture(scope="session")
def one_model(load_text: Callable[[str], Config]) -> Config:
    """ONE_MODEL with the default branch ``main`` and default triggers."""
    return load_text(ONE_MODEL.format(branch="main", triggers=""))
