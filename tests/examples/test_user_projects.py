"""Users' own projects through the whole lifecycle, each step a real ``mlops-ci`` command.

Five projects built from datasets scikit-learn ships (``tests/examples/projects.py``): a
random forest and a histogram gradient boosting regressor with no ``trusted_types``, an
XGBoost and a LightGBM model trusted by naming their library, and a project gated on a metric
its own script writes. Each lifecycle test plays one project (``tests/examples/lifecycle.py``)
against the fake GitHub through PyGithub: its first pull request, the merge, the promotion to
production and the monitoring schedule, checking what each step leaves behind. The docker
tests play a project up to its promotion, deploy it with the docker backend and ask the
container for predictions over the Open Inference Protocol.

One test plays one project: ``pytest -n`` hands tests to its workers one by one, so tests
sharing a module-scoped lifecycle would each replay it on the other worker.

``test_xgboost_served_over_oip`` and ``test_lightgbm_served_over_oip`` stand apart: the serving
image must hold the library the model needs (the project's requirements.txt installed into
it, ``train.requirements``) for them to pass.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
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
    """One fake GitHub for the module; each project has its own repository there."""
    with FakeGitHub() as server:
        yield server
    assert not server.internal_errors, "\n".join(server.internal_errors)


@pytest.fixture
def play(fake: FakeGitHub, tmp_path: Path) -> Iterator[Any]:
    """``play(key)``: a fresh lifecycle of that project; its containers are removed after."""
    started: list[Lifecycle] = []

    def begin(key: str) -> Lifecycle:
        started.append(start(BY_KEY[key], tmp_path / key, fake))
        return started[-1]

    yield begin
    for lifecycle in started:
        remove_docker_leftovers(lifecycle)


@pytest.mark.parametrize("key", list(BY_KEY))
def test_the_lifecycle_of_a_users_project(play: Any, key: str) -> None:
    life: Lifecycle = play(key)

    comment = check_pull_request(life)
    check_merge(life, comment)
    check_monitoring(life)


def check_pull_request(life: Lifecycle) -> str:
    """The first pull request passes and leaves one comment with the candidate's metrics and
    how the class metrics were computed; the comment's body."""
    step = life.pull_request()

    assert step.code == 0, str(step)
    [comment] = life.fake.repo(life.full_name).comments(PR)
    body = comment.body
    assert body.startswith("<!-- mlops-ci:report:")
    assert "mlops-ci: all checks passed" in body
    assert list(table_of(body)) == metric_names(life.project)
    assert "no model in production yet" in body
    if life.project.stated:
        assert life.project.stated in body
    else:
        assert "Positive class" not in body and "classes:" not in body
    assert step.summary.startswith("### ✅ mlops-ci: all checks passed")
    return body


def check_merge(life: Lifecycle, comment: str) -> None:
    """The merge registers v0.1.0: the tag in the remote, a release holding a model that loads
    with the project's trust settings, and the metrics the pull request showed."""
    from mlops_ci.modelio import load_model

    step = life.merge()

    assert step.code == 0, str(step)
    assert f"refs/tags/{life.model}@v0.1.0" in git(life.repo, "ls-remote", "--tags", "origin")
    repository = life.fake.repo(life.full_name)
    [release] = repository.releases
    assets = {asset.name: asset.data for asset in repository.assets(release.id)}
    assert {"model.skops", "metrics.json", "model-card.md", "SHA256SUMS"} <= set(assets)
    recorded = json.loads(assets["metrics.json"])
    for name, value in table_of(comment).items():
        assert recorded[name] == pytest.approx(value, abs=1e-4), name
    model_file = life.repo.parent / "released.skops"
    model_file.write_bytes(assets["model.skops"])
    assert callable(getattr(load_model(model_file, trusted(life.project)), "predict", None))


def check_monitoring(life: Lifecycle) -> None:
    """With v0.1.0 promoted, the schedule finds the shifted production data: exit 1, one
    issue naming the drifted columns, one request to retrain."""
    assert life.promote().code == 0, str(life.promote())

    step = life.schedule()

    assert step.code == 1, str(step)
    repository = life.fake.repo(life.full_name)
    [issue] = [issue for issue in repository.issues if not issue.is_pull]
    assert issue.title == f"Data drift in production for {life.model} v0.1.0"
    assert life.project.drifted[0].replace("_", "\\_") in (issue.body or "")
    [dispatch] = repository.dispatches
    assert dispatch.client_payload["model"] == life.model
    assert dispatch.client_payload["version"] == "v0.1.0"


def test_a_pull_request_that_lowers_the_own_metric_fails_its_gate(play: Any) -> None:
    life: Lifecycle = play("own-metrics")
    script = life.repo / "train.py"
    git(life.repo, "switch", "-q", "-c", "fewer-features")
    text = script.read_text()
    assert "used = list(features.columns)" in text
    script.write_text(text.replace("used = list(features.columns)",
                                   'used = ["mean_fractal_dimension", "texture_error"]'))
    git(life.repo, "commit", "-q", "-am", "fewer features")

    step = life.open_pull_request("fewer-features", "Fewer features")

    assert step.code == 1, str(step)
    [comment] = life.fake.repo(life.full_name).comments(PR)
    assert "mlops-ci: checks failed" in comment.body
    assert "| ❌ failed | evaluate.gates\\[0\\].min |" in comment.body
    assert re.search(r"malignant\\_recall 0(\.\d+)? &lt; 0\.85", comment.body), comment.body


# ---- promotion: served by the docker backend, over the Open Inference Protocol ---------


def served_and_expected(
    life: Lifecycle, serving_base: str, environ: dict[str, str] | None = None
) -> tuple[Any, Any]:
    """Merge, promote and deploy; (the container's predictions for the test set, asked with
    an Open Inference Protocol ``infer`` request; the released model's own predictions)."""
    import numpy as np
    import pandas as pd

    from mlops_ci.modelio import load_model

    assert life.merge().code == 0, str(life.merge())
    assert life.promote().code == 0, str(life.promote())

    step = life.deploy(serving_base, environ)

    assert step.code == 0, str(step)
    [deployment] = life.fake.repo(life.full_name).deployments
    assert deployment.statuses[-1].state == "success"
    test = pd.read_csv(life.repo / "data" / "test.csv").drop(columns=["target"])
    inputs = [
        {"name": name, "shape": [len(test)], "datatype": "FP64",
         "data": [float(value) for value in test[name]]}
        for name in test.columns
    ]
    url = f"http://127.0.0.1:{life.built.port}"
    answer = post_json(url, f"/v2/models/{life.model}/infer", {"inputs": inputs})
    assert answer.status == 200, answer.body
    outputs: Any = answer.body["outputs"]
    [predicted] = [output["data"] for output in outputs if output["name"] == "predict"]
    model_file = life.repo.parent / "served.skops"
    model_file.write_bytes(released_model(life))
    model: Any = load_model(model_file, trusted(life.project))
    return np.asarray(predicted), model.predict(test)


@pytest.mark.docker
@pytest.mark.parametrize("key", ["forest", "boosting", "own-metrics"])
def test_the_promoted_version_is_served_over_oip_with_the_models_predictions(
    play: Any, serving_base: str, key: str
) -> None:
    import numpy as np

    served, expected = served_and_expected(play(key), serving_base)

    np.testing.assert_allclose(served, expected, rtol=1e-6)


@pytest.fixture(scope="session")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """pip's settings for the serving image's build: no index, the wheels of xgboost-cpu and
    lightgbm at this environment's versions (their own dependencies are the image's)."""
    import subprocess
    import sys
    from importlib import metadata

    folder = tmp_path_factory.mktemp("wheels")
    pins = [f"{name}=={metadata.version(name)}" for name in ("xgboost-cpu", "lightgbm")]
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
         "--only-binary=:all:", "--no-deps", *pins, "--dest", str(folder)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, f"cannot download {pins}:\n{done.stderr}"
    return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(folder)}


@pytest.mark.docker
@pytest.mark.parametrize("key", ["xgboost", "lightgbm"])
def test_a_library_model_is_served_with_its_requirements_installed_in_the_image(
    play: Any, serving_base: str, wheels: dict[str, str], key: str
) -> None:
    """The serving image installs the version's requirements.txt: the server imports the
    model's library (xgboost, lightgbm), which the action's own image does not have."""
    import numpy as np

    served, expected = served_and_expected(play(key), serving_base, wheels)

    np.testing.assert_allclose(served, expected, rtol=1e-6)


@pytest.fixture(scope="session")
def serving_base() -> str:
    """The action image with this tree's code (tests/deploy/docker_engine.py)."""
    from tests.deploy import docker_engine

    return docker_engine.serving_base(docker_engine.engine())


# ---- reading a report -----------------------------------------------------------------


def metric_names(project: Project) -> list[str]:
    """The metrics the project's report lists: built-in ones, then the metrics file's."""
    listed = re.search(r"metrics: \[(.*?)\]", project.evaluate)
    assert listed is not None
    own = re.findall(r"^  (\w+): \{direction", project.evaluate, re.M)
    return [*listed.group(1).split(", "), *own]


def table_of(body: str) -> dict[str, float]:
    """The candidate column of the metrics table in a report."""
    return {m["name"].replace("\\", ""): float(m["value"]) for m in METRIC_ROW.finditer(body)}


def trusted(project: Project) -> list[str]:
    found = re.search(r"trusted_types: \[(.*?)\]", project.evaluate)
    return found.group(1).split(", ") if found else []
