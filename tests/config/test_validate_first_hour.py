"""``mlops-ci validate`` on the mistakes of a first hour: each one problem, at its line, in words.

Every problem is printed as ``file:line:col: yaml.path: message (hint)`` and the exit code is 2.
The configs are MINIMAL with one thing changed, in a workspace holding its data files and
train.py (tests/config/conftest.py).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from mlops_ci.cli import main
from mlops_ci.config.model import METRIC_RANGES
from mlops_ci.config.schema import load_schema
from mlops_ci.metrics import METRICS
from tests.config.samples import MINIMAL, WriteConfig

# MINIMAL without its data.columns: the training file's header is all there is to check.
NO_COLUMNS = re.sub(r"      columns:\n(        .*\n)+", "", MINIMAL)
CLASSIFICATION = ("accuracy, balanced_accuracy, precision, recall, f1, roc_auc, log_loss, "
                  "brier_score, average_precision")
PROBLEM = re.compile(r"^mlops\.yaml:(\d+):(\d+): (\S+): (.*?)(?: \(([^()]*)\))?$")


def validate(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, list[tuple[str, ...]]]:
    """Exit code and each problem as (line, column, path, message, hint), from the CLI."""
    monkeypatch.chdir(path.parent)
    err = io.StringIO()
    code = main(["validate", "-c", str(path)], stderr=err)
    lines = err.getvalue().splitlines()
    assert lines[-1].startswith("error: mlops.yaml is not valid"), lines
    problems = []
    for line in lines[:-1]:
        match = PROBLEM.match(line)
        assert match is not None, f"not file:line:col: path: message (hint): {line!r}"
        problems.append(match.groups(default=""))
    return code, problems


def line_of(text: str, needle: str) -> str:
    return str(next(i for i, line in enumerate(text.splitlines(), 1) if needle in line))


def test_an_unknown_metric_is_one_problem_with_the_tasks_metrics(
    write_config: WriteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = MINIMAL.replace("[accuracy, roc_auc]", "[accuracy, auc]").replace(
        "{metric: accuracy, min: 0.7}", "{metric: auc, min: 0.7}"
    )

    code, problems = validate(write_config(text), monkeypatch)

    assert code == 2
    assert [(p[0], p[2]) for p in problems] == [
        (line_of(text, "metrics: [accuracy, auc]"), "models.churn.evaluate.metrics[1]"),
        (line_of(text, "{metric: auc"), "models.churn.evaluate.gates[0].metric"),
    ]
    for _, _, _, message, hint in problems:
        assert message == f"'auc' is not one of: {CLASSIFICATION}"
        assert hint == "did you mean 'roc_auc'?"


@pytest.mark.parametrize(
    ("task", "metrics", "gate", "wrong", "kind"),
    [
        ("classification", "[accuracy, rmse]", "{metric: rmse, max: 3}", "rmse", "regression"),
        ("regression", "[rmse, accuracy]", "{metric: accuracy, min: 0.7}", "accuracy",
         "classification"),
    ],
)
def test_a_metric_of_the_other_task_names_the_task(
    write_config: WriteConfig,
    monkeypatch: pytest.MonkeyPatch,
    task: str,
    metrics: str,
    gate: str,
    wrong: str,
    kind: str,
) -> None:
    text = (
        MINIMAL.replace("task: classification", f"task: {task}")
        .replace("[accuracy, roc_auc]", metrics)
        .replace("{metric: accuracy, min: 0.7}", gate)
    )

    code, problems = validate(write_config(text), monkeypatch)

    assert code == 2
    assert [p[2] for p in problems] == [
        "models.churn.evaluate.metrics[1]", "models.churn.evaluate.gates[0].metric"
    ]
    for _, _, _, message, hint in problems:
        assert message == f"{wrong!r} is a {kind} metric, but evaluate.task is {task!r}"
        assert hint.startswith(f"{task} metrics: ")
        assert wrong not in hint


def test_a_model_name_is_explained_in_words_with_a_valid_suggestion(
    write_config: WriteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = MINIMAL.replace("  churn:\n", "  Churn_Model:\n")

    code, problems = validate(write_config(text), monkeypatch)

    assert code == 2
    [(line, column, path, message, hint)] = problems
    assert (line, column, path) == ("3", "3", "models.Churn_Model")
    assert message == "invalid model name 'Churn_Model'"
    assert hint == ("model names use lowercase letters, digits, '-' and '/' only, starting and "
                    "ending with a letter or digit; did you mean 'churn-model'?")


@pytest.mark.parametrize(
    ("target", "hint"),
    [
        ("Churned", "did you mean 'churned'? column names are case-sensitive"),
        ("churnd", "did you mean 'churned'?"),
        ("label", "columns: 'tenure', 'plan', 'churned'"),
    ],
)
def test_a_target_missing_from_the_training_header_gets_a_hint(
    write_config: WriteConfig, monkeypatch: pytest.MonkeyPatch, target: str, hint: str
) -> None:
    text = NO_COLUMNS.replace("target: churned", f"target: {target}")

    code, problems = validate(write_config(text), monkeypatch)

    assert code == 2
    assert problems == [(
        line_of(text, "target:"), "15", "models.churn.data.target",
        f"column {target!r} is not in data/train.csv", hint,
    )]


def test_a_target_not_declared_in_columns_hints_the_case_insensitive_match(
    write_config: WriteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = MINIMAL.replace("target: churned", "target: Churned")

    code, problems = validate(write_config(text), monkeypatch)

    assert code == 2
    [(_, _, path, message, hint)] = problems
    assert (path, message) == (
        "models.churn.data.target", "column 'Churned' is not declared in data.columns"
    )
    assert hint == "did you mean 'churned'? column names are case-sensitive"


@pytest.mark.parametrize(
    ("gate", "bound", "message", "hint"),
    [
        ("{metric: accuracy, min: 70}", "min",
         "accuracy is between 0 and 1, so min 70 can never be met", "did you mean 0.70?"),
        ("{metric: accuracy, min: 92.5}", "min",
         "accuracy is between 0 and 1, so min 92.5 can never be met", "did you mean 0.925?"),
        ("{metric: roc_auc, max: 1.5}", "max",
         "roc_auc is between 0 and 1, so max 1.5 always holds", ""),
        ("{metric: accuracy, min: -0.1}", "min",
         "accuracy is between 0 and 1, so min -0.1 always holds", ""),
        ("{metric: log_loss, max: -1}", "max",
         "log_loss is at least 0, so max -1 can never be met", ""),
    ],
)
def test_a_gate_outside_its_metrics_range_is_refused(
    write_config: WriteConfig,
    monkeypatch: pytest.MonkeyPatch,
    gate: str,
    bound: str,
    message: str,
    hint: str,
) -> None:
    text = MINIMAL.replace("[accuracy, roc_auc]", "[accuracy, roc_auc, log_loss]").replace(
        "{metric: accuracy, min: 0.7}", gate
    )

    code, problems = validate(write_config(text), monkeypatch)

    assert code == 2
    line = line_of(text, gate)
    column = str(text.splitlines()[int(line) - 1].index(f"{bound}: ") + len(f"{bound}: ") + 1)
    assert problems == [
        (line, column, f"models.churn.evaluate.gates[0].{bound}", message, hint)
    ]


def test_a_regression_gate_above_r2s_maximum_is_refused(
    write_config: WriteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (MINIMAL.replace("task: classification", "task: regression")
            .replace("[accuracy, roc_auc]", "[r2, rmse]")
            .replace("{metric: accuracy, min: 0.7}", "{metric: r2, min: 2}"))

    code, problems = validate(write_config(text), monkeypatch)

    assert code == 2
    assert [p[3] for p in problems] == ["r2 is at most 1, so min 2 can never be met"]


@pytest.mark.parametrize(
    "gate",
    ["{metric: accuracy, min: 0, max: 1}", "{metric: log_loss, max: 40}",
     "{metric: roc_auc, min: 0.7}"],
)
def test_a_gate_within_its_metrics_range_is_accepted(
    write_config: WriteConfig, monkeypatch: pytest.MonkeyPatch, gate: str
) -> None:
    text = MINIMAL.replace("[accuracy, roc_auc]", "[accuracy, roc_auc, log_loss]").replace(
        "{metric: accuracy, min: 0.7}", gate
    )
    monkeypatch.chdir(write_config(text).parent)
    assert main(["validate"], stderr=io.StringIO()) == 0


@pytest.mark.parametrize(
    ("command", "path", "script"),
    [
        ("command: python train.py", "models.churn.train.command", "train.py"),
        ("command: [python, -u, src/train.py, --fast]", "models.churn.train.command[2]",
         "src/train.py"),
        ("command: [./train.sh]", "models.churn.train.command[0]", "./train.sh"),
        ("command: uv run fit.py", "models.churn.train.command", "fit.py"),
    ],
)
def test_a_training_script_that_does_not_exist_is_refused_at_its_line(
    write_config: WriteConfig,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    path: str,
    script: str,
) -> None:
    text = MINIMAL.replace("command: [python, train.py]", command)
    config = write_config(text)
    (config.parent / "train.py").unlink()

    code, problems = validate(config, monkeypatch)

    assert code == 2
    [(line, _, where, message, hint)] = problems
    assert (line, where) == (line_of(text, "command:"), path)
    assert message == f"{script!r} does not exist (looked in {config.parent})"
    assert hint == "train.command runs in the config's folder"


@pytest.mark.parametrize(
    "command",
    ["command: [python, train.py]", "command: python -m mypackage.train",
     "command: [bash, -c, 'python missing.py']", "command: /opt/venv/bin/train",
     "command: make train"],
)
def test_a_training_command_without_a_missing_workspace_script_is_accepted(
    write_config: WriteConfig, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.chdir(write_config(MINIMAL.replace("command: [python, train.py]", command)).parent)
    assert main(["validate"], stderr=io.StringIO()) == 0


def test_every_metric_has_its_range_and_a_scores_range_is_zero_to_one() -> None:
    defs = load_schema()["$defs"]
    assert isinstance(defs, dict)
    assert set(METRIC_RANGES) == set(METRICS) == set(defs["metric"]["enum"])
    for name, definition in METRICS.items():
        low, high = METRIC_RANGES[name]
        if definition.direction == "lower":  # a loss or an error: 0 at best
            assert low == 0
        elif name != "r2":
            assert (low, high) == (0, 1)
