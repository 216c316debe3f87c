"""The JSON Schema of mlops.yaml: well-formed, accepts the example, rejects what it should."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args

import jsonschema
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from mlops_ci.config import model
from mlops_ci.config.fields import parse_duration
from mlops_ci.config.reference import resolve
from mlops_ci.config.schema import load_schema

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "mlops_ci" / "examples" / "churn" / "mlops.yaml"

MINIMAL: dict[str, Any] = {
    "version": 1,
    "models": {
        "churn": {
            "data": {"train": "data/train.csv", "test": "data/test.csv", "target": "churned"},
            "train": {"command": ["python", "train.py"]},
            "evaluate": {"task": "classification", "metrics": ["accuracy"]},
        }
    },
}


def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(load_schema())


def errors(data: object) -> list[jsonschema.ValidationError]:
    return list(validator().iter_errors(data))


def example() -> dict[str, Any]:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def with_model(**sections: object) -> dict[str, Any]:
    """MINIMAL with sections of the model replaced or added."""
    data = copy.deepcopy(MINIMAL)
    data["models"]["churn"].update(sections)
    return data


def node(pointer: str) -> Mapping[str, Any]:
    schema = load_schema()
    target: Any = schema
    for part in pointer.removeprefix("#").split("/")[1:]:
        target = target[part]
    return resolve(schema, target)


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"]
    assert schema["title"]


def test_example_config_validates() -> None:
    assert [e.message for e in errors(example())] == []


def test_minimal_config_validates() -> None:
    assert errors(MINIMAL) == []


def test_schemas_folder_links_to_the_packaged_schema() -> None:
    link = REPO / "schemas" / "mlops.schema.json"
    assert link.is_symlink()
    assert link.resolve() == (REPO / "mlops_ci" / "schema" / "mlops.schema.json").resolve()
    assert json.loads(link.read_text(encoding="utf-8")) == load_schema()


def test_load_schema_is_cached() -> None:
    assert load_schema() is load_schema()


def _object_nodes(value: object, where: str = "#") -> list[tuple[str, Mapping[str, Any]]]:
    found: list[tuple[str, Mapping[str, Any]]] = []
    if isinstance(value, Mapping):
        if "properties" in value and value.get("type") == "object":
            found.append((where, value))
        for key, child in value.items():
            found += _object_nodes(child, f"{where}/{key}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _object_nodes(child, f"{where}/{index}")
    return found


def test_every_object_rejects_unknown_keys() -> None:
    nodes = _object_nodes(load_schema())
    assert len(nodes) >= 15
    open_objects = [
        where for where, value in nodes if value.get("additionalProperties") is not False
    ]
    assert open_objects == []


UNKNOWN_KEY_POSITIONS = [
    (),
    ("models", "churn"),
    ("models", "churn", "data"),
    ("models", "churn", "data", "rows"),
    ("models", "churn", "data", "columns", "tenure_months"),
    ("models", "churn", "drift"),
    ("models", "churn", "drift", "overrides", "support_calls"),
    ("models", "churn", "train"),
    ("models", "churn", "evaluate"),
    ("models", "churn", "evaluate", "gates", 0),
    ("models", "churn", "register"),
    ("models", "churn", "deploy"),
    ("models", "churn", "deploy", "environments", "churn-production"),
    ("models", "churn", "deploy", "environments", "churn-production", "health"),
    ("models", "churn", "monitor"),
    ("models", "churn", "monitor", "actions"),
    ("triggers",),
    ("report",),
]


@pytest.mark.parametrize(
    "position", UNKNOWN_KEY_POSITIONS, ids=lambda p: ".".join(map(str, p)) or "top"
)
def test_misspelt_key_is_rejected_where_it_is(position: tuple[str | int, ...]) -> None:
    data = example()
    target: Any = data
    for part in position:
        target = target[part]
    target["treshold"] = 1
    found = errors(data)
    assert len(found) == 1
    assert tuple(found[0].absolute_path) == position
    assert found[0].validator == "additionalProperties"
    assert "'treshold' was unexpected" in found[0].message


def gate_errors(gate: dict[str, Any]) -> list[str]:
    evaluate = {"task": "classification", "metrics": ["roc_auc"], "gates": [gate]}
    return [e.message for e in errors(with_model(evaluate=evaluate))]


@pytest.mark.parametrize(
    "gate",
    [
        {"metric": "roc_auc", "min": 0.7},
        {"metric": "roc_auc", "against": "absolute", "max": 0.99},
        {"metric": "roc_auc", "min": 0.6, "max": 0.99},
        {"metric": "roc_auc", "against": "production", "max_regression": 0.02},
        {"metric": "roc_auc", "against": "base", "min_improvement": 0.0, "relative": True},
    ],
)
def test_sound_gates_are_accepted(gate: dict[str, Any]) -> None:
    assert gate_errors(gate) == []


@pytest.mark.parametrize(
    "gate",
    [
        {"metric": "roc_auc"},
        {"metric": "roc_auc", "against": "absolute"},
        {"metric": "roc_auc", "max_regression": 0.02},
        {"metric": "roc_auc", "min": 0.7, "max_regression": 0.02},
        {"metric": "roc_auc", "min": 0.7, "min_improvement": 0.01},
        {"metric": "roc_auc", "min": 0.7, "relative": True},
        {"metric": "roc_auc", "against": "production"},
        {"metric": "roc_auc", "against": "base", "min": 0.7},
        {"metric": "roc_auc", "against": "production", "max_regression": 0.02, "max": 1.0},
        {"metric": "roc_auc", "against": "production", "max_regression": -0.1},
        {"metric": "roc_auc", "against": "staging", "max_regression": 0.02},
    ],
)
def test_gates_that_mix_absolute_and_relative_bounds_are_rejected(gate: dict[str, Any]) -> None:
    assert gate_errors(gate) != []


def test_metric_must_fit_the_task() -> None:
    bad_metric = {"task": "regression", "metrics": ["mae", "roc_auc"]}
    bad_gate = {
        "task": "classification",
        "metrics": ["accuracy"],
        "gates": [{"metric": "rmse", "max": 3}],
    }
    [metric_error] = errors(with_model(evaluate=bad_metric))
    assert list(metric_error.absolute_path)[-2:] == ["metrics", 1]
    [gate_error] = errors(with_model(evaluate=bad_gate))
    assert list(gate_error.absolute_path)[-3:] == ["gates", 0, "metric"]


@pytest.mark.parametrize(
    ("train", "valid"),
    [
        ({"command": "python train.py --alpha 0.5"}, True),
        ({"command": ["python", "train.py"], "image": "python:3.12-slim"}, True),
        ({"estimator": {"class": "sklearn.linear_model.LogisticRegression"}}, True),
        ({"estimator": {"class": "LogisticRegression"}}, False),
        ({"command": ["python"], "estimator": {"class": "sklearn.svm.SVC"}}, False),
        ({"seed": 1}, False),
        ({"estimator": {"class": "sklearn.svm.SVC"}, "image": "python:3.12"}, False),
        ({"command": []}, False),
        ({"command": "   "}, False),
        ({"command": ["python"], "env": {"ALPHA": 1}}, False),
        ({"command": ["python"], "env": {"BAD-NAME": "1"}}, False),
        ({"command": ["python"], "model_file": "../model.skops"}, False),
        ({"command": ["python"], "model_file": ".."}, False),
    ],
)
def test_train_takes_exactly_one_of_command_and_estimator(
    train: dict[str, Any], valid: bool
) -> None:
    assert (errors(with_model(train=train)) == []) is valid


@pytest.mark.parametrize(
    ("environment", "valid"),
    [
        ({"stage": "production", "backend": "docker", "port": 8080}, True),
        ({"stage": "production", "backend": "command", "command": "./deploy.sh prod"}, True),
        ({"stage": "production", "backend": "command"}, False),
        ({"stage": "production", "backend": "docker", "command": ["./deploy.sh"]}, False),
        ({"stage": "production", "backend": "kubernetes", "manifests_path": "deploy/k8s"}, True),
        ({"stage": "production", "backend": "kubernetes"}, False),
        ({"stage": "production", "backend": "kubernetes", "manifests_path": "k",
          "kind": "inferenceservice", "canary": 10}, True),
        ({"stage": "production", "backend": "kubernetes", "manifests_path": "k",
          "kind": "knative"}, False),
        ({"stage": "production", "backend": "kubernetes", "manifests_path": "k",
          "kind": "inferenceservice", "canary": 100}, False),
        ({"stage": "production", "backend": "kubernetes", "manifests_path": "k",
          "kind": "inferenceservice", "canary": 0}, False),
        ({"stage": "production", "backend": "docker", "kind": "inferenceservice"}, False),
        ({"stage": "production", "backend": "kubernetes", "manifests_path": "k",
          "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": 2}}},
         True),
        ({"stage": "production", "backend": "kubernetes", "manifests_path": "k",
          "resources": {"requests": {"cpu": "half"}}}, False),
        ({"stage": "production", "backend": "kubernetes", "manifests_path": "k",
          "resources": {"requests": {"gpu": 1}}}, False),
        ({"stage": "production", "backend": "docker", "resources": {}}, False),
        ({"stage": "production", "backend": "command", "command": "x", "kind": "deployment"},
         False),
        ({"stage": "production", "backend": "docker", "port": 70000}, False),
        ({"stage": "Production", "backend": "docker"}, False),
        ({"stage": "production", "backend": "docker", "health": {"timeout": "soon"}}, False),
        ({"backend": "docker"}, False),
    ],
)
def test_deploy_backends_need_their_own_keys(environment: dict[str, Any], valid: bool) -> None:
    data = with_model(deploy={"environments": {"prod": environment}})
    assert (errors(data) == []) is valid


def test_monitor_needs_a_source_of_production_data() -> None:
    assert errors(with_model(monitor={"release_asset": "production.parquet"})) == []
    assert errors(with_model(monitor={"production_data": ["data/prod-*.csv"]})) == []
    assert errors(with_model(monitor={"schedule": "0 6 * * *"})) != []
    bad_cron = {"production_data": ["p.csv"], "schedule": "daily"}
    assert errors(with_model(monitor=bad_cron)) != []


@pytest.mark.parametrize(
    "change",
    [
        {"version": 2},
        {"id": "churn ci"},
        {"id": "<!--"},
        {"stages": ["staging", "staging"]},
        {"stages": ["Prod"]},
        {"models": {}},
        {"models": {"Churn": MINIMAL["models"]["churn"]}},
        {"models": {"churn-": MINIMAL["models"]["churn"]}},
        {"triggers": {"pull_request": ["validate", "validate"]}},
        {"triggers": {"pull_request": ["lint"]}},
        {"report": {"max_table_rows": 0}},
    ],
)
def test_top_level_values_are_checked(change: dict[str, Any]) -> None:
    assert errors({**MINIMAL, **change}) != []


def test_model_names_may_have_a_folder_like_gto_names() -> None:
    assert errors({**MINIMAL, "models": {"team/churn-2": MINIMAL["models"]["churn"]}}) == []


def test_register_first_version_must_be_semver_with_v() -> None:
    assert errors(with_model(register={"first_version": "v1.0.0"})) == []
    assert errors(with_model(register={"first_version": "1.0.0"})) != []


DURATION_TEXT = st.text(alphabet="0123456789hms x.", max_size=8)


@given(DURATION_TEXT)
def test_schema_and_parse_duration_agree_on_duration_text(text: str) -> None:
    schema_accepts = errors(with_model(train={"command": ["x"], "timeout": text})) == []
    try:
        parse_duration(text)
    except ValueError:
        parser_accepts = False
    else:
        parser_accepts = True
    # parse_duration also trims spaces the schema refuses; otherwise they agree exactly.
    if text == text.strip():
        assert schema_accepts == parser_accepts
    else:
        assert not schema_accepts


# The Literal types and enums of model.py name the same values as the schema.


@pytest.mark.parametrize(
    ("literal", "pointer"),
    [
        (model.DType, "#/$defs/column/properties/dtype"),
        (model.DataFormat, "#/$defs/data/properties/format"),
        (model.DriftMethod, "#/$defs/driftMethod"),
        (model.Correction, "#/$defs/drift/properties/p_value_correction"),
        (model.Task, "#/$defs/evaluate/properties/task"),
        (model.Bump, "#/$defs/register/properties/bump"),
        (model.Against, "#/$defs/gate/properties/against"),
        (model.Backend, "#/$defs/environment/properties/backend"),
    ],
)
def test_literal_types_match_schema_enums(literal: object, pointer: str) -> None:
    assert list(get_args(literal)) == node(pointer)["enum"]


def test_steps_and_triggers_match_the_enums() -> None:
    assert node("#/$defs/step")["enum"] == [step.value for step in model.StageName]
    assert list(node("#/properties/triggers")["properties"]) == [t.value for t in model.Trigger]


def test_metric_enum_is_the_union_of_both_tasks() -> None:
    union = node("#/$defs/classificationMetric")["enum"] + node("#/$defs/regressionMetric")["enum"]
    assert node("#/$defs/metric")["enum"] == union


# Schema defaults == dataclass defaults.

RENAMED = {"timeout_seconds": "timeout", "interval_seconds": "interval"}
# monitor needs production_data or release_asset: an empty default would only mislead editors.
WITHOUT_SCHEMA_DEFAULT = {"production_data"}

DEFAULTED: list[tuple[object, str]] = [
    (model.ReportSpec(), "#/properties/report"),
    (model.DataSpec(train=Path("a"), test=Path("b"), target="y"), "#/$defs/data"),
    (model.RowBounds(), "#/$defs/data/properties/rows"),
    (model.ColumnSpec(name="x", dtype="int"), "#/$defs/column"),
    (model.DriftSpec(), "#/$defs/drift"),
    (model.Sampling(rows=10), "#/$defs/drift/properties/sample"),
    (model.TrainSpec(), "#/$defs/train"),
    (model.Gate(metric="f1"), "#/$defs/gate"),
    (model.EvaluateSpec(task="regression", metrics=("mae",)), "#/$defs/evaluate"),
    (model.RegisterSpec(), "#/$defs/register"),
    (model.DeploySpec(), "#/$defs/deploy"),
    (model.Environment(name="e", stage="s", backend="docker"), "#/$defs/environment"),
    (model.HealthCheck(), "#/$defs/environment/properties/health"),
    (model.MonitorSpec(), "#/$defs/monitor"),
    (model.MonitorActions(), "#/$defs/monitor/properties/actions"),
]


def _as_dataclass_value(schema_default: object, field_default: object) -> object:
    if dataclasses.is_dataclass(field_default):
        assert schema_default == {}, "a nested section defaults to its own defaults"
        return field_default
    if isinstance(field_default, float) and isinstance(schema_default, str):
        return float(parse_duration(schema_default))
    if isinstance(field_default, int) and isinstance(schema_default, str):
        return parse_duration(schema_default)
    if isinstance(schema_default, list | dict):
        return tuple(schema_default)
    return schema_default


@pytest.mark.parametrize(
    ("instance", "pointer"), DEFAULTED, ids=lambda v: type(v).__name__ if "#" not in str(v) else v
)
def test_schema_defaults_equal_dataclass_defaults(instance: object, pointer: str) -> None:
    properties = node(pointer)["properties"]
    checked = set()
    for field in dataclasses.fields(instance):  # type: ignore[arg-type]
        default = getattr(instance, field.name)
        has_default = (
            field.default is not dataclasses.MISSING
            or field.default_factory is not dataclasses.MISSING
        )
        key = RENAMED.get(field.name, field.name)
        if not has_default or key not in properties or key in WITHOUT_SCHEMA_DEFAULT:
            continue
        checked.add(key)
        declared = resolve(load_schema(), properties[key])
        if default is None:
            assert "default" not in declared, f"{key}: None has no schema default"
            continue
        assert "default" in declared, f"{key}: the schema gives no default for {default!r}"
        assert _as_dataclass_value(declared["default"], default) == default, key
    orphans = {key for key, value in properties.items() if "default" in value} - checked
    assert orphans == set(), "schema defaults without a dataclass field"


def test_top_level_defaults_equal_model_constants() -> None:
    properties = node("#")["properties"]
    assert properties["id"]["default"] == model.DEFAULT_ID
    assert properties["default_branch"]["default"] == model.DEFAULT_BRANCH
    assert tuple(properties["stages"]["default"]) == model.DEFAULT_STAGES
    expected = {
        trigger.value: [step.value for step in steps] for trigger, steps in model.DEFAULT_TRIGGERS
    }
    triggers = properties["triggers"]
    assert triggers["default"] == expected
    assert {key: value["default"] for key, value in triggers["properties"].items()} == expected
