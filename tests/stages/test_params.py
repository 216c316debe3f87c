"""Training parameters: train.params_file read and flattened like DVC's, recorded, diffed."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from mlops_ci.errors import UserError
from mlops_ci.stages.params import diff_records, params_record, read_record
from mlops_ci.stages.review_results import ParamChange
from mlops_ci.stages.train import train_model
from tests.stages.workspaces import runner_environ, tiny_workspace

ESTIMATOR = "estimator: {class: sklearn.linear_model.LogisticRegression, params: {C: 0.5}}"


def _train_with(root: Path, params_text: str, name: str = "params.yaml") -> object:
    model = tiny_workspace(root, f"{ESTIMATOR}\nparams_file: {name}",
                           files={name: params_text})
    return train_model(model, workspace=root, output_dir=root / "out",
                       environ=runner_environ(), out=io.StringIO())


def test_a_params_file_is_flattened_with_dots_and_recorded_beside_the_estimators(
    tmp_path: Path,
) -> None:
    text = "train:\n  lr: 0.1\n  layers: [64, 32]\n  optimizer: {name: adam}\nseed: 3\n"
    result = _train_with(tmp_path, text)

    record = params_record(result)  # type: ignore[arg-type]
    assert record["params.yaml"] == {"seed": 3, "train.layers": "[64, 32]", "train.lr": 0.1,
                                     "train.optimizer.name": "adam"}
    assert record["train.estimator.params"]["C"] == 0.5
    metadata = json.loads((tmp_path / "out" / "metadata.json").read_text())
    assert metadata["params_file"] == "params.yaml"
    assert metadata["file_params"]["train.lr"] == 0.1


@pytest.mark.parametrize(("text", "message"), [
    ("when: 2024-01-01\n", "params.yaml (models.tiny.train.params_file): params key 'when'"),
    ("- a\n- b\n", "params.yaml (models.tiny.train.params_file): a params file holds one "
     "mapping"),
    ("a: [1\n", "params.yaml (models.tiny.train.params_file): not a valid params file"),
])
def test_a_bad_params_file_exits_2_naming_the_file_and_key(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(UserError) as raised:
        _train_with(tmp_path, text)
    assert raised.value.exit_code == 2
    assert raised.value.message.startswith(message), raised.value.message


def test_a_missing_params_file_exits_2_before_training(tmp_path: Path) -> None:
    model = tiny_workspace(tmp_path, f"{ESTIMATOR}\nparams_file: params.json")
    with pytest.raises(UserError) as raised:
        train_model(model, workspace=tmp_path, output_dir=tmp_path / "out",
                    environ=runner_environ(), out=io.StringIO())
    assert raised.value.message == ("params.json (models.tiny.train.params_file): no such "
                                    "params file")
    assert not (tmp_path / "out" / "model.skops").exists()


def test_the_diff_keeps_changed_keys_only_like_dvc_params_diff() -> None:
    production = {"params.yaml": {"lr": 0.1, "epochs": 10, "gone": "x", "same": True}}
    candidate = {"params.yaml": {"lr": 0.2, "epochs": 10, "new": None, "same": True},
                 "train.estimator.params": {"C": 1.0}}

    assert diff_records(production, candidate) == (
        ParamChange("params.yaml", "gone", "x", None),
        ParamChange("params.yaml", "lr", "0.1", "0.2"),
        ParamChange("params.yaml", "new", None, "null"),
        ParamChange("train.estimator.params", "C", None, "1.0"),
    )


def test_a_release_params_json_that_is_not_a_record_reads_as_none(tmp_path: Path) -> None:
    path = tmp_path / "params.json"
    for text in ("[1, 2]", '{"params.yaml": 3}', "{not json"):
        path.write_text(text)
        assert read_record(path) is None
