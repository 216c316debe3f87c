"""Schema-valid configs that still make no sense: each refused at its line and YAML path."""

from __future__ import annotations

import pytest

from mlops_ci.config.loader import load_config
from mlops_ci.errors import ConfigError, Problem
from tests.config.samples import MINIMAL, WriteConfig


def only_problem(write_config: WriteConfig, text: str) -> Problem:
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(text))
    problems = caught.value.problems
    assert len(problems) == 1, [p.format() for p in problems]
    return problems[0]


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ("min: 0.7}", "min: .nan}", "models.churn.evaluate.gates[0].min"),
        ("min: 0.7}", "min: .inf}", "models.churn.evaluate.gates[0].min"),
        ("int, min: 0}", "int, min: -.inf}", "models.churn.data.columns.tenure.min"),
        ("    train:\n", "    drift: {share: .NaN}\n    train:\n", "models.churn.drift.share"),
    ],
)
def test_nan_and_infinity_are_refused_where_a_number_is_wanted(
    write_config: WriteConfig, old: str, new: str, path: str
) -> None:
    problem = only_problem(write_config, MINIMAL.replace(old, new))
    assert problem.path == path
    assert problem.message == "not a finite number"


@pytest.mark.parametrize(
    ("column", "allowed", "index", "shown"),
    [
        ("churned: {dtype: int", "[0, 1, yes]", 2, '"yes"'),
        ("churned: {dtype: int", "[0, 1.5]", 1, "1.5"),
        ("churned: {dtype: int", "[0, true]", 1, "true"),
        ("churned: {dtype: int", "[0, 99999999999999999999]", 1, "99999999999999999999"),
        ("tenure: {dtype: float", "[0.5, high]", 1, '"high"'),
    ],
)
def test_an_allowed_value_no_value_of_the_column_can_equal_is_refused(
    write_config: WriteConfig, column: str, allowed: str, index: int, shown: str
) -> None:
    text = MINIMAL.replace("tenure: {dtype: int, min: 0}", "tenure: {dtype: float, min: 0}")
    text = text.replace(f"{column}, allowed: [0, 1]}}", f"{column}, allowed: {allowed}}}")
    text = text.replace(f"{column}, min: 0}}", f"{column}, allowed: {allowed}}}")
    problem = only_problem(write_config, text)
    name = column.split(":")[0]
    assert problem.path == f"models.churn.data.columns.{name}.allowed[{index}]"
    assert problem.message.startswith(f"{shown} can never be a value of this")


def test_allowed_values_a_column_can_hold_are_accepted(write_config: WriteConfig) -> None:
    text = MINIMAL.replace("allowed: [0, 1]}", "allowed: [0, 1.0]}").replace(
        "allowed: [basic, pro]}", "allowed: [basic, pro, 3, true]}"
    )
    assert load_config(write_config(text)).model("churn").data.target == "churned"


def test_the_target_cannot_also_be_the_id_column(write_config: WriteConfig) -> None:
    target = "      target: churned\n"
    text = MINIMAL.replace(target, f"{target}      id_column: churned\n")
    problem = only_problem(write_config, text)
    assert problem.path == "models.churn.data.id_column"
    assert problem.line == 8
    assert "both the target and the id column" in problem.message


@pytest.mark.parametrize(
    ("name", "path", "where", "problem"),
    [
        ("a//b", None, 'models["a//b"]', "empty path component"),
        ("c" * 201, None, "models." + "c" * 201, "longer than 200 bytes"),
        ("churn", "x/../y", "models.churn.path", "contains '..'"),
        ("churn", ".hidden/models", "models.churn.path", "starting with '.'"),
        ("churn", "models.lock/churn", "models.churn.path", "folder ending in '.lock'"),
    ],
)
def test_a_model_whose_tags_git_cannot_keep_is_refused_before_any_run(
    write_config: WriteConfig, name: str, path: str | None, where: str, problem: str
) -> None:
    folder = f"    path: {path}\n" if path else ""
    found = only_problem(write_config, MINIMAL.replace("  churn:\n", f"  {name}:\n{folder}"))
    assert (found.path, found.line) == (where, 4 if path else 3)
    assert found.message.startswith("git cannot keep this model's tags")
    assert problem in found.message


@pytest.mark.parametrize("path", ["models/churn/", "a.lock", "team_a/v1.2"])
def test_model_paths_git_can_keep_are_accepted(write_config: WriteConfig, path: str) -> None:
    text = MINIMAL.replace("  churn:\n", f"  churn:\n    path: {path}\n")
    assert load_config(write_config(text)).model("churn").path == path


@pytest.mark.parametrize(
    ("drift", "path"),
    [
        ("{method: ks, threshold: 5}", "models.churn.drift.threshold"),
        ("{method: chi2, overrides: {plan: {threshold: 1.5}}}",
         "models.churn.drift.overrides.plan.threshold"),
        ("{overrides: {tenure: {method: ks, threshold: 2}}}",
         "models.churn.drift.overrides.tenure.threshold"),
    ],
)
def test_a_p_value_threshold_above_1_is_refused(
    write_config: WriteConfig, drift: str, path: str
) -> None:
    text = MINIMAL.replace("    train:\n", f"    drift: {drift}\n    train:\n")
    problem = only_problem(write_config, text)
    assert problem.path == path
    assert "a p-value is at most 1" in problem.message


def test_a_distance_threshold_above_1_is_accepted(write_config: WriteConfig) -> None:
    text = MINIMAL.replace("    train:\n", "    drift: {method: psi, threshold: 5}\n    train:\n")
    assert load_config(write_config(text)).model("churn").drift.threshold == 5


@pytest.mark.parametrize(
    ("environment", "refused"),
    [
        ("{stage: production, backend: docker, port: 8080, canary: 10}", "backend 'docker'"),
        ("{stage: production, backend: command, command: [./d.sh], canary: 10}",
         "backend 'command'"),
        ("{stage: production, backend: kubernetes, manifests_path: k, canary: 10}",
         "backend 'kubernetes' with kind 'deployment'"),
    ],
)
def test_a_canary_where_traffic_cannot_split_is_refused_at_its_line(
    write_config: WriteConfig, environment: str, refused: str
) -> None:
    text = MINIMAL + f"    deploy:\n      environments:\n        prod: {environment}\n"
    (write_config(text).parent / "d.sh").write_text("#!/bin/sh\n")

    problem = only_problem(write_config, text)

    assert problem.path == "models.churn.deploy.environments.prod.canary"
    last_line = text.splitlines()[-1]
    assert (problem.line, problem.column) == (len(text.splitlines()), last_line.index("10") + 1)
    assert problem.message.startswith(f"{refused} cannot split traffic between two versions")


def test_a_canary_on_an_inferenceservice_is_accepted(write_config: WriteConfig) -> None:
    text = MINIMAL + ("    deploy:\n      environments:\n        prod: {stage: production, "
                      "backend: kubernetes, manifests_path: k, kind: inferenceservice, "
                      "canary: 10}\n")

    [environment] = load_config(write_config(text)).model("churn").deploy.environments

    assert (environment.kind, environment.canary) == ("inferenceservice", 10)


def test_resources_replace_the_default_requests_and_limits_one_at_a_time(
    write_config: WriteConfig,
) -> None:
    text = MINIMAL + ("    deploy:\n      environments:\n        prod: {stage: production, "
                      "backend: kubernetes, manifests_path: k, resources: {requests: "
                      "{cpu: 2, memory: 1Gi}}}\n")

    [environment] = load_config(write_config(text)).model("churn").deploy.environments

    assert environment.resources.to_manifest() == {
        "requests": {"cpu": "2", "memory": "1Gi"}, "limits": {"memory": "1Gi"}}
@pytest.mark.parametrize(("value", "problem"), [("../params.yaml", "'..'"),
                                                ("/etc/params.yaml", "absolute")])
def test_a_params_file_outside_the_workspace_is_refused_at_its_line(
    write_config: WriteConfig, value: str, problem: str
) -> None:
    text = MINIMAL.replace("      command: [python, train.py]\n",
                           f"      command: [python, train.py]\n      params_file: {value}\n")
    found = only_problem(write_config, text)
    assert (found.path, found.line) == ("models.churn.train.params_file", 14)
    assert problem in found.message
