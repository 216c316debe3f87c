"""Training in a container through the real Docker engine (marked ``docker``).

No registry is reachable in CI, so the image is built ``FROM scratch`` out of the host's own
``sh``/``cp``/``cat``/``sleep``/``id`` and the shared libraries they need.
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlops_ci.errors import EXIT_EXTERNAL_ERROR, ExternalError, UserError
from mlops_ci.modelio import save_model
from mlops_ci.stages.train import train_model
from tests.stages.workspaces import runner_environ, tiny_workspace

pytestmark = pytest.mark.docker

IMAGE = "mlops-ci-test/tiny-shell:1"
TOOLS = ("/bin/sh", "/bin/cp", "/bin/cat", "/bin/sleep", "/usr/bin/id", "/usr/bin/touch")


def _engine() -> Any:
    docker = pytest.importorskip("docker")
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as error:
        pytest.skip(f"no Docker engine: {error}")
    return client


def _libraries(binary: str) -> set[str]:
    listing = subprocess.run(["ldd", binary], capture_output=True, text=True, check=False)
    return set(re.findall(r"(/\S+\.so[.\d]*)", listing.stdout))


@pytest.fixture(scope="module")
def tiny_image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    client = _engine()
    context = tmp_path_factory.mktemp("image")
    files = set(TOOLS)
    for tool in TOOLS:
        files |= _libraries(tool)
    for name in files:
        target = context / "root" / name.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(os.path.realpath(name), target)
    (context / "root" / "tmp").mkdir()
    (context / "Dockerfile").write_text("FROM scratch\nCOPY root/ /\n")
    client.images.build(path=str(context), tag=IMAGE, rm=True)
    yield IMAGE
    client.close()


def _workspace(tmp_path: Path, script: str, timeout: str = "60") -> Any:
    save_model({"weights": [1, 2, 3]}, tmp_path / "premade.skops")
    train = (f"command: [/bin/sh, -c, {script!r}]\nimage: {IMAGE}\ntimeout: {timeout}\n"
             "env: {GREETING: hello}")
    return tiny_workspace(tmp_path, train)


def test_training_runs_in_a_container_with_the_workspace_read_only(
    tmp_path: Path, tiny_image: str
) -> None:
    script = (
        "echo train=$MLOPS_TRAIN_DATA out=$MLOPS_OUTPUT_DIR greeting=$GREETING; "
        "touch /workspace/written 2>/dev/null || echo workspace is read-only; "
        "id -u; cp premade.skops $MLOPS_OUTPUT_DIR/model.skops"
    )
    model = _workspace(tmp_path, script)
    out = io.StringIO()
    result = train_model(model, workspace=tmp_path, output_dir=tmp_path / "out",
                         environ=runner_environ(), out=out)
    lines = out.getvalue().splitlines()
    assert "train=/workspace/data/train.csv out=/output greeting=hello" in lines
    assert "workspace is read-only" in lines
    assert str(os.getuid()) in lines
    assert result.method == "container"
    assert result.image == IMAGE
    assert result.model_path.stat().st_uid == os.getuid()
    assert not (tmp_path / "written").exists()


def test_a_failing_container_is_a_user_error_and_is_removed(
    tmp_path: Path, tiny_image: str
) -> None:
    client = _engine()
    before = len(client.containers.list(all=True))
    model = _workspace(tmp_path, "echo cannot find data; exit 4")
    with pytest.raises(UserError) as caught:
        train_model(model, workspace=tmp_path, output_dir=tmp_path / "out",
                    environ=runner_environ(), out=io.StringIO())
    assert "failed with exit code 4" in caught.value.message
    assert "cannot find data" in caught.value.message
    assert len(client.containers.list(all=True)) == before


def test_a_container_that_runs_too_long_is_killed(tmp_path: Path, tiny_image: str) -> None:
    model = _workspace(tmp_path, "echo started; sleep 60", timeout="2")
    started = time.monotonic()
    with pytest.raises(UserError, match="timed out after 2s"):
        train_model(model, workspace=tmp_path, output_dir=tmp_path / "out",
                    environ=runner_environ(), out=io.StringIO())
    assert time.monotonic() - started < 30


def test_an_unreachable_engine_is_an_external_error(tmp_path: Path) -> None:
    model = _workspace(tmp_path, "true")
    environ = {**runner_environ(), "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}
    with pytest.raises(ExternalError) as caught:
        train_model(model, workspace=tmp_path, output_dir=tmp_path / "out", environ=environ,
                    out=io.StringIO())
    assert caught.value.exit_code == EXIT_EXTERNAL_ERROR
    assert "Docker engine is not reachable" in caught.value.message


def test_a_missing_image_that_cannot_be_pulled_is_named(tmp_path: Path) -> None:
    _engine()
    model = _workspace(tmp_path, "true")
    model = dataclasses.replace(
        model, train=dataclasses.replace(model.train, image="mlops-ci-test/absent:never"))
    with pytest.raises(UserError, match="'mlops-ci-test/absent:never' is not on the Docker"):
        train_model(model, workspace=tmp_path, output_dir=tmp_path / "out",
                    environ=runner_environ(), out=io.StringIO())

