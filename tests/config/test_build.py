"""Building the frozen Config from a schema-valid mapping."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import event, given
from hypothesis import strategies as st

from mlops_ci.config.build import BuildError, build_config, format_path
from mlops_ci.config.fields import parse_duration
from mlops_ci.config.model import (
    DEFAULT_BRANCH,
    DEFAULT_ID,
    DEFAULT_STAGES,
    DEFAULT_TRIGGERS,
    ColumnSpec,
    Config,
    DeploySpec,
    DriftSpec,
    FindingLabels,
    Gate,
    HealthCheck,
    RegisterSpec,
    ReportSpec,
    RowBounds,
    StageName,
    TrainSpec,
    Trigger,
)
from mlops_ci.config.schema import load_schema

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "mlops_ci" / "examples" / "churn" / "mlops.yaml"
FILE = Path("/work/repo/mlops.yaml")
ROOT = Path("/work/repo")

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


def build(data: dict[str, Any]) -> Config:
    """Build a mapping the schema accepts (asserted first: the builder's contract)."""
    problems = [e.message for e in jsonschema.Draft202012Validator(load_schema()).iter_errors(data)]
    assert problems == []
    return build_config(data, file=FILE, root=ROOT)


def with_model(**sections: object) -> dict[str, Any]:
    data = copy.deepcopy(MINIMAL)
    data["models"]["churn"].update(sections)
    return data


def train_with(**train: object) -> TrainSpec:
    return build(with_model(train=train)).model("churn").train


# The example, field by field against what its YAML says.


@pytest.fixture(scope="module")
def example_yaml() -> dict[str, Any]:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def example(example_yaml: dict[str, Any]) -> Config:
    return build(copy.deepcopy(example_yaml))


def test_example_top_level(example: Config) -> None:
    assert (example.file, example.root) == (FILE, ROOT)
    assert example.version == 1
    assert example.id == "churn-ci"
    assert example.default_branch == "main"
    assert example.stages == ("staging", "production")
    assert [m.name for m in example.models] == ["churn"]
    assert example.report == ReportSpec(comment=True, summary=True)


def test_example_data_columns_keep_file_order_and_values(
    example: Config, example_yaml: dict[str, Any]
) -> None:
    data = example.model("churn").data
    written = example_yaml["models"]["churn"]["data"]
    assert data.train == Path("data/train.csv")
    assert data.test == Path("data/test.csv")
    assert data.reference == Path("data/reference.csv")
    assert data.reference_path == Path("data/reference.csv")
    assert data.target == "churned"
    assert data.id_column == "customer_id"
    assert data.rows == RowBounds(min=100)
    assert [c.name for c in data.columns] == list(written["columns"])
    for column in data.columns:
        spec = written["columns"][column.name]
        assert column.dtype == spec["dtype"]
        assert column.nullable == spec.get("nullable", True)
        assert column.min == spec.get("min")
        assert column.max == spec.get("max")
        assert column.unique == spec.get("unique", False)
        assert column.allowed == (tuple(spec["allowed"]) if "allowed" in spec else None)
    assert data.columns[-1] == ColumnSpec(
        name="churned", dtype="int", nullable=False, allowed=(0, 1)
    )


def test_example_drift_train_evaluate(example: Config) -> None:
    churn = example.model("churn")
    assert churn.description == "Predicts which customers cancel their subscription next month."
    assert churn.drift.method == "auto"
    assert churn.drift.share == 0.3
    assert churn.drift.key_columns == ("monthly_charges",)
    [override] = churn.drift.overrides
    assert (override.column, override.method, override.threshold) == ("support_calls", "psi", 0.2)
    assert churn.train.command == ("python", "train.py")
    assert churn.train.timeout_seconds == 600
    assert churn.train.seed == 42
    assert churn.evaluate.task == "classification"
    assert churn.evaluate.metrics == ("accuracy", "f1", "roc_auc", "log_loss")
    assert churn.evaluate.gates == (
        Gate(metric="roc_auc", min=0.70),
        Gate(metric="roc_auc", against="production", max_regression=0.02),
        Gate(metric="f1", against="base", max_regression=0.05),
    )


def test_example_register_deploy_monitor(example: Config) -> None:
    churn = example.model("churn")
    assert churn.register == RegisterSpec(bump="minor", prerelease_stage="staging")
    staging, production = churn.deploy.environments
    assert (staging.name, staging.stage, staging.backend, staging.port) == (
        "churn-staging",
        "staging",
        "docker",
        8081,
    )
    assert (production.name, production.port) == ("churn-production", 8080)
    assert production.health == HealthCheck(path="/v2/health/ready", timeout_seconds=60)
    assert churn.monitor is not None
    assert churn.monitor.production_data == ("data/production.csv",)
    assert churn.monitor.schedule == "0 6 * * *"
    assert churn.monitor.actions.dispatch is True
    assert churn.monitor.actions.labels == ("mlops",)
    assert churn.monitor.labels == FindingLabels("drift", "quality", "data-errors")


def test_example_triggers_override_only_the_events_it_names(example: Config) -> None:
    defaults = dict(DEFAULT_TRIGGERS)
    assert example.stages_for(Trigger.PULL_REQUEST) == (
        StageName.VALIDATE,
        StageName.DRIFT,
        StageName.TRAIN,
        StageName.EVALUATE,
        StageName.REPORT,
    )
    assert example.stages_for(Trigger.PROMOTION_TAG) == (StageName.DEPLOY,)
    assert example.stages_for(Trigger.SCHEDULE) == (StageName.MONITOR,)
    assert example.stages_for(Trigger.RELEASE) == defaults[Trigger.RELEASE]
    assert [trigger for trigger, _ in example.triggers] == list(Trigger)


# Defaults.


def test_minimal_config_gets_every_default() -> None:
    config = build(MINIMAL)
    assert config.id == DEFAULT_ID
    assert config.default_branch == DEFAULT_BRANCH
    assert config.stages == DEFAULT_STAGES
    assert config.triggers == DEFAULT_TRIGGERS
    assert config.report == ReportSpec()
    churn = config.model("churn")
    assert churn.path is None
    assert churn.description is None
    assert churn.data.columns == ()
    assert churn.data.reference is None
    assert churn.data.reference_path == Path("data/train.csv")
    assert churn.data.format is None
    assert churn.data.allow_extra_columns is False
    assert churn.data.rows == RowBounds()
    assert churn.drift == DriftSpec()
    assert churn.train == TrainSpec(command=("python", "train.py"))
    assert churn.evaluate.gates == ()
    assert churn.evaluate.report_only is False
    assert churn.evaluate.trusted_types == ()
    assert churn.register == RegisterSpec()
    assert churn.deploy == DeploySpec()
    assert churn.monitor is None


def test_monitor_labels_name_each_finding_and_default_the_rest() -> None:
    data = with_model(monitor={"production_data": ["p.csv"],
                               "labels": {"quality": "model-quality"}})
    monitor = build(data).model("churn").monitor
    assert monitor is not None
    assert monitor.labels == FindingLabels("drift", "model-quality", "data-errors")
    unknown = with_model(monitor={"production_data": ["p.csv"], "labels": {"drfit": "x"}})
    validator = jsonschema.Draft202012Validator(load_schema())
    assert [e.message for e in validator.iter_errors(unknown)] != []


def test_nested_sections_get_their_defaults() -> None:
    data = with_model(
        deploy={"environments": {"prod": {"stage": "production", "backend": "docker"}}},
        monitor={"release_asset": "production.parquet"},
        drift={"sample": {"rows": 5000}, "overrides": {"age": {"threshold": 0.3}}},
    )
    churn = build(data).model("churn")
    [environment] = churn.deploy.environments
    assert environment.health == HealthCheck()
    assert (environment.namespace, environment.replicas, environment.rollback) == (
        "default",
        1,
        True,
    )
    assert churn.monitor is not None
    assert churn.monitor.production_data == ()
    assert churn.monitor.history == 10
    assert churn.drift.sample is not None
    assert (churn.drift.sample.rows, churn.drift.sample.seed) == (5000, 0)
    [override] = churn.drift.overrides
    assert (override.method, override.threshold) == (None, 0.3)


# Durations.


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (90, 90),
        ("90", 90),
        ("90s", 90),
        ("10m", 600),
        ("2h", 7200),
        ("1h30m", 5400),
        ("1h0m5s", 3605),
        ("0h1m", 60),
        (" 5m ", 300),
    ],
)
def test_parse_duration(value: str | int, seconds: int) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize(
    "value", ["", "10 minutes", "1.5h", "5d", "m", "h1", "30s10m", "0", "0s", "-5s", 0, -1, True]
)
def test_parse_duration_rejects_with_a_clear_message(value: str | int) -> None:
    with pytest.raises(ValueError, match=r"invalid duration .*(\'90s\'|at least 1 second)"):
        parse_duration(value)


@given(st.integers(0, 99), st.integers(0, 99), st.integers(0, 99))
def test_parse_duration_adds_up_units(hours: int, minutes: int, seconds: int) -> None:
    total = hours * 3600 + minutes * 60 + seconds
    text = f"{hours}h{minutes}m{seconds}s"
    if total == 0:
        with pytest.raises(ValueError):
            parse_duration(text)
    else:
        assert parse_duration(text) == total


@given(st.text(max_size=12))
def test_parse_duration_fails_only_with_value_error(text: str) -> None:
    try:
        assert parse_duration(text) >= 1
    except ValueError as error:
        assert repr(text) in str(error)


def test_durations_are_converted_everywhere() -> None:
    environment = {
        "stage": "production",
        "backend": "docker",
        "health": {"timeout": "2m", "interval": 5},
    }
    data = with_model(
        train={"command": ["python", "train.py"], "timeout": "1h30m"},
        deploy={"environments": {"prod": environment}},
    )
    churn = build(data).model("churn")
    assert churn.train.timeout_seconds == 5400
    health = churn.deploy.environments[0].health
    assert (health.timeout_seconds, health.interval_seconds) == (120, 5.0)


# Commands: argv, split like a shell, never run through one.


def test_string_command_is_split_with_shell_quoting() -> None:
    train = train_with(command="python 'my train.py' --name \"a b\" --alpha=0.5")
    assert train.command == ("python", "my train.py", "--name", "a b", "--alpha=0.5")


def test_string_command_keeps_shell_syntax_as_plain_arguments() -> None:
    train = train_with(command="echo $HOME; rm -rf / && `id` | cat > out")
    assert train.command == (
        *("echo", "$HOME;", "rm", "-rf", "/"),
        *("&&", "`id`", "|", "cat", ">", "out"),
    )


def test_list_command_is_kept_verbatim() -> None:
    train = train_with(command=["python", "train.py", "--note", "it's $fine"])
    assert train.command == ("python", "train.py", "--note", "it's $fine")


def test_unsplittable_command_names_its_path() -> None:
    data = with_model(train={"command": "python 'train.py"})
    with pytest.raises(BuildError) as raised:
        build(data)
    assert raised.value.path == ("models", "churn", "train", "command")
    assert "No closing quotation" in raised.value.message
    assert str(raised.value).startswith("models.churn.train.command: ")


def test_deploy_command_string_is_split() -> None:
    environment = {"stage": "production", "backend": "command", "command": "./deploy.sh --env prod"}
    config = build(with_model(deploy={"environments": {"prod": environment}}))
    assert config.model("churn").deploy.environments[0].command == (
        "./deploy.sh",
        "--env",
        "prod",
    )


# Other conversions.


def test_estimator_env_and_image() -> None:
    train = train_with(
        estimator={
            "class": "sklearn.ensemble.RandomForestClassifier",
            "params": {"n_estimators": 200, "max_depth": 8},
        },
        env={"OMP_NUM_THREADS": "2", "A_FLAG": "yes"},
        model_file="forest.skops",
    )
    assert train.command is None
    assert train.estimator is not None
    assert train.estimator.class_path == "sklearn.ensemble.RandomForestClassifier"
    assert train.estimator.params == (("n_estimators", 200), ("max_depth", 8))
    assert train.env == (("OMP_NUM_THREADS", "2"), ("A_FLAG", "yes"))
    assert train.model_file == "forest.skops"


def test_paths_stay_relative_and_unresolved() -> None:
    data = with_model(
        data={"train": "../elsewhere/train.csv", "test": "data/./test.csv", "target": "y"}
    )
    spec = build(data).model("churn").data
    assert spec.train == Path("../elsewhere/train.csv")
    assert not spec.train.is_absolute()
    assert spec.test == Path("data/test.csv")


def test_triggers_override_merge_order_and_disable() -> None:
    data = {
        **MINIMAL,
        "triggers": {"pull_request": ["report", "validate"], "release": [], "schedule": []},
    }
    config = build(data)
    assert config.stages_for(Trigger.PULL_REQUEST) == (StageName.VALIDATE, StageName.REPORT)
    assert config.stages_for(Trigger.RELEASE) == ()
    assert config.stages_for(Trigger.SCHEDULE) == ()
    assert config.stages_for(Trigger.PUSH) == dict(DEFAULT_TRIGGERS)[Trigger.PUSH]
    assert Trigger.RELEASE not in dict(config.triggers)
    order = [trigger for trigger, _ in config.triggers]
    assert order == sorted(order, key=list(Trigger).index)


def test_models_keep_file_order() -> None:
    churn = MINIMAL["models"]["churn"]
    data = {**MINIMAL, "models": {"zeta": churn, "alpha": churn, "team/mid": churn}}
    assert [m.name for m in build(data).models] == ["zeta", "alpha", "team/mid"]


def test_config_is_frozen_and_comparable() -> None:
    first, second = build(MINIMAL), build(copy.deepcopy(MINIMAL))
    assert first == second
    with pytest.raises(AttributeError):
        first.id = "other"  # type: ignore[misc]


def test_wrong_types_from_a_loader_bug_raise_build_error_with_path() -> None:
    data = copy.deepcopy(MINIMAL)
    data["models"]["churn"]["data"]["rows"] = {"min": "many"}
    with pytest.raises(BuildError) as raised:
        build_config(data, file=FILE, root=ROOT)
    assert raised.value.path == ("models", "churn", "data", "rows", "min")


def test_format_path() -> None:
    path = ("models", "churn", "evaluate", "gates", 0, "min")
    assert format_path(path) == "models.churn.evaluate.gates[0].min"
    assert format_path(()) == ""


# Never a traceback: any mutation of the example the schema accepts builds.


def _leaf_paths(value: object, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    if isinstance(value, dict):
        return [path] + [p for k, v in value.items() for p in _leaf_paths(v, (*path, k))]
    if isinstance(value, list):
        return [path] + [p for i, v in enumerate(value) for p in _leaf_paths(v, (*path, i))]
    return [path]


EXAMPLE_DATA: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
EXAMPLE_PATHS = [path for path in _leaf_paths(EXAMPLE_DATA) if path]
DELETE = object()
PLAUSIBLE_TEXT = ["10m", "90", "1h30m", "python 'x", "a b", "v1.2.3", "staging", "roc_auc", "mae"]


def _like(original: object) -> st.SearchStrategy[object]:
    """Values of the original's kind, which the schema accepts often enough to build."""
    if isinstance(original, bool):
        return st.booleans()
    if isinstance(original, int):
        return st.integers(-1, 70_000)
    if isinstance(original, float):
        return st.floats(0, 1.5)
    if isinstance(original, str):
        return st.sampled_from(PLAUSIBLE_TEXT) | st.text(max_size=8)
    if isinstance(original, list) and original:
        return st.lists(st.sampled_from(original), max_size=len(original) + 1)
    return st.just(original)


@st.composite
def mutations(draw: st.DrawFn) -> list[tuple[tuple[str | int, ...], object]]:
    changes = []
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(EXAMPLE_PATHS))
        original: Any = EXAMPLE_DATA
        for part in path:
            original = original[part]
        value = draw(st.just(DELETE) | _like(original) | st.none() | st.text(max_size=3))
        changes.append((path, value))
    return changes


@given(mutations())
def test_any_schema_valid_mutation_of_the_example_builds(
    changes: list[tuple[tuple[str | int, ...], object]],
) -> None:
    data = copy.deepcopy(EXAMPLE_DATA)
    for path, value in changes:
        target: Any = data
        try:
            for part in path[:-1]:
                target = target[part]
            if value is DELETE:
                del target[path[-1]]
            else:
                target[path[-1]] = copy.deepcopy(value)
        except (KeyError, IndexError, TypeError):
            continue
    if not jsonschema.Draft202012Validator(load_schema()).is_valid(data):
        event("rejected by the schema")
        return
    event("accepted by the schema")
    try:
        config = build_config(data, file=FILE, root=ROOT)
    except BuildError as error:
        assert error.path[-1] == "command"
        assert "cannot split" in error.message
    else:
        assert config.version == 1
