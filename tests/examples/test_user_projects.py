"""Users' own projects through the whole lifecycle, each step a real ``mlops-ci run``.

Five projects built from datasets scikit-learn ships (``tests/examples/projects.py``): a
random forest and a histogram gradient boosting regressor with no ``trusted_types``, an
XGBoost and a LightGBM model trusted by naming their library, and a project gated on a metric
its own script writes. Each is played once per module (``tests/examples/lifecycle.py``): its
first pull request, the merge, the promotion to production and the monitoring schedule,
against the fake GitHub through PyGithub. The docker tests deploy the promoted version and
ask the container for predictions over the Open Inference Protocol.

The XGBoost and LightGBM serving tests stand apart, named for their library: the serving
image must hold the library the model needs (``train.requirements``, installed into the
serving image) for them to pass.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.commands.repos import git
from tests.examples.lifecycle import PR, Lifecycle, released_model, remove_docker_leftovers, start
from tests.examples.projects import PROJECTS, Project
from tests.fakegithub import FakeGitHub
from tests.serving.example import post_json

pytestmark = [pytest.mark.github_corpus, pytest.mark.slow]

BY_KEY = {project.key: project for project in PROJECTS}
METRIC_ROW = re.compile(r"^\| (?P<name>[\w\\]+) [↑↓]( ✎)? *\| (?P<value>-?[0-9.]+) ", re.M)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        yield server
    assert not server.internal_errors, "\n".join(server.internal_errors)


class Lives:
    """The module's lifecycles, one per project, started when a test first asks for it."""

    def __init__(self, fake: FakeGitHub, factory: pytest.TempPathFactory) -> None:
        self.fake, self.factory = fake, factory
        self.started: dict[str, Lifecycle] = {}

    def __getitem__(self, key: str) -> Lifecycle:
        if key not in self.started:
            self.started[key] = start(BY_KEY[key], self.factory.mktemp(key), self.fake)
        return self.started[key]


@pytest.fixture(scope="module")
def lives(fake: FakeGitHub, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lives]:
    started = Lives(fake, tmp_path_factory)
    yield started
    for lifecycle in started.started.values():
        remove_docker_leftovers(lifecycle)


@pytest.fixture(scope="module", params=list(BY_KEY))
def life(request: pytest.FixtureRequest, lives: Lives) -> Lifecycle:
    return lives[request.param]


@pytest.fixture(scope="module", params=["forest", "boosting", "own-metrics"])
def sklearn_life(request: pytest.FixtureRequest, lives: Lives) -> Lifecycle:
    """The projects whose models need nothing beyond the action image's libraries."""
    return lives[request.param]


def metric_names(project: Project) -> list[str]:
    """The metrics the project's report lists: built-in ones, then the metrics file's."""
    listed = re.search(r"metrics: \[(.*?)\]", project.evaluate)
    assert listed is not None
    own = re.findall(r"^  (\w+): \{direction", project.evaluate, re.M)
    return [*listed.group(1).split(", "), *own]


def table_of(body: str) -> dict[str, float]:
    """The candidate column of the metrics table in a report."""
    return {m["name"].replace("\\", ""): float(m["value"]) for m in METRIC_ROW.finditer(body)}


# ---- pull request ---------------------------------------------------------------------


def test_a_pull_request_posts_one_comment_with_the_candidates_metrics(life: Lifecycle) -> None:
    step = life.pull_request()

    assert step.code == 0, step
    [comment] = life.fake.repo(life.full_name).comments(PR)
    assert comment.body.startswith("<!-- mlops-ci:report:")
    assert "mlops-ci: all checks passed" in comment.body
    table = table_of(comment.body)
    assert list(table) == metric_names(life.project)
    assert "no model in production yet" in comment.body
    assert step.summary.startswith("### ✅ mlops-ci: all checks passed")


STATED = {
    "forest": "Positive class: `0` (evaluate.positive_class); precision, recall, f1, roc_auc",
    "xgboost": "Positive class: `1` (the default: the last of the model's classes; set "
               "evaluate.positive_class to choose)",
    "own-metrics": "Positive class: `1` (the default: the last of the model's classes",
    "lightgbm": "3 classes: precision, recall, f1 and average_precision are macro-averaged",
}


@pytest.mark.parametrize("key", list(STATED))
def test_the_report_states_how_class_metrics_were_computed(lives: Lives, key: str) -> None:
    assert STATED[key] in _comment(lives[key])


def test_a_regression_report_names_no_positive_class(lives: Lives) -> None:
    body = _comment(lives["boosting"])
    assert "Positive class" not in body and "classes:" not in body


# ---- merge ----------------------------------------------------------------------------


def test_the_merge_registers_v0_1_0_with_a_release_holding_the_model(life: Lifecycle) -> None:
    from mlops_ci.modelio import load_model

    step = life.merge()

    assert step.code == 0, step
    remote_tags = git(life.repo, "ls-remote", "--tags", "origin")
    assert f"refs/tags/{life.model}@v0.1.0" in remote_tags
    [release] = life.fake.repo(life.full_name).releases
    assets = {a.name for a in life.fake.repo(life.full_name).assets(release.id)}
    assert {"model.skops", "metrics.json", "model-card.md", "SHA256SUMS"} <= assets
    model_file = life.repo.parent / "released.skops"
    model_file.write_bytes(released_model(life))
    model: Any = load_model(model_file, _trusted(life.project))
    assert hasattr(model, "predict")


def test_the_release_records_the_metrics_the_pull_request_showed(life: Lifecycle) -> None:
    step = life.merge()
    assert step.code == 0, step
    repository = life.fake.repo(life.full_name)
    [release] = repository.releases
    [metrics] = [a for a in repository.assets(release.id) if a.name == "metrics.json"]
    recorded = json.loads(metrics.data)
    shown = table_of(_comment(life))
    assert set(shown) <= set(recorded)
    for name, value in shown.items():
        assert recorded[name] == pytest.approx(value, abs=1e-4), name


# ---- monitoring -----------------------------------------------------------------------


def test_the_schedule_finds_the_drift_opens_one_issue_and_asks_for_retraining(
    life: Lifecycle,
) -> None:
    step = life.schedule()

    assert step.code == 1, step
    repository = life.fake.repo(life.full_name)
    [issue] = [issue for issue in repository.issues if not issue.is_pull]
    assert issue.title == f"Data drift in production for {life.model} v0.1.0"
    for column in life.project.drifted[:1]:
        assert column.replace("_", "\\_") in issue.body
    [dispatch] = repository.dispatches
    assert dispatch.client_payload["model"] == life.model
    assert dispatch.client_payload["version"] == "v0.1.0"


# ---- a metric of the user's own, gated -------------------------------------------------


def test_a_pull_request_that_lowers_the_own_metric_fails_its_gate(lives: Lives) -> None:
    life = lives["own-metrics"]
    assert life.merge().code == 0
    script = life.repo / "train.py"
    git(life.repo, "switch", "-q", "-c", "fewer-features")
    script.write_text(
        script.read_text().replace(
            'used = list(features.columns)', 'used = ["mean_fractal_dimension", "texture_error"]'
        )
    )
    git(life.repo, "commit", "-q", "-am", "fewer features")

    step = life.open_pull_request("fewer-features", "Fewer features")

    assert step.code == 1, step
    [comment] = life.fake.repo(life.full_name).comments(PR)
    assert "mlops-ci: checks failed" in comment.body
    assert "evaluate.gates\\[0\\].min" in comment.body
    assert re.search(r"malignant\\_recall 0\.\d+ &lt; 0\.85", comment.body), comment.body
    git(life.repo, "switch", "-q", "main")


# ---- promotion: served by the docker backend, over the Open Inference Protocol ---------


def served_predictions(life: Lifecycle, docker_serving_base: str) -> tuple[Any, Any]:
    """Deploy the promoted version; (the server's predictions, the model's own) on the test
    set, asked for with an Open Inference Protocol ``infer`` request."""
    import numpy as np
    import pandas as pd

    from mlops_ci.modelio import load_model

    step = life.deploy(docker_serving_base)
    assert step.code == 0, step
    [deployment] = life.fake.repo(life.full_name).deployments
    assert [s.state for s in deployment.statuses][-1] == "success"
    url = f"http://127.0.0.1:{life.built.port}"
    test = pd.read_csv(life.repo / "data" / "test.csv").drop(columns=["target"])
    inputs = [
        {"name": name, "shape": [len(test)], "datatype": "FP64",
         "data": [float(value) for value in test[name]]}
        for name in test.columns
    ]
    answer = post_json(url, f"/v2/models/{life.model}/infer", {"inputs": inputs})
    assert answer.status == 200, answer.body
    outputs = {output["name"]: output for output in answer.body["outputs"]}  # type: ignore
    model_file = life.repo.parent / "served.skops"
    model_file.write_bytes(released_model(life))
    model: Any = load_model(model_file, _trusted(life.project))
    return np.asarray(outputs["predict"]["data"]), model.predict(test)


@pytest.mark.docker
def test_the_promoted_version_is_served_over_oip_with_the_models_predictions(
    sklearn_life: Lifecycle, docker_serving_base: str
) -> None:
    import numpy as np

    served, expected = served_predictions(sklearn_life, docker_serving_base)

    np.testing.assert_allclose(served, expected, rtol=1e-6)


@pytest.mark.docker
def test_xgboost_served_over_oip(lives: Lives, docker_serving_base: str) -> None:
    """Needs xgboost in the serving image: the project's requirements.txt installed there."""
    import numpy as np

    served, expected = served_predictions(lives["xgboost"], docker_serving_base)

    np.testing.assert_allclose(served, expected, rtol=1e-6)


@pytest.mark.docker
def test_lightgbm_served_over_oip(lives: Lives, docker_serving_base: str) -> None:
    """Needs lightgbm in the serving image: the project's requirements.txt installed there."""
    import numpy as np

    served, expected = served_predictions(lives["lightgbm"], docker_serving_base)

    np.testing.assert_allclose(served, expected, rtol=1e-6)


# ---- helpers --------------------------------------------------------------------------


def _comment(life: Lifecycle) -> str:
    assert life.pull_request().code == 0, life.pull_request()
    comments = life.fake.repo(life.full_name).comments(PR)
    return comments[0].body


def _trusted(project: Project) -> list[str]:
    found = re.search(r"trusted_types: \[(.*?)\]", project.evaluate)
    return found.group(1).split(", ") if found else []


@pytest.fixture(scope="session")
def docker_serving_base() -> str:
    from tests.deploy import docker_engine

    return docker_engine.serving_base(docker_engine.engine())

