"""A user's XGBoost project through the built action image (issue 20), as GitHub runs it.

The project is ``tests/examples/projects.py``'s XGBoost classifier on scikit-learn's breast
cancer data: its own ``train.py``, ``trusted_types: [xgboost]`` and a ``requirements.txt``.
XGBoost is not among the image's packages (``/opt/venv``), so every step that trains or
evaluates needs the action to install that file into the venv it layers over its own
(``mlops_ci/requirements``, cached under ``.mlops/cache/requirements`` in the workspace): the
training script imports ``xgboost`` from there, and mlops-ci's own process must import it too
to load the candidate with skops for the evaluation.

The container has no package index, as in every docker test: pip reads the wheel downloaded
once per session on the host from a mounted folder (``PIP_NO_INDEX``, ``PIP_FIND_LINKS``, the
variables a workflow's ``env:`` would set for a private mirror).

Four jobs on one checkout: the pull request (its results stored for the report artifact),
the merge (registration tag, release with the model), the promotion tag (the docker backend,
reached through the engine's socket as the runner mounts it, builds a serving image from the
action's own image that installs the same requirements.txt, and serves v0.1.0 over the Open
Inference Protocol), and
the monitoring schedule. The later jobs find the venv the pull request's job installed in the
cache.

Without the layered venv the first job already fails: with ``train.requirements: false`` the
training script cannot import xgboost (exit 2); with the venv but without its packages on
mlops-ci's own ``sys.path`` the evaluation cannot load the candidate (exit 2).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from mlops_ci.registry.store import RegistryStore
from tests.commands.repos import git, pr_payload, push_payload
from tests.docker.runner import REPOSITORY, ActionRun, ActionRunner
from tests.examples.projects import PROJECTS, Built, build
from tests.fakegithub import FakeGitHub
from tests.serving.example import post_json

pytestmark = [pytest.mark.docker, pytest.mark.slow]

PR = 7
CACHE = ".mlops/cache/requirements"
# xgboost-cpu is the XGBoost project's CPU-only wheel: it provides the `xgboost` module
# without the ~200 MB of CUDA libraries the full `xgboost` wheel pulls in.
REQUIREMENTS = (
    "# xgboost-cpu: XGBoost's CPU-only wheel (the `xgboost` module, without the\n"
    "# ~200 MB of CUDA libraries the full `xgboost` wheel pulls in)\n"
    "xgboost-cpu\n"
)
# The training script says where it imported xgboost from.
WHERE = (
    "import xgboost\n"
    'print(f"train.py: xgboost {xgboost.__version__} from {xgboost.__file__}")\n'
)
XGBOOST = dataclasses.replace(
    next(project for project in PROJECTS if project.key == "xgboost"),
    requirements=REQUIREMENTS,
)


@pytest.fixture(scope="session")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """xgboost-cpu's wheel, at the version this environment has, for pip in the container."""
    folder = tmp_path_factory.mktemp("wheels")
    version = metadata.version("xgboost-cpu")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
         "--only-binary=:all:", "--no-deps", f"xgboost-cpu=={version}", "--dest", str(folder)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, f"cannot download xgboost-cpu {version}:\n{done.stderr}"
    return folder


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        server.create_repo(REPOSITORY)
        yield server
    assert not server.internal_errors, "\n".join(server.internal_errors)


@dataclasses.dataclass
class Project:
    built: Built
    runner: ActionRunner

    @property
    def repo(self) -> Path:
        return self.built.repo

    @property
    def model(self) -> str:
        return self.built.model

    def head(self) -> str:
        return git(self.repo, "rev-parse", "HEAD")


@pytest.fixture
def project(tmp_path: Path, fake: FakeGitHub, image: str, wheels: Path) -> Iterator[Project]:
    """The XGBoost project committed on main, pushed to its bare ``origin``; its train.py
    prints where it imported xgboost from. The serving containers and images its deploy made
    are removed after."""
    built = build(dataclasses.replace(XGBOOST, script=XGBOOST.script + WHERE), tmp_path)
    runner = ActionRunner(
        image, built.repo, tmp_path / "runner", api_url=fake.api_url, web_url=fake.web_url,
        token=fake.token, mounts=(tmp_path / "remote.git", wheels), docker_socket=True,
        environ={"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels)},
    )
    yield Project(built, runner)
    from tests.deploy import docker_engine

    client = docker_engine.engine()
    label = f"mlops-ci.model={built.model}"
    docker_engine.remove_labelled(client, label)
    for made in client.images.list(filters={"label": label}):
        with contextlib.suppress(Exception):
            client.images.remove(made.id, force=True)


def image_id(image: str) -> str:
    return subprocess.run(["docker", "image", "inspect", "--format", "{{.Id}}", image],
                          capture_output=True, text=True, check=True).stdout.strip()


def _assert_succeeded(run: ActionRun, token: str) -> None:
    assert run.exit_code == 0, run.log
    assert "Traceback" not in run.log, run.log
    lines = run.stdout.splitlines()
    assert lines[0] == f"::add-mask::{token}"
    assert token not in "\n".join(lines[1:]) + run.stderr


def test_xgboost_project_through_the_action_image(project: Project, fake: FakeGitHub) -> None:
    import pandas as pd

    from mlops_ci.modelio import load_model

    # the action's own packages lack xgboost: only the layered venv can provide it
    bare = subprocess.run(["docker", "run", "--rm", "--network", "none", "--entrypoint",
                           "python", project.runner.image, "-c", "import xgboost"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert bare.returncode == 1 and "No module named 'xgboost'" in bare.stderr, bare.stderr

    # --- the pull request: installs requirements.txt, trains with it, evaluates, stores ---
    fake.repo(REPOSITORY).add_pull(PR, head_sha=project.head(), head_ref="first-model",
                                   title="First model")

    pull = project.runner.run("pull_request", pr_payload(project.head()), sha="f" * 40,
                              ref=f"refs/pull/{PR}/merge")

    _assert_succeeded(pull, fake.token)
    installed = re.search(r"requirements: installing requirements\.txt into "
                          rf"/github/workspace/{re.escape(CACHE)}/(venv-\w+)", pull.stdout)
    assert installed is not None, pull.log
    assert "requirements: requirements.txt installed in" in pull.stdout
    assert "cache has been disabled" not in pull.log  # pip's, as root in the runner's HOME
    venv = project.repo / CACHE / installed.group(1)
    assert (venv / ".mlops-ci-complete").is_file()
    [package] = venv.glob("lib/python3*/site-packages/xgboost/__init__.py")
    inside = f"/github/workspace/{CACHE}/{installed.group(1)}/lib/"
    trained = re.search(r"train\.py: xgboost \S+ from (\S+)", pull.log)
    assert trained is not None, pull.log
    assert trained.group(1).startswith(inside), trained.group(1)  # not /opt/venv's
    assert trained.group(1).endswith(str(package.relative_to(venv / "lib")))
    assert pull.outputs["verdict"] == "passed", pull.log
    artifact = project.repo / pull.outputs["report_artifact"] / "report-artifact.json"
    stored = artifact.read_text(encoding="utf-8")
    assert project.model in stored and "roc_auc" in stored
    assert fake.repo(REPOSITORY).releases == []

    # --- the merge: the cached venv, evaluation in mlops-ci's process, tag and release ------
    merge = project.runner.run("push", push_payload(project.head()), sha=project.head(),
                               ref="refs/heads/main")

    _assert_succeeded(merge, fake.token)
    assert f"requirements: requirements.txt is installed already (cached in /github/" \
           f"workspace/{CACHE}/{installed.group(1)})" in merge.stdout
    assert "requirements: installing" not in merge.stdout
    assert merge.outputs["verdict"] == "passed", merge.log
    tag = f"{project.model}@v0.1.0"
    assert merge.outputs["tag"] == tag
    assert f"{project.head()}\trefs/tags/{tag}^{{}}" in git(project.repo, "ls-remote", "--tags",
                                                             "origin")
    [release] = fake.repo(REPOSITORY).releases
    assert release.tag_name == tag
    assets = {asset.name: asset.data for asset in fake.repo(REPOSITORY).assets(release.id)}
    assert {"model.skops", "metrics.json", "model-card.md", "SHA256SUMS"} <= set(assets)
    metrics = json.loads(assets["metrics.json"])
    assert metrics["roc_auc"] >= 0.9  # the project's gate, evaluated in the container
    released = project.repo.parent / "released.skops"
    released.write_bytes(assets["model.skops"])
    model: Any = load_model(released, ["xgboost"])
    assert type(model).__module__.startswith("xgboost")
    test = pd.read_csv(project.repo / "data" / "test.csv")
    accuracy = float((model.predict(test.drop(columns=["target"])) == test["target"]).mean())
    assert accuracy == pytest.approx(metrics["accuracy"], abs=1e-4)

    # --- promoted: the docker backend (the runner's socket) serves v0.1.0 over OIP ---------
    git(project.repo, "fetch", "-q", "--tags", "origin")
    promotion = RegistryStore(project.repo).promote(project.model, "v0.1.0", "production")
    commit = git(project.repo, "rev-parse", f"{promotion.tag}^{{commit}}")

    deploy = project.runner.run("push", push_payload(commit, f"refs/tags/{promotion.tag}"),
                                sha=commit, ref=f"refs/tags/{promotion.tag}")

    _assert_succeeded(deploy, fake.token)
    assert deploy.outputs["deployed_version"] == "v0.1.0"
    built_from = re.search(r"built mlops-ci-serving/\S+ from (\S+)", deploy.stdout)
    assert built_from is not None, deploy.log
    assert image_id(built_from.group(1)) == image_id(project.runner.image)  # its own image
    [deployment] = fake.repo(REPOSITORY).deployments
    assert deployment.statuses[-1].state == "success"
    features = test.drop(columns=["target"])
    inputs = [{"name": name, "shape": [len(features)], "datatype": "FP64",
               "data": [float(value) for value in features[name]]} for name in features.columns]
    answer = post_json(f"http://127.0.0.1:{project.built.port}",
                       f"/v2/models/{project.model}/infer", {"inputs": inputs})
    assert answer.status == 200, answer.body
    outputs: Any = answer.body["outputs"]
    [served] = [output["data"] for output in outputs if output["name"] == "predict"]
    assert list(served) == [int(label) for label in model.predict(features)]

    # --- the schedule: monitoring finds the shifted production data ------------------------
    schedule = project.runner.run("schedule", {"schedule": "0 6 * * *",
                                               "repository": {"full_name": REPOSITORY}},
                                  sha=project.head(), ref="refs/heads/main")

    assert schedule.exit_code == 1, schedule.log  # drift found: the check fails as designed
    assert "Traceback" not in schedule.log
    [issue] = [issue for issue in fake.repo(REPOSITORY).issues if not issue.is_pull]
    assert issue.title == f"Data drift in production for {project.model} v0.1.0"
    [dispatch] = fake.repo(REPOSITORY).dispatches
    assert dispatch.client_payload["model"] == project.model
