"""train_model: the user's command, a declared estimator, and every way training can fail."""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import sys
from pathlib import Path
from typing import Any

import pytest

from mlops_ci.config.model import ModelSpec
from mlops_ci.errors import UserError
from mlops_ci.modelio import load_model, save_model
from mlops_ci.stages.results import TrainResult
from mlops_ci.stages.train import train_model
from tests.stages.workspaces import EXAMPLE, runner_environ, tiny_workspace

PY = sys.executable


def _train(model: ModelSpec, root: Path, out: io.StringIO | None = None) -> TrainResult:
    return train_model(model, workspace=root, output_dir=root / "out",
                       environ=runner_environ(), out=out or io.StringIO())


def _command(script: str, **extra: str) -> str:
    lines = [f"command: [{PY}, {script}]"] + [f"{key}: {value}" for key, value in extra.items()]
    return "\n".join(lines)


# -- the user's command ------------------------------------------------------------------


def test_the_example_trains_through_its_command(churn_trained: TrainResult) -> None:
    result = churn_trained
    assert result.method == "command"
    assert result.command == ("python", "train.py")
    assert result.model_path.name == "model.skops"
    assert result.sha256 == hashlib.sha256(result.model_path.read_bytes()).hexdigest()
    assert result.untrusted_types == ("numpy.dtype",)
    assert dict(result.params)["C"] == 1.0  # from the params.json train.py wrote
    assert [(f.role, f.path) for f in result.data_files] == [
        ("train", "data/train.csv"), ("test", "data/test.csv"),
        ("reference", "data/reference.csv")]
    train_hash = hashlib.sha256((EXAMPLE / "data" / "train.csv").read_bytes()).hexdigest()
    assert result.data_files[0].sha256 == train_hash


def test_metadata_json_beside_the_model_is_strict_and_complete(
    churn_trained: TrainResult,
) -> None:
    def refuse(name: str) -> None:
        raise AssertionError(f"{name} in metadata.json")

    meta = json.loads(churn_trained.metadata_path.read_text(), parse_constant=refuse)
    assert churn_trained.metadata_path.parent == churn_trained.model_path.parent
    assert meta["sha256"] == churn_trained.sha256
    assert meta["git_sha"] == "0" * 40
    assert meta["seed"] == 42
    assert set(meta["versions"]) == {"python", "scikit-learn", "skops", "numpy", "pandas",
                                     "scipy"}
    assert meta["duration_seconds"] > 0


def test_the_command_gets_the_documented_environment(tmp_path: Path) -> None:
    premade = tmp_path / "premade.skops"
    save_model({"weights": [1, 2]}, premade)
    script = (
        "import json, os, shutil, pathlib\n"
        "out = pathlib.Path(os.environ['MLOPS_OUTPUT_DIR'])\n"
        "names = [n for n in os.environ if n.startswith('MLOPS_')] + ['EXTRA']\n"
        "(out / 'env.json').write_text(json.dumps({n: os.environ[n] for n in names}))\n"
        "(out / 'cwd.txt').write_text(os.getcwd())\n"
        "shutil.copy('premade.skops', out / 'model.skops')\n"
    )
    model = tiny_workspace(tmp_path, _command("train.py", seed="7", env="{EXTRA: 'yes'}"),
                           files={"train.py": script})
    _train(model, tmp_path)
    env = json.loads((tmp_path / "out" / "env.json").read_text())
    assert env == {
        "MLOPS_TRAIN_DATA": str(tmp_path / "data" / "train.csv"),
        "MLOPS_TEST_DATA": str(tmp_path / "data" / "test.csv"),
        "MLOPS_REFERENCE_DATA": str(tmp_path / "data" / "train.csv"),
        "MLOPS_TARGET": "y",
        "MLOPS_OUTPUT_DIR": str(tmp_path / "out"),
        "MLOPS_SEED": "7",
        "MLOPS_MODEL_NAME": "tiny",
        "EXTRA": "yes",
    }
    assert (tmp_path / "out" / "cwd.txt").read_text() == str(tmp_path)


def test_train_env_cannot_override_the_documented_variables(tmp_path: Path) -> None:
    model = tiny_workspace(tmp_path, _command("train.py", env="{MLOPS_SEED: '1'}"),
                           files={"train.py": ""})
    with pytest.raises(UserError, match=r"models\.tiny\.train\.env\.MLOPS_SEED"):
        _train(model, tmp_path)


def test_a_failing_command_is_a_user_error_with_the_tail_of_its_log(tmp_path: Path) -> None:
    script = "print('loading data')\nraise SystemExit('train.py: column x is all empty')\n"
    model = tiny_workspace(tmp_path, _command("train.py"), files={"train.py": script})
    out = io.StringIO()
    with pytest.raises(UserError) as caught:
        _train(model, tmp_path, out)
    message = caught.value.message
    assert message.startswith(f"the training command of tiny (`{PY} train.py`) failed with "
                              "exit code 1")
    assert "train.py: column x is all empty" in message
    assert "loading data" in out.getvalue()  # streamed as it ran


def test_a_training_that_runs_too_long_is_stopped(tmp_path: Path) -> None:
    script = "import time\nprint('epoch 1', flush=True)\ntime.sleep(30)\n"
    model = tiny_workspace(tmp_path, _command("train.py", timeout="1"),
                           files={"train.py": script})
    with pytest.raises(UserError) as caught:
        _train(model, tmp_path)
    assert "timed out after 1s" in caught.value.message
    assert "epoch 1" in caught.value.message
    assert "train.timeout" in (caught.value.hint or "")


def test_a_command_that_writes_no_model_says_what_it_wrote(tmp_path: Path) -> None:
    script = "import os, pathlib\n(pathlib.Path(os.environ['MLOPS_OUTPUT_DIR']) / 'model.pkl')" \
             ".write_text('x')\n"
    model = tiny_workspace(tmp_path, _command("train.py"), files={"train.py": script})
    (tmp_path / "out").mkdir()
    save_model({"stale": True}, tmp_path / "out" / "model.skops")  # from an earlier run
    with pytest.raises(UserError) as caught:
        _train(model, tmp_path)
    assert "exited 0 but wrote no model.skops" in caught.value.message
    assert "it wrote: model.pkl" in caught.value.message


def test_a_command_that_writes_a_pickle_is_refused(tmp_path: Path) -> None:
    script = ("import os, pathlib, pickle\n"
              "(pathlib.Path(os.environ['MLOPS_OUTPUT_DIR']) / 'model.skops')"
              ".write_bytes(pickle.dumps({'a': 1}))\n")
    model = tiny_workspace(tmp_path, _command("train.py"), files={"train.py": script})
    with pytest.raises(UserError, match=r"not a skops model file.*pickle"):
        _train(model, tmp_path)


def test_a_model_with_types_evaluate_would_refuse_is_refused_at_training(
    tmp_path: Path,
) -> None:
    from sklearn.preprocessing import FunctionTransformer

    save_model(FunctionTransformer(func=len), tmp_path / "premade.skops")
    script = ("import os, shutil\n"
              "shutil.copy('premade.skops', os.path.join(os.environ['MLOPS_OUTPUT_DIR'], "
              "'model.skops'))\n")
    model = tiny_workspace(tmp_path, _command("train.py"), files={"train.py": script})
    with pytest.raises(UserError) as caught:
        _train(model, tmp_path)
    assert ("models.tiny.evaluate.trusted_types does not trust: builtins.len (never trusted: "
            "module builtins can run code") in caught.value.message


# -- a declared estimator ------------------------------------------------------------------


def test_a_declared_estimator_is_fitted_in_a_pipeline(tmp_path: Path) -> None:
    model = tiny_workspace(
        tmp_path,
        "estimator: {class: sklearn.linear_model.LogisticRegression, params: {C: 2.0}}\n"
        "seed: 3",
    )
    result = _train(model, tmp_path)
    assert result.method == "estimator"
    assert result.estimator == "sklearn.linear_model.LogisticRegression"
    params = dict(result.params)
    assert params["C"] == 2.0
    assert params["random_state"] == 3  # train.seed, since the params do not set it
    pipeline: Any = load_model(result.model_path, ["numpy.dtype"])
    steps = pipeline.named_steps["features"].transformers
    assert [(name, list(columns)) for name, _, columns in steps] == [
        ("numeric", ["x"]), ("categorical", ["colour", "flag"])]
    import pandas as pd

    frame = pd.DataFrame({"x": [0.1, 1.9], "colour": ["red", "unseen"], "flag": [True, False]})
    assert list(pipeline.predict(frame)) == [0, 1]


def test_the_example_trains_a_random_forest_with_no_trusted_types(
    tmp_path: Path, churn: ModelSpec
) -> None:
    import dataclasses

    from mlops_ci.config.model import Estimator

    spec = dataclasses.replace(
        churn.train, command=None,
        estimator=Estimator("sklearn.ensemble.RandomForestClassifier",
                            (("n_estimators", 20), ("max_depth", 5))))
    model = dataclasses.replace(churn, train=spec, evaluate=dataclasses.replace(
        churn.evaluate, trusted_types=()))
    result = train_model(model, workspace=EXAMPLE, output_dir=tmp_path,
                         environ=runner_environ(), out=io.StringIO())
    assert dict(result.params)["n_estimators"] == 20
    assert result.untrusted_types == ("numpy.dtype", "sklearn.tree._tree.Tree")
    loaded: Any = load_model(result.model_path, ())
    assert type(loaded[-1]).__name__ == "RandomForestClassifier"


@pytest.mark.parametrize(
    "class_path", ["subprocess.Popen", "os.system", "evil_module.Model", "sklearn_x.Foo"]
)
def test_only_sklearn_classes_are_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, class_path: str
) -> None:
    marker = tmp_path / "imported"
    (tmp_path / "evil_module.py").write_text(f"open({str(marker)!r}, 'w')\nclass Model: ...\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    model = tiny_workspace(tmp_path, f"estimator: {{class: {class_path}}}")
    with pytest.raises(UserError) as caught:
        _train(model, tmp_path)
    assert caught.value.message.startswith(
        f"models.tiny.train.estimator.class: {class_path!r} is not a scikit-learn class")
    assert not marker.exists()


def test_a_bad_param_name_names_the_config_key(tmp_path: Path) -> None:
    model = tiny_workspace(
        tmp_path,
        "estimator: {class: sklearn.ensemble.RandomForestClassifier, "
        "params: {n_estimatorz: 5}}",
    )
    with pytest.raises(UserError) as caught:
        _train(model, tmp_path)
    assert caught.value.message == (
        "models.tiny.train.estimator.params.n_estimatorz: RandomForestClassifier has no "
        "parameter 'n_estimatorz'")
    assert caught.value.hint == "did you mean 'n_estimators'?"


def test_a_bad_param_value_names_the_config_key(tmp_path: Path) -> None:
    model = tiny_workspace(
        tmp_path,
        "estimator: {class: sklearn.ensemble.RandomForestClassifier, "
        "params: {n_estimators: -3}}",
    )
    with pytest.raises(UserError) as caught:
        _train(model, tmp_path)
    assert caught.value.message.startswith(
        "models.tiny.train.estimator.params.n_estimators: The 'n_estimators' parameter")


def test_a_regressor_for_a_classification_task_is_refused(tmp_path: Path) -> None:
    model = tiny_workspace(tmp_path, "estimator: {class: sklearn.linear_model.LinearRegression}")
    with pytest.raises(UserError, match="LinearRegression is not a classifier"):
        _train(model, tmp_path)


def test_an_unknown_class_suggests_the_right_one(tmp_path: Path) -> None:
    model = tiny_workspace(tmp_path,
                           "estimator: {class: sklearn.linear_model.LogisticRegresion}")
    with pytest.raises(UserError) as caught:
        _train(model, tmp_path)
    assert caught.value.hint == "did you mean sklearn.linear_model.LogisticRegression?"


def test_bad_values_in_the_training_data_are_named_by_line(tmp_path: Path) -> None:
    model = tiny_workspace(tmp_path, "estimator: {class: sklearn.tree.DecisionTreeClassifier}")
    path = tmp_path / "data" / "train.csv"
    path.write_text(path.read_text().replace("0.3,", "zero point three,", 1))
    with pytest.raises(UserError) as caught:
        _train(model, tmp_path)
    assert "data/train.csv:5:1: x: 1 value is not float: 'zero point three'" in str(
        caught.value)


def test_pickle_is_never_used_to_save(tmp_path: Path) -> None:
    model = tiny_workspace(tmp_path, "estimator: {class: sklearn.dummy.DummyClassifier}")
    result = _train(model, tmp_path)
    with pytest.raises(pickle.UnpicklingError):
        pickle.loads(result.model_path.read_bytes())  # noqa: S301 -- proves it is no pickle


def _histgb(churn: ModelSpec, **data_changes: object) -> ModelSpec:
    import dataclasses

    from mlops_ci.config.model import Estimator

    train = dataclasses.replace(churn.train, command=None, estimator=Estimator(
        "sklearn.ensemble.HistGradientBoostingClassifier", (("max_iter", 50),)))
    evaluate = dataclasses.replace(churn.evaluate, trusted_types=())  # none needed
    return dataclasses.replace(churn, train=train, evaluate=evaluate,
                               data=dataclasses.replace(churn.data, **data_changes))


def test_an_estimator_that_refuses_sparse_input_trains_on_categorical_columns(
    tmp_path: Path, churn: ModelSpec
) -> None:
    """HistGradientBoosting (the estimator `init` suggests) takes only dense input: the
    one-hot encoding is dense, so the example's category columns train."""
    result = train_model(_histgb(churn), workspace=EXAMPLE, output_dir=tmp_path,
                         environ=runner_environ(), out=io.StringIO())

    assert result.method == "estimator"
    assert (tmp_path / churn.train.model_file).is_file()


def test_a_column_that_identifies_rows_is_refused_as_a_feature(
    tmp_path: Path, churn: ModelSpec
) -> None:
    with pytest.raises(UserError) as caught:
        train_model(_histgb(churn, id_column=None), workspace=EXAMPLE, output_dir=tmp_path,
                    environ=runner_environ(), out=io.StringIO())

    assert caught.value.message == (
        "models.churn.train.estimator: column 'customer_id' has a different value in each of "
        "the 3,000 training rows, so it identifies rows and cannot be a feature")
    assert caught.value.hint == "declare it as data.id_column: customer_id"
    assert caught.value.exit_code == 2



def test_two_trainings_of_the_same_estimator_give_the_same_sha256(tmp_path: Path) -> None:
    spec = "estimator: {class: sklearn.ensemble.RandomForestClassifier, params: {n_estimators: 5}}"
    shas = []
    for run in ("one", "two"):
        model = tiny_workspace(tmp_path / run, spec)
        shas.append(_train(model, tmp_path / run).sha256)
    assert shas[0] == shas[1]


def test_two_runs_of_a_command_that_dumps_with_skops_give_the_same_sha256(
    tmp_path: Path,
) -> None:
    script = (
        "import os, numpy, skops.io\n"
        "from sklearn.ensemble import RandomForestClassifier\n"
        "x = numpy.random.RandomState(int(os.environ['MLOPS_SEED'])).rand(30, 2)\n"
        "model = RandomForestClassifier(n_estimators=3, random_state=0).fit(x, x[:, 0] > .5)\n"
        "skops.io.dump(model, os.path.join(os.environ['MLOPS_OUTPUT_DIR'], 'model.skops'))\n"
    )
    shas = []
    for run in ("one", "two"):
        model = tiny_workspace(tmp_path / run, _command("fit.py"), files={"fit.py": script})
        shas.append(_train(model, tmp_path / run).sha256)
    assert shas[0] == shas[1]
