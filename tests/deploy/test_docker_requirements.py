"""The serving image of a version installs its requirements file (real engine, real pip)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import pytest

from mlops_ci.deploy.docker import DockerTarget, image_tag
from mlops_ci.deploy.serving_image import REQUIREMENTS_VENV
from mlops_ci.errors import UserError
from tests.deploy.conftest import MakeRequest
from tests.deploy.test_docker_target import environment
from tests.requirements.wheels import build_wheel, offline
from tests.serving.example import post_json, rows_of_test_set

pytestmark = [pytest.mark.docker, pytest.mark.slow]

ACTION_IMAGE = "mlops-ci:dev"  # used as it is, read only: the layering needs no newer code


def test_the_serving_image_installs_the_versions_requirements_and_names_pips_refusal(
    make_request: MakeRequest,
    docker_client: Any,
    churn_model_file: Path,
    tmp_path: Path,
    docker_model: str,
) -> None:
    build_wheel(tmp_path, "tinyreq", "0.4")
    environ = {**os.environ, "MLOPS_CI_SERVING_BASE": ACTION_IMAGE,
               **offline(tmp_path / "wheels")}
    env = environment(f"{docker_model}-staging")
    request = dataclasses.replace(
        make_request(env, "v1.0.0", churn_model_file, model=docker_model, environ=environ),
        requirements=b"# the model's own\ntinyreq==0.4\n",
    )

    DockerTarget().deploy(request)

    answer = post_json(f"http://127.0.0.1:{env.port}", "/predict",
                       {"rows": rows_of_test_set(5)})
    assert answer.status == 200, answer.body
    image = docker_client.images.get(image_tag(docker_model, "v1.0.0"))
    entrypoint = image.attrs["Config"]["Entrypoint"]
    assert entrypoint[:3] == [f"{REQUIREMENTS_VENV}/bin/python", "-m", "mlops_ci.serving"]
    shown = docker_client.containers.run(
        image.id, entrypoint=[entrypoint[0], "-c",
                              "import tinyreq, sklearn, mlops_ci.serving; print(tinyreq.VERSION)"],
        network_mode="none", remove=True,
    ).decode().strip()
    assert shown == "0.4"  # the server's interpreter has the user's package and the action's
    assert image.labels["mlops-ci.requirements-sha256"]

    broken = dataclasses.replace(
        make_request(env, "v1.1.0", churn_model_file, model=docker_model, environ=environ),
        requirements=b"tinyreq==0.4\nno-such-package-xyz>=1\n",
    )
    with pytest.raises(UserError) as caught:
        DockerTarget().deploy(broken)
    assert caught.value.exit_code == 2
    assert "pip could not install the version's train.requirements" in caught.value.message
    assert "no-such-package-xyz" in caught.value.message
    assert post_json(f"http://127.0.0.1:{env.port}", "/predict",
                     {"rows": rows_of_test_set(5)}).status == 200  # v1.0.0 still serves
