"""train_model on what a previous run or the user's command left in the output folder."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from mlops_ci.errors import UserError
from mlops_ci.stages.train import train_model
from tests.stages.workspaces import runner_environ, tiny_workspace

PY = sys.executable
FIT = (
    "import os, pandas as pd, skops.io as sio\n"
    "from sklearn.linear_model import LogisticRegression\n"
    "data = pd.read_csv(os.environ['MLOPS_TRAIN_DATA'])\n"
    "model = LogisticRegression().fit(data[['x']], data['y'])\n"
    "out = os.environ['MLOPS_OUTPUT_DIR']\n"
    "sio.dump(model, os.path.join(out, 'model.skops'))\n"
)


def test_a_folder_left_where_the_model_goes_is_cleared_before_training(tmp_path: Path) -> None:
    model = tiny_workspace(tmp_path, f"command: [{PY}, train.py]", files={"train.py": FIT})
    (tmp_path / "out" / "model.skops" / "inside").mkdir(parents=True)  # a broken earlier run

    result = train_model(model, workspace=tmp_path, output_dir=tmp_path / "out",
                         environ=runner_environ(), out=io.StringIO())

    assert result.model_path.is_file()


def test_a_command_that_writes_a_folder_for_the_model_is_a_user_error(tmp_path: Path) -> None:
    script = "import os\nos.makedirs(os.path.join(os.environ['MLOPS_OUTPUT_DIR'], 'model.skops'))\n"
    model = tiny_workspace(tmp_path, f"command: [{PY}, train.py]", files={"train.py": script})
    for _ in range(2):  # and the folder it left does not break the next run
        with pytest.raises(UserError, match=r"wrote no model\.skops"):
            train_model(model, workspace=tmp_path, output_dir=tmp_path / "out",
                        environ=runner_environ(), out=io.StringIO())


def test_a_params_json_nested_too_deep_to_read_is_left_out(tmp_path: Path) -> None:
    script = FIT + (
        "open(os.path.join(out, 'params.json'), 'w').write("
        "'{\"a\": ' + '[' * 100000 + ']' * 100000 + '}')\n"
    )
    model = tiny_workspace(tmp_path, f"command: [{PY}, train.py]", files={"train.py": script})

    result = train_model(model, workspace=tmp_path, output_dir=tmp_path / "out",
                         environ=runner_environ(), out=io.StringIO())

    assert result.params == ()
