"""``evaluate.positive_class`` on breast cancer data (target 0 = malignant, 1 = benign):
the metrics it changes, what the report says, and what validate and evaluate refuse."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from mlops_ci.cli import main
from mlops_ci.errors import UserError
from mlops_ci.metrics import compute, predict
from tests.commands.test_own_metrics import cancer_repo, local_run, report

GATED = "gates: [{metric: recall, min: 0.5}]\n"


def _cancer_model() -> tuple[object, object, object]:
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    features, target = load_breast_cancer(return_X_y=True, as_frame=True)
    features = features.iloc[:, :5]  # the features cancer_repo's CSVs hold
    model = make_pipeline(StandardScaler(), LogisticRegression())
    model.fit(features.iloc[::2], target.iloc[::2])
    return model, features.iloc[1::2], target.iloc[1::2]


def test_positive_class_0_computes_recall_of_malignant_as_scikit_learn_does() -> None:
    from sklearn.metrics import f1_score, recall_score, roc_auc_score

    model, features, target = _cancer_model()
    names = ("recall", "f1", "roc_auc")

    plain = predict(model, features, target, "classification")
    default = {v.name: v.value for v in compute(names, plain)}
    malignant = predict(model, features, target, "classification", positive_class=0)
    chosen = {v.name: v.value for v in compute(names, malignant)}

    predicted = model.predict(features)  # type: ignore[attr-defined]
    assert malignant.positive_class == 0
    assert chosen["recall"] == recall_score(target, predicted, pos_label=0)
    assert chosen["f1"] == f1_score(target, predicted, pos_label=0)
    assert default["recall"] == recall_score(target, predicted, pos_label=1)
    assert chosen["recall"] != default["recall"]
    proba = model.predict_proba(features)  # type: ignore[attr-defined]
    assert chosen["roc_auc"] == pytest.approx(roc_auc_score(target == 0, proba[:, 0]))


def test_a_positive_class_the_model_does_not_know_is_refused_naming_it_and_the_classes() -> None:
    model, features, target = _cancer_model()

    with pytest.raises(UserError) as refused:
        predict(model, features, target, "classification", positive_class="malignant")

    assert refused.value.message == (
        "evaluate.positive_class 'malignant' is not one of the model's classes (0, 1)"
    )


def test_the_report_states_the_default_positive_class(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = cancer_repo(tmp_path, evaluate=GATED)

    code, err = local_run(repo, monkeypatch)

    assert (code, err) == (0, "")
    assert "Positive class: `1` (the default: the last of the model's classes" in report(repo)


def test_positive_class_0_changes_the_runs_recall_and_the_report_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sklearn.metrics import recall_score

    repo = cancer_repo(tmp_path, evaluate="positive_class: 0\n" + GATED)

    code, err = local_run(repo, monkeypatch)

    assert (code, err) == (0, "")
    assert "Positive class: `0` (evaluate.positive_class)" in report(repo)
    evaluation = json.loads((repo / ".mlops/run/cancer/evaluation.json").read_text())
    assert (evaluation["positive_class"], evaluation["positive_class_declared"]) == ("0", True)
    [recall] = [m["candidate"] for m in evaluation["metrics"] if m["name"] == "recall"]
    model, features, target = _cancer_model()  # train.py's model, fitted the same way
    predicted = model.predict(features)  # type: ignore[attr-defined]
    assert recall == pytest.approx(recall_score(target, predicted, pos_label=0))
    assert recall != pytest.approx(recall_score(target, predicted, pos_label=1))


def test_validate_refuses_a_positive_class_the_test_file_does_not_hold(tmp_path: Path) -> None:
    repo = cancer_repo(tmp_path, evaluate="positive_class: malignant\n" + GATED)
    err = io.StringIO()

    code = main(["validate", "--config", str(repo / "mlops.yaml")], stderr=err)

    assert code == 2
    assert (
        "models.cancer.evaluate.positive_class: \"malignant\" is not a value of the target "
        "'target' in test.csv (it holds 0, 1)"
    ) in err.getvalue()


def test_validate_refuses_positive_class_for_regression(tmp_path: Path) -> None:
    repo = cancer_repo(tmp_path, evaluate=GATED)
    config = repo / "mlops.yaml"
    config.write_text(
        config.read_text().replace("task: classification", "task: regression")
        .replace("[accuracy, recall]", "[mae]").replace(GATED.strip(), "positive_class: 1"),
        encoding="utf-8",
    )
    err = io.StringIO()

    assert main(["validate", "--config", str(config)], stderr=err) == 2
    assert "positive_class applies to classification only" in err.getvalue()
