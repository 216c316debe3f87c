"""The serving image's build context: unchanged without requirements, the layer with them."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from mlops_ci.config.model import Environment
from mlops_ci.deploy.serving_image import REQUIREMENTS_VENV, WHEELS_INSIDE, write_context
from tests.deploy.conftest import MakeRequest

BASE = "mlops-ci:dev"


def entrypoint(dockerfile: str) -> list[str]:
    (line,) = [line for line in dockerfile.splitlines() if line.startswith("ENTRYPOINT ")]
    return list(json.loads(line.removeprefix("ENTRYPOINT ")))


def test_without_requirements_the_image_is_the_model_over_the_base(
    make_request: MakeRequest, churn_model_file: Path, tmp_path: Path
) -> None:
    request = make_request(Environment("staging", "staging", "docker"), "v1.0.0", churn_model_file)

    args = write_context(request, BASE, tmp_path / "context")

    dockerfile = (tmp_path / "context" / "Dockerfile").read_text(encoding="utf-8")
    assert dockerfile.splitlines()[:2] == [f"FROM {BASE}",
                                           "COPY model.skops columns.json /srv/model/"]
    assert entrypoint(dockerfile)[:3] == ["python", "-m", "mlops_ci.serving"]
    assert args == {} and not (tmp_path / "context" / "requirements").exists()


def test_with_requirements_the_file_is_installed_with_the_deployers_pip_settings(
    make_request: MakeRequest, churn_model_file: Path, tmp_path: Path
) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "tinyreq-0.1-py3-none-any.whl").write_bytes(b"a wheel")
    environ = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels), "PIP_INDEX_URL": "",
               "GITHUB_TOKEN": "ghs_secret"}
    request = dataclasses.replace(
        make_request(Environment("staging", "staging", "docker"), "v1.0.0", churn_model_file,
                     environ=environ),
        requirements=b"tinyreq==0.1\n",
    )

    args = write_context(request, BASE, tmp_path / "context")

    folder = tmp_path / "context" / "requirements"
    dockerfile = (tmp_path / "context" / "Dockerfile").read_text(encoding="utf-8")
    assert (folder / "requirements.txt").read_bytes() == b"tinyreq==0.1\n"
    assert (folder / "wheels" / "tinyreq-0.1-py3-none-any.whl").is_file()
    assert args == {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": WHEELS_INSIDE}  # no token, no ""
    assert f"RUN python3 /srv/requirements/layer.py {REQUIREMENTS_VENV}" in dockerfile
    assert dockerfile.index("layer.py") < dockerfile.index("COPY model.skops")  # cached layer
    assert entrypoint(dockerfile)[0] == f"{REQUIREMENTS_VENV}/bin/python"
