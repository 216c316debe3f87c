"""Every class of config error, each with its exact line, column and YAML path."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_ci.config.loader import load_config
from mlops_ci.errors import ConfigError, Problem, UserError
from tests.config.samples import MINIMAL, WriteConfig


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return list(caught.value.problems)


def only(path: Path) -> Problem:
    problems = problems_of(path)
    assert len(problems) == 1, [p.format() for p in problems]
    return problems[0]


def test_minimal_config_loads_with_defaults(write_config: WriteConfig) -> None:
    config = load_config(write_config(MINIMAL))
    model = config.model("churn")
    assert config.id == "default"
    assert config.stages == ("staging", "production")
    assert model.data.target == "churned"
    assert [c.name for c in model.data.columns] == ["tenure", "plan", "churned"]
    assert model.train.command == ("python", "train.py")
    assert model.evaluate.gates[0].min == 0.7


def test_misspelt_nested_key_names_line_path_and_suggestion(write_config: WriteConfig) -> None:
    text = MINIMAL.replace("- {metric: accuracy, min: 0.7}", "- {metric: accuracy, mni: 0.7}")
    problems = problems_of(write_config(text))
    unknown = [p for p in problems if "unknown key 'mni'" in p.message]
    assert len(unknown) == 1
    assert (unknown[0].line, unknown[0].column) == (18, 30)
    assert unknown[0].path == "models.churn.evaluate.gates[0].mni"
    assert unknown[0].hint == "did you mean 'min'?"
    expected = "mlops.yaml:18:30: models.churn.evaluate.gates[0].mni: unknown key 'mni'"
    assert unknown[0].format().endswith(f"{expected} (did you mean 'min'?)")


def test_unknown_top_level_key(write_config: WriteConfig) -> None:
    problem = only(write_config(MINIMAL + "modles: {}\n"))
    assert (problem.line, problem.column, problem.path) == (19, 1, "modles")
    assert problem.hint == "did you mean 'models'?"


def test_missing_required_key_points_at_its_parent(write_config: WriteConfig) -> None:
    problem = only(write_config(MINIMAL.replace("      target: churned\n", "")))
    assert problem.message == "missing required key 'target'"
    assert problem.path == "models.churn.data"
    assert problem.line == 5


def test_wrong_type(write_config: WriteConfig) -> None:
    problem = only(write_config(MINIMAL.replace("metrics: [accuracy, roc_auc]", "metrics: 3")))
    assert problem.path == "models.churn.evaluate.metrics"
    assert (problem.line, problem.column) == (16, 16)
    assert problem.message == "expected a list, got 3"


def test_enum_value_suggests_the_close_one(write_config: WriteConfig) -> None:
    problem = only(write_config(MINIMAL.replace("task: classification", "task: clasification")))
    assert problem.path == "models.churn.evaluate.task"
    assert problem.line == 15
    assert problem.hint == "did you mean 'classification'?"


def test_out_of_range_number(write_config: WriteConfig) -> None:
    text = MINIMAL + "report: {max_table_rows: -1}\n"
    problem = only(write_config(text))
    assert problem.path == "report.max_table_rows"
    assert problem.line == 19
    assert "must be >=" in problem.message


def test_duplicate_key_is_an_error_not_last_wins(write_config: WriteConfig) -> None:
    text = MINIMAL.replace("      target: churned\n", "      target: churned\n      target: plan\n")
    problem = only(write_config(text))
    assert (problem.line, problem.column) == (8, 7)
    assert problem.path == "models.churn.data.target"
    assert "duplicate key 'target' (first defined at line 7)" in problem.message


def test_yaml_syntax_error_has_its_line(write_config: WriteConfig) -> None:
    problem = only(write_config(MINIMAL.replace("[python, train.py]", "[python, train.py")))
    assert problem.message.startswith("invalid YAML")
    assert problem.line in (13, 14)


def test_yaml11_boolean_words_are_not_booleans(write_config: WriteConfig) -> None:
    problem = only(write_config(MINIMAL + "report: {comment: no}\n"))
    assert problem.path == "report.comment"
    assert problem.hint is not None and "write true or false" in problem.hint


def test_string_fields_keep_the_text_as_written(write_config: WriteConfig) -> None:
    config = load_config(write_config(MINIMAL.replace("version: 1\n", "version: 1\nid: 1.10\n")))
    assert config.id == "1.10"


def test_leading_zero_number_is_explained(write_config: WriteConfig) -> None:
    problem = only(write_config(MINIMAL + "report: {max_table_rows: 050}\n"))
    assert problem.path == "report.max_table_rows"
    assert problem.hint == "a leading zero is ambiguous in YAML: write 50"


def test_yaml11_on_key_stays_a_string_key(write_config: WriteConfig) -> None:
    problem = only(write_config(MINIMAL + "on: {push: true}\n"))
    assert problem.path == "on"
    assert problem.message == "unknown key 'on'"


def test_every_error_is_reported_sorted_by_line(write_config: WriteConfig) -> None:
    text = (
        MINIMAL.replace("task: classification", "task: regresion")
        .replace("version: 1", "version: 2")
        .replace("train: data/train.csv", "train: [a]")
    )
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(text))
    lines = [p.line for p in caught.value.problems]
    assert lines == sorted(lines)
    assert len(lines) >= 3
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("/etc/passwd", "is an absolute path"),
        ("../outside.csv", "leaves the workspace ('..' is not allowed)"),
        ("data/missing.csv", "does not exist"),
        ("data", "is a folder, not a file"),
    ],
)
def test_data_paths_are_refused(write_config: WriteConfig, value: str, message: str) -> None:
    problem = only(write_config(MINIMAL.replace("train: data/train.csv", f"train: {value}")))
    assert problem.path == "models.churn.data.train"
    assert problem.line == 5
    assert message in problem.message


def test_symlink_out_of_the_workspace_is_refused(
    write_config: WriteConfig, workspace: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside") / "secret.csv"
    outside.write_text("a\n1\n", encoding="utf-8")
    (workspace / "data" / "link.csv").symlink_to(outside)
    problem = only(write_config(MINIMAL.replace("data/train.csv", "data/link.csv")))
    assert "leaves the workspace through a symlink" in problem.message


def test_gate_metric_must_be_computed(write_config: WriteConfig) -> None:
    problem = only(write_config(MINIMAL.replace("{metric: accuracy, min", "{metric: f1, min")))
    assert problem.path == "models.churn.evaluate.gates[0].metric"
    assert problem.line == 18
    assert "not among evaluate.metrics" in problem.message


def test_environment_stage_must_exist(write_config: WriteConfig) -> None:
    text = MINIMAL + (
        "    deploy:\n"
        "      environments:\n"
        "        prod:\n"
        "          stage: prodution\n"
        "          backend: command\n"
        "          command: [./deploy.sh]\n"
    )
    problem = only(write_config(text))
    assert problem.path == "models.churn.deploy.environments.prod.stage"
    assert problem.line == 22
    assert "not one of the stages" in problem.message


def test_cron_expression_must_parse(write_config: WriteConfig) -> None:
    text = MINIMAL + (
        "    monitor:\n      production_data: [data/prod.csv]\n      schedule: '61 * * * *'\n"
    )
    problem = only(write_config(text))
    assert problem.path == "models.churn.monitor.schedule"
    assert problem.line == 21
    assert "minute field '61'" in problem.message


def test_target_must_be_a_declared_column(write_config: WriteConfig) -> None:
    problem = only(write_config(MINIMAL.replace("target: churned", "target: churn")))
    assert problem.path == "models.churn.data.target"
    assert "not declared in data.columns" in problem.message


def test_train_needs_exactly_one_way(write_config: WriteConfig) -> None:
    text = MINIMAL.replace(
        "      command: [python, train.py]\n",
        "      command: [python, train.py]\n"
        "      estimator: {class: sklearn.linear_model.LogisticRegression}\n",
    )
    problems = problems_of(write_config(text))
    assert any(p.path == "models.churn.train" for p in problems), [p.format() for p in problems]


def test_empty_file(write_config: WriteConfig) -> None:
    problem = only(write_config(""))
    assert "got an empty file" in problem.message


def test_not_utf8_names_the_position(workspace: Path) -> None:
    path = workspace / "mlops.yaml"
    path.write_bytes(b"version: 1\nid: caf\xe9\n")
    problem = only(path)
    assert (problem.line, problem.column) == (2, 8)
    assert "not UTF-8" in problem.message


def test_missing_file_is_a_user_error_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(UserError) as caught:
        load_config(tmp_path / "mlops.yaml")
    assert caught.value.exit_code == 2
    assert caught.value.hint is not None and "mlops-ci init" in caught.value.hint


def test_alias_bomb_is_refused_not_expanded(write_config: WriteConfig) -> None:
    bomb = "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)
    )
    problems = problems_of(write_config(bomb))
    assert any("too deep or too large" in p.message for p in problems)


def test_train_with_both_ways_says_set_only_one(write_config: WriteConfig) -> None:
    text = MINIMAL.replace(
        "      command: [python, train.py]\n",
        "      command: [python, train.py]\n      estimator: {class: a.B}\n",
    )
    problem = only(write_config(text))
    assert (problem.line, problem.path) == (13, "models.churn.train")
    assert problem.message == "set only one of command, estimator"


def test_bad_duration_is_explained_once(write_config: WriteConfig) -> None:
    text = MINIMAL.replace(
        "      command: [python, train.py]\n",
        "      command: [python, train.py]\n      timeout: 10 minutes\n",
    )
    problem = only(write_config(text))
    assert problem.path == "models.churn.train.timeout"
    assert problem.message == "'10 minutes' is not valid here"
    assert problem.hint is not None and "'10m'" in problem.hint


def test_key_forbidden_by_a_rule_points_at_that_key(write_config: WriteConfig) -> None:
    text = MINIMAL.replace(
        "{metric: accuracy, min: 0.7}", "{metric: accuracy, min: 0.7, max_regression: 0.1}"
    )
    problem = only(write_config(text))
    assert (problem.line, problem.column) == (18, 40)
    assert problem.path == "models.churn.evaluate.gates[0].max_regression"
    assert problem.message == "'max_regression' is not allowed here"


def test_command_string_with_an_unclosed_quote(write_config: WriteConfig) -> None:
    text = MINIMAL.replace("command: [python, train.py]", "command: \"python 'train.py\"")
    problem = only(write_config(text))
    assert (problem.line, problem.path) == (13, "models.churn.train.command")


def test_feedback_paths_stay_in_the_workspace(write_config: WriteConfig) -> None:
    text = MINIMAL + (
        "    monitor:\n"
        "      production_data: [data/prod.csv]\n"
        "      feedback: {data: [../labels.csv]}\n"
    )
    problem = only(write_config(text))
    assert problem.path == "models.churn.monitor.feedback.data[0]"
    assert "leaves the workspace" in problem.message
