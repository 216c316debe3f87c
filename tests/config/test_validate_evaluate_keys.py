"""``validate`` on ``evaluate.metrics_file``/``custom_metrics`` and ``evaluate.positive_class``:
each mistake one problem at its line (MINIMAL, tests/config/samples.py, with one change)."""

from __future__ import annotations

import io

import pytest

from mlops_ci.cli import main
from tests.config.samples import MINIMAL, WriteConfig
from tests.config.test_validate_first_hour import line_of, validate

GATE = "        - {metric: accuracy, min: 0.7}\n"
OWN = (
    "      metrics_file: eval.json\n"
    "      custom_metrics:\n"
    "        my_score: {direction: higher}\n"
)


def with_evaluate(keys: str, gate: str = GATE) -> str:
    return MINIMAL.replace(GATE, gate).replace("      gates:\n", keys + "      gates:\n")


def test_a_gate_on_a_declared_own_metric_is_valid(
    write_config: WriteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config(with_evaluate(OWN, "        - {metric: my_score, min: 0.9}\n"))
    monkeypatch.chdir(path.parent)
    err = io.StringIO()
    assert main(["validate", "-c", str(path)], stderr=err) == 0, err.getvalue()


def test_a_gate_on_an_own_metric_without_a_direction_is_refused(
    write_config: WriteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = with_evaluate(OWN, "        - {metric: other_score, min: 0.9}\n")

    code, problems = validate(write_config(text), monkeypatch)

    assert code == 2
    [(line, _, where, message, hint)] = problems
    assert (line, where) == (line_of(text, "other_score"), "models.churn.evaluate.gates[0].metric")
    assert message == (
        "gate on 'other_score', a metric of the metrics file with no declared direction"
    )
    assert "evaluate.custom_metrics: {other_score: {direction: higher}}" in hint


def test_a_custom_metric_named_like_a_built_in_one_is_refused(
    write_config: WriteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = with_evaluate(OWN.replace("my_score", "f1"))

    code, problems = validate(write_config(text), monkeypatch)

    assert code == 2
    [(line, _, where, message, _hint)] = problems
    assert (line, where) == (
        line_of(text, "f1: {direction"), "models.churn.evaluate.custom_metrics.f1"
    )
    assert message == "'f1' is a built-in metric; a metric of the metrics file needs its own name"


@pytest.mark.parametrize(
    ("keys", "where", "message"),
    [
        ("      custom_metrics: {my_score: {direction: higher}}\n",
         "models.churn.evaluate", "custom_metrics"),
        (OWN.replace("eval.json", "metrics.json"), "models.churn.evaluate.metrics_file",
         "'metrics.json' is a file mlops-ci writes in MLOPS_OUTPUT_DIR"),
        (OWN.replace("eval.json", "../eval.json"), "models.churn.evaluate.metrics_file",
         "'../eval.json' must be a path inside MLOPS_OUTPUT_DIR, relative to it"),
        (OWN.replace("eval.json", "eval.csv"), "models.churn.evaluate.metrics_file", "eval.csv"),
        (OWN.replace("higher", "up"), "models.churn.evaluate.custom_metrics.my_score.direction",
         "'up'"),
    ],
    ids=["no-metrics-file", "our-own-file", "outside", "not-json-or-yaml", "bad-direction"],
)
def test_metrics_file_mistakes_are_one_problem_each(
    write_config: WriteConfig, monkeypatch: pytest.MonkeyPatch, keys: str, where: str,
    message: str,
) -> None:
    code, problems = validate(write_config(with_evaluate(keys)), monkeypatch)

    assert code == 2
    [(_, _, path, text, _)] = problems
    assert path == where
    assert message in text


def test_a_metrics_file_without_a_training_command_is_refused(
    write_config: WriteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = with_evaluate(OWN).replace(
        "      command: [python, train.py]\n",
        "      estimator: {class: sklearn.linear_model.LogisticRegression}\n",
    )

    code, problems = validate(write_config(text), monkeypatch)

    assert code == 2
    assert [(p[2], p[3]) for p in problems] == [
        ("models.churn.evaluate.metrics_file",
         "metrics_file needs train.command: nothing else writes it"),
    ]


def test_a_positive_class_outside_the_targets_allowed_values_is_refused(
    write_config: WriteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = with_evaluate("      positive_class: 2\n")

    code, problems = validate(write_config(text), monkeypatch)

    assert code == 2
    assert [(p[0], p[2], p[3]) for p in problems] == [
        (line_of(text, "positive_class"), "models.churn.evaluate.positive_class",
         "2 is not among the target's allowed values (0, 1)"),
    ]


def test_a_positive_class_among_the_allowed_values_is_valid(
    write_config: WriteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config(with_evaluate("      positive_class: 0\n"))
    monkeypatch.chdir(path.parent)
    err = io.StringIO()
    assert main(["validate", "-c", str(path)], stderr=err) == 0, err.getvalue()
