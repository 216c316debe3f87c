"""``train.requirements``: the default file beside mlops.yaml, a declared one, none."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_ci.config.loader import load_config
from mlops_ci.config.schema import load_schema
from mlops_ci.errors import ConfigError
from tests.config.samples import MINIMAL, WriteConfig

COMMAND = "      command: [python, train.py]\n"


def with_requirements(value: str) -> str:
    assert COMMAND in MINIMAL
    return MINIMAL.replace(COMMAND, f"{COMMAND}      requirements: {value}\n")


def test_requirements_txt_beside_the_config_is_the_default(
    write_config: WriteConfig, workspace: Path
) -> None:
    (workspace / "requirements.txt").write_text("xgboost>=2\n", encoding="utf-8")

    config = load_config(write_config(MINIMAL))

    assert config.model("churn").train.requirements == "requirements.txt"


def test_without_a_requirements_txt_there_is_none(write_config: WriteConfig) -> None:
    assert load_config(write_config(MINIMAL)).model("churn").train.requirements is None


def test_a_declared_file_is_used(write_config: WriteConfig, workspace: Path) -> None:
    (workspace / "requirements.txt").write_text("pytest\n", encoding="utf-8")
    (workspace / "deps").mkdir()
    (workspace / "deps" / "train.txt").write_text("xgboost>=2\n", encoding="utf-8")

    config = load_config(write_config(with_requirements("deps/train.txt")))

    assert config.model("churn").train.requirements == "deps/train.txt"


def test_false_turns_the_default_off(write_config: WriteConfig, workspace: Path) -> None:
    (workspace / "requirements.txt").write_text("pytest\n", encoding="utf-8")

    config = load_config(write_config(with_requirements("false")))

    assert config.model("churn").train.requirements is None


def test_a_declared_file_that_is_missing_is_named_at_its_line(
    write_config: WriteConfig,
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(with_requirements("deps/ml.txt")))

    (problem,) = caught.value.problems
    assert problem.path == "models.churn.train.requirements"
    assert problem.line == MINIMAL.splitlines().index(COMMAND.rstrip("\n")) + 2
    assert "'deps/ml.txt' does not exist" in problem.message


@pytest.mark.parametrize("value", ["true", "3", "''", "[a.txt]"])
def test_anything_but_a_file_name_or_false_is_refused(
    write_config: WriteConfig, value: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(with_requirements(value)))

    assert [p.path for p in caught.value.problems] == ["models.churn.train.requirements"]


def test_the_schema_documents_the_key_and_its_default() -> None:
    train = load_schema()["$defs"]["train"]["properties"]  # type: ignore[index]
    description = train["requirements"]["description"]
    assert "Default: requirements.txt" in description
    assert "actions/cache" in description
